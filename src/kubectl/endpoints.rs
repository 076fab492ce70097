//! `kubectl get endpoints`, `kubectl get endpointslices` and `kubectl describe service`: three
//! views of one set of endpoints with different filters — slices list every endpoint
//! (terminating ones included), Endpoints and describe's `Endpoints:` line only ready ones
//! (`pkg/printers/internalversion/printers.go` formatEndpoints and
//! formatDiscoveryEndpoints; `kubectl/pkg/describe` describeService).

use super::Output;
use super::get::GetArgs;
use super::human::age;
use super::tabwriter::{for_describe, for_get};
use crate::cluster::Cluster;
use crate::controllers::endpoint_slice::{
    Endpoint, MAX_ENDPOINTS_PER_SLICE, PodFacts, pod_to_endpoint,
};
use crate::model::{IntOrString, Service};
use crate::sim::{SimTime, fnv1a64};
use std::net::Ipv4Addr;

/// How many addresses the printers show before `+ N more...`.
const SHOWN: usize = 3;

/// The Endpoints deprecation warning the API server attaches since v1.33.
pub const ENDPOINTS_WARNING: &str =
    "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n";

/// A Service's endpoints as the EndpointSlice controller published them (when traffic is
/// modelled), else as it would publish them now; with the time the slices were created.
fn endpoints_of(c: &Cluster, svc: &Service) -> (Vec<Endpoint>, SimTime) {
    if svc.selector.is_empty() {
        return (Vec::new(), svc.meta.creation);
    }
    if let Some(t) = c.traffic() {
        let key = crate::model::object_key(&svc.meta.namespace, &svc.meta.name);
        return t.endpoints.get(&key).map_or_else(
            || (Vec::new(), svc.meta.creation),
            |e| {
                let created = e.created.unwrap_or(svc.meta.creation).whole_seconds();
                ((*e.endpoints).clone(), created)
            },
        );
    }
    let eps = c
        .store
        .live_pods_matching(&svc.meta.namespace, |l| svc.selects(l))
        .into_iter()
        .filter_map(|p| {
            let facts = PodFacts::of(p, c.store.pod(p));
            pod_to_endpoint(&facts, svc.publish_not_ready_addresses)
        })
        .collect();
    (eps, svc.meta.creation)
}

/// The port number a Service port reaches on its pods (a named target port resolved on the
/// first pod's containers).
fn target_port(c: &Cluster, svc: &Service, port: usize, eps: &[Endpoint]) -> Option<i32> {
    let sp = svc.ports.get(port)?;
    if let IntOrString::Int(n) = sp.target_port {
        return i32::try_from(n).ok();
    }
    let pod = c.store.pod(eps.first()?.pod);
    let rs = c.store.replica_set(pod.owner)?;
    sp.target_number(&rs.template.spec.containers)
}

fn ip(e: &Endpoint) -> String {
    Ipv4Addr::from(e.ip).to_string()
}

/// `ip:port` of the first three, then ` + N more...`.
fn shortened(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(",");
    if items.len() > SHOWN {
        text.push_str(&format!(" + {} more...", items.len() - SHOWN));
    }
    text
}

/// The ready endpoints of port `port`, as `ip:port` (formatEndpoints /
/// formatEndpointSlices: ready or unset `ready` only).
fn ready_addresses(c: &Cluster, svc: &Service, port: usize, eps: &[Endpoint]) -> Vec<String> {
    let Some(p) = target_port(c, svc, port, eps) else {
        return Vec::new();
    };
    eps.iter()
        .filter(|e| e.ready)
        .map(|e| format!("{}:{p}", ip(e)))
        .collect()
}

/// The API server's own endpoint: the first node's address (a single control plane).
fn apiserver_address() -> String {
    super::get::node_ip(crate::model::NodeId(0))
}

