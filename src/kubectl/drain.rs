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

/// Cordons the node and evicts its pods (`GetPodsForDeletion` lists them by name, as the
/// API server returns them); prints `evicting pod default/X` for each. Returns the evicted
/// pods, which `drain` then waits for.
pub fn start_drain(c: &mut Cluster, node: &str) -> Result<(Output, Vec<PodId>), Output> {
    let mut out = cordon(c, node, true);
    if !out.ok {
        return Err(out);
    }
    let Some(&n) = c.store.node_names.get(node) else {
        return Err(node_not_found(node));
    };
    let mut pods: Vec<(String, PodId)> = c
        .store
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.node == Some(n) && !p.gone)
        .map(|(i, p)| (p.name.clone(), PodId(i as u32)))
        .collect();
    pods.sort();
    for (name, p) in &pods {
        out.text.push_str(&format!("evicting pod default/{name}\n"));
        c.evict_pod(*p);
    }
    Ok((out, pods.into_iter().map(|(_, p)| p).collect()))
}
