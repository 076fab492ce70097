//! The simulated world: the object store (the API server), the watches that wake
//! controllers after a reaction latency, and the event loop that drives them.
//!
//! Controllers never call each other. They read the store, write objects through the
//! methods here (as API calls), and every write notifies the watchers of that kind, which
//! schedule the interested controller's sync — exactly as informers and work queues do.

mod api;
mod controller_api;
mod edits;
mod nodes;
mod pods;
mod traffic;

pub use crate::model::recorder::{
    EventType, FaultRecord, KubeEvent, ObjectRef, PodStatusSample, Recorder, RsSample,
};
pub use crate::model::store::{ReadyByNode, ReadyPod, RsPods, Store};
pub use api::{ApplyOutcome, UndoOutcome};
pub use nodes::PdbStatus;

pub use crate::controllers::{Event, Timing};
use crate::controllers::{Rngs, deployment, kubelet, node_lifecycle, replica_set, scheduler};
use crate::model::*;
use crate::sim::{Budget, BudgetExceeded, Engine, SimTime};

/// How many events ahead [`Cluster::touch_ahead`] starts looking: far enough for a memory
/// load to finish before its event comes up, near enough that it is still in cache then.
const TOUCH_AHEAD: usize = 8;
/// Events whose pods [`Cluster::touch_ahead`] reads at once (every that many events).
const TOUCH_BATCH: usize = 8;

/// How a cluster is built.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Seed of every random stream.
    pub seed: u64,
    #[allow(missing_docs)]
    pub timing: Timing,
    /// Run limits.
    pub budget: Budget,
    /// Most pods that may exist at once; creations beyond fail like a quota.
    pub max_pods: usize,
    /// Record pod, ReplicaSet, scheduler and kubelet events (Deployment events always).
    pub record_events: bool,
    /// Keep a description of every processed event in the trace.
    pub keep_trace: bool,
    /// Injected failures (none by default).
    pub faults: Faults,
    /// Services, kube-proxy, apps and clients, when the scenario models traffic.
    pub traffic: Option<(
        crate::model::traffic::TrafficSpec,
        crate::controllers::traffic::TrafficTiming,
    )>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            seed: 1,
            timing: Timing::default(),
            budget: Budget::default(),
            max_pods: 1_000_000,
            record_events: true,
            keep_trace: false,
            faults: Faults::default(),
            traffic: None,
        }
    }
}

/// A node to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    #[allow(missing_docs)]
    pub name: String,
    #[allow(missing_docs)]
    pub cpu_millis: u64,
    #[allow(missing_docs)]
    pub memory_bytes: u64,
    #[allow(missing_docs)]
    pub max_pods: u32,
    #[allow(missing_docs)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Taints it starts with (`spec.taints`).
    pub taints: Vec<crate::model::scheduling::Taint>,
}

/// Per-key work-queue state, as client-go's rate-limited delaying queue keeps it: a key is
/// either queued (`due`, after the watch reaction latency) or waiting for a delayed add
/// (`AddAfter`); each keeps only its earliest time, and the two are independent, so a
/// delayed re-check is never swallowed by an earlier immediate one.
#[derive(Debug, Default)]
pub(crate) struct WorkQueue {
    due: Vec<SimTime>,
    waiting: Vec<SimTime>,
}

fn earliest(slots: &mut Vec<SimTime>, key: usize, at: SimTime) -> Option<SimTime> {
    if slots.len() <= key {
        slots.resize(key + 1, SimTime::NEVER);
    }
    (at < slots[key]).then(|| {
        slots[key] = at;
        at
    })
}

impl WorkQueue {
    /// `Add`: returns `Some(at)` when a new event must be queued (not queued yet, or earlier).
    fn request(&mut self, key: usize, at: SimTime) -> Option<SimTime> {
        earliest(&mut self.due, key, at)
    }

    /// `AddAfter`: the same for the waiting entry of the key.
    fn request_after(&mut self, key: usize, at: SimTime) -> Option<SimTime> {
        earliest(&mut self.waiting, key, at)
    }

