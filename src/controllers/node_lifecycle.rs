//! The node lifecycle controller and the taint-based eviction it drives: a node whose
//! heartbeats stop is marked `Unknown` (printed `NotReady`) once the grace period has passed,
//! tainted `node.kubernetes.io/unreachable`, its pods marked not Ready, and after their
//! `tolerationSeconds` (300 s, added to every pod by the `DefaultTolerationSeconds`
//! admission plugin) the pods are deleted. They stay `Terminating` until the node is back.

use crate::controllers::scheduler;
use crate::controllers::{Api, Event};
use crate::model::recorder::EventType;
use crate::model::*;
use crate::sim::SimTime;

/// `--node-monitor-grace-period` (50 s since Kubernetes 1.32).
pub const NODE_MONITOR_GRACE_MS: u64 = 50_000;
/// `--node-monitor-period`: how often the controller looks at every node.
pub const NODE_MONITOR_PERIOD_MS: u64 = 5_000;
/// The kubelet renews its node lease every 10 s (a quarter of the 40 s lease).
pub const HEARTBEAT_PERIOD_MS: u64 = 10_000;
/// `tolerationSeconds` of the default `node.kubernetes.io/unreachable` toleration.
pub const DEFAULT_TOLERATION_SECONDS: u64 = scheduling::DEFAULT_TOLERATION_SECONDS as u64;

/// When the controller notices a node whose machine stopped at `down`: the first monitor
/// tick strictly after the last heartbeat plus the grace period.
pub fn not_ready_at(created: SimTime, down: SimTime) -> SimTime {
    let since = down.ms_since(created);
    let last_heartbeat = created.plus_ms(since - since % HEARTBEAT_PERIOD_MS);
    next_monitor_tick(last_heartbeat.plus_ms(NODE_MONITOR_GRACE_MS))
}

/// The first monitor tick strictly after `t` (ticks run every 5 s from time zero).
pub fn next_monitor_tick(t: SimTime) -> SimTime {
    let ms = t.as_ms();
    SimTime::from_ms(ms - ms % NODE_MONITOR_PERIOD_MS + NODE_MONITOR_PERIOD_MS)
}

/// Mirrors `monitorNodeHealth` for one node: a silent node past its grace period becomes
/// `Unknown` and tainted, and `MarkPodsNotReady` runs; a node heard from again loses its taints.
pub(crate) fn monitor(c: &mut impl Api, n: NodeId, epoch: u32) {
    let node = c.store().node(n);
    if node.fault_epoch != epoch {
        return;
    }
    let now = c.now();
    if node.kubelet_up {
        if node.unreachable_since.is_some() {
            c.store_mut().nodes[n.0 as usize].unreachable_since = None;
            scheduler::node_changed(c, n);
        }
        return;
    }
    if node.unreachable_since.is_some() {
        return;
    }
    let name = node.name.clone();
    let node = &mut c.store_mut().nodes[n.0 as usize];
    node.ready = false;
    node.unreachable_since = Some(now);
    scheduler::node_changed(c, n);
    c.record(
        EventType::Normal,
        "NodeNotReady",
        "node",
        (crate::model::DEFAULT_NAMESPACE, &name),
        "node-controller",
        format!("Node {name} status is now: NodeNotReady"),
    );
    c.fault(
        "NodeNotReady",
        format!("node/{name}"),
        "no heartbeat for the grace period: NotReady, tainted unreachable".to_string(),
    );
    for p in pods_on(c, n) {
        if c.store().pod(p).ready {
            // Only the Ready condition changes; the containers' statuses stay as they were.
            c.set_pod_unready(p);
            c.store_mut().pods[p.0 as usize].marked_not_ready = true;
            c.pod_event(
                p,
                EventType::Warning,
                "NodeNotReady",
                "node-controller",
                |_| "Node is not ready".to_string(),
            );
        }
    }
    schedule_evictions(c, n);
}

/// The `NoExecute` taints on a node now, with when each was added: the controller's own
/// `node.kubernetes.io/unreachable` while the node is silent, and users' taints.
fn no_execute_taints(node: &Node) -> Vec<(scheduling::Taint, SimTime)> {
    let lifecycle = node.unreachable_since.map(|since| {
        let taint = scheduling::Taint {
            key: "node.kubernetes.io/unreachable".into(),
            value: String::new(),
            effect: "NoExecute".into(),
        };
        (taint, since)
    });
    let users = node
        .taints
        .iter()
        .zip(&node.taints_added)
        .filter(|(t, _)| t.effect == "NoExecute")
        .map(|(t, at)| (t.clone(), *at));
    lifecycle.into_iter().chain(users).collect()
}

