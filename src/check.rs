//! Invariant checkers, kept apart from the controllers they check. Tests (and debug tools)
//! call them after events; nothing in the simulation depends on them.

use crate::cluster::Cluster;
use crate::controllers::deployment::util;
use crate::model::DeploymentId;
use std::collections::BTreeMap;

/// A broken invariant, with enough context to reproduce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Σ spec.replicas of a Deployment's ReplicaSets never exceeds `replicas + maxSurge`.
pub fn surge_ceiling(c: &Cluster, d: DeploymentId) -> Result<(), Violation> {
    let Some(dep) = c.store.deployment(d) else {
        return Ok(());
    };
    let ceiling = dep.spec.replicas + util::max_surge(dep.spec.strategy, dep.spec.replicas);
    let sum: i32 = c
        .store
        .replica_sets_of(d)
        .iter()
        .map(|(_, rs)| rs.replicas)
        .sum();
    if sum > ceiling {
        return Err(Violation(format!(
            "at {}: {} ReplicaSets want {sum} pods, above the surge ceiling {ceiling}",
            c.now(),
            dep.meta.name
        )));
    }
    Ok(())
}

/// Pods counted available (live, not the lagging status) never fall below
/// `replicas − maxUnavailable`. Only meaningful once a rollout has completed and while no
/// faults are injected.
pub fn availability_floor(c: &Cluster, d: DeploymentId) -> Result<(), Violation> {
    let Some(dep) = c.store.deployment(d) else {
        return Ok(());
    };
    let floor = dep.spec.replicas - util::max_unavailable(dep.spec.strategy, dep.spec.replicas);
    let available: i32 = dep
        .replica_sets
        .iter()
        .map(|r| c.store.rs_pods[r.0 as usize].available)
        .sum();
    if available < floor {
        return Err(Violation(format!(
            "at {}: {} has {available} available pods, below the floor {floor}",
            c.now(),
            dep.meta.name
        )));
    }
    Ok(())
}

/// Whether the Deployment's latest rollout is complete (as `kubectl rollout status` decides).
pub fn rollout_complete(c: &Cluster, d: DeploymentId) -> bool {
    c.store.deployment(d).is_some_and(|dep| {
        dep.status.observed_generation >= dep.meta.generation
            && util::deployment_complete(dep.spec.replicas, dep.meta.generation, &dep.status)
    })
}

/// The store's incrementally kept counts agree with a recount from the pods: each
/// ReplicaSet's active, ready, available, not-Ready and terminating pods, and each node's
/// bound pods (count, list and per ReplicaSet). O(pods): for tests after every event of small runs.
pub fn counts_consistent(c: &Cluster) -> Result<(), Violation> {
    let s = &c.store;
    for (r, live) in s.rs_pods.iter().enumerate() {
        let pods: Vec<&crate::model::Pod> =
            s.pods.iter().filter(|p| p.owner.0 as usize == r).collect();
        let active: Vec<&&crate::model::Pod> = pods.iter().filter(|p| p.is_active()).collect();
        let recount = (
            active.len(),
            active.iter().filter(|p| p.ready).count() as i32,
            active.iter().filter(|p| p.counted_available).count() as i32,
            active.iter().filter(|p| !p.ready).count(),
            pods.iter()
                .filter(|p| !p.gone && p.deletion.is_some())
                .count() as i32,
        );
        let by_node: usize = live.ready_on_node.len();
        if by_node as i32 != live.ready {
            return Err(Violation(format!(
                "at {}: ReplicaSet #{r} lists {by_node} Ready pods by node but counts {}",
                c.now(),
                live.ready
            )));
        }
        let kept = (
            live.active.len(),
            live.ready,
            live.available,
            live.not_ready.len(),
            live.terminating,
        );
        if recount != kept {
            return Err(Violation(format!(
                "at {}: ReplicaSet #{r} keeps (active, ready, available, not ready, terminating) = {kept:?}, but its pods say {recount:?}",
                c.now()
            )));
        }
    }
    for n in 0..s.nodes.len() {
        node_counts_consistent(c, crate::model::NodeId(n as u32))?;
    }
    Ok(())
}

/// One node's bound pods agree with a recount from the pods: the list, the count, and the
/// pods per ReplicaSet.
fn node_counts_consistent(c: &Cluster, id: crate::model::NodeId) -> Result<(), Violation> {
    let s = &c.store;
    let (n, node) = (id.0 as usize, s.node(id));
    let recount: Vec<crate::model::PodId> = s
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.gone && p.node.is_some_and(|x| x.0 as usize == n))
        .map(|(i, _)| crate::model::PodId(i as u32))
        .collect();
    if recount != s.pods_on_node(id) {
        return Err(Violation(format!(
            "at {}: node {} lists bound pods {:?}, but its pods say {recount:?}",
            c.now(),
            node.name,
            node.bound
        )));
    }
    let mut said: BTreeMap<crate::model::RsId, u32> = BTreeMap::new();
    for &p in &recount {
        *said.entry(s.pod(p).owner).or_default() += 1;
    }
    let kept: BTreeMap<crate::model::RsId, u32> = node.bound_owners.iter().copied().collect();
    if kept != said {
        return Err(Violation(format!(
            "at {}: node {} counts pods per ReplicaSet {kept:?}, but its pods say {said:?}",
            c.now(),
            node.name
        )));
    }
    let bound = recount.len() as u32;
    if bound != node.pods {
        return Err(Violation(format!(
            "at {}: node {} counts {} pods, but {bound} are bound to it",
            c.now(),
            node.name,
            node.pods
        )));
    }
    Ok(())
}
