//! `rolloutRecreate` (upstream `recreate.go`).

use super::progress;
use super::sync::{
    cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set_and_record_event,
};
use super::util;
use crate::controllers::Api;
use crate::model::*;

/// Mirrors `rolloutRecreate`: scale every old ReplicaSet to 0, wait until no old pod is
/// left (terminating ones included), then create the new ReplicaSet at full size.
pub(crate) fn rollout_recreate(c: &mut impl Api, id: DeploymentId, d: &mut Deployment) {
    let Some(mut sets) = get_all_replica_sets_and_sync_revision(c, id, d, false) else {
        return;
    };
    let inputs = progress::status_inputs(c, &sets);
    let mut scaled = false;
    for r in sets.old.clone() {
        if c.store().replica_set(r).is_some_and(|rs| rs.replicas > 0) {
            scaled |= scale_replica_set_and_record_event(c, d, r, 0);
        }
    }
    if scaled || old_pods_running(c, &sets) {
        progress::sync_rollout_status(c, id, d, &inputs);
        return;
    }
    if sets.new.is_none() {
        let Some(created) = get_all_replica_sets_and_sync_revision(c, id, d, true) else {
            return;
        };
        sets = created;
    }
    if let Some(new) = sets.new {
        let target = util::new_rs_new_replicas(d.spec.strategy, d.spec.replicas, 0, 0);
        scale_replica_set_and_record_event(c, d, new, target);
    }
    if util::deployment_complete(d.spec.replicas, d.meta.generation, &d.status) {
        cleanup_deployment(c, d, &sets.old);
    }
    progress::sync_rollout_status(c, id, d, &inputs);
}

/// Mirrors `oldPodsRunning` through [`util::old_pods_running`]. A pod that is not gone has
/// not reached Succeeded or Failed (Deployment pods restart), so each counts as running.
fn old_pods_running(c: &impl Api, sets: &super::sync::RsSets) -> bool {
    let status_replicas: Vec<i32> = sets
        .old
        .iter()
        .filter_map(|r| c.store().replica_set(*r))
        .map(|rs| rs.status.replicas)
        .collect();
    let not_gone: usize = sets
        .old
        .iter()
        .map(|r| c.store().rs_pods[r.0 as usize].live as usize)
        .sum();
    util::old_pods_running(
        &status_replicas,
        std::iter::repeat_n(PodPhase::Running, not_gone),
    )
}
