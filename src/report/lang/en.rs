//! English.

use super::{Catalogue, ChartText, PageText};
use crate::model::IntOrPercent;
use crate::model::explain::{DeletionRule, EndpointChange, ExplainStep, Explanation, ResizeHow};

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

static CHARTS: ChartText = ChartText {
    font: "sans-serif",
    rollout_title: "{scenario} — deployment {deployment} (seed {seed})",
    pods_title: "{scenario} — pod timeline (seed {seed})",
    time_axis: "virtual time (s)",
    pods_axis: "pods",
    pod_rows_axis: "pods (rows in creation order)",
    summary: "Summary",
    available: "available: {rs}",
    revisions: "rev {revisions} · {images}",
    ready_pods: "ready pods",
    live_pods: "all live pods (incl. terminating)",
    desired: "desired replicas",
    floor: "floor: replicas − maxUnavailable",
    ceiling: "ceiling: replicas + maxSurge",
    recreate: "(Recreate: no surge, no floor)",
    endpoints_ready: "endpoints ready (Service {service})",
    script_command: "script command that changed it",
    fault: "fault (node down/up, first failures)",
    random_crash: "random container crash (tick at the top)",
    after_run: "after the run's end (last state held)",
    states: [
        "Pending (not scheduled)",
        "pulling image / creating",
        "image pull failing (ErrImagePull, back-off)",
        "crashed (Error, CrashLoopBackOff)",
        "running, not ready",
        "ready, not yet available",
        "available",
        "terminating",
        "init containers (Init:N/M)",
    ],
    showing: "showing {shown} of {total} pods:",
    every: "   every {step}th pod of each revision",
    pod_count: "{total} pods",
    group_head: " {label} ({count} pods)",
    deployment: "deployment {name}",
    rollout: "rollout {n} → rev {revision}: {took}",
    took: "took {s}",
    not_complete: "not complete",
    min_available: "   min available {min}/{replicas}",
    peak_pods: "   peak pods {live} ({spec} in ReplicaSets)",
    traffic_title: "Requests per second as users saw them",
    traffic_axis: "requests per second (by second sent)",
    revision: "revision {revision}",
    summary_head: "# summary: scenario {scenario}, seed {seed}",
    summary_rollout: "#   rollout {n} to revision {revision} ({images}): {end}; min available {min}/{replicas}, max pods {spec} in ReplicaSets and {live} alive incl. terminating ({bounds})",
    summary_not_complete: "{start} → not complete",
    summary_bounds: "floor {floor}, ceiling {ceiling}",
    summary_steps: "# steps: {steps} run, {failed} not as expected; events processed: {events}; virtual time covered: {time}",
    summary_aborted: "# run aborted: {why}",
    rollout_heading: "deployment {deployment}: old and new pods",
    pods_heading: "pod timeline",
    traffic_heading: "requests as users saw them",
};

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
        "init containers running",
    ],
    endpoints: "service {service}: {ready} ready endpoints",
    requests: "client {client}, this second: {ok} answered, {failed} failed",
    newest: "newest ReplicaSet (bold outline)",
    decision_count: "{n} decisions at this moment",
};

/// Why `scale` resized a ReplicaSet outside a rollout step.
fn resize(rs: &str, replicas: i32, from: i32, to: i32, how: &ResizeHow) -> (String, String) {
    let way = if to > from { "up" } else { "down" };
    let decision = format!("scaled {way} replica set {rs} from {from} to {to}");
    let why = match how {
        ResizeHow::Single => {
            format!("it is the only active ReplicaSet, so it takes all {replicas} replicas")
        }
        ResizeHow::Saturated => format!(
            "the new ReplicaSet has all {replicas} replicas available, so the old ones go to 0"
        ),
        ResizeHow::Proportional {
            max_surge,
            surge,
            allowed,
            total,
            annotated,
            share,
            leftover,
        } => {
            let surge_text = resolved(*max_surge, replicas, true, *surge);
            let mut text = format!(
                "proportional scaling: maxSurge {surge_text}, so {replicas} + {surge} = {allowed} pods are allowed and the active ReplicaSets hold {total}; its share of the {} is round({from} × {allowed} / {annotated}) − {from} = {share} (bounded by what is left)",
                allowed - total
            );
            if *leftover != 0 {
                text.push_str(&format!(
                    "; as the largest it also takes the {leftover} left by rounding"
                ));
            }
            text
        }
    };
    (decision, why)
}

