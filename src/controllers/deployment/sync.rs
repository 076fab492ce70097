//! `syncDeployment`, `getAllReplicaSetsAndSyncRevision`, `sync`/`scale`, `cleanupDeployment`
//! (upstream `deployment_controller.go` and `sync.go`).

use super::util::{self, RsSnapshot, ScaleAction, new_condition, set_condition};
use super::{progress, recreate, rolling};
use crate::controllers::Api;
use crate::model::recorder::EventType;
use crate::model::*;

/// Mirrors `syncDeployment`: one pass of the controller over one Deployment.
pub(crate) fn sync_deployment(c: &mut impl Api, id: DeploymentId) {
    let Some(mut d) = c
        .store()
        .deployment(id)
        .filter(|d| d.meta.deletion.is_none())
        .cloned()
    else {
        return;
    };
    if d.spec.selector.is_empty() {
        c.record(
            EventType::Warning,
            "SelectingAll",
            "deployment",
            (&d.meta.namespace, &d.meta.name),
            "deployment-controller",
            "This deployment is selecting all pods. A non-empty selector is required.".into(),
        );
        return;
    }
    check_paused_conditions(c, id, &mut d);
    if d.spec.paused || is_scaling_event(c, &d) {
        sync_scale_only(c, id, &mut d);
        return;
    }
    match d.spec.strategy {
        Strategy::Recreate => recreate::rollout_recreate(c, id, &mut d),
        Strategy::RollingUpdate { .. } => rolling::rollout_rolling(c, id, &mut d),
    }
}

/// Writes the Deployment's status and annotations (the status subresource).
pub(crate) fn update_status(c: &mut impl Api, id: DeploymentId, d: &Deployment) {
    if let Some(Some(stored)) = c.store_mut().deployments.get_mut(id.0 as usize) {
        stored.status = d.status.clone();
        stored.meta.annotations = d.meta.annotations.clone();
    }
    c.deployment_written(id);
}

/// Mirrors `checkPausedConditions`.
fn check_paused_conditions(c: &mut impl Api, id: DeploymentId, d: &mut Deployment) {
    if d.spec.progress_deadline_seconds.is_none() {
        return;
    }
    let cond = d.status.condition("Progressing");
    if cond.is_some_and(|c| c.reason == "ProgressDeadlineExceeded") {
        return;
    }
    let paused_cond = cond.is_some_and(|c| c.reason == "DeploymentPaused");
    let now = c.now();
    let new = if d.spec.paused && !paused_cond {
        new_condition(
            "Progressing",
            ConditionStatus::Unknown,
            "DeploymentPaused",
            "Deployment is paused".into(),
            now,
        )
    } else if !d.spec.paused && paused_cond {
        new_condition(
            "Progressing",
            ConditionStatus::Unknown,
            "DeploymentResumed",
            "Deployment is resumed".into(),
            now,
        )
    } else {
        return;
    };
    set_condition(&mut d.status, new);
    update_status(c, id, d);
}

/// Mirrors `isScalingEvent`: an active ReplicaSet was last sized for another replica count.
fn is_scaling_event(c: &impl Api, d: &Deployment) -> bool {
    d.replica_sets
        .iter()
        .filter_map(|r| c.store().replica_set(*r))
        .filter(|rs| rs.meta.deletion.is_none() && rs.replicas > 0)
        .any(|rs| {
            annotation_i32(rs, DESIRED_REPLICAS_ANNOTATION)
                .is_some_and(|desired| desired != d.spec.replicas)
        })
}

/// Parses a replica annotation as a non-negative int32, as upstream does since PR #128527.
pub(crate) fn annotation_i32(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.meta
        .annotations
        .get(key)?
        .parse::<i32>()
        .ok()
        .filter(|v| *v >= 0)
}

/// What the Deployment controller sees of one ReplicaSet, for the arithmetic.
pub(crate) fn snapshot(c: &impl Api, r: RsId) -> Option<RsSnapshot> {
    let rs = c.store().replica_set(r)?;
    Some(RsSnapshot {
        key: r.0,
        name: rs.meta.name.clone(),
        created: rs.meta.creation,
        replicas: rs.replicas,
        available: rs.status.available_replicas,
        desired_annotation: annotation_i32(rs, DESIRED_REPLICAS_ANNOTATION),
        max_annotation: annotation_i32(rs, MAX_REPLICAS_ANNOTATION),
    })
}

/// The new and old ReplicaSets of a sync.
pub(crate) struct RsSets {
    pub(crate) new: Option<RsId>,
    pub(crate) old: Vec<RsId>,
}

