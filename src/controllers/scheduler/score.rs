//! The score plugins, for a pod with preferences: each scores the feasible nodes found
//! (`numFeasibleNodesToFind` of them, best least-allocated first), normalizes to 0–100 as
//! upstream's `NormalizeScore` does, and the weighted sum picks the node.

use super::util::{self, MAX_NODE_SCORE, weight};
use super::{PodAsk, Spread, pod_labels, spread_counts};
use crate::controllers::Api;
use crate::model::scheduling::{
    HOSTNAME_LABEL, PodAffinity, PreferredSchedulingTerm, Toleration, WeightedPodAffinityTerm,
};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// What the pod prefers, read once per scheduling cycle (the plugins' `PreScore`).
#[derive(Default)]
pub(super) struct Preferences<'a> {
    pub(super) node: &'a [PreferredSchedulingTerm],
    pub(super) affinity: &'a [WeightedPodAffinityTerm],
    pub(super) anti_affinity: &'a [WeightedPodAffinityTerm],
    /// `ScheduleAnyway` spread constraints.
    pub(super) spread: Vec<&'a crate::model::scheduling::TopologySpreadConstraint>,
}

impl Preferences<'_> {
    /// Whether the pod itself asks for anything the score plugins weigh.
    pub(super) fn any(&self) -> bool {
        !self.node.is_empty()
            || !self.affinity.is_empty()
            || !self.anti_affinity.is_empty()
            || !self.spread.is_empty()
    }
}

/// `selectHost` over the weighted sum of the plugins' normalized scores: the highest
/// total, ties broken uniformly at random by the cycle's seeded `pick` draw (upstream
/// picks uniformly among the top-scored nodes too).
pub(super) fn best_node(
    c: &impl Api,
    ask: &PodAsk,
    candidates: &[NodeId],
    pick: u64,
) -> Option<NodeId> {
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    let totals = total_scores(c, ask, candidates);
    let best = totals.iter().copied().max()?;
    let top: Vec<NodeId> = (candidates.iter().zip(&totals))
        .filter(|&(_, &t)| t == best)
        .map(|(&n, _)| n)
        .collect();
    top.get(util::pick_uniformly(pick, top.len())).copied()
}

/// Every plugin's normalized score times its weight, summed per candidate.
pub(super) fn total_scores(c: &impl Api, ask: &PodAsk, candidates: &[NodeId]) -> Vec<i64> {
    let nodes: Vec<&Node> = candidates.iter().map(|&n| c.store().node(n)).collect();
    let taints = taint_toleration_scores(&nodes, ask.tolerations);
    let affinity = node_affinity_scores(&nodes, ask.prefers.node);
    let spread = spread_scores(c, ask, candidates, &nodes);
    let inter_pod = inter_pod_affinity_scores(c, ask, &nodes);
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            weight::NODE_RESOURCES_FIT * least_allocated(n, &ask.req)
                + weight::BALANCED_ALLOCATION * balanced_allocation(n, &ask.req)
                + weight::TAINT_TOLERATION * taints[i]
                + weight::NODE_AFFINITY * affinity[i]
                + weight::POD_TOPOLOGY_SPREAD * spread[i]
                + weight::INTER_POD_AFFINITY * inter_pod[i]
        })
        .collect()
}

/// NodeResourcesFit's `LeastAllocated` score with the pod placed: CPU and memory equally
/// weighted, on the non-zero requests.
fn least_allocated(node: &Node, req: &PodRequests) -> i64 {
    let cpu = util::least_requested_score(
        node.allocated.cpu_millis_nonzero + req.cpu_millis_nonzero,
        node.cpu_millis,
    );
    let memory = util::least_requested_score(
        node.allocated.memory_bytes_nonzero + req.memory_bytes_nonzero,
        node.memory_bytes,
    );
    (cpu + memory) / 2
}

/// NodeResourcesBalancedAllocation: how evenly CPU and memory would be used with the pod
/// placed, on the actual requests; a pod requesting nothing skips it (scores 0 everywhere).
fn balanced_allocation(node: &Node, req: &PodRequests) -> i64 {
    if req.cpu_millis == 0 && req.memory_bytes == 0 {
        return 0;
    }
    util::balanced_resource_score(
        [
            node.allocated.cpu_millis + req.cpu_millis,
            node.allocated.memory_bytes + req.memory_bytes,
        ],
        [node.cpu_millis, node.memory_bytes],
    )
}

