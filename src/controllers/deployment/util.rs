//! Rolling-update arithmetic as pure functions over plain numbers and ReplicaSet snapshots,
//! each mirroring a function of upstream `pkg/controller/deployment/util/deployment_util.go`,
//! `rolling.go` or `sync.go`, so upstream's own table tests port directly.

use crate::model::{DeploymentStatus, IntOrPercent, IntOrString, Strategy};
use crate::sim::SimTime;

/// What the Deployment controller reads of one ReplicaSet from its cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsSnapshot {
    /// Caller's handle, returned in scale actions.
    pub key: u32,
    /// Name (tie-break of the creation-time order).
    pub name: String,
    /// Creation, whole seconds.
    pub created: SimTime,
    /// `spec.replicas`.
    pub replicas: i32,
    /// `status.availableReplicas` as last written by the ReplicaSet controller.
    pub available: i32,
    /// `deployment.kubernetes.io/desired-replicas`, if valid.
    pub desired_annotation: Option<i32>,
    /// `deployment.kubernetes.io/max-replicas`, if valid.
    pub max_annotation: Option<i32>,
}

/// One planned write: set ReplicaSet `key` to `to` replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleAction {
    /// The snapshot's key.
    pub key: u32,
    /// New `spec.replicas`.
    pub to: i32,
}

/// Mirrors `ResolveFenceposts`: surge rounds up, unavailable rounds down, and both zero
/// becomes unavailable 1 so a rollout can always progress.
pub fn resolve_fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    desired: i32,
) -> (i32, i32) {
    let surge = max_surge.scaled(desired, true);
    let mut unavailable = max_unavailable.scaled(desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// Mirrors `ResolveFenceposts` on the fields as written: an unset field counts as 0, and a
/// string that is not a percentage is upstream's error (maxSurge is resolved first, so its
/// error wins). [`resolve_fenceposts`] is the same on values validation has already checked.
pub fn resolve_fenceposts_checked(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), String> {
    let resolve =
        |v: Option<&IntOrString>| v.map_or(Ok(IntOrPercent::Int(0)), IntOrString::resolve);
    let surge = resolve(max_surge)?;
    let unavailable = resolve(max_unavailable)?;
    Ok(resolve_fenceposts(surge, unavailable, desired))
}

/// Mirrors `MaxUnavailable`: 0 unless RollingUpdate with replicas > 0; capped at replicas.
pub fn max_unavailable(strategy: Strategy, replicas: i32) -> i32 {
    match strategy {
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } if replicas > 0 => resolve_fenceposts(max_surge, max_unavailable, replicas)
            .1
            .min(replicas),
        _ => 0,
    }
}

/// Mirrors `MaxSurge`: 0 unless RollingUpdate.
pub fn max_surge(strategy: Strategy, replicas: i32) -> i32 {
    match strategy {
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => resolve_fenceposts(max_surge, max_unavailable, replicas).0,
        Strategy::Recreate => 0,
    }
}

/// Mirrors `MinAvailable`: replicas − MaxUnavailable for RollingUpdate, else 0.
pub fn min_available(strategy: Strategy, replicas: i32) -> i32 {
    match strategy {
        Strategy::RollingUpdate { .. } => replicas - max_unavailable(strategy, replicas),
        Strategy::Recreate => 0,
    }
}

/// Mirrors `GetReplicaCountForReplicaSets`: Σ spec.replicas.
pub fn replica_count(rss: &[RsSnapshot]) -> i32 {
    rss.iter().map(|r| r.replicas).sum()
}

/// Mirrors `GetAvailableReplicaCountForReplicaSets`: Σ status.availableReplicas.
pub fn available_count(rss: &[RsSnapshot]) -> i32 {
    rss.iter().map(|r| r.available).sum()
}

/// The numbers behind `NewRSNewReplicas`' answer, for the reader who asks why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewRsPlan {
    /// Resolved maxSurge (0 for Recreate).
    pub max_surge: i32,
    /// `replicas + maxSurge`: most pods the ReplicaSets may ask for together.
    pub max_total: i32,
    /// Σ spec.replicas of every ReplicaSet now.
    pub all_spec_sum: i32,
    /// The new ReplicaSet's size now and next.
    pub from: i32,
    #[allow(missing_docs)]
    pub to: i32,
}

