//! What the controllers share at run time: the events they queue, the latencies they draw
//! and their random streams.

use super::traffic::TrafficEvent;
use crate::model::*;
use crate::sim::{Latency, RngStreams, SimRng, Traced};

/// Latencies of the simulated components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Pod created → bound to a node.
    pub schedule: Latency,
    /// Image pull, per image and node (none once the node has it).
    pub image_pull: Latency,
    /// Container created → started.
    pub container_start: Latency,
    /// SIGTERM → exit (capped by terminationGracePeriodSeconds).
    pub stop: Latency,
    /// Watch event → controller (or kubelet) reaction.
    pub controller_sync: Latency,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            schedule: Latency::Constant(20),
            image_pull: Latency::Uniform {
                low_ms: 1000,
                high_ms: 4000,
            },
            container_start: Latency::Normal {
                mean_ms: 1000.0,
                stddev_ms: 200.0,
            },
            stop: Latency::Uniform {
                low_ms: 200,
                high_ms: 2000,
            },
            controller_sync: Latency::Constant(5),
        }
    }
}

/// Everything that happens in a cluster, as queued events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The Deployment controller works on a Deployment.
    SyncDeployment(DeploymentId),
    /// The ReplicaSet controller works on a ReplicaSet.
    SyncReplicaSet(RsId),
    /// The scheduler tries to bind a pod.
    SchedulePod(PodId),
    /// The kubelet notices a pod bound to its node.
    KubeletStartPod(PodId, u32),
    /// The kubelet moves the pod's current init container on: its image is present
    /// (`1`), it started (`2`), it exited 0 (`3`).
    KubeletInitStep(PodId, u32, u8),
    /// The pod's images are on the node.
    KubeletImagesReady(PodId, u32),
    /// The pod's containers are running.
    KubeletContainerStarted(PodId, u32),
    /// The readiness probe succeeded.
    KubeletPodReady(PodId, u32),
    /// The kubelet notices a pod's deletion.
    KubeletKillPod(PodId),
    /// The containers exited; the pod disappears.
    KubeletPodStopped(PodId, u32),
    /// An image pull failed.
    KubeletPullFailed(PodId, u32),
    /// The kubelet syncs a pod whose container failed: back off or restart.
    KubeletSyncFailed(PodId, u32),
    /// A back-off ended: pull again, or restart the container.
    KubeletRetry(PodId, u32),
    /// The container exited with an error: its `exitAfter` (`0`), a random crash (`1`), or
    /// killed after failing its liveness probe (`2`).
    KubeletContainerExited(PodId, u32, u8),
    /// A readiness (`0`) or liveness (`1`) probe runs.
    KubeletProbe(PodId, u32, u8),
    /// A node's machine stops.
    NodeDown(NodeId),
    /// A node's machine starts again.
    NodeUp(NodeId),
    /// The node lifecycle controller's monitor looks at a node (grace period, taints).
    NodeMonitor(NodeId, u32),
    /// Taint-based eviction of a node's pods after their tolerationSeconds.
    NodeEviction(NodeId, u32),
    /// A random node failure comes due.
    RandomNodeFailure(NodeId),
    /// The preStop hooks are done (or cut at the grace period): the stop signal is sent.
    KubeletStopSignal(PodId, u32),
    /// Services, kube-proxy, apps and clients.
    Traffic(TrafficEvent),
}