    /// Whether the popped event is a live request for `key` (and clears what it serves).
    fn take(&mut self, key: usize, now: SimTime) -> bool {
        let mut live = false;
        for slots in [&mut self.due, &mut self.waiting] {
            if let Some(t) = slots.get_mut(key)
                && *t == now
            {
                *t = SimTime::NEVER;
                live = true;
            }
        }
        live
    }
}

/// The `kubernetes` Service every cluster's `default` namespace holds (the API server's own
/// address, 10.96.0.1). Its UID is fixed so that it draws nothing from the `uids` stream.
fn kubernetes_service() -> Service {
    let labels = [("component", "apiserver"), ("provider", "kubernetes")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Service {
        meta: ObjectMeta {
            name: "kubernetes".into(),
            namespace: DEFAULT_NAMESPACE.into(),
            uid: 0x6b75_6265_726e_4000_8000_0000_0000_0001,
            labels,
            ..Default::default()
        },
        service_type: "ClusterIP".into(),
        cluster_ip: "10.96.0.1".into(),
        selector: Default::default(),
        ports: vec![ServicePort {
            name: Some("https".into()),
            port: 443,
            protocol: "TCP".into(),
            target_port: IntOrString::Int(6443),
            node_port: None,
        }],
        publish_not_ready_addresses: false,
    }
}

/// The simulated cluster.
#[derive(Debug)]
pub struct Cluster {
    pub(crate) engine: Engine<Event>,
    /// The objects.
    pub store: Store,
    /// The configuration it was built with.
    pub config: ClusterConfig,
    pub(crate) rngs: Rngs,
    pub(crate) deployment_queue: WorkQueue,
    pub(crate) replica_set_queue: WorkQueue,
    pub(crate) rs_expectations: Vec<replica_set::Expectations>,
    pub(crate) scheduler: scheduler::SchedulerState,
    /// The kubelets' per-pod back-off and probe state (only pods that met a fault).
    pub(crate) kubelet_pods: std::collections::BTreeMap<PodId, kubelet::PodFaultState>,
    /// Events and samples for reports.
    pub recorder: Recorder,
    deployment_writes: Vec<DeploymentId>,
    /// The deployment queue's overall token bucket (`DefaultControllerRateLimiter`).
    deployment_bucket: TokenBucket,
    /// Each node's pending random failure (`NEVER` when none is drawn), so that one node
    /// never runs two failure processes at once.
    pub(crate) random_failure_due: Vec<SimTime>,
    /// Events until [`Cluster::touch_ahead`] reads the next batch.
    touch_countdown: usize,
    /// Services' endpoints, kube-proxy, apps and clients (when the scenario models them).
    pub(crate) traffic: Option<Box<crate::controllers::traffic::Traffic>>,
    /// Writes of Deployments, ReplicaSets and pods so far (a watch looks again only after
    /// one).
    object_writes: u64,
}

/// `rate.Limiter` as client-go's default controller rate limiter builds it: 10 tokens a
/// second, bursts of 100; a reservation beyond the tokens waits for them.
#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    last: SimTime,
}

impl TokenBucket {
    const RATE_PER_S: f64 = 10.0;
    const BURST: f64 = 100.0;

    fn full() -> Self {
        TokenBucket {
            tokens: Self::BURST,
            last: SimTime::ZERO,
        }
    }

    /// Takes one token at `now`; returns how long the caller must wait for it, in ms.
    fn reserve(&mut self, now: SimTime) -> u64 {
        let elapsed_s = now.ms_since(self.last) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed_s * Self::RATE_PER_S).min(Self::BURST);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            0
        } else {
            (-self.tokens / Self::RATE_PER_S * 1000.0).ceil() as u64
        }
    }
}

