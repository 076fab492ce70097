//! Why a controller did what it did: the numbers of the arithmetic it used, recorded as
//! plain data when it decided, and rendered into words (in any language) by the reports.

use super::IntOrPercent;
use crate::sim::SimTime;

/// One decision and its arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// The Deployment it concerns.
    pub deployment: String,
    #[allow(missing_docs)]
    pub step: ExplainStep,
}

impl Explanation {
    /// The controller that decided (every step so far is the Deployment controller's).
    pub fn controller(&self) -> &'static str {
        "deployment-controller"
    }
}

/// The decisions of a rolling update, with the numbers each was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplainStep {
    /// `NewRSNewReplicas`: the new ReplicaSet grows into the room under replicas + maxSurge.
    ScaleUpNew {
        /// The new ReplicaSet.
        rs: String,
        replicas: i32,
        /// maxSurge as written and resolved (rounded up).
        max_surge: IntOrPercent,
        surge: i32,
        /// Σ spec.replicas of every ReplicaSet before the step.
        all_spec_sum: i32,
        from: i32,
        to: i32,
    },
    /// `reconcileOldReplicaSets`: an old ReplicaSet shrinks within the availability floor.
    ScaleDownOld {
        /// The old ReplicaSet.
        rs: String,
        replicas: i32,
        /// maxUnavailable as written and resolved (rounded down).
        max_unavailable: IntOrPercent,
        unavailable: i32,
        /// replicas − maxUnavailable: the availability floor.
        min_available: i32,
        /// Σ spec.replicas of every ReplicaSet, old and new, before the step.
        all_pods: i32,
        /// New pods asked for but not yet available.
        new_unavailable: i32,
        /// `allPods − minAvailable − newRSUnavailable`: how far the old side may shrink.
        max_scaled_down: i32,
        /// Removed as unavailable (`cleanupUnhealthyReplicas`), else as surplus available.
        unhealthy: bool,
        /// Σ available of every ReplicaSet (the second rule's count).
        available: i32,
        from: i32,
        to: i32,
    },
    /// Neither side may move: the ReplicaSets are at the ceiling and availability at the floor.
    Wait {
        replicas: i32,
        /// replicas + maxSurge, and Σ spec.replicas now.
        max_total: i32,
        all_spec_sum: i32,
        /// replicas − maxUnavailable, and Σ available now.
        min_available: i32,
        available: i32,
        /// New pods asked for but not yet available.
        new_unavailable: i32,
    },
    /// `rolloutRecreate`: every old ReplicaSet goes to 0 before any new pod exists.
    RecreateDown { rs: String, from: i32 },
    /// `rolloutRecreate`: no old pod is left, so the new ReplicaSet goes straight to its size.
    RecreateUp { rs: String, from: i32, to: i32 },
    /// `oldPodsRunning`: old pods still exist (terminating ones included).
    RecreateWait { old_pods: i32 },
    /// `DeploymentTimedOut`: no progress since the Progressing condition's last update for
    /// longer than `progressDeadlineSeconds`.
    DeadlineExceeded {
        deadline_s: i32,
        /// The Progressing condition's lastUpdateTime (whole seconds).
        last_progress: SimTime,
    },
}

#[allow(missing_docs)]
impl ExplainStep {
    /// `(ReplicaSet, from, to)` of a scaling step.
    pub fn scaled(&self) -> Option<(&str, i32, i32)> {
        match self {
            ExplainStep::ScaleUpNew { rs, from, to, .. }
            | ExplainStep::ScaleDownOld { rs, from, to, .. }
            | ExplainStep::RecreateUp { rs, from, to } => Some((rs, *from, *to)),
            ExplainStep::RecreateDown { rs, from } => Some((rs, *from, 0)),
            ExplainStep::Wait { .. }
            | ExplainStep::RecreateWait { .. }
            | ExplainStep::DeadlineExceeded { .. } => None,
        }
    }
}
