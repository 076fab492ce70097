//! The object store (what the API server holds), with the indexes and incremental counts the
//! controllers' caches would give them, so no per-event work scans every pod.

use super::*;
use crate::sim::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// Per-ReplicaSet pod bookkeeping, maintained as pods change.
#[derive(Debug, Clone, Default)]
pub struct RsPods {
    /// `getPodsPrefix` of the ReplicaSet's name: its pods are named this plus a 5-character
    /// suffix (kept here, as pods outlive a deleted ReplicaSet's record in reports).
    pub pod_prefix: String,
    /// The ReplicaSet's namespace, which its pods share (kept for the same reason).
    pub namespace: String,
    /// Active pods (not terminating, not terminal), in creation order save for removals.
    pub active: Vec<PodId>,
    /// Active pods that are Ready.
    pub ready: i32,
    /// Active pods counted available.
    pub available: i32,
    /// Ready pods waiting out minReadySeconds, by Ready time.
    pub pending_available: BTreeSet<(SimTime, PodId)>,
    /// Pods that exist and are not terminal, terminating ones included.
    pub live: i32,
    /// Pods with a deletion timestamp that still exist.
    pub terminating: i32,
    /// Active pods that are not Ready (they rank first for deletion), in no set order.
    pub not_ready: Vec<PodId>,
    /// Active Ready pods by node, with what the deletion ranking reads of them (UID and
    /// Ready time), so it need neither look at every pod nor at the pod records.
    pub ready_on_node: ReadyByNode,
    /// Name suffixes its pods use (existing pods only).
    pub name_suffixes: SuffixSet,
}

/// A ReplicaSet's Ready pods, one list per node, indexed by node id. Emptied lists keep
/// their room: a rollout empties and refills the same nodes, and allocating on every
/// first-Ready pod of a node would cost more than the memory.
#[derive(Debug, Clone, Default)]
pub struct ReadyByNode {
    lists: Vec<Vec<ReadyPod>>,
}

impl ReadyByNode {
    /// Adds a Ready pod on `n`.
    pub fn push(&mut self, n: NodeId, pod: ReadyPod) {
        let i = n.0 as usize;
        if self.lists.len() <= i {
            self.lists.resize_with(i + 1, Vec::new);
        }
        self.lists[i].push(pod);
    }

    /// Removes pod `p` from `n`'s list, if it is there.
    pub fn remove(&mut self, n: NodeId, p: PodId) {
        if let Some(list) = self.lists.get_mut(n.0 as usize)
            && let Some(i) = list.iter().position(|x| x.id == p)
        {
            list.remove(i);
        }
    }

    /// The Ready pods on `n`, in the order they became Ready.
    pub fn on(&self, n: NodeId) -> &[ReadyPod] {
        self.lists.get(n.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// Nodes with at least one Ready pod, in node order, with their pods.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &[ReadyPod])> {
        self.lists
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, l)| (NodeId(i as u32), l.as_slice()))
    }

    /// Ready pods on all nodes.
    pub fn len(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }

    /// Whether no node has a Ready pod.
    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(Vec::is_empty)
    }
}

/// Characters the API server uses for `generateName` suffixes.
pub(crate) const NAME_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of a `generateName` suffix.
pub(crate) const SUFFIX_LEN: usize = 5;

/// A 5-character name suffix as its base-27 number (first character most significant).
fn suffix_key(suffix: &str) -> Option<u32> {
    if suffix.len() != SUFFIX_LEN {
        return None;
    }
    suffix.bytes().try_fold(0u32, |key, b| {
        let digit = NAME_ALPHABET.iter().position(|&a| a == b)?;
        Some(key * NAME_ALPHABET.len() as u32 + digit as u32)
    })
}

/// The name suffixes in use by one ReplicaSet's pods (the 5-character random part as a
/// base-27 number, below 27⁵): the collision check of `generateName` without comparing
/// strings or hashing. One bit per suffix, in pages of 4,096 allocated as suffixes land in
/// them, so a small ReplicaSet holds a few pages and a huge one about 1.8 MB.
#[derive(Debug, Clone, Default)]
pub struct SuffixSet {
    pages: Vec<Option<Box<[u64; 64]>>>,
}

