//! The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): creates and deletes
//! pods to match `spec.replicas`, in slow-start batches, choosing which pods to delete by
//! upstream's ranking, and writes status.

use crate::controllers::Api;
use crate::model::explain::{DeletionRule, ExplainStep, Explanation};
use crate::model::recorder::EventType;
use crate::model::store::RsPods;
use crate::model::*;
use crate::sim::SimTime;

/// Most creates or deletes one sync issues (`burstReplicas`).
pub const BURST_REPLICAS: usize = 500;
/// Expectations older than this are ignored (`ExpectationsTimeout`).
const EXPECTATIONS_TIMEOUT_MS: u64 = 5 * 60 * 1000;

/// Creates and deletes issued but not yet observed (`ControlleeExpectations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expectations {
    adds: i64,
    dels: i64,
    set_at: SimTime,
}

impl Expectations {
    /// Mirrors `SatisfiedExpectations`: everything observed, or the record expired.
    pub fn satisfied(&self, now: SimTime) -> bool {
        (self.adds <= 0 && self.dels <= 0) || now.ms_since(self.set_at) > EXPECTATIONS_TIMEOUT_MS
    }
}

/// Mirrors `slowStartBatch`: calls `attempt` in batches of 1, 2, 4, … (capped by what
/// remains), stopping after the first batch with a failure. Returns the successes.
pub fn slow_start_batch(
    count: usize,
    initial_batch: usize,
    mut attempt: impl FnMut() -> bool,
) -> usize {
    let mut remaining = count;
    let mut successes = 0;
    let mut batch = remaining.min(initial_batch);
    while batch > 0 {
        let ok = (0..batch).filter(|_| attempt()).count();
        successes += ok;
        if ok < batch {
            return successes;
        }
        remaining -= batch;
        batch = (2 * batch).min(remaining);
    }
    successes
}

/// What the deletion ranking looks at for one pod (`ActivePodsWithRanks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodRank {
    #[allow(missing_docs)]
    pub id: PodId,
    /// Has a node.
    pub scheduled: bool,
    #[allow(missing_docs)]
    pub phase: PodPhase,
    #[allow(missing_docs)]
    pub ready: bool,
    /// `controller.kubernetes.io/pod-deletion-cost`.
    pub deletion_cost: i32,
    /// Related active pods on the same node.
    pub rank: u32,
    /// Ready condition's last transition (whole seconds).
    pub ready_since: Option<SimTime>,
    #[allow(missing_docs)]
    pub restarts: u32,
    /// Creation (whole seconds).
    pub creation: SimTime,
    #[allow(missing_docs)]
    pub uid: u128,
}

/// `logarithmicRankDiff`: compares ⌊log2(now − t)⌋ (in nanoseconds, as Go's Duration).
fn log_rank(t: SimTime, now: SimTime) -> i64 {
    // Milliseconds to nanoseconds cannot overflow u64 for any run shorter than 500 years.
    match now.as_ms().checked_sub(t.as_ms()) {
        None | Some(0) => -1,
        Some(d_ms) => 63 - i64::from(d_ms.saturating_mul(1_000_000).leading_zeros()),
    }
}

/// The sort key of the deletion ranking; smaller is deleted first.
type DeletionKey = (
    bool,
    PodPhase,
    bool,
    i32,
    std::cmp::Reverse<u32>,
    i64,
    u128,
    std::cmp::Reverse<u32>,
    i64,
    u128,
);

/// The pods upstream compares past the Ready time (rule 6): Ready pods equal in every
/// earlier rule and Ready in the same second. Not-Ready pods skip rule 6 and form no group.
type ReadyGroup = (bool, PodPhase, i32, u32, SimTime);

fn ready_group(p: &PodRank) -> Option<ReadyGroup> {
    let since = p.ready_since.filter(|_| p.ready)?;
    Some((p.scheduled, p.phase, p.deletion_cost, p.rank, since))
}

/// Mirrors `ActivePodsWithRanks.Less` (PodDeletionCost and LogarithmicScaleDown on, as
/// they are by default, the latter locked on since 1.31) as a sort key: smaller means
/// "delete first". In upstream's order: unscheduled, phase, not Ready, deletion cost,
/// higher rank; for two Ready pods the newer Ready time by log2 bucket (a zero time first);
/// then more restarts, then the newer creation by log2 bucket, then UID.
///
/// Upstream's relation is not transitive: two Ready pods whose Ready times differ but share
/// a log2 bucket are ordered by UID at once, while pods Ready in the same second go on to
/// restarts and creation time. The key follows both through `group_uid`, compared after
/// the Ready bucket: a pod's own UID, except in a group of pods Ready in the same second
/// (equal in the earlier rules) that differ among themselves in restarts or creation
/// bucket, where it is the group's smallest UID, so that its members go on to restarts and
/// creation as upstream orders them. So every pair is ordered as upstream orders it (every
/// pair of upstream's test lists, every pair of different buckets, of one second, and of
/// different seconds whose groups are uniform, as in a rollout's waves of identical pods),
/// except pods of different seconds of which one belongs to a mixed group; and the key is a
/// total order, so the first `n` are selected in linear time, independently of list order
/// (Go's sort, given upstream's relation, returns an order that depends on it).
fn deletion_key(p: &PodRank, group_uid: u128, now: SimTime) -> DeletionKey {
    // afterOrZero: a zero time sorts first.
    let bucket = |t: Option<SimTime>| t.map_or(i64::MIN, |t| log_rank(t, now));
    let (ready_bucket, group_uid) = if p.ready {
        (bucket(p.ready_since), group_uid)
    } else {
        (0, 0)
    };
    (
        p.scheduled,
        p.phase,
        p.ready,
        p.deletion_cost,
        std::cmp::Reverse(p.rank),
        ready_bucket,
        group_uid,
        std::cmp::Reverse(p.restarts),
        bucket(Some(p.creation)),
        p.uid,
    )
}

