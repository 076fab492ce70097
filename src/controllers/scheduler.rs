//! The scheduler: filter (node Ready and schedulable, requests fit, nodeSelector), score
//! (least allocated, on the non-zero requests upstream scores with), bind.
//!
//! Scoring every node for every pod would cost O(nodes) per pod. Nodes are instead kept in
//! an ordered index by score, so the best candidate is found first and only nodes that fail
//! the filters are skipped. Ties go to the node added first (upstream picks at random
//! among equal scores; a fixed rule keeps runs reproducible).

use crate::controllers::{Api, Event};
use crate::model::recorder::EventType;
use crate::model::*;

/// Scheduler state: the score index and the pods that fit nowhere yet.
#[derive(Debug, Default)]
pub struct SchedulerState {
    /// Schedulable nodes by least-allocated score (0..=100), each bucket in node order.
    index: Vec<NodeSet>,
    scores: Vec<Option<u32>>,
    unschedulable: Vec<PodId>,
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
        }
    }

    fn remove(&mut self, n: NodeId) {
        let (w, bit) = (n.0 as usize / 64, 1u64 << (n.0 % 64));
        if let Some(word) = self.words.get_mut(w)
            && *word & bit != 0
        {
            *word &= !bit;
            while self.first < self.words.len() && self.words[self.first] == 0 {
                self.first += 1;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.first >= self.words.len()
    }

    /// Members in node order.
    fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        let first = self.first.min(self.words.len());
        self.words[first..]
            .iter()
            .enumerate()
            .flat_map(move |(i, &word)| {
                let w = first + i;
                let mut bits = word;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let b = bits.trailing_zeros();
                        bits &= bits - 1;
                        NodeId(w as u32 * 64 + b)
                    })
                })
            })
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
    let s = c.scheduler_mut();
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

fn fits(
    node: &Node,
    req: &PodRequests,
    selector: &std::collections::BTreeMap<String, String>,
) -> bool {
    node.pods < node.max_pods
        && node.allocated.cpu_millis + req.cpu_millis <= u128::from(node.cpu_millis)
        && node.allocated.memory_bytes + req.memory_bytes <= u128::from(node.memory_bytes)
        && selector.iter().all(|(k, v)| node.labels.get(k) == Some(v))
}

/// One scheduling cycle for a pod: bind it to the best node that passes the filters.
pub(crate) fn schedule_pod(c: &mut impl Api, p: PodId) {
    let pod = c.store().pod(p);
    if pod.gone || pod.deletion.is_some() || pod.node.is_some() {
        return;
    }
    let Some(rs) = c.store().replica_set(pod.owner) else {
        return;
    };
    let (req, selector) = (rs.requests, &rs.template.spec.node_selector);
    let chosen = c
        .scheduler()
        .index
        .iter()
        .rev()
        .filter(|bucket| !bucket.is_empty())
        .find_map(|bucket| {
            bucket
                .iter()
                .find(|n| fits(c.store().node(*n), &req, selector))
        });
    match chosen {
        Some(n) => {
            c.bind_pod(p, n);
            node_changed(c, n);
            c.pod_event(
                p,
                EventType::Normal,
                "Scheduled",
                "default-scheduler",
                |c| {
                    format!(
                        "Successfully assigned default/{} to {}",
                        c.store().pod_name_of(p),
                        c.store().node(n).name
                    )
                },
            );
        }
        None => {
            let selector = selector.clone();
            c.scheduler_mut().unschedulable.push(p);
            c.pod_event(
                p,
                EventType::Warning,
                "FailedScheduling",
                "default-scheduler",
                |c| failed_scheduling_message(c, &req, &selector),
            );
        }
    }
}

/// `0/3 nodes are available: 3 Insufficient cpu. preemption: …`, reasons counted per node.
fn failed_scheduling_message(
    c: &impl Api,
    req: &PodRequests,
    selector: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    // Nodes failing a filter that no preemption can fix (taints, cordons, selectors) are
    // `UnschedulableAndUnresolvable`; the others could in principle free room.
    let (mut unresolvable, mut resolvable) = (0, 0);
    for node in &c.store().nodes {
        let (reason, fixable) = if node.unreachable_since.is_some() {
            (
                "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
                false,
            )
        } else if !node.ready {
            (
                "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
                false,
            )
        } else if node.unschedulable {
            ("node(s) were unschedulable", false)
        } else if !selector.iter().all(|(k, v)| node.labels.get(k) == Some(v)) {
            ("node(s) didn't match Pod's node affinity/selector", false)
        } else if node.pods >= node.max_pods {
            ("Too many pods", true)
        } else if node.allocated.cpu_millis + req.cpu_millis > u128::from(node.cpu_millis) {
            ("Insufficient cpu", true)
        } else {
            ("Insufficient memory", true)
        };
        *reasons.entry(reason).or_default() += 1;
        if fixable {
            resolvable += 1;
        } else {
            unresolvable += 1;
        }
    }
    let n = c.store().nodes.len();
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
mod tests {
    use super::*;

    fn node(cpu_millis: u64, memory_bytes: u64) -> Node {
        Node {
            name: "n".into(),
            uid: 0,
            labels: Default::default(),
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
        let none = std::collections::BTreeMap::new();
        assert!(fits(&n, &req, &none));
        n.allocated = req;
        n.pods = 1;
        assert!(!fits(&n, &req, &none), "1e19 + 1e19 > u64::MAX");
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
    }
}
