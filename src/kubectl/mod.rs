//! kubectl as the script sees it: each command runs against the simulated API server and
//! prints exactly what kubectl prints (standard output and standard error interleaved, as a
//! terminal shows them). Blocking `rollout status` is driven by the session player; its
//! texts live in [`rollout`].

pub mod describe;
pub mod drain;
pub mod endpoints;
pub mod events;
pub mod get;
pub mod human;
pub mod rollout;
pub mod tabwriter;

use crate::cluster::{Cluster, UndoOutcome};
use crate::model::manifest::Manifest;
use crate::scenario::{Kind, Kubectl, Scope};
use std::collections::BTreeMap;

/// What a command printed and whether it succeeded (exit status 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Everything printed, newline-terminated lines.
    pub text: String,
    /// Exit status 0.
    pub ok: bool,
}

impl Output {
    /// A successful command's output.
    pub fn ok(text: String) -> Self {
        Output { text, ok: true }
    }

    /// A failed command's output (its error message).
    pub fn error(text: String) -> Self {
        Output { text, ok: false }
    }

    fn push(&mut self, line: &str, ok: bool) {
        self.text.push_str(line);
        if !line.ends_with('\n') {
            self.text.push('\n');
        }
        self.ok &= ok;
    }
}

fn not_found(kind: Kind, name: &str) -> String {
    format!(
        "Error from server (NotFound): {} \"{name}\" not found\n",
        kind.resource()
    )
}

/// Runs a command that does not block. `manifests` holds every file a step names with `-f`.
pub fn execute(
    c: &mut Cluster,
    manifests: &BTreeMap<String, Vec<Manifest>>,
    command: &Kubectl,
    scope: &Scope,
) -> Output {
    let mut out = Output::ok(String::new());
    let ns = scope.namespace.as_str();
    match command {
        Kubectl::Apply { files } => apply(c, manifests, files, scope, &mut out),
        Kubectl::DeleteFiles { files } => delete_files(c, manifests, files, scope, &mut out),
        Kubectl::Delete { kind, names } => delete_named(c, *kind, ns, names, &mut out),
        Kubectl::CreateNamespace { name } => return create_namespace(c, name),
        Kubectl::Cordon { .. }
        | Kubectl::Uncordon { .. }
        | Kubectl::Taint { .. }
        | Kubectl::LabelNode { .. }
        | Kubectl::Drain { .. } => return node_command(c, command),
        Kubectl::RolloutPause { .. }
        | Kubectl::RolloutResume { .. }
        | Kubectl::RolloutRestart { .. }
        | Kubectl::RolloutUndo { .. }
        | Kubectl::RolloutHistory { .. }
        | Kubectl::RolloutStatus { .. } => rollout(c, command, ns, &mut out),
        Kubectl::Scale { .. }
        | Kubectl::SetImage { .. }
        | Kubectl::Annotate { .. }
        | Kubectl::SetEnv { .. }
        | Kubectl::SetResources { .. }
        | Kubectl::Patch { .. } => edit_deployment(c, command, ns, &mut out),
        Kubectl::Get(g) => return get::get_many(c, &g.kinds, &get::GetArgs::of(g, scope)),
        // Blocking: the player waits (see `play`); run here, it checks once.
        Kubectl::Wait { .. } => {}
        Kubectl::Describe {
            kind,
            names,
            selector,
            by_prefix,
        } => {
            let which = describe::Which {
                names,
                selector: selector.as_deref(),
                by_prefix: *by_prefix,
            };
            describe::run(c, kind.to_owned(), ns, &which, &mut out)
        }
        // A background job: the player keeps it (see `play`).
        Kubectl::PortForward { .. } => {}
    }
    out
}

/// `kubectl cordon|uncordon|taint|label|drain` on a node (nodes have no namespace).
fn node_command(c: &mut Cluster, command: &Kubectl) -> Output {
    match command {
        Kubectl::Cordon { node } => drain::cordon(c, node, true),
        Kubectl::Uncordon { node } => drain::cordon(c, node, false),
        Kubectl::Taint {
            node,
            add,
            remove,
            overwrite,
        } => drain::taint(c, node, (add, remove), *overwrite),
        Kubectl::LabelNode {
            node,
            set,
            remove,
            overwrite,
        } => drain::label(c, node, (set, remove), *overwrite),
        Kubectl::Drain { node, .. } => drain_once(c, node),
        _ => Output::ok(String::new()),
    }
}

