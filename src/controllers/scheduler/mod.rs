//! The scheduler: filter (node Ready and schedulable, taints and tolerations, nodeSelector
//! and required node affinity, requests fit, topology spread, inter-pod affinity and
//! anti-affinity), score (least allocated, on the non-zero requests upstream scores with;
//! and for a pod with preferences the other score plugins, in [`score`]), bind.
//!
//! Scoring every node for every pod would cost O(nodes) per pod. Nodes are instead kept in
//! an ordered index by least-allocated score, so for a pod whose only score is that one the
//! best candidate is the first that passes the filters. Ties are broken by the seeded
//! stream `scheduler/ties`, two draws per cycle: the search of each bucket of equally
//! emptied nodes starts at a uniformly drawn member and wraps around in node order (so the
//! pick is uniform when every node of the bucket passes the filters), and among scored
//! candidates with the same top total one is taken uniformly, as upstream's `selectHost`
//! does. A pod with preferences (preferred node or pod (anti-)affinity, `ScheduleAnyway` spread,
//! `PreferNoSchedule` taints in the cluster, existing pods' affinity terms about it) has
//! the feasible nodes found in that order up to upstream's `numFeasibleNodesToFind`, then
//! scored by every plugin.

use crate::controllers::{Api, Event};
use crate::model::recorder::EventType;
use crate::model::scheduling::{
    HOSTNAME_LABEL, NodeSelector, PodAffinity, PodAffinityTerm, Toleration,
    TopologySpreadConstraint, spread_allows_given, untolerated_taint,
};
use crate::model::*;
use rand::RngExt;
use std::collections::BTreeMap;

mod score;
pub mod util;

/// Scheduler state: the score index and the pods that fit nowhere yet.
#[derive(Debug, Default)]
pub struct SchedulerState {
    /// Schedulable nodes by least-allocated score (0..=100), each bucket in node order.
    index: Vec<NodeSet>,
    scores: Vec<Option<u32>>,
    /// Nodes with a `PreferNoSchedule` taint (while there are any, every pod is scored).
    prefer_no_schedule: NodeSet,
    unschedulable: Vec<PodId>,
    /// The reasons last explained for a pod that fit nowhere (explained again on change).
    explained: BTreeMap<PodId, Vec<(String, usize)>>,
}

/// A set of nodes as one bit per node id: insertion, removal and the first member in node
/// order cost O(1) (a score bucket of a large cluster holds thousands of nodes).
#[derive(Debug, Default, Clone)]
struct NodeSet {
    words: Vec<u64>,
    /// No word before this one has a member (nodes leave a bucket in node order as they
    /// fill, so without it every lookup would rescan the emptied front); past the end when
    /// the set is empty.
    first: usize,
    len: usize,
}

impl NodeSet {
    fn insert(&mut self, n: NodeId) {
        let (w, bit) = (n.0 as usize / 64, 1u64 << (n.0 % 64));
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        if self.words[w] & bit == 0 {
            self.words[w] |= bit;
            self.first = self.first.min(w);
            self.len += 1;
        }
    }

    fn remove(&mut self, n: NodeId) {
        let (w, bit) = (n.0 as usize / 64, 1u64 << (n.0 % 64));
        if let Some(word) = self.words.get_mut(w)
            && *word & bit != 0
        {
            *word &= !bit;
            self.len -= 1;
            while self.first < self.words.len() && self.words[self.first] == 0 {
                self.first += 1;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.first >= self.words.len()
    }

    /// Members in node order.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.members_in(0, usize::MAX)
    }

    /// Members with ids in `from..to`, in node order (a word at a time: the cost is in
    /// words, not in the members skipped).
    fn members_in(&self, from: usize, to: usize) -> impl Iterator<Item = NodeId> + '_ {
        let to = to.min(self.words.len() * 64);
        let start = (from / 64).max(self.first);
        let end = to.div_ceil(64).max(start);
        (start..end).flat_map(move |w| {
            let mut bits = self.words[w];
            if w == from / 64 {
                bits &= u64::MAX << (from % 64);
            }
            if w + 1 == end && !to.is_multiple_of(64) {
                bits &= (1u64 << (to % 64)) - 1;
            }
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    NodeId(w as u32 * 64 + b)
                })
            })
        })
    }

    /// The member `k` places into node order (`k` below the member count).
    fn nth(&self, k: usize) -> Option<NodeId> {
        let mut k = k;
        for (w, &word) in self.words.iter().enumerate().skip(self.first) {
            let count = word.count_ones() as usize;
            if k < count {
                let mut bits = word;
                for _ in 0..k {
                    bits &= bits - 1;
                }
                return Some(NodeId(w as u32 * 64 + bits.trailing_zeros()));
            }
            k -= count;
        }
        None
    }

    /// Every member once, starting at the one `draw` picks uniformly and wrapping around
    /// in node order: the seeded tie-break among equally scored nodes.
    fn iter_from_drawn(&self, draw: u64) -> impl Iterator<Item = NodeId> + '_ {
        let start = self
            .nth(util::pick_uniformly(draw, self.len))
            .map_or(0, |n| n.0 as usize);
        self.members_in(start, usize::MAX)
            .chain(self.members_in(0, start))
    }
}

