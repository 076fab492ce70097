//! `kubectl port-forward … &` and `curl`: a port-forward binds to one pod chosen once
//! (`kubectl/pkg/cmd/portforward`, `polymorphichelpers.GetFirstPod` with the reverse of the
//! active-pods order) and breaks with `lost connection to pod` on the first connection that
//! pod no longer answers; `curl` to a Service goes through the node's kube-proxy.

use super::{Halt, Player};
use crate::cluster::Cluster;
use crate::controllers::traffic::{ProbeTarget, nginx};
use crate::model::traffic::Outcome;
use crate::model::{DEFAULT_NAMESPACE, NodeId, ObjectKey, PodId, PodPhase, object_key};
use crate::scenario::command::{CurlArgs, Kind};
use crate::sim::SimTime;
use std::net::Ipv4Addr;

/// curl's connect timeout when `-m` is not given.
const CURL_DEFAULT_TIMEOUT_MS: u64 = 300_000;

/// A running `kubectl port-forward`.
#[derive(Debug, Clone)]
pub(super) struct Forward {
    local: u16,
    pod: PodId,
    /// The container port connections go to.
    port: i32,
    alive: bool,
}

/// `GetFirstPod`'s choice: the first of the pods by the reverse of `ActivePods` — bound to a
/// node, Running before Unknown before Pending, Ready, not terminating, Ready longer, fewer
/// restarts, older; then by name so the choice is deterministic.
pub fn first_pod(c: &Cluster, pods: &[PodId]) -> Option<PodId> {
    let phase_rank = |p: PodPhase| match p {
        PodPhase::Running => 0,
        PodPhase::Unknown => 1,
        PodPhase::Pending => 2,
        _ => 3,
    };
    pods.iter()
        .copied()
        .filter(|&p| !c.store.pod(p).gone)
        .min_by_key(|&p| {
            let pod = c.store.pod(p);
            (
                pod.node.is_none(),
                phase_rank(pod.phase),
                !pod.ready,
                pod.deletion.is_some(),
                pod.deletion,
                pod.ready_since.unwrap_or(SimTime::NEVER),
                pod.restarts,
                pod.creation,
                c.store.pod_name(pod),
            )
        })
}