/// Pods of one [`ReadyGroup`]: their smallest UID, and whether they differ in restarts or
/// creation bucket (only then does the group's UID stand in for its members').
#[derive(Debug, Clone, Copy)]
struct GroupUid {
    min: u128,
    first: (u32, i64),
    mixed: bool,
}

impl GroupUid {
    fn new(uid: u128, restarts: u32, created_bucket: i64) -> Self {
        GroupUid {
            min: uid,
            first: (restarts, created_bucket),
            mixed: false,
        }
    }

    fn add(&mut self, uid: u128, restarts: u32, created_bucket: i64) {
        self.min = self.min.min(uid);
        self.mixed |= (restarts, created_bucket) != self.first;
    }

    /// The UID a member compares with after the Ready bucket.
    fn for_member(&self, uid: u128) -> u128 {
        if self.mixed { self.min } else { uid }
    }
}

/// The keys of two pods ranked against each other alone.
fn pair_keys(a: &PodRank, b: &PodRank, now: SimTime) -> (DeletionKey, DeletionKey) {
    let created = |p: &PodRank| log_rank(p.creation, now);
    let (mut ga, mut gb) = (a.uid, b.uid);
    if ready_group(a).is_some() && ready_group(a) == ready_group(b) {
        let mut g = GroupUid::new(a.uid, a.restarts, created(a));
        g.add(b.uid, b.restarts, created(b));
        (ga, gb) = (g.for_member(a.uid), g.for_member(b.uid));
    }
    (deletion_key(a, ga, now), deletion_key(b, gb, now))
}

/// `ActivePodsWithRanks.Less(a, b)`: `a` is deleted before `b`. Pods equal in every rule
/// (and UID) are not less either way, as upstream.
pub fn deletion_less(a: &PodRank, b: &PodRank, now: SimTime) -> bool {
    let (ka, kb) = pair_keys(a, b, now);
    ka < kb
}

/// [`deletion_less`] as an ordering, ties broken by pod index: for comparing two pods in
/// tests only, as pairs of different Ready seconds can form a cycle (rank a set of pods
/// with [`pods_to_delete`]).
#[cfg(test)]
fn deletion_order(a: &PodRank, b: &PodRank, now: SimTime) -> std::cmp::Ordering {
    let (ka, kb) = pair_keys(a, b, now);
    (ka, a.id).cmp(&(kb, b.id))
}

/// The first rule of `ActivePodsWithRanks.Less` on which `victim` ranks before `kept`.
pub fn deciding_rule(victim: &PodRank, kept: &PodRank, now: SimTime) -> DeletionRule {
    let (v, k) = pair_keys(victim, kept, now);
    if v.0 != k.0 {
        DeletionRule::Unscheduled
    } else if v.1 != k.1 {
        DeletionRule::Phase(victim.phase.as_str(), kept.phase.as_str())
    } else if v.2 != k.2 {
        DeletionRule::NotReady
    } else if v.3 != k.3 {
        DeletionRule::DeletionCost(victim.deletion_cost, kept.deletion_cost)
    } else if v.4 != k.4 {
        DeletionRule::MorePodsOnNode(victim.rank, kept.rank)
    } else if v.5 != k.5 {
        DeletionRule::ReadyMoreRecently
    } else if v.6 != k.6 && victim.ready_since != kept.ready_since {
        // Ready in different seconds of one bucket: upstream compares UIDs at once.
        DeletionRule::ReadyBucketUid
    } else if v.6 != k.6 {
        DeletionRule::Uid
    } else if v.7 != k.7 {
        DeletionRule::MoreRestarts(victim.restarts, kept.restarts)
    } else if v.8 != k.8 {
        DeletionRule::Newer
    } else {
        DeletionRule::Uid
    }
}

/// The kept pod that ranks first for deletion (the one a further scale-down would take).
fn first_kept(kept: &[PodRank], now: SimTime) -> Option<&PodRank> {
    kept.iter()
        .reduce(|best, p| if deletion_less(p, best, now) { p } else { best })
}

/// Mirrors `getPodsToDelete`: all pods in list order when all go, else the `diff` first by
/// the deletion ranking.
pub fn pods_to_delete(pods: Vec<PodRank>, diff: usize, now: SimTime) -> Vec<PodId> {
    if diff < pods.len() {
        return first_ranked(pods, diff, now);
    }
    pods.into_iter().map(|p| p.id).collect()
}

/// Each [`ReadyGroup`] among `pods`.
fn group_uids(pods: &[PodRank], now: SimTime) -> std::collections::BTreeMap<ReadyGroup, GroupUid> {
    let mut groups: std::collections::BTreeMap<ReadyGroup, GroupUid> = Default::default();
    for p in pods {
        if let Some(g) = ready_group(p) {
            let created = log_rank(p.creation, now);
            groups
                .entry(g)
                .and_modify(|u| u.add(p.uid, p.restarts, created))
                .or_insert(GroupUid::new(p.uid, p.restarts, created));
        }
    }
    groups
}

