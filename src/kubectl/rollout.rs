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
        let mut t = rs.template.clone();
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