/// `kubectl rollout pause|resume|restart|undo|history|status`.
fn rollout(c: &mut Cluster, command: &Kubectl, ns: &str, out: &mut Output) {
    match command {
        Kubectl::RolloutPause { name } => pause_or_resume(c, out, (ns, name), true),
        Kubectl::RolloutResume { name } => pause_or_resume(c, out, (ns, name), false),
        Kubectl::RolloutRestart { name } => {
            let stamp = human::rfc3339(c.now());
            let result = c.restart_deployment(ns, name, stamp).map(|_| "restarted");
            simple(out, result, name);
        }
        Kubectl::RolloutUndo { name, to_revision } => {
            if c.store.deployment_by_name(ns, name).is_some() {
                // Every Deployment here was made by `kubectl apply`; since 1.36 kubectl warns
                // (on standard error, before trying) that undo leaves its annotation behind.
                out.push(&apply_managed_undo_warning(name), true);
            }
            undo(c, out, (ns, name), *to_revision);
        }
        Kubectl::RolloutHistory { name, revision } => history(c, (ns, name), *revision, out),
        Kubectl::RolloutStatus { name, revision, .. } => {
            status_once(c, (ns, name), *revision, out);
        }
        _ => {}
    }
}

/// `kubectl scale|set image|set env|set resources|annotate|patch` on a Deployment.
fn edit_deployment(c: &mut Cluster, command: &Kubectl, ns: &str, out: &mut Output) {
    match command {
        Kubectl::Scale { name, replicas } => {
            let result = c.scale_deployment(ns, name, *replicas).map(|_| "scaled");
            simple(out, result, name);
        }
        Kubectl::SetImage { name, images } => set_image(c, ns, name, images, out),
        Kubectl::Annotate {
            name,
            pairs,
            overwrite,
        } => annotate(c, (ns, name), pairs, *overwrite, out),
        Kubectl::SetEnv {
            name,
            set,
            remove,
            container,
        } => {
            let result = c.set_env(ns, name, container.as_deref(), (set, remove));
            changed_line(out, result, name, "env updated");
        }
        Kubectl::SetResources {
            name,
            container,
            limits,
            requests,
        } => {
            let result = c.set_resources(ns, name, container.as_deref(), (limits, requests));
            changed_line(out, result, name, "resource requirements updated");
        }
        Kubectl::Patch { name, patch, merge } => {
            match c.patch_deployment(ns, name, patch, *merge) {
                Ok(true) => out.push(&format!("deployment.apps/{name} patched"), true),
                Ok(false) => out.push(&format!("deployment.apps/{name} patched (no change)"), true),
                Err(e) => out.push(&e.0, false),
            }
        }
        _ => {}
    }
}

/// Each object of the named manifest files, in order, as `kubectl -f` visits them, with
/// the namespace it goes to: its own, else `-n`'s. An object whose namespace disagrees with
/// `-n` is refused by kubectl, and one for a namespace that does not exist by the API
/// server (`verb`: `creating` or `deleting`).
fn for_each_manifest(
    c: &mut Cluster,
    (manifests, files): (&BTreeMap<String, Vec<Manifest>>, &[String]),
    (scope, verb): (&Scope, &str),
    out: &mut Output,
    mut each: impl FnMut(&mut Cluster, &Manifest, &str, &str, &mut Output),
) {
    for file in files {
        for m in manifests.get(file).map(Vec::as_slice).unwrap_or_default() {
            if let Manifest::Namespace(_) = m {
                // Cluster-scoped: no namespace of its own to check.
                each(c, m, "", file, out);
                continue;
            }
            match object_namespace(c, m, file, scope, verb) {
                Err(e) => out.push(&e, false),
                Ok(ns) => each(c, m, &ns, file, out),
            }
        }
    }
}

/// `kubectl apply -f FILE...`: each object created, configured or unchanged.
fn apply(
    c: &mut Cluster,
    manifests: &BTreeMap<String, Vec<Manifest>>,
    files: &[String],
    scope: &Scope,
    out: &mut Output,
) {
    let files = (manifests, files);
    for_each_manifest(c, files, (scope, "creating"), out, |c, m, ns, _, out| {
        let outcome = match m {
            Manifest::Deployment(d) => c.apply_deployment(ns, d),
            Manifest::Service(s) => Ok(c.apply_service(ns, s)),
            Manifest::ConfigMap(cm) => Ok(c.apply_config_map(ns, cm)),
            Manifest::PodDisruptionBudget(b) => c.apply_pdb(ns, b),
            Manifest::Namespace(n) => c.apply_namespace(n),
        };
        match outcome {
            Ok(o) => out.push(
                &format!("{}/{} {}", m.kind_prefix(), m.name(), o.as_str()),
                true,
            ),
            Err(e) => out.push(&e.0, false),
        }
    });
}