/// What `kubectl get` prints when nothing is listed: NotFound for a name, else that the
/// namespace has none.
fn nothing_listed(resource: &str, args: &GetArgs) -> Output {
    match args.name {
        Some(n) => Output::error(format!(
            "Error from server (NotFound): {resource} \"{n}\" not found\n"
        )),
        None => Output::ok(super::get::no_resources(args.scope, args.kind)),
    }
}

/// Whether this is the API server's own `default/kubernetes` Service.
fn is_apiserver_service(svc: &Service) -> bool {
    svc.meta.namespace == crate::model::DEFAULT_NAMESPACE && svc.meta.name == "kubernetes"
}

/// The Services a listing covers (one namespace, or all with `-A`), and a row's
/// NAMESPACE cell (empty unless `-A`).
fn services_listed<'a>(
    c: &'a Cluster,
    scope: &'a crate::scenario::Scope,
) -> impl Iterator<Item = (String, &'a Service)> + 'a {
    c.store
        .services
        .iter()
        .filter(move |((ns, _), _)| scope.all || *ns == scope.namespace)
        .map(move |((ns, _), s)| {
            let cell = if scope.all {
                format!("{ns}\t")
            } else {
                String::new()
            };
            (cell, s)
        })
}

/// `kubectl get endpoints [NAME]`.
pub fn get_endpoints(c: &Cluster, args: &GetArgs) -> Output {
    let (name, now) = (args.name, c.now());
    let mut w = for_get();
    if args.scope.all {
        w.write("NAMESPACE\t");
    }
    w.write("NAME\tENDPOINTS\tAGE\n");
    let mut rows = 0;
    for (ns_cell, svc) in services_listed(c, args.scope) {
        if name.is_some_and(|n| n != svc.meta.name) {
            continue;
        }
        rows += 1;
        let cell = if is_apiserver_service(svc) {
            format!("{}:6443", apiserver_address())
        } else {
            let (eps, _) = endpoints_of(c, svc);
            endpoints_cell(c, svc, &eps)
        };
        w.write(&format!(
            "{ns_cell}{}\t{cell}\t{}\n",
            svc.meta.name,
            age(svc.meta.creation, now)
        ));
    }
    let mut out = if rows == 0 {
        nothing_listed("endpoints", args)
    } else {
        Output::ok(w.finish())
    };
    out.text.insert_str(0, ENDPOINTS_WARNING);
    out
}

/// The ENDPOINTS cell: `<none>` without subsets (no endpoint at all), empty when only
/// not-ready addresses exist; terminating pods are not in Endpoints.
fn endpoints_cell(c: &Cluster, svc: &Service, eps: &[Endpoint]) -> String {
    let listed: Vec<Endpoint> = eps.iter().filter(|e| !e.terminating).copied().collect();
    if listed.is_empty() {
        return "<none>".into();
    }
    let addresses: Vec<String> = (0..svc.ports.len())
        .flat_map(|i| ready_addresses(c, svc, i, &listed))
        .collect();
    shortened(&addresses)
}

/// The name of slice `i` of a Service: `<service>-` and five characters, derived from the
/// Service's UID so that naming draws nothing from any random stream.
pub fn slice_name(svc: &Service, i: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = fnv1a64(&[svc.meta.uid.to_le_bytes(), (i as u128).to_le_bytes()].concat());
    let mut name = format!("{}-", svc.meta.name);
    for _ in 0..5 {
        name.push(ALPHABET[(h % ALPHABET.len() as u64) as usize] as char);
        h /= ALPHABET.len() as u64;
    }
    name
}

/// `kubectl get endpointslices [NAME]`.
pub fn get_endpoint_slices(c: &Cluster, args: &GetArgs) -> Output {
    let (name, now) = (args.name, c.now());
    let mut w = for_get();
    if args.scope.all {
        w.write("NAMESPACE\t");
    }
    w.write("NAME\tADDRESSTYPE\tPORTS\tENDPOINTS\tAGE\n");
    let mut rows = 0;
    for (ns_cell, svc) in services_listed(c, args.scope) {
        for (slice, ports, addresses, created) in slices_of(c, svc) {
            if name.is_some_and(|n| n != slice) {
                continue;
            }
            rows += 1;
            let unset = |s: String| if s.is_empty() { "<unset>".into() } else { s };
            w.write(&format!(
                "{ns_cell}{slice}\tIPv4\t{}\t{}\t{}\n",
                unset(shortened(&ports)),
                unset(shortened(&addresses)),
                age(created, now)
            ));
        }
    }
    if rows == 0 {
        return nothing_listed("endpointslices.discovery.k8s.io", args);
    }
    Output::ok(w.finish())
}

/// Each slice of a Service: name, port numbers, addresses (all endpoints), creation.
fn slices_of(c: &Cluster, svc: &Service) -> Vec<(String, Vec<String>, Vec<String>, SimTime)> {
    if is_apiserver_service(svc) {
        return vec![(
            "kubernetes".into(),
            vec!["6443".into()],
            vec![apiserver_address()],
            svc.meta.creation,
        )];
    }
    if svc.selector.is_empty() {
        return Vec::new();
    }
    let (eps, created) = endpoints_of(c, svc);
    if eps.is_empty() {
        return vec![(slice_name(svc, 0), Vec::new(), Vec::new(), created)];
    }
    let ports: Vec<String> = (0..svc.ports.len())
        .filter_map(|i| target_port(c, svc, i, &eps))
        .map(|p| p.to_string())
        .collect();
    eps.chunks(MAX_ENDPOINTS_PER_SLICE)
        .enumerate()
        .map(|(i, chunk)| {
            let addresses = chunk.iter().map(ip).collect();
            (slice_name(svc, i), ports.clone(), addresses, created)
        })
        .collect()
}

/// `kubectl describe service NAME`.
pub fn describe_service(c: &Cluster, svc: &Service) -> String {
    let mut w = for_describe();
    w.write(&format!("Name:\t{}\n", svc.meta.name));
    w.write(&format!("Namespace:\t{}\n", svc.meta.namespace));
    let mut out = String::new();
    super::describe::labels_and_annotations(&mut w, &svc.meta.labels, &svc.meta.annotations);
    let selector: Vec<String> = svc
        .selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    w.write(&format!("Selector:\t{}\n", selector.join(",")));
    w.write(&format!("Type:\t{}\n", svc.service_type));
    w.write("IP Family Policy:\tSingleStack\nIP Families:\tIPv4\n");
    w.write(&format!(
        "IP:\t{}\nIPs:\t{}\n",
        svc.cluster_ip, svc.cluster_ip
    ));
    let (eps, _) = endpoints_of(c, svc);
    for (i, p) in svc.ports.iter().enumerate() {
        let name = p
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or("<unset>");
        w.write(&format!("Port:\t{name}\t{}/{}\n", p.port, p.protocol));
        let target = match &p.target_port {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::Str(s) => s.clone(),
        };
        w.write(&format!("TargetPort:\t{target}/{}\n", p.protocol));
        if let Some(np) = p.node_port {
            w.write(&format!("NodePort:\t{name}\t{np}/{}\n", p.protocol));
        }
        let cell = if is_apiserver_service(svc) {
            format!("{}:6443", apiserver_address())
        } else if eps.is_empty() && svc.selector.is_empty() {
            "<none>".into()
        } else {
            shortened(&ready_addresses(c, svc, i, &eps))
        };
        w.write(&format!("Endpoints:\t{cell}\n"));
    }
    w.write("Session Affinity:\tNone\n");
    if svc.service_type == "NodePort" || svc.service_type == "LoadBalancer" {
        w.write("External Traffic Policy:\tCluster\n");
    }
    w.write("Internal Traffic Policy:\tCluster\n");
    w.write("Events:\t<none>\n");
    out.push_str(&w.finish());
    out
}
