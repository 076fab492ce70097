//! Upstream's table tests, ported: `deployment_util_test.go`, `rolling_test.go`, `sync_test.go`.

use super::*;
use crate::model::{Condition, ConditionStatus};

fn int(v: i32) -> IntOrPercent {
    IntOrPercent::Int(v)
}
fn pct(v: i32) -> IntOrPercent {
    IntOrPercent::Percent(v)
}
fn rolling(surge: IntOrPercent, unavailable: IntOrPercent) -> Strategy {
    Strategy::RollingUpdate {
        max_surge: surge,
        max_unavailable: unavailable,
    }
}
fn rs(key: u32, name: &str, replicas: i32, created_s: u64) -> RsSnapshot {
    RsSnapshot {
        key,
        name: name.into(),
        created: SimTime::from_secs(created_s),
        replicas,
        available: replicas,
        desired_annotation: None,
        max_annotation: None,
    }
}
fn with_available(mut r: RsSnapshot, available: i32) -> RsSnapshot {
    r.available = available;
    r
}

#[test]
fn resolve_fenceposts_table() {
    // TestResolveFenceposts (the rows with valid inputs).
    assert_eq!(resolve_fenceposts(pct(0), pct(0), 0), (0, 1));
    assert_eq!(resolve_fenceposts(pct(39), pct(39), 10), (4, 3));
    assert_eq!(resolve_fenceposts(int(5), int(1), 7), (5, 1));
    assert_eq!(resolve_fenceposts(pct(25), pct(25), 8), (2, 2));
    assert_eq!(resolve_fenceposts(int(0), int(0), 10), (0, 1));
    // The reference's worked examples.
    assert_eq!(resolve_fenceposts(pct(25), pct(25), 3), (1, 0));
    assert_eq!(resolve_fenceposts(pct(25), pct(25), 10), (3, 2));
    assert_eq!(resolve_fenceposts(pct(25), pct(25), 1), (1, 0));
    assert_eq!(resolve_fenceposts(pct(25), pct(25), 4), (1, 1));
}

#[test]
fn upstream_resolve_fenceposts_table() {
    // TestResolveFenceposts, every row: the fields as strings, unset as None; an error row
    // returns no values (upstream returns 0, 0 with the error).
    let not_percent = "invalid value for IntOrString: invalid type: string is not a percentage";
    type Row = (
        Option<&'static str>,
        Option<&'static str>,
        i32,
        Result<(i32, i32), &'static str>,
    );
    let rows: [Row; 7] = [
        (Some("0%"), Some("0%"), 0, Ok((0, 1))),
        (Some("39%"), Some("39%"), 10, Ok((4, 3))),
        (Some("oops"), Some("39%"), 10, Err(not_percent)),
        (Some("55%"), Some("urg"), 10, Err(not_percent)),
        (None, Some("39%"), 10, Ok((0, 3))),
        (Some("39%"), None, 10, Ok((4, 0))),
        (None, None, 10, Ok((0, 1))),
    ];
    for (surge, unavailable, desired, want) in rows {
        let s = surge.map(|v| IntOrString::Str(v.into()));
        let u = unavailable.map(|v| IntOrString::Str(v.into()));
        let got = resolve_fenceposts_checked(s.as_ref(), u.as_ref(), desired);
        assert_eq!(
            got,
            want.map_err(String::from),
            "{surge:?} {unavailable:?} of {desired}"
        );
    }
    let one_and_a_half = IntOrString::Str("1.5%".into());
    assert_eq!(
        resolve_fenceposts_checked(Some(&one_and_a_half), None, 10),
        Err("invalid value for IntOrString: invalid value \"1.5%\": strconv.Atoi: parsing \"1.5\": invalid syntax".into())
    );
    // Ints are not scaled or clamped.
    assert_eq!(
        resolve_fenceposts_checked(Some(&IntOrString::Int(3)), Some(&IntOrString::Int(0)), 2),
        Ok((3, 0))
    );
}

