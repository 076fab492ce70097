//! The Deployment controller's status and clean-up decisions as pure functions over plain
//! snapshots: `calculateStatus` and `syncRolloutStatus` (upstream `sync.go`,
//! `progress.go`), `requeueStuckDeployment`, `cleanupDeployment` and `oldPodsRunning`
//! (`recreate.go`). The controller calls these and carries out what they return, so
//! upstream's tables for them replay here unchanged.

use super::{deployment_complete, deployment_progressing, deployment_timed_out, max_unavailable};
use crate::model::{Condition, ConditionStatus, DeploymentStatus, PodPhase, Strategy};
use crate::sim::SimTime;

/// What `syncRolloutStatus` reads of the Deployment itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutSubject<'a> {
    /// `metadata.name` (the subject of a condition message when there is no new ReplicaSet).
    pub name: &'a str,
    /// `spec.replicas`.
    pub replicas: i32,
    /// `spec.strategy`.
    pub strategy: Strategy,
    /// `metadata.generation`.
    pub generation: i64,
    /// `spec.progressDeadlineSeconds` (`None` or `i32::MAX`: no deadline).
    pub progress_deadline_seconds: Option<i32>,
    /// The status as last written.
    pub status: &'a DeploymentStatus,
}

/// What `calculateStatus` reads of one ReplicaSet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RsCounts {
    /// `spec.replicas`.
    pub spec_replicas: i32,
    /// `status.replicas`.
    pub replicas: i32,
    /// `status.readyReplicas`.
    pub ready: i32,
    /// `status.availableReplicas`.
    pub available: i32,
    /// `status.terminatingReplicas`.
    pub terminating: i32,
}

/// `NewDeploymentCondition` at `now` (whole seconds, as the API server stores times).
pub fn new_condition(
    kind: &'static str,
    status: ConditionStatus,
    reason: &'static str,
    message: String,
    now: SimTime,
) -> Condition {
    let t = now.whole_seconds();
    Condition {
        kind,
        status,
        reason,
        message,
        last_update: t,
        last_transition: t,
    }
}

/// Mirrors `SetDeploymentCondition`: no change if status and reason are equal; keeps the
/// transition time if only the reason changes; the new condition goes last.
pub fn set_condition(status: &mut DeploymentStatus, cond: Condition) {
    let mut cond = cond;
    if let Some(cur) = status.condition(cond.kind) {
        if cur.status == cond.status && cur.reason == cond.reason {
            return;
        }
        if cur.status == cond.status {
            cond.last_transition = cur.last_transition;
        }
    }
    status.conditions.retain(|c| c.kind != cond.kind);
    status.conditions.push(cond);
}

/// Mirrors `HasProgressDeadline`: set and not `math.MaxInt32`.
pub fn has_progress_deadline(progress_deadline_seconds: Option<i32>) -> bool {
    progress_deadline_seconds.is_some_and(|d| d != i32::MAX)
}