impl RsSets {
    pub(crate) fn all(&self) -> Vec<RsId> {
        self.old.iter().copied().chain(self.new).collect()
    }
}

/// Mirrors `getAllReplicaSetsAndSyncRevision`: finds the new ReplicaSet (the oldest whose
/// template equals the Deployment's, ignoring the hash), renumbers it, and creates it when
/// asked and missing. `None` when the creation hit a hash collision (retried later).
pub(crate) fn get_all_replica_sets_and_sync_revision(
    c: &mut impl Api,
    id: DeploymentId,
    d: &mut Deployment,
    create: bool,
) -> Option<RsSets> {
    let slot = id.0 as usize;
    let keys = &mut c.store_mut().deployment_template_keys;
    if keys.len() <= slot {
        keys.resize(slot + 1, None);
    }
    if keys[slot]
        .as_ref()
        .is_none_or(|(generation, _)| *generation != d.meta.generation)
    {
        keys[slot] = Some((d.meta.generation, d.spec.template.canonical_without_hash()));
    }
    let store = &c.store();
    let key = store.deployment_template_keys[slot]
        .as_ref()
        .map_or("", |(_, k)| k.as_str());
    let owned: Vec<RsId> = d
        .replica_sets
        .iter()
        .copied()
        .filter(|r| store.live_replica_set(*r).is_some())
        .collect();
    let new = owned
        .iter()
        .copied()
        .filter(|r| store.rs_template_keys[r.0 as usize] == key)
        .min_by(|a, b| {
            let (ra, rb) = (store.replica_set(*a), store.replica_set(*b));
            let ka = ra.map(|r| (r.meta.creation, r.meta.name.clone()));
            let kb = rb.map(|r| (r.meta.creation, r.meta.name.clone()));
            ka.cmp(&kb)
        });
    let old: Vec<RsId> = owned.iter().copied().filter(|r| Some(*r) != new).collect();
    let max_old = old
        .iter()
        .filter_map(|r| c.store().replica_set(*r))
        .map(ReplicaSet::revision)
        .max()
        .unwrap_or(0);
    let new_revision = (max_old + 1).to_string();
    let new = match new {
        Some(r) => Some(sync_existing_new_rs(c, id, d, r, &new_revision)),
        None if create => Some(create_new_rs(c, id, d, &old, &new_revision)?),
        None => None,
    };
    Some(RsSets { new, old })
}

/// The existing-new-ReplicaSet half of `getNewReplicaSet`.
fn sync_existing_new_rs(
    c: &mut impl Api,
    id: DeploymentId,
    d: &mut Deployment,
    r: RsId,
    new_revision: &str,
) -> RsId {
    let Some(mut rs) = c.store().replica_set(r).cloned() else {
        return r;
    };
    let annotations_changed = set_new_replica_set_annotations(d, &mut rs, new_revision, true);
    if annotations_changed || rs.min_ready_seconds != d.spec.min_ready_seconds {
        let min_ready_changed = rs.min_ready_seconds != d.spec.min_ready_seconds;
        rs.min_ready_seconds = d.spec.min_ready_seconds;
        c.update_replica_set(r, rs);
        if min_ready_changed {
            crate::controllers::replica_set::recount_availability(c, r);
        }
        return r;
    }
    let rev = rs
        .meta
        .annotations
        .get(REVISION_ANNOTATION)
        .cloned()
        .unwrap_or_default();
    let mut needs_update = set_deployment_revision(d, &rev);
    if d.spec.progress_deadline_seconds.is_some() && d.status.condition("Progressing").is_none() {
        let msg = format!("Found new replica set \"{}\"", rs.meta.name);
        set_condition(
            &mut d.status,
            new_condition(
                "Progressing",
                ConditionStatus::True,
                "FoundNewReplicaSet",
                msg,
                c.now(),
            ),
        );
        needs_update = true;
    }
    if needs_update {
        update_status(c, id, d);
    }
    r
}

