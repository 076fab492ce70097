//! Upstream's tables for the status and clean-up decisions, every row: `TestSyncRolloutStatus`
//! and `TestRequeueStuckDeployment` (`progress_test.go`), `TestDeploymentComplete`,
//! `TestDeploymentProgressing`, `TestDeploymentTimedOut` (`deployment_util_test.go`),
//! `TestDeploymentController_cleanupDeployment` and `..._cleanupDeploymentOrder`
//! (`sync_test.go`), `TestOldPodsRunning` (`recreate_test.go`).

use super::*;
use crate::model::{Condition, ConditionStatus, PodPhase};

/// Upstream's `testTime` (2017-02-15T18:49:00Z) as a virtual time: long before `now`.
const TEST_TIME: SimTime = SimTime::from_secs(1_000);
/// The tests' own "now": well past `TEST_TIME` plus the 60 s deadline.
const NOW: SimTime = SimTime::from_secs(5_000);

fn progressing(status: ConditionStatus, reason: &'static str, at: SimTime) -> Condition {
    Condition {
        kind: "Progressing",
        status,
        reason,
        message: String::new(),
        last_update: at,
        last_transition: at,
    }
}

/// `currentDeployment`'s status: `newDeploymentStatus(replicas, updated, available)`.
fn dstatus(replicas: i32, updated: i32, available: i32, conds: Vec<Condition>) -> DeploymentStatus {
    DeploymentStatus {
        replicas,
        updated_replicas: updated,
        available_replicas: available,
        conditions: conds,
        ..Default::default()
    }
}

/// `currentDeployment(pds, replicas, ...)`: Recreate strategy (maxUnavailable 0), generation 0.
fn subject(pds: Option<i32>, replicas: i32, status: &DeploymentStatus) -> RolloutSubject<'_> {
    RolloutSubject {
        name: "progress-test",
        replicas,
        strategy: Strategy::Recreate,
        generation: 0,
        progress_deadline_seconds: pds,
        status,
    }
}

/// `newRSWithAvailable(name, spec, statusReplicas, available)`.
fn rs(spec: i32, replicas: i32, available: i32) -> RsCounts {
    RsCounts {
        spec_replicas: spec,
        replicas,
        available,
        ..Default::default()
    }
}

