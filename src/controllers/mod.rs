//! The controllers: each owns one concern and its own state, reads the store, writes
//! through [`Api`] (which the cluster implements) and is woken by the watches those writes
//! trigger, dispatched from the cluster's one event loop.

pub mod deployment;
pub mod endpoint_slice;
pub mod kube_proxy;
pub mod kubelet;
pub mod node_lifecycle;
pub mod replica_set;
mod runtime;
pub mod scheduler;
pub mod traffic;

pub use runtime::{Event, Rngs, Timing};

use crate::model::recorder::{EventType, FaultRecord};
use crate::model::store::Store;
use crate::model::*;
use crate::sim::SimTime;
use kubelet::PodFaultState;
use replica_set::Expectations;
use scheduler::SchedulerState;
use std::collections::BTreeMap;
use traffic::Traffic;

/// What the controllers need of the cluster — the object store as their informer caches,
/// API writes that notify the watches, work queues and timers, the random streams and the
/// event recorder — as client-go's interfaces give upstream controllers. The cluster
/// implements it and dispatches events to the controllers from one place; nothing in this
/// layer names the cluster.
pub trait Api {
    /// Current virtual time.
    fn now(&self) -> SimTime;
    /// The objects (the controllers' caches).
    fn store(&self) -> &Store;
    /// The objects, to change in place before the write that announces it.
    fn store_mut(&mut self) -> &mut Store;
    /// The latencies.
    fn timing(&self) -> &Timing;
    /// The injected failures.
    fn faults(&self) -> &Faults;
    /// The random streams.
    fn rngs(&mut self) -> &mut Rngs;
    /// The ReplicaSet controller's expectations.
    fn expectations(&mut self) -> &mut Vec<Expectations>;
    /// The scheduler's state.
    fn scheduler(&self) -> &SchedulerState;
    /// The same, to change.
    fn scheduler_mut(&mut self) -> &mut SchedulerState;
    /// The kubelets' per-pod fault state.
    fn kubelet_pods(&self) -> &BTreeMap<PodId, PodFaultState>;
    /// The same, to change.
    fn kubelet_pods_mut(&mut self) -> &mut BTreeMap<PodId, PodFaultState>;
    /// Services, kube-proxy, apps and clients, when modelled.
    fn traffic(&mut self) -> Option<&mut Traffic>;
    /// Whether traffic is modelled.
    fn models_traffic(&self) -> bool;
    /// Queues what traffic asked for and tells the kubelet of apps that exited.
    fn flush_traffic(&mut self);
    /// Schedules an event at an absolute time.
    fn schedule(&mut self, at: SimTime, event: Event);
    /// Draws one watch-to-reaction latency.
    fn reaction_ms(&mut self) -> u64;

    /// A pod was added, changed or removed: its watchers see it.
    fn pod_written(&mut self, p: PodId);
    /// Records the pod's status for reports, if it changed.
    fn sample_pod_status(&mut self, p: PodId);
    /// The pod's Ready condition turns True.
    fn set_pod_ready(&mut self, p: PodId);
    /// The pod's Ready condition turns False.
    fn set_pod_unready(&mut self, p: PodId);
    /// The containers stopped and the kubelet removed the pod.
    fn pod_gone(&mut self, p: PodId);
    /// Graceful deletion of a pod.
    fn delete_pod(&mut self, p: PodId);
    /// A new pod of ReplicaSet `r`.
    fn create_pod(&mut self, r: RsId) -> Result<PodId, String>;
    /// Binds a pod to a node.
    fn bind_pod(&mut self, p: PodId, n: NodeId);
    /// A ReplicaSet object for a Deployment, not yet created.
    fn new_replica_set_object(
        &mut self,
        owner: DeploymentId,
        name: String,
        template: PodTemplateSpec,
        selector: LabelSelector,
        replicas: i32,
        min_ready_seconds: i32,
    ) -> ReplicaSet;
    /// Creates a ReplicaSet.
    fn create_replica_set(&mut self, rs: ReplicaSet) -> RsId;
    /// Updates a ReplicaSet.
    fn update_replica_set(&mut self, r: RsId, rs: ReplicaSet);
    /// Deletes a ReplicaSet.
    fn delete_replica_set(&mut self, r: RsId);
    /// A ReplicaSet was written: its watchers see it.
    fn replica_set_written(&mut self, r: RsId);
    /// A Deployment was written: its watchers see it.
    fn deployment_written(&mut self, d: DeploymentId);
    /// `AddAfter` for a ReplicaSet.
    fn enqueue_replica_set_at(&mut self, r: RsId, at: SimTime);
    /// `AddRateLimited` for a Deployment.
    fn enqueue_deployment_rate_limited(&mut self, d: DeploymentId);
    /// `AddAfter` for a Deployment.
    fn enqueue_deployment_at(&mut self, d: DeploymentId, at: SimTime);

    /// Whether per-pod events are recorded.
    fn records_pod_events(&self) -> bool;
    /// Records a Kubernetes Event.
    fn record(
        &mut self,
        event_type: EventType,
        reason: &'static str,
        kind: &'static str,
        object: (&str, &str),
        source: &'static str,
        message: String,
    );
    /// Records a pod's event (message built only when recorded).
    fn pod_event(
        &mut self,
        p: PodId,
        event_type: EventType,
        reason: &'static str,
        source: &'static str,
        message: impl FnOnce(&Self) -> String,
    );
    /// Records a container's event (message built only when recorded).
    fn container_event(
        &mut self,
        p: PodId,
        container: &str,
        event_type: EventType,
        reason: &'static str,
        message: impl FnOnce(&Self) -> String,
    );
    /// Records a fault moment.
    fn fault(&mut self, kind: &'static str, object: String, detail: String);
    /// Records why a controller decided as it did (with the arithmetic's numbers).
    fn explain(&mut self, e: crate::model::explain::Explanation);
    /// The explanations recorded so far.
    fn explanations(&self) -> &[crate::model::explain::Explanation];
    /// The fault moments recorded so far.
    fn recorded_faults(&self) -> &[FaultRecord];
}
