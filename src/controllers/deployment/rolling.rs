//! `rolloutRolling` (upstream `rolling.go`).

use super::explain;
use super::progress;
use super::sync::{
    apply_scale_actions, cleanup_deployment, get_all_replica_sets_and_sync_revision,
    scale_replica_set_and_record_event, snapshot,
};
use super::util::{self, RsSnapshot};
use crate::controllers::Api;
use crate::model::*;

/// Mirrors `rolloutRolling`: scale the new ReplicaSet up if possible; otherwise the old
/// ones down; one direction per sync. Then cleanup (once complete) and status.
pub(crate) fn rollout_rolling(c: &mut impl Api, id: DeploymentId, d: &mut Deployment) {
    let Some(sets) = get_all_replica_sets_and_sync_revision(c, id, d, true) else {
        return;
    };
    let Some(new) = sets.new else { return };
    let inputs = progress::status_inputs(c, &sets);
    let all: Vec<RsSnapshot> = sets.all().iter().filter_map(|r| snapshot(c, *r)).collect();
    let Some(new_snap) = snapshot(c, new) else {
        return;
    };
    let (target, new_plan) =
        util::reconcile_new_replica_set_plan(d.spec.strategy, d.spec.replicas, &all, &new_snap);
    if let Some(target) = target
        && scale_replica_set_and_record_event(c, d, new, target)
    {
        if let Some(plan) = new_plan {
            explain::scale_up(c, d, &new_snap.name, &plan);
        }
        progress::sync_rollout_status(c, id, d, &inputs);
        return;
    }
    let old: Vec<RsSnapshot> = sets.old.iter().filter_map(|r| snapshot(c, *r)).collect();
    let plan =
        util::reconcile_old_replica_sets_plan(d.spec.strategy, d.spec.replicas, &old, &new_snap);
    let actions: Vec<util::ScaleAction> = plan
        .cleanup
        .iter()
        .chain(&plan.scale_down)
        .copied()
        .collect();
    if apply_scale_actions(c, d, &actions, true) {
        explain::scale_down(c, d, &plan, &old);
        // After cleanupUnhealthyReplicas' error upstream reports no scale-down (the writes
        // before it stand) and carries on to the completeness check.
        if plan.cleanup_error.is_none() {
            progress::sync_rollout_status(c, id, d, &inputs);
            return;
        }
    }
    if let Some(plan) = new_plan
        && plan.from < d.spec.replicas
    {
        explain::wait(c, d, &plan, &all, &new_snap);
    }
    if util::deployment_complete(d.spec.replicas, d.meta.generation, &d.status) {
        cleanup_deployment(c, d, &sets.old);
    }
    progress::sync_rollout_status(c, id, d, &inputs);
}