/// `kubectl delete -f FILE...`.
fn delete_files(
    c: &mut Cluster,
    manifests: &BTreeMap<String, Vec<Manifest>>,
    files: &[String],
    scope: &Scope,
    out: &mut Output,
) {
    let files = (manifests, files);
    for_each_manifest(c, files, (scope, "deleting"), out, |c, m, ns, file, out| {
        let (deleted, resource) = match m {
            Manifest::Namespace(n) => {
                let name = &n.metadata.name;
                return out.push(
                    &format!("error: deleting namespace \"{name}\" (and everything in it) is not simulated by rollsim"),
                    false,
                );
            }
            Manifest::Deployment(d) => (
                c.delete_deployment(ns, &d.metadata.name).is_ok(),
                "deployments.apps",
            ),
            Manifest::Service(s) => (c.delete_simple("service", ns, &s.metadata.name), "services"),
            Manifest::ConfigMap(cm) => (
                c.delete_simple("configmap", ns, &cm.metadata.name),
                "configmaps",
            ),
            Manifest::PodDisruptionBudget(b) => (
                c.delete_simple("poddisruptionbudget", ns, &b.metadata.name),
                "poddisruptionbudgets.policy",
            ),
        };
        if deleted {
            out.push(&deleted_line(m.kind_prefix(), m.name(), ns), true);
        } else {
            out.push(
                &format!(
                    "Error from server (NotFound): error when deleting \"{file}\": {resource} \"{}\" not found",
                    m.name()
                ),
                false,
            );
        }
    });
}

/// `kubectl delete deployment|service NAME...`.
fn delete_named(c: &mut Cluster, kind: Kind, ns: &str, names: &[String], out: &mut Output) {
    for name in names {
        let deleted = match kind {
            Kind::Deployment => c.delete_deployment(ns, name).is_ok(),
            Kind::Service => c.delete_simple("service", ns, name),
            _ => false,
        };
        let prefix = if kind == Kind::Deployment {
            "deployment.apps"
        } else {
            "service"
        };
        if deleted {
            out.push(&deleted_line(prefix, name, ns), true);
        } else {
            out.push(&not_found(kind, name), false);
        }
    }
}

/// `kubectl drain` without the clock (the player drives the blocking form): one eviction
/// pass.
fn drain_once(c: &mut Cluster, node: &str) -> Output {
    match drain::start_drain(c, node) {
        Ok((mut out, pods)) => {
            for p in pods {
                out.text.push_str(&drain::evict(c, p).0);
            }
            out
        }
        Err(out) => out,
    }
}

/// `kubectl set image deployment/NAME CONTAINER=IMAGE...`.
fn set_image(c: &mut Cluster, ns: &str, name: &str, images: &[(String, String)], out: &mut Output) {
    // One patch for every pair: a container that does not exist fails them all.
    let known = |k: &str| {
        c.store.deployment_by_name(ns, name).is_none_or(|(_, d)| {
            let spec = &d.spec.template.spec;
            k == "*"
                || spec
                    .containers
                    .iter()
                    .chain(&spec.init_containers)
                    .any(|x| x.name == k)
        })
    };
    if let Some((missing, _)) = images.iter().find(|(k, _)| !known(k)) {
        out.push(
            &format!("error: unable to find container named \"{missing}\""),
            false,
        );
        return;
    }
    let mut changed = false;
    for (container, image) in images {
        match c.set_image(ns, name, container, image) {
            Ok(ch) => changed |= ch,
            Err(e) => {
                out.push(&e.0, false);
                return;
            }
        }
    }
    if changed {
        out.push(&format!("deployment.apps/{name} image updated"), true);
    }
}

/// `kubectl annotate deployment NAME KEY=VALUE... [--overwrite]`.
fn annotate(
    c: &mut Cluster,
    (ns, name): (&str, &str),
    pairs: &[(String, String)],
    overwrite: bool,
    out: &mut Output,
) {
    for (k, v) in pairs {
        if let Err(e) = c.annotate_deployment(ns, name, k, v, overwrite) {
            out.push(&e.0, false);
            return;
        }
    }
    out.push(&format!("deployment.apps/{name} annotated"), true);
}

/// `kubectl rollout history deployment NAME [--revision=N]`.
fn history(c: &Cluster, (ns, name): (&str, &str), revision: i64, out: &mut Output) {
    match c.store.deployment_by_name(ns, name).map(|(id, _)| id) {
        None => out.push(&not_found(Kind::Deployment, name), false),
        Some(id) => match rollout::history(c, id, revision) {
            Ok(text) => out.text.push_str(&text),
            Err(e) => out.push(&e, false),
        },
    }
}