/// Mirrors `NewRSNewReplicas`: the new ReplicaSet's next size. RollingUpdate grows it by the
/// surge headroom left under `replicas + maxSurge` (spec sums), never past `replicas`;
/// Recreate jumps straight to `replicas`.
pub fn new_rs_new_replicas(
    strategy: Strategy,
    replicas: i32,
    all_spec_sum: i32,
    new_rs_replicas: i32,
) -> i32 {
    new_rs_new_replicas_plan(strategy, replicas, all_spec_sum, new_rs_replicas).to
}

/// [`new_rs_new_replicas`] with the numbers it was computed from.
pub fn new_rs_new_replicas_plan(
    strategy: Strategy,
    replicas: i32,
    all_spec_sum: i32,
    new_rs_replicas: i32,
) -> NewRsPlan {
    let mut plan = NewRsPlan {
        max_surge: 0,
        max_total: replicas,
        all_spec_sum,
        from: new_rs_replicas,
        to: replicas,
    };
    if let Strategy::RollingUpdate { max_surge, .. } = strategy {
        // Upstream resolves maxSurge directly here (rounded up), not via ResolveFenceposts.
        plan.max_surge = max_surge.scaled(replicas, true);
        plan.max_total = replicas + plan.max_surge;
        plan.to = if all_spec_sum >= plan.max_total {
            new_rs_replicas
        } else {
            new_rs_replicas + (plan.max_total - all_spec_sum).min(replicas - new_rs_replicas)
        };
    }
    plan
}

/// Mirrors `reconcileNewReplicaSet`: the new ReplicaSet's target size, or `None` if unchanged.
pub fn reconcile_new_replica_set(
    strategy: Strategy,
    replicas: i32,
    all: &[RsSnapshot],
    new_rs: &RsSnapshot,
) -> Option<i32> {
    reconcile_new_replica_set_plan(strategy, replicas, all, new_rs).0
}

/// [`reconcile_new_replica_set`] with `NewRSNewReplicas`' numbers when it asked them.
pub fn reconcile_new_replica_set_plan(
    strategy: Strategy,
    replicas: i32,
    all: &[RsSnapshot],
    new_rs: &RsSnapshot,
) -> (Option<i32>, Option<NewRsPlan>) {
    if new_rs.replicas == replicas {
        return (None, None);
    }
    if new_rs.replicas > replicas {
        return (Some(replicas), None);
    }
    let plan = new_rs_new_replicas_plan(strategy, replicas, replica_count(all), new_rs.replicas);
    ((plan.to != new_rs.replicas).then_some(plan.to), Some(plan))
}

/// Sorts like `ReplicaSetsByCreationTimestamp`: oldest first, ties by name.
pub fn sort_by_creation(rss: &mut [RsSnapshot]) {
    rss.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
}

/// The numbers behind `reconcileOldReplicaSets`' writes, for the reader who asks why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OldRsPlan {
    /// Σ spec.replicas of every ReplicaSet, old and new.
    pub all_pods: i32,
    /// Resolved maxUnavailable.
    pub max_unavailable: i32,
    /// `replicas − maxUnavailable`.
    pub min_available: i32,
    /// New pods asked for but not available.
    pub new_unavailable: i32,
    /// `allPods − minAvailable − newRSUnavailable`: how far the old side may shrink.
    pub max_scaled_down: i32,
    /// Writes of `cleanupUnhealthyReplicas` (old replicas that are not available).
    pub cleanup: Vec<ScaleAction>,
    /// Its error, after which upstream writes nothing more and reports no scale-down.
    pub cleanup_error: Option<String>,
    /// Σ status.availableReplicas of every ReplicaSet, for the second step.
    pub available: i32,
    /// Writes of `scaleDownOldReplicaSetsForRollingUpdate`.
    pub scale_down: Vec<ScaleAction>,
}

/// Mirrors `reconcileOldReplicaSets` for the active old ReplicaSets: how far the old side may
/// shrink (`allPods − minAvailable − newRSUnavailable`), spent first on unhealthy replicas and
/// then on available ones. `all_old` are all old ReplicaSets (active or not); the returned
/// actions, in order, are the writes upstream makes.
pub fn reconcile_old_replica_sets(
    strategy: Strategy,
    replicas: i32,
    all_old: &[RsSnapshot],
    new_rs: &RsSnapshot,
) -> Vec<ScaleAction> {
    let plan = reconcile_old_replica_sets_plan(strategy, replicas, all_old, new_rs);
    plan.cleanup.into_iter().chain(plan.scale_down).collect()
}

