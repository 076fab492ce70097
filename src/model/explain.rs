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
    /// The controller that decided.
    pub fn controller(&self) -> &'static str {
        match self.step {
            ExplainStep::DeletePod { .. } => "replicaset-controller",
            ExplainStep::Unschedulable { .. } => "default-scheduler",
            ExplainStep::Endpoint { .. } => "endpointslice-controller",
            _ => "deployment-controller",
        }
    }

    /// The object decided about, as `kind/name`.
    pub fn object(&self) -> String {
        match &self.step {
            ExplainStep::DeletePod { rs, .. } => format!("replicaset/{rs}"),
            ExplainStep::Unschedulable { pod, .. } => format!("pod/{pod}"),
            ExplainStep::Endpoint { service, .. } => format!("service/{service}"),
            _ => format!("deployment/{}", self.deployment),
        }
    }

    /// The object's name as the transcript names it beside its controller.
    pub fn subject(&self) -> &str {
        match &self.step {
            ExplainStep::DeletePod { rs, .. } => rs,
            ExplainStep::Unschedulable { pod, .. } => pod,
            ExplainStep::Endpoint { service, .. } => service,
            _ => &self.deployment,
        }
    }
}

/// What happened to a pod's endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointChange {
    /// Listed ready: the pod's Ready condition is True.
    Ready,
    /// Listed not ready: the pod is not Ready (yet, or any more).
    NotReady,
    /// Listed terminating: the pod has a deletionTimestamp (ready false, serving as its
    /// readiness still says).
    Terminating,
    /// No longer listed: the pod is gone (or lost its IP or node).
    Removed,
}

/// How `scale` chose a ReplicaSet's new size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResizeHow {
    /// The only active ReplicaSet takes `spec.replicas`.
    Single,
    /// The new ReplicaSet has them all: an old one goes to 0.
    Saturated,
    /// Proportional scaling: the room under replicas + maxSurge shared by size.
    Proportional {
        max_surge: IntOrPercent,
        surge: i32,
        /// replicas + maxSurge (0 when scaling to 0).
        allowed: i32,
        /// Σ spec.replicas of the active ReplicaSets before.
        total: i32,
        /// This ReplicaSet's max-replicas annotation (else the Deployment's status.replicas).
        annotated: i32,
        /// `GetProportion`: round(from × allowed / annotated) − from, bounded by what was
        /// left to add.
        share: i32,
        /// What rounding left over, which the first (largest) ReplicaSet takes.
        leftover: i32,
    },
}

/// The first rule of the deletion ranking (`ActivePodsWithRanks.Less`) that puts a deleted
/// pod before the pod kept first, with the two values it compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionRule {
    /// Not yet on a node.
    Unscheduled,
    /// Pending before Unknown before Running: the two phases.
    Phase(&'static str, &'static str),
    /// Not Ready before Ready.
    NotReady,
    /// Lower `controller.kubernetes.io/pod-deletion-cost`.
    DeletionCost(i32, i32),
    /// More pods of the same Deployment on its node.
    MorePodsOnNode(u32, u32),
    /// Ready more recently (by power-of-two buckets of time since Ready).
    ReadyMoreRecently,
    /// Ready at different moments within one power-of-two bucket: upstream then compares
    /// UIDs at once, the smaller first.
    ReadyBucketUid,
    /// More container restarts.
    MoreRestarts(u32, u32),
    /// Created more recently (by power-of-two buckets of age).
    Newer,
    /// Equal in every rule: the pod with the smaller UID.
    Uid,
    /// Every active pod goes, in list order (no ranking).
    All,
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
    /// `scale`: `spec.replicas` changed (or a paused rollout resized) and the controller
    /// resized a ReplicaSet without rolling.
    Resize {
        rs: String,
        replicas: i32,
        from: i32,
        to: i32,
        how: ResizeHow,
    },
    /// A scheduling cycle found no node: each node counted under the filter plugin that
    /// rejected it first (recorded when the reasons change).
    Unschedulable {
        pod: String,
        nodes: usize,
        /// `(kube-scheduler's reason, nodes)`, as the FailedScheduling message counts them.
        reasons: Vec<(String, usize)>,
        /// For an anti-affinity rejection: a node and the pod there that its term matches.
        conflict: Option<(String, String)>,
    },
    /// The EndpointSlice controller changed a pod's endpoint of a Service (`syncService`).
    Endpoint {
        service: String,
        pod: String,
        /// What the endpoint is now.
        change: EndpointChange,
        /// Ready endpoints of the Service after the write.
        ready: u32,
    },
    /// `getPodsToDelete`: the ReplicaSet controller removes a pod chosen by the ranking.
    DeletePod {
        /// The ReplicaSet.
        rs: String,
        pod: String,
        /// The pod kept that ranked first among those kept, if any.
        kept: Option<String>,
        rule: DeletionRule,
    },
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
            | ExplainStep::RecreateUp { rs, from, to }
            | ExplainStep::Resize { rs, from, to, .. } => Some((rs, *from, *to)),
            ExplainStep::RecreateDown { rs, from } => Some((rs, *from, 0)),
            ExplainStep::Wait { .. }
            | ExplainStep::RecreateWait { .. }
            | ExplainStep::DeletePod { .. }
            | ExplainStep::Unschedulable { .. }
            | ExplainStep::Endpoint { .. }
            | ExplainStep::DeadlineExceeded { .. } => None,
        }
    }
}