impl SuffixSet {
    fn split(key: u32) -> (usize, usize, u64) {
        let key = key as usize;
        (key >> 12, (key >> 6) & 63, 1 << (key & 63))
    }

    /// Whether `key` is in use.
    pub fn contains(&self, key: u32) -> bool {
        let (page, word, bit) = Self::split(key);
        self.pages
            .get(page)
            .and_then(Option::as_ref)
            .is_some_and(|p| p[word] & bit != 0)
    }

    /// Marks `key` in use.
    pub fn insert(&mut self, key: u32) {
        let (page, word, bit) = Self::split(key);
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, || None);
        }
        self.pages[page].get_or_insert_with(|| Box::new([0; 64]))[word] |= bit;
    }

    /// Frees `key`.
    pub fn remove(&mut self, key: u32) {
        let (page, word, bit) = Self::split(key);
        if let Some(Some(p)) = self.pages.get_mut(page) {
            p[word] &= !bit;
        }
    }
}

/// A Ready pod as the deletion ranking sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyPod {
    #[allow(missing_docs)]
    pub uid: u128,
    #[allow(missing_docs)]
    pub id: PodId,
    /// Highest restart count of its containers (a restart takes a pod out of Ready first,
    /// so the count cannot change while it is listed).
    pub restarts: u32,
    /// Ready condition's last transition (whole seconds).
    pub since: SimTime,
    /// Creation (whole seconds).
    pub creation: SimTime,
}

/// PodTopologySpread's `PreFilter` counts for one constraint shape (namespace, topology
/// key, selector): bound pods that are not terminating, per domain of every node carrying
/// the key (zero counts included). Built once when a pod first asks, then adjusted pod by
/// pod, so a scheduling cycle reads the counts instead of looking at every pod.
#[derive(Debug, Clone)]
pub struct SpreadIndex {
    #[allow(missing_docs)]
    pub namespace: String,
    #[allow(missing_docs)]
    pub topology_key: String,
    #[allow(missing_docs)]
    pub selector: LabelSelector,
    /// Matching pods per domain.
    pub counts: BTreeMap<String, usize>,
    /// Each node's domain as its position in `counts` (by node id; `None` without the
    /// key), so a scheduling cycle can rule nodes out without comparing label strings.
    pub domain_of: Vec<Option<u32>>,
}

impl Store {
    /// Adjusts every spread index that counts pod `p` on node `n` by `delta` (a bind, or
    /// the pod leaving the active set).
    pub fn adjust_spread_counts(&mut self, p: PodId, n: NodeId, delta: i64) {
        if self.spread_index.is_empty() {
            return;
        }
        let pod = &self.pods[p.0 as usize];
        let ns = self.pod_namespace(pod).to_string();
        let Some(labels) = self.pod_labels(pod).cloned() else {
            return;
        };
        let node_labels = &self.nodes[n.0 as usize].labels;
        for index in &mut self.spread_index {
            if index.namespace != ns || !index.selector.matches(&labels) {
                continue;
            }
            if let Some(count) = node_labels
                .get(&index.topology_key)
                .and_then(|d| index.counts.get_mut(d))
            {
                *count = count.saturating_add_signed(delta as isize);
            }
        }
    }