/// Why the ReplicaSet controller deletes this pod rather than the one it keeps first.
fn delete_pod(pod: &str, kept: Option<&str>, rule: DeletionRule) -> (String, String) {
    let decision = format!("deletes pod {pod}");
    let Some(kept) = kept else {
        return (decision, "every active pod goes".into());
    };
    let why = match rule {
        DeletionRule::Unscheduled => {
            "it is not on a node yet, and unscheduled pods go first".into()
        }
        DeletionRule::Phase(a, b) => {
            format!("it is {a} and {kept} is {b}; Pending goes before Unknown before Running")
        }
        DeletionRule::NotReady => format!("it is not Ready and {kept} is; pods not Ready go first"),
        DeletionRule::DeletionCost(a, b) => {
            format!("its pod-deletion-cost {a} is lower than {kept}'s {b}")
        }
        DeletionRule::MorePodsOnNode(a, b) => format!(
            "its node runs {a} pods of the Deployment, {kept}'s runs {b}; pods on the more crowded node go first"
        ),
        DeletionRule::ReadyMoreRecently => format!(
            "it became Ready more recently than {kept} (by powers of two of the time since), and newer Ready pods go first"
        ),
        DeletionRule::MoreRestarts(a, b) => {
            format!("it restarted {a} times, {kept} {b}; more restarts go first")
        }
        DeletionRule::ReadyBucketUid => format!(
            "it and {kept} became Ready within the same power-of-two span of time, and then the smaller UID goes first"
        ),
        DeletionRule::Newer => {
            format!("it is newer than {kept} (by powers of two of age), and newer pods go first")
        }
        DeletionRule::Uid => {
            format!("it equals {kept} in every rule, and the smaller UID goes first")
        }
        DeletionRule::All => "every active pod goes".into(),
    };
    (decision, format!("deletion ranking: {why}"))
}

/// Why the scheduler left a pod Pending.
fn unschedulable(
    pod: &str,
    nodes: usize,
    reasons: &[(String, usize)],
    conflict: Option<&(String, String)>,
) -> (String, String) {
    let decision = format!("leaves pod {pod} Pending");
    let list: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let mut why = format!(
        "no node passes its filters; of {nodes}, each counted under the first filter that rejects it: {}",
        list.join(", ")
    );
    if let Some((node, other)) = conflict {
        why.push_str(&format!(
            "; {node} already runs {other}, which its required anti-affinity excludes (terminating pods count until they are gone)"
        ));
    }
    why.push_str("; it is tried again whenever a node changes");
    (decision, why)
}

/// Why the EndpointSlice controller changed a pod's endpoint.
fn endpoint(service: &str, pod: &str, change: EndpointChange, ready: u32) -> (String, String) {
    let (decision, why) = match change {
        EndpointChange::Ready => (
            format!("lists pod {pod} as a ready endpoint of {service}"),
            "its Ready condition is True, so kube-proxies send it new connections",
        ),
        EndpointChange::NotReady => (
            format!("lists pod {pod} as not ready in {service}"),
            "its Ready condition is not True (not yet, or its readiness probe failed), so kube-proxies send it nothing new",
        ),
        EndpointChange::Terminating => (
            format!("marks pod {pod} terminating in {service}"),
            "it has a deletionTimestamp: ready is false, so kube-proxies stop sending it new connections, once each has seen the change",
        ),
        EndpointChange::Removed => (
            format!("removes pod {pod} from {service}"),
            "the pod is gone from the API",
        ),
    };
    (decision, format!("{why}; {ready} ready endpoints now"))
}

