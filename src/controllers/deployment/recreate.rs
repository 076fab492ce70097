//! `rolloutRecreate` (upstream `recreate.go`).

use super::explain;
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
        let Some((name, from)) = c
            .store()
            .replica_set(r)
            .filter(|rs| rs.replicas > 0)
            .map(|rs| (rs.meta.name.clone(), rs.replicas))
        else {
            continue;
        };
        if scale_replica_set_and_record_event(c, d, r, 0) {
            explain::recreate_down(c, d, &name, from);
            scaled = true;
        }
    }
    if scaled || old_pods_running(c, &sets) {
        if !scaled {
            explain::recreate_wait(c, d, old_pods_left(c, &sets) as i32);
        }
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
        let from = c.store().replica_set(new).map_or(0, |rs| rs.replicas);
        let name = c.store().replica_set(new).map(|rs| rs.meta.name.clone());
        let plan = util::new_rs_new_replicas_plan(d.spec.strategy, d.spec.replicas, 0, from);
        if scale_replica_set_and_record_event(c, d, new, plan.to)
            && let Some(name) = name
        {
            explain::scale_up(c, d, &name, &plan);
        }
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
    let not_gone = old_pods_left(c, sets);
    util::old_pods_running(
        &status_replicas,
        std::iter::repeat_n(PodPhase::Running, not_gone),
    )
}

/// Old pods not yet gone, terminating ones included.
fn old_pods_left(c: &impl Api, sets: &super::sync::RsSets) -> usize {
    sets.old
        .iter()
        .map(|r| c.store().rs_pods[r.0 as usize].live as usize)
        .sum()
}