/// [`reconcile_old_replica_sets`] with the numbers it was computed from.
pub fn reconcile_old_replica_sets_plan(
    strategy: Strategy,
    replicas: i32,
    all_old: &[RsSnapshot],
    new_rs: &RsSnapshot,
) -> OldRsPlan {
    let mut old: Vec<RsSnapshot> = all_old.iter().filter(|r| r.replicas > 0).cloned().collect();
    let mut plan = OldRsPlan::default();
    if replica_count(&old) == 0 {
        return plan;
    }
    plan.all_pods = replica_count(all_old) + new_rs.replicas;
    plan.max_unavailable = max_unavailable(strategy, replicas);
    plan.min_available = replicas - plan.max_unavailable;
    plan.new_unavailable = new_rs.replicas - new_rs.available;
    plan.max_scaled_down = plan.all_pods - plan.min_available - plan.new_unavailable;
    if plan.max_scaled_down <= 0 {
        return plan;
    }
    let cleanup = cleanup_unhealthy_replicas(&mut old, plan.max_scaled_down);
    plan.cleanup = cleanup.actions;
    if cleanup.error.is_some() {
        plan.cleanup_error = cleanup.error;
        return plan;
    }
    let mut all: Vec<RsSnapshot> = old.clone();
    all.push(new_rs.clone());
    plan.available = available_count(&all);
    plan.scale_down =
        scale_down_old_replica_sets_for_rolling_update(strategy, replicas, &all, &mut old);
    plan
}

/// Takes `count` replicas off a snapshot and returns the write that does it.
fn shrink(rs: &mut RsSnapshot, count: i32) -> ScaleAction {
    rs.replicas -= count;
    ScaleAction {
        key: rs.key,
        to: rs.replicas,
    }
}

/// What `cleanupUnhealthyReplicas` wrote, and the error that stopped it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cleanup {
    /// Writes made, in order (those before an error stand: upstream writes as it goes).
    pub actions: Vec<ScaleAction>,
    /// Upstream's `got invalid request to scale down NAME A -> B`: a ReplicaSet whose status
    /// counts more available pods than its spec asks for (the status lags a scale-down).
    pub error: Option<String>,
}

/// Mirrors `cleanupUnhealthyReplicas`: oldest first, removes replicas that are not available,
/// up to `max_cleanup` in total. Updates the snapshots' spec in place. A ReplicaSet with more
/// available than asked for would be scaled *up*: upstream refuses that with an error and
/// stops, and so does this.
pub fn cleanup_unhealthy_replicas(old: &mut [RsSnapshot], max_cleanup: i32) -> Cleanup {
    sort_by_creation(old);
    let mut total = 0;
    let mut done = Cleanup::default();
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        if rs.replicas == 0 || rs.replicas == rs.available {
            continue;
        }
        let count = (max_cleanup - total).min(rs.replicas - rs.available);
        if count < 0 {
            done.error = Some(format!(
                "when cleaning up unhealthy replicas, got invalid request to scale down {} {} -> {}",
                rs.name,
                rs.replicas,
                rs.replicas - count
            ));
            return done;
        }
        total += count;
        done.actions.push(shrink(rs, count));
    }
    done
}

/// Mirrors `scaleDownOldReplicaSetsForRollingUpdate`: with `available` counted over `all`
/// (old + new, status values), scales old ReplicaSets down oldest first by
/// `available − minAvailable`. Updates `old` in place.
pub fn scale_down_old_replica_sets_for_rolling_update(
    strategy: Strategy,
    replicas: i32,
    all: &[RsSnapshot],
    old: &mut [RsSnapshot],
) -> Vec<ScaleAction> {
    let min_avail = replicas - max_unavailable(strategy, replicas);
    let available = available_count(all);
    if available <= min_avail {
        return Vec::new();
    }
    sort_by_creation(old);
    let budget = available - min_avail;
    let mut total = 0;
    let mut actions = Vec::new();
    for rs in old.iter_mut() {
        if total >= budget {
            break;
        }
        if rs.replicas == 0 {
            continue;
        }
        let count = rs.replicas.min(budget - total);
        total += count;
        actions.push(shrink(rs, count));
    }
    actions
}