/// `LeastAllocated` score (0–100, higher is emptier) averaged over CPU and memory.
pub fn least_allocated_score(node: &Node) -> u32 {
    let part = |used: u128, cap: u64| {
        let cap = u128::from(cap);
        (cap.saturating_sub(used) * 100)
            .checked_div(cap)
            .unwrap_or(0) as u32
    };
    (part(node.allocated.cpu_millis_nonzero, node.cpu_millis)
        + part(node.allocated.memory_bytes_nonzero, node.memory_bytes))
        / 2
}

/// Re-indexes a node after its allocation or conditions changed, and retries pods that fit
/// nowhere (capacity may have freed up).
pub(crate) fn node_changed(c: &mut impl Api, n: NodeId) {
    let node = c.store().node(n);
    let score = (node.ready && !node.unschedulable && node.unreachable_since.is_none())
        .then(|| least_allocated_score(node));
    let prefers_not = node.taints.iter().any(|t| t.effect == "PreferNoSchedule");
    let s = c.scheduler_mut();
    if prefers_not {
        s.prefer_no_schedule.insert(n);
    } else {
        s.prefer_no_schedule.remove(n);
    }
    if s.scores.len() <= n.0 as usize {
        s.scores.resize(n.0 as usize + 1, None);
    }
    // A pod more or less moves a big node's score only every few pods: most changes leave
    // the node where it is in the index.
    if s.scores[n.0 as usize] != score {
        if let Some(old) = s.scores[n.0 as usize].take()
            && let Some(bucket) = s.index.get_mut(old as usize)
        {
            bucket.remove(n);
        }
        if let Some(score) = score {
            if s.index.len() <= score as usize {
                s.index.resize(score as usize + 1, NodeSet::default());
            }
            s.index[score as usize].insert(n);
            s.scores[n.0 as usize] = Some(score);
        }
    }
    if score.is_some() {
        retry_unschedulable(c);
    }
}

fn retry_unschedulable(c: &mut impl Api) {
    if c.scheduler().unschedulable.is_empty() {
        return;
    }
    for p in std::mem::take(&mut c.scheduler_mut().unschedulable) {
        pod_created(c, p);
    }
}

/// A new pending pod enters the scheduling queue.
pub(crate) fn pod_created(c: &mut impl Api, p: PodId) {
    let latency = c.timing().schedule;
    let delay = latency.sample(&mut c.rngs().scheduler);
    let at = c.now().plus_ms(delay);
    c.schedule(at, Event::SchedulePod(p));
}

/// What one pod asks of the scheduler, gathered once per scheduling cycle.
struct PodAsk<'a> {
    namespace: &'a str,
    req: PodRequests,
    labels: &'a BTreeMap<String, String>,
    selector: &'a BTreeMap<String, String>,
    tolerations: &'a [Toleration],
    node_affinity: Option<&'a NodeSelector>,
    affinity: &'a [PodAffinityTerm],
    anti_affinity: &'a [PodAffinityTerm],
    /// `DoNotSchedule` constraints with each domain's count of matching pods.
    spread: Vec<Spread<'a>>,
    /// Some existing pod has a required anti-affinity term (checked only then).
    existing_anti_affinity: bool,
    /// What the score plugins weigh beyond least allocation.
    prefers: score::Preferences<'a>,
    /// Some existing pod has a term that could score the pod (required affinity, or any
    /// preferred term).
    existing_scoring_terms: bool,
    /// Some pod anywhere matches one of the pod's own affinity terms (else a pod matching
    /// its own terms may go anywhere, as upstream lets the first pod of a group in).
    affinity_anywhere: bool,
}

/// One topology spread constraint with the matching pods per domain of its eligible nodes,
/// and the number of domains and their smallest count.
struct Spread<'a> {
    constraint: &'a TopologySpreadConstraint,
    counts: BTreeMap<String, usize>,
    domains_and_min: (usize, usize),
    self_match: bool,
    /// From the store's index: each node's domain position, and whether the skew allows
    /// each domain — a quick test that rules most nodes out before the full filter runs.
    quick: Option<(&'a [Option<u32>], Vec<bool>)>,
    /// With the index: the counts by domain position (`counts`' values in order).
    by_position: Vec<usize>,
}

