//! Scoring arithmetic as pure functions over plain numbers, each mirroring a function of
//! upstream `pkg/scheduler` (`schedule_one.go`, `framework/plugins/helper`, and the score
//! plugins' `NormalizeScore`), so upstream's own table tests port directly.

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;

/// The default score plugins' weights (`apis/config/v1/default_plugins.go`).
pub mod weight {
    /// TaintToleration (`PreferNoSchedule` taints).
    pub const TAINT_TOLERATION: i64 = 3;
    /// NodeAffinity (preferred terms).
    pub const NODE_AFFINITY: i64 = 2;
    /// NodeResourcesFit (`LeastAllocated`).
    pub const NODE_RESOURCES_FIT: i64 = 1;
    /// NodeResourcesBalancedAllocation.
    pub const BALANCED_ALLOCATION: i64 = 1;
    /// PodTopologySpread (`ScheduleAnyway` constraints).
    pub const POD_TOPOLOGY_SPREAD: i64 = 2;
    /// InterPodAffinity (preferred terms, and existing pods' terms about the pod).
    pub const INTER_POD_AFFINITY: i64 = 2;
}

/// `hardPodAffinityWeight`: what an existing pod's required affinity term selecting the
/// incoming pod adds to its domain's score.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// `minFeasibleNodesToFind`: a cluster smaller than this has every feasible node scored.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;

/// `selectHost`'s random choice among the `n` top-scored nodes, from one 64-bit draw of
/// the seeded tie stream (multiply-shift: every index in `0..n` is equally likely to within
/// `n / 2^64`); 0 when `n` is 0.
pub fn pick_uniformly(draw: u64, n: usize) -> usize {
    ((u128::from(draw) * n as u128) >> 64) as usize
}

/// `numFeasibleNodesToFind` with `percentageOfNodesToScore` unset (adaptive): every node
/// of a cluster under 100, else `50 − nodes/125` percent (at least 5 %), at least 100.
pub fn num_feasible_nodes_to_find(all_nodes: usize) -> usize {
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
    if all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return all_nodes;
    }
    let percentage = 50usize
        .saturating_sub(all_nodes / 125)
        .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    (all_nodes * percentage / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// `helper.DefaultNormalizeScore`: scales scores so the largest is `max` (all 0 when the
/// largest is 0), then reverses them (`max − score`) if asked.
pub fn default_normalize_score(max: i64, reverse: bool, scores: &mut [i64]) {
    let largest = scores.iter().copied().max().unwrap_or(0).max(0);
    if largest == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max);
        }
        return;
    }
    for s in scores.iter_mut() {
        let scaled = max * *s / largest;
        *s = if reverse { max - scaled } else { scaled };
    }
}