/// Mirrors `FindActiveOrLatest`: the only active ReplicaSet; with none active, the new one or
/// else the newest old one; `None` when several are active.
pub fn find_active_or_latest<'a>(
    new_rs: Option<&'a RsSnapshot>,
    old: &'a [RsSnapshot],
) -> Option<&'a RsSnapshot> {
    if new_rs.is_none() && old.is_empty() {
        return None;
    }
    let mut old_sorted: Vec<&RsSnapshot> = old.iter().collect();
    old_sorted.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name)));
    let active: Vec<&RsSnapshot> = old_sorted
        .iter()
        .copied()
        .chain(new_rs)
        .filter(|r| r.replicas > 0)
        .collect();
    match active.len() {
        0 => new_rs.or(old_sorted.first().copied()),
        1 => Some(active[0]),
        _ => None,
    }
}

/// Mirrors `IsSaturated`: the new ReplicaSet has, wants and makes available all replicas.
pub fn is_saturated(replicas: i32, new_rs: Option<&RsSnapshot>) -> bool {
    new_rs.is_some_and(|rs| {
        rs.replicas == replicas
            && rs.desired_annotation == Some(replicas)
            && rs.available == replicas
    })
}

/// Mirrors `getReplicaSetFraction`: this ReplicaSet's share of a resize, proportional to its
/// size over the `max-replicas` it was last scaled for.
pub fn get_replica_set_fraction(
    rs: &RsSnapshot,
    replicas: i32,
    deployment_max_surge: i32,
    status_replicas: i32,
) -> i32 {
    if replicas == 0 {
        return -rs.replicas;
    }
    let deployment_max = replicas + deployment_max_surge;
    let annotated = match rs.max_annotation {
        Some(v) if v > 0 => v,
        _ => status_replicas,
    };
    if annotated == 0 {
        return 0;
    }
    let new_size = f64::from(rs.replicas) * f64::from(deployment_max) / f64::from(annotated);
    // Go's math.Round: half away from zero, as Rust's f64::round.
    new_size.round() as i32 - rs.replicas
}

/// Mirrors `GetProportion`: the fraction, bounded by what is still to add (or remove).
pub fn get_proportion(
    rs: &RsSnapshot,
    replicas: i32,
    max_surge: i32,
    status_replicas: i32,
    to_add: i32,
    added: i32,
) -> i32 {
    if rs.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = get_replica_set_fraction(rs, replicas, max_surge, status_replicas);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// Mirrors the Deployment controller's `scale`: proportional scaling when `spec.replicas`
/// changes while several ReplicaSets are active. Returns every write in order (sizes may be
/// unchanged: upstream rewrites annotations too).
pub fn scale(
    strategy: Strategy,
    replicas: i32,
    status_replicas: i32,
    new_rs: Option<&RsSnapshot>,
    old: &[RsSnapshot],
) -> Vec<ScaleAction> {
    scale_plan(strategy, replicas, status_replicas, new_rs, old).actions
}

/// Why `scale` wrote what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleReason {
    /// One ReplicaSet is active (or none): it takes `spec.replicas` alone.
    Single,
    /// The new ReplicaSet is saturated: every old one goes to 0.
    Saturated,
    /// Several are active: the difference is shared in proportion to their sizes.
    Proportional(Proportion),
}

/// The numbers of a proportional resize (`scale`'s rolling-update branch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proportion {
    /// replicas + maxSurge (0 when scaling to 0).
    pub allowed: i32,
    pub max_surge: i32,
    /// Σ spec.replicas of the active ReplicaSets before.
    pub total: i32,
    /// allowed − total.
    pub to_add: i32,
    /// Per write, in order: `(max-replicas annotation used, its proportion)`.
    pub shares: Vec<(i32, i32)>,
    /// What rounding left over, given to the first (largest) ReplicaSet.
    pub leftover: i32,
}

/// `scale`'s writes and the reason with its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePlan {
    pub actions: Vec<ScaleAction>,
    pub reason: ScaleReason,
}

