//! `kubectl get` tables (`pkg/printers/internalversion/printers.go`): the columns, the
//! `-o wide` extras, `-l` filtering and kubectl's texts for empty and missing results.

use super::Output;
use super::human::age;
use super::tabwriter::for_get;
use crate::cluster::Cluster;
use crate::model::selector::{matches_selector_arg, parse_selector_arg};
use crate::model::*;
use crate::scenario::{Kind, Scope};
use std::collections::BTreeMap;

/// The kubelet version nodes report.
pub const KUBELET_VERSION: &str = "v1.36.3";

/// A node's InternalIP, as kind hands them out (`172.18.0.2`, …).
pub fn node_ip(n: NodeId) -> String {
    let host = n.0 + 2;
    format!("172.18.{}.{}", host / 256, host % 256)
}

/// A pod's IP, once its sandbox exists.
pub fn pod_ip(p: &Pod) -> Option<String> {
    p.ip_text()
}

/// Mirrors `printPod`'s STATUS column for the states a simulated pod has.
pub fn pod_status(p: &Pod) -> &'static str {
    p.status_text()
}

/// What `kubectl get` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct GetArgs<'a> {
    #[allow(missing_docs)]
    pub kind: Kind,
    #[allow(missing_docs)]
    pub name: Option<&'a str>,
    /// `-o wide`
    pub wide: bool,
    /// `-l`
    pub selector: Option<&'a str>,
    /// `--show-labels`
    pub show_labels: bool,
    /// `--sort-by=.lastTimestamp`
    pub sort_by_last_timestamp: bool,
    /// `-n` / `-A`.
    pub scope: &'a Scope,
    /// Names are printed `deployment.apps/NAME`, as kubectl does when one `get` lists
    /// several types.
    pub prefixed: bool,
    /// The table unaligned, cells ending in tabs (for a watch, which aligns rows itself).
    pub raw: bool,
    /// Only the pods removed from the API at this very moment, in their last state (the
    /// objects of a watch's DELETED events).
    pub just_deleted: bool,
}

impl<'a> GetArgs<'a> {
    /// The arguments of a parsed `kubectl get` (its first type).
    pub fn of(g: &'a crate::scenario::GetCommand, scope: &'a Scope) -> Self {
        GetArgs {
            kind: g.kinds.first().copied().unwrap_or(Kind::Pod),
            name: g.name.as_deref(),
            wide: g.wide,
            selector: g.selector.as_deref(),
            show_labels: g.show_labels,
            sort_by_last_timestamp: g.sort_by_last_timestamp,
            scope,
            prefixed: false,
            raw: false,
            just_deleted: false,
        }
    }
}

/// `GroupVersionResource.String()` of a kind, as list errors name it.
fn group_version_resource(kind: Kind) -> &'static str {
    match kind {
        Kind::Deployment => "apps/v1, Resource=deployments",
        Kind::ReplicaSet => "apps/v1, Resource=replicasets",
        Kind::Pod => "/v1, Resource=pods",
        Kind::Node => "/v1, Resource=nodes",
        Kind::Service => "/v1, Resource=services",
        Kind::PodDisruptionBudget => "policy/v1, Resource=poddisruptionbudgets",
        Kind::Endpoints => "/v1, Resource=endpoints",
        Kind::EndpointSlice => "discovery.k8s.io/v1, Resource=endpointslices",
        Kind::Event => "/v1, Resource=events",
        Kind::Namespace => "/v1, Resource=namespaces",
    }
}

/// `labels.FormatLabels`: `k=v,k2=v2`, or `<none>`.
fn format_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// One `kubectl get` table being written: the rows so far, the options and the filters
/// (a name, a `-l` selector) every printer applies.
struct Listing<'a> {
    w: super::tabwriter::TabWriter,
    rows: usize,
    wide: bool,
    show_labels: bool,
    name: Option<&'a str>,
    terms: Option<Vec<(String, crate::model::selector::SelectorOp)>>,
    now: crate::sim::SimTime,
    /// The namespace listed, or `None` for every namespace (`-A`, which adds a NAMESPACE
    /// column to namespaced kinds).
    namespace: Option<&'a str>,
    /// `deployment.apps/` before each name, when several types are listed.
    prefix: Option<&'static str>,
    /// Pods removed at this moment instead of the live ones.
    just_deleted: bool,
}

