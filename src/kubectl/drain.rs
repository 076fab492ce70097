//! `kubectl cordon`, `uncordon` and the first half of `drain` (cordon, then evict every pod
//! on the node); the player waits for the evicted pods as `drain` does, polling each second.

use super::Output;
use crate::cluster::Cluster;
use crate::model::scheduling;
use crate::model::*;

fn node_not_found(node: &str) -> Output {
    Output {
        text: format!("Error from server (NotFound): nodes \"{node}\" not found\n"),
        ok: false,
    }
}

/// `kubectl taint nodes`: `node/X tainted|untainted|modified`, or kubectl's errors for a
/// taint already there (without `--overwrite`) or one to remove that is not.
pub fn taint(
    c: &mut Cluster,
    node: &str,
    (add, remove): (&[scheduling::Taint], &[scheduling::Taint]),
    overwrite: bool,
) -> Output {
    let Some(&n) = c.store.node_names.get(node) else {
        return node_not_found(node);
    };
    let old = &c.store.node(n).taints;
    let present = scheduling::taints_already_present(old, add);
    if !overwrite && !present.is_empty() {
        return Output::error(format!(
            "error: node {node} already has {present} taint(s) with same effect(s) and --overwrite is false\n"
        ));
    }
    let (operation, taints, errors) = scheduling::reorganize_taints(old, overwrite, add, remove);
    if let Some(e) = errors.first() {
        return Output::error(format!("error: {e}\n"));
    }
    c.set_taints(n, taints);
    Output::ok(format!("node/{node} {operation}\n"))
}

/// `kubectl label nodes`: `node/X labeled`, `unlabeled` or `not labeled`, or kubectl's error
/// for a key that has a value already (without `--overwrite`).
pub fn label(
    c: &mut Cluster,
    node: &str,
    (set, remove): (&[(String, String)], &[String]),
    overwrite: bool,
) -> Output {
    let Some(&n) = c.store.node_names.get(node) else {
        return node_not_found(node);
    };
    let mut labels = c.store.node(n).labels.clone();
    for (k, v) in set {
        if let Some(old) = labels.get(k).filter(|_| !overwrite) {
            return Output::error(format!(
                "error: '{k}' already has a value ({old}), and --overwrite is false\n"
            ));
        }
        labels.insert(k.clone(), v.clone());
    }
    for k in remove {
        labels.remove(k);
    }
    let changed = labels != c.store.node(n).labels;
    let verb = match (changed, set.is_empty()) {
        (false, _) => "not labeled",
        (true, true) => "unlabeled",
        (true, false) => "labeled",
    };
    c.set_node_labels(n, labels);
    Output::ok(format!("node/{node} {verb}\n"))
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
    let ns = c.store.pod_namespace_of(p).to_string();
    let mut text = format!("evicting pod {ns}/{name}\n");
    match c.evict_pod(p) {
        Ok(()) => (text, true),
        Err(e) => {
            text.push_str(&format!(
                "error when evicting pods/\"{name}\" -n \"{ns}\" (will retry after {EVICT_RETRY_SECONDS}s): {e}\n"
            ));
            (text, false)
        }
    }
}
