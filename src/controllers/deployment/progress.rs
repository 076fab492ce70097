//! `calculateStatus`, `syncRolloutStatus` and `requeueStuckDeployment` (upstream `sync.go`,
//! `progress.go`): the cluster side. The decisions are the pure functions of
//! [`util`](super::util); this reads their inputs from the store and carries out the result.

use super::sync::{RsSets, update_status};
use super::util::{self, Requeue, RolloutSubject, RsCounts};
use crate::controllers::Api;
use crate::model::*;
use crate::sim::SimTime;

/// The ReplicaSet values `calculateStatus` reads, captured when a sync starts (upstream
/// computes status from the objects it listed, before its own scaling writes).
pub(crate) struct StatusInputs {
    all: Vec<RsCounts>,
    new: Option<(String, RsCounts)>,
}

fn counts(rs: &ReplicaSet) -> RsCounts {
    RsCounts {
        spec_replicas: rs.replicas,
        replicas: rs.status.replicas,
        ready: rs.status.ready_replicas,
        available: rs.status.available_replicas,
        terminating: rs.status.terminating_replicas,
    }
}

pub(crate) fn status_inputs(c: &impl Api, sets: &RsSets) -> StatusInputs {
    StatusInputs {
        all: sets
            .all()
            .iter()
            .filter_map(|r| c.store().replica_set(*r))
            .map(counts)
            .collect(),
        new: sets
            .new
            .and_then(|r| c.store().replica_set(r))
            .map(|rs| (rs.meta.name.clone(), counts(rs))),
    }
}

fn subject(d: &Deployment) -> RolloutSubject<'_> {
    RolloutSubject {
        name: &d.meta.name,
        replicas: d.spec.replicas,
        strategy: d.spec.strategy,
        generation: d.meta.generation,
        progress_deadline_seconds: d.spec.progress_deadline_seconds,
        status: &d.status,
    }
}

/// Mirrors `calculateStatus`, including the Available condition.
pub(crate) fn calculate_status(d: &Deployment, i: &StatusInputs, now: SimTime) -> DeploymentStatus {
    util::calculate_status(&subject(d), &i.all, i.new.as_ref().map(|(_, c)| c), now)
}

/// Mirrors `syncRolloutStatus`: writes the status when something changed, and otherwise
/// requeues a stuck Deployment for its deadline.
pub(crate) fn sync_rollout_status(
    c: &mut impl Api,
    id: DeploymentId,
    d: &mut Deployment,
    i: &StatusInputs,
) {
    let now = c.now();
    let new_rs = i.new.as_ref().map(|(name, counts)| (name.as_str(), counts));
    let new = util::sync_rollout_status(&subject(d), &i.all, new_rs, now);
    if new == d.status {
        match util::requeue_stuck_deployment(&subject(d), &new, now) {
            Requeue::Never => {}
            // 5 ms after a successful sync, slower once the queue's bucket runs dry; upstream
            // re-syncs like this for as long as the condition allows.
            Requeue::RateLimited => c.enqueue_deployment_rate_limited(id),
            Requeue::After { after_ms } => {
                c.enqueue_deployment_at(id, now.plus_ms(after_ms).plus_secs(1));
            }
        }
        return;
    }
    let exceeded = |s: &DeploymentStatus| {
        s.condition("Progressing")
            .is_some_and(|c| c.reason == "ProgressDeadlineExceeded")
    };
    if exceeded(&new)
        && !exceeded(&d.status)
        && let (Some(deadline), Some(cond)) = (
            d.spec.progress_deadline_seconds,
            d.status.condition("Progressing"),
        )
    {
        let last_progress = cond.last_update;
        super::explain::deadline_exceeded(c, d, deadline, last_progress);
    }
    d.status = new;
    update_status(c, id, d);
}