/// [`scale`] with the numbers it used.
pub fn scale_plan(
    strategy: Strategy,
    replicas: i32,
    status_replicas: i32,
    new_rs: Option<&RsSnapshot>,
    old: &[RsSnapshot],
) -> ScalePlan {
    let plan = |actions, reason| ScalePlan { actions, reason };
    if let Some(rs) = find_active_or_latest(new_rs, old) {
        let actions = if rs.replicas == replicas {
            Vec::new()
        } else {
            vec![ScaleAction {
                key: rs.key,
                to: replicas,
            }]
        };
        return plan(actions, ScaleReason::Single);
    }
    if is_saturated(replicas, new_rs) {
        let actions = old
            .iter()
            .filter(|r| r.replicas > 0)
            .map(|r| ScaleAction { key: r.key, to: 0 })
            .collect();
        return plan(actions, ScaleReason::Saturated);
    }
    if !matches!(strategy, Strategy::RollingUpdate { .. }) {
        return plan(Vec::new(), ScaleReason::Single);
    }
    let active: Vec<&RsSnapshot> = old
        .iter()
        .chain(new_rs)
        .filter(|r| r.replicas > 0)
        .collect();
    let (actions, proportion) = proportional(strategy, replicas, status_replicas, active);
    plan(actions, ScaleReason::Proportional(proportion))
}

/// `scale`'s rolling-update branch: the room under replicas + maxSurge shared among the
/// active ReplicaSets by `GetProportion`, largest first, what rounding leaves to the first.
fn proportional(
    strategy: Strategy,
    replicas: i32,
    status_replicas: i32,
    mut active: Vec<&RsSnapshot>,
) -> (Vec<ScaleAction>, Proportion) {
    let surge = max_surge(strategy, replicas);
    let allowed = if replicas > 0 { replicas + surge } else { 0 };
    let total = active.iter().map(|r| r.replicas).sum::<i32>();
    let to_add = allowed - total;
    if to_add > 0 {
        // ReplicaSetsBySizeNewer: larger first, ties newer first.
        active.sort_by(|a, b| {
            b.replicas
                .cmp(&a.replicas)
                .then(b.created.cmp(&a.created))
                .then_with(|| a.name.cmp(&b.name))
        });
    } else if to_add < 0 {
        // ReplicaSetsBySizeOlder: larger first, ties older first.
        active.sort_by(|a, b| {
            b.replicas
                .cmp(&a.replicas)
                .then(a.created.cmp(&b.created))
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(active.len());
    let mut shares = Vec::with_capacity(active.len());
    for rs in &active {
        let p = if to_add != 0 {
            get_proportion(rs, replicas, surge, status_replicas, to_add, added)
        } else {
            0
        };
        let annotated = match rs.max_annotation {
            Some(v) if v > 0 => v,
            _ => status_replicas,
        };
        shares.push((annotated, p));
        sizes.push(rs.replicas + p);
        added += p;
    }
    let leftover = if to_add != 0 { to_add - added } else { 0 };
    if let Some(first) = sizes.first_mut()
        && to_add != 0
    {
        *first = (*first + leftover).max(0);
    }
    let actions = active
        .iter()
        .zip(sizes)
        .map(|(rs, to)| ScaleAction { key: rs.key, to })
        .collect();
    let proportion = Proportion {
        allowed,
        max_surge: surge,
        total,
        to_add,
        shares,
        leftover,
    };
    (actions, proportion)
}

/// Mirrors `DeploymentComplete`: every replica updated and available, none extra, and the
/// latest spec observed.
pub fn deployment_complete(replicas: i32, generation: i64, status: &DeploymentStatus) -> bool {
    status.updated_replicas == replicas
        && status.replicas == replicas
        && status.available_replicas == replicas
        && status.observed_generation >= generation
}

/// Mirrors `DeploymentProgressing`: more pods updated, fewer old ones, or more ready or
/// available than before.
pub fn deployment_progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let old_old = old.replicas - old.updated_replicas;
    let new_old = new.replicas - new.updated_replicas;
    new.updated_replicas > old.updated_replicas
        || new_old < old_old
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
}

/// Mirrors `DeploymentTimedOut`: the Progressing condition was last updated more than the
/// deadline ago (strictly), unless the rollout is complete.
pub fn deployment_timed_out(
    progress_deadline_seconds: Option<i32>,
    status: &DeploymentStatus,
    now: SimTime,
) -> bool {
    let Some(deadline) = progress_deadline_seconds.filter(|d| *d != i32::MAX) else {
        return false;
    };
    let Some(cond) = status.condition("Progressing") else {
        return false;
    };
    match cond.reason {
        "NewReplicaSetAvailable" => false,
        "ProgressDeadlineExceeded" => true,
        _ => cond.last_update.plus_secs(deadline.max(0) as u64) < now,
    }
}

#[path = "util/status.rs"]
mod status;
pub use status::*;

#[cfg(test)]
#[path = "util/status_tests.rs"]
mod status_tests;

#[cfg(test)]
#[path = "util/tests.rs"]
mod tests;