#[test]
fn sync_rollout_status_table() {
    use ConditionStatus::{False, True};
    let updated = || vec![progressing(True, "ReplicaSetUpdated", TEST_TIME)];
    let timed_out = || {
        vec![progressing(
            False,
            "ProgressDeadlineExceeded",
            SimTime::ZERO,
        )]
    };
    let available = || vec![progressing(True, "NewReplicaSetAvailable", TEST_TIME)];
    // (name, pds, spec, status (rep, upd, avail), conditions, old RSs, new RS,
    //  expected Progressing (status, reason, last transition) or none)
    type Row = (
        &'static str,
        Option<i32>,
        i32,
        (i32, i32, i32),
        Vec<Condition>,
        Vec<RsCounts>,
        Option<RsCounts>,
        Option<(ConditionStatus, &'static str, SimTime)>,
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("no deadline: Progressing removed", None, 3, (2, 2, 2), updated(), vec![rs(0, 1, 1)], Some(rs(3, 2, 2)), None),
        ("one active ReplicaSet: not estimated", Some(60), 3, (3, 3, 3), available(), vec![rs(3, 3, 3)], None, Some((True, "NewReplicaSetAvailable", TEST_TIME))),
        ("progressing keeps lastTransitionTime", Some(60), 3, (2, 2, 2), updated(), vec![rs(0, 1, 1)], Some(rs(3, 2, 2)), Some((True, "ReplicaSetUpdated", TEST_TIME))),
        ("progressing after False updates everything", Some(60), 3, (2, 2, 2), timed_out(), vec![rs(0, 1, 1)], Some(rs(3, 2, 2)), Some((True, "ReplicaSetUpdated", NOW))),
        ("progressing creates the condition", Some(60), 3, (2, 2, 2), vec![], vec![rs(0, 1, 1)], Some(rs(3, 2, 2)), Some((True, "ReplicaSetUpdated", NOW))),
        ("complete keeps lastTransitionTime", Some(60), 3, (3, 3, 3), updated(), vec![], Some(rs(3, 3, 3)), Some((True, "NewReplicaSetAvailable", TEST_TIME))),
        ("complete after False updates everything", Some(60), 3, (3, 3, 3), timed_out(), vec![], Some(rs(3, 3, 3)), Some((True, "NewReplicaSetAvailable", NOW))),
        ("complete creates the condition", Some(60), 3, (3, 3, 3), vec![], vec![], Some(rs(3, 3, 3)), Some((True, "NewReplicaSetAvailable", NOW))),
        ("complete without a new ReplicaSet", Some(60), 0, (3, 3, 3), updated(), vec![rs(0, 0, 0)], None, Some((True, "NewReplicaSetAvailable", TEST_TIME))),
        ("timed out", Some(60), 3, (2, 2, 2), updated(), vec![], Some(rs(3, 2, 2)), Some((False, "ProgressDeadlineExceeded", NOW))),
        ("already timed out: unchanged", Some(60), 3, (2, 2, 2), timed_out(), vec![], Some(rs(3, 2, 2)), Some((False, "ProgressDeadlineExceeded", SimTime::ZERO))),
    ];
    for (name, pds, spec, (r, u, a), conds, mut all, new_rs, want) in rows {
        let status = dstatus(r, u, a, conds);
        let d = subject(pds, spec, &status);
        all.extend(new_rs);
        let new = sync_rollout_status(&d, &all, new_rs.as_ref().map(|c| ("foo", c)), NOW);
        let got = new
            .condition("Progressing")
            .map(|c| (c.status, c.reason, c.last_transition));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn sync_rollout_status_messages_name_the_new_replica_set_or_the_deployment() {
    let status = dstatus(2, 2, 2, vec![]);
    let d = subject(Some(60), 3, &status);
    let new = sync_rollout_status(&d, &[rs(3, 2, 3)], Some(("foo", &rs(3, 2, 3))), NOW);
    let cond = new.condition("Progressing").expect("Progressing");
    assert_eq!(cond.message, "ReplicaSet \"foo\" is progressing.");
    let status = dstatus(3, 3, 3, vec![]);
    let d = subject(Some(60), 0, &status);
    let new = sync_rollout_status(&d, &[rs(0, 0, 0)], None, NOW);
    let cond = new.condition("Progressing").expect("Progressing");
    assert_eq!(
        cond.message,
        "Deployment \"progress-test\" has successfully progressed."
    );
    let available = new.condition("Available").expect("Available");
    assert_eq!(available.reason, "MinimumReplicasAvailable");
}

#[test]
fn requeue_stuck_deployment_table() {
    // The stuck condition was last updated at TEST_TIME; the deadline is 60 s.
    let failed = || {
        vec![progressing(
            ConditionStatus::False,
            "ProgressDeadlineExceeded",
            SimTime::ZERO,
        )]
    };
    let stuck = || vec![progressing(ConditionStatus::True, "", TEST_TIME)];
    let at = |ms: u64| TEST_TIME.plus_ms(ms);
    // (name, pds, replicas, status (rep, upd, avail), conditions, now, expected)
    type Row = (
        &'static str,
        Option<i32>,
        i32,
        (i32, i32, i32),
        Vec<Condition>,
        SimTime,
        Requeue,
    );
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("nil progressDeadlineSeconds", None, 4, (3, 3, 2), vec![], NOW, Requeue::Never),
        ("infinite progressDeadlineSeconds", Some(i32::MAX), 4, (3, 3, 2), vec![], NOW, Requeue::Never),
        ("no progressing condition", Some(60), 4, (3, 3, 2), vec![], NOW, Requeue::Never),
        ("complete deployment", Some(60), 3, (3, 3, 3), vec![], NOW, Requeue::Never),
        ("already failed deployment", Some(60), 3, (3, 3, 0), failed(), NOW, Requeue::Never),
        ("stuck deployment - 30s", Some(60), 3, (3, 3, 1), stuck(), at(30_000), Requeue::After { after_ms: 30_000 }),
        ("stuck deployment - 1s", Some(60), 3, (3, 3, 1), stuck(), at(59_000), Requeue::After { after_ms: 1_000 }),
        // Upstream's row is one nanosecond past 59 s; a millisecond is the clock's grain.
        ("less than a second => now", Some(60), 3, (3, 3, 1), stuck(), at(59_001), Requeue::RateLimited),
        ("failed deployment - now", Some(60), 3, (3, 3, 1), stuck(), at(60_000), Requeue::RateLimited),
        ("1s after deadline", Some(60), 3, (3, 3, 1), stuck(), at(61_000), Requeue::RateLimited),
        ("60s after deadline", Some(60), 3, (3, 3, 1), stuck(), at(120_000), Requeue::RateLimited),
    ];
    for (name, pds, replicas, (r, u, a), conds, now, want) in rows {
        let status = dstatus(r, u, a, conds);
        let d = subject(pds, replicas, &status);
        let new = dstatus(r, u, a, vec![]);
        assert_eq!(requeue_stuck_deployment(&d, &new, now), want, "{name}");
    }
}

#[test]
fn upstream_deployment_complete_table() {
    // TestDeploymentComplete: (desired, current, updated, available), generation 0.
    let rows = [
        ("min but not all pods available", (5, 5, 5, 4), false),
        ("min availability not honored", (5, 5, 5, 3), false),
        ("complete", (5, 5, 5, 5), true),
        ("all available but not updated", (5, 5, 4, 5), false),
        ("still running old pods", (1, 2, 1, 1), false),
        ("one replica never comes up", (1, 1, 1, 0), false),
    ];
    for (name, (desired, current, updated, available), want) in rows {
        let s = dstatus(current, updated, available, vec![]);
        assert_eq!(deployment_complete(desired, 0, &s), want, "{name}");
    }
}

#[test]
fn upstream_deployment_progressing_table() {
    // TestDeploymentProgressing: old and new (replicas, updated, ready, available).
    let st = |(r, u, ready, a): (i32, i32, i32, i32)| DeploymentStatus {
        ready_replicas: ready,
        ..dstatus(r, u, a, vec![])
    };
    let rows = [
        ("updated pods", (10, 4, 4, 4), (10, 6, 4, 4), true),
        ("not progressing", (10, 4, 4, 4), (10, 4, 4, 4), false),
        ("old pods removed", (10, 4, 6, 6), (8, 4, 6, 6), true),
        ("less new pods", (10, 7, 3, 3), (10, 6, 3, 3), false),
        (
            "less overall but more new pods",
            (10, 4, 7, 7),
            (8, 8, 5, 5),
            true,
        ),
        ("more ready pods", (10, 10, 9, 8), (10, 10, 10, 8), true),
        (
            "more available pods",
            (10, 10, 10, 9),
            (10, 10, 10, 10),
            true,
        ),
    ];
    for (name, old, new, want) in rows {
        assert_eq!(deployment_progressing(&st(old), &st(new)), want, "{name}");
    }
}

#[test]
fn upstream_deployment_timed_out_table() {
    // TestDeploymentTimedOut: the condition last updated at `from`, checked at 00:01:20.
    let t = |min: u64, sec: u64| SimTime::from_secs(min * 60 + sec);
    let rows = [
        ("nil deadline", "", None, t(1, 9), t(1, 20), false),
        (
            "infinite deadline",
            "",
            Some(i32::MAX),
            t(1, 9),
            t(1, 20),
            false,
        ),
        (
            "10 s deadline, 11 s since",
            "",
            Some(10),
            t(1, 9),
            t(1, 20),
            true,
        ),
        (
            "10 s deadline, 9 s since",
            "",
            Some(10),
            t(1, 11),
            t(1, 20),
            false,
        ),
        (
            "previously complete",
            "NewReplicaSetAvailable",
            None,
            SimTime::ZERO,
            t(1, 20),
            false,
        ),
    ];
    for (name, reason, pds, from, now, want) in rows {
        let s = dstatus(
            0,
            0,
            0,
            vec![progressing(ConditionStatus::True, reason, from)],
        );
        assert_eq!(deployment_timed_out(pds, &s, now), want, "{name}");
    }
}

fn candidate(key: u32, spec: i32, status: i32, revision: i64, created: u64) -> CleanupCandidate {
    CleanupCandidate {
        key,
        name: format!("foo-{key}"),
        revision,
        created: SimTime::from_secs(created),
        spec_replicas: spec,
        status_replicas: status,
        generation: 0,
        observed_generation: 0,
        deleting: false,
    }
}

#[test]
fn cleanup_deployment_table() {
    // TestDeploymentController_cleanupDeployment: (spec, status.replicas) per foo-N, all
    // created at the same instant with no revision, so name order decides.
    let sets = |specs: &[(i32, i32)]| -> Vec<CleanupCandidate> {
        specs
            .iter()
            .enumerate()
            .map(|(i, &(spec, status))| candidate(i as u32 + 1, spec, status, 0, 0))
            .collect()
    };
    let already_deleted = CleanupCandidate {
        deleting: true,
        ..candidate(1, 0, 0, 0, 0)
    };
    type Row = (&'static str, Vec<CleanupCandidate>, Option<i32>, Vec<u32>);
    let rows: Vec<Row> = vec![
        (
            "three empty, limit 1",
            sets(&[(0, 0), (0, 0), (0, 0)]),
            Some(1),
            vec![1, 2],
        ),
        (
            "only spec = status = 0",
            sets(&[(0, 0), (0, 1), (1, 0), (1, 1)]),
            Some(0),
            vec![1],
        ),
        (
            "two empty, limit 0",
            sets(&[(0, 0), (0, 0)]),
            Some(0),
            vec![1, 2],
        ),
        (
            "two with replicas",
            sets(&[(1, 1), (1, 1)]),
            Some(0),
            vec![],
        ),
        ("already deleted", vec![already_deleted], Some(0), vec![]),
        (
            "unlimited history",
            sets(&[(0, 0), (0, 0), (0, 0)]),
            Some(i32::MAX),
            vec![],
        ),
        ("no limit", sets(&[(0, 0), (0, 0), (0, 0)]), None, vec![]),
    ];
    for (name, old, limit, want) in rows {
        assert_eq!(cleanup_deployment(limit, &old), want, "{name}");
    }
}

#[test]
fn cleanup_deployment_order_table() {
    // TestDeploymentController_cleanupDeploymentOrder: (replicas, revision) per foo-N,
    // created 60 s apart; revision first, creation on a tie.
    let sets = |rows: &[(i32, i64)]| -> Vec<CleanupCandidate> {
        rows.iter()
            .enumerate()
            .map(|(i, &(replicas, rev))| {
                candidate(i as u32 + 1, replicas, replicas, rev, 60 * i as u64)
            })
            .collect()
    };
    let rows: Vec<(Vec<CleanupCandidate>, i32, Vec<u32>)> = vec![
        (sets(&[(0, 1), (0, 2)]), 1, vec![1]),
        (sets(&[(0, 2), (0, 1)]), 1, vec![2]),
        (sets(&[(0, 1), (0, 0)]), 1, vec![2]),
        (sets(&[(0, 0), (0, 2)]), 1, vec![1]),
        (sets(&[(1, 1), (0, 2), (0, 3)]), 1, vec![2]),
        (sets(&[(1, 1), (1, 2), (0, 3)]), 1, vec![]),
        (sets(&[(0, 3), (0, 1), (0, 4), (0, 2)]), 2, vec![2, 4]),
    ];
    for (i, (old, limit, want)) in rows.into_iter().enumerate() {
        assert_eq!(cleanup_deployment(Some(limit), &old), want, "row {i}");
    }
}

#[test]
fn cleanup_skips_replica_sets_with_unobserved_changes() {
    let busy = CleanupCandidate {
        generation: 2,
        observed_generation: 1,
        ..candidate(1, 0, 0, 1, 0)
    };
    assert_eq!(cleanup_deployment(Some(0), &[busy]), Vec::<u32>::new());
}

#[test]
fn old_pods_running_table() {
    // TestOldPodsRunning: old ReplicaSets' status.replicas and the phases of their pods.
    use PodPhase::*;
    let rows: Vec<(&str, Vec<i32>, Vec<PodPhase>, bool)> = vec![
        ("no old ReplicaSets", vec![], vec![], false),
        // Upstream's pods there have no phase set, which counts as running.
        (
            "old ReplicaSets with running pods",
            vec![0, 0],
            vec![Pending; 4],
            true,
        ),
        ("no pods, non-zero status replicas", vec![1], vec![], true),
        ("no pods, zero status replicas", vec![0], vec![], false),
        (
            "terminal pods only",
            vec![0],
            vec![Failed, Succeeded],
            false,
        ),
        ("a pod in unknown phase", vec![0], vec![Unknown], true),
        ("a pending pod", vec![0], vec![Pending], true),
        ("a running pod", vec![0], vec![Running], true),
        (
            "terminal pods and a pending one",
            vec![0],
            vec![Failed, Succeeded, Pending],
            true,
        ),
    ];
    for (name, replicas, phases, want) in rows {
        assert_eq!(old_pods_running(&replicas, phases), want, "{name}");
    }
}
