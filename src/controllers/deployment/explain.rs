//! Records why a rolling update moved (or waited), from the numbers the controller's own
//! arithmetic returned — never recomputed.

use super::util::{self, NewRsPlan, OldRsPlan, RsSnapshot};
use crate::controllers::Api;
use crate::model::explain::{ExplainStep, Explanation, ResizeHow};
use crate::model::{Deployment, IntOrPercent, Strategy};

fn bounds(d: &Deployment) -> (IntOrPercent, IntOrPercent) {
    match d.spec.strategy {
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => (max_surge, max_unavailable),
        Strategy::Recreate => (IntOrPercent::Int(0), IntOrPercent::Int(0)),
    }
}

fn record(c: &mut impl Api, d: &Deployment, step: ExplainStep) {
    let e = Explanation {
        time: c.now(),
        deployment: d.meta.name.clone(),
        step,
    };
    c.explain(e);
}

/// The new ReplicaSet grew (or was created at its size) as `NewRSNewReplicas` said.
pub(crate) fn scale_up(c: &mut impl Api, d: &Deployment, rs: &str, plan: &NewRsPlan) {
    if matches!(d.spec.strategy, Strategy::Recreate) {
        let step = ExplainStep::RecreateUp {
            rs: rs.to_string(),
            from: plan.from,
            to: plan.to,
        };
        return record(c, d, step);
    }
    let step = ExplainStep::ScaleUpNew {
        rs: rs.to_string(),
        replicas: d.spec.replicas,
        max_surge: bounds(d).0,
        surge: plan.max_surge,
        all_spec_sum: plan.all_spec_sum,
        from: plan.from,
        to: plan.to,
    };
    record(c, d, step);
}

/// ReplicaSets resized as `scale` said: one explanation per write that changed a size.
pub(crate) fn resize(
    c: &mut impl Api,
    d: &Deployment,
    plan: &util::ScalePlan,
    snaps: &[&RsSnapshot],
) {
    for (i, a) in plan.actions.iter().enumerate() {
        let Some(rs) = snaps.iter().find(|r| r.key == a.key) else {
            continue;
        };
        if rs.replicas == a.to {
            continue;
        }
        let how = match &plan.reason {
            util::ScaleReason::Single => ResizeHow::Single,
            util::ScaleReason::Saturated => ResizeHow::Saturated,
            util::ScaleReason::Proportional(p) => {
                let (annotated, share) = p.shares.get(i).copied().unwrap_or((0, 0));
                ResizeHow::Proportional {
                    max_surge: bounds(d).0,
                    surge: p.max_surge,
                    allowed: p.allowed,
                    total: p.total,
                    annotated,
                    share,
                    leftover: if i == 0 { p.leftover } else { 0 },
                }
            }
        };
        let step = ExplainStep::Resize {
            rs: rs.name.clone(),
            replicas: d.spec.replicas,
            from: rs.replicas,
            to: a.to,
            how,
        };
        record(c, d, step);
    }
}

/// Old ReplicaSets shrank as `reconcileOldReplicaSets` said: one explanation per write
/// that changed a size, in the order written.
pub(crate) fn scale_down(c: &mut impl Api, d: &Deployment, plan: &OldRsPlan, old: &[RsSnapshot]) {
    let mut sizes: Vec<(u32, i32)> = old.iter().map(|r| (r.key, r.replicas)).collect();
    let writes = plan
        .cleanup
        .iter()
        .map(|a| (a, true))
        .chain(plan.scale_down.iter().map(|a| (a, false)));
    for (a, unhealthy) in writes {
        let Some(size) = sizes.iter_mut().find(|(k, _)| *k == a.key) else {
            continue;
        };
        let from = std::mem::replace(&mut size.1, a.to);
        let Some(rs) = old.iter().find(|r| r.key == a.key) else {
            continue;
        };
        if from == a.to {
            continue;
        }
        let step = ExplainStep::ScaleDownOld {
            rs: rs.name.clone(),
            replicas: d.spec.replicas,
            max_unavailable: bounds(d).1,
            unavailable: plan.max_unavailable,
            min_available: plan.min_available,
            all_pods: plan.all_pods,
            new_unavailable: plan.new_unavailable,
            max_scaled_down: plan.max_scaled_down,
            unhealthy,
            available: plan.available,
            from,
            to: a.to,
        };
        record(c, d, step);
    }
}

/// Recreate took an old ReplicaSet to 0.
pub(crate) fn recreate_down(c: &mut impl Api, d: &Deployment, rs: &str, from: i32) {
    let step = ExplainStep::RecreateDown {
        rs: rs.to_string(),
        from,
    };
    record(c, d, step);
}

/// Recreate waits for old pods to be gone (recorded when their count changes).
pub(crate) fn recreate_wait(c: &mut impl Api, d: &Deployment, old_pods: i32) {
    record_changed(c, d, ExplainStep::RecreateWait { old_pods });
}

/// Records a waiting step unless the Deployment's last record is the same.
fn record_changed(c: &mut impl Api, d: &Deployment, step: ExplainStep) {
    let last = c
        .explanations()
        .iter()
        .rev()
        .find(|e| e.deployment == d.meta.name);
    if last.is_none_or(|e| e.step != step) {
        record(c, d, step);
    }
}

/// Neither side moved: recorded when the numbers differ from the Deployment's last record.
pub(crate) fn wait(
    c: &mut impl Api,
    d: &Deployment,
    plan: &NewRsPlan,
    all: &[RsSnapshot],
    new_rs: &RsSnapshot,
) {
    let step = ExplainStep::Wait {
        replicas: d.spec.replicas,
        max_total: plan.max_total,
        all_spec_sum: plan.all_spec_sum,
        min_available: util::min_available(d.spec.strategy, d.spec.replicas),
        available: util::available_count(all),
        new_unavailable: new_rs.replicas - new_rs.available,
    };
    record_changed(c, d, step);
}

/// The Progressing condition turned `ProgressDeadlineExceeded`.
pub(crate) fn deadline_exceeded(
    c: &mut impl Api,
    d: &Deployment,
    deadline_s: i32,
    last_progress: crate::sim::SimTime,
) {
    let step = ExplainStep::DeadlineExceeded {
        deadline_s,
        last_progress,
    };
    record(c, d, step);
}
