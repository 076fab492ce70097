//! `kubectl get` tables (`pkg/printers/internalversion/printers.go`): the columns, the
//! `-o wide` extras, `-l` filtering and kubectl's texts for empty and missing results.

use super::Output;
use super::human::age;
use super::tabwriter::for_get;
use crate::cluster::Cluster;
use crate::model::selector::{matches_selector_arg, parse_selector_arg};
use crate::model::*;
use crate::scenario::Kind;
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

/// Runs `kubectl get`.
pub fn get(c: &Cluster, args: &GetArgs) -> Output {
    let GetArgs {
        kind,
        name,
        wide,
        selector,
        show_labels,
        ..
    } = *args;
    let labels_col = |labels: &BTreeMap<String, String>| {
        if show_labels {
            format!("\t{}", format_labels(labels))
        } else {
            String::new()
        }
    };
    match kind {
        Kind::Endpoints => return super::endpoints::get_endpoints(c, name),
        Kind::EndpointSlice => return super::endpoints::get_endpoint_slices(c, name),
        Kind::Event => return super::events::get_events(c, name, args.sort_by_last_timestamp),
        _ => {}
    }
    let header_end = if show_labels { "\tLABELS\n" } else { "\n" };
    let terms = match selector.map(parse_selector_arg).transpose() {
        Ok(t) => t,
        // The API server parses the selector; cli-runtime's `EnhanceListError` says where.
        Err(e) => {
            return Output::error(format!(
                "Error from server (BadRequest): Unable to find \"{}\" that match label selector \"{}\", field selector \"\": {e}\n",
                group_version_resource(kind),
                selector.unwrap_or_default()
            ));
        }
    };
    let keep = |labels: &BTreeMap<String, String>| {
        terms
            .as_ref()
            .is_none_or(|t| matches_selector_arg(t, labels))
    };
    let named = |n: &str| name.is_none_or(|want| want == n);
    let now = c.now();
    let mut w = for_get();
    let mut rows = 0;
    match kind {
        // Printed above by their own printers.
        Kind::Endpoints | Kind::EndpointSlice | Kind::Event => {}
        Kind::Deployment => {
            w.write("NAME\tREADY\tUP-TO-DATE\tAVAILABLE\tAGE");
            w.write(if wide {
                "\tCONTAINERS\tIMAGES\tSELECTOR"
            } else {
                ""
            });
            w.write(header_end);
            for (_, d) in c.store.deployments_sorted() {
                if !named(&d.meta.name) || !keep(&d.meta.labels) {
                    continue;
                }
                rows += 1;
                w.write(&format!(
                    "{}\t{}/{}\t{}\t{}\t{}",
                    d.meta.name,
                    d.status.ready_replicas,
                    d.spec.replicas,
                    d.status.updated_replicas,
                    d.status.available_replicas,
                    age(d.meta.creation, now)
                ));
                write_wide(&mut w, wide, &d.spec.template, &d.spec.selector.to_string());
                w.write(&labels_col(&d.meta.labels));
                w.write("\n");
            }
        }
        Kind::ReplicaSet => {
            w.write("NAME\tDESIRED\tCURRENT\tREADY\tAGE");
            w.write(if wide {
                "\tCONTAINERS\tIMAGES\tSELECTOR"
            } else {
                ""
            });
            w.write(header_end);
            for (_, rs) in c.store.replica_sets_sorted() {
                if !named(&rs.meta.name) || !keep(&rs.meta.labels) {
                    continue;
                }
                rows += 1;
                w.write(&format!(
                    "{}\t{}\t{}\t{}\t{}",
                    rs.meta.name,
                    rs.replicas,
                    rs.status.replicas,
                    rs.status.ready_replicas,
                    age(rs.meta.creation, now)
                ));
                write_wide(&mut w, wide, &rs.template, &rs.selector.to_string());
                w.write(&labels_col(&rs.meta.labels));
                w.write("\n");
            }
        }
        Kind::Pod => {
            w.write("NAME\tREADY\tSTATUS\tRESTARTS\tAGE");
            w.write(if wide {
                "\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES"
            } else {
                ""
            });
            w.write(header_end);
            for (_, p) in c.store.pods_sorted() {
                let labels = c.store.pod_labels(p);
                let name = c.store.pod_name(p);
                if !named(&name) || !labels.is_none_or(&keep) {
                    continue;
                }
                rows += 1;
                let containers = c
                    .store
                    .replica_set(p.owner)
                    .map_or(1, |rs| rs.template.spec.containers.len());
                let ready = if p.containers_ready() { containers } else { 0 };
                // `printPod`: `3 (20s ago)` once a container has exited.
                let restarts = match p.times.last_terminated {
                    Some(t) if p.restarts > 0 => {
                        format!("{} ({} ago)", p.restarts, age(t.whole_seconds(), now))
                    }
                    _ => p.restarts.to_string(),
                };
                w.write(&format!(
                    "{name}\t{ready}/{containers}\t{}\t{restarts}\t{}",
                    pod_status(p),
                    age(p.creation, now)
                ));
                if wide {
                    let node = p
                        .node
                        .map_or("<none>".to_string(), |n| c.store.node(n).name.clone());
                    w.write(&format!(
                        "\t{}\t{node}\t<none>\t<none>",
                        pod_ip(p).unwrap_or_else(|| "<none>".into())
                    ));
                }
                w.write(&labels.map(&labels_col).unwrap_or_default());
                w.write("\n");
            }
        }
        Kind::Node => {
            w.write("NAME\tSTATUS\tROLES\tAGE\tVERSION");
            w.write(if wide {
                "\tINTERNAL-IP\tEXTERNAL-IP\tOS-IMAGE\tKERNEL-VERSION\tCONTAINER-RUNTIME"
            } else {
                ""
            });
            w.write(header_end);
            for (name, id) in &c.store.node_names {
                let n = c.store.node(*id);
                if !named(name) || !keep(&n.labels) {
                    continue;
                }
                rows += 1;
                let mut status = if n.ready { "Ready" } else { "NotReady" }.to_string();
                if n.unschedulable {
                    status.push_str(",SchedulingDisabled");
                }
                w.write(&format!(
                    "{name}\t{status}\t<none>\t{}\t{KUBELET_VERSION}",
                    age(n.creation, now)
                ));
                if wide {
                    w.write(&format!(
                        "\t{}\t<none>\tDebian GNU/Linux 12 (bookworm)\t6.8.0-rollsim\tcontainerd://2.3.1",
                        node_ip(*id)
                    ));
                }
                w.write(&labels_col(&n.labels));
                w.write("\n");
            }
        }
        Kind::Service => {
            w.write("NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE");
            w.write(if wide { "\tSELECTOR" } else { "" });
            w.write(header_end);
            for (name, s) in &c.store.services {
                if !named(name) || !keep(&s.meta.labels) {
                    continue;
                }
                rows += 1;
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
                w.write(&format!(
                    "{name}\t{}\t{}\t{external}\t{}\t{}",
                    s.service_type,
                    s.cluster_ip,
                    if ports.is_empty() {
                        "<none>".to_string()
                    } else {
                        ports.join(",")
                    },
                    age(s.meta.creation, now)
                ));
                if wide {
                    let sel: Vec<String> =
                        s.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    w.write(&format!(
                        "\t{}",
                        if sel.is_empty() {
                            "<none>".to_string()
                        } else {
                            sel.join(",")
                        }
                    ));
                }
                w.write("\n");
            }
        }
        Kind::PodDisruptionBudget => {
            // `printPodDisruptionBudget`.
            w.write("NAME\tMIN AVAILABLE\tMAX UNAVAILABLE\tALLOWED DISRUPTIONS\tAGE");
            w.write(header_end);
            for (name, b) in &c.store.pdbs {
                if !named(name) || !keep(&b.meta.labels) {
                    continue;
                }
                rows += 1;
                let shown = |v: Option<crate::model::IntOrPercent>| {
                    v.map_or("N/A".to_string(), |v| v.to_string())
                };
                w.write(&format!(
                    "{name}\t{}\t{}\t{}\t{}",
                    shown(b.min_available),
                    shown(b.max_unavailable),
                    c.pdb_status(b).disruptions_allowed,
                    age(b.meta.creation, now)
                ));
                w.write(&labels_col(&b.meta.labels));
                w.write("\n");
            }
        }
    }
    if rows == 0 {
        return match name {
            Some(n) => Output::error(format!(
                "Error from server (NotFound): {} \"{n}\" not found\n",
                kind.resource()
            )),
            None if kind == Kind::Node => Output::ok("No resources found\n".into()),
            None => Output::ok("No resources found in default namespace.\n".into()),
        };
    }
    Output::ok(w.finish())
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
