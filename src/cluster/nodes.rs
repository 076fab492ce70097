//! Node writes (cordon, uncordon, eviction) and the machines under the nodes: a machine
//! that stops (a scenario's node fault or a random failure) and starts again.

use super::{Cluster, Event, EventType};
use crate::controllers::{kubelet, node_lifecycle, scheduler};
use crate::model::*;
use crate::sim::SimTime;
use rand::RngExt;
use std::collections::BTreeMap;

/// What `kubectl get pdb` and the Eviction API read of a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdbStatus {
    /// Pods the budget expects (`expectedPods`).
    pub expected: i32,
    /// Selected pods that are Ready and not being deleted.
    pub current_healthy: i32,
    /// Healthy pods the budget requires.
    pub desired_healthy: i32,
    /// How many healthy pods may be evicted now.
    pub disruptions_allowed: i32,
}

impl Cluster {
    /// Sets `spec.unschedulable` (`kubectl cordon` / `uncordon`); `false` when it already was.
    pub fn set_unschedulable(&mut self, n: NodeId, unschedulable: bool) -> bool {
        let node = &mut self.store.nodes[n.0 as usize];
        if node.unschedulable == unschedulable {
            return false;
        }
        node.unschedulable = unschedulable;
        let name = node.name.clone();
        let (reason, message) = if unschedulable {
            ("NodeNotSchedulable", "NodeNotSchedulable")
        } else {
            ("NodeSchedulable", "NodeSchedulable")
        };
        self.record(
            EventType::Normal,
            reason,
            "node",
            (DEFAULT_NAMESPACE, &name),
            "kubelet",
            format!("Node {name} status is now: {message}"),
        );
        scheduler::node_changed(self, n);
        true
    }

    /// Writes a node's `spec.taints` (kubectl taint); pods waiting for a node are tried again.
    /// Writes a node's taints (kubectl taint): a taint already there keeps its `timeAdded`;
    /// pods waiting for a node are tried again, and pods a new `NoExecute` taint concerns
    /// are scheduled for eviction.
    pub fn set_taints(&mut self, n: NodeId, taints: Vec<crate::model::scheduling::Taint>) {
        let now = self.now();
        let node = &mut self.store.nodes[n.0 as usize];
        let added = taints
            .iter()
            .map(|t| {
                node.taints
                    .iter()
                    .position(|old| old == t)
                    .and_then(|i| node.taints_added.get(i).copied())
                    .unwrap_or(now)
            })
            .collect();
        node.taints = taints;
        node.taints_added = added;
        scheduler::node_changed(self, n);
        node_lifecycle::schedule_evictions(self, n);
    }

    /// Writes a node's labels (kubectl label); pods waiting for a node are tried again.
    pub fn set_node_labels(
        &mut self,
        n: NodeId,
        labels: std::collections::BTreeMap<String, String>,
    ) {
        self.store.nodes[n.0 as usize].labels = labels;
        // Domains moved: the spread counts are rebuilt when next asked for.
        self.store.spread_index.clear();
        scheduler::node_changed(self, n);
    }

    /// The Eviction API (`pkg/registry/core/pod/storage/eviction.go`): a graceful delete
    /// unless the pod's PodDisruptionBudget forbids it; `Err` carries the API's refusal.
    pub fn evict_pod(&mut self, p: PodId) -> Result<(), String> {
        let pod = self.store.pod(p);
        if pod.gone {
            return Ok(());
        }
        // `canIgnorePDB`: pods being deleted, terminal or still pending are not counted.
        let ignore = pod.deletion.is_some()
            || matches!(
                pod.phase,
                PodPhase::Pending | PodPhase::Succeeded | PodPhase::Failed
            );
        let ns = self.store.pod_namespace(pod);
        let budgets: Vec<ObjectKey> = match self.store.pod_labels(pod) {
            Some(labels) if !ignore => self
                .store
                .pdbs
                .iter()
                .filter(|((budget_ns, _), b)| budget_ns == ns && b.selector.matches(labels))
                .map(|(key, _)| key.clone())
                .collect(),
            _ => Vec::new(),
        };
        if budgets.len() > 1 {
            return Err("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.".into());
        }
        if let Some(key) = budgets.first()
            && let Some(budget) = self.store.pdbs.get(key)
        {
            let status = self.pdb_status(budget);
            let unhealthy_but_budget_met = !self.store.pod(p).ready
                && status.current_healthy >= status.desired_healthy
                && status.desired_healthy > 0;
            if !unhealthy_but_budget_met && status.disruptions_allowed <= 0 {
                return Err(
                    "Cannot evict pod as it would violate the pod's disruption budget.".into(),
                );
            }
        }
        self.delete_pod(p);
        Ok(())
    }