impl Listing<'_> {
    /// The header: NAMESPACE with `-A`, the kind's columns, its `-o wide` ones, then LABELS
    /// when asked for.
    fn header(&mut self, columns: &str, wide_columns: &str) {
        if self.namespace.is_none() {
            self.w.write("NAMESPACE\t");
        }
        self.w.write(columns);
        if self.wide {
            self.w.write(wide_columns);
        }
        self.w
            .write(if self.show_labels { "\tLABELS\n" } else { "\n" });
    }

    /// Whether a namespaced object is listed; begins its row (with its NAMESPACE cell
    /// under `-A`) when it is.
    fn take(&mut self, ns: &str, name: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        if self.namespace.is_some_and(|want| want != ns) || !self.wants(name, labels) {
            return false;
        }
        if self.namespace.is_none() {
            self.w.write(&format!("{ns}\t"));
        }
        true
    }

    /// A NAME cell: the name, with its type when several types are listed.
    fn shown(&self, name: &str) -> String {
        match self.prefix {
            Some(p) => format!("{p}/{name}"),
            None => name.to_string(),
        }
    }

    /// Whether an object of this name and labels is listed (a pod's labels may be unknown).
    fn wants(&self, name: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.name.is_none_or(|want| want == name)
            && labels.is_none_or(|l| {
                self.terms
                    .as_ref()
                    .is_none_or(|t| matches_selector_arg(t, l))
            })
    }

    /// Ends a row begun with `write`, with its LABELS cell when asked for (`None` writes none).
    fn end_row(&mut self, labels: Option<&BTreeMap<String, String>>) {
        if let Some(l) = labels.filter(|_| self.show_labels) {
            self.w.write(&format!("\t{}", format_labels(l)));
        }
        self.w.write("\n");
        self.rows += 1;
    }
}

/// Runs `kubectl get`: the kind's own printer, or kubectl's texts for nothing found.
pub fn get(c: &Cluster, args: &GetArgs) -> Output {
    let kind = args.kind;
    match kind {
        Kind::Endpoints => return super::endpoints::get_endpoints(c, args),
        Kind::EndpointSlice => return super::endpoints::get_endpoint_slices(c, args),
        Kind::Event => return super::events::get_events(c, args),
        _ => {}
    }
    if args.scope.all && args.name.is_some() {
        return Output::error(
            "error: a resource cannot be retrieved by name across all namespaces\n".into(),
        );
    }
    let terms = match args.selector.map(parse_selector_arg).transpose() {
        Ok(t) => t,
        // The API server parses the selector; cli-runtime's `EnhanceListError` says where.
        Err(e) => {
            return Output::error(format!(
                "Error from server (BadRequest): Unable to find \"{}\" that match label selector \"{}\", field selector \"\": {e}\n",
                group_version_resource(kind),
                args.selector.unwrap_or_default()
            ));
        }
    };
    let mut l = Listing {
        w: for_get(),
        rows: 0,
        wide: args.wide,
        show_labels: args.show_labels,
        name: args.name,
        terms,
        now: c.now(),
        namespace: (!args.scope.all || matches!(kind, Kind::Node | Kind::Namespace))
            .then_some(args.scope.namespace.as_str()),
        prefix: args.prefixed.then(|| kind_prefix(kind)),
        just_deleted: args.just_deleted,
    };
    if args.just_deleted && kind != Kind::Pod {
        return Output::ok(no_resources(args.scope, kind));
    }
    match kind {
        Kind::Deployment => print_deployments(c, &mut l),
        Kind::ReplicaSet => print_replica_sets(c, &mut l),
        Kind::Pod => print_pods(c, &mut l),
        Kind::Node => print_nodes(c, &mut l),
        Kind::Service => print_services(c, &mut l),
        Kind::PodDisruptionBudget => print_pdbs(c, &mut l),
        Kind::Namespace => print_namespaces(c, &mut l),
        // Printed above by their own printers.
        Kind::Endpoints | Kind::EndpointSlice | Kind::Event => {}
    }
    if l.rows == 0 {
        return match args.name {
            Some(n) => Output::error(format!(
                "Error from server (NotFound): {} \"{n}\" not found\n",
                kind.resource()
            )),
            None => Output::ok(no_resources(args.scope, kind)),
        };
    }
    Output::ok(if args.raw {
        l.w.into_raw()
    } else {
        l.w.finish()
    })
}

/// The type before a name in `get` output listing several types (and in `wait`, `patch`
/// and `set` lines): `deployment.apps`, `pod`.
pub fn kind_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Deployment => "deployment.apps",
        Kind::ReplicaSet => "replicaset.apps",
        Kind::Pod => "pod",
        Kind::Node => "node",
        Kind::Service => "service",
        Kind::PodDisruptionBudget => "poddisruptionbudget.policy",
        Kind::Endpoints => "endpoints",
        Kind::EndpointSlice => "endpointslice.discovery.k8s.io",
        Kind::Event => "event",
        Kind::Namespace => "namespace",
    }
}

