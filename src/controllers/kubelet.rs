//! The kubelet of every node: pulls images (cached per node), creates and starts containers,
//! reports readiness, and stops containers gracefully. Each node draws its latencies from
//! its own RNG stream.

use crate::cluster::{Cluster, Event, EventType};
use crate::model::*;

fn current(c: &Cluster, p: PodId, epoch: u32) -> bool {
    let pod = c.store.pod(p);
    !pod.gone && pod.deletion.is_none() && pod.kubelet_epoch == epoch
}

fn node_of(c: &Cluster, p: PodId) -> Option<NodeId> {
    c.store.pod(p).node
}

/// The kubelet sees a pod bound to its node: pulls each missing image (or waits for a pull
/// already under way), then moves on to creating the containers.
pub(crate) fn start_pod(c: &mut Cluster, p: PodId, epoch: u32) {
    let (Some(n), true) = (node_of(c, p), current(c, p, epoch)) else {
        return;
    };
    let owner = c.store.pod(p).owner;
    let Some(count) = c.store.replica_set(owner).map(|rs| rs.images.len()) else {
        return;
    };
    let now = c.now();
    assign_pod_ip(c, p, n);
    let mut ready_at = now;
    for i in 0..count {
        let Some(image) = c.store.replica_set(owner).map(|rs| rs.images[i]) else {
            break;
        };
        let present = c
            .store
            .node(n)
            .images
            .iter()
            .find(|(i, _)| *i == image)
            .map(|(_, t)| *t);
        let done = match present {
            Some(t) if t <= now => {
                c.pod_event(p, EventType::Normal, "Pulled", "kubelet", |c| {
                    format!("Container image \"{}\" already present on machine and can be accessed by the pod", c.store.images[image as usize])
                });
                t
            }
            Some(t) => {
                pulling_event(c, p, image);
                t
            }
            None => {
                pulling_event(c, p, image);
                let d = c
                    .config
                    .timing
                    .image_pull
                    .sample(&mut c.rngs.kubelets[n.0 as usize]);
                let t = now.plus_ms(d);
                c.store.nodes[n.0 as usize].images.push((image, t));
                t
            }
        };
        ready_at = ready_at.max(done);
    }
    if ready_at > now {
        c.store.pods[p.0 as usize].times.pulling = Some(now);
    }
    c.schedule(ready_at, Event::KubeletImagesReady(p, epoch));
}

/// The pod sandbox gets the next address of its node's pod CIDR (`10.244.<node>.0/24` as
/// flannel and kindnet hand them out), wrapping within the /24.
fn assign_pod_ip(c: &mut Cluster, p: PodId, n: NodeId) {
    let now = c.now();
    let node = &mut c.store.nodes[n.0 as usize];
    let host = node.pod_ips_assigned % 253 + 2;
    node.pod_ips_assigned += 1;
    let octets = (10u32 << 24) | ((244 + n.0 / 256) << 16) | ((n.0 % 256) << 8) | host;
    let pod = &mut c.store.pods[p.0 as usize];
    pod.ip = octets;
    pod.times.kubelet_start = Some(now);
}

fn pulling_event(c: &mut Cluster, p: PodId, image: u32) {
    c.pod_event(p, EventType::Normal, "Pulling", "kubelet", |c| {
        format!("Pulling image \"{}\"", c.store.images[image as usize])
    });
}

/// Images are present: report the pulls, create the containers, and start them after the
/// start latency.
pub(crate) fn images_ready(c: &mut Cluster, p: PodId, epoch: u32) {
    let (Some(n), true) = (node_of(c, p), current(c, p, epoch)) else {
        return;
    };
    let now = c.now();
    if let Some(since) = c.store.pod(p).times.pulling {
        let waited = now.ms_since(since);
        let images = c
            .store
            .replica_set(c.store.pod(p).owner)
            .map(|rs| rs.images.clone())
            .unwrap_or_default();
        for image in images {
            c.pod_event(p, EventType::Normal, "Pulled", "kubelet", |c| {
                let name = &c.store.images[image as usize];
                format!("Successfully pulled image \"{name}\" in {} ({} including waiting). Image size: {} bytes.", go_duration(waited), go_duration(waited), image_size(name))
            });
        }
    }
    container_events(c, p, "Created", "Created container: ");
    let d = c
        .config
        .timing
        .container_start
        .sample(&mut c.rngs.kubelets[n.0 as usize]);
    c.schedule(now.plus_ms(d), Event::KubeletContainerStarted(p, epoch));
}