/// The `n` first of `pods` by the deletion ranking, in that order.
fn first_ranked(pods: Vec<PodRank>, n: usize, now: SimTime) -> Vec<PodId> {
    if n == 0 {
        return Vec::new();
    }
    let groups = group_uids(&pods, now);
    let mut keyed: Vec<(DeletionKey, PodId)> = pods
        .iter()
        .map(|p| {
            let group = ready_group(p).and_then(|g| groups.get(&g));
            let uid = group.map_or(p.uid, |g| g.for_member(p.uid));
            (deletion_key(p, uid, now), p.id)
        })
        .collect();
    if n < keyed.len() {
        keyed.select_nth_unstable(n - 1);
        keyed.truncate(n);
    }
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// `syncReplicaSet`: manage replicas when expectations allow, then write status.
pub(crate) fn sync_replica_set(c: &mut impl Api, r: RsId) {
    let now = c.now();
    let Some(rs) = c.store().replica_set(r) else {
        return;
    };
    // `rsNeedsSync && rs.DeletionTimestamp == nil`: a ReplicaSet being deleted never
    // replaces the pods garbage collection is removing.
    let deleting = rs.meta.deletion.is_some();
    if c.expectations().len() <= r.0 as usize {
        c.expectations()
            .resize(r.0 as usize + 1, Expectations::default());
    }
    if c.expectations()[r.0 as usize].satisfied(now) && !deleting {
        manage_replicas(c, r);
    }
    update_status(c, r);
}

/// Mirrors `manageReplicas`.
fn manage_replicas(c: &mut impl Api, r: RsId) {
    let Some(rs) = c.store().replica_set(r) else {
        return;
    };
    let diff = c.store().rs_pods[r.0 as usize].active.len() as i64 - i64::from(rs.replicas);
    let now = c.now();
    if diff < 0 {
        let n = ((-diff) as usize).min(BURST_REPLICAS);
        c.expectations()[r.0 as usize] = Expectations {
            adds: n as i64,
            dels: 0,
            set_at: now,
        };
        let mut error = None;
        slow_start_batch(n, 1, || match c.create_pod(r) {
            Ok(p) => {
                rs_pod_event(c, r, p, "SuccessfulCreate", "Created pod: ");
                true
            }
            Err(e) => {
                error = Some(e);
                false
            }
        });
        // Creates happen through the API server at once, so they are observed already.
        c.expectations()[r.0 as usize].adds = 0;
        if let Some(e) = error {
            let (rs_ns, rs_name) = c
                .store()
                .replica_set(r)
                .map(|rs| (rs.meta.namespace.clone(), rs.meta.name.clone()))
                .unwrap_or_default();
            c.record(
                EventType::Warning,
                "FailedCreate",
                "replicaset",
                (&rs_ns, &rs_name),
                "replicaset-controller",
                format!("Error creating: {e}"),
            );
            // The sync returns an error: the key is retried with rate-limited back-off.
            c.enqueue_replica_set_at(r, now.plus_secs(1));
        }
    } else if diff > 0 {
        let n = (diff as usize).min(BURST_REPLICAS);
        c.expectations()[r.0 as usize] = Expectations {
            adds: 0,
            dels: n as i64,
            set_at: now,
        };
        let victims = victims(c, r, n, now);
        if c.records_pod_events() {
            explain_victims(c, r, &victims, now);
        }
        for p in victims {
            c.delete_pod(p);
            rs_pod_event(c, r, p, "SuccessfulDelete", "Deleted pod: ");
        }
        c.expectations()[r.0 as usize].dels = 0;
    }
}

/// Records why each chosen pod goes: the first rule of the ranking that puts it before the
/// pod kept first (a full pass over the ReplicaSet's pods, so only when events are kept).
fn explain_victims(c: &mut impl Api, r: RsId, victims: &[PodId], now: SimTime) {
    let Some(rs) = c.store().replica_set(r) else {
        return;
    };
    let (rs_name, dep) = (rs.meta.name.clone(), rs.owner);
    let deployment = c
        .store()
        .deployment(dep)
        .map_or(String::new(), |d| d.meta.name.clone());
    let kept: Vec<PodRank> = c.store().rs_pods[r.0 as usize]
        .active
        .iter()
        .filter(|p| !victims.contains(p))
        .map(|&p| pod_rank(c, p, dep))
        .collect();
    let first = first_kept(&kept, now).copied();
    for &v in victims {
        let victim = pod_rank(c, v, dep);
        let rule = first.map_or(DeletionRule::All, |k| deciding_rule(&victim, &k, now));
        let step = ExplainStep::DeletePod {
            rs: rs_name.clone(),
            pod: c.store().pod_name_of(v),
            kept: first.map(|k| c.store().pod_name_of(k.id)),
            rule,
        };
        c.explain(Explanation {
            time: now,
            deployment: deployment.clone(),
            step,
        });
    }
}

/// A Normal event on the ReplicaSet naming one of its pods (`<prefix><pod>`), when kept.
fn rs_pod_event(c: &mut impl Api, r: RsId, p: PodId, reason: &'static str, prefix: &str) {
    if !c.records_pod_events() {
        return;
    }
    let (rs_ns, rs_name) = c
        .store()
        .replica_set(r)
        .map(|rs| (rs.meta.namespace.clone(), rs.meta.name.clone()))
        .unwrap_or_default();
    let msg = format!("{prefix}{}", c.store().pod_name_of(p));
    c.record(
        EventType::Normal,
        reason,
        "replicaset",
        (&rs_ns, &rs_name),
        "replicaset-controller",
        msg,
    );
}

/// One active pod as the ranking sees it, with `rank` the number of active pods of the same
/// Deployment on its node (`getPodsRankedByRelatedPodsOnSameNode`).
pub(crate) fn pod_rank(c: &impl Api, id: PodId, dep: DeploymentId) -> PodRank {
    let p = c.store().pod(id);
    PodRank {
        id,
        scheduled: p.node.is_some(),
        phase: p.phase,
        ready: p.ready,
        deletion_cost: 0,
        rank: p.node.map_or(0, |n| c.store().active_on(dep, n)),
        ready_since: p.ready_since,
        restarts: p.restarts,
        creation: p.creation,
        uid: p.uid,
    }
}

/// One rank level and Ready second as one number: levels are below 2^24 (pods per node)
/// and Ready seconds below 2^40 (any run), so distinct pairs never share a number.
fn group_slot(level: u32, since: SimTime) -> u64 {
    (u64::from(level) << 40) | (since.as_ms() / 1000)
}

/// A multiply-shift hash for [`group_slot`] numbers: the groups are looked up, never
/// iterated, so the hash only needs to be fast, not keyed.
#[derive(Default, Clone, Copy)]
struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
}