/// `kubectl get TYPE,TYPE…`: each type's table in turn, a blank line between them, names
/// with their types; kubectl's empty-list text only when every table is empty.
pub fn get_many(c: &Cluster, kinds: &[Kind], args: &GetArgs) -> Output {
    if kinds.len() == 1 {
        return get(
            c,
            &GetArgs {
                kind: kinds[0],
                ..*args
            },
        );
    }
    let mut out = Output::ok(String::new());
    let mut printed = false;
    for &kind in kinds {
        let one = get(
            c,
            &GetArgs {
                kind,
                prefixed: true,
                ..*args
            },
        );
        if one.text.starts_with("No resources found") {
            continue;
        }
        if printed && one.ok {
            out.text.push('\n');
        }
        printed |= one.ok;
        out.ok &= one.ok;
        out.text.push_str(&one.text);
    }
    if !printed && out.ok {
        out.text = no_resources(args.scope, kinds[0]);
    }
    out
}

/// kubectl's text for an empty list: cluster-scoped kinds and `-A` name no namespace.
pub fn no_resources(scope: &Scope, kind: Kind) -> String {
    if scope.all || matches!(kind, Kind::Node | Kind::Namespace) {
        "No resources found\n".into()
    } else {
        format!("No resources found in {} namespace.\n", scope.namespace)
    }
}

/// `printNamespace`: every namespace here is Active.
fn print_namespaces(c: &Cluster, l: &mut Listing) {
    l.header("NAME\tSTATUS\tAGE", "");
    for (name, created) in &c.store.namespaces {
        if !l.wants(name, Some(&BTreeMap::new())) {
            continue;
        }
        l.w.write(&format!(
            "{}\tActive\t{}",
            l.shown(name),
            age(*created, l.now)
        ));
        l.end_row(Some(&BTreeMap::new()));
    }
}

/// `printDeployment`.
fn print_deployments(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tREADY\tUP-TO-DATE\tAVAILABLE\tAGE",
        "\tCONTAINERS\tIMAGES\tSELECTOR",
    );
    for (_, d) in c.store.deployments_sorted() {
        if !l.take(&d.meta.namespace, &d.meta.name, Some(&d.meta.labels)) {
            continue;
        }
        l.w.write(&format!(
            "{}\t{}/{}\t{}\t{}\t{}",
            l.shown(&d.meta.name),
            d.status.ready_replicas,
            d.spec.replicas,
            d.status.updated_replicas,
            d.status.available_replicas,
            age(d.meta.creation, l.now)
        ));
        write_wide(
            &mut l.w,
            l.wide,
            &d.spec.template,
            &d.spec.selector.to_string(),
        );
        l.end_row(Some(&d.meta.labels));
    }
}

/// `printReplicaSet`.
fn print_replica_sets(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tDESIRED\tCURRENT\tREADY\tAGE",
        "\tCONTAINERS\tIMAGES\tSELECTOR",
    );
    for (_, rs) in c.store.replica_sets_sorted() {
        if !l.take(&rs.meta.namespace, &rs.meta.name, Some(&rs.meta.labels)) {
            continue;
        }
        l.w.write(&format!(
            "{}\t{}\t{}\t{}\t{}",
            l.shown(&rs.meta.name),
            rs.replicas,
            rs.status.replicas,
            rs.status.ready_replicas,
            age(rs.meta.creation, l.now)
        ));
        write_wide(&mut l.w, l.wide, &rs.template, &rs.selector.to_string());
        l.end_row(Some(&rs.meta.labels));
    }
}

/// `printPod`: READY counts ready containers, RESTARTS says when the last one exited.
fn print_pods(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tREADY\tSTATUS\tRESTARTS\tAGE",
        "\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES",
    );
    let pods = if l.just_deleted {
        c.store.pods_sorted_by(|p| p.times.gone == Some(l.now))
    } else {
        c.store.pods_sorted()
    };
    for (_, p) in pods {
        let labels = c.store.pod_labels(p);
        let name = c.store.pod_name(p);
        if !l.take(c.store.pod_namespace(p), &name, labels) {
            continue;
        }
        let (containers, ready) = ready_containers(c, p);
        // `printPod`: `3 (20s ago)` once a container has exited.
        let restarts = match p.times.last_terminated {
            Some(t) if p.restarts > 0 => {
                format!("{} ({} ago)", p.restarts, age(t.whole_seconds(), l.now))
            }
            _ => p.restarts.to_string(),
        };
        l.w.write(&format!(
            "{}\t{ready}/{containers}\t{}\t{restarts}\t{}",
            l.shown(&name),
            pod_status(p),
            age(p.creation, l.now)
        ));
        if l.wide {
            let node = p
                .node
                .map_or("<none>".to_string(), |n| c.store.node(n).name.clone());
            l.w.write(&format!(
                "\t{}\t{node}\t<none>\t<none>",
                pod_ip(p).unwrap_or_else(|| "<none>".into())
            ));
        }
        l.end_row(labels);
    }
}