impl Event {
    /// The pod the event is about, if it is about one.
    pub fn pod(&self) -> Option<PodId> {
        match *self {
            Event::SchedulePod(p)
            | Event::KubeletStartPod(p, _)
            | Event::KubeletInitStep(p, _, _)
            | Event::KubeletImagesReady(p, _)
            | Event::KubeletContainerStarted(p, _)
            | Event::KubeletPodReady(p, _)
            | Event::KubeletKillPod(p)
            | Event::KubeletPodStopped(p, _)
            | Event::KubeletPullFailed(p, _)
            | Event::KubeletSyncFailed(p, _)
            | Event::KubeletRetry(p, _)
            | Event::KubeletContainerExited(p, _, _)
            | Event::KubeletProbe(p, _, _)
            | Event::KubeletStopSignal(p, _) => Some(p),
            Event::SyncDeployment(_)
            | Event::SyncReplicaSet(_)
            | Event::NodeDown(_)
            | Event::NodeUp(_)
            | Event::NodeMonitor(_, _)
            | Event::NodeEviction(_, _)
            | Event::RandomNodeFailure(_)
            | Event::Traffic(_) => None,
        }
    }
}

impl Traced for Event {
    fn trace_key(&self) -> u64 {
        let (tag, a, b) = match *self {
            Event::SyncDeployment(d) => (1, d.0, 0),
            Event::SyncReplicaSet(r) => (2, r.0, 0),
            Event::SchedulePod(p) => (3, p.0, 0),
            Event::KubeletStartPod(p, e) => (4, p.0, e),
            Event::KubeletImagesReady(p, e) => (5, p.0, e),
            Event::KubeletContainerStarted(p, e) => (6, p.0, e),
            Event::KubeletPodReady(p, e) => (7, p.0, e),
            Event::KubeletKillPod(p) => (8, p.0, 0),
            Event::KubeletPodStopped(p, e) => (9, p.0, e),
            Event::KubeletPullFailed(p, e) => (10, p.0, e),
            Event::KubeletSyncFailed(p, e) => (11, p.0, e),
            Event::KubeletRetry(p, e) => (12, p.0, e),
            Event::KubeletContainerExited(p, e, k) => (13 + (u64::from(k) << 8), p.0, e),
            Event::KubeletProbe(p, e, k) => (14 + u64::from(k), p.0, e),
            Event::NodeDown(n) => (16, n.0, 0),
            Event::NodeUp(n) => (17, n.0, 0),
            Event::NodeMonitor(n, e) => (18, n.0, e),
            Event::NodeEviction(n, e) => (19, n.0, e),
            Event::RandomNodeFailure(n) => (20, n.0, 0),
            Event::KubeletStopSignal(p, e) => (21, p.0, e),
            Event::KubeletInitStep(p, e, k) => (22 + (u64::from(k) << 8), p.0, e),
            Event::Traffic(t) => t.trace_key(),
        };
        (tag << 56) ^ (u64::from(a) << 24) ^ u64::from(b)
    }

    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// Named random streams, one per component (and one per node's kubelet).
#[derive(Debug)]
pub struct Rngs {
    /// Watch-to-reaction latencies.
    pub controllers: SimRng,
    /// Scheduling latencies.
    pub scheduler: SimRng,
    /// The scheduler's choice among equally scored nodes (one draw per scheduling cycle).
    pub scheduler_ties: SimRng,
    /// generateName suffixes.
    pub names: SimRng,
    #[allow(missing_docs)]
    pub uids: SimRng,
    /// One per node, in node order.
    pub kubelets: Vec<SimRng>,
    /// Probe answers under a probe fault.
    pub probes: SimRng,
    /// Random container crashes.
    pub crashes: SimRng,
    /// Random node failures and recoveries.
    pub node_faults: SimRng,
    streams: RngStreams,
}

impl Rngs {
    /// The streams of a cluster seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        Rngs {
            controllers: streams.stream("controllers"),
            scheduler: streams.stream("scheduler"),
            scheduler_ties: streams.stream("scheduler/ties"),
            names: streams.stream("names"),
            uids: streams.stream("uids"),
            kubelets: Vec::new(),
            probes: streams.stream("faults/probes"),
            crashes: streams.stream("faults/crashes"),
            node_faults: streams.stream("faults/nodes"),
            streams,
        }
    }

    /// A new node's kubelet stream.
    pub fn add_kubelet(&mut self, node: &str) {
        self.kubelets
            .push(self.streams.stream(&format!("kubelet/{node}")));
    }
}