/// InterPodAffinity's `NormalizeScore`: maps `[min(0, lowest), max(0, highest)]` onto
/// `[0, 100]` (all 0 when they are equal).
pub fn normalize_inter_pod_affinity(scores: &mut [i64]) {
    let highest = scores.iter().copied().max().unwrap_or(0).max(0);
    let lowest = scores.iter().copied().min().unwrap_or(0).min(0);
    let diff = highest - lowest;
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (MAX_NODE_SCORE as f64 * ((*s - lowest) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}

/// PodTopologySpread's `NormalizeScore`: fewer matching pods score higher, `100 · (max +
/// min − score) / max`; every node scores 100 when the largest is 0, and a node missing a
/// constraint's topology key (`None`) scores 0.
pub fn normalize_pod_topology_spread(scores: &[Option<i64>]) -> Vec<i64> {
    let valid = || scores.iter().flatten().copied();
    let lowest = valid().min().unwrap_or(i64::MAX);
    let highest = valid().max().unwrap_or(0).max(0);
    scores
        .iter()
        .map(|s| match *s {
            None => 0,
            Some(_) if highest == 0 => MAX_NODE_SCORE,
            Some(s) => MAX_NODE_SCORE * (highest + lowest - s) / highest,
        })
        .collect()
}

/// `topologyNormalizingWeight`: `ln(domains + 2)`, so a constraint over few domains is not
/// watered down by one over many.
pub fn topology_normalizing_weight(domains: usize) -> f64 {
    (domains as f64 + 2.0).ln()
}

/// `scoreForCount`: the matching pods in a domain times the constraint's weight, plus
/// `maxSkew − 1` (which softens the differences between domains).
pub fn score_for_count(count: i64, max_skew: i32, topology_weight: f64) -> f64 {
    count as f64 * topology_weight + f64::from(max_skew - 1)
}

/// `LeastAllocated` for one resource: the free share after the pod, 0–100.
pub fn least_requested_score(requested: u128, capacity: u64) -> i64 {
    let capacity = u128::from(capacity);
    if capacity == 0 || requested > capacity {
        return 0;
    }
    ((capacity - requested) * MAX_NODE_SCORE as u128 / capacity) as i64
}

/// `balancedResourceScorer` over CPU and memory: `(1 − |f_cpu − f_memory| / 2) · 100`, each
/// fraction the requests after the pod over the allocatable amount, at most 1 (a resource
/// with nothing allocatable is left out, and one alone is balanced).
pub fn balanced_resource_score(requested: [u128; 2], allocatable: [u64; 2]) -> i64 {
    let fractions: Vec<f64> = requested
        .iter()
        .zip(allocatable)
        .filter(|&(_, a)| a != 0)
        .map(|(&r, a)| (r as f64 / a as f64).min(1.0))
        .collect();
    let std = match fractions[..] {
        [a, b] => ((a - b) / 2.0).abs(),
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draw_picks_each_of_n_equally_often() {
        assert_eq!(pick_uniformly(u64::MAX, 0), 0);
        assert_eq!(pick_uniformly(u64::MAX, 1), 0);
        assert_eq!(pick_uniformly(u64::MAX, 3), 2);
        // Evenly spaced draws (the midpoints of twelve equal slices) land evenly: 3 of
        // every 12 on each of 4 nodes.
        let mut hits = [0; 4];
        for i in 0..12u64 {
            hits[pick_uniformly((2 * i + 1) * (u64::MAX / 24), 4)] += 1;
        }
        assert_eq!(hits, [3, 3, 3, 3]);
    }

    #[test]
    fn num_feasible_nodes_to_find_table() {
        // TestNumFeasibleNodesToFind, the cases with percentageOfNodesToScore unset.
        for (nodes, want) in [(10, 10), (1000, 420), (6000, 300), (99, 99), (100, 100)] {
            assert_eq!(num_feasible_nodes_to_find(nodes), want, "{nodes} nodes");
        }
        // 5,000 nodes: 50 − 40 = 10 %.
        assert_eq!(num_feasible_nodes_to_find(5000), 500);
    }

    #[test]
    fn default_normalize_score_table() {
        // TestDefaultNormalizeScore.
        let cases: [(bool, [i64; 4], [i64; 4]); 7] = [
            (false, [1, 2, 3, 4], [25, 50, 75, 100]),
            (true, [1, 2, 3, 4], [75, 50, 25, 0]),
            (false, [1000, 10, 20, 30], [100, 1, 2, 3]),
            (true, [1000, 10, 20, 30], [0, 99, 98, 97]),
            (false, [1, 1, 1, 1], [100, 100, 100, 100]),
            (false, [1000, 1, 1, 1], [100, 0, 0, 0]),
            (true, [0, 1, 1, 1], [100, 0, 0, 0]),
        ];
        for (reverse, mut scores, want) in cases {
            default_normalize_score(MAX_NODE_SCORE, reverse, &mut scores);
            assert_eq!(scores, want, "reverse {reverse}");
        }
        let mut zeros = [0, 0];
        default_normalize_score(MAX_NODE_SCORE, true, &mut zeros);
        assert_eq!(
            zeros,
            [100, 100],
            "no taint anywhere: every node scores full"
        );
    }

    #[test]
    fn inter_pod_affinity_normalizes_between_the_lowest_and_highest() {
        let mut scores = [-5, 0, 5];
        normalize_inter_pod_affinity(&mut scores);
        assert_eq!(scores, [0, 50, 100]);
        // Only positive scores: the range still starts at 0.
        let mut scores = [2, 4];
        normalize_inter_pod_affinity(&mut scores);
        assert_eq!(scores, [50, 100]);
        let mut equal = [0, 0];
        normalize_inter_pod_affinity(&mut equal);
        assert_eq!(equal, [0, 0]);
    }

    #[test]
    fn pod_topology_spread_favours_the_emptier_domain() {
        // One ScheduleAnyway constraint over zones with 2 and 0 matching pods, maxSkew 1,
        // two zones: weight ln 4; raw scores round(2 · 1.386) = 3 and 0.
        let w = topology_normalizing_weight(2);
        let raw: Vec<Option<i64>> = [2, 0]
            .iter()
            .map(|&n| Some(score_for_count(n, 1, w).round() as i64))
            .collect();
        assert_eq!(raw, [Some(3), Some(0)]);
        assert_eq!(normalize_pod_topology_spread(&raw), [0, 100]);
        // A node without the key scores 0; all-empty domains score 100.
        assert_eq!(
            normalize_pod_topology_spread(&[None, Some(0), Some(0)]),
            [0, 100, 100]
        );
        // maxSkew 3 adds 2 everywhere, narrowing the gap: (5 + 2 − s) / 5.
        let raw = [Some(5), Some(2)];
        assert_eq!(normalize_pod_topology_spread(&raw), [40, 100]);
    }

    #[test]
    fn least_requested_scores_the_free_share() {
        assert_eq!(least_requested_score(0, 4000), 100);
        assert_eq!(least_requested_score(1000, 4000), 75);
        assert_eq!(least_requested_score(4000, 4000), 0);
        assert_eq!(least_requested_score(5000, 4000), 0, "over capacity");
        assert_eq!(least_requested_score(1, 0), 0, "no capacity");
    }

    #[test]
    fn balanced_allocation_table() {
        // TestNodeResourcesBalancedAllocation's arithmetic: CPU 3000/4000 and memory
        // 5000/10000 give std 0.125, score 87; CPU 3000/6000 and memory 5000/10000, 100.
        assert_eq!(balanced_resource_score([3000, 5000], [4000, 10000]), 87);
        assert_eq!(balanced_resource_score([3000, 5000], [6000, 10000]), 100);
        // Requests past the capacity count as full.
        assert_eq!(balanced_resource_score([8000, 0], [4000, 10000]), 50);
        assert_eq!(
            balanced_resource_score([8000, 0], [0, 10000]),
            100,
            "one resource"
        );
    }
}