/// Why a node failed the filters: kube-scheduler's reason, and whether preemption could in
/// principle help (`Unschedulable`) or not (`UnschedulableAndUnresolvable`).
type Rejection = (String, bool);

/// The namespace and labels of a pod (its ReplicaSet's, and its template's labels).
fn pod_labels(c: &impl Api, p: PodId) -> Option<(&str, &BTreeMap<String, String>)> {
    let pod = c.store().pod(p);
    c.store()
        .replica_set(pod.owner)
        .map(|rs| (rs.meta.namespace.as_str(), &rs.template.metadata.labels))
}

/// The pods bound to nodes whose `key` label equals `node`'s (the node itself for hostname).
/// Whether a ReplicaSet owning pods in `node`'s domain of `key` satisfies `wanted` (from
/// each node's owner counts, so no pod record is read and nothing is allocated: a pod's
/// labels are its ReplicaSet's).
fn any_owner_in_domain(
    c: &impl Api,
    node: &Node,
    key: &str,
    mut wanted: impl FnMut(RsId) -> bool,
) -> bool {
    let Some(value) = node.labels.get(key) else {
        return false;
    };
    let mut owned_by = |n: &Node| n.bound_owners.iter().any(|&(r, _)| wanted(r));
    if key == HOSTNAME_LABEL {
        return owned_by(node);
    }
    let mut domain = c.store().nodes.iter();
    domain.any(|n| n.labels.get(key) == Some(value) && owned_by(n))
}

/// The pods bound in `node`'s domain of `key` (to name the one in a pod's way).
fn pods_in_domain<'a>(c: &'a impl Api, node: &'a Node, key: &str) -> Vec<PodId> {
    let Some(value) = node.labels.get(key) else {
        return Vec::new();
    };
    if key == HOSTNAME_LABEL {
        return node.bound.clone();
    }
    c.store()
        .nodes
        .iter()
        .filter(|n| n.labels.get(key) == Some(value))
        .flat_map(|n| n.bound.iter().copied())
        .collect()
}

/// A pod (anti-)affinity's required terms, or none.
fn required_terms(a: Option<&PodAffinity>) -> &[PodAffinityTerm] {
    a.map_or(&[][..], |a| {
        &a.required_during_scheduling_ignored_during_execution[..]
    })
}

/// What existing pods' terms ask of every incoming pod: whether some ReplicaSet has a
/// required anti-affinity term (the filter checks existing pods only then), and whether
/// some has a term that scores (required affinity, or a preferred term of either kind).
fn existing_terms(c: &impl Api) -> (bool, bool) {
    let (mut anti, mut scoring) = (false, false);
    for rs in c.store().replica_sets.iter().flatten() {
        let Some(a) = rs.template.spec.affinity.as_ref() else {
            continue;
        };
        let (with, against) = (a.pod_affinity.as_ref(), a.pod_anti_affinity.as_ref());
        anti |= !required_terms(against).is_empty();
        scoring |= !required_terms(with).is_empty()
            || [with, against].into_iter().flatten().any(|t| {
                !t.preferred_during_scheduling_ignored_during_execution
                    .is_empty()
            });
    }
    (anti, scoring)
}

/// The pod's own preferences, for the score plugins.
fn preferences(spec: &crate::model::template::PodSpec) -> score::Preferences<'_> {
    let affinity = spec.affinity.as_ref();
    fn preferred(a: Option<&PodAffinity>) -> &[crate::model::scheduling::WeightedPodAffinityTerm] {
        a.map_or(&[][..], |a| {
            &a.preferred_during_scheduling_ignored_during_execution[..]
        })
    }
    score::Preferences {
        node: affinity
            .and_then(|a| a.node_affinity.as_ref())
            .map_or(&[][..], |n| {
                &n.preferred_during_scheduling_ignored_during_execution[..]
            }),
        affinity: preferred(affinity.and_then(|a| a.pod_affinity.as_ref())),
        anti_affinity: preferred(affinity.and_then(|a| a.pod_anti_affinity.as_ref())),
        spread: spec
            .topology_spread_constraints
            .iter()
            .filter(|t| t.when_unsatisfiable == "ScheduleAnyway")
            .collect(),
    }
}

/// Whether some other bound pod matches one of the pod's required affinity terms.
fn affinity_anywhere(c: &impl Api, pod: PodId, namespace: &str, terms: &[PodAffinityTerm]) -> bool {
    !terms.is_empty()
        && c.store().nodes.iter().any(|n| {
            n.bound.iter().any(|&q| {
                q != pod
                    && pod_labels(c, q).is_some_and(|(ns, l)| {
                        terms.iter().any(|t| t.selects_pod(namespace, ns, l))
                    })
            })
        })
}