type BuildMix = std::hash::BuildHasherDefault<Mix>;

/// [`log_rank`] + 1 (so at least 0) of the last time asked, remembered for the next call.
#[derive(Default)]
struct LogBucket {
    last: Option<(SimTime, u8)>,
}

impl LogBucket {
    fn of(&mut self, t: SimTime, now: SimTime) -> u8 {
        match self.last {
            Some((at, b)) if at == t => b,
            _ => {
                // log_rank lies in -1..=63.
                let b = (log_rank(t, now) + 1) as u8;
                self.last = Some((t, b));
                b
            }
        }
    }
}

/// Mirrors `getPodsToDelete` over the ReplicaSet's active pods, without ranking all of them:
/// not-Ready pods always rank before Ready ones, and Ready pods on the same node share their
/// node's rank, so only the not-Ready pods and the Ready pods on the highest-ranked nodes
/// (whole rank levels, until there are `n`) can be among the first `n`. Ready pods are keyed
/// from the per-node lists alone (rank, Ready-time bucket, group UID, restarts, creation
/// bucket, UID), exactly as
/// `deletion_key` orders them, so the pick is the one ranking every pod would make.
pub(crate) fn victims(c: &impl Api, r: RsId, n: usize, now: SimTime) -> Vec<PodId> {
    let Some(dep) = c.store().replica_set(r).map(|rs| rs.owner) else {
        return Vec::new();
    };
    let live = &c.store().rs_pods[r.0 as usize];
    if n >= live.active.len() {
        return live.active.clone();
    }
    let not_ready: Vec<PodRank> = live
        .not_ready
        .iter()
        .map(|&p| pod_rank(c, p, dep))
        .collect();
    let need = n.saturating_sub(not_ready.len());
    let mut out = first_ranked(not_ready, n, now);
    if need > 0 {
        let level_of = |node: NodeId| c.store().active_on(dep, node);
        out.extend(ready_victims(live, &level_of, need, now));
    }
    out
}

/// The lowest rank level whose pods, with those of every level above it, number at least
/// `need`, and how many must be chosen from that level.
fn lowest_level(live: &RsPods, level_of: &impl Fn(NodeId) -> u32, need: usize) -> (usize, usize) {
    let mut pods_at_level: Vec<usize> = Vec::new();
    for (node, pods) in live.ready_on_node.nodes() {
        let level = level_of(node) as usize;
        if pods_at_level.len() <= level {
            pods_at_level.resize(level + 1, 0);
        }
        pods_at_level[level] += pods.len();
    }
    let (mut lowest, mut covered) = (pods_at_level.len(), 0);
    while lowest > 0 && covered < need {
        lowest -= 1;
        covered += pods_at_level[lowest];
    }
    let above: usize = pods_at_level.iter().skip(lowest + 1).sum();
    (lowest, need - above.min(need))
}

/// The Ready-second groups (see `deletion_key`) of the pods at `lowest` and above, from one
/// pass. A lookup table, never iterated: its order cannot reach the result.
fn ready_groups(
    live: &RsPods,
    level_of: &impl Fn(NodeId) -> u32,
    lowest: usize,
    now: SimTime,
) -> std::collections::HashMap<u64, GroupUid, BuildMix> {
    let mut groups: std::collections::HashMap<u64, GroupUid, BuildMix> = Default::default();
    let mut created_bucket = LogBucket::default();
    for (node, pods) in live.ready_on_node.nodes() {
        let level = level_of(node);
        if (level as usize) < lowest {
            continue;
        }
        for p in pods {
            let created = i64::from(created_bucket.of(p.creation, now));
            groups
                .entry(group_slot(level, p.since))
                .and_modify(|g| g.add(p.uid, p.restarts, created))
                .or_insert(GroupUid::new(p.uid, p.restarts, created));
        }
    }
    groups
}