/// TaintToleration's `countIntolerableTaintsPreferNoSchedule`: the node's
/// `PreferNoSchedule` taints no toleration with that effect (or none) tolerates.
fn intolerable_prefer_no_schedule(node: &Node, tolerations: &[Toleration]) -> i64 {
    let relevant: Vec<&Toleration> = tolerations
        .iter()
        .filter(|t| t.effect.is_empty() || t.effect == "PreferNoSchedule")
        .collect();
    node.taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule")
        .filter(|t| !relevant.iter().any(|tol| tol.tolerates(t)))
        .count() as i64
}

/// TaintToleration's scores, normalized: fewer intolerable `PreferNoSchedule` taints score
/// higher.
fn taint_toleration_scores(nodes: &[&Node], tolerations: &[Toleration]) -> Vec<i64> {
    let mut scores: Vec<i64> = nodes
        .iter()
        .map(|n| intolerable_prefer_no_schedule(n, tolerations))
        .collect();
    util::default_normalize_score(MAX_NODE_SCORE, true, &mut scores);
    scores
}

/// NodeAffinity's scores, normalized: the weights of the preferred terms each node matches.
fn node_affinity_scores(nodes: &[&Node], terms: &[PreferredSchedulingTerm]) -> Vec<i64> {
    let mut scores: Vec<i64> = nodes
        .iter()
        .map(|n| {
            terms
                .iter()
                .filter(|t| t.weight != 0 && t.preference.matches(&n.name, &n.labels))
                .map(|t| i64::from(t.weight))
                .sum()
        })
        .collect();
    util::default_normalize_score(MAX_NODE_SCORE, false, &mut scores);
    scores
}

/// PodTopologySpread's score for `ScheduleAnyway` constraints: each constraint's matching
/// pods in the node's domain, weighted by `ln(domains + 2)` over the candidates' domains,
/// summed and rounded; nodes missing a constraint's key are ignored (score 0).
fn spread_scores(c: &impl Api, ask: &PodAsk, candidates: &[NodeId], nodes: &[&Node]) -> Vec<i64> {
    let constraints = &ask.prefers.spread;
    if constraints.is_empty() {
        return vec![0; nodes.len()];
    }
    let spreads: Vec<_> = constraints
        .iter()
        .map(|t| spread_counts(c, ask, t))
        .collect();
    // Each candidate's domain and count per constraint; `None` where a key is missing.
    let places: Vec<Option<Vec<(Domain, usize)>>> = candidates
        .iter()
        .zip(nodes)
        .map(|(&id, n)| spreads.iter().map(|s| place(s, id, n)).collect())
        .collect();
    let weights: Vec<f64> = (0..spreads.len())
        .map(|k| {
            let scored = places.iter().flatten();
            let domains = if constraints[k].topology_key == HOSTNAME_LABEL {
                scored.count()
            } else {
                scored.map(|p| p[k].0).collect::<BTreeSet<Domain>>().len()
            };
            util::topology_normalizing_weight(domains)
        })
        .collect();
    let raw: Vec<Option<i64>> = places
        .iter()
        .map(|p| {
            let p = p.as_ref()?;
            let sum: f64 = p
                .iter()
                .zip(&spreads)
                .zip(&weights)
                .map(|((&(_, here), s), &w)| {
                    util::score_for_count(here as i64, s.constraint.max_skew, w)
                })
                .sum();
            Some(sum.round() as i64)
        })
        .collect();
    util::normalize_pod_topology_spread(&raw)
}

/// A topology domain: its position in the store's spread index, or its label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Domain<'a> {
    Indexed(u32),
    Label(&'a str),
}

/// A node's domain under one constraint and the matching pods there: by the store's index
/// (no label comparison) where the constraint has one, else by the node's label.
fn place<'a>(s: &'a Spread, id: NodeId, node: &'a Node) -> Option<(Domain<'a>, usize)> {
    match &s.quick {
        Some((domain_of, _)) => {
            let d = domain_of.get(id.0 as usize).copied().flatten()?;
            Some((Domain::Indexed(d), s.by_position.get(d as usize).copied()?))
        }
        None => {
            let value = node.labels.get(&s.constraint.topology_key)?;
            let here = s.counts.get(value).copied().unwrap_or(0);
            Some((Domain::Label(value), here))
        }
    }
}