/// The scheduling cycle's `PreFilter` and `PreScore`: what the pod asks, read once.
fn gather<'a>(c: &'a impl Api, pod: PodId, rs: &'a ReplicaSet) -> PodAsk<'a> {
    let spec = &rs.template.spec;
    let affinity = spec.affinity.as_ref();
    let affinity_terms = required_terms(affinity.and_then(|a| a.pod_affinity.as_ref()));
    let node_affinity = affinity
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let (existing_anti_affinity, existing_scoring_terms) = existing_terms(c);
    let namespace = rs.meta.namespace.as_str();
    let mut ask = PodAsk {
        namespace,
        req: rs.requests,
        labels: &rs.template.metadata.labels,
        selector: &spec.node_selector,
        tolerations: &spec.tolerations,
        node_affinity,
        affinity: affinity_terms,
        anti_affinity: required_terms(affinity.and_then(|a| a.pod_anti_affinity.as_ref())),
        spread: Vec::new(),
        existing_anti_affinity,
        affinity_anywhere: affinity_anywhere(c, pod, namespace, affinity_terms),
        prefers: preferences(spec),
        existing_scoring_terms,
    };
    ask.spread = spec
        .topology_spread_constraints
        .iter()
        .filter(|t| t.filters())
        .map(|t| spread_counts(c, &ask, t))
        .collect();
    ask
}

/// PodTopologySpread's `PreFilter`: matching pods (not terminating) per domain, over the
/// nodes the pod's node selector and required affinity allow (`nodeAffinityPolicy: Honor`,
/// the default; taints are ignored, `nodeTaintsPolicy: Ignore`).
fn spread_counts<'a>(
    c: &'a impl Api,
    ask: &PodAsk<'a>,
    t: &'a TopologySpreadConstraint,
) -> Spread<'a> {
    let honor = t.node_affinity_policy.as_deref() != Some("Ignore");
    let every_node = !honor || (ask.selector.is_empty() && ask.node_affinity.is_none());
    let indexed = t
        .label_selector
        .as_ref()
        .filter(|_| every_node)
        .and_then(|s| c.store().spread_counts(ask.namespace, &t.topology_key, s));
    let counts = match indexed {
        Some(index) => index.counts.clone(),
        None => counts_by_scan(c, ask, t, honor),
    };
    let smallest = counts.values().copied().min().unwrap_or(0);
    let domains_and_min = (counts.len(), smallest);
    let self_match = t.selects(ask.labels);
    let quick = indexed.map(|index| {
        let allowed = counts
            .values()
            .map(|&here| {
                spread_allows_given(here, self_match, domains_and_min, t.max_skew, t.min_domains)
            })
            .collect();
        (index.domain_of.as_slice(), allowed)
    });
    let by_position = if quick.is_some() {
        counts.values().copied().collect()
    } else {
        Vec::new()
    };
    Spread {
        constraint: t,
        domains_and_min,
        counts,
        self_match,
        quick,
        by_position,
    }
}

/// Whether the spread constraints could let the pod onto node `n`, by the index alone (a
/// `false` is certain; a `true` still goes through the full filter).
fn spread_may_allow(ask: &PodAsk, n: NodeId) -> bool {
    ask.spread.iter().all(|s| match &s.quick {
        None => true,
        Some((domain_of, allowed)) => domain_of
            .get(n.0 as usize)
            .copied()
            .flatten()
            .is_some_and(|d| allowed.get(d as usize).copied().unwrap_or(false)),
    })
}

/// The counts looked up pod by pod, over the nodes the pod's own node selection allows
/// (for a pod that restricts its nodes; every other pod reads the store's index).
fn counts_by_scan(
    c: &impl Api,
    ask: &PodAsk,
    t: &TopologySpreadConstraint,
    honor: bool,
) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for node in &c.store().nodes {
        let Some(domain) = node.labels.get(&t.topology_key) else {
            continue;
        };
        if honor && !node_affinity_allows(node, ask) {
            continue;
        }
        let matching = node
            .bound
            .iter()
            .filter(|&&q| {
                c.store().pod(q).deletion.is_none()
                    && pod_labels(c, q).is_some_and(|(ns, l)| ns == ask.namespace && t.selects(l))
            })
            .count();
        *counts.entry(domain.clone()).or_default() += matching;
    }
    counts
}

