//! `kubectl describe` for Deployments, ReplicaSets and Pods, and the pod-template block that
//! `rollout history --revision` shares (`pkg/describe/describe.go`).

use super::events::StoredEvent;
use super::human::{age, rfc1123z};
use super::tabwriter::{TabWriter, for_describe};
use crate::cluster::{Cluster, KubeEvent};
use crate::model::template::quantity_text;
use crate::model::*;
use crate::sim::SimTime;
use std::collections::BTreeMap;

use super::Output;
use crate::model::selector::{matches_selector_arg, parse_selector_arg};
use crate::scenario::Kind;

/// Which objects a `kubectl describe` names.
pub struct Which<'a> {
    /// None: every object of the kind.
    pub names: &'a [String],
    /// `-l`
    pub selector: Option<&'a str>,
    /// Written `KIND NAME`: a name not found stands for a prefix.
    pub by_prefix: bool,
}

/// `kubectl describe KIND [NAME…] [-l SELECTOR]` (`DescribeOptions.Run`): each object's
/// description, two newlines between them, errors after; with no name, every object of the
/// kind the selector takes. A lone `KIND NAME` not found exactly describes every object
/// whose name starts with it (`DescribeMatchingResources`), so `describe pod web-` needs
/// no seed-dependent suffix.
pub fn run(c: &Cluster, kind: Kind, ns: &str, which: &Which, out: &mut Output) {
    let (names, selector) = (which.names, which.selector);
    if let [name] = names
        && which.by_prefix
        && one(c, kind, ns, name).is_none()
    {
        return describe_matching(c, kind, ns, name, out);
    }
    let chosen: Vec<String> = if names.is_empty() {
        let terms = match selector.map(parse_selector_arg).transpose() {
            Ok(t) => t,
            Err(e) => return out.push(&format!("error: {e}"), false),
        };
        let wanted = |l: &BTreeMap<String, String>| {
            terms.as_ref().is_none_or(|t| matches_selector_arg(t, l))
        };
        let objects = objects(c, kind, ns).into_iter();
        objects.filter(|(_, l)| wanted(l)).map(|(n, _)| n).collect()
    } else {
        names.to_vec()
    };
    let (mut texts, mut errors) = (Vec::new(), Vec::new());
    for name in &chosen {
        match one(c, kind, ns, name) {
            Some(t) => texts.push(t),
            None => errors.push(super::not_found(kind, name)),
        }
    }
    if chosen.is_empty() {
        out.push(&format!("No resources found in {ns} namespace."), true);
    }
    out.text.push_str(&texts.join("\n\n"));
    for e in errors {
        out.push(&e, false);
    }
}

/// `DescribeMatchingResources`: each object whose name starts with `prefix`, a newline
/// after each; the NotFound error when there is none.
fn describe_matching(c: &Cluster, kind: Kind, ns: &str, prefix: &str, out: &mut Output) {
    let matching: Vec<String> = objects(c, kind, ns)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n.starts_with(prefix))
        .collect();
    if matching.is_empty() {
        return out.push(&super::not_found(kind, prefix), false);
    }
    for name in matching {
        if let Some(t) = one(c, kind, ns, &name) {
            out.text.push_str(&t);
            out.text.push('\n');
        }
    }
}

/// One object's description by its describer, if it exists.
fn one(c: &Cluster, kind: Kind, ns: &str, name: &str) -> Option<String> {
    let key = object_key(ns, name);
    match kind {
        Kind::Deployment => c
            .store
            .deployment_by_name(ns, name)
            .map(|(id, _)| deployment(c, id)),
        Kind::ReplicaSet => c.store.rs_names.get(&key).map(|id| replica_set(c, *id)),
        Kind::Pod => c.store.pod_by_name(ns, name).map(|id| pod(c, id)),
        Kind::Service => c
            .store
            .services
            .get(&key)
            .map(|s| super::endpoints::describe_service(c, s)),
        _ => None,
    }
}

/// The namespace's objects of a kind, by name, with their labels.
fn objects<'a>(
    c: &'a Cluster,
    kind: Kind,
    ns: &str,
) -> Vec<(String, &'a BTreeMap<String, String>)> {
    let store = &c.store;
    let metas: Vec<&ObjectMeta> = match kind {
        Kind::Deployment => store
            .deployments
            .iter()
            .flatten()
            .map(|d| &d.meta)
            .collect(),
        Kind::ReplicaSet => store
            .replica_sets
            .iter()
            .flatten()
            .map(|r| &r.meta)
            .collect(),
        Kind::Service => store.services.values().map(|s| &s.meta).collect(),
        Kind::Pod => {
            let pods = store.pods_sorted().into_iter();
            return pods
                .filter(|(_, p)| store.pod_namespace(p) == ns)
                .filter_map(|(_, p)| Some((store.pod_name(p), store.pod_labels(p)?)))
                .collect();
        }
        _ => Vec::new(),
    };
    let mut named: Vec<(String, &BTreeMap<String, String>)> = metas
        .into_iter()
        .filter(|m| m.namespace == ns)
        .map(|m| (m.name.clone(), &m.labels))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

/// Annotations `describe` never shows (`skipAnnotations`).
const SKIP_ANNOTATIONS: [&str; 1] = [LAST_APPLIED_ANNOTATION];
/// `maxAnnotationLen`
const MAX_ANNOTATION_LEN: usize = 140;

/// Mirrors `PrefixWriter`: each level indents two spaces.
struct Prefixed<'a>(&'a mut TabWriter);

