//! Whole rollouts against upstream's documented behaviour.

use crate::common::*;
use rollsim::sim::SimTime;

#[test]
fn three_replicas_default_strategy_alternate_one_up_one_down() {
    let mut c = cluster(1, 3, constant_timing());
    apply(&mut c, &deployment_yaml("web", 3, "nginx:1.14.2", "", ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    apply(&mut c, &deployment_yaml("web", 3, "nginx:1.16.1", "", ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(1200)));
    let msgs = by_revision(&c, "web", scaling_messages(&c, "web"));
    assert_eq!(
        msgs,
        vec![
            "Scaled up replica set v1 from 0 to 3",
            "Scaled up replica set v2 from 0 to 1",
            "Scaled down replica set v1 from 3 to 2",
            "Scaled up replica set v2 from 1 to 2",
            "Scaled down replica set v1 from 2 to 1",
            "Scaled up replica set v2 from 2 to 3",
            "Scaled down replica set v1 from 1 to 0",
        ]
    );
}

#[test]
fn ten_replicas_surge_three_unavailable_two_create_and_cut_in_one_sync() {
    let mut c = cluster(1, 3, constant_timing());
    let strategy = rolling("3", "2");
    apply(
        &mut c,
        &deployment_yaml("web", 10, "nginx:1", &strategy, ""),
    );
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    apply(
        &mut c,
        &deployment_yaml("web", 10, "nginx:2", &strategy, ""),
    );
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(1200)));
    let events: Vec<_> = c
        .recorder
        .events_for("deployment", "web")
        .filter(|e| e.reason == "ScalingReplicaSet")
        .cloned()
        .collect();
    let msgs = by_revision(
        &c,
        "web",
        events.iter().map(|e| e.message.clone()).collect(),
    );
    assert_eq!(msgs[1], "Scaled up replica set v2 from 0 to 3");
    assert_eq!(msgs[2], "Scaled down replica set v1 from 10 to 8");
    assert_eq!(
        events[1].time, events[2].time,
        "creation and first cut happen in the same sync"
    );
}