/// Makes sure the store indexes the spread counts of the pod's constraints (a pod that
/// restricts its own nodes counts by scanning instead).
fn index_spread_constraints(c: &mut impl Api, rs: RsId) {
    let Some(rs) = c.store().replica_set(rs) else {
        return;
    };
    let spec = &rs.template.spec;
    let restricts = !spec.node_selector.is_empty()
        || spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .is_some_and(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .is_some()
            });
    let wanted: Vec<(String, String, LabelSelector)> = spec
        .topology_spread_constraints
        .iter()
        .filter(|t| !restricts || t.node_affinity_policy.as_deref() == Some("Ignore"))
        .filter_map(|t| {
            let s = t.label_selector.clone()?;
            Some((rs.meta.namespace.clone(), t.topology_key.clone(), s))
        })
        .collect();
    for (ns, key, selector) in wanted {
        c.store_mut().ensure_spread_index(&ns, &key, &selector);
    }
}

fn node_affinity_allows(node: &Node, ask: &PodAsk) -> bool {
    ask.selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v))
        && ask
            .node_affinity
            .is_none_or(|s| s.matches(&node.name, &node.labels))
}

/// The filter plugins in kube-scheduler's order, stopping at the first that rejects the
/// node: NodeUnschedulable and TaintToleration (the node lifecycle's taints first),
/// NodeAffinity, NodeResourcesFit, PodTopologySpread, InterPodAffinity.
fn filter(c: &impl Api, node: &Node, ask: &PodAsk) -> Result<(), Rejection> {
    let reject = |reason: &str, fixable| Err((reason.to_string(), fixable));
    if node.unreachable_since.is_some() {
        return reject(
            "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
            false,
        );
    }
    if !node.ready {
        return reject(
            "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
            false,
        );
    }
    if node.unschedulable {
        return reject("node(s) were unschedulable", false);
    }
    if let Some(t) = untolerated_taint(&node.taints, ask.tolerations) {
        let reason = format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value);
        return Err((reason, false));
    }
    if !node_affinity_allows(node, ask) {
        return reject("node(s) didn't match Pod's node affinity/selector", false);
    }
    resources_fit(node, &ask.req)?;
    spread_fits(node, ask)?;
    inter_pod_affinity(c, node, ask)
}

/// NodeResourcesFit: pod count, then CPU, then memory.
fn resources_fit(node: &Node, req: &PodRequests) -> Result<(), Rejection> {
    let reason = if node.pods >= node.max_pods {
        "Too many pods"
    } else if node.allocated.cpu_millis + req.cpu_millis > u128::from(node.cpu_millis) {
        "Insufficient cpu"
    } else if node.allocated.memory_bytes + req.memory_bytes > u128::from(node.memory_bytes) {
        "Insufficient memory"
    } else {
        return Ok(());
    };
    Err((reason.to_string(), true))
}

/// PodTopologySpread's filter: a node without the topology label is unresolvable; else the
/// skew the pod would make in its domain must stay within `maxSkew`.
fn spread_fits(node: &Node, ask: &PodAsk) -> Result<(), Rejection> {
    for s in &ask.spread {
        let t = s.constraint;
        let Some(domain) = node.labels.get(&t.topology_key) else {
            let reason =
                "node(s) didn't match pod topology spread constraints (missing required label)";
            return Err((reason.to_string(), false));
        };
        let here = s.counts.get(domain.as_str()).copied().unwrap_or(0);
        let allowed = spread_allows_given(
            here,
            s.self_match,
            s.domains_and_min,
            t.max_skew,
            t.min_domains,
        );
        if !allowed {
            let reason = "node(s) didn't match pod topology spread constraints";
            return Err((reason.to_string(), true));
        }
    }
    Ok(())
}

/// InterPodAffinity's filter: the pod's required affinity (a matching pod in the domain),
/// its required anti-affinity (none in the domain), and existing pods' anti-affinity against
/// it. Terminating pods still count: they are on the node until they are gone.
fn inter_pod_affinity(c: &impl Api, node: &Node, ask: &PodAsk) -> Result<(), Rejection> {
    let matches_in_domain = |t: &PodAffinityTerm| {
        any_owner_in_domain(c, node, &t.topology_key, |r| {
            c.store().replica_set(r).is_some_and(|rs| {
                let labels = &rs.template.metadata.labels;
                t.selects_pod(ask.namespace, &rs.meta.namespace, labels)
            })
        })
    };
    for t in ask.affinity {
        let own_group =
            !ask.affinity_anywhere && t.selects_pod(ask.namespace, ask.namespace, ask.labels);
        if !node.labels.contains_key(&t.topology_key) || !(matches_in_domain(t) || own_group) {
            return Err(("node(s) didn't match pod affinity rules".into(), false));
        }
    }
    if ask.anti_affinity.iter().any(matches_in_domain) {
        return Err(("node(s) didn't match pod anti-affinity rules".into(), true));
    }
    if ask.existing_anti_affinity && existing_pods_forbid(c, node, ask) {
        return Err((
            "node(s) didn't satisfy existing pods anti-affinity rules".into(),
            true,
        ));
    }
    Ok(())
}

