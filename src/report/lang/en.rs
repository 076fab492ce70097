//! English.

use super::{Catalogue, PageText};
use crate::model::IntOrPercent;
use crate::model::explain::{ExplainStep, Explanation};

pub(super) struct English;

/// `25% of 4 rounded up = 1`, or `1` as written.
fn resolved(v: IntOrPercent, replicas: i32, up: bool, value: i32) -> String {
    match v {
        IntOrPercent::Int(_) => format!("{value}"),
        IntOrPercent::Percent(p) => {
            let way = if up { "up" } else { "down" };
            format!("{p}% of {replicas} rounded {way} = {value}")
        }
    }
}

fn pods(n: i32) -> String {
    if n == 1 {
        "1 pod".into()
    } else {
        format!("{n} pods")
    }
}

static PAGE: PageText = PageText {
    title: "rollout report",
    keys: "← → step from event to event · PageUp/PageDown jump between controller decisions · Home/End · or drag the cursor, or click a transcript line",
    cursor: "time cursor",
    prev_event: "previous event",
    next_event: "next event",
    prev_decision: "« previous decision",
    next_decision: "next decision »",
    explanation: "Why: the controller's decision",
    no_decision_yet: "No controller decision yet.",
    nodes: "Pods per node",
    unscheduled: "not scheduled",
    traffic: "Service endpoints and requests",
    charts: "Charts",
    transcript: "Transcript",
    pods_sampled: "Showing {shown} of {total} pods (every {step}th pod in creation order); the ReplicaSet table counts all of them.",
    lines_cut: "The first {shown} of {total} lines; transcript.txt has them all.",
    nodes_cut: "Showing {shown} of {total} nodes that hold pods.",
    no_pods: "No pods at this moment.",
    states: [
        "Pending (not scheduled)",
        "pulling image / creating",
        "image pull failing",
        "crashed (Error, CrashLoopBackOff)",
        "running, not ready",
        "ready, not yet available",
        "available",
        "terminating",
    ],
    endpoints: "service {service}: {ready} ready endpoints",
    requests: "client {client}, this second: {ok} answered, {failed} failed",
    newest: "newest ReplicaSet (bold outline)",
    decision_count: "{n} decisions at this moment",
};

impl Catalogue for English {
    fn why(&self) -> &'static str {
        "why"
    }

    fn page_text(&self) -> &'static PageText {
        &PAGE
    }

    fn explain(&self, e: &Explanation) -> (String, String) {
        match &e.step {
            ExplainStep::ScaleUpNew {
                rs,
                replicas,
                max_surge,
                surge,
                all_spec_sum,
                from,
                to,
            } => (
                format!("scaled up new replica set {rs} from {from} to {to}"),
                format!(
                    "maxSurge {}, so at most {replicas} + {surge} = {} pods in ReplicaSets; {all_spec_sum} asked for now, so the new one may grow by {} of the {} it still lacks",
                    resolved(*max_surge, *replicas, true, *surge),
                    replicas + surge,
                    to - from,
                    replicas - from
                ),
            ),
            ExplainStep::ScaleDownOld {
                rs,
                replicas,
                max_unavailable,
                unavailable,
                min_available,
                all_pods,
                new_unavailable,
                max_scaled_down,
                unhealthy,
                available,
                from,
                to,
            } => {
                let floor = format!(
                    "maxUnavailable {}, so at least {replicas} − {unavailable} = {min_available} must stay available",
                    resolved(*max_unavailable, *replicas, false, *unavailable)
                );
                let reason = if *unhealthy {
                    format!(
                        "{floor}; {} of it not available go first (cleanupUnhealthyReplicas), within {all_pods} asked for − {min_available} − {new_unavailable} new not yet available = {max_scaled_down}",
                        pods(from - to)
                    )
                } else {
                    format!(
                        "{floor}; {available} are available, so up to {} may go",
                        pods(available - min_available)
                    )
                };
                (
                    format!("scaled down old replica set {rs} from {from} to {to}"),
                    reason,
                )
            }
            ExplainStep::RecreateDown { rs, from } => (
                format!("scaled down old replica set {rs} from {from} to 0"),
                "strategy Recreate: every old pod goes before any new pod is created".into(),
            ),
            ExplainStep::RecreateUp { rs, from, to } => (
                format!("scaled up new replica set {rs} from {from} to {to}"),
                format!(
                    "strategy Recreate: no old pod is left, so the new replica set goes straight to {to}"
                ),
            ),
            ExplainStep::RecreateWait { old_pods } => (
                "waits".into(),
                format!(
                    "strategy Recreate: {} of the old replica sets still {} (terminating ones included); new pods are created only when none is left",
                    pods(*old_pods),
                    if *old_pods == 1 { "exists" } else { "exist" }
                ),
            ),
            ExplainStep::DeadlineExceeded {
                deadline_s,
                last_progress,
            } => (
                "marks the rollout ProgressDeadlineExceeded".into(),
                format!(
                    "no progress since {last_progress} (the Progressing condition's last update: a new ReplicaSet, or more pods ready or available), longer than progressDeadlineSeconds {deadline_s} s; the controller keeps the rollout as it is, and rollout status fails"
                ),
            ),
            ExplainStep::Wait {
                replicas,
                max_total,
                all_spec_sum,
                min_available,
                available,
                new_unavailable,
            } => (
                "waits".into(),
                format!(
                    "{all_spec_sum} pods asked for and the ceiling is {max_total}, so no new pod; {available} available and the floor is {min_available}, so no old pod may go ({} of the new ones not yet available; {replicas} wanted)",
                    new_unavailable
                ),
            ),
        }
    }
}