/// The `need` Ready pods to delete, in order: whole rank levels from the top until they
/// hold `need` pods, counted per level, then keys for only the pods of those levels. Levels
/// above the lowest go whole; the lowest is chosen from by a bounded max-heap of the
/// smallest keys (most pods are rejected by one comparison with the largest kept so far).
/// The keys are unique, so the order in which nodes are visited cannot change the pick.
fn ready_victims(
    live: &RsPods,
    level_of: &impl Fn(NodeId) -> u32,
    need: usize,
    now: SimTime,
) -> Vec<PodId> {
    let (lowest, partial) = lowest_level(live, level_of, need);
    let groups = ready_groups(live, level_of, lowest, now);
    // A Ready pod's key packed as (level, Ready-time bucket), group UID, (restarts,
    // creation bucket), UID, index: the order of `deletion_key` for Ready pods, compared as
    // plain integers.
    type ReadyKey = (u64, u128, u64, u128, u32);
    let mut chosen: Vec<ReadyKey> = Vec::with_capacity(need);
    let mut best: std::collections::BinaryHeap<ReadyKey> =
        std::collections::BinaryHeap::with_capacity(partial + 1);
    // A node's list runs in Ready order, so neighbours mostly share their Ready second
    // (and pods created together their creation second): log2 is taken once per run.
    let (mut ready_bucket, mut created_bucket) = (LogBucket::default(), LogBucket::default());
    for (node, pods) in live.ready_on_node.nodes() {
        let level = level_of(node);
        if (level as usize) < lowest {
            continue;
        }
        let head = u64::from(u32::MAX - level) << 32;
        for p in pods {
            let key = (
                head | u64::from(ready_bucket.of(p.since, now)),
                groups
                    .get(&group_slot(level, p.since))
                    .map_or(p.uid, |g| g.for_member(p.uid)),
                u64::from(u32::MAX - p.restarts) << 32
                    | u64::from(created_bucket.of(p.creation, now)),
                p.uid,
                p.id.0,
            );
            if level as usize > lowest {
                chosen.push(key);
            } else if best.len() < partial {
                best.push(key);
            } else if best.peek().is_some_and(|top| key < *top) {
                best.pop();
                best.push(key);
            }
        }
    }
    chosen.extend(best.into_vec());
    chosen.sort_unstable();
    chosen.into_iter().map(|k| PodId(k.4)).collect()
}

/// Mirrors `calculateStatus` + `updateReplicaSetStatus`, with the minReadySeconds re-check.
fn update_status(c: &mut impl Api, r: RsId) {
    let now = c.now();
    promote_available(c, r, now);
    let Some(rs) = c.store().replica_set(r) else {
        return;
    };
    let live = &c.store().rs_pods[r.0 as usize];
    let status = ReplicaSetStatus {
        replicas: live.active.len() as i32,
        fully_labeled_replicas: live.active.len() as i32,
        ready_replicas: live.ready,
        available_replicas: live.available,
        terminating_replicas: live.terminating,
        observed_generation: rs.meta.generation,
    };
    let (spec, min_ready) = (rs.replicas, rs.min_ready_seconds);
    if status != rs.status {
        if let Some(rs) = c.store_mut().replica_sets[r.0 as usize].as_mut() {
            rs.status = status;
        }
        c.replica_set_written(r);
    }
    if min_ready > 0 && status.ready_replicas == spec && status.available_replicas != spec {
        c.enqueue_replica_set_at(r, now.plus_secs(min_ready as u64));
    }
}

/// Counts pods whose Ready time is more than minReadySeconds ago as available.
fn promote_available(c: &mut impl Api, r: RsId, now: SimTime) {
    let Some(min_ready) = c.store().replica_set(r).map(|rs| rs.min_ready_seconds) else {
        return;
    };
    loop {
        let live = &mut c.store_mut().rs_pods[r.0 as usize];
        let Some(&(since, p)) = live.pending_available.first() else {
            break;
        };
        if since.plus_secs(min_ready.max(0) as u64) >= now {
            break;
        }
        live.pending_available.pop_first();
        live.available += 1;
        let pod = &mut c.store_mut().pods[p.0 as usize];
        pod.counted_available = true;
        pod.times.available.get_or_insert(now);
        c.sample_pod_status(p);
    }
}