/// When the taint-eviction controller deletes pod `p` from a node with these `NoExecute`
/// taints: its smallest `tolerationSeconds` (the admission plugin's 300 s defaults
/// included) after the latest taint came; `None` while it tolerates them forever.
fn eviction_due(
    c: &impl Api,
    p: PodId,
    taints: &[(scheduling::Taint, SimTime)],
) -> Option<SimTime> {
    if taints.is_empty() {
        return None;
    }
    let rs = c.store().replica_set(c.store().pod(p).owner)?;
    let tolerations = scheduling::with_default_tolerations(&rs.template.spec.tolerations);
    let refs: Vec<&scheduling::Taint> = taints.iter().map(|(t, _)| t).collect();
    let delay = scheduling::no_execute_delay(&tolerations, &refs)?;
    let since = taints.iter().map(|(_, at)| *at).max()?;
    Some(since.plus_secs(delay))
}

/// Schedules the taint-eviction controller's work for a node's pods: one look at each
/// distinct time a pod's toleration runs out.
pub(crate) fn schedule_evictions(c: &mut impl Api, n: NodeId) {
    let node = c.store().node(n);
    let (taints, epoch) = (no_execute_taints(node), node.fault_epoch);
    let now = c.now();
    let due: std::collections::BTreeSet<SimTime> = pods_on(c, n)
        .into_iter()
        .filter_map(|p| eviction_due(c, p, &taints))
        .map(|t| t.max(now))
        .collect();
    for at in due {
        c.schedule(at, Event::NodeEviction(n, epoch));
    }
}

/// The taint-eviction controller: pods still on a node with `NoExecute` taints once their
/// toleration has run out are deleted (gracefully; on a silent node nobody can finish the
/// deletion yet). The taints as they are now decide, so a taint removed in the meantime (or
/// a node heard from again) cancels the eviction.
pub(crate) fn evict(c: &mut impl Api, n: NodeId, _epoch: u32) {
    let node = c.store().node(n);
    let (taints, name, now) = (no_execute_taints(node), node.name.clone(), c.now());
    let victims: Vec<PodId> = pods_on(c, n)
        .into_iter()
        .filter(|&p| c.store().pod(p).deletion.is_none())
        .filter(|&p| eviction_due(c, p, &taints).is_some_and(|due| due <= now))
        .collect();
    if victims.is_empty() {
        return;
    }
    let latest = taints.iter().map(|(_, at)| *at).max().unwrap_or(now);
    let mut seconds: Vec<String> = victims
        .iter()
        .filter_map(|&p| eviction_due(c, p, &taints))
        .map(|due| (due.ms_since(latest) / 1000).to_string())
        .collect();
    seconds.dedup();
    c.fault(
        "TaintEviction",
        format!("node/{name}"),
        format!(
            "{} pod(s) deleted after tolerationSeconds={}",
            victims.len(),
            seconds.join("/")
        ),
    );
    for p in victims {
        c.pod_event(
            p,
            EventType::Normal,
            "TaintManagerEviction",
            "taint-eviction-controller",
            |c| {
                format!(
                    "Marking for deletion Pod {}/{}",
                    c.store().pod_namespace_of(p),
                    c.store().pod_name_of(p)
                )
            },
        );
        c.delete_pod(p);
    }
}

/// Pods bound to a node and not gone, in creation order, from the node's own list (the
/// cost follows the node's pods, not every pod the run ever had).
pub(crate) fn pods_on(c: &impl Api, n: NodeId) -> Vec<PodId> {
    c.store().pods_on_node(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_node_is_noticed_after_the_grace_period_on_a_monitor_tick() {
        let t = SimTime::from_ms;
        // Created at 0: heartbeats at 0, 10 s, 20 s... Down at 125 s: last heartbeat 120 s,
        // grace ends at 170 s, the next tick strictly after it is 175 s.
        assert_eq!(not_ready_at(t(0), t(125_000)), t(175_000));
        // Down right on a heartbeat: that heartbeat was sent.
        assert_eq!(not_ready_at(t(0), t(120_000)), t(175_000));
        // Created at 3 s: heartbeats at 3, 13, ... 123 s; grace ends 173 s; tick 175 s.
        assert_eq!(not_ready_at(t(3_000), t(125_000)), t(175_000));
        assert_eq!(next_monitor_tick(t(170_000)), t(175_000));
        assert_eq!(next_monitor_tick(t(171_000)), t(175_000));
    }
}