impl Player<'_> {
    /// `kubectl port-forward KIND/NAME LOCAL:REMOTE &`.
    pub(super) fn port_forward(
        &mut self,
        kind: Kind,
        (ns, name): (&str, &str),
        local: u16,
        remote: &str,
    ) -> bool {
        match self.forward_target(kind, (ns, name), remote) {
            Ok((pod, port)) => {
                if self.forwards.iter().any(|f| f.alive && f.local == local) {
                    self.output(&format!(
                        "Unable to listen on port {local}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:{local}: bind: address already in use unable to create listener: Error listen tcp6 [::1]:{local}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{{{local} {port}}}]\n"
                    ));
                    return false;
                }
                self.output(&format!(
                    "Forwarding from 127.0.0.1:{local} -> {port}\nForwarding from [::1]:{local} -> {port}\n"
                ));
                self.forwards.push(Forward {
                    local,
                    pod,
                    port,
                    alive: true,
                });
                true
            }
            Err(text) => {
                self.output(&text);
                false
            }
        }
    }

    /// The pod and container port a port-forward binds to, or kubectl's error.
    fn forward_target(
        &self,
        kind: Kind,
        (ns, name): (&str, &str),
        remote: &str,
    ) -> Result<(PodId, i32), String> {
        let c = &self.c;
        let not_found =
            |res: &str| format!("Error from server (NotFound): {res} \"{name}\" not found\n");
        let (pods, svc) = match kind {
            Kind::Service => {
                let svc = c
                    .store
                    .services
                    .get(&object_key(ns, name))
                    .ok_or_else(|| not_found("services"))?;
                (
                    c.store.live_pods_matching(ns, |l| svc.selects(l)),
                    Some(svc),
                )
            }
            Kind::Deployment => {
                let (_, d) = c
                    .store
                    .deployment_by_name(ns, name)
                    .ok_or_else(|| not_found("deployments.apps"))?;
                (
                    c.store
                        .live_pods_matching(ns, |l| d.spec.selector.matches(l)),
                    None,
                )
            }
            _ => (c.store.pod_by_name(ns, name).into_iter().collect(), None),
        };
        let Some(pod) = first_pod(c, &pods) else {
            return Err(match kind {
                Kind::Pod => not_found("pods"),
                _ => "error: timed out waiting for the condition\n".into(),
            });
        };
        let p = c.store.pod(pod);
        if p.phase != PodPhase::Running {
            return Err(format!(
                "error: unable to forward port because pod is not running. Current status={:?}\n",
                p.phase
            ));
        }
        let containers = c
            .store
            .replica_set(p.owner)
            .map(|rs| rs.template.spec.containers.clone())
            .unwrap_or_default();
        let port = forward_port(svc, &containers, name, remote)?;
        Ok((pod, port))
    }

    /// `curl URL`: to a local port-forward, or into the cluster through kube-proxy.
    pub(super) fn curl(&mut self, args: &CurlArgs) -> Result<bool, Halt> {
        let timeout = args.max_time_ms.unwrap_or(CURL_DEFAULT_TIMEOUT_MS);
        if args.is_local() {
            return self.curl_local(args, timeout);
        }
        let Some((svc, index)) = self.resolve_service(&args.host) else {
            self.output(&format!(
                "curl: (6) Could not resolve host: {}\n",
                args.host
            ));
            return Ok(false);
        };
        let port_ok = self
            .c
            .store
            .services
            .get(&svc)
            .is_some_and(|s| s.ports.iter().any(|p| p.port == i32::from(args.port)));
        let start = self.c.now();
        if !port_ok {
            self.advance_to(start.plus_ms(timeout))?;
            self.output(&curl_timeout(timeout));
            return Ok(false);
        }
        let Some(r) = self
            .c
            .send_probe(NodeId(0), ProbeTarget::Service(index), timeout)
        else {
            return Ok(false);
        };
        let result = self.await_probe(r, start.plus_ms(timeout))?;
        Ok(self.curl_answer(args, result, start, &Via::Service(svc)))
    }

    fn curl_local(&mut self, args: &CurlArgs, timeout: u64) -> Result<bool, Halt> {
        let Some(i) = self
            .forwards
            .iter()
            .position(|f| f.alive && f.local == args.port)
        else {
            self.output(&format!(
                "curl: (7) Failed to connect to {} port {} after 0 ms: Couldn't connect to server\n",
                args.host, args.port
            ));
            return Ok(false);
        };
        self.output(&format!("Handling connection for {}\n", args.port));
        let f = self.forwards[i].clone();
        let start = self.c.now();
        let Some(r) = self
            .c
            .send_probe(NodeId(0), ProbeTarget::Pod(f.pod), timeout)
        else {
            return Ok(false);
        };
        let result = self.await_probe(r, start.plus_ms(timeout))?;
        match result.map(|x| x.outcome) {
            Some(Outcome::Refused | Outcome::Timeout | Outcome::NoEndpoints) => {
                self.forwards[i].alive = false;
                let pod = self.c.store.pod(f.pod);
                let text = forward_error(f.local, f.port, pod.uid, pod.gone, self.c.now());
                self.output(&text);
                Ok(false)
            }
            _ => Ok(self.curl_answer(args, result, start, &Via::Forward(f.port))),
        }
    }

    /// Runs the clock until one-off request `r` has its answer (or `deadline`).
    fn await_probe(
        &mut self,
        r: u32,
        deadline: SimTime,
    ) -> Result<Option<crate::controllers::traffic::ProbeResult>, Halt> {
        loop {
            if let Some(result) = self
                .c
                .traffic_mut()
                .and_then(|t| t.probe_results.remove(&r))
            {
                return Ok(Some(result));
            }
            if !self.step(deadline.plus_ms(1))? {
                return Ok(None);
            }
            self.tracker.observe(&self.c);
        }
    }

    /// Prints what curl prints for an answer (or a failure).
    fn curl_answer(
        &mut self,
        args: &CurlArgs,
        result: Option<crate::controllers::traffic::ProbeResult>,
        start: SimTime,
        via: &Via,
    ) -> bool {
        let Some(result) = result else {
            self.output(&curl_timeout(self.c.now().ms_since(start)));
            return false;
        };
        let elapsed = result.at.ms_since(start);
        let text = match (result.outcome, result.pod) {
            (Outcome::Ok, Some(pod)) => {
                let vars = self.socket_vars(pod, via, args.port);
                let body = response_body(&self.c, pod, vars, &args.path);
                self.output(&body);
                return true;
            }
            (Outcome::Reset, _) => {
                "curl: (56) Recv failure: Connection reset by peer\n".to_string()
            }
            (Outcome::Timeout, _) => curl_timeout(elapsed),
            _ => format!(
                "curl: (7) Failed to connect to {} port {} after {elapsed} ms: Couldn't connect to server\n",
                args.host, args.port
            ),
        };
        self.output(&text);
        false
    }

    /// `$server_addr`, `$server_port` and `$remote_addr` of a connection: through
    /// port-forward the runtime dials localhost inside the pod; through a Service kube-proxy
    /// DNATs to the pod IP and the Service port's target port (the client pod, on the first
    /// node, keeps its own address).
    fn socket_vars(&self, pod: PodId, via: &Via, service_port: u16) -> (String, i32, &'static str) {
        match via {
            Via::Forward(port) => ("127.0.0.1".into(), *port, "127.0.0.1"),
            Via::Service(key) => {
                let p = self.c.store.pod(pod);
                let containers = self
                    .c
                    .store
                    .replica_set(p.owner)
                    .map(|rs| rs.template.spec.containers.as_slice())
                    .unwrap_or_default();
                let port = self
                    .c
                    .store
                    .services
                    .get(key)
                    .and_then(|s| s.ports.iter().find(|sp| sp.port == i32::from(service_port)))
                    .and_then(|sp| sp.target_number(containers))
                    .unwrap_or(i32::from(service_port));
                (Ipv4Addr::from(p.ip).to_string(), port, "10.244.0.1")
            }
        }
    }

    /// A host name (`svc` for a Service in `default`, where the client pod runs;
    /// `svc.NS`, `svc.NS.svc[.cluster.local]`) or cluster IP, as the cluster's DNS resolves
    /// it: the Service and its index in the EndpointSlice controller.
    fn resolve_service(&self, host: &str) -> Option<(ObjectKey, u32)> {
        let store = &self.c.store;
        let key = store
            .services
            .iter()
            .find(|(_, s)| s.cluster_ip == host)
            .map(|(key, _)| key.clone())
            .or_else(|| {
                let mut labels = host.split('.');
                let name = labels.next()?;
                let ns = labels.next().unwrap_or(DEFAULT_NAMESPACE);
                let rest: Vec<&str> = labels.collect();
                let known = [&[][..], &["svc"][..], &["svc", "cluster", "local"][..]];
                let key = object_key(ns, name);
                (known.contains(&rest.as_slice()) && store.services.contains_key(&key))
                    .then_some(key)
            })?;
        let index = *self.c.traffic()?.endpoints.by_name.get(&key)?;
        Some((key, index))
    }
}

