//! The API objects rollsim simulates, as plain data.

use super::intstr::IntOrPercent;
use super::selector::LabelSelector;
use super::template::{PodRequests, PodTemplateSpec};
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// `deployment.kubernetes.io/revision`
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// `deployment.kubernetes.io/revision-history`
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// `deployment.kubernetes.io/desired-replicas`
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
/// `deployment.kubernetes.io/max-replicas`
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// `kubernetes.io/change-cause`
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";
/// `kubectl.kubernetes.io/last-applied-configuration`
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// `kubectl.kubernetes.io/restartedAt`, set on the template by `kubectl rollout restart`.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";
/// Legacy server-side rollback request.
pub const ROLLBACK_TO_ANNOTATION: &str = "deprecated.deployment.rollback.to";

/// Deployment annotations never copied to a ReplicaSet (`annotationsToSkip`).
pub const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    LAST_APPLIED_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    ROLLBACK_TO_ANNOTATION,
];

/// Index of a Deployment in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentId(pub u32);
/// Index of a ReplicaSet in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RsId(pub u32);
/// Index of a Pod in the store (never reused within a run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId(pub u32);
/// Index of a Node in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// The namespace objects land in when neither the manifest nor `-n` names one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The namespaces a new cluster holds (kubeadm's), in name order.
pub const INITIAL_NAMESPACES: [&str; 4] =
    ["default", "kube-node-lease", "kube-public", "kube-system"];

/// An object's key in its kind's index: namespace, then name (the order `kubectl get -A`
/// lists in).
pub type ObjectKey = (String, String);

/// The key of `name` in namespace `ns`.
pub fn object_key(ns: &str, name: &str) -> ObjectKey {
    (ns.to_string(), name.to_string())
}

/// How reports name an object: `NAME` in `default`, `NS/NAME` elsewhere, so objects of
/// one name in two namespaces never share a row, a series or a file.
pub fn report_name((ns, name): &ObjectKey) -> String {
    if ns == DEFAULT_NAMESPACE {
        name.clone()
    } else {
        format!("{ns}/{name}")
    }
}

/// One init container's run: when it started, and when it exited 0 (never for a sidecar).
pub type InitRun = (SimTime, Option<SimTime>);

/// The metadata every object shares.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectMeta {
    /// Name, unique per kind in the namespace.
    pub name: String,
    /// Namespace (empty for cluster-scoped objects: nodes, namespaces).
    pub namespace: String,
    /// Unique id (128 bits, printed as a UUID).
    pub uid: u128,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Creation time, whole seconds as the API server stores it.
    pub creation: SimTime,
    /// Spec generation (bumped by the API server on spec or annotation changes).
    pub generation: i64,
    /// Bumped on every write; watchers see one event per bump.
    pub resource_version: u64,
    /// Set when deletion has been requested.
    pub deletion: Option<SimTime>,
}

impl ObjectMeta {
    /// The object's name in reports (see [`report_name`]).
    pub fn report_name(&self) -> String {
        report_name(&(self.namespace.clone(), self.name.clone()))
    }

    /// Formats the UID like Kubernetes does (8-4-4-4-12 lowercase hex).
    pub fn uid_string(&self) -> String {
        let h = format!("{:032x}", self.uid);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// The rollout strategy, after defaulting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Kill every old pod before creating new ones.
    Recreate,
    /// Replace pods gradually within the surge and unavailability bounds.
    RollingUpdate {
        /// Pods above `replicas` allowed during the update.
        max_surge: IntOrPercent,
        /// Pods below `replicas` allowed to be unavailable.
        max_unavailable: IntOrPercent,
    },
}

impl Strategy {
    /// `Recreate` or `RollingUpdate`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Strategy::Recreate => "Recreate",
            Strategy::RollingUpdate { .. } => "RollingUpdate",
        }
    }
}

