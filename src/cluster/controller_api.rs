//! The cluster as the controllers see it: [`Api`] over the store, the API writes and
//! watches, the queues and the recorder.

use super::{Cluster, EventType, FaultRecord};
use crate::controllers::kubelet::PodFaultState;
use crate::controllers::replica_set::Expectations;
use crate::controllers::scheduler::SchedulerState;
use crate::controllers::traffic::Traffic;
use crate::controllers::{Api, Event, Rngs, Timing};
use crate::model::store::Store;
use crate::model::*;
use crate::sim::SimTime;
use std::collections::BTreeMap;

impl Api for Cluster {
    fn now(&self) -> SimTime {
        self.engine.now()
    }
    fn store(&self) -> &Store {
        &self.store
    }
    fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }
    fn timing(&self) -> &Timing {
        &self.config.timing
    }
    fn faults(&self) -> &Faults {
        &self.config.faults
    }
    fn rngs(&mut self) -> &mut Rngs {
        &mut self.rngs
    }
    fn expectations(&mut self) -> &mut Vec<Expectations> {
        &mut self.rs_expectations
    }
    fn scheduler(&self) -> &SchedulerState {
        &self.scheduler
    }
    fn scheduler_mut(&mut self) -> &mut SchedulerState {
        &mut self.scheduler
    }
    fn kubelet_pods(&self) -> &BTreeMap<PodId, PodFaultState> {
        &self.kubelet_pods
    }
    fn kubelet_pods_mut(&mut self) -> &mut BTreeMap<PodId, PodFaultState> {
        &mut self.kubelet_pods
    }
    fn traffic(&mut self) -> Option<&mut Traffic> {
        self.traffic.as_deref_mut()
    }
    fn models_traffic(&self) -> bool {
        self.traffic.is_some()
    }
    fn flush_traffic(&mut self) {
        Cluster::flush_traffic(self)
    }
    fn schedule(&mut self, at: SimTime, event: Event) {
        Cluster::schedule(self, at, event)
    }
    fn reaction_ms(&mut self) -> u64 {
        Cluster::reaction_ms(self)
    }
    fn pod_written(&mut self, p: PodId) {
        Cluster::pod_written(self, p)
    }
    fn sample_pod_status(&mut self, p: PodId) {
        Cluster::sample_pod_status(self, p)
    }
    fn set_pod_ready(&mut self, p: PodId) {
        Cluster::set_pod_ready(self, p)
    }
    fn set_pod_unready(&mut self, p: PodId) {
        Cluster::set_pod_unready(self, p)
    }
    fn pod_gone(&mut self, p: PodId) {
        Cluster::pod_gone(self, p)
    }
    fn delete_pod(&mut self, p: PodId) {
        Cluster::delete_pod(self, p)
    }
    fn create_pod(&mut self, r: RsId) -> Result<PodId, String> {
        Cluster::create_pod(self, r)
    }
    fn bind_pod(&mut self, p: PodId, n: NodeId) {
        Cluster::bind_pod(self, p, n)
    }
    fn new_replica_set_object(
        &mut self,
        owner: DeploymentId,
        name: String,
        template: PodTemplateSpec,
        selector: LabelSelector,
        replicas: i32,
        min_ready_seconds: i32,
    ) -> ReplicaSet {
        Cluster::new_replica_set_object(
            self,
            owner,
            name,
            template,
            selector,
            replicas,
            min_ready_seconds,
        )
    }
    fn create_replica_set(&mut self, rs: ReplicaSet) -> RsId {
        Cluster::create_replica_set(self, rs)
    }
    fn update_replica_set(&mut self, r: RsId, rs: ReplicaSet) {
        Cluster::update_replica_set(self, r, rs)
    }
    fn delete_replica_set(&mut self, r: RsId) {
        Cluster::delete_replica_set(self, r)
    }
    fn replica_set_written(&mut self, r: RsId) {
        Cluster::replica_set_written(self, r)
    }
    fn deployment_written(&mut self, d: DeploymentId) {
        Cluster::deployment_written(self, d)
    }
    fn enqueue_replica_set_at(&mut self, r: RsId, at: SimTime) {
        Cluster::enqueue_replica_set_at(self, r, at)
    }
    fn enqueue_deployment_rate_limited(&mut self, d: DeploymentId) {
        Cluster::enqueue_deployment_rate_limited(self, d)
    }
    fn enqueue_deployment_at(&mut self, d: DeploymentId, at: SimTime) {
        Cluster::enqueue_deployment_at(self, d, at)
    }
    fn records_pod_events(&self) -> bool {
        Cluster::records_pod_events(self)
    }
    fn record(
        &mut self,
        event_type: EventType,
        reason: &'static str,
        kind: &'static str,
        object: (&str, &str),
        source: &'static str,
        message: String,
    ) {
        Cluster::record(self, event_type, reason, kind, object, source, message)
    }
    fn pod_event(
        &mut self,
        p: PodId,
        event_type: EventType,
        reason: &'static str,
        source: &'static str,
        message: impl FnOnce(&Self) -> String,
    ) {
        Cluster::pod_event(self, p, event_type, reason, source, message)
    }
    fn container_event(
        &mut self,
        p: PodId,
        container: &str,
        event_type: EventType,
        reason: &'static str,
        message: impl FnOnce(&Self) -> String,
    ) {
        Cluster::container_event(self, p, container, event_type, reason, message)
    }
    fn fault(&mut self, kind: &'static str, object: String, detail: String) {
        Cluster::fault(self, kind, object, detail)
    }
    fn recorded_faults(&self) -> &[FaultRecord] {
        &self.recorder.faults
    }
    fn explain(&mut self, e: crate::model::explain::Explanation) {
        self.recorder.explanations.push(e);
    }
    fn explanations(&self) -> &[crate::model::explain::Explanation] {
        &self.recorder.explanations
    }
}