/// How a curl reached its pod.
enum Via {
    /// Through the Service (namespace, name) and kube-proxy.
    Service(ObjectKey),
    /// Through a port-forward to this container port.
    Forward(i32),
}

/// curl's timeout message.
fn curl_timeout(ms: u64) -> String {
    format!("curl: (28) Connection timed out after {ms} milliseconds\n")
}

/// What kubectl prints when the forwarded pod no longer answers a new connection: the
/// runtime's error from the per-connection error stream, logged by client-go's port
/// forwarder as an unhandled error (klog, structured), then `lost connection to pod`; curl
/// sees the local connection closed without a reply. The runtime's words are containerd's:
/// connection refused inside the pod's network namespace, or no sandbox at all once the pod
/// is gone (texts from captured sessions; the source line number is that of recent kubectl).
fn forward_error(local: u16, port: i32, uid: u128, gone: bool, now: SimTime) -> String {
    let sandbox = sandbox_id(uid);
    let why = if gone {
        format!("failed to find sandbox \\\"{sandbox}\\\" in store: not found")
    } else {
        let netns = &sandbox[..32];
        format!(
            "failed to execute portforward in network namespace \\\"/var/run/netns/cni-{}-{}-{}-{}-{}\\\": failed to connect to localhost:{port} inside namespace \\\"{sandbox}\\\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused ",
            &netns[..8],
            &netns[8..12],
            &netns[12..16],
            &netns[16..20],
            &netns[20..32]
        )
    };
    format!(
        "{} portforward.go:522] \"Unhandled Error\" err=\"an error occurred forwarding {local} -> {port}: error forwarding port {port} to pod {sandbox}, uid : {why}\"\nerror: lost connection to pod\ncurl: (52) Empty reply from server\n",
        klog_prefix(now)
    )
}

/// The pod sandbox's 64-hex-digit ID, derived from the pod's UID (no random draw).
fn sandbox_id(uid: u128) -> String {
    (0u8..4)
        .map(|i| {
            let mut bytes = vec![i];
            bytes.extend_from_slice(&uid.to_le_bytes());
            // splitmix64's finaliser spreads FNV's output over all the digits.
            let mut z = crate::sim::fnv1a64(&bytes);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("{:016x}", z ^ (z >> 31))
        })
        .collect()
}