/// `DeploymentSpec` after defaulting.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSpec {
    /// Desired pods.
    pub replicas: i32,
    /// Which pods belong to it.
    pub selector: LabelSelector,
    /// The version (shared: the Deployment controller copies a Deployment on every sync,
    /// and the template is the bulk of it).
    pub template: std::sync::Arc<PodTemplateSpec>,
    /// How to roll.
    pub strategy: Strategy,
    /// Seconds a pod must be Ready before it counts as available.
    pub min_ready_seconds: i32,
    /// Old ReplicaSets kept; `None` keeps all.
    pub revision_history_limit: Option<i32>,
    /// Seconds without progress before `ProgressDeadlineExceeded`; `None` disables.
    pub progress_deadline_seconds: Option<i32>,
    /// Paused rollouts scale but do not roll.
    pub paused: bool,
}

/// `True`, `False` or `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionStatus {
    #[allow(missing_docs)]
    True,
    #[allow(missing_docs)]
    False,
    #[allow(missing_docs)]
    Unknown,
}

impl ConditionStatus {
    /// As printed by kubectl.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

/// A Deployment or ReplicaSet condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `Available`, `Progressing` or `ReplicaFailure`.
    pub kind: &'static str,
    #[allow(missing_docs)]
    pub status: ConditionStatus,
    /// Machine-readable reason.
    pub reason: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Whole seconds.
    pub last_update: SimTime,
    /// Whole seconds.
    pub last_transition: SimTime,
}

/// `DeploymentStatus`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeploymentStatus {
    #[allow(missing_docs)]
    pub observed_generation: i64,
    #[allow(missing_docs)]
    pub replicas: i32,
    #[allow(missing_docs)]
    pub updated_replicas: i32,
    #[allow(missing_docs)]
    pub ready_replicas: i32,
    #[allow(missing_docs)]
    pub available_replicas: i32,
    #[allow(missing_docs)]
    pub unavailable_replicas: i32,
    #[allow(missing_docs)]
    pub terminating_replicas: i32,
    #[allow(missing_docs)]
    pub collision_count: Option<i32>,
    /// Available first, then Progressing, in the order they were added.
    pub conditions: Vec<Condition>,
}

impl DeploymentStatus {
    /// The condition of that kind, if present.
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// A Deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    #[allow(missing_docs)]
    pub meta: ObjectMeta,
    #[allow(missing_docs)]
    pub spec: DeploymentSpec,
    #[allow(missing_docs)]
    pub status: DeploymentStatus,
    /// ReplicaSets it controls, in creation order.
    pub replica_sets: Vec<RsId>,
    /// Annotation keys the last `kubectl apply` set, so the next apply can remove dropped ones.
    pub last_applied_annotations: Vec<String>,
    /// Whether the last apply set `spec.replicas`.
    pub last_applied_replicas: bool,
    /// Whether the last apply set `spec.paused`.
    pub last_applied_paused: bool,
}

/// `ReplicaSetStatus` as last written by the ReplicaSet controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaSetStatus {
    #[allow(missing_docs)]
    pub replicas: i32,
    #[allow(missing_docs)]
    pub fully_labeled_replicas: i32,
    #[allow(missing_docs)]
    pub ready_replicas: i32,
    #[allow(missing_docs)]
    pub available_replicas: i32,
    #[allow(missing_docs)]
    pub terminating_replicas: i32,
    #[allow(missing_docs)]
    pub observed_generation: i64,
}

/// A ReplicaSet.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSet {
    #[allow(missing_docs)]
    pub meta: ObjectMeta,
    /// Controlling Deployment.
    pub owner: DeploymentId,
    /// Desired pods.
    pub replicas: i32,
    /// Copied from the Deployment when this is the new ReplicaSet.
    pub min_ready_seconds: i32,
    /// Selector including `pod-template-hash`.
    pub selector: LabelSelector,
    /// Template including `pod-template-hash` (shared: ReplicaSet updates copy the object).
    pub template: std::sync::Arc<PodTemplateSpec>,
    /// Requests of one pod, precomputed from the template.
    pub requests: PodRequests,
    /// Images of the template's containers, interned.
    pub images: Vec<u32>,
    /// The scenario's faults for those images, combined (none without a `faults` section).
    pub fault: super::faults::ImageFault,
    /// Status as last written by its controller (lags the pods).
    pub status: ReplicaSetStatus,
}