/// Recounts availability after the ReplicaSet's minReadySeconds changed.
pub(crate) fn recount_availability(c: &mut impl Api, r: RsId) {
    let Some(min_ready) = c.store().replica_set(r).map(|rs| rs.min_ready_seconds) else {
        return;
    };
    let now = c.now();
    let active = c.store().rs_pods[r.0 as usize].active.clone();
    let (mut available, mut pending) = (0, std::collections::BTreeSet::new());
    for p in active {
        let pod = &mut c.store_mut().pods[p.0 as usize];
        if !pod.ready {
            continue;
        }
        pod.counted_available = pod.is_available(min_ready, now);
        if pod.counted_available {
            available += 1;
        } else if let Some(since) = pod.ready_since {
            pending.insert((since, p));
        }
        c.sample_pod_status(p);
    }
    let live = &mut c.store_mut().rs_pods[r.0 as usize];
    live.available = available;
    live.pending_available = pending;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;
    use std::collections::BTreeMap;

    #[test]
    fn slow_start_doubles_and_stops_at_the_first_failed_batch() {
        // The reference's example: 10 creates with 5 allowed → batches 1, 2, 4 (7 calls), 5 succeed.
        let mut calls = 0;
        let ok = slow_start_batch(10, 1, || {
            calls += 1;
            calls <= 5
        });
        assert_eq!((calls, ok), (7, 5));
        let mut calls = 0;
        assert_eq!(
            slow_start_batch(10, 1, || {
                calls += 1;
                true
            }),
            10
        );
        assert_eq!(calls, 10);
        assert_eq!(slow_start_batch(0, 1, || true), 0);
    }

    fn pod(id: u32) -> PodRank {
        PodRank {
            id: PodId(id),
            scheduled: true,
            phase: PodPhase::Running,
            ready: true,
            deletion_cost: 0,
            rank: 1,
            ready_since: Some(SimTime::from_secs(100)),
            restarts: 0,
            creation: SimTime::from_secs(50),
            uid: u128::from(id),
        }
    }

    #[test]
    fn the_deciding_rule_is_the_first_rule_that_differs() {
        let now = SimTime::from_secs(1000);
        let kept = pod(2);
        let case = |f: &dyn Fn(&mut PodRank)| {
            let mut v = pod(1);
            f(&mut v);
            deciding_rule(&v, &kept, now)
        };
        assert_eq!(case(&|p| p.scheduled = false), DeletionRule::Unscheduled);
        assert_eq!(
            case(&|p| p.phase = PodPhase::Pending),
            DeletionRule::Phase("Pending", "Running")
        );
        assert_eq!(case(&|p| p.ready = false), DeletionRule::NotReady);
        assert_eq!(
            case(&|p| p.deletion_cost = -1),
            DeletionRule::DeletionCost(-1, 0)
        );
        assert_eq!(case(&|p| p.rank = 3), DeletionRule::MorePodsOnNode(3, 1));
        // Ready 10 s ago against 900 s ago: a different power-of-two bucket.
        assert_eq!(
            case(&|p| p.ready_since = Some(SimTime::from_secs(990))),
            DeletionRule::ReadyMoreRecently
        );
        // Ready 899 s ago against 900 s ago: one bucket, so upstream compares UIDs at once.
        assert_eq!(
            case(&|p| p.ready_since = Some(SimTime::from_secs(101))),
            DeletionRule::ReadyBucketUid
        );
        assert_eq!(case(&|p| p.restarts = 2), DeletionRule::MoreRestarts(2, 0));
        assert_eq!(
            case(&|p| p.creation = SimTime::from_secs(990)),
            DeletionRule::Newer
        );
        assert_eq!(case(&|_| ()), DeletionRule::Uid);
        // The rule found is always one on which the deleted pod ranks first.
        assert!(deletion_less(&pod(1), &kept, now));
    }

    #[test]
    fn ranking_follows_upstreams_rules_in_order() {
        // TestSortingActivePodsWithRanks: each pair is (deleted first, kept).
        let now = SimTime::from_secs(10_000);
        let unscheduled = PodRank {
            scheduled: false,
            ..pod(1)
        };
        let pending = PodRank {
            phase: PodPhase::Pending,
            ..pod(2)
        };
        let unknown = PodRank {
            phase: PodPhase::Unknown,
            ..pod(3)
        };
        let not_ready = PodRank {
            ready: false,
            ..pod(4)
        };
        let cheap = PodRank {
            deletion_cost: -1,
            ..pod(5)
        };
        let doubled_up = PodRank { rank: 3, ..pod(6) };
        let recently_ready = PodRank {
            ready_since: Some(SimTime::from_secs(9_990)),
            ..pod(7)
        };
        let restarted = PodRank {
            restarts: 3,
            ..pod(8)
        };
        let younger = PodRank {
            creation: SimTime::from_secs(9_000),
            ..pod(9)
        };
        let base = pod(10);
        let pairs = [
            (unscheduled, base),
            (pending, unknown),
            (unknown, base),
            (not_ready, base),
            (cheap, base),
            (doubled_up, base),
            (recently_ready, base),
            (restarted, base),
            (younger, base),
        ];
        for (first, second) in pairs {
            assert_eq!(
                deletion_order(&first, &second, now),
                Ordering::Less,
                "{first:?} before {second:?}"
            );
            assert_eq!(deletion_order(&second, &first, now), Ordering::Greater);
        }
    }

    #[test]
    fn ready_times_in_the_same_log_bucket_fall_back_to_uid() {
        let now = SimTime::from_secs(1000);
        // 100 s and 90 s ago: 2^36 ns ≈ 68.7 s ≤ both < 2^37 ns ≈ 137 s, so one bucket.
        let a = PodRank {
            ready_since: Some(SimTime::from_secs(900)),
            uid: 9,
            ..pod(1)
        };
        let b = PodRank {
            ready_since: Some(SimTime::from_secs(910)),
            uid: 2,
            ..pod(2)
        };
        assert_eq!(
            deletion_order(&b, &a, now),
            Ordering::Less,
            "lower UID first"
        );
    }

    #[test]
    fn pods_to_delete_takes_the_first_ranked() {
        let now = SimTime::from_secs(10_000);
        let pods = vec![
            pod(1),
            PodRank {
                ready: false,
                ..pod(2)
            },
            pod(3),
            PodRank {
                scheduled: false,
                ..pod(4)
            },
        ];
        assert_eq!(
            pods_to_delete(pods.clone(), 2, now),
            vec![PodId(4), PodId(2)]
        );
        assert_eq!(
            pods_to_delete(pods, 4, now),
            vec![PodId(1), PodId(2), PodId(3), PodId(4)],
            "all: list order"
        );
    }

    /// `TestSortingActivePodsWithRanks`' pods, by their upstream names. Times are offsets
    /// from `now` (40 days into the run); `None` is Go's zero time. Every UID is empty
    /// upstream, so 0 here. Upstream names the last 8-hour pods `*-10-hours` though they
    /// use its `then8Hours`; they are named for their age here.
    fn upstream_ranked_pods(now: SimTime) -> BTreeMap<&'static str, PodRank> {
        let ago = |secs: u64| SimTime::from_secs(now.as_ms() / 1000 - secs);
        let month = 30 * 86_400;
        let pod = |name, node: bool, phase, ready, restarts, ready_since, created| {
            let r = PodRank {
                id: PodId(0),
                scheduled: node,
                phase,
                ready,
                deletion_cost: 0,
                rank: 1,
                ready_since,
                restarts,
                creation: created,
                uid: 0,
            };
            (name, r)
        };
        use PodPhase::*;
        let zero = SimTime::ZERO;
        let mut pods: BTreeMap<&str, PodRank> = [
            pod("unscheduled", false, Pending, false, 0, None, zero),
            pod("pending", true, Pending, false, 0, None, zero),
            pod("unknown-phase", true, Unknown, false, 0, None, zero),
            pod("not-ready", true, Running, false, 0, None, zero),
            pod(
                "ready-no-last-transition-time",
                true,
                Running,
                true,
                0,
                None,
                zero,
            ),
            pod("ready-now", true, Running, true, 0, Some(now), now),
            pod(
                "ready-then",
                true,
                Running,
                true,
                0,
                Some(ago(month)),
                ago(month),
            ),
            pod(
                "ready-high-restarts",
                true,
                Running,
                true,
                9001,
                Some(now),
                now,
            ),
            pod(
                "ready-now-created-then",
                true,
                Running,
                true,
                0,
                Some(now),
                ago(month),
            ),
            pod(
                "low-deletion-cost",
                true,
                Running,
                true,
                0,
                Some(now),
                ago(month),
            ),
            pod(
                "high-deletion-cost",
                true,
                Running,
                true,
                0,
                Some(now),
                ago(month),
            ),
            pod(
                "unscheduled-5-hours",
                false,
                Pending,
                false,
                0,
                None,
                ago(5 * 3600),
            ),
            pod(
                "unscheduled-8-hours",
                false,
                Pending,
                false,
                0,
                None,
                ago(8 * 3600),
            ),
            pod(
                "ready-2-hours",
                false,
                Running,
                true,
                0,
                Some(ago(2 * 3600)),
                ago(month),
            ),
            pod(
                "ready-5-hours",
                false,
                Running,
                true,
                0,
                Some(ago(5 * 3600)),
                ago(month),
            ),
            pod(
                "ready-8-hours",
                false,
                Running,
                true,
                0,
                Some(ago(8 * 3600)),
                ago(month),
            ),
        ]
        .into_iter()
        .collect();
        for (name, cost) in [("low-deletion-cost", 10), ("high-deletion-cost", 100)] {
            if let Some(p) = pods.get_mut(name) {
                p.deletion_cost = cost;
            }
        }
        pods
    }

    #[test]
    fn upstreams_sorting_active_pods_with_ranks_table() {
        // TestSortingActivePodsWithRanks, every row. Pods 5 and 8 hours old share log2
        // bucket 44 (of nanoseconds), 2 hours is 42, a month 51, now -1.
        let now = SimTime::from_secs(40 * 86_400);
        let pods = upstream_ranked_pods(now);
        let get = |name: &str, rank: u32| PodRank { rank, ..pods[name] };
        let equal = [
            ("unscheduled", "unscheduled"),
            ("pending", "pending"),
            ("unknown-phase", "unknown-phase"),
            ("not-ready", "not-ready"),
            ("ready-now-created-then", "ready-now-created-then"),
            ("ready-now", "ready-now"),
            ("ready-then", "ready-then"),
            ("ready-high-restarts", "ready-high-restarts"),
            ("ready-now-created-then", "ready-now-created-then"),
            ("unscheduled-5-hours", "unscheduled-8-hours"),
            ("ready-5-hours", "ready-8-hours"),
        ];
        for (a, b) in equal {
            let (a_pod, b_pod) = (get(a, 1), get(b, 1));
            assert!(!deletion_less(&a_pod, &b_pod, now), "{a} !< {b}");
            assert!(!deletion_less(&b_pod, &a_pod, now), "{b} !< {a}");
        }
        // (lesser, its rank, greater, its rank, PodDeletionCost enabled)
        let unequal = [
            ("unscheduled", 1, "pending", 2, true),
            ("unscheduled", 2, "pending", 1, true),
            ("pending", 1, "unknown-phase", 2, true),
            ("unknown-phase", 1, "not-ready", 2, true),
            ("not-ready", 1, "ready-no-last-transition-time", 1, true),
            ("ready-no-last-transition-time", 1, "ready-now", 1, true),
            ("ready-now", 2, "ready-no-last-transition-time", 1, true),
            ("ready-now", 1, "ready-then", 1, true),
            ("ready-now", 2, "ready-then", 1, true),
            ("ready-high-restarts", 1, "ready-now", 1, true),
            ("ready-now", 2, "ready-high-restarts", 1, true),
            ("ready-now", 1, "ready-now-created-then", 1, true),
            ("ready-now-created-then", 2, "ready-now", 1, true),
            ("low-deletion-cost", 2, "high-deletion-cost", 1, true),
            ("high-deletion-cost", 2, "low-deletion-cost", 1, false),
            ("ready-2-hours", 1, "ready-5-hours", 1, true),
        ];
        for (lesser, lesser_rank, greater, greater_rank, cost_enabled) in unequal {
            let mut l = get(lesser, lesser_rank);
            let mut g = get(greater, greater_rank);
            if !cost_enabled {
                // With the PodDeletionCost gate off the annotation is not read at all.
                (l.deletion_cost, g.deletion_cost) = (0, 0);
            }
            assert!(deletion_less(&l, &g, now), "{lesser} < {greater}");
            assert!(!deletion_less(&g, &l, now), "not {greater} < {lesser}");
        }
    }

    /// `ActivePodsWithRanks.Less` rule by rule, as upstream writes it (for pairs only: it
    /// is not transitive, so it cannot sort).
    fn upstream_less(a: &PodRank, b: &PodRank, now: SimTime) -> bool {
        // afterOrZero, then logarithmicRankDiff with the UID tie-break.
        let newer = |x: Option<SimTime>, y: Option<SimTime>| match (x, y) {
            (None, _) | (_, None) => x.is_none(),
            (Some(x), Some(y)) => match log_rank(x, now) - log_rank(y, now) {
                0 => a.uid < b.uid,
                d => d < 0,
            },
        };
        if a.scheduled != b.scheduled {
            return !a.scheduled;
        }
        if a.phase != b.phase {
            return a.phase < b.phase;
        }
        if a.ready != b.ready {
            return !a.ready;
        }
        if a.deletion_cost != b.deletion_cost {
            return a.deletion_cost < b.deletion_cost;
        }
        if a.rank != b.rank {
            return a.rank > b.rank;
        }
        if a.ready && b.ready && a.ready_since != b.ready_since {
            return newer(a.ready_since, b.ready_since);
        }
        if a.restarts != b.restarts {
            return a.restarts > b.restarts;
        }
        if a.creation != b.creation {
            return newer(Some(a.creation), Some(b.creation));
        }
        false
    }

    #[test]
    fn every_pair_is_ordered_as_upstreams_less_orders_it() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let now = SimTime::from_secs(4_000);
        let mut random_pod = |id| PodRank {
            id: PodId(id),
            scheduled: rng.random_bool(0.9),
            phase: [PodPhase::Pending, PodPhase::Unknown, PodPhase::Running]
                [rng.random_range(0..3)],
            ready: rng.random_bool(0.8),
            deletion_cost: rng.random_range(0..2),
            rank: rng.random_range(1..3),
            ready_since: rng
                .random_bool(0.95)
                .then(|| SimTime::from_secs(rng.random_range(3_990..4_000))),
            restarts: rng.random_range(0..2),
            creation: SimTime::from_secs(rng.random_range(3_000..4_000)),
            uid: rng.random_range(0..50),
        };
        let pods: Vec<PodRank> = (0..4_000).map(&mut random_pod).collect();
        for pair in pods.chunks(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(
                deletion_less(a, b, now),
                upstream_less(a, b, now),
                "{a:?} < {b:?}"
            );
            assert_eq!(deletion_less(b, a, now), upstream_less(b, a, now));
        }
    }

    #[test]
    fn a_cycle_in_upstreams_less_becomes_one_order_whatever_the_input_order() {
        // Ready times 10 s, 10 s and 11 s ago share a log2 bucket; upstream's Less orders
        // B < C and C < A by UID but A < B by creation: a cycle. A and B share their Ready
        // second and differ in creation, so their group's UID is B's (1): A then B by
        // creation, and C (UID 2) after both, from any input order, agreeing with upstream
        // on A < B and B < C.
        let now = SimTime::from_secs(1000);
        let a = PodRank {
            ready_since: Some(SimTime::from_secs(990)),
            creation: SimTime::from_secs(980),
            uid: 3,
            ..pod(1)
        };
        let b = PodRank {
            ready_since: Some(SimTime::from_secs(990)),
            creation: SimTime::from_secs(100),
            uid: 1,
            ..pod(2)
        };
        let c = PodRank {
            ready_since: Some(SimTime::from_secs(989)),
            uid: 2,
            ..pod(3)
        };
        let orders = [
            [a, b, c],
            [a, c, b],
            [b, a, c],
            [b, c, a],
            [c, a, b],
            [c, b, a],
        ];
        for o in &orders {
            assert_eq!(pods_to_delete(o.to_vec(), 2, now), [a.id, b.id]);
        }
        // Where the relation is transitive the result does not depend on the input order.
        let d = PodRank {
            ready_since: Some(SimTime::from_secs(500)),
            ..pod(4)
        };
        let e = PodRank { rank: 2, ..pod(5) };
        let mut results: Vec<Vec<PodId>> = [[d, e, c], [c, d, e], [e, c, d]]
            .iter()
            .map(|o| pods_to_delete(o.to_vec(), 2, now))
            .collect();
        results.dedup();
        assert_eq!(results.len(), 1, "{results:?}");
    }
}