/// klog's header for an error line at virtual time `t` (`E0101 00:02:12.964000   12345`).
fn klog_prefix(t: SimTime) -> String {
    let rfc = crate::kubectl::human::rfc1123z(t);
    // "Mon, 01 Jan 2024 00:00:05 +0000"
    let parts: Vec<&str> = rfc.split(' ').collect();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| Some(*m) == parts.get(2).copied())
    .map_or(1, |i| i + 1);
    format!(
        "E{month:02}{} {}.{:06}   12345",
        parts.get(1).copied().unwrap_or("01"),
        parts.get(4).copied().unwrap_or("00:00:00"),
        (t.as_ms() % 1000) * 1000
    )
}

/// What the pod's app answers: nginx evaluates its `return` directive (from the ConfigMap
/// mounted at `/etc/nginx/conf.d`) or serves its welcome page; another image answers with
/// an empty body.
fn response_body(
    c: &Cluster,
    pod: PodId,
    (addr, port, remote): (String, i32, &str),
    uri: &str,
) -> String {
    let p = c.store.pod(pod);
    let Some(rs) = c.store.replica_set(p.owner) else {
        return String::new();
    };
    let spec = &rs.template.spec;
    let Some(container) = spec.containers.first() else {
        return String::new();
    };
    if !nginx::is_nginx(&container.image) {
        return String::new();
    }
    let conf = container
        .volume_mounts
        .iter()
        .find(|m| m.mount_path.trim_end_matches('/') == "/etc/nginx/conf.d")
        .and_then(|m| spec.volumes.iter().find(|v| v.name == m.name))
        .and_then(|v| v.config_map.as_ref())
        .and_then(|cm| cm.get("name").and_then(|n| n.as_str()))
        .and_then(|name| {
            c.store
                .config_maps
                .get(&object_key(&rs.meta.namespace, name))
        })
        .and_then(|cm| cm.data.get("default.conf"));
    let vars = nginx::Vars {
        // A tag that names no release (`stable-alpine`) prints as written.
        nginx_version: nginx::nginx_version(&container.image).unwrap_or_else(|| {
            container
                .image
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_string()
        }),
        server_addr: addr,
        server_port: port.to_string(),
        hostname: c.store.pod_name(p),
        remote_addr: remote.to_string(),
        uri: uri.to_string(),
    };
    nginx::response_body(conf.map(String::as_str), &vars)
}

/// The container port a forward to `remote` reaches: through the Service's port (by number
/// or name) to its target, or the pod's port by number or by a container port's name.
fn forward_port(
    svc: Option<&crate::model::Service>,
    containers: &[crate::model::template::Container],
    name: &str,
    remote: &str,
) -> Result<i32, String> {
    match svc {
        Some(svc) => {
            let sp = svc
                .ports
                .iter()
                .find(|sp| sp.port.to_string() == remote || sp.name.as_deref() == Some(remote))
                .ok_or_else(|| {
                    format!("error: Service {name} does not have a service port {remote}\n")
                })?;
            Ok(sp.target_number(containers).unwrap_or(sp.port))
        }
        None => remote
            .parse()
            .ok()
            .or_else(|| {
                containers
                    .iter()
                    .flat_map(|k| k.ports.iter())
                    .find(|cp| cp.name.as_deref() == Some(remote))
                    .map(|cp| cp.container_port)
            })
            .ok_or_else(|| format!("error: Pod '{name}' does not have a named port '{remote}'\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forward_error_reads_as_containerd_and_client_go_print_it() {
        let t = SimTime::from_ms(132_964);
        let refused = forward_error(8080, 80, 7, false, t);
        let sandbox = sandbox_id(7);
        assert_eq!(sandbox.len(), 64);
        assert!(refused.starts_with(
            "E0101 00:02:12.964000   12345 portforward.go:522] \"Unhandled Error\" err=\"an error occurred forwarding 8080 -> 80: error forwarding port 80 to pod "
        ));
        assert!(refused.contains(&format!(
            "failed to connect to localhost:80 inside namespace \\\"{sandbox}\\\", IPv4: dial tcp4 127.0.0.1:80: connect: connection refused IPv6 dial tcp6 [::1]:80: connect: connection refused \"\n"
        )));
        assert!(
            refused
                .ends_with("error: lost connection to pod\ncurl: (52) Empty reply from server\n")
        );
        let gone = forward_error(8080, 80, 7, true, t);
        assert!(gone.contains(&format!(
            "uid : failed to find sandbox \\\"{sandbox}\\\" in store: not found\"\n"
        )));
    }
}