/// Whether a pod in one of `node`'s domains has a required anti-affinity term selecting the
/// incoming pod in that domain.
fn existing_pods_forbid(c: &impl Api, node: &Node, ask: &PodAsk) -> bool {
    let sets = c.store().replica_sets.iter().enumerate();
    sets.filter_map(|(i, r)| r.as_ref().map(|r| (RsId(i as u32), r)))
        .any(|(id, rs)| {
            let terms = rs
                .template
                .spec
                .affinity
                .as_ref()
                .and_then(|a| a.pod_anti_affinity.as_ref())
                .map_or(&[][..], |a| {
                    &a.required_during_scheduling_ignored_during_execution[..]
                });
            terms.iter().any(|t| {
                t.selects_pod(&rs.meta.namespace, ask.namespace, ask.labels)
                    && any_owner_in_domain(c, node, &t.topology_key, |r| r == id)
            })
        })
}

/// One scheduling cycle for a pod: bind it to the best node that passes the filters.
pub(crate) fn schedule_pod(c: &mut impl Api, p: PodId) {
    let pod = c.store().pod(p);
    if pod.gone || pod.deletion.is_some() || pod.node.is_some() {
        return;
    }
    let owner = pod.owner;
    if c.store()
        .replica_set(owner)
        .is_some_and(|rs| !rs.template.spec.topology_spread_constraints.is_empty())
    {
        index_spread_constraints(c, owner);
    }
    let draws = TieDraws {
        start: c.rngs().scheduler_ties.random(),
        pick: c.rngs().scheduler_ties.random(),
    };
    let Some(rs) = c.store().replica_set(owner) else {
        return;
    };
    let ask = gather(c, p, rs);
    let all_nodes = c.store().nodes.len();
    let scored = all_nodes < util::MIN_FEASIBLE_NODES_TO_FIND
        || ask.prefers.any()
        || ask.existing_scoring_terms
        || !c.scheduler().prefer_no_schedule.is_empty();
    let chosen = if scored {
        let wanted = util::num_feasible_nodes_to_find(all_nodes);
        let candidates: Vec<NodeId> = feasible_nodes(c, &ask, draws.start).take(wanted).collect();
        score::best_node(c, &ask, &candidates, draws.pick)
    } else {
        feasible_nodes(c, &ask, draws.start).next()
    };
    match chosen {
        Some(n) => bind(c, p, n),
        None => {
            let reasons = rejections(c, &ask);
            let why = c
                .records_pod_events()
                .then(|| unschedulable_explanation(c, p, &ask, &reasons))
                .flatten();
            record_unschedulable(c, p, why, &reasons);
        }
    }
}

/// A scheduling cycle's two draws from the seeded tie stream, drawn whether or not there is
/// a tie so that one pod's placement never shifts another's draws.
struct TieDraws {
    /// Where the search starts in each bucket of equally emptied nodes.
    start: u64,
    /// Which of the equally scored candidates `selectHost` takes.
    pick: u64,
}

/// `findNodesThatPassFilters`, in the index's order: emptiest first; within a bucket of
/// equal least-allocated score, from a seeded member on, wrapping around in node order
/// (upstream starts each cycle's search at a rotating node index).
fn feasible_nodes<'a>(
    c: &'a impl Api,
    ask: &'a PodAsk<'a>,
    start: u64,
) -> impl Iterator<Item = NodeId> + 'a {
    let buckets = c.scheduler().index.iter().rev();
    buckets
        .filter(|bucket| !bucket.is_empty())
        .flat_map(move |bucket| bucket.iter_from_drawn(start))
        .filter(move |&n| spread_may_allow(ask, n))
        .filter(move |&n| filter(c, c.store().node(n), ask).is_ok())
}

/// The binding cycle: the pod goes to the node, and `Scheduled` is recorded.
fn bind(c: &mut impl Api, p: PodId, n: NodeId) {
    c.bind_pod(p, n);
    node_changed(c, n);
    c.pod_event(
        p,
        EventType::Normal,
        "Scheduled",
        "default-scheduler",
        |c| {
            format!(
                "Successfully assigned {}/{} to {}",
                c.store().pod_namespace_of(p),
                c.store().pod_name_of(p),
                c.store().node(n).name
            )
        },
    );
}

/// A pod that fits nowhere waits for a change, with `FailedScheduling` (and the reasons
/// explained when they changed).
fn record_unschedulable(
    c: &mut impl Api,
    p: PodId,
    why: Option<(crate::model::explain::Explanation, Vec<(String, usize)>)>,
    reasons: &BTreeMap<String, (usize, bool)>,
) {
    if let Some((e, counted)) = why {
        c.explain(e);
        c.scheduler_mut().explained.insert(p, counted);
    }
    let message = failed_scheduling_message(c.store().nodes.len(), reasons);
    c.scheduler_mut().unschedulable.push(p);
    c.pod_event(
        p,
        EventType::Warning,
        "FailedScheduling",
        "default-scheduler",
        |_| message,
    );
}

