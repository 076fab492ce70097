//! What a run records for reports: Kubernetes Events and ReplicaSet count changes.

use crate::sim::SimTime;

/// `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    #[allow(missing_docs)]
    Normal,
    #[allow(missing_docs)]
    Warning,
}

impl EventType {
    /// As kubectl prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// The object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `deployment`, `replicaset`, `pod`, `node`.
    pub kind: &'static str,
    /// The Event's namespace: the object's own, `default` for a node's.
    pub namespace: String,
    #[allow(missing_docs)]
    pub name: String,
}

/// One Kubernetes Event occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeEvent {
    #[allow(missing_docs)]
    pub time: SimTime,
    #[allow(missing_docs)]
    pub event_type: EventType,
    #[allow(missing_docs)]
    pub reason: &'static str,
    #[allow(missing_docs)]
    pub object: ObjectRef,
    /// `deployment-controller`, `replicaset-controller`, `default-scheduler`, `kubelet`.
    pub source: &'static str,
    #[allow(missing_docs)]
    pub message: String,
    /// `involvedObject.fieldPath`: `spec.containers{web}` for the kubelet's container
    /// events, empty otherwise.
    pub field_path: String,
}

/// One ReplicaSet's counts after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsSample {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Index of the ReplicaSet in the store.
    pub rs: u32,
    /// Its revision annotation at that moment (undo moves an old ReplicaSet to a new one).
    pub revision: i64,
    /// spec.replicas
    pub desired: i32,
    /// status.replicas
    pub current: i32,
    /// status.readyReplicas
    pub ready: i32,
    /// status.availableReplicas
    pub available: i32,
}

/// A moment a fault changed the cluster: a node going down or up, a node marked NotReady,
/// pods evicted, the first failure of a kind in a ReplicaSet, a random crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRecord {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// `NodeDown`, `NodeUp`, `NodeNotReady`, `TaintEviction`, `ErrImagePull`, `CrashLoopBackOff`,
    /// `Unhealthy`, `RandomCrash`.
    pub kind: &'static str,
    /// `node/<name>`, `replicaset/<name>` or `pod/<name>`.
    pub object: String,
    /// One line for people.
    pub detail: String,
}

/// A pod's `kubectl get pods` STATUS and readiness after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodStatusSample {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Index of the pod in the store.
    pub pod: u32,
    /// As the STATUS column prints it.
    pub status: &'static str,
    /// Ready condition.
    pub ready: bool,
    /// Counted available by its ReplicaSet.
    pub available: bool,
    /// The RESTARTS column.
    pub restarts: u32,
}

/// Everything recorded during a run.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Keep every event (off for benchmarks at scale; Deployment events are always kept).
    pub keep_pod_events: bool,
    #[allow(missing_docs)]
    pub events: Vec<KubeEvent>,
    #[allow(missing_docs)]
    pub rs_samples: Vec<RsSample>,
    /// Index in `rs_samples` of each ReplicaSet's latest sample.
    last_sample: Vec<Option<usize>>,
    /// Fault moments, in time order (always kept: they are few).
    pub faults: Vec<FaultRecord>,
    /// Pod status changes (kept with pod events).
    pub pod_statuses: Vec<PodStatusSample>,
    /// Each pod's latest recorded status and readiness.
    last_pod_status: Vec<Option<(&'static str, bool, bool)>>,
    /// The controllers' decisions with their arithmetic, in time order.
    pub explanations: Vec<super::explain::Explanation>,
}

impl Recorder {
    /// Records an event (about a container when `field_path` is not empty).
    pub fn event(&mut self, event: KubeEvent) {
        if self.keep_pod_events || event.object.kind == "deployment" {
            self.events.push(event);
        }
    }

    /// Records a ReplicaSet's counts if any (or its revision) differs from its previous sample.
    pub fn rs_sample(&mut self, sample: RsSample) {
        let rs = sample.rs as usize;
        if self.last_sample.len() <= rs {
            self.last_sample.resize(rs + 1, None);
        }
        let counts = |s: &RsSample| (s.revision, s.desired, s.current, s.ready, s.available);
        if self.last_sample[rs].is_some_and(|i| counts(&self.rs_samples[i]) == counts(&sample)) {
            return;
        }
        self.last_sample[rs] = Some(self.rs_samples.len());
        self.rs_samples.push(sample);
    }

    /// Records a fault moment.
    pub fn fault(&mut self, time: SimTime, kind: &'static str, object: String, detail: String) {
        self.faults.push(FaultRecord {
            time,
            kind,
            object,
            detail,
        });
    }

    /// Records a pod's status if it differs from the last one recorded (with pod events only).
    pub fn pod_status(&mut self, sample: PodStatusSample) {
        if !self.keep_pod_events {
            return;
        }
        let i = sample.pod as usize;
        if self.last_pod_status.len() <= i {
            self.last_pod_status.resize(i + 1, None);
        }
        let now = (sample.status, sample.ready, sample.available);
        if self.last_pod_status[i] != Some(now) {
            self.last_pod_status[i] = Some(now);
            self.pod_statuses.push(sample);
        }
    }

    /// An empty recorder; `keep_pod_events` as in [`Recorder::keep_pod_events`].
    pub fn new(keep_pod_events: bool) -> Self {
        Recorder {
            keep_pod_events,
            ..Default::default()
        }
    }

    /// Events about one object, oldest first.
    pub fn events_for<'a>(
        &'a self,
        kind: &'a str,
        (ns, name): (&'a str, &'a str),
    ) -> impl Iterator<Item = &'a KubeEvent> + 'a {
        self.events.iter().filter(move |e| {
            e.object.kind == kind && e.object.name == name && e.object.namespace == ns
        })
    }
}