/// Mirrors `calculateStatus`, including the Available condition: sums over every
/// ReplicaSet, `updatedReplicas` from the new one.
pub fn calculate_status(
    d: &RolloutSubject,
    all: &[RsCounts],
    new_rs: Option<&RsCounts>,
    now: SimTime,
) -> DeploymentStatus {
    let sum = |f: fn(&RsCounts) -> i32| all.iter().map(f).sum::<i32>();
    let available = sum(|r| r.available);
    let mut status = DeploymentStatus {
        observed_generation: d.generation,
        replicas: sum(|r| r.replicas),
        updated_replicas: new_rs.map_or(0, |r| r.replicas),
        ready_replicas: sum(|r| r.ready),
        available_replicas: available,
        unavailable_replicas: (sum(|r| r.spec_replicas) - available).max(0),
        terminating_replicas: sum(|r| r.terminating),
        collision_count: d.status.collision_count,
        conditions: d.status.conditions.clone(),
    };
    let cond = if available >= d.replicas - max_unavailable(d.strategy, d.replicas) {
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

/// Mirrors `syncRolloutStatus`: the status to write, with the Progressing condition
/// (complete, progressing, or timed out). `new_rs` is the new ReplicaSet's name and counts;
/// `all` includes it. The caller writes the result only if it differs from `d.status`,
/// and otherwise asks [`requeue_stuck_deployment`] when to look again.
pub fn sync_rollout_status(
    d: &RolloutSubject,
    all: &[RsCounts],
    new_rs: Option<(&str, &RsCounts)>,
    now: SimTime,
) -> DeploymentStatus {
    let mut new = calculate_status(d, all, new_rs.map(|(_, c)| c), now);
    let has_deadline = has_progress_deadline(d.progress_deadline_seconds);
    if !has_deadline {
        new.conditions.retain(|c| c.kind != "Progressing");
    }
    let current = d.status.condition("Progressing");
    let complete = new.replicas == new.updated_replicas
        && current.is_some_and(|c| c.reason == "NewReplicaSetAvailable");
    if !has_deadline || complete {
        return new;
    }
    let subject = |verb: &str| match new_rs {
        Some((rs, _)) => format!("ReplicaSet \"{rs}\" {verb}"),
        None => format!("Deployment \"{}\" {verb}", d.name),
    };
    if deployment_complete(d.replicas, d.generation, &new) {
        let message = subject("has successfully progressed.");
        let cond = new_condition(
            "Progressing",
            ConditionStatus::True,
            "NewReplicaSetAvailable",
            message,
            now,
        );
        set_condition(&mut new, cond);
    } else if deployment_progressing(d.status, &new) {
        let message = subject("is progressing.");
        let mut cond = new_condition(
            "Progressing",
            ConditionStatus::True,
            "ReplicaSetUpdated",
            message,
            now,
        );
        if let Some(cur) = current {
            if cur.status == ConditionStatus::True {
                cond.last_transition = cur.last_transition;
            }
            new.conditions.retain(|c| c.kind != "Progressing");
        }
        set_condition(&mut new, cond);
    } else if deployment_timed_out(d.progress_deadline_seconds, &new, now) {
        let message = subject("has timed out progressing.");
        let cond = new_condition(
            "Progressing",
            ConditionStatus::False,
            "ProgressDeadlineExceeded",
            message,
            now,
        );
        set_condition(&mut new, cond);
    }
    new
}

/// When to look at an unchanged Deployment again (`requeueStuckDeployment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeue {
    /// No deadline, no Progressing condition, complete, or already timed out (upstream -1).
    Never,
    /// Less than a second to the deadline: through the rate limiter now (upstream 0).
    RateLimited,
    /// `after_ms` to the deadline: upstream enqueues after that plus one second.
    After {
        #[allow(missing_docs)]
        after_ms: u64,
    },
}

/// Mirrors `requeueStuckDeployment`: with no progress, look again just after the deadline
/// (counted from the Progressing condition's last update), or at once through the rate
/// limiter when it is less than a second away or past.
pub fn requeue_stuck_deployment(
    d: &RolloutSubject,
    new_status: &DeploymentStatus,
    now: SimTime,
) -> Requeue {
    let Some(deadline) = d.progress_deadline_seconds.filter(|s| *s != i32::MAX) else {
        return Requeue::Never;
    };
    let Some(cond) = d.status.condition("Progressing") else {
        return Requeue::Never;
    };
    if deployment_complete(d.replicas, d.generation, new_status)
        || cond.reason == "ProgressDeadlineExceeded"
    {
        return Requeue::Never;
    }
    let due = cond.last_update.plus_secs(deadline.max(0) as u64);
    match due.as_ms().checked_sub(now.as_ms()) {
        Some(after_ms) if after_ms >= 1000 => Requeue::After { after_ms },
        _ => Requeue::RateLimited,
    }
}

/// What `cleanupDeployment` reads of one old ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupCandidate {
    /// Caller's handle, returned when the ReplicaSet is to be deleted.
    pub key: u32,
    #[allow(missing_docs)]
    pub name: String,
    /// `deployment.kubernetes.io/revision` (0 when absent).
    pub revision: i64,
    /// Creation, whole seconds.
    pub created: SimTime,
    /// `spec.replicas`.
    pub spec_replicas: i32,
    /// `status.replicas`.
    pub status_replicas: i32,
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed_generation: i64,
    /// Has a deletion timestamp.
    pub deleting: bool,
}

/// Mirrors `cleanupDeployment`: beyond `revisionHistoryLimit`, the oldest revisions (ties
/// by creation, then name) are deleted, except those that still have replicas (spec or
/// status), unobserved changes or a deletion under way, which use up their place.
/// Returns the keys to delete, in order.
pub fn cleanup_deployment(
    revision_history_limit: Option<i32>,
    old: &[CleanupCandidate],
) -> Vec<u32> {
    let Some(limit) = revision_history_limit.filter(|l| *l != i32::MAX) else {
        return Vec::new();
    };
    let mut cleanable: Vec<&CleanupCandidate> = old.iter().filter(|r| !r.deleting).collect();
    let diff = cleanable.len() as i64 - i64::from(limit);
    if diff <= 0 {
        return Vec::new();
    }
    // ReplicaSetsByRevision, falling back to ReplicaSetsByCreationTimestamp.
    cleanable
        .sort_by(|a, b| (a.revision, a.created, &a.name).cmp(&(b.revision, b.created, &b.name)));
    cleanable
        .into_iter()
        .take(diff as usize)
        .filter(|r| {
            r.status_replicas == 0
                && r.spec_replicas == 0
                && r.generation <= r.observed_generation
                && !r.deleting
        })
        .map(|r| r.key)
        .collect()
}

/// Mirrors `oldPodsRunning`: the old ReplicaSets still report replicas, or any pod of the
/// Deployment outside the new ReplicaSet is in a phase other than Succeeded or Failed
/// (terminating pods count; so does `Unknown`, as upstream keeps for safety).
pub fn old_pods_running(
    old_status_replicas: &[i32],
    old_pod_phases: impl IntoIterator<Item = PodPhase>,
) -> bool {
    old_status_replicas.iter().sum::<i32>() > 0
        || old_pod_phases
            .into_iter()
            .any(|p| !matches!(p, PodPhase::Succeeded | PodPhase::Failed))
}