#[test]
fn max_unavailable_table() {
    // TestMaxUnavailable.
    assert_eq!(
        max_unavailable(rolling(int(1), int(1)), 10),
        1,
        "maxUnavailable less than replicas"
    );
    assert_eq!(
        max_unavailable(rolling(int(1), int(10)), 10),
        10,
        "maxUnavailable equal replicas"
    );
    assert_eq!(
        max_unavailable(rolling(int(0), int(1)), 0),
        0,
        "zero replicas"
    );
    assert_eq!(max_unavailable(Strategy::Recreate, 10), 0, "recreate");
    assert_eq!(
        max_unavailable(rolling(int(0), int(10)), 3),
        3,
        "maxUnavailable greater than replicas"
    );
    assert_eq!(
        max_unavailable(rolling(pct(0), pct(30)), 10),
        3,
        "percentage maxUnavailable"
    );
    assert_eq!(min_available(rolling(pct(25), pct(25)), 10), 8);
    assert_eq!(min_available(Strategy::Recreate, 10), 0);
}

#[test]
fn new_rs_new_replicas_table() {
    // TestNewRSNewReplicas: allRSs = [new, another at 5].
    let case = |strategy, dep, new| new_rs_new_replicas(strategy, dep, new + 5, new);
    assert_eq!(
        case(rolling(int(1), int(0)), 1, 5),
        5,
        "can not scale up - to newRSReplicas"
    );
    assert_eq!(
        case(rolling(int(10), int(0)), 6, 2),
        6,
        "scale up - to depReplicas"
    );
    assert_eq!(
        case(Strategy::Recreate, 3, 1),
        3,
        "recreate - to depReplicas"
    );
}

#[test]
fn reconcile_new_replica_set_table() {
    // TestDeploymentController_reconcileNewReplicaSet (maxUnavailable 0).
    let cases = [
        (10, 0, 10, 0, None),
        (10, 2, 10, 0, Some(2)),
        (10, 2, 5, 0, Some(7)),
        (10, 2, 10, 2, None),
        (10, 2, 2, 11, Some(10)),
    ];
    for (replicas, surge, old, new, expected) in cases {
        let new_rs = rs(1, "foo-v2", new, 0);
        let all = [new_rs.clone(), rs(2, "foo-v1", old, 0)];
        assert_eq!(
            reconcile_new_replica_set(rolling(int(surge), int(0)), replicas, &all, &new_rs),
            expected,
            "{replicas} {surge} {old} {new}"
        );
    }
}

#[test]
fn reconcile_old_replica_sets_table() {
    // TestDeploymentController_reconcileOldReplicaSets (maxSurge 0).
    let cases = [
        (10, 0, 10, 0, 10, 0, Some(9)),
        (10, 2, 10, 0, 10, 0, Some(8)),
        (10, 2, 10, 0, 8, 0, Some(8)),
        (10, 2, 10, 0, 9, 0, Some(8)),
        (10, 2, 8, 2, 8, 0, None),
    ];
    for (replicas, unavail, old, new, old_ready, new_ready, expected) in cases {
        let old_rs = [with_available(rs(1, "foo-old", old, 0), old_ready)];
        let new_rs = with_available(rs(2, "foo-new", new, 0), new_ready);
        let actions =
            reconcile_old_replica_sets(rolling(int(0), int(unavail)), replicas, &old_rs, &new_rs);
        assert_eq!(
            actions.last().map(|a| a.to),
            expected,
            "{replicas} {unavail} {old} {new} {old_ready}"
        );
    }
}

#[test]
fn cleanup_unhealthy_replicas_table() {
    // TestDeploymentController_cleanupUnhealthyReplicas: (old, ready, maxCleanup) → cleaned.
    for (old, ready, max_cleanup, expected) in
        [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)]
    {
        let mut olds = [with_available(rs(1, "foo-v2", old, 0), ready)];
        let done = cleanup_unhealthy_replicas(&mut olds, max_cleanup);
        assert_eq!(old - olds[0].replicas, expected);
        assert_eq!(done.actions.len(), usize::from(expected > 0));
        assert_eq!(done.error, None);
    }
}