/// InterPodAffinity's score: the weights gathered per topology domain, read for each
/// candidate over the keys it carries, then normalized.
fn inter_pod_affinity_scores(c: &impl Api, ask: &PodAsk, nodes: &[&Node]) -> Vec<i64> {
    let none = ask.prefers.affinity.is_empty() && ask.prefers.anti_affinity.is_empty();
    if none && !ask.existing_scoring_terms {
        // Nothing to weigh (upstream's PreScore then finds no pod with affinity terms).
        return vec![0; nodes.len()];
    }
    let domains = domain_weights(c, ask);
    let mut scores: Vec<i64> = nodes
        .iter()
        .map(|n| {
            domains
                .iter()
                .filter_map(|(key, values)| values.get(n.labels.get(key)?))
                .sum()
        })
        .collect();
    if !domains.is_empty() {
        util::normalize_inter_pod_affinity(&mut scores);
    }
    scores
}

/// InterPodAffinity's `PreScore`: for every bound pod, its domain gains the weight of each
/// of the incoming pod's preferred affinity terms it matches (anti-affinity: loses), and
/// of each of its own terms about the incoming pod (required affinity:
/// `hardPodAffinityWeight`). What one ReplicaSet's pods add is worked out once.
fn domain_weights(c: &impl Api, ask: &PodAsk) -> BTreeMap<String, BTreeMap<String, i64>> {
    let mut per_owner: BTreeMap<RsId, Vec<(String, i64)>> = BTreeMap::new();
    let mut domains: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for node in &c.store().nodes {
        for &q in &node.bound {
            let owner = c.store().pod(q).owner;
            let terms = per_owner
                .entry(owner)
                .or_insert_with(|| weights_of_owner(c, ask, q));
            for (key, w) in terms.iter() {
                if let Some(value) = node.labels.get(key) {
                    let by_value = domains.entry(key.clone()).or_default();
                    *by_value.entry(value.clone()).or_default() += w;
                }
            }
        }
    }
    domains
}