    /// Builds the spread index of a constraint shape unless it exists: O(nodes + pods),
    /// once.
    pub fn ensure_spread_index(&mut self, ns: &str, topology_key: &str, selector: &LabelSelector) {
        let exists = self.spread_index.iter().any(|i| {
            i.namespace == ns && i.topology_key == topology_key && i.selector == *selector
        });
        if exists {
            return;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for node in &self.nodes {
            let Some(domain) = node.labels.get(topology_key) else {
                continue;
            };
            counts.entry(domain.clone()).or_default();
        }
        for node in &self.nodes {
            let Some(domain) = node.labels.get(topology_key) else {
                continue;
            };
            let matching = node
                .bound
                .iter()
                .filter(|&&q| {
                    let pod = self.pod(q);
                    pod.is_active()
                        && self.pod_namespace(pod) == ns
                        && self.pod_labels(pod).is_some_and(|l| selector.matches(l))
                })
                .count();
            *counts.entry(domain.clone()).or_default() += matching;
        }
        let positions: BTreeMap<&String, u32> = counts
            .keys()
            .enumerate()
            .map(|(i, d)| (d, i as u32))
            .collect();
        let domain_of = self
            .nodes
            .iter()
            .map(|n| {
                n.labels
                    .get(topology_key)
                    .and_then(|d| positions.get(d).copied())
            })
            .collect();
        self.spread_index.push(SpreadIndex {
            namespace: ns.to_string(),
            topology_key: topology_key.to_string(),
            selector: selector.clone(),
            counts,
            domain_of,
        });
    }

    /// The index of a constraint shape, if built.
    pub fn spread_counts(
        &self,
        ns: &str,
        topology_key: &str,
        selector: &LabelSelector,
    ) -> Option<&SpreadIndex> {
        self.spread_index.iter().find(|i| {
            i.namespace == ns && i.topology_key == topology_key && i.selector == *selector
        })
    }
}

/// Every object of the simulated cluster, with name indexes.
#[derive(Debug, Default)]
pub struct Store {
    #[allow(missing_docs)]
    pub nodes: Vec<Node>,
    #[allow(missing_docs)]
    pub node_names: BTreeMap<String, NodeId>,
    /// Deleted Deployments leave `None`.
    pub deployments: Vec<Option<Deployment>>,
    /// Deployments by namespace and name.
    pub deployment_names: BTreeMap<ObjectKey, DeploymentId>,
    /// Deleted ReplicaSets leave `None`.
    pub replica_sets: Vec<Option<ReplicaSet>>,
    /// Pod bookkeeping, parallel to `replica_sets`.
    pub rs_pods: Vec<RsPods>,
    /// Canonical template text of each ReplicaSet (for `EqualIgnoreHash`).
    pub rs_template_keys: Vec<String>,
    /// Canonical template text of each Deployment's template, with the generation it was
    /// computed at (a template only changes with the generation).
    pub deployment_template_keys: Vec<Option<(i64, String)>>,
    /// ReplicaSets by namespace and name.
    pub rs_names: BTreeMap<ObjectKey, RsId>,
    /// Every pod ever created; gone ones keep their record for reports.
    pub pods: Vec<Pod>,
    /// Services by namespace and name.
    pub services: BTreeMap<ObjectKey, Service>,
    /// ConfigMaps by namespace and name.
    pub config_maps: BTreeMap<ObjectKey, ConfigMap>,
    /// PodDisruptionBudgets by namespace and name.
    pub pdbs: BTreeMap<ObjectKey, PodDisruptionBudget>,
    /// Namespaces by name, with their creation time.
    pub namespaces: BTreeMap<String, SimTime>,
    /// Interned image names.
    pub images: Vec<String>,
    /// Cluster IPs handed out so far.
    pub service_ips_allocated: u32,
    /// Pods that exist (not gone), for the size limit.
    pub existing_pods: usize,
    /// Per-domain counts of the pods topology spread constraints select, kept up to date as
    /// pods are bound and stop being active (see [`SpreadIndex`]).
    pub spread_index: Vec<SpreadIndex>,
    /// Active pods of each Deployment on each node, `[deployment][node]` (the rank of
    /// `getPodsRankedByRelatedPodsOnSameNode`), dense so the deletion ranking reads them
    /// without touching every node record.
    pub active_on_node: Vec<Vec<u32>>,
}

impl Store {
    /// The Deployment, if it exists.
    pub fn deployment(&self, id: DeploymentId) -> Option<&Deployment> {
        self.deployments.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The Deployment called `name` in namespace `ns`.
    pub fn deployment_by_name(&self, ns: &str, name: &str) -> Option<(DeploymentId, &Deployment)> {
        let id = *self.deployment_names.get(&object_key(ns, name))?;
        self.deployment(id).map(|d| (id, d))
    }

    /// The ReplicaSet, if it exists.
    pub fn replica_set(&self, id: RsId) -> Option<&ReplicaSet> {
        self.replica_sets
            .get(id.0 as usize)
            .and_then(Option::as_ref)
    }

    /// The ReplicaSet, if it exists and is not being deleted.
    pub fn live_replica_set(&self, id: RsId) -> Option<&ReplicaSet> {
        self.replica_set(id).filter(|rs| rs.meta.deletion.is_none())
    }

    /// The pod record (gone pods included).
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.0 as usize]
    }