/// Each rejecting filter's reason with its node count and whether preemption could help,
/// every node counted under the first filter that rejected it.
fn rejections(c: &impl Api, ask: &PodAsk) -> BTreeMap<String, (usize, bool)> {
    let mut reasons: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for node in &c.store().nodes {
        if let Err((reason, fixable)) = filter(c, node, ask) {
            let entry = reasons.entry(reason).or_insert((0, fixable));
            entry.0 += 1;
        }
    }
    reasons
}

/// Why the pod fits nowhere, unless these reasons were the last ones explained for it.
fn unschedulable_explanation(
    c: &impl Api,
    p: PodId,
    ask: &PodAsk,
    reasons: &BTreeMap<String, (usize, bool)>,
) -> Option<(crate::model::explain::Explanation, Vec<(String, usize)>)> {
    let counted: Vec<(String, usize)> = reasons.iter().map(|(r, (n, _))| (r.clone(), *n)).collect();
    if c.scheduler().explained.get(&p) == Some(&counted) {
        return None;
    }
    let conflict = ask.anti_affinity.iter().find_map(|t| {
        c.store().nodes.iter().find_map(|node| {
            let q = pods_in_domain(c, node, &t.topology_key)
                .into_iter()
                .find(|&q| {
                    pod_labels(c, q).is_some_and(|(ns, l)| t.selects_pod(ask.namespace, ns, l))
                })?;
            Some((node.name.clone(), c.store().pod_name_of(q)))
        })
    });
    let pod = c.store().pod(p);
    let deployment = c
        .store()
        .replica_set(pod.owner)
        .and_then(|rs| c.store().deployment(rs.owner))
        .map_or(String::new(), |d| d.meta.name.clone());
    let step = crate::model::explain::ExplainStep::Unschedulable {
        pod: c.store().pod_name_of(p),
        nodes: c.store().nodes.len(),
        reasons: counted.clone(),
        conflict,
    };
    let e = crate::model::explain::Explanation {
        time: c.now(),
        deployment,
        step,
    };
    Some((e, counted))
}

