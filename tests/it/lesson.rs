//! The seed lesson replays as the lesson describes it.

#[test]
fn the_lesson_rolls_v1_to_v2_in_the_steps_the_lesson_describes() {
    let (c, _) = rollsim::lesson::play(42).expect("lesson plays");
    let msgs: Vec<String> = c
        .recorder
        .events_for("deployment", "ngx-dep")
        .filter(|e| e.reason == "ScalingReplicaSet")
        .map(|e| e.message.clone())
        .collect();
    let msgs = crate::common::by_revision(&c, "ngx-dep", msgs);
    assert_eq!(
        msgs,
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
}

#[test]
fn the_lesson_is_byte_identical_for_a_seed() {
    let (a, la) = rollsim::lesson::play(7).unwrap();
    let (b, lb) = rollsim::lesson::play(7).unwrap();
    assert_eq!(la, lb);
    assert_eq!(a.trace_digest(), b.trace_digest());
}