impl ReplicaSet {
    /// The revision annotation as a number (0 when missing or unparsable).
    pub fn revision(&self) -> i64 {
        self.meta
            .annotations
            .get(REVISION_ANNOTATION)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Pod phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    /// Accepted, containers not all running (ranked first for deletion).
    Pending,
    /// State unknown (node lost).
    Unknown,
    /// Bound and at least one container running.
    Running,
    /// All containers exited successfully.
    Succeeded,
    /// All containers exited, one or more in failure.
    Failed,
}

impl PodPhase {
    /// As printed by kubectl.
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Unknown => "Unknown",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
        }
    }
}

/// What the (single summarised) container of a pod is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Waiting, with a reason such as `ContainerCreating`.
    Waiting(&'static str),
    /// Running since the given time.
    Running(SimTime),
    /// Exited, with a reason such as `Completed` or `Error`.
    Terminated(&'static str),
}

/// Moments in a pod's life, kept for reports (`pods.csv`, the timeline chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodTimes {
    #[allow(missing_docs)]
    pub scheduled: Option<SimTime>,
    /// The kubelet took the pod on (`status.startTime`, sandbox and IP).
    pub kubelet_start: Option<SimTime>,
    #[allow(missing_docs)]
    pub pulling: Option<SimTime>,
    #[allow(missing_docs)]
    pub started: Option<SimTime>,
    #[allow(missing_docs)]
    pub ready: Option<SimTime>,
    #[allow(missing_docs)]
    pub available: Option<SimTime>,
    #[allow(missing_docs)]
    pub terminating: Option<SimTime>,
    #[allow(missing_docs)]
    pub gone: Option<SimTime>,
    /// The last container exit (the RESTARTS column's `(20s ago)`).
    pub last_terminated: Option<SimTime>,
    /// When the container that last exited had started (`Last State`'s `Started:`).
    pub last_run_started: Option<SimTime>,
}

/// A Pod. Its template is its ReplicaSet's (pods of a ReplicaSet never differ).
///
/// Laid out by use: what every event handler reads comes first and the moments it stamps
/// next, so that one event touches one or two cache lines of the record; names and IDs,
/// read by reports, come last.
#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
pub struct Pod {
    /// Owning ReplicaSet.
    pub owner: RsId,
    /// Bumped whenever scheduled kubelet work for this pod must be forgotten.
    pub kubelet_epoch: u32,
    /// Bound node.
    pub node: Option<NodeId>,
    /// Deletion requested (graceful termination under way).
    pub deletion: Option<SimTime>,
    /// Ready condition's last transition to True, whole seconds.
    pub ready_since: Option<SimTime>,
    #[allow(missing_docs)]
    pub container: ContainerState,
    /// Index in its ReplicaSet's active-pod list, while active.
    pub(crate) active_slot: Option<u32>,
    /// Index in its ReplicaSet's not-Ready list, while active and not Ready.
    pub(crate) not_ready_slot: Option<u32>,
    /// Highest restart count of its containers.
    pub restarts: u32,
    /// Init containers finished (sidecars: started) so far.
    pub init_done: u8,
    /// Init containers in its template (sidecars included).
    pub init_total: u8,
    /// Each init container's run so far: started, and finished (exit 0; never for a
    /// sidecar). Only pods with init containers have one.
    pub init_runs: Option<Box<Vec<InitRun>>>,
    #[allow(missing_docs)]
    pub phase: PodPhase,
    /// Ready condition status.
    pub ready: bool,
    /// Gone from the API server.
    pub gone: bool,
    /// The node lifecycle controller set its Ready condition False (`MarkPodsNotReady`):
    /// its containers still report ready, as nobody on the node could say otherwise.
    pub marked_not_ready: bool,
    /// Counted available by its ReplicaSet.
    pub(crate) counted_available: bool,
    /// For reports.
    pub times: PodTimes,
    /// Unique id, compared as upstream compares UID strings.
    pub uid: u128,
    /// Creation, whole seconds.
    pub creation: SimTime,
    /// Creation at full virtual precision (for reports).
    pub created_at: SimTime,
    /// Pod IP as a big-endian IPv4 number; 0 until the kubelet creates the sandbox.
    pub ip: u32,
    /// The random part of its name as a base-27 number (its key among its ReplicaSet's
    /// names); the name `<replicaset>-<5 chars>` is `Store::pod_name`.
    pub(crate) name_key: u32,
}