/// `printPod`'s READY cell: ready containers of all the app containers and sidecars
/// (restartable init containers count in both); a started sidecar is ready while the
/// others still initialize.
pub fn ready_containers(c: &Cluster, p: &Pod) -> (usize, usize) {
    let Some(spec) = c.store.replica_set(p.owner).map(|rs| &rs.template.spec) else {
        return (0, 1);
    };
    let sidecars = spec.init_containers.iter().filter(|k| k.is_sidecar());
    let total = spec.containers.len() + sidecars.clone().count();
    if p.containers_ready() {
        return (total, total);
    }
    // A sidecar counts once started (its startup probe passed), which is when the next
    // init container may begin.
    let running_sidecars = spec
        .init_containers
        .iter()
        .take(p.init_done.into())
        .filter(|k| k.is_sidecar())
        .count();
    let ready = if p.deletion.is_none() {
        running_sidecars
    } else {
        0
    };
    (total, ready)
}

/// `printNode`: STATUS with `SchedulingDisabled` when cordoned.
fn print_nodes(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tSTATUS\tROLES\tAGE\tVERSION",
        "\tINTERNAL-IP\tEXTERNAL-IP\tOS-IMAGE\tKERNEL-VERSION\tCONTAINER-RUNTIME",
    );
    for (name, id) in &c.store.node_names {
        let n = c.store.node(*id);
        if !l.wants(name, Some(&n.labels)) {
            continue;
        }
        let mut status = if n.ready { "Ready" } else { "NotReady" }.to_string();
        if n.unschedulable {
            status.push_str(",SchedulingDisabled");
        }
        l.w.write(&format!(
            "{}\t{status}\t<none>\t{}\t{KUBELET_VERSION}",
            l.shown(name),
            age(n.creation, l.now)
        ));
        if l.wide {
            l.w.write(&format!(
                "\t{}\t<none>\tDebian GNU/Linux 12 (bookworm)\t6.8.0-rollsim\tcontainerd://2.3.1",
                node_ip(*id)
            ));
        }
        l.end_row(Some(&n.labels));
    }
}

/// `printService`: PORT(S) with node ports, `<pending>` for a LoadBalancer's address.
fn print_services(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE",
        "\tSELECTOR",
    );
    for ((ns, name), s) in &c.store.services {
        if !l.take(ns, name, Some(&s.meta.labels)) {
            continue;
        }
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| match p.node_port {
                Some(np) => format!("{}:{np}/{}", p.port, p.protocol),
                None => format!("{}/{}", p.port, p.protocol),
            })
            .collect();
        let external = if s.service_type == "LoadBalancer" {
            "<pending>"
        } else {
            "<none>"
        };
        let or_none = |v: Vec<String>| {
            if v.is_empty() {
                "<none>".to_string()
            } else {
                v.join(",")
            }
        };
        l.w.write(&format!(
            "{}\t{}\t{}\t{external}\t{}\t{}",
            l.shown(name),
            s.service_type,
            s.cluster_ip,
            or_none(ports),
            age(s.meta.creation, l.now)
        ));
        if l.wide {
            let sel = s.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
            l.w.write(&format!("\t{}", or_none(sel)));
        }
        // The LABELS cell is left out for Services, as before.
        l.end_row(None);
    }
}

/// `printPodDisruptionBudget`.
fn print_pdbs(c: &Cluster, l: &mut Listing) {
    l.header(
        "NAME\tMIN AVAILABLE\tMAX UNAVAILABLE\tALLOWED DISRUPTIONS\tAGE",
        "",
    );
    for ((ns, name), b) in &c.store.pdbs {
        if !l.take(ns, name, Some(&b.meta.labels)) {
            continue;
        }
        let shown =
            |v: Option<crate::model::IntOrPercent>| v.map_or("N/A".to_string(), |v| v.to_string());
        l.w.write(&format!(
            "{}\t{}\t{}\t{}\t{}",
            l.shown(name),
            shown(b.min_available),
            shown(b.max_unavailable),
            c.pdb_status(b).disruptions_allowed,
            age(b.meta.creation, l.now)
        ));
        l.end_row(Some(&b.meta.labels));
    }
}

fn write_wide(
    w: &mut super::tabwriter::TabWriter,
    wide: bool,
    t: &PodTemplateSpec,
    selector: &str,
) {
    if wide {
        let names: Vec<&str> = t.spec.containers.iter().map(|c| c.name.as_str()).collect();
        let images: Vec<&str> = t.spec.containers.iter().map(|c| c.image.as_str()).collect();
        w.write(&format!(
            "\t{}\t{}\t{selector}",
            names.join(","),
            images.join(",")
        ));
    }
}