/// What each pod of `q`'s ReplicaSet adds to its domains for the incoming pod: a
/// topology key and a signed weight per term that applies (`processExistingPod`).
fn weights_of_owner(c: &impl Api, ask: &PodAsk, q: PodId) -> Vec<(String, i64)> {
    let Some((ns, labels)) = pod_labels(c, q) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut incoming = |terms: &[WeightedPodAffinityTerm], sign: i64| {
        for t in terms {
            let term = &t.pod_affinity_term;
            if term.selects_pod(ask.namespace, ns, labels) {
                out.push((term.topology_key.clone(), sign * i64::from(t.weight)));
            }
        }
    };
    incoming(ask.prefers.affinity, 1);
    incoming(ask.prefers.anti_affinity, -1);
    let existing = c
        .store()
        .replica_set(c.store().pod(q).owner)
        .and_then(|rs| rs.template.spec.affinity.as_ref());
    let about_incoming = |a: Option<&PodAffinity>, sign: i64, out: &mut Vec<(String, i64)>| {
        let Some(a) = a else { return };
        let hard = a.required_during_scheduling_ignored_during_execution.iter();
        // Required anti-affinity already filtered; only required affinity scores.
        let hard = hard
            .filter(|_| sign > 0)
            .map(|t| (t, util::HARD_POD_AFFINITY_WEIGHT));
        let soft = a
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .map(|t| (&t.pod_affinity_term, i64::from(t.weight)));
        for (term, w) in hard.chain(soft) {
            if term.selects_pod(ns, ask.namespace, ask.labels) {
                out.push((term.topology_key.clone(), sign * w));
            }
        }
    };
    about_incoming(existing.and_then(|a| a.pod_affinity.as_ref()), 1, &mut out);
    about_incoming(
        existing.and_then(|a| a.pod_anti_affinity.as_ref()),
        -1,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scheduling::{NodeSelectorRequirement, NodeSelectorTerm, Taint};

    fn node(name: &str, labels: &[(&str, &str)], taints: &[(&str, &str, &str)]) -> Node {
        let mut n = super::super::tests::node(4000, 1 << 30);
        n.name = name.into();
        n.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        n.taints = taints
            .iter()
            .map(|(key, value, effect)| Taint {
                key: key.to_string(),
                value: value.to_string(),
                effect: effect.to_string(),
            })
            .collect();
        n
    }

    fn toleration(key: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: "Equal".into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    #[test]
    fn taint_toleration_score_table() {
        // TestTaintTolerationScore.
        let pns = "PreferNoSchedule";
        let cases: Vec<(Vec<Toleration>, Vec<Node>, Vec<i64>)> = vec![
            // Tolerated taints score higher than intolerable ones.
            (
                vec![toleration("foo", "bar", pns)],
                vec![
                    node("n1", &[], &[("foo", "bar", pns)]),
                    node("n2", &[], &[("foo", "blah", pns)]),
                ],
                vec![100, 0],
            ),
            // Nodes whose taints are all tolerated score the same, however many there are.
            (
                vec![
                    toleration("cpu-type", "arm64", pns),
                    toleration("disk-type", "ssd", pns),
                ],
                vec![
                    node("n1", &[], &[]),
                    node("n2", &[], &[("cpu-type", "arm64", pns)]),
                    node(
                        "n3",
                        &[],
                        &[("cpu-type", "arm64", pns), ("disk-type", "ssd", pns)],
                    ),
                ],
                vec![100, 100, 100],
            ),
            // The more intolerable taints, the lower the score.
            (
                vec![toleration("foo", "bar", pns)],
                vec![
                    node("n1", &[], &[]),
                    node("n2", &[], &[("cpu-type", "arm64", pns)]),
                    node(
                        "n3",
                        &[],
                        &[("cpu-type", "arm64", pns), ("disk-type", "ssd", pns)],
                    ),
                ],
                vec![100, 50, 0],
            ),
            // Only PreferNoSchedule taints and tolerations count.
            (
                vec![
                    toleration("cpu-type", "arm64", "NoSchedule"),
                    toleration("disk-type", "ssd", "NoSchedule"),
                ],
                vec![
                    node("n1", &[], &[]),
                    node("n2", &[], &[("cpu-type", "arm64", "NoSchedule")]),
                    node("n3", &[], &[("cpu-type", "arm64", pns)]),
                ],
                vec![100, 100, 0],
            ),
            // No tolerations: the untainted node.
            (
                vec![],
                vec![
                    node("n1", &[], &[]),
                    node("n2", &[], &[("cpu-type", "arm64", pns)]),
                ],
                vec![100, 0],
            ),
        ];
        for (tolerations, nodes, want) in cases {
            let refs: Vec<&Node> = nodes.iter().collect();
            assert_eq!(
                taint_toleration_scores(&refs, &tolerations),
                want,
                "{tolerations:?}"
            );
        }
    }

    fn term(weight: i32, labels: &[(&str, &str)]) -> PreferredSchedulingTerm {
        PreferredSchedulingTerm {
            weight,
            preference: NodeSelectorTerm {
                match_expressions: labels
                    .iter()
                    .map(|(k, v)| NodeSelectorRequirement {
                        key: k.to_string(),
                        operator: "In".into(),
                        values: vec![v.to_string()],
                    })
                    .collect(),
                match_fields: Vec::new(),
            },
        }
    }

    #[test]
    fn node_affinity_score_table() {
        // TestNodeAffinityPriority.
        let nodes = [
            node("node1", &[("foo", "bar")], &[]),
            node("node2", &[("key", "value")], &[]),
            node("node3", &[("az", "az1")], &[]),
            node(
                "node5",
                &[("foo", "bar"), ("key", "value"), ("az", "az1")],
                &[],
            ),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        assert_eq!(
            node_affinity_scores(&refs, &[]),
            [0, 0, 0, 0],
            "no affinity"
        );
        let nowhere = [term(2, &[("foo", "baz")])];
        assert_eq!(node_affinity_scores(&refs, &nowhere), [0, 0, 0, 0]);
        let only_node1 = [
            term(2, &[("foo", "bar"), ("key", "value2")]),
            term(3, &[("foo", "bar")]),
        ];
        assert_eq!(node_affinity_scores(&refs[..3], &only_node1), [100, 0, 0]);
        // Different priorities: 2, 4 and 11 of 11.
        let weighted = [
            term(2, &[("foo", "bar")]),
            term(4, &[("key", "value")]),
            term(5, &[("foo", "bar"), ("key", "value"), ("az", "az1")]),
        ];
        assert_eq!(node_affinity_scores(&refs, &weighted), [18, 36, 0, 100]);
    }
}