impl Pod {
    /// `status.podIP` as text, once its sandbox has one.
    pub fn ip_text(&self) -> Option<String> {
        (self.ip != 0).then(|| std::net::Ipv4Addr::from(self.ip).to_string())
    }

    /// Its containers report ready (`containerStatuses[].ready` with a running state): what
    /// `kubectl get pods` counts in READY, whatever the pod's own Ready condition says.
    pub fn containers_ready(&self) -> bool {
        (self.ready || self.marked_not_ready)
            && matches!(self.container, ContainerState::Running(_))
    }

    /// Mirrors `controller.IsPodActive`: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.gone
            && self.deletion.is_none()
            && !matches!(self.phase, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// Mirrors `printPod`'s STATUS column for the states a simulated pod has.
    pub fn status_text(&self) -> &'static str {
        if self.deletion.is_some() && !matches!(self.phase, PodPhase::Succeeded | PodPhase::Failed)
        {
            return "Terminating";
        }
        if self.node.is_none() || self.ip == 0 {
            return self.phase.as_str();
        }
        if self.init_done < self.init_total {
            return super::template::init_status(self.init_done.into(), self.init_total.into());
        }
        match self.container {
            ContainerState::Waiting(reason) | ContainerState::Terminated(reason) => reason,
            ContainerState::Running(_) => self.phase.as_str(),
        }
    }

    /// Mirrors `podutil.IsPodAvailable`: Ready for more than `min_ready_seconds`.
    pub fn is_available(&self, min_ready_seconds: i32, now: SimTime) -> bool {
        match (self.ready, self.ready_since) {
            (true, _) if min_ready_seconds <= 0 => true,
            (true, Some(since)) => since.plus_secs(min_ready_seconds as u64) < now,
            _ => false,
        }
    }
}

/// A Node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    #[allow(missing_docs)]
    pub name: String,
    #[allow(missing_docs)]
    pub uid: u128,
    #[allow(missing_docs)]
    pub labels: BTreeMap<String, String>,
    /// `spec.taints` set by users (the node lifecycle's own taints are kept as flags).
    pub taints: Vec<super::scheduling::Taint>,
    /// When each of `taints` was added (`timeAdded`, which the taint-eviction controller
    /// counts `NoExecute` tolerations from).
    pub taints_added: Vec<SimTime>,
    #[allow(missing_docs)]
    pub creation: SimTime,
    /// Allocatable CPU in millicores.
    pub cpu_millis: u64,
    /// Allocatable memory in bytes.
    pub memory_bytes: u64,
    /// Most pods it may run.
    pub max_pods: u32,
    /// Ready condition as the API shows it (the node lifecycle controller sets it Unknown,
    /// printed `NotReady`, once heartbeats have been missing for the grace period).
    pub ready: bool,
    /// Cordoned.
    pub unschedulable: bool,
    /// Whether the machine and its kubelet run (a fault stops them; the API learns late).
    pub kubelet_up: bool,
    /// When the `node.kubernetes.io/unreachable` taints were added, while present.
    pub unreachable_since: Option<SimTime>,
    /// Bumped on every down and up, so that stale node-lifecycle work is dropped.
    pub fault_epoch: u32,
    /// Sum of bound pods' requests (pods not yet gone).
    pub allocated: PodRequests,
    /// Bound pods not yet gone.
    pub pods: u32,
    /// Those pods, in binding order, so a node's pods are found without reading every pod
    /// ever created.
    pub bound: Vec<PodId>,
    /// Their ReplicaSets, each with how many of those pods it owns (a rollout leaves two or
    /// three on a node): a pod's labels are its ReplicaSet's, so affinity terms are checked
    /// against these without reading every bound pod's record.
    pub bound_owners: Vec<(RsId, u32)>,
    /// Images present (interned ids), with the time they finished pulling.
    pub images: Vec<(u32, SimTime)>,
    /// Pod IPs handed out so far (the next host number in its pod CIDR).
    pub pod_ips_assigned: u32,
}