#[test]
fn cleanup_refuses_to_scale_an_old_replica_set_up() {
    // Status still counting 18 available after the spec went to 16: upstream's error, and
    // nothing written from that ReplicaSet on (earlier ones stay written).
    let mut olds = [
        with_available(rs(1, "foo-v1", 4, 0), 2),
        with_available(rs(2, "foo-v2", 16, 1), 18),
    ];
    let done = cleanup_unhealthy_replicas(&mut olds, 5);
    assert_eq!(done.actions, [ScaleAction { key: 1, to: 2 }]);
    assert_eq!(
        done.error.as_deref(),
        Some(
            "when cleaning up unhealthy replicas, got invalid request to scale down foo-v2 16 -> 18"
        )
    );
    assert_eq!(olds[1].replicas, 16);
}

#[test]
fn scale_down_old_replica_sets_for_rolling_update_table() {
    // TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate (maxSurge 0).
    for (replicas, unavail, ready, old, expected) in [
        (10, 0, 10, 10, Some(9)),
        (10, 2, 10, 10, Some(8)),
        (10, 2, 8, 10, None),
        (10, 2, 10, 0, None),
        (10, 2, 1, 10, None),
    ] {
        let mut olds = [with_available(rs(1, "foo-v2", old, 0), ready)];
        let all = olds.clone();
        let actions = scale_down_old_replica_sets_for_rolling_update(
            rolling(int(0), int(unavail)),
            replicas,
            &all,
            &mut olds,
        );
        assert_eq!(actions.last().map(|a| a.to), expected);
    }
}

#[test]
fn rolling_go_comment_worked_example() {
    // 10 replicas, maxSurge 3, maxUnavailable 2: new RS at 5 crash-looping, old at 8:
    // 13 − 8 − 5 = 0, so nothing more is scaled down even if old pods become unavailable.
    let strategy = rolling(int(3), int(2));
    let old = [with_available(rs(1, "old", 8, 0), 7)];
    let new = with_available(rs(2, "new", 5, 10), 0);
    assert!(reconcile_old_replica_sets(strategy, 10, &old, &new).is_empty());
    // After rolling back, the crash-looping RS is old (5, none available) and the good one is
    // new with 1 unavailable: 13 − 8 − 1 = 4 unhealthy pods are cleaned up.
    let old = [with_available(rs(2, "bad", 5, 10), 0)];
    let new = with_available(rs(1, "good", 8, 0), 7);
    let actions = reconcile_old_replica_sets(strategy, 10, &old, &new);
    assert_eq!(actions, vec![ScaleAction { key: 2, to: 1 }]);
}

/// Runs `scale` as TestScale does: annotations from the old Deployment size and surge.
fn run_scale(
    replicas: i32,
    strategy: Strategy,
    old_replicas: i32,
    old_strategy: Strategy,
    new: Option<RsSnapshot>,
    olds: Vec<RsSnapshot>,
) -> Vec<i32> {
    let annotate = |mut r: RsSnapshot| {
        r.desired_annotation = Some(old_replicas);
        r.max_annotation = Some(old_replicas + max_surge(old_strategy, old_replicas));
        r
    };
    let new = new.map(annotate);
    let olds: Vec<RsSnapshot> = olds.into_iter().map(annotate).collect();
    let actions = scale(strategy, replicas, 0, new.as_ref(), &olds);
    let size = |r: &RsSnapshot| {
        actions
            .iter()
            .rev()
            .find(|a| a.key == r.key)
            .map_or(r.replicas, |a| a.to)
    };
    new.iter().chain(olds.iter()).map(size).collect()
}

