//! `kubectl rollout status` and `rollout history` texts (`polymorphichelpers/rollout_status.go`,
//! `history.go`, `cmd/rollout/rollout_history.go`).

use super::describe::pod_template_raw;
use super::tabwriter::for_describe;
use crate::cluster::Cluster;
use crate::model::*;
use std::collections::BTreeMap;

/// One evaluation of `DeploymentStatusViewer.Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Still rolling: the line to print.
    Waiting(String),
    /// `deployment "x" successfully rolled out`.
    Done(String),
    /// The rollout failed (progress deadline) or the revision is wrong: the error text.
    Failed(String),
}

/// Mirrors `DeploymentStatusViewer.Status` for a Deployment as stored now.
pub fn status(d: &Deployment, revision: i64) -> Status {
    let name = &d.meta.name;
    if revision > 0 {
        let current: i64 = d
            .meta
            .annotations
            .get(REVISION_ANNOTATION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        if revision != current {
            return Status::Failed(format!(
                "desired revision ({revision}) is different from the running revision ({current})"
            ));
        }
    }
    if d.meta.generation > d.status.observed_generation {
        return Status::Waiting("Waiting for deployment spec update to be observed...\n".into());
    }
    if d.status
        .condition("Progressing")
        .is_some_and(|c| c.reason == "ProgressDeadlineExceeded")
    {
        return Status::Failed(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let s = &d.status;
    let replicas = d.spec.replicas;
    if s.updated_replicas < replicas {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} out of {replicas} new replicas have been updated...\n",
            s.updated_replicas
        ));
    }
    if s.replicas > s.updated_replicas {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n",
            s.replicas - s.updated_replicas
        ));
    }
    if s.available_replicas < s.updated_replicas {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} of {} updated replicas are available...\n",
            s.available_replicas, s.updated_replicas
        ));
    }
    Status::Done(format!("deployment \"{name}\" successfully rolled out\n"))
}

/// Mirrors `DeploymentHistoryViewer.ViewHistory` plus the command's printing.
pub fn history(c: &Cluster, id: DeploymentId, revision: i64) -> Result<String, String> {
    let Some(d) = c.store.deployment(id) else {
        return Err(String::new());
    };
    let mut by_revision: BTreeMap<i64, PodTemplateSpec> = BTreeMap::new();
    for (_, rs) in c.store.replica_sets_of(id) {
        if rs.meta.deletion.is_some() {
            continue;
        }
        let Some(rev) = rs
            .meta
            .annotations
            .get(REVISION_ANNOTATION)
            .and_then(|r| r.parse::<i64>().ok())
        else {
            continue;
        };
        let mut t = (*rs.template).clone();
        if let Some(cause) = rs.meta.annotations.get(CHANGE_CAUSE_ANNOTATION)
            && !cause.is_empty()
        {
            t.metadata
                .annotations
                .insert(CHANGE_CAUSE_ANNOTATION.into(), cause.clone());
        }
        by_revision.insert(rev, t);
    }
    let head = format!("deployment.apps/{}", d.meta.name);
    if by_revision.is_empty() {
        return Ok(format!("{head} \nNo rollout history found.\n"));
    }
    if revision > 0 {
        let t = by_revision
            .get(&revision)
            .ok_or_else(|| "error: unable to find the specified revision\n".to_string())?;
        return Ok(format!(
            "{head} with revision #{revision}\n{}\n",
            pod_template_raw(t)
        ));
    }
    let mut w = for_describe();
    w.write("REVISION\tCHANGE-CAUSE\n");
    for (rev, t) in &by_revision {
        let cause = t
            .metadata
            .annotations
            .get(CHANGE_CAUSE_ANNOTATION)
            .map_or("<none>", String::as_str);
        w.write(&format!("{rev}\t{cause}\n"));
    }
    Ok(format!("{head} \n{}\n", w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::intstr::IntOrPercent;

    fn deployment(generation: i64, replicas: i32, status: DeploymentStatus) -> Deployment {
        Deployment {
            meta: ObjectMeta {
                name: "foo".into(),
                generation,
                ..Default::default()
            },
            spec: DeploymentSpec {
                replicas,
                selector: Default::default(),
                template: Default::default(),
                strategy: Strategy::RollingUpdate {
                    max_surge: IntOrPercent::Percent(25),
                    max_unavailable: IntOrPercent::Percent(25),
                },
                min_ready_seconds: 0,
                revision_history_limit: Some(10),
                progress_deadline_seconds: Some(600),
                paused: false,
            },
            status,
            replica_sets: Vec::new(),
            last_applied_annotations: Vec::new(),
            last_applied_replicas: false,
            last_applied_paused: false,
        }
    }

    fn status(observed: i64, replicas: i32, updated: i32, available: i32) -> DeploymentStatus {
        DeploymentStatus {
            observed_generation: observed,
            replicas,
            updated_replicas: updated,
            available_replicas: available,
            ..Default::default()
        }
    }

    #[test]
    fn status_viewer_matches_upstreams_table() {
        // TestDeploymentStatusViewerStatus (kubectl polymorphichelpers/rollout_status_test.go).
        let waiting = |s: &str| Status::Waiting(format!("{s}\n"));
        let cases = [
            (
                0,
                1,
                status(1, 1, 0, 1),
                waiting(
                    "Waiting for deployment \"foo\" rollout to finish: 0 out of 1 new replicas have been updated...",
                ),
            ),
            (
                1,
                1,
                status(1, 2, 1, 2),
                waiting(
                    "Waiting for deployment \"foo\" rollout to finish: 1 old replicas are pending termination...",
                ),
            ),
            (
                1,
                2,
                status(1, 2, 2, 1),
                waiting(
                    "Waiting for deployment \"foo\" rollout to finish: 1 of 2 updated replicas are available...",
                ),
            ),
            (
                1,
                2,
                status(1, 2, 2, 2),
                Status::Done("deployment \"foo\" successfully rolled out\n".into()),
            ),
            (
                2,
                2,
                status(1, 2, 2, 2),
                waiting("Waiting for deployment spec update to be observed..."),
            ),
        ];
        for (generation, replicas, st, want) in cases {
            assert_eq!(status_of(generation, replicas, st), want);
        }
    }

    fn status_of(generation: i64, replicas: i32, st: DeploymentStatus) -> Status {
        super::status(&deployment(generation, replicas, st), 0)
    }

    #[test]
    fn a_timed_out_rollout_and_a_wrong_revision_are_errors() {
        let mut st = status(1, 2, 1, 2);
        st.conditions.push(Condition {
            kind: "Progressing",
            status: ConditionStatus::False,
            reason: "ProgressDeadlineExceeded",
            message: String::new(),
            last_update: Default::default(),
            last_transition: Default::default(),
        });
        assert_eq!(
            status_of(1, 2, st),
            Status::Failed("deployment \"foo\" exceeded its progress deadline".into())
        );
        let mut d = deployment(1, 1, status(1, 1, 1, 1));
        d.meta
            .annotations
            .insert(REVISION_ANNOTATION.into(), "3".into());
        assert_eq!(
            super::status(&d, 2),
            Status::Failed(
                "desired revision (2) is different from the running revision (3)".into()
            )
        );
        assert!(matches!(super::status(&d, 3), Status::Done(_)));
    }
}