/// `kubectl rollout status --watch=false`: the status viewer's one answer.
fn status_once(c: &Cluster, (ns, name): (&str, &str), revision: i64, out: &mut Output) {
    match c.store.deployment_by_name(ns, name) {
        None => out.push(&not_found(Kind::Deployment, name), false),
        Some((_, d)) => match rollout::status(d, revision) {
            rollout::Status::Waiting(t) | rollout::Status::Done(t) => out.text.push_str(&t),
            rollout::Status::Failed(e) => out.push(&format!("error: {e}"), false),
        },
    }
}

/// The namespace an object from a file goes to: its own `metadata.namespace`, else `-n`'s.
/// kubectl refuses an object whose namespace disagrees with `-n` (`resource.Helper`'s
/// namespace check); the API server refuses one for a namespace that does not exist (the
/// NamespaceLifecycle admission plugin on create, NotFound on delete).
fn object_namespace(
    c: &Cluster,
    m: &Manifest,
    file: &str,
    scope: &Scope,
    verb: &str,
) -> Result<String, String> {
    let ns = match m.metadata().namespace.as_deref() {
        Some(own) if scope.explicit && own != scope.namespace => {
            return Err(format!(
                "error: the namespace from the provided object \"{own}\" does not match the namespace \"{}\". You must pass '--namespace={own}' to perform this operation.",
                scope.namespace
            ));
        }
        Some(own) => own,
        None => scope.namespace.as_str(),
    };
    if !c.store.namespaces.contains_key(ns) {
        return Err(format!(
            "Error from server (NotFound): error when {verb} \"{file}\": namespaces \"{ns}\" not found"
        ));
    }
    Ok(ns.to_string())
}

/// `kubectl create namespace NAME`.
fn create_namespace(c: &mut Cluster, name: &str) -> Output {
    if c.store.namespaces.contains_key(name) {
        return Output::error(format!(
            "Error from server (AlreadyExists): namespaces \"{name}\" already exists\n"
        ));
    }
    let now = c.now().whole_seconds();
    c.store.namespaces.insert(name.to_string(), now);
    Output::ok(format!("namespace/{name} created\n"))
}

/// `kubectl delete`'s line; since 1.34 it names the namespace of a namespaced object.
fn deleted_line(kind_prefix: &str, name: &str, ns: &str) -> String {
    format!("{kind_prefix} \"{name}\" deleted from {ns} namespace")
}

/// What `kubectl rollout undo` prints on standard error for an object `kubectl apply` made.
fn apply_managed_undo_warning(name: &str) -> String {
    format!(
        "Warning: resource deployments/{name} was previously managed with 'kubectl apply'. Rolling back will not update the kubectl.kubernetes.io/last-applied-configuration annotation, which may cause unexpected behavior on future 'kubectl apply' operations. Consider using 'kubectl apply' with your previous configuration file instead."
    )
}

/// `kubectl rollout undo`'s result line.
fn undo(c: &mut Cluster, out: &mut Output, (ns, name): (&str, &str), to_revision: i64) {
    match c.undo_deployment(ns, name, to_revision) {
            Ok(UndoOutcome::RolledBack) => {
                out.push(&format!("deployment.apps/{name} rolled back"), true)
            }
            Ok(UndoOutcome::Skipped(rev)) => out.push(
                &format!(
                    "deployment.apps/{name} skipped rollback (current template already matches revision {rev})"
                ),
                true,
            ),
            Err(e) => out.push(&e.0, false),
    }
}

/// `kubectl set env|resources`' line: printed only when the template changed.
fn changed_line(
    out: &mut Output,
    result: Result<bool, crate::model::manifest::ApiError>,
    name: &str,
    what: &str,
) {
    match result {
        Ok(true) => out.push(&format!("deployment.apps/{name} {what}"), true),
        Ok(false) => {}
        Err(e) => out.push(&e.0, false),
    }
}

fn simple(out: &mut Output, result: Result<&str, crate::model::manifest::ApiError>, name: &str) {
    match result {
        Ok(verb) => out.push(&format!("deployment.apps/{name} {verb}"), true),
        Err(e) => out.push(&e.0, false),
    }
}

fn pause_or_resume(c: &mut Cluster, out: &mut Output, (ns, name): (&str, &str), pause: bool) {
    match c.set_paused(ns, name, pause) {
        Ok(true) => out.push(
            &format!(
                "deployment.apps/{name} {}",
                if pause { "paused" } else { "resumed" }
            ),
            true,
        ),
        Ok(false) => out.push(
            &format!(
                "error: deployments.apps \"{name}\" {}",
                if pause {
                    "is already paused"
                } else {
                    "is not paused"
                }
            ),
            false,
        ),
        Err(e) => out.push(&e.0, false),
    }
}
