//! `rolloutRolling` (upstream `rolling.go`).

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
    if let Some(target) =
        util::reconcile_new_replica_set(d.spec.strategy, d.spec.replicas, &all, &new_snap)
        && scale_replica_set_and_record_event(c, d, new, target)
    {
        progress::sync_rollout_status(c, id, d, &inputs);
        return;
    }
    let old: Vec<RsSnapshot> = sets.old.iter().filter_map(|r| snapshot(c, *r)).collect();
    let actions =
        util::reconcile_old_replica_sets(d.spec.strategy, d.spec.replicas, &old, &new_snap);
    if apply_scale_actions(c, d, &actions, true) {
        progress::sync_rollout_status(c, id, d, &inputs);
        return;
    }
    if util::deployment_complete(d.spec.replicas, d.meta.generation, &d.status) {
        cleanup_deployment(c, d, &sets.old);
    }
    progress::sync_rollout_status(c, id, d, &inputs);
}