impl Prefixed<'_> {
    fn line(&mut self, level: usize, text: &str) {
        self.0.write(&"  ".repeat(level));
        self.0.write(text);
    }
}

/// `Labels:` and `Annotations:` blocks at the top level.
pub(super) fn labels_and_annotations(
    w: &mut TabWriter,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) {
    let mut p = Prefixed(w);
    labels_multiline(&mut p, "Labels", labels);
    annotations_multiline(&mut p, "Annotations", annotations);
}

/// Mirrors `printLabelsMultilineWithIndent` with no skipped keys.
fn labels_multiline(w: &mut Prefixed, title: &str, labels: &BTreeMap<String, String>) {
    w.line(0, &format!("{title}:\t"));
    if labels.is_empty() {
        w.line(0, "<none>\n");
        return;
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            w.line(0, "\t");
        }
        w.line(0, &format!("{k}={v}\n"));
    }
}

/// Mirrors `printAnnotationsMultiline`: long or multi-line values are folded and shortened.
fn annotations_multiline(w: &mut Prefixed, title: &str, annotations: &BTreeMap<String, String>) {
    w.line(0, &format!("{title}:\t"));
    let shown: Vec<(&String, &String)> = annotations
        .iter()
        .filter(|(k, _)| !SKIP_ANNOTATIONS.contains(&k.as_str()))
        .collect();
    if shown.is_empty() {
        w.line(0, "<none>\n");
        return;
    }
    for (i, (k, v)) in shown.into_iter().enumerate() {
        if i > 0 {
            w.line(0, "\t");
        }
        let value = v.strip_suffix('\n').unwrap_or(v);
        if value.len() + k.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.line(0, &format!("{k}:\n"));
            for s in value.split('\n') {
                w.line(0, &format!("\t  {}\n", shorten(s, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            w.line(0, &format!("{k}: {value}\n"));
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s.to_string()
    }
}

fn yaml_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// Mirrors `DescribeProbe`.
fn describe_probe(p: &template::Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    );
    let field = |v: &serde_yaml::Value, k: &str| v.get(k).map(yaml_text).unwrap_or_default();
    if let Some(h) = &p.http_get {
        let scheme = field(h, "scheme").to_lowercase();
        let scheme = if scheme.is_empty() {
            "http".into()
        } else {
            scheme
        };
        return format!(
            "http-get {scheme}://{}:{}{} {attrs}",
            field(h, "host"),
            field(h, "port"),
            field(h, "path")
        );
    }
    if let Some(t) = &p.tcp_socket {
        return format!(
            "tcp-socket {}:{} {attrs}",
            field(t, "host"),
            field(t, "port")
        );
    }
    if let Some(e) = &p.exec {
        let cmd: Vec<String> = e
            .get("command")
            .and_then(|c| c.as_sequence())
            .map(|s| s.iter().map(yaml_text).collect())
            .unwrap_or_default();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    format!("unknown {attrs}")
}

/// Mirrors `describeContainers` for a template (no statuses) or a pod (with its state):
/// `Init Containers:` (only when there are some) or `Containers:`.
fn describe_containers(
    w: &mut Prefixed,
    (space, init): (&str, bool),
    containers: &[template::Container],
    pod: Option<(&Pod, &Cluster)>,
) {
    if init && containers.is_empty() {
        return;
    }
    w.line(
        0,
        &format!(
            "{space}{}Containers:{}\n",
            if init { "Init " } else { "" },
            if containers.is_empty() { " <none>" } else { "" }
        ),
    );
    let name_indent = if space.is_empty() { "" } else { " " };
    for (i, c) in containers.iter().enumerate() {
        w.line(1, &format!("{name_indent}{}:\n", c.name));
        // A container has a status once the kubelet has taken the pod on; its IDs are set
        // once it has started (empty lines until then, as kubectl prints them).
        let status = pod.and_then(|(p, _)| p.times.kubelet_start.map(|_| p));
        let init_run = status.and_then(|p| p.init_runs.as_ref()?.get(i).copied());
        let started = if init {
            init_run.is_some()
        } else {
            status.is_some_and(|p| p.times.started.is_some())
        };
        if let Some(p) = status {
            let id = if started {
                format!(
                    "containerd://{}",
                    made_up_digest(&format!("{}/{}", p.uid, c.name))
                )
            } else {
                String::new()
            };
            w.line(2, &format!("Container ID:\t{id}\n"));
        }
        w.line(2, &format!("Image:\t{}\n", c.image));
        if status.is_some() {
            let id = if started {
                image_id(&c.image)
            } else {
                String::new()
            };
            w.line(2, &format!("Image ID:\t{id}\n"));
        }
        describe_container_ports(w, c);
        describe_command(w, c);
        match (status, init) {
            (Some(p), true) => describe_init_state(w, p, init_run, c.is_sidecar()),
            (Some(p), false) => describe_container_state(w, p),
            (None, _) => {}
        }
        describe_resources_and_probes(w, c);
        describe_env(w, c);
        describe_mounts(w, c, pod.map(|(p, _)| p));
    }
}

/// `describeContainerPorts` and host ports: `80/TCP (http)` for a named port.
fn describe_container_ports(w: &mut Prefixed, c: &template::Container) {
    let named = |text: String, name: &Option<String>| match name {
        Some(n) if !n.is_empty() => format!("{text} ({n})"),
        _ => text,
    };
    let ports: Vec<String> = c
        .ports
        .iter()
        .map(|p| {
            let text = format!(
                "{}/{}",
                p.container_port,
                p.protocol.as_deref().unwrap_or("TCP")
            );
            named(text, &p.name)
        })
        .collect();
    let host_ports: Vec<String> = c
        .ports
        .iter()
        .map(|p| {
            let text = format!(
                "{}/{}",
                p.host_port.unwrap_or(0),
                p.protocol.as_deref().unwrap_or("TCP")
            );
            named(text, &p.name)
        })
        .collect();
    let (port_title, host_title) = if ports.len() > 1 {
        ("Ports", "Host Ports")
    } else {
        ("Port", "Host Port")
    };
    let none_if_empty = |v: Vec<String>| {
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.join(", ")
        }
    };
    w.line(2, &format!("{port_title}:\t{}\n", none_if_empty(ports)));
    w.line(
        2,
        &format!("{host_title}:\t{}\n", none_if_empty(host_ports)),
    );
}

/// `describeContainerCommand`: the command and its arguments, one line each.
fn describe_command(w: &mut Prefixed, c: &template::Container) {
    if let Some(cmd) = &c.command {
        w.line(2, "Command:\n");
        for s in cmd.iter().flat_map(|s| s.split('\n')) {
            w.line(3, &format!("{s}\n"));
        }
    }
    if let Some(args) = &c.args {
        w.line(2, "Args:\n");
        for s in args.iter().flat_map(|s| s.split('\n')) {
            w.line(3, &format!("{s}\n"));
        }
    }
}

/// `describeContainerResources` and `describeContainerProbe`.
fn describe_resources_and_probes(w: &mut Prefixed, c: &template::Container) {
    if let Some(r) = &c.resources {
        for (title, list) in [("Limits", &r.limits), ("Requests", &r.requests)] {
            if !list.is_empty() {
                w.line(2, &format!("{title}:\n"));
            }
            for (k, v) in list {
                w.line(
                    3,
                    &format!(
                        "{k}:\t{}\n",
                        quantity_text(v).unwrap_or_else(|| yaml_text(v))
                    ),
                );
            }
        }
    }
    for (title, probe) in [
        ("Liveness", &c.liveness_probe),
        ("Readiness", &c.readiness_probe),
        ("Startup", &c.startup_probe),
    ] {
        if let Some(p) = probe {
            w.line(2, &format!("{title}:\t{}\n", describe_probe(p)));
        }
    }
}

/// `describeContainerEnvVars`.
fn describe_env(w: &mut Prefixed, c: &template::Container) {
    if c.env.is_empty() {
        w.line(2, "Environment:\t<none>\n");
    } else {
        w.line(2, "Environment:\n");
        for e in &c.env {
            match (&e.value, &e.value_from) {
                (_, Some(from)) => w.line(
                    3,
                    &format!(
                        "{}:\t<set from {}>\n",
                        e.name,
                        yaml_text(from).replace('\n', " ")
                    ),
                ),
                (v, None) => {
                    for (i, s) in v.as_deref().unwrap_or("").split('\n').enumerate() {
                        if i == 0 {
                            w.line(3, &format!("{}:\t{s}\n", e.name));
                        } else {
                            w.line(3, &format!("\t{s}\n"));
                        }
                    }
                }
            }
        }
    }
}

/// `describeContainerVolumes`: the container's mounts, and a pod's service-account token.
fn describe_mounts(w: &mut Prefixed, c: &template::Container, pod: Option<&Pod>) {
    let mut mounts: Vec<(String, String)> = c
        .volume_mounts
        .iter()
        .map(|m| {
            let mut flags = vec![
                if m.read_only == Some(true) {
                    "ro"
                } else {
                    "rw"
                }
                .to_string(),
            ];
            if let Some(sub) = &m.sub_path {
                flags.push(format!("path={sub:?}"));
            }
            (
                m.mount_path.clone(),
                format!("{} ({})", m.name, flags.join(",")),
            )
        })
        .collect();
    if let Some(p) = pod {
        mounts.push((
            "/var/run/secrets/kubernetes.io/serviceaccount".into(),
            format!("{} (ro)", api_access_volume(p)),
        ));
    }
    mounts.sort();
    if mounts.is_empty() {
        w.line(2, "Mounts:\t<none>\n");
    } else {
        w.line(2, "Mounts:\n");
        for (path, from) in mounts {
            w.line(3, &format!("{path} from {from}\n"));
        }
    }
}

/// The projected service-account volume the API server adds to every pod.
fn api_access_volume(p: &Pod) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut v = (p.uid >> 64) as u64;
    let suffix: String = (0..5)
        .map(|_| {
            let c = ALPHABET[(v % ALPHABET.len() as u64) as usize] as char;
            v /= ALPHABET.len() as u64;
            c
        })
        .collect();
    format!("kube-api-access-{suffix}")
}

/// 64 hex digits derived from `text`: stands in for digests a simulation has none of.
fn made_up_digest(text: &str) -> String {
    let mut h = crate::sim::fnv1a64(text.as_bytes());
    (0..4)
        .map(|_| {
            // Mix each word before printing it so neighbouring words do not look alike.
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            format!("{h:016x}")
        })
        .collect()
}

/// A stable made-up digest for an image, as `Image ID` shows one.
pub fn image_id(image: &str) -> String {
    let repo = image.split(':').next().unwrap_or(image);
    let repo = if repo.contains('/') {
        repo.to_string()
    } else {
        format!("library/{repo}")
    };
    format!("docker.io/{repo}@sha256:{}", made_up_digest(image))
}

fn describe_container_state(w: &mut Prefixed, p: &Pod) {
    match p.container {
        ContainerState::Running(since) => {
            w.line(2, "State:\tRunning\n");
            w.line(3, &format!("Started:\t{}\n", rfc1123z(since)));
        }
        ContainerState::Waiting(reason) => {
            w.line(2, "State:\tWaiting\n");
            w.line(3, &format!("Reason:\t{reason}\n"));
        }
        ContainerState::Terminated(reason) => {
            let code = if reason == "Completed" { 0 } else { 1 };
            terminated(
                w,
                "State",
                reason,
                code,
                p.times.last_run_started,
                p.times.last_terminated,
            );
        }
    }
    if let (Some(finished), true) = (p.times.last_terminated, p.restarts > 0) {
        terminated(
            w,
            "Last State",
            "Error",
            1,
            p.times.last_run_started,
            Some(finished),
        );
    }
    w.line(
        2,
        &format!(
            "Ready:\t{}\n",
            if p.containers_ready() {
                "True"
            } else {
                "False"
            }
        ),
    );
    w.line(2, &format!("Restart Count:\t{}\n", p.restarts));
}

/// An init container's state: done (`Completed`, exit 0), running (a sidecar stays so,
/// Ready once started), or waiting its turn (`PodInitializing`).
fn describe_init_state(
    w: &mut Prefixed,
    p: &Pod,
    run: Option<crate::model::InitRun>,
    sidecar: bool,
) {
    let ready = match run {
        Some((started, Some(finished))) => {
            terminated(w, "State", "Completed", 0, Some(started), Some(finished));
            false
        }
        Some((started, None)) => {
            w.line(2, "State:\tRunning\n");
            w.line(3, &format!("Started:\t{}\n", rfc1123z(started)));
            sidecar && p.deletion.is_none()
        }
        None => {
            w.line(2, "State:\tWaiting\n");
            w.line(3, "Reason:\tPodInitializing\n");
            false
        }
    };
    w.line(
        2,
        &format!("Ready:\t{}\n", if ready { "True" } else { "False" }),
    );
    w.line(2, "Restart Count:\t0\n");
}

/// `describeStatus`' terminated state: reason, exit code, then `Started:` before `Finished:`.
fn terminated(
    w: &mut Prefixed,
    title: &str,
    reason: &str,
    exit_code: i32,
    started: Option<SimTime>,
    finished: Option<SimTime>,
) {
    let when = |t: Option<SimTime>| t.map_or_else(String::new, |t| rfc1123z(t.whole_seconds()));
    w.line(2, &format!("{title}:\tTerminated\n"));
    w.line(3, &format!("Reason:\t{reason}\n"));
    w.line(3, &format!("Exit Code:\t{exit_code}\n"));
    w.line(3, &format!("Started:\t{}\n", when(started)));
    w.line(3, &format!("Finished:\t{}\n", when(finished)));
}

/// Mirrors `describeVolumes` for the volume kinds manifests may declare here.
fn describe_volumes(w: &mut Prefixed, volumes: &[template::Volume], pod: Option<&Pod>) {
    if volumes.is_empty() && pod.is_none() {
        w.line(0, "  Volumes:\t<none>\n");
        return;
    }
    w.line(
        0,
        &format!("{}Volumes:\n", if pod.is_some() { "" } else { "  " }),
    );
    let indent = if pod.is_some() { "" } else { " " };
    for v in volumes {
        w.line(1, &format!("{indent}{}:\n", v.name));
        let field = |x: &serde_yaml::Value, k: &str| x.get(k).map(yaml_text).unwrap_or_default();
        if let Some(cm) = &v.config_map {
            let optional = cm
                .get("optional")
                .and_then(|o| o.as_bool())
                .unwrap_or(false);
            w.line(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n");
            w.line(2, &format!("Name:\t{}\n", field(cm, "name")));
            w.line(2, &format!("Optional:\t{optional}\n"));
        } else if let Some(s) = &v.secret {
            let optional = s.get("optional").and_then(|o| o.as_bool()).unwrap_or(false);
            w.line(2, "Type:\tSecret (a volume populated by a Secret)\n");
            w.line(2, &format!("SecretName:\t{}\n", field(s, "secretName")));
            w.line(2, &format!("Optional:\t{optional}\n"));
        } else if let Some(e) = &v.empty_dir {
            let size = e
                .get("sizeLimit")
                .map(yaml_text)
                .unwrap_or_else(|| "<unset>".into());
            w.line(
                2,
                "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n",
            );
            w.line(2, &format!("Medium:\t{}\n", field(e, "medium")));
            w.line(2, &format!("SizeLimit:\t{size}\n"));
        } else if let Some(h) = &v.host_path {
            w.line(2, "Type:\tHostPath (bare host directory volume)\n");
            w.line(2, &format!("Path:\t{}\n", field(h, "path")));
            w.line(2, &format!("HostPathType:\t{}\n", field(h, "type")));
        } else if let Some(c) = &v.persistent_volume_claim {
            let ro = c.get("readOnly").and_then(|o| o.as_bool()).unwrap_or(false);
            w.line(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n");
            w.line(2, &format!("ClaimName:\t{}\n", field(c, "claimName")));
            w.line(2, &format!("ReadOnly:\t{ro}\n"));
        } else {
            w.line(2, "<unknown>\n");
        }
    }
    if let Some(p) = pod {
        w.line(1, &format!("{}:\n", api_access_volume(p)));
        w.line(
            2,
            "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
        );
        w.line(2, "TokenExpirationSeconds:\t3607\n");
        w.line(2, "ConfigMapName:\tkube-root-ca.crt\n");
        w.line(2, "ConfigMapOptional:\t<nil>\n");
        w.line(2, "DownwardAPI:\ttrue\n");
    }
}

/// Mirrors `DescribePodTemplate`.
fn describe_pod_template(w: &mut Prefixed, t: &PodTemplateSpec) {
    w.line(0, "Pod Template:\n");
    labels_multiline(w, "  Labels", &t.metadata.labels);
    if !t.metadata.annotations.is_empty() {
        annotations_multiline(w, "  Annotations", &t.metadata.annotations);
    }
    if let Some(sa) = &t.spec.service_account_name {
        w.line(1, &format!("Service Account:\t{sa}\n"));
    }
    describe_containers(w, ("  ", true), &t.spec.init_containers, None);
    describe_containers(w, ("  ", false), &t.spec.containers, None);
    describe_volumes(w, &t.spec.volumes, None);
    if let Some(pc) = &t.spec.priority_class_name {
        w.line(1, &format!("Priority Class Name:\t{pc}\n"));
    }
    labels_multiline(w, "  Node-Selectors", &t.spec.node_selector);
    w.line(0, "  Tolerations:\t");
    if t.spec.tolerations.is_empty() {
        w.line(0, "<none>\n");
    } else {
        for (i, tol) in t.spec.tolerations.iter().enumerate() {
            if i > 0 {
                w.line(0, "\t");
            }
            w.line(0, &format!("{}\n", toleration_text(tol)));
        }
    }
}

/// One toleration as `printTolerationsMultilineWithIndent` writes it.
fn toleration_text(t: &crate::model::scheduling::Toleration) -> String {
    let mut s = t.key.clone();
    if !t.value.is_empty() {
        s.push('=');
        s.push_str(&t.value);
    }
    if !t.effect.is_empty() {
        s.push(':');
        s.push_str(&t.effect);
    }
    if t.operator == "Exists" && t.value.is_empty() {
        s.push_str(if t.key.is_empty() {
            "op=Exists"
        } else {
            " op=Exists"
        });
    }
    if let Some(secs) = t.toleration_seconds {
        s.push_str(&format!(" for {secs}s"));
    }
    s
}

/// `printTemplate` of `rollout history --revision`: the template block written straight to
/// a buffer, so its tabs are not aligned (kubectl prints them as they are).
pub fn pod_template_raw(t: &PodTemplateSpec) -> String {
    let mut raw = TabWriter::new(0, 0);
    describe_pod_template(&mut Prefixed(&mut raw), t);
    raw.into_raw()
}

/// The Events about an object as the API server holds them at `now` (see
/// [`events::stored_events`](super::events::stored_events)).
pub fn events_about<'a>(
    c: &'a Cluster,
    kind: &'a str,
    object: (&'a str, &'a str),
) -> Vec<StoredEvent<'a>> {
    let occurrences: Vec<&KubeEvent> = c.recorder.events_for(kind, object).collect();
    super::events::stored_events(&occurrences, c.now())
}

/// Mirrors `DescribeEvents` (flushes the columns above first).
fn describe_events(w: &mut TabWriter, out: &mut String, events: &[StoredEvent], now: SimTime) {
    if events.is_empty() {
        w.write("Events:\t<none>\n");
        return;
    }
    w.flush_into(out);
    w.write("Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write("  ----\t------\t----\t----\t-------\n");
    for e in events {
        let first = age(e.first_time.whole_seconds(), now);
        let interval = if e.count > 1 {
            format!(
                "{} (x{} over {first})",
                age(e.last_time.whole_seconds(), now),
                e.count
            )
        } else {
            first
        };
        // Since kubectl 1.35 a container's events name it before the message.
        let message = match e.first.field_path.as_str() {
            "" => e.message.trim().to_string(),
            path => format!("{path}: {}", e.message.trim()),
        };
        w.write(&format!(
            "  {}\t{}\t{interval}\t{}\t{message}\n",
            e.first.event_type.as_str(),
            e.first.reason,
            e.first.source,
        ));
    }
}

fn conditions(w: &mut Prefixed, conditions: &[Condition]) {
    if conditions.is_empty() {
        return;
    }
    w.line(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.line(1, "----\t------\t------\n");
    for c in conditions {
        w.line(
            1,
            &format!("{} \t{}\t{}\n", c.kind, c.status.as_str(), c.reason),
        );
    }
}

fn replica_sets_by_labels(list: &[&ReplicaSet]) -> String {
    if list.is_empty() {
        return "<none>".into();
    }
    list.iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                rs.meta.name, rs.status.replicas, rs.replicas
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Mirrors `describeDeployment`.
pub fn deployment(c: &Cluster, id: DeploymentId) -> String {
    let Some(d) = c.store.deployment(id) else {
        return String::new();
    };
    let now = c.now();
    let mut tw = for_describe();
    let mut out = String::new();
    {
        let w = &mut Prefixed(&mut tw);
        w.line(0, &format!("Name:\t{}\n", d.meta.name));
        w.line(0, &format!("Namespace:\t{}\n", d.meta.namespace));
        w.line(
            0,
            &format!("CreationTimestamp:\t{}\n", rfc1123z(d.meta.creation)),
        );
        labels_multiline(w, "Labels", &d.meta.labels);
        annotations_multiline(w, "Annotations", &d.meta.annotations);
        w.line(0, &format!("Selector:\t{}\n", d.spec.selector));
        deployment_replicas_and_strategy(w, d);
        describe_pod_template(w, &d.spec.template);
        conditions(w, &d.status.conditions);
        let (old, new) = old_and_new(c, id);
        if !old.is_empty() || new.is_some() {
            w.line(
                0,
                &format!("OldReplicaSets:\t{}\n", replica_sets_by_labels(&old)),
            );
            w.line(
                0,
                &format!(
                    "NewReplicaSet:\t{}\n",
                    replica_sets_by_labels(&new.into_iter().collect::<Vec<_>>())
                ),
            );
        }
    }
    describe_events(
        &mut tw,
        &mut out,
        &events_about(c, "deployment", (&d.meta.namespace, &d.meta.name)),
        now,
    );
    tw.flush_into(&mut out);
    out
}

/// `Replicas:`, `StrategyType:`, `MinReadySeconds:` and `RollingUpdateStrategy:`.
fn deployment_replicas_and_strategy(w: &mut Prefixed, d: &Deployment) {
    let s = &d.status;
    w.line(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            d.spec.replicas,
            s.updated_replicas,
            s.replicas,
            s.available_replicas,
            s.unavailable_replicas
        ),
    );
    w.line(
        0,
        &format!("StrategyType:\t{}\n", d.spec.strategy.type_name()),
    );
    w.line(
        0,
        &format!("MinReadySeconds:\t{}\n", d.spec.min_ready_seconds),
    );
    if let Strategy::RollingUpdate {
        max_surge,
        max_unavailable,
    } = d.spec.strategy
    {
        w.line(
            0,
            &format!(
                "RollingUpdateStrategy:\t{max_unavailable} max unavailable, {max_surge} max surge\n"
            ),
        );
    }
}

/// The Deployment's old ReplicaSets (oldest first) and its new one (`GetAllReplicaSets`).
pub fn old_and_new(c: &Cluster, id: DeploymentId) -> (Vec<&ReplicaSet>, Option<&ReplicaSet>) {
    let Some(d) = c.store.deployment(id) else {
        return (Vec::new(), None);
    };
    let mut all: Vec<&ReplicaSet> = c
        .store
        .replica_sets_of(id)
        .into_iter()
        .filter(|(_, rs)| rs.meta.deletion.is_none())
        .map(|(_, rs)| rs)
        .collect();
    all.sort_by(|a, b| (a.meta.creation, &a.meta.name).cmp(&(b.meta.creation, &b.meta.name)));
    let new_pos = all
        .iter()
        .position(|rs| rs.template.equal_ignore_hash(&d.spec.template));
    let new = new_pos.map(|i| all.remove(i));
    (all, new)
}

/// Mirrors `describeReplicaSet`.
pub fn replica_set(c: &Cluster, id: RsId) -> String {
    let Some(rs) = c.store.replica_set(id) else {
        return String::new();
    };
    let now = c.now();
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for (_, p) in c.store.pods_sorted() {
        if p.owner != id {
            continue;
        }
        match p.phase {
            PodPhase::Running => running += 1,
            PodPhase::Pending => waiting += 1,
            PodPhase::Succeeded => succeeded += 1,
            PodPhase::Failed => failed += 1,
            PodPhase::Unknown => {}
        }
    }
    let mut tw = for_describe();
    let mut out = String::new();
    {
        let w = &mut Prefixed(&mut tw);
        w.line(0, &format!("Name:\t{}\n", rs.meta.name));
        w.line(0, &format!("Namespace:\t{}\n", rs.meta.namespace));
        w.line(0, &format!("Selector:\t{}\n", rs.selector));
        labels_multiline(w, "Labels", &rs.meta.labels);
        annotations_multiline(w, "Annotations", &rs.meta.annotations);
        if let Some(d) = c.store.deployment(rs.owner) {
            w.line(0, &format!("Controlled By:\tDeployment/{}\n", d.meta.name));
        }
        w.line(
            0,
            &format!(
                "Replicas:\t{} current / {} desired\n",
                rs.status.replicas, rs.replicas
            ),
        );
        w.line(0, "Pods Status:\t");
        w.line(
            0,
            &format!(
                "{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n"
            ),
        );
        describe_pod_template(w, &rs.template);
    }
    describe_events(
        &mut tw,
        &mut out,
        &events_about(c, "replicaset", (&rs.meta.namespace, &rs.meta.name)),
        now,
    );
    tw.flush_into(&mut out);
    out
}

/// Mirrors `describePod` for the fields a simulated pod has.
pub fn pod(c: &Cluster, id: PodId) -> String {
    let p = c.store.pod(id);
    let now = c.now();
    let Some(rs) = c.store.replica_set(p.owner) else {
        return String::new();
    };
    let mut tw = for_describe();
    let mut out = String::new();
    {
        let w = &mut Prefixed(&mut tw);
        pod_header(w, c, p, rs);
        pod_status_and_ips(w, p, rs, now);
        w.line(0, &format!("Controlled By:\tReplicaSet/{}\n", rs.meta.name));
        let init = &rs.template.spec.init_containers;
        describe_containers(w, ("", true), init, Some((p, c)));
        describe_containers(w, ("", false), &rs.template.spec.containers, Some((p, c)));
        pod_conditions(w, p);
        describe_volumes(w, &rs.template.spec.volumes, Some(p));
        let qos = qos_class(&rs.template);
        w.line(0, &format!("QoS Class:\t{qos}\n"));
        labels_multiline(w, "Node-Selectors", &rs.template.spec.node_selector);
        pod_tolerations(w, &rs.template.spec.tolerations);
    }
    describe_events(
        &mut tw,
        &mut out,
        &events_about(c, "pod", (c.store.pod_namespace(p), &c.store.pod_name(p))),
        now,
    );
    tw.flush_into(&mut out);
    out
}

/// `describePod`'s first lines: name, namespace, priority, service account, node, start
/// time, labels and annotations.
fn pod_header(w: &mut Prefixed, c: &Cluster, p: &Pod, rs: &ReplicaSet) {
    w.line(0, &format!("Name:\t{}\n", c.store.pod_name(p)));
    w.line(0, &format!("Namespace:\t{}\n", c.store.pod_namespace(p)));
    w.line(0, "Priority:\t0\n");
    w.line(0, "Service Account:\tdefault\n");
    match p.node {
        Some(n) => {
            let node = c.store.node(n);
            w.line(
                0,
                &format!("Node:\t{}/{}\n", node.name, super::get::node_ip(n)),
            );
        }
        None => w.line(0, "Node:\t<none>\n"),
    }
    if let Some(t) = p.times.kubelet_start {
        w.line(0, &format!("Start Time:\t{}\n", rfc1123z(t)));
    }
    labels_multiline(w, "Labels", &rs.template.metadata.labels);
    annotations_multiline(w, "Annotations", &rs.template.metadata.annotations);
}

/// `Status:` (with `Terminating (lasts …)` and the grace period once deleted), `IP:` and
/// `IPs:`.
fn pod_status_and_ips(w: &mut Prefixed, p: &Pod, rs: &ReplicaSet, now: SimTime) {
    if let Some(t) = p.deletion {
        w.line(
            0,
            &format!("Status:\tTerminating (lasts {})\n", age(t, now)),
        );
        let grace = rs
            .template
            .spec
            .termination_grace_period_seconds
            .unwrap_or(30);
        w.line(0, &format!("Termination Grace Period:\t{grace}s\n"));
    } else {
        w.line(0, &format!("Status:\t{}\n", p.phase.as_str()));
    }
    let ip = super::get::pod_ip(p);
    w.line(0, &format!("IP:\t{}\n", ip.clone().unwrap_or_default()));
    match ip {
        Some(ip) => {
            w.line(0, "IPs:\n");
            w.line(0, &format!("  IP:\t{ip}\n"));
        }
        None => w.line(0, "IPs:\t<none>\n"),
    }
}

/// The pod's conditions in kubelet order (only `PodScheduled` before it is bound).
fn pod_conditions(w: &mut Prefixed, p: &Pod) {
    let scheduled = p.node.is_some();
    let started = p.times.started.is_some() && !matches!(p.container, ContainerState::Waiting(_));
    let sandbox = p.times.kubelet_start.is_some();
    let tf = |b: bool| if b { "True " } else { "False " };
    w.line(0, "Conditions:\n");
    w.line(0, "  Type\tStatus\n");
    if scheduled {
        w.line(1, &format!("PodReadyToStartContainers \t{}\n", tf(sandbox)));
        w.line(
            1,
            &format!("Initialized \t{}\n", tf(p.init_done >= p.init_total)),
        );
        w.line(1, &format!("Ready \t{}\n", tf(p.ready)));
        w.line(
            1,
            &format!(
                "ContainersReady \t{}\n",
                tf(p.containers_ready() && started)
            ),
        );
    }
    w.line(1, &format!("PodScheduled \t{}\n", tf(scheduled)));
}

/// `Tolerations:` as admitted: the `DefaultTolerationSeconds` plugin's two added unless
/// already covered, sorted.
fn pod_tolerations(w: &mut Prefixed, own: &[crate::model::scheduling::Toleration]) {
    w.line(0, "Tolerations:\t");
    let admitted = crate::model::scheduling::with_default_tolerations(own);
    let mut tolerations: Vec<String> = admitted.iter().map(toleration_text).collect();
    tolerations.sort();
    for (i, t) in tolerations.iter().enumerate() {
        if i > 0 {
            w.line(0, "\t");
        }
        w.line(0, &format!("{t}\n"));
    }
}

/// `GetPodQOS` for the requests and limits a template sets.
fn qos_class(t: &PodTemplateSpec) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for c in &t.spec.containers {
        match &c.resources {
            Some(r) if !r.requests.is_empty() || !r.limits.is_empty() => {
                any = true;
                for res in ["cpu", "memory"] {
                    let limit = r.limits.get(res);
                    let request = r.requests.get(res).or(limit);
                    if limit.is_none() || request != limit {
                        guaranteed = false;
                    }
                }
            }
            _ => guaranteed = false,
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}