#[test]
fn proportional_scaling_table() {
    // TestScale: upstream's test Deployment defaults to maxSurge 0 / maxUnavailable 0.
    // Timestamps: new 2h, old 1h, older 0h.
    let d = rolling(int(0), int(0));
    let (new_t, old_t, older_t) = (7200, 3600, 0);
    type Case = (&'static str, i32, i32, Option<i32>, Vec<i32>, Vec<i32>);
    let cases: Vec<Case> = vec![
        (
            "normal scaling event: 10 -> 12",
            12,
            10,
            Some(10),
            vec![],
            vec![12],
        ),
        (
            "normal scaling event: 10 -> 5",
            5,
            10,
            Some(10),
            vec![],
            vec![5],
        ),
        (
            "proportional scaling: 5 -> 10",
            10,
            5,
            Some(2),
            vec![3],
            vec![4, 6],
        ),
        (
            "proportional scaling: 5 -> 3",
            3,
            5,
            Some(2),
            vec![3],
            vec![1, 2],
        ),
        (
            "proportional scaling: 9 -> 4",
            4,
            9,
            Some(8),
            vec![1],
            vec![4, 0],
        ),
        (
            "proportional scaling: 7 -> 10",
            10,
            7,
            Some(2),
            vec![3, 2],
            vec![3, 4, 3],
        ),
        (
            "proportional scaling: 13 -> 8",
            8,
            13,
            Some(2),
            vec![8, 3],
            vec![1, 5, 2],
        ),
        (
            "leftover distribution: 3 -> 4",
            4,
            3,
            Some(1),
            vec![1, 1],
            vec![2, 1, 1],
        ),
        (
            "leftover distribution: 3 -> 2",
            2,
            3,
            Some(1),
            vec![1, 1],
            vec![1, 1, 0],
        ),
        (
            "proportional scaling (no new rs): 4 -> 5",
            5,
            4,
            None,
            vec![2, 2],
            vec![3, 2],
        ),
        (
            "proportional scaling: 6 -> 0",
            0,
            6,
            Some(3),
            vec![2, 1],
            vec![0, 0, 0],
        ),
        (
            "proportional scaling: 0 -> 6",
            6,
            6,
            Some(0),
            vec![0, 0],
            vec![6, 0, 0],
        ),
    ];
    for (name, replicas, old_replicas, new, olds, expected) in cases {
        let times = [old_t, older_t];
        let new = new.map(|n| rs(0, "foo-new", n, new_t));
        let olds = olds
            .iter()
            .enumerate()
            .map(|(i, n)| rs(i as u32 + 1, &format!("foo-v{}", 2 - i), *n, times[i]))
            .collect();
        assert_eq!(
            run_scale(replicas, d, old_replicas, d, new, olds),
            expected,
            "{name}"
        );
    }
}

#[test]
fn proportional_scaling_with_surge_changes() {
    // TestScale "deployment with surge pods": 10 → 20, maxSurge 2.
    let s2 = rolling(int(2), int(0));
    assert_eq!(
        run_scale(
            20,
            s2,
            10,
            s2,
            Some(rs(0, "foo-v2", 6, 7200)),
            vec![rs(1, "foo-v1", 6, 3600)]
        ),
        vec![11, 11]
    );
    // "change both surge and size": 10 (surge 3) → 50 (surge 6).
    let (s3, s6) = (rolling(int(3), int(0)), rolling(int(6), int(0)));
    assert_eq!(
        run_scale(
            50,
            s6,
            10,
            s3,
            Some(rs(0, "foo-v2", 5, 7200)),
            vec![rs(1, "foo-v1", 8, 3600)]
        ),
        vec![22, 34]
    );
    // "saturated but broken new replica set does not affect old pods".
    let s11 = rolling(int(1), int(1));
    let broken = with_available(rs(0, "foo-v2", 2, 7200), 0);
    assert_eq!(
        run_scale(2, s11, 2, s11, Some(broken), vec![rs(1, "foo-v1", 1, 3600)]),
        vec![2, 1]
    );
}

#[test]
fn docs_stuck_rollout_scaled_to_fifteen() {
    // Docs: 10 replicas, surge 3, unavailable 2, new 5 / old 8 all annotated max 13 → 15: old 11, new 7.
    let d = rolling(int(3), int(2));
    assert_eq!(
        run_scale(
            15,
            d,
            10,
            d,
            Some(with_available(rs(0, "new", 5, 10), 0)),
            vec![rs(1, "old", 8, 0)]
        ),
        vec![7, 11]
    );
}

#[test]
fn replica_set_fraction_guards_against_zero() {
    let mut r = rs(1, "a", 4, 0);
    assert_eq!(
        get_replica_set_fraction(&r, 0, 1, 10),
        -4,
        "scaling to zero removes everything"
    );
    r.max_annotation = Some(0);
    assert_eq!(
        get_replica_set_fraction(&r, 10, 2, 0),
        0,
        "annotation 0 and no status: no division by zero"
    );
    assert_eq!(
        get_replica_set_fraction(&r, 10, 2, 8),
        2,
        "falls back to status.replicas: round(4*12/8) - 4"
    );
}

fn status(
    replicas: i32,
    updated: i32,
    ready: i32,
    available: i32,
    observed: i64,
) -> DeploymentStatus {
    DeploymentStatus {
        replicas,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        observed_generation: observed,
        ..Default::default()
    }
}

#[test]
fn deployment_complete_table() {
    // TestDeploymentComplete (replicas 5, generation 1).
    assert!(
        !deployment_complete(5, 1, &status(5, 5, 5, 4, 1)),
        "min but not all pods available"
    );
    assert!(
        !deployment_complete(5, 1, &status(5, 4, 4, 4, 1)),
        "not all updated"
    );
    assert!(
        deployment_complete(5, 1, &status(5, 5, 5, 5, 1)),
        "complete"
    );
    assert!(
        !deployment_complete(5, 2, &status(5, 5, 5, 5, 1)),
        "latest generation not observed"
    );
    assert!(
        !deployment_complete(5, 1, &status(6, 5, 5, 5, 1)),
        "old pods still around"
    );
}

#[test]
fn deployment_progressing_table() {
    // TestDeploymentProgressing.
    let old = status(10, 4, 4, 3, 1);
    assert!(
        deployment_progressing(&old, &status(10, 5, 4, 3, 1)),
        "updated increased"
    );
    assert!(
        deployment_progressing(&old, &status(9, 4, 4, 3, 1)),
        "old pods decreased"
    );
    assert!(
        deployment_progressing(&old, &status(10, 4, 5, 3, 1)),
        "ready increased"
    );
    assert!(
        deployment_progressing(&old, &status(10, 4, 4, 4, 1)),
        "available increased"
    );
    assert!(
        !deployment_progressing(&old, &status(10, 4, 4, 3, 1)),
        "no change"
    );
    assert!(
        !deployment_progressing(&old, &status(11, 4, 3, 2, 1)),
        "more old pods, less ready"
    );
}

#[test]
fn deployment_timed_out_table() {
    // TestDeploymentTimedOut: deadline 10 s, condition last updated at t=0.
    let with_reason = |reason: &'static str| {
        let mut s = DeploymentStatus::default();
        s.conditions.push(Condition {
            kind: "Progressing",
            status: ConditionStatus::True,
            reason,
            message: String::new(),
            last_update: SimTime::ZERO,
            last_transition: SimTime::ZERO,
        });
        s
    };
    let s = with_reason("ReplicaSetUpdated");
    assert!(
        !deployment_timed_out(Some(10), &s, SimTime::from_secs(9)),
        "9 s in"
    );
    assert!(
        !deployment_timed_out(Some(10), &s, SimTime::from_secs(10)),
        "exactly at the deadline: strict"
    );
    assert!(
        deployment_timed_out(Some(10), &s, SimTime::from_secs(11)),
        "past the deadline"
    );
    assert!(
        !deployment_timed_out(None, &s, SimTime::from_secs(100)),
        "no deadline"
    );
    assert!(
        !deployment_timed_out(
            Some(10),
            &with_reason("NewReplicaSetAvailable"),
            SimTime::from_secs(100)
        ),
        "complete"
    );
    assert!(
        deployment_timed_out(
            Some(10),
            &with_reason("ProgressDeadlineExceeded"),
            SimTime::from_secs(1)
        ),
        "already timed out"
    );
    assert!(
        !deployment_timed_out(
            Some(10),
            &DeploymentStatus::default(),
            SimTime::from_secs(100)
        ),
        "no condition"
    );
}
