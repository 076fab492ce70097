//! `kubectl cordon`, `uncordon` and the first half of `drain` (cordon, then evict every pod
//! on the node); the player waits for the evicted pods as `drain` does, polling each second.

use super::Output;
use crate::cluster::Cluster;
use crate::model::*;

fn node_not_found(node: &str) -> Output {
    Output {
        text: format!("Error from server (NotFound): nodes \"{node}\" not found\n"),
        ok: false,
    }
}

/// `RunCordonOrUncordon`: `node/X cordoned`, or `already cordoned` when nothing changes.
pub fn cordon(c: &mut Cluster, node: &str, unschedulable: bool) -> Output {
    let Some(&n) = c.store.node_names.get(node) else {
        return node_not_found(node);
    };
    let changed = c.set_unschedulable(n, unschedulable);
    let verb = if unschedulable {
        "cordoned"
    } else {
        "uncordoned"
    };
    let text = if changed {
        format!("node/{node} {verb}\n")
    } else {
        format!("node/{node} already {verb}\n")
    };
    Output { text, ok: true }
}

/// Cordons the node and lists its pods (`GetPodsForDeletion` lists them by name, as the API
/// server returns them), which `drain` then evicts and waits for.
pub fn start_drain(c: &mut Cluster, node: &str) -> Result<(Output, Vec<PodId>), Output> {
    let out = cordon(c, node, true);
    if !out.ok {
        return Err(out);
    }
    let Some(&n) = c.store.node_names.get(node) else {
        return Err(node_not_found(node));
    };
    let mut pods: Vec<(String, PodId)> = c
        .store
        .pods_on_node(n)
        .into_iter()
        .map(|p| (c.store.pod_name_of(p), p))
        .collect();
    pods.sort();
    Ok((out, pods.into_iter().map(|(_, p)| p).collect()))
}

/// Seconds `drain` waits before evicting a pod again after a refusal (`EvictErrorRetryDelay`).
pub const EVICT_RETRY_SECONDS: u64 = 5;

/// One eviction attempt as `drain` makes it: the lines it prints, and whether it went through.
pub fn evict(c: &mut Cluster, p: PodId) -> (String, bool) {
    let name = c.store.pod_name_of(p);
    let mut text = format!("evicting pod default/{name}\n");
    match c.evict_pod(p) {
        Ok(()) => (text, true),
        Err(e) => {
            text.push_str(&format!(
                "error when evicting pods/\"{name}\" -n \"default\" (will retry after {EVICT_RETRY_SECONDS}s): {e}\n"
            ));
            (text, false)
        }
    }
}