    /// The disruption controller's view of a budget now (`getExpectedPodCount`,
    /// `countHealthyPods`): pods it selects, healthy ones (Ready, not being deleted), and
    /// how many more may go. A scan over every pod: drains are rare.
    pub fn pdb_status(&self, budget: &PodDisruptionBudget) -> PdbStatus {
        let mut selected = 0;
        let mut current_healthy = 0;
        let mut controllers: BTreeMap<(bool, u32), i32> = BTreeMap::new();
        let pods = self
            .store
            .pods
            .iter()
            .filter(|p| !p.gone && self.store.pod_namespace(p) == budget.meta.namespace);
        for pod in pods {
            let Some(labels) = self.store.pod_labels(pod) else {
                continue;
            };
            if !budget.selector.matches(labels) {
                continue;
            }
            selected += 1;
            if pod.deletion.is_none() && pod.ready {
                current_healthy += 1;
            }
            // `getExpectedScale`: each controller's scale once; a Deployment's for its
            // ReplicaSets' pods.
            if let Some(rs) = self.store.replica_set(pod.owner) {
                match self.store.deployment(rs.owner) {
                    Some(d) => controllers.insert((true, rs.owner.0), d.spec.replicas),
                    None => controllers.insert((false, pod.owner.0), rs.replicas),
                };
            }
        }
        let scale: i32 = controllers.values().sum();
        let (expected, desired_healthy) = match (budget.max_unavailable, budget.min_available) {
            (Some(max), _) => (scale, (scale - max.scaled(scale, true)).max(0)),
            (None, Some(IntOrPercent::Int(min))) => (selected, min),
            (None, Some(min)) => (scale, min.scaled(scale, true)),
            (None, None) => (selected, 0),
        };
        PdbStatus {
            expected,
            current_healthy,
            desired_healthy,
            disruptions_allowed: (current_healthy - desired_healthy).max(0),
        }
    }

    /// The machine stops: its containers die with it, heartbeats stop, and the API learns
    /// of it only when the node lifecycle controller's grace period runs out.
    pub(crate) fn node_down(&mut self, n: NodeId) {
        let now = self.now();
        let node = &mut self.store.nodes[n.0 as usize];
        if !node.kubelet_up {
            return;
        }
        node.kubelet_up = false;
        node.fault_epoch += 1;
        let (epoch, created, name) = (node.fault_epoch, node.creation, node.name.clone());
        let pods = node_lifecycle::pods_on(self, n);
        for &p in &pods {
            // Whatever the kubelet had scheduled for these pods will not happen.
            self.store.pods[p.0 as usize].kubelet_epoch += 1;
        }
        if let Some(t) = self.traffic.as_deref_mut() {
            t.node_down(&pods, now);
        }
        let at = node_lifecycle::not_ready_at(created, now);
        self.schedule(at, Event::NodeMonitor(n, epoch));
        self.fault(
            "NodeDown",
            format!("node/{name}"),
            "the machine stopped (no heartbeats, containers gone)".to_string(),
        );
    }

    /// The machine is back: the kubelet posts Ready at once, the node lifecycle controller
    /// removes the taints at its next monitor tick, and the kubelet deals with its pods.
    pub(crate) fn node_up(&mut self, n: NodeId) {
        let now = self.now();
        let node = &mut self.store.nodes[n.0 as usize];
        if node.kubelet_up {
            return;
        }
        node.kubelet_up = true;
        node.fault_epoch += 1;
        let was_not_ready = !node.ready;
        node.ready = true;
        let (epoch, tainted, name) = (
            node.fault_epoch,
            node.unreachable_since.is_some(),
            node.name.clone(),
        );
        if was_not_ready {
            self.record(
                EventType::Normal,
                "NodeReady",
                "node",
                (DEFAULT_NAMESPACE, &name),
                "kubelet",
                format!("Node {name} status is now: NodeReady"),
            );
        }
        if tainted {
            let at = node_lifecycle::next_monitor_tick(now);
            self.schedule(at, Event::NodeMonitor(n, epoch));
        }
        self.fault(
            "NodeUp",
            format!("node/{name}"),
            "the machine is back: the kubelet restarts".to_string(),
        );
        kubelet::node_restarted(self, n);
        self.schedule_random_node_failure(n);
    }

    /// Draws the node's next random failure (nothing, and no draw, at a rate of 0).
    pub(crate) fn schedule_random_node_failure(&mut self, n: NodeId) {
        let rate = self.config.faults.random.node_failures_per_day;
        if rate <= 0.0 {
            return;
        }
        let i = n.0 as usize;
        if self.random_failure_due.len() <= i {
            self.random_failure_due.resize(i + 1, SimTime::NEVER);
        }
        if self.random_failure_due[i] != SimTime::NEVER {
            return;
        }
        let u: f64 = self.rngs.node_faults.random();
        let ms = (-(1.0 - u).ln() * 86_400_000.0 / rate).min(1e15) as u64;
        let at = self.now().plus_ms(ms);
        self.random_failure_due[i] = at;
        self.schedule(at, Event::RandomNodeFailure(n));
    }

    /// A random failure: the node goes down and comes back after the recovery time.
    pub(crate) fn random_node_failure(&mut self, n: NodeId) {
        if let Some(due) = self.random_failure_due.get_mut(n.0 as usize) {
            *due = SimTime::NEVER;
        }
        if !self.store.node(n).kubelet_up {
            // Down already (a scenario's node event): the next failure is drawn when it is back.
            return;
        }
        self.node_down(n);
        let d = self
            .config
            .faults
            .random
            .node_recovery
            .sample(&mut self.rngs.node_faults);
        let at = self.now().plus_ms(d);
        self.schedule(at, Event::NodeUp(n));
    }
}