/// One Normal kubelet event per container: `<prefix><container name>`.
fn container_events(c: &mut Cluster, p: PodId, reason: &'static str, prefix: &str) {
    if !c.records_pod_events() {
        return;
    }
    for name in container_names(c, p) {
        c.pod_event(p, EventType::Normal, reason, "kubelet", |_| {
            format!("{prefix}{name}")
        });
    }
}

fn container_names(c: &Cluster, p: PodId) -> Vec<String> {
    c.store
        .replica_set(c.store.pod(p).owner)
        .map(|rs| {
            rs.template
                .spec
                .containers
                .iter()
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Containers run: the pod is Running; Ready at once, or when its readiness probe first passes.
pub(crate) fn container_started(c: &mut Cluster, p: PodId, epoch: u32) {
    if !current(c, p, epoch) {
        return;
    }
    let now = c.now();
    container_events(c, p, "Started", "Started container ");
    let pod = &mut c.store.pods[p.0 as usize];
    pod.phase = PodPhase::Running;
    pod.container = ContainerState::Running(now);
    pod.times.started = Some(now);
    let probe_s = c
        .store
        .replica_set(c.store.pod(p).owner)
        .map_or(0, |rs| rs.template.seconds_until_ready());
    c.pod_written(p);
    if probe_s == 0 {
        c.set_pod_ready(p);
    } else {
        c.schedule(now.plus_secs(probe_s), Event::KubeletPodReady(p, epoch));
    }
}

/// The readiness probe passed.
pub(crate) fn pod_ready(c: &mut Cluster, p: PodId, epoch: u32) {
    if current(c, p, epoch) {
        c.set_pod_ready(p);
    }
}

/// The kubelet sees the pod's deletion: SIGTERM to running containers, which exit after the
/// stop latency (at most the grace period); a pod whose containers never started goes at once.
pub(crate) fn kill_pod(c: &mut Cluster, p: PodId) {
    let pod = c.store.pod(p);
    let (Some(n), false) = (pod.node, pod.gone) else {
        return;
    };
    let running = matches!(pod.container, ContainerState::Running(_));
    let grace_s = c
        .store
        .replica_set(pod.owner)
        .and_then(|rs| rs.template.spec.termination_grace_period_seconds)
        .unwrap_or(30)
        .max(0) as u64;
    let pod = &mut c.store.pods[p.0 as usize];
    pod.kubelet_epoch += 1;
    let epoch = pod.kubelet_epoch;
    let now = c.now();
    if !running {
        c.schedule(now, Event::KubeletPodStopped(p, epoch));
        return;
    }
    container_events(c, p, "Killing", "Stopping container ");
    let d = c
        .config
        .timing
        .stop
        .sample(&mut c.rngs.kubelets[n.0 as usize])
        .min(grace_s * 1000);
    c.schedule(now.plus_ms(d), Event::KubeletPodStopped(p, epoch));
}

/// Containers exited: the kubelet confirms the deletion and the pod is gone.
pub(crate) fn pod_stopped(c: &mut Cluster, p: PodId, epoch: u32) {
    let pod = c.store.pod(p);
    if pod.gone || pod.kubelet_epoch != epoch {
        return;
    }
    let pod = &mut c.store.pods[p.0 as usize];
    pod.container = ContainerState::Terminated("Completed");
    pod.ready = false;
    c.pod_gone(p);
}

/// Formats milliseconds like Go's `time.Duration.String` (`1.234s`, `2m3.5s`, `500ms`).
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s_ms) = (ms / 3_600_000, (ms / 60_000) % 60, ms % 60_000);
    let secs = if s_ms % 1000 == 0 {
        format!("{}s", s_ms / 1000)
    } else {
        format!(
            "{}s",
            trim_zeros(&format!("{}.{:03}", s_ms / 1000, s_ms % 1000))
        )
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

fn trim_zeros(s: &str) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A plausible, stable image size derived from the name (the simulator has no registry).
fn image_size(name: &str) -> u64 {
    let h = crate::sim::fnv1a64(name.as_bytes());
    10_000_000 + h % 50_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(500), "500ms");
        assert_eq!(go_duration(2345), "2.345s");
        assert_eq!(go_duration(2000), "2s");
        assert_eq!(go_duration(2500), "2.5s");
        assert_eq!(go_duration(63_500), "1m3.5s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
    }
}