    /// The pods bound to a node and not yet gone, in creation order; the cost follows the
    /// node's pods, not every pod the cluster ever had.
    pub fn pods_on_node(&self, id: NodeId) -> Vec<PodId> {
        let mut pods = self.nodes[id.0 as usize].bound.clone();
        pods.sort_unstable();
        pods
    }

    /// The node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// ReplicaSets a Deployment controls, in creation order.
    pub fn replica_sets_of(&self, d: DeploymentId) -> Vec<(RsId, &ReplicaSet)> {
        self.deployment(d)
            .map(|dep| {
                dep.replica_sets
                    .iter()
                    .filter_map(|id| self.replica_set(*id).map(|rs| (*id, rs)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Live Deployments in namespace, then name order.
    pub fn deployments_sorted(&self) -> Vec<(DeploymentId, &Deployment)> {
        self.deployment_names
            .values()
            .filter_map(|id| self.deployment(*id).map(|d| (*id, d)))
            .collect()
    }

    /// Live ReplicaSets in namespace, then name order.
    pub fn replica_sets_sorted(&self) -> Vec<(RsId, &ReplicaSet)> {
        self.rs_names
            .values()
            .filter_map(|id| self.replica_set(*id).map(|r| (*id, r)))
            .collect()
    }

    /// Existing pods in namespace, then name order (sorted on demand: only kubectl listings
    /// need it).
    pub fn pods_sorted(&self) -> Vec<(PodId, &Pod)> {
        self.pods_sorted_by(|p| !p.gone)
    }

    /// The pods `keep` takes (gone ones included), sorted as [`Store::pods_sorted`].
    pub fn pods_sorted_by(&self, keep: impl Fn(&Pod) -> bool) -> Vec<(PodId, &Pod)> {
        let mut pods: Vec<(PodId, &Pod)> = self
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| keep(p))
            .map(|(i, p)| (PodId(i as u32), p))
            .collect();
        pods.sort_by_cached_key(|(_, p)| (self.pod_namespace(p).to_string(), self.pod_name(p)));
        pods
    }

    /// A pod's namespace: its ReplicaSet's (the only way pods are made here).
    pub fn pod_namespace(&self, pod: &Pod) -> &str {
        self.rs_pods
            .get(pod.owner.0 as usize)
            .map_or(DEFAULT_NAMESPACE, |r| r.namespace.as_str())
    }

    /// A pod's name in reports: `NS/NAME` outside `default` (see [`report_name`]).
    pub fn pod_report_name(&self, pod: &Pod) -> String {
        report_name(&(self.pod_namespace(pod).to_string(), self.pod_name(pod)))
    }

    /// The namespace of pod `p`.
    pub fn pod_namespace_of(&self, p: PodId) -> &str {
        self.pod_namespace(self.pod(p))
    }

    /// The existing pod with that name in namespace `ns`.
    pub fn pod_by_name(&self, ns: &str, name: &str) -> Option<PodId> {
        self.pods
            .iter()
            .position(|p| {
                !p.gone
                    && self.pod_namespace(p) == ns
                    && name
                        .strip_prefix(self.rs_pods[p.owner.0 as usize].pod_prefix.as_str())
                        .and_then(suffix_key)
                        == Some(p.name_key)
            })
            .map(|i| PodId(i as u32))
    }

    /// The name of pod `p` (see [`Store::pod_name`]).
    pub fn pod_name_of(&self, p: PodId) -> String {
        self.pod_name(self.pod(p))
    }

    /// A pod's name: its ReplicaSet's prefix and the 5-character suffix drawn for it.
    /// Built on demand (only reports and kubectl output need it), so creating a pod
    /// allocates nothing for its name.
    pub fn pod_name(&self, pod: &Pod) -> String {
        let prefix = &self.rs_pods[pod.owner.0 as usize].pod_prefix;
        let mut name = String::with_capacity(prefix.len() + SUFFIX_LEN);
        name.push_str(prefix);
        let mut place = NAME_ALPHABET.len().pow(SUFFIX_LEN as u32 - 1) as u32;
        for _ in 0..SUFFIX_LEN {
            let digit = pod.name_key / place % NAME_ALPHABET.len() as u32;
            name.push(NAME_ALPHABET[digit as usize] as char);
            place /= NAME_ALPHABET.len() as u32;
        }
        name
    }

    /// Active pods of Deployment `d` on node `n`.
    pub fn active_on(&self, d: DeploymentId, n: NodeId) -> u32 {
        self.active_on_node
            .get(d.0 as usize)
            .and_then(|v| v.get(n.0 as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Interns an image name.
    pub fn intern_image(&mut self, image: &str) -> u32 {
        match self.images.iter().position(|i| i == image) {
            Some(i) => i as u32,
            None => {
                self.images.push(image.to_string());
                (self.images.len() - 1) as u32
            }
        }
    }

    /// Labels of a pod (its ReplicaSet's template labels).
    pub fn pod_labels(&self, pod: &Pod) -> Option<&BTreeMap<String, String>> {
        self.replica_set(pod.owner)
            .map(|rs| &rs.template.metadata.labels)
    }

    /// Pods not gone whose labels satisfy `selects` (a lister by selector: it reads every
    /// pod record, so it serves commands and Service changes, not per-event work).
    pub fn live_pods_matching(
        &self,
        ns: &str,
        selects: impl Fn(&BTreeMap<String, String>) -> bool,
    ) -> Vec<PodId> {
        (0..self.pods.len() as u32)
            .map(PodId)
            .filter(|&p| {
                let pod = self.pod(p);
                !pod.gone
                    && self.pod_namespace(pod) == ns
                    && self.pod_labels(pod).is_some_and(&selects)
            })
            .collect()
    }

    /// Total live pods (terminating included) of a Deployment's ReplicaSets.
    pub fn live_pods_of(&self, d: DeploymentId) -> i32 {
        self.deployment(d).map_or(0, |dep| {
            dep.replica_sets
                .iter()
                .map(|r| self.rs_pods[r.0 as usize].live)
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_keys_read_five_characters_of_the_alphabet_only() {
        assert_eq!(suffix_key("bbbbb"), Some(0));
        assert_eq!(suffix_key("bbbbc"), Some(1));
        assert_eq!(suffix_key("99999"), Some(27u32.pow(5) - 1));
        assert_eq!(suffix_key("bcdf"), None, "too short");
        assert_eq!(suffix_key("bcdfa"), None, "a vowel is never drawn");
    }

    #[test]
    fn a_suffix_set_holds_any_suffix_below_27_to_the_fifth() {
        let mut set = SuffixSet::default();
        let top = 27u32.pow(5) - 1;
        for key in [0, 63, 64, 4095, 4096, top] {
            assert!(!set.contains(key));
            set.insert(key);
            assert!(set.contains(key));
        }
        set.remove(64);
        assert!(!set.contains(64));
        assert!(set.contains(63) && set.contains(4096) && set.contains(top));
        set.remove(12_345_678);
        assert!(
            !set.contains(12_345_678),
            "removing a key never added is harmless"
        );
    }
}