/// `0/3 nodes are available: 3 Insufficient cpu. preemption: …`.
fn failed_scheduling_message(n: usize, rejections: &BTreeMap<String, (usize, bool)>) -> String {
    // `UnschedulableAndUnresolvable` nodes (taints, cordons, selectors): preemption cannot
    // help there; the others could in principle free room.
    let (mut unresolvable, mut resolvable) = (0, 0);
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (reason, (count, fixable)) in rejections {
        reasons.insert(reason, *count);
        if *fixable {
            resolvable += count;
        } else {
            unresolvable += count;
        }
    }
    // `FitError.Error` sorts the "<count> <reason>" strings themselves.
    let sorted = |parts: Vec<String>| {
        let mut parts = parts;
        parts.sort();
        parts.join(", ")
    };
    let list = sorted(reasons.iter().map(|(r, k)| format!("{k} {r}")).collect());
    let mut preemption = Vec::new();
    if unresolvable > 0 {
        preemption.push(format!(
            "{unresolvable} Preemption is not helpful for scheduling"
        ));
    }
    if resolvable > 0 {
        preemption.push(format!(
            "{resolvable} No preemption victims found for incoming pod"
        ));
    }
    format!(
        "0/{n} nodes are available: {list}. preemption: 0/{n} nodes are available: {}.",
        sorted(preemption)
    )
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An empty, Ready node of the given size.
    pub(in crate::controllers::scheduler) fn node(cpu_millis: u64, memory_bytes: u64) -> Node {
        Node {
            name: "n".into(),
            uid: 0,
            labels: Default::default(),
            taints: Vec::new(),
            taints_added: Vec::new(),
            creation: crate::sim::SimTime::ZERO,
            cpu_millis,
            memory_bytes,
            max_pods: 110,
            ready: true,
            unschedulable: false,
            kubelet_up: true,
            unreachable_since: None,
            fault_epoch: 0,
            allocated: PodRequests::default(),
            pods: 0,
            bound: Vec::new(),
            bound_owners: Vec::new(),
            images: Vec::new(),
            pod_ips_assigned: 0,
        }
    }

    #[test]
    fn requests_past_u64_never_wrap_into_a_fit() {
        // A node of CPU `1e100` saturates at u64::MAX millicores; pods of `1e16` cores ask for
        // 1e19 millicores each: one fits, a second would pass u64::MAX and must not fit.
        let mut n = node(u64::MAX, u64::MAX);
        let req = PodRequests {
            cpu_millis: 10_000_000_000_000_000_000,
            memory_bytes: 1,
            cpu_millis_nonzero: 10_000_000_000_000_000_000,
            memory_bytes_nonzero: 1,
        };
        assert!(resources_fit(&n, &req).is_ok());
        n.allocated = req;
        n.pods = 1;
        assert_eq!(
            resources_fit(&n, &req),
            Err(("Insufficient cpu".to_string(), true)),
            "1e19 + 1e19 > u64::MAX"
        );
        // CPU (2^64 - 1 - 1e19) / (2^64 - 1) = 45 %, memory 99 %: 72, no overflow.
        assert_eq!(least_allocated_score(&n), 72);
    }

    #[test]
    fn a_node_set_lists_its_members_in_node_order() {
        let mut set = NodeSet::default();
        for n in [130, 3, 64, 3, 0, 63] {
            set.insert(NodeId(n));
        }
        set.remove(NodeId(64));
        set.remove(NodeId(999));
        assert_eq!(
            set.iter().count(),
            4,
            "a repeated insert and a missing remove count nothing"
        );
        let members: Vec<u32> = set.iter().map(|n| n.0).collect();
        assert_eq!(members, [0, 3, 63, 130]);
        // Emptying the front words, then refilling one of them.
        for n in [0, 3, 63] {
            set.remove(NodeId(n));
        }
        assert_eq!(set.iter().map(|n| n.0).collect::<Vec<_>>(), [130]);
        set.insert(NodeId(5));
        assert_eq!(set.iter().map(|n| n.0).collect::<Vec<_>>(), [5, 130]);
        set.remove(NodeId(130));
        set.remove(NodeId(5));
        assert_eq!(set.iter().count(), 0);
        assert!(set.is_empty());
        assert_eq!(set.len, 0);
    }

    #[test]
    fn a_node_counts_its_bound_pods_per_replica_set() {
        let mut n = node(4000, 1 << 30);
        for (p, r) in [(1, 0), (2, 1), (3, 0)] {
            n.add_bound(PodId(p), RsId(r));
        }
        assert_eq!(n.bound_owners, [(RsId(0), 2), (RsId(1), 1)]);
        n.remove_bound(PodId(1), RsId(0));
        n.remove_bound(PodId(9), RsId(1));
        assert_eq!(n.bound_owners, [(RsId(0), 1), (RsId(1), 1)]);
        n.remove_bound(PodId(2), RsId(1));
        assert_eq!(n.bound_owners, [(RsId(0), 1)]);
        assert_eq!(n.bound, [PodId(3)]);
    }

    #[test]
    fn a_drawn_start_visits_every_member_once_and_each_start_equally_often() {
        let mut set = NodeSet::default();
        let members = [1u32, 2, 64, 70, 127, 128, 200];
        for n in members {
            set.insert(NodeId(n));
        }
        set.insert(NodeId(0));
        set.remove(NodeId(0));
        assert_eq!(set.len, members.len());
        let mut starts = BTreeMap::new();
        for i in 0..7_000u64 {
            let draw = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let order: Vec<u32> = set.iter_from_drawn(draw).map(|n| n.0).collect();
            let at = members.iter().position(|&m| m == order[0]).unwrap();
            let wrapped: Vec<u32> = members[at..]
                .iter()
                .chain(&members[..at])
                .copied()
                .collect();
            assert_eq!(order, wrapped, "every member once, wrapping in node order");
            *starts.entry(order[0]).or_insert(0) += 1;
        }
        assert_eq!(starts.len(), members.len());
        for (n, count) in starts {
            assert!(
                (900..=1100).contains(&count),
                "node {n} starts {count} of 7,000"
            );
        }
        assert_eq!(NodeSet::default().iter_from_drawn(5).count(), 0);
    }

    #[test]
    fn members_in_a_range_are_cut_at_word_edges() {
        let mut set = NodeSet::default();
        for n in [0, 63, 64, 65, 127, 128] {
            set.insert(NodeId(n));
        }
        let ids = |from, to| set.members_in(from, to).map(|n| n.0).collect::<Vec<_>>();
        assert_eq!(ids(63, 65), [63, 64]);
        assert_eq!(ids(64, 128), [64, 65, 127]);
        assert_eq!(ids(1, 63), Vec::<u32>::new());
        assert_eq!(ids(128, usize::MAX), [128]);
        assert_eq!(ids(70, 10), Vec::<u32>::new());
        assert_eq!(set.nth(3), Some(NodeId(65)));
        assert_eq!(set.nth(6), None);
    }
}