impl Node {
    /// Records pod `p` of ReplicaSet `owner` as bound here.
    pub fn add_bound(&mut self, p: PodId, owner: RsId) {
        self.bound.push(p);
        match self.bound_owners.iter_mut().find(|(r, _)| *r == owner) {
            Some((_, n)) => *n += 1,
            None => self.bound_owners.push((owner, 1)),
        }
    }

    /// Forgets pod `p` of ReplicaSet `owner` (gone); nothing when it was not bound here.
    pub fn remove_bound(&mut self, p: PodId, owner: RsId) {
        let Some(i) = self.bound.iter().position(|&b| b == p) else {
            return;
        };
        self.bound.remove(i);
        if let Some(i) = self.bound_owners.iter().position(|(r, _)| *r == owner) {
            self.bound_owners[i].1 -= 1;
            if self.bound_owners[i].1 == 0 {
                self.bound_owners.remove(i);
            }
        }
    }
}

/// A Service (stored and printed; endpoints are derived from ready pods).
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    #[allow(missing_docs)]
    pub meta: ObjectMeta,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`.
    pub service_type: String,
    #[allow(missing_docs)]
    pub cluster_ip: String,
    #[allow(missing_docs)]
    pub selector: BTreeMap<String, String>,
    #[allow(missing_docs)]
    pub ports: Vec<ServicePort>,
    /// `publishNotReadyAddresses`: every endpoint counts as ready.
    pub publish_not_ready_addresses: bool,
}

impl Service {
    /// Whether the Service's selector (a plain map) selects pods with `labels`; an empty
    /// selector selects nothing (such a Service has no controller-managed endpoints).
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.selector.is_empty() && self.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}

/// One port of a Service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePort {
    #[allow(missing_docs)]
    pub name: Option<String>,
    #[allow(missing_docs)]
    pub port: i32,
    #[allow(missing_docs)]
    pub protocol: String,
    /// The pod port a connection goes to (a number, or a container port's name);
    /// `port` when unset.
    pub target_port: super::IntOrString,
    #[allow(missing_docs)]
    pub node_port: Option<i32>,
}

impl ServicePort {
    /// The target port as a number, resolving a name against a pod's container ports.
    pub fn target_number(&self, containers: &[super::Container]) -> Option<i32> {
        match &self.target_port {
            super::IntOrString::Int(n) => i32::try_from(*n).ok(),
            super::IntOrString::Str(name) => containers
                .iter()
                .flat_map(|c| c.ports.iter())
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port),
        }
    }
}

/// A PodDisruptionBudget (`policy/v1`): how many of the pods it selects evictions must
/// leave healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct PodDisruptionBudget {
    #[allow(missing_docs)]
    pub meta: ObjectMeta,
    #[allow(missing_docs)]
    pub min_available: Option<IntOrPercent>,
    #[allow(missing_docs)]
    pub max_unavailable: Option<IntOrPercent>,
    #[allow(missing_docs)]
    pub selector: LabelSelector,
}

/// A ConfigMap (stored, not used by the simulation).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigMap {
    #[allow(missing_docs)]
    pub meta: ObjectMeta,
    #[allow(missing_docs)]
    pub data: BTreeMap<String, String>,
}