impl Cluster {
    /// An empty cluster (no nodes) at time zero.
    pub fn new(config: ClusterConfig) -> Self {
        let traffic = config.traffic.clone().map(|(spec, timing)| {
            Box::new(crate::controllers::traffic::Traffic::new(
                spec,
                timing,
                config.seed,
            ))
        });
        let rngs = Rngs::new(config.seed);
        let mut store = Store::default();
        store.services.insert(
            object_key(DEFAULT_NAMESPACE, "kubernetes"),
            kubernetes_service(),
        );
        store.namespaces = INITIAL_NAMESPACES
            .iter()
            .map(|ns| (ns.to_string(), SimTime::ZERO))
            .collect();
        Cluster {
            engine: Engine::new(config.budget, config.keep_trace),
            store,
            recorder: Recorder::new(config.record_events),
            config,
            rngs,
            deployment_queue: WorkQueue::default(),
            replica_set_queue: WorkQueue::default(),
            rs_expectations: Vec::new(),
            scheduler: scheduler::SchedulerState::default(),
            kubelet_pods: std::collections::BTreeMap::new(),
            deployment_writes: Vec::new(),
            deployment_bucket: TokenBucket::full(),
            random_failure_due: Vec::new(),
            touch_countdown: 0,
            traffic,
            object_writes: 0,
        }
    }

    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        self.engine.now()
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.engine.processed()
    }

    /// Digest of every processed event.
    pub fn trace_digest(&self) -> String {
        self.engine.trace().digest_hex()
    }

    /// Kept trace records, if the config asked for them.
    pub fn trace_records(&self) -> Option<&[(SimTime, String)]> {
        self.engine.trace().records()
    }

    /// Time of the next queued event.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.engine.next_time()
    }

    /// Adds a Ready, schedulable node.
    pub fn add_node(&mut self, spec: NodeSpec) -> NodeId {
        let id = NodeId(self.store.nodes.len() as u32);
        // New domains: spread counts are rebuilt when next asked for.
        self.store.spread_index.clear();
        let uid = self.new_uid();
        // The labels the kubelet puts on its node (`getNodeLabels`): architecture, OS and its
        // name, the scheduler's per-node topology.
        let mut labels = spec.labels;
        for (k, v) in [
            ("beta.kubernetes.io/arch", "amd64"),
            ("beta.kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "amd64"),
            ("kubernetes.io/os", "linux"),
            (crate::model::scheduling::HOSTNAME_LABEL, spec.name.as_str()),
        ] {
            labels.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
        self.store.nodes.push(Node {
            name: spec.name.clone(),
            uid,
            labels,
            taints_added: vec![self.now(); spec.taints.len()],
            taints: spec.taints,
            creation: self.now().whole_seconds(),
            cpu_millis: spec.cpu_millis,
            memory_bytes: spec.memory_bytes,
            max_pods: spec.max_pods,
            ready: true,
            unschedulable: false,
            kubelet_up: true,
            unreachable_since: None,
            fault_epoch: 0,
            allocated: PodRequests::default(),
            pods: 0,
            bound: Vec::new(),
            bound_owners: Vec::new(),
            images: Vec::new(),
            pod_ips_assigned: 0,
        });
        self.store.node_names.insert(spec.name.clone(), id);
        self.rngs.add_kubelet(&spec.name);
        if let Some(t) = self.traffic.as_deref_mut() {
            t.add_node(&spec.name);
        }
        scheduler::node_changed(self, id);
        self.schedule_random_node_failure(id);
        id
    }

    /// Schedules the scenario's node events (call once the nodes exist).
    pub fn schedule_node_faults(&mut self) -> Result<(), String> {
        for f in self.config.faults.nodes.clone() {
            let Some(&n) = self.store.node_names.get(&f.node) else {
                return Err(format!("faults.nodes: no node named \"{}\"", f.node));
            };
            let at = SimTime::from_ms(f.at_ms);
            self.schedule(
                at,
                match f.change {
                    NodeChange::Down => Event::NodeDown(n),
                    NodeChange::Up => Event::NodeUp(n),
                },
            );
        }
        Ok(())
    }

    /// Processes the next event if it is due at or before `deadline`; `Ok(false)` when none is.
    pub fn step_until(&mut self, deadline: SimTime) -> Result<bool, BudgetExceeded> {
        let Some(event) = self.engine.pop_until(deadline)? else {
            return Ok(false);
        };
        self.touch_ahead();
        self.dispatch(event);
        Ok(true)
    }

    /// Runs every event due at or before `deadline`, then moves the clock to it.
    pub fn run_until(&mut self, deadline: SimTime) -> Result<(), BudgetExceeded> {
        while self.step_until(deadline)? {}
        self.engine
            .advance_to(deadline.min(self.engine.budget().until));
        Ok(())
    }

    /// Deployments written (spec or status) since the last call, in write order.
    pub fn take_deployment_writes(&mut self) -> Vec<DeploymentId> {
        std::mem::take(&mut self.deployment_writes)
    }

    /// Reads the pod records of the events a few places ahead, a batch at a time, so that
    /// their cache misses overlap with each other and with this event's work instead of
    /// stalling their own events one by one. At scale nearly every event starts with a miss
    /// on a pod record last touched seconds of virtual time before (the events of one
    /// millisecond are spread over the whole pod table). Reading changes nothing.
    fn touch_ahead(&mut self) {
        if self.touch_countdown > 0 {
            self.touch_countdown -= 1;
            return;
        }
        self.touch_countdown = TOUCH_BATCH - 1;
        let mut sum = 0u64;
        for k in TOUCH_AHEAD..TOUCH_AHEAD + TOUCH_BATCH {
            let Some(event) = self.engine.peek_ahead(k) else {
                break;
            };
            if let Some(pod) = event.pod().and_then(|p| self.store.pods.get(p.0 as usize)) {
                sum = sum
                    .wrapping_add(u64::from(pod.kubelet_epoch))
                    .wrapping_add(u64::from(pod.restarts))
                    .wrapping_add(pod.uid as u64);
            }
        }
        std::hint::black_box(sum);
    }

    fn dispatch(&mut self, event: Event) {
        let now = self.now();
        match event {
            Event::SyncDeployment(d) => {
                if self.deployment_queue.take(d.0 as usize, now) {
                    deployment::sync_deployment(self, d);
                }
            }
            Event::SyncReplicaSet(r) => {
                if self.replica_set_queue.take(r.0 as usize, now) {
                    replica_set::sync_replica_set(self, r);
                }
            }
            Event::SchedulePod(p) => scheduler::schedule_pod(self, p),
            Event::KubeletStartPod(p, e) => kubelet::start_pod(self, p, e),
            Event::KubeletInitStep(p, e, step) => kubelet::init_step(self, p, e, step),
            Event::KubeletImagesReady(p, e) => kubelet::images_ready(self, p, e),
            Event::KubeletContainerStarted(p, e) => kubelet::container_started(self, p, e),
            Event::KubeletPodReady(p, e) => kubelet::pod_ready(self, p, e),
            Event::KubeletKillPod(p) => kubelet::kill_pod(self, p),
            Event::KubeletPodStopped(p, e) => kubelet::pod_stopped(self, p, e),
            Event::KubeletPullFailed(p, e) => kubelet::pull_failed(self, p, e),
            Event::KubeletSyncFailed(p, e) => kubelet::sync_failed(self, p, e),
            Event::KubeletRetry(p, e) => kubelet::retry(self, p, e),
            Event::KubeletContainerExited(p, e, k) => kubelet::container_exited(self, p, e, k),
            Event::KubeletProbe(p, e, k) => kubelet::probe(self, p, e, k),
            Event::NodeDown(n) => self.node_down(n),
            Event::NodeUp(n) => self.node_up(n),
            Event::NodeMonitor(n, e) => node_lifecycle::monitor(self, n, e),
            Event::NodeEviction(n, e) => node_lifecycle::evict(self, n, e),
            Event::RandomNodeFailure(n) => self.random_node_failure(n),
            Event::KubeletStopSignal(p, e) => kubelet::stop_signal(self, p, e),
            Event::Traffic(t) => self.traffic_event(t),
        }
        if self.traffic.is_some() {
            self.flush_traffic();
        }
    }

    // ----- watches: how a write reaches the controllers ---------------------------------

    /// Draws one watch-to-reaction latency.
    pub(crate) fn reaction_ms(&mut self) -> u64 {
        self.config
            .timing
            .controller_sync
            .sample(&mut self.rngs.controllers)
    }

    /// Queues a Deployment sync after the reaction latency (deduplicated, earliest wins).
    pub(crate) fn enqueue_deployment(&mut self, d: DeploymentId) {
        let at = self.now().plus_ms(self.reaction_ms());
        self.enqueue_deployment_now(d, at);
    }

    /// Queues a Deployment sync at `at` (deduplicated, earliest wins).
    fn enqueue_deployment_now(&mut self, d: DeploymentId, at: SimTime) {
        if let Some(at) = self.deployment_queue.request(d.0 as usize, at) {
            self.engine.schedule(at, Event::SyncDeployment(d));
        }
    }

    /// `AddRateLimited` for a Deployment after a successful sync (which `Forget`s the key): the
    /// item's back-off is its first step, 5 ms, unless the queue's token bucket is empty.
    pub(crate) fn enqueue_deployment_rate_limited(&mut self, d: DeploymentId) {
        let now = self.now();
        let wait = self.deployment_bucket.reserve(now).max(5);
        self.enqueue_deployment_at(d, now.plus_ms(wait));
    }

    /// `AddAfter` for a Deployment: a sync at `at`, kept apart from immediate requests.
    pub(crate) fn enqueue_deployment_at(&mut self, d: DeploymentId, at: SimTime) {
        if let Some(at) = self.deployment_queue.request_after(d.0 as usize, at) {
            self.engine.schedule(at, Event::SyncDeployment(d));
        }
    }

    /// Queues a ReplicaSet sync after the reaction latency.
    pub(crate) fn enqueue_replica_set(&mut self, r: RsId) {
        let at = self.now().plus_ms(self.reaction_ms());
        self.enqueue_replica_set_now(r, at);
    }

    fn enqueue_replica_set_now(&mut self, r: RsId, at: SimTime) {
        if let Some(at) = self.replica_set_queue.request(r.0 as usize, at) {
            self.engine.schedule(at, Event::SyncReplicaSet(r));
        }
    }

    /// `AddAfter` for a ReplicaSet: a sync at `at`, kept apart from immediate requests.
    pub(crate) fn enqueue_replica_set_at(&mut self, r: RsId, at: SimTime) {
        if let Some(at) = self.replica_set_queue.request_after(r.0 as usize, at) {
            self.engine.schedule(at, Event::SyncReplicaSet(r));
        }
    }

    /// A Deployment was written: its controller and any `rollout status` watcher see it.
    /// Writes of Deployments, ReplicaSets and pods so far.
    pub fn object_writes(&self) -> u64 {
        self.object_writes
    }

    pub(crate) fn deployment_written(&mut self, d: DeploymentId) {
        self.object_writes += 1;
        if let Some(Some(dep)) = self.store.deployments.get_mut(d.0 as usize) {
            dep.meta.resource_version += 1;
        }
        self.deployment_writes.push(d);
        self.enqueue_deployment(d);
    }

    /// A ReplicaSet was written: its controller and its owner's controller see it.
    pub(crate) fn replica_set_written(&mut self, r: RsId) {
        self.object_writes += 1;
        let Some(rs) = self
            .store
            .replica_sets
            .get_mut(r.0 as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        rs.meta.resource_version += 1;
        let (owner, sample) = (
            rs.owner,
            RsSample {
                time: self.engine.now(),
                rs: r.0,
                revision: rs.revision(),
                desired: rs.replicas,
                current: rs.status.replicas,
                ready: rs.status.ready_replicas,
                available: rs.status.available_replicas,
            },
        );
        let revision = sample.revision;
        self.recorder.rs_sample(sample);
        if let Some(t) = self.traffic.as_deref_mut() {
            t.set_revision(r, revision);
        }
        self.enqueue_replica_set(r);
        self.enqueue_deployment(owner);
    }

    /// A pod was added, changed or removed: its ReplicaSet's controller sees it.
    pub(crate) fn pod_written(&mut self, p: PodId) {
        self.object_writes += 1;
        self.sample_pod_status(p);
        if self.traffic.is_some() {
            self.traffic_pod_changed(p);
        }
        let owner = self.store.pod(p).owner;
        self.enqueue_replica_set(owner);
    }

    /// Records the pod's STATUS, readiness and availability for reports, if they changed.
    pub(crate) fn sample_pod_status(&mut self, p: PodId) {
        if self.recorder.keep_pod_events {
            let pod = self.store.pod(p);
            let sample = PodStatusSample {
                time: self.now(),
                pod: p.0,
                status: pod.status_text(),
                ready: pod.ready,
                available: pod.counted_available,
                restarts: pod.restarts,
            };
            self.recorder.pod_status(sample);
        }
    }

    /// Records a fault moment.
    pub(crate) fn fault(&mut self, kind: &'static str, object: String, detail: String) {
        let now = self.now();
        self.recorder.fault(now, kind, object, detail);
    }

    /// Records a Kubernetes Event.
    pub(crate) fn record(
        &mut self,
        event_type: EventType,
        reason: &'static str,
        kind: &'static str,
        object: (&str, &str),
        source: &'static str,
        message: String,
    ) {
        self.record_about(event_type, reason, kind, object, "", source, message);
    }

    /// Records an event about a part of an object (`field_path`, e.g. a container).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_about(
        &mut self,
        event_type: EventType,
        reason: &'static str,
        kind: &'static str,
        (namespace, name): (&str, &str),
        field_path: &str,
        source: &'static str,
        message: String,
    ) {
        let event = KubeEvent {
            time: self.now(),
            event_type,
            reason,
            object: ObjectRef {
                kind,
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
            source,
            message,
            field_path: field_path.to_string(),
        };
        self.recorder.event(event);
    }

    /// Whether per-pod events are recorded (skip building their messages otherwise).
    pub(crate) fn records_pod_events(&self) -> bool {
        self.recorder.keep_pod_events
    }

    /// A fresh 128-bit UID from the `uids` stream.
    pub(crate) fn new_uid(&mut self) -> u128 {
        use rand::RngExt;
        let mut v: u128 = self.rngs.uids.random();
        // Version 4, variant 1, as real UIDs are.
        v = (v & !(0xf << 76)) | (0x4 << 76);
        v = (v & !(0x3 << 62)) | (0x2 << 62);
        v
    }

    /// Schedules a cluster event at an absolute time.
    pub(crate) fn schedule(&mut self, at: SimTime, event: Event) {
        self.engine.schedule(at, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delayed_add_is_not_swallowed_by_an_earlier_immediate_one() {
        let t = SimTime::from_ms;
        let mut q = WorkQueue::default();
        assert_eq!(q.request(0, t(5)), Some(t(5)));
        assert_eq!(q.request(0, t(7)), None, "a later immediate add merges");
        assert_eq!(q.request_after(0, t(6_000)), Some(t(6_000)));
        assert_eq!(
            q.request_after(0, t(9_000)),
            None,
            "the earliest waiting entry wins"
        );
        assert!(q.take(0, t(5)));
        assert!(!q.take(0, t(7)), "the merged add has no event of its own");
        assert!(q.take(0, t(6_000)));
        assert!(!q.take(0, t(9_000)));
    }

    #[test]
    fn the_token_bucket_allows_a_burst_of_100_then_10_a_second() {
        let mut b = TokenBucket::full();
        let now = SimTime::from_ms(1_000);
        let waits: Vec<u64> = (0..103).map(|_| b.reserve(now)).collect();
        assert!(waits[..100].iter().all(|w| *w == 0));
        assert_eq!(waits[100..], [100, 200, 300]);
        // Two seconds later 20 tokens have come back, 3 of them owed.
        assert_eq!(b.reserve(SimTime::from_ms(3_000)), 0);
    }
}