/// The words of `ExplainStep::ScaleUpNew`.
fn scale_up_new(step: &ExplainStep) -> (String, String) {
    let ExplainStep::ScaleUpNew {
        rs,
        replicas,
        max_surge,
        surge,
        all_spec_sum,
        from,
        to,
    } = step
    else {
        return Default::default();
    };
    (
        format!("scaled up new replica set {rs} from {from} to {to}"),
        format!(
            "maxSurge {}, so at most {replicas} + {surge} = {} pods in ReplicaSets; {all_spec_sum} asked for now, so the new one may grow by {} of the {} it still lacks",
            resolved(*max_surge, *replicas, true, *surge),
            replicas + surge,
            to - from,
            replicas - from
        ),
    )
}

/// The words of `ExplainStep::ScaleDownOld`.
fn scale_down_old(step: &ExplainStep) -> (String, String) {
    let ExplainStep::ScaleDownOld {
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
    } = step
    else {
        return Default::default();
    };
    {
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
}

/// The words of `ExplainStep::RecreateWait`.
fn recreate_wait(step: &ExplainStep) -> (String, String) {
    let ExplainStep::RecreateWait { old_pods } = step else {
        return Default::default();
    };
    (
        "waits".into(),
        format!(
            "strategy Recreate: {} of the old replica sets still {} (terminating ones included); new pods are created only when none is left",
            pods(*old_pods),
            if *old_pods == 1 { "exists" } else { "exist" }
        ),
    )
}

/// The words of `ExplainStep::DeadlineExceeded`.
fn deadline_exceeded(step: &ExplainStep) -> (String, String) {
    let ExplainStep::DeadlineExceeded {
        deadline_s,
        last_progress,
    } = step
    else {
        return Default::default();
    };
    (
        "marks the rollout ProgressDeadlineExceeded".into(),
        format!(
            "no progress since {last_progress} (the Progressing condition's last update: a new ReplicaSet, or more pods ready or available), longer than progressDeadlineSeconds {deadline_s} s; the controller keeps the rollout as it is, and rollout status fails"
        ),
    )
}

/// The words of `ExplainStep::Wait`.
fn wait(step: &ExplainStep) -> (String, String) {
    let ExplainStep::Wait {
        replicas,
        max_total,
        all_spec_sum,
        min_available,
        available,
        new_unavailable,
    } = step
    else {
        return Default::default();
    };
    (
        "waits".into(),
        format!(
            "{all_spec_sum} pods asked for and the ceiling is {max_total}, so no new pod; {available} available and the floor is {min_available}, so no old pod may go ({} of the new ones not yet available; {replicas} wanted)",
            new_unavailable
        ),
    )
}

impl Catalogue for English {
    fn why(&self) -> &'static str {
        "why"
    }

    fn page_text(&self) -> &'static PageText {
        &PAGE
    }

    fn chart_text(&self) -> &'static ChartText {
        &CHARTS
    }

    fn explain(&self, e: &Explanation) -> (String, String) {
        match &e.step {
            step @ ExplainStep::ScaleUpNew { .. } => scale_up_new(step),
            step @ ExplainStep::ScaleDownOld { .. } => scale_down_old(step),
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
            step @ ExplainStep::RecreateWait { .. } => recreate_wait(step),
            ExplainStep::Resize {
                rs,
                replicas,
                from,
                to,
                how,
            } => resize(rs, *replicas, *from, *to, how),
            ExplainStep::Unschedulable {
                pod,
                nodes,
                reasons,
                conflict,
            } => unschedulable(pod, *nodes, reasons, conflict.as_ref()),
            ExplainStep::Endpoint {
                service,
                pod,
                change,
                ready,
            } => endpoint(service, pod, *change, *ready),
            ExplainStep::DeletePod {
                pod, kept, rule, ..
            } => delete_pod(pod, kept.as_deref(), *rule),
            step @ ExplainStep::DeadlineExceeded { .. } => deadline_exceeded(step),
            step @ ExplainStep::Wait { .. } => wait(step),
        }
    }
}
