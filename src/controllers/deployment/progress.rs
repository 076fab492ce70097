//! `calculateStatus`, `syncRolloutStatus` and `requeueStuckDeployment` (upstream `sync.go`,
//! `progress.go`).

use super::sync::{RsSets, new_condition, set_condition, update_status};
use super::util;
use crate::cluster::Cluster;
use crate::model::*;
use crate::sim::SimTime;

/// The ReplicaSet values `calculateStatus` reads, captured when a sync starts (upstream
/// computes status from the objects it listed, before its own scaling writes).
pub(crate) struct StatusInputs {
    spec_sum: i32,
    replicas: i32,
    ready: i32,
    available: i32,
    terminating: i32,
    updated: i32,
    new_name: Option<String>,
}

pub(crate) fn status_inputs(c: &Cluster, sets: &RsSets) -> StatusInputs {
    let all: Vec<&ReplicaSet> = sets
        .all()
        .iter()
        .filter_map(|r| c.store.replica_set(*r))
        .collect();
    let new = sets.new.and_then(|r| c.store.replica_set(r));
    StatusInputs {
        spec_sum: all.iter().map(|rs| rs.replicas).sum(),
        replicas: all.iter().map(|rs| rs.status.replicas).sum(),
        ready: all.iter().map(|rs| rs.status.ready_replicas).sum(),
        available: all.iter().map(|rs| rs.status.available_replicas).sum(),
        terminating: all.iter().map(|rs| rs.status.terminating_replicas).sum(),
        updated: new.map_or(0, |rs| rs.status.replicas),
        new_name: new.map(|rs| rs.meta.name.clone()),
    }
}

/// Mirrors `calculateStatus`, including the Available condition.
pub(crate) fn calculate_status(d: &Deployment, i: &StatusInputs, now: SimTime) -> DeploymentStatus {
    let mut status = DeploymentStatus {
        observed_generation: d.meta.generation,
        replicas: i.replicas,
        updated_replicas: i.updated,
        ready_replicas: i.ready,
        available_replicas: i.available,
        unavailable_replicas: (i.spec_sum - i.available).max(0),
        terminating_replicas: i.terminating,
        collision_count: d.status.collision_count,
        conditions: d.status.conditions.clone(),
    };
    let cond = if i.available
        >= d.spec.replicas - util::max_unavailable(d.spec.strategy, d.spec.replicas)
    {
        new_condition(
            "Available",
            ConditionStatus::True,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
            now,
        )
    } else {
        new_condition(
            "Available",
            ConditionStatus::False,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
            now,
        )
    };
    set_condition(&mut status, cond);
    status
}

/// Mirrors `syncRolloutStatus`: status plus the Progressing condition (complete,
/// progressing, or timed out), written only when something changed.
pub(crate) fn sync_rollout_status(
    c: &mut Cluster,
    id: DeploymentId,
    d: &mut Deployment,
    i: &StatusInputs,
) {
    let now = c.now();
    let mut new = calculate_status(d, i, now);
    let deadline = d.spec.progress_deadline_seconds;
    if deadline.is_none() {
        new.conditions.retain(|c| c.kind != "Progressing");
    }
    let current = d.status.condition("Progressing").cloned();
    let complete = new.replicas == new.updated_replicas
        && current
            .as_ref()
            .is_some_and(|c| c.reason == "NewReplicaSetAvailable");
    if deadline.is_some() && !complete {
        let subject = |verb: &str| match &i.new_name {
            Some(rs) => format!("ReplicaSet \"{rs}\" {verb}"),
            None => format!("Deployment \"{}\" {verb}", d.meta.name),
        };
        if util::deployment_complete(d.spec.replicas, d.meta.generation, &new) {
            let cond = new_condition(
                "Progressing",
                ConditionStatus::True,
                "NewReplicaSetAvailable",
                subject("has successfully progressed."),
                now,
            );
            set_condition(&mut new, cond);
        } else if util::deployment_progressing(&d.status, &new) {
            let mut cond = new_condition(
                "Progressing",
                ConditionStatus::True,
                "ReplicaSetUpdated",
                subject("is progressing."),
                now,
            );
            if let Some(cur) = &current {
                if cur.status == ConditionStatus::True {
                    cond.last_transition = cur.last_transition;
                }
                new.conditions.retain(|c| c.kind != "Progressing");
            }
            set_condition(&mut new, cond);
        } else if util::deployment_timed_out(deadline, &new, now) {
            let cond = new_condition(
                "Progressing",
                ConditionStatus::False,
                "ProgressDeadlineExceeded",
                subject("has timed out progressing."),
                now,
            );
            set_condition(&mut new, cond);
        }
    }
    if new == d.status {
        requeue_stuck_deployment(c, id, d, &new);
        return;
    }
    d.status = new;
    update_status(c, id, d);
}

/// Mirrors `requeueStuckDeployment`: with no progress, look again just after the deadline.
fn requeue_stuck_deployment(
    c: &mut Cluster,
    id: DeploymentId,
    d: &Deployment,
    new: &DeploymentStatus,
) {
    let (Some(deadline), Some(cond)) = (
        d.spec.progress_deadline_seconds,
        d.status.condition("Progressing"),
    ) else {
        return;
    };
    if util::deployment_complete(d.spec.replicas, d.meta.generation, new)
        || cond.reason == "ProgressDeadlineExceeded"
    {
        return;
    }
    let now = c.now();
    let due = cond.last_update.plus_secs(deadline.max(0) as u64);
    if due.ms_since(now) < 1000 {
        // Rate-limited requeue: 5 ms after a successful sync, slower once the queue's
        // bucket runs dry. Upstream re-syncs like this for as long as the condition allows.
        c.enqueue_deployment_rate_limited(id);
    } else {
        c.enqueue_deployment_at(id, due.plus_secs(1));
    }
}