/// The creation half of `getNewReplicaSet`.
fn create_new_rs(
    c: &mut impl Api,
    id: DeploymentId,
    d: &mut Deployment,
    old: &[RsId],
    new_revision: &str,
) -> Option<RsId> {
    let hash = compute_hash(&d.spec.template, d.status.collision_count);
    let name = format!("{}-{}", d.meta.name, hash);
    if let Some(&existing) = c
        .store()
        .rs_names
        .get(&crate::model::object_key(&d.meta.namespace, &name))
    {
        return existing_or_collision(c, id, d, existing);
    }
    let mut template = (*d.spec.template).clone();
    template
        .metadata
        .labels
        .insert(template::POD_TEMPLATE_HASH_LABEL.into(), hash.clone());
    let mut selector = d.spec.selector.clone();
    selector
        .match_labels
        .insert(template::POD_TEMPLATE_HASH_LABEL.into(), hash);
    let all_spec: i32 = old
        .iter()
        .filter_map(|r| c.store().replica_set(*r))
        .map(|rs| rs.replicas)
        .sum();
    let plan = util::new_rs_new_replicas_plan(d.spec.strategy, d.spec.replicas, all_spec, 0);
    let replicas = plan.to;
    let mut rs = c.new_replica_set_object(
        id,
        name.clone(),
        template,
        selector,
        replicas,
        d.spec.min_ready_seconds,
    );
    set_new_replica_set_annotations(d, &mut rs, new_revision, false);
    let r = c.create_replica_set(rs);
    if replicas > 0 {
        scaling_event(
            c,
            d,
            format!("Scaled up replica set {name} from 0 to {replicas}"),
        );
        super::explain::scale_up(c, d, &name, &plan);
    }
    set_deployment_revision(d, new_revision);
    if d.spec.progress_deadline_seconds.is_some() {
        let msg = format!("Created new replica set \"{name}\"");
        set_condition(
            &mut d.status,
            new_condition(
                "Progressing",
                ConditionStatus::True,
                "NewReplicaSetCreated",
                msg,
                c.now(),
            ),
        );
    }
    update_status(c, id, d);
    Some(r)
}

/// `getNewReplicaSet`'s `AlreadyExists` case: the ReplicaSet of that name is the new one if
/// the Deployment owns it with an equal template; otherwise a hash collision, which bumps
/// `collisionCount` so the next sync hashes differently.
fn existing_or_collision(
    c: &mut impl Api,
    id: DeploymentId,
    d: &mut Deployment,
    existing: RsId,
) -> Option<RsId> {
    let ours = c
        .store()
        .replica_set(existing)
        .is_some_and(|rs| rs.owner == id && rs.template.equal_ignore_hash(&d.spec.template));
    if ours {
        return Some(existing);
    }
    d.status.collision_count = Some(d.status.collision_count.unwrap_or(0) + 1);
    update_status(c, id, d);
    None
}

/// The Deployment controller's `ScalingReplicaSet` event.
fn scaling_event(c: &mut impl Api, d: &Deployment, message: String) {
    c.record(
        EventType::Normal,
        "ScalingReplicaSet",
        "deployment",
        (&d.meta.namespace, &d.meta.name),
        "deployment-controller",
        message,
    );
}

/// Mirrors `SetDeploymentRevision`.
fn set_deployment_revision(d: &mut Deployment, revision: &str) -> bool {
    if d.meta
        .annotations
        .get(REVISION_ANNOTATION)
        .map(String::as_str)
        == Some(revision)
    {
        return false;
    }
    d.meta
        .annotations
        .insert(REVISION_ANNOTATION.into(), revision.into());
    true
}

/// Mirrors `SetNewReplicaSetAnnotations`: copy the Deployment's annotations, raise the
/// revision (keeping the old number in `revision-history`), and on creation the replica
/// annotations.
fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: &str,
    exists: bool,
) -> bool {
    let mut changed = false;
    for (k, v) in &d.meta.annotations {
        if ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            continue;
        }
        if rs.meta.annotations.get(k) != Some(v) {
            rs.meta.annotations.insert(k.clone(), v.clone());
            changed = true;
        }
    }
    let old = rs.meta.annotations.get(REVISION_ANNOTATION).cloned();
    let old_num: i64 = old.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
    let new_num: i64 = new_revision.parse().unwrap_or(0);
    if old_num < new_num {
        rs.meta
            .annotations
            .insert(REVISION_ANNOTATION.into(), new_revision.into());
        changed = true;
        if let Some(old) = old {
            let history = rs
                .meta
                .annotations
                .get(REVISION_HISTORY_ANNOTATION)
                .cloned()
                .unwrap_or_default();
            let mut history = if history.is_empty() {
                old
            } else {
                format!("{history},{old}")
            };
            while history.len() > 2000 {
                match history.find(',') {
                    Some(i) => history = history[i + 1..].to_string(),
                    None => break,
                }
            }
            rs.meta
                .annotations
                .insert(REVISION_HISTORY_ANNOTATION.into(), history);
        }
    }
    if !exists {
        let surge = util::max_surge(d.spec.strategy, d.spec.replicas);
        changed |= set_replicas_annotations(rs, d.spec.replicas, d.spec.replicas + surge);
    }
    changed
}

