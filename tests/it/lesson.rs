//! The seed lesson replays as the lesson describes it.

use rollsim::play::{PlayOptions, play};

fn lesson(seed: u64) -> rollsim::play::Session {
    let scenario = rollsim::lesson::scenario(1_000_000).expect("the built-in lesson parses");
    play(
        &scenario,
        PlayOptions {
            seed: Some(seed),
            ..Default::default()
        },
    )
}

#[test]
fn the_lesson_rolls_v1_to_v2_in_the_steps_the_lesson_describes() {
    let s = lesson(42);
    assert_eq!(
        s.unexpected_failures(),
        0,
        "{}",
        rollsim::report::transcript(&s)
    );
    let c = &s.cluster;
    let msgs: Vec<String> = c
        .recorder
        .events_for("deployment", ("default", "ngx-dep"))
        .filter(|e| e.reason == "ScalingReplicaSet")
        .map(|e| e.message.clone())
        .collect();
    let msgs = crate::common::by_revision(c, "ngx-dep", msgs);
    // v1 → v2 as the lesson's `describe deploy` shows it; undo and v3 follow the same shape.
    assert_eq!(
        msgs[..7],
        [
            "Scaled up replica set v1 from 0 to 4",
            "Scaled up replica set v2 from 0 to 1",
            "Scaled down replica set v1 from 4 to 3",
            "Scaled up replica set v2 from 1 to 2",
            "Scaled down replica set v1 from 3 to 1",
            "Scaled up replica set v2 from 2 to 4",
            "Scaled down replica set v1 from 1 to 0",
        ]
    );
    let rollouts = &s.rollouts["ngx-dep"];
    assert_eq!(
        rollouts.iter().map(|r| r.revision).collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "v1, v2, undo to v1 (revision 3), v3"
    );
    for r in &rollouts[1..] {
        assert!(r.end.is_some(), "every rollout completes");
        assert!(
            r.min_available >= 3,
            "never below replicas - maxUnavailable"
        );
        assert!(r.max_pods_spec <= 5, "never above replicas + maxSurge");
    }
}

#[test]
fn the_lesson_is_byte_identical_for_a_seed() {
    let (a, b) = (lesson(7), lesson(7));
    assert_eq!(
        rollsim::report::transcript(&a),
        rollsim::report::transcript(&b)
    );
    assert_eq!(rollsim::report::pods_csv(&a), rollsim::report::pods_csv(&b));
    assert_eq!(a.cluster.trace_digest(), b.cluster.trace_digest());
    assert_ne!(
        lesson(8).cluster.trace_digest(),
        a.cluster.trace_digest(),
        "another seed replays differently"
    );
}