/// Mirrors `SetReplicasAnnotations`.
pub(crate) fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (k, v) in [
        (DESIRED_REPLICAS_ANNOTATION, desired),
        (MAX_REPLICAS_ANNOTATION, max),
    ] {
        let v = v.to_string();
        if rs.meta.annotations.get(k) != Some(&v) {
            rs.meta.annotations.insert(k.into(), v);
            changed = true;
        }
    }
    changed
}

/// Mirrors `scaleReplicaSet`: writes size and replica annotations if either differs; an
/// event only for a size change. Returns whether the size changed.
pub(crate) fn scale_replica_set(c: &mut impl Api, d: &Deployment, r: RsId, to: i32) -> bool {
    let Some(mut rs) = c.store().replica_set(r).cloned() else {
        return false;
    };
    let surge = util::max_surge(d.spec.strategy, d.spec.replicas);
    let from = rs.replicas;
    let annotations_changed =
        set_replicas_annotations(&mut rs, d.spec.replicas, d.spec.replicas + surge);
    if from == to && !annotations_changed {
        return false;
    }
    rs.replicas = to;
    let name = rs.meta.name.clone();
    c.update_replica_set(r, rs);
    if from != to {
        let dir = if from < to { "up" } else { "down" };
        scaling_event(
            c,
            d,
            format!("Scaled {dir} replica set {name} from {from} to {to}"),
        );
    }
    from != to
}

/// Mirrors `scaleReplicaSetAndRecordEvent`: nothing when the size is already right.
pub(crate) fn scale_replica_set_and_record_event(
    c: &mut impl Api,
    d: &Deployment,
    r: RsId,
    to: i32,
) -> bool {
    let same = c.store().replica_set(r).is_some_and(|rs| rs.replicas == to);
    !same && scale_replica_set(c, d, r, to)
}

/// Applies the arithmetic's planned writes in order; whether any size changed.
pub(crate) fn apply_scale_actions(
    c: &mut impl Api,
    d: &Deployment,
    actions: &[ScaleAction],
    record_only_changes: bool,
) -> bool {
    let mut scaled = false;
    for a in actions {
        let r = RsId(a.key);
        scaled |= if record_only_changes {
            scale_replica_set_and_record_event(c, d, r, a.to)
        } else {
            scale_replica_set(c, d, r, a.to)
        };
    }
    scaled
}

/// Mirrors `sync`: scaling only (paused Deployments and scaling events), then status.
fn sync_scale_only(c: &mut impl Api, id: DeploymentId, d: &mut Deployment) {
    let Some(sets) = get_all_replica_sets_and_sync_revision(c, id, d, false) else {
        return;
    };
    let inputs = progress::status_inputs(c, &sets);
    let new_snap = sets.new.and_then(|r| snapshot(c, r));
    let old_snaps: Vec<RsSnapshot> = sets.old.iter().filter_map(|r| snapshot(c, *r)).collect();
    let plan = util::scale_plan(
        d.spec.strategy,
        d.spec.replicas,
        d.status.replicas,
        new_snap.as_ref(),
        &old_snaps,
    );
    let single = !matches!(plan.reason, util::ScaleReason::Proportional(_));
    let snaps: Vec<&RsSnapshot> = old_snaps.iter().chain(new_snap.as_ref()).collect();
    super::explain::resize(c, d, &plan, &snaps);
    apply_scale_actions(c, d, &plan.actions, single);
    if d.spec.paused {
        cleanup_deployment(c, d, &sets.old);
    }
    let new_status = progress::calculate_status(d, &inputs, c.now());
    if new_status != d.status {
        d.status = new_status;
        update_status(c, id, d);
    }
}

/// Mirrors `cleanupDeployment`: deletes what [`util::cleanup_deployment`] picks.
pub(crate) fn cleanup_deployment(c: &mut impl Api, d: &Deployment, old: &[RsId]) {
    let candidates: Vec<util::CleanupCandidate> = old
        .iter()
        .filter_map(|&r| {
            let rs = c.store().replica_set(r)?;
            Some(util::CleanupCandidate {
                key: r.0,
                name: rs.meta.name.clone(),
                revision: rs.revision(),
                created: rs.meta.creation,
                spec_replicas: rs.replicas,
                status_replicas: rs.status.replicas,
                generation: rs.meta.generation,
                observed_generation: rs.status.observed_generation,
                deleting: rs.meta.deletion.is_some(),
            })
        })
        .collect();
    for key in util::cleanup_deployment(d.spec.revision_history_limit, &candidates) {
        c.delete_replica_set(RsId(key));
    }
}
