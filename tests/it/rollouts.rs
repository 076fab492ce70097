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
        .events_for("deployment", ("default", "web"))
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

#[test]
fn recreate_stops_every_old_pod_before_the_first_new_one_is_created() {
    let mut c = cluster(3, 3, constant_timing());
    let strategy = "  strategy:\n    type: Recreate\n";
    apply(&mut c, &deployment_yaml("web", 4, "nginx:1", strategy, ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    apply(&mut c, &deployment_yaml("web", 4, "nginx:2", strategy, ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(1200)));
    let (id, d) = c.store.deployment_by_name("default", "web").unwrap();
    let (old, new) = (d.replica_sets[0], d.replica_sets[1]);
    let _ = id;
    let last_old_gone = c
        .store
        .pods
        .iter()
        .filter(|p| p.owner == old)
        .filter_map(|p| p.times.gone)
        .max()
        .unwrap();
    let first_new = c
        .store
        .pods
        .iter()
        .filter(|p| p.owner == new)
        .map(|p| p.created_at)
        .min()
        .unwrap();
    assert!(
        last_old_gone <= first_new,
        "old gone at {last_old_gone}, new created at {first_new}"
    );
    let msgs = by_revision(&c, "web", scaling_messages(&c, "web"));
    assert_eq!(
        msgs[1..],
        [
            "Scaled down replica set v1 from 4 to 0",
            "Scaled up replica set v2 from 0 to 4"
        ]
    );
}

fn history(c: &rollsim::cluster::Cluster, name: &str) -> Vec<(i64, String)> {
    let (id, _) = c.store.deployment_by_name("default", name).unwrap();
    let mut h: Vec<(i64, String)> = c
        .store
        .replica_sets_of(id)
        .iter()
        .map(|(_, rs)| {
            (
                rs.revision(),
                rs.meta
                    .annotations
                    .get("kubernetes.io/change-cause")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    h.sort();
    h
}

#[test]
fn undo_renumbers_the_reused_replica_set_and_carries_its_change_cause_back() {
    let mut c = cluster(4, 3, constant_timing());
    let cause = |t: &str| format!("  annotations:\n    kubernetes.io/change-cause: {t}\n");
    let with_cause = |image: &str, t: &str| {
        deployment_yaml("web", 3, image, "", "")
            .replace("  name: web\n", &format!("  name: web\n{}", cause(t)))
    };
    for (image, t) in [("nginx:1", "v1"), ("nginx:2", "v2"), ("nginx:3", "v3")] {
        apply(&mut c, &with_cause(image, t));
        let limit = c.now().plus_secs(600);
        assert!(run_until_complete(&mut c, "web", limit));
    }
    assert_eq!(
        c.undo_deployment("default", "web", 0),
        Ok(rollsim::cluster::UndoOutcome::RolledBack)
    );
    let limit = c.now().plus_secs(600);
    assert!(run_until_complete(&mut c, "web", limit));
    assert_eq!(
        history(&c, "web"),
        vec![(1, "v1".into()), (3, "v3".into()), (4, "v2".into())]
    );
    let (id, d) = c.store.deployment_by_name("default", "web").unwrap();
    assert_eq!(d.meta.annotations["deployment.kubernetes.io/revision"], "4");
    assert_eq!(d.meta.annotations["kubernetes.io/change-cause"], "v2");
    let reused = c
        .store
        .replica_sets_of(id)
        .into_iter()
        .find(|(_, rs)| rs.revision() == 4)
        .unwrap()
        .1;
    assert_eq!(
        reused.meta.annotations["deployment.kubernetes.io/revision-history"],
        "2"
    );
    // Undoing to a revision that does not exist fails with kubectl's text.
    assert_eq!(
        c.undo_deployment("default", "web", 9).unwrap_err().0,
        "error: unable to find specified revision 9 in history"
    );
}

#[test]
fn a_paused_deployment_creates_no_new_replica_set_until_resumed() {
    let mut c = cluster(5, 3, constant_timing());
    apply(&mut c, &deployment_yaml("web", 3, "nginx:1", "", ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    assert_eq!(c.set_paused("default", "web", true), Ok(true));
    apply(&mut c, &deployment_yaml("web", 3, "nginx:2", "", ""));
    let t = c.now().plus_secs(300);
    c.run_until(t).unwrap();
    let (_, d) = c.store.deployment_by_name("default", "web").unwrap();
    assert_eq!(d.replica_sets.len(), 1, "no new ReplicaSet while paused");
    assert_eq!(
        d.status.condition("Progressing").map(|p| p.reason),
        Some("DeploymentPaused")
    );
    // Scaling still works while paused.
    c.scale_deployment("default", "web", 5).unwrap();
    let t = c.now().plus_secs(60);
    c.run_until(t).unwrap();
    assert_eq!(
        c.store
            .deployment_by_name("default", "web")
            .unwrap()
            .1
            .status
            .available_replicas,
        5
    );
    assert_eq!(c.set_paused("default", "web", false), Ok(true));
    let limit = c.now().plus_secs(600);
    assert!(run_until_complete(&mut c, "web", limit));
    assert_eq!(
        c.store
            .deployment_by_name("default", "web")
            .unwrap()
            .1
            .replica_sets
            .len(),
        2
    );
}

#[test]
fn max_surge_zero_with_max_unavailable_zero_is_rejected() {
    let mut c = cluster(6, 1, constant_timing());
    let yaml = deployment_yaml("web", 3, "nginx:1", &rolling("0", "0"), "");
    let Ok(ms) = rollsim::model::manifest::parse_manifests(&yaml) else {
        panic!("parses")
    };
    let rollsim::model::manifest::Manifest::Deployment(d) = &ms[0] else {
        panic!("deployment")
    };
    let err = c.apply_deployment("default", d).unwrap_err();
    assert!(err.0.contains("may not be 0 when `maxSurge` is 0"), "{err}");
    assert!(c.store.deployment_by_name("default", "web").is_none());
}

#[test]
fn min_ready_seconds_delays_availability_and_the_rollout() {
    let mut c = cluster(7, 3, constant_timing());
    apply(&mut c, &deployment_yaml("web", 4, "nginx:1", "", ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    let start = c.now();
    apply(
        &mut c,
        &deployment_yaml("web", 4, "nginx:2", "", "  minReadySeconds: 15\n"),
    );
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(1200)));
    let (_, d) = c.store.deployment_by_name("default", "web").unwrap();
    let new = d.replica_sets[1];
    for p in c.store.pods.iter().filter(|p| p.owner == new) {
        // Upstream's IsPodAvailable compares against the Ready condition's
        // lastTransitionTime, which the API stores in whole seconds.
        let (ready, available) = (p.ready_since.unwrap(), p.times.available.unwrap());
        assert_eq!(ready, ready.whole_seconds());
        assert!(ready <= p.times.ready.unwrap());
        assert!(
            available.ms_since(ready) > 15_000,
            "available {available} only {}ms after ready {ready}",
            available.ms_since(ready)
        );
    }
    // 25% of 4 = surge 1 / unavailable 1: two waves of two pods, each waiting > 15 s.
    assert!(c.now().ms_since(start) > 30_000);
}

/// A v2 whose pods fit no node (its nodeSelector matches nothing): the rollout stalls.
fn stuck_v2(name: &str, replicas: i32, strategy: &str, extra: &str) -> String {
    deployment_yaml(name, replicas, "nginx:2", strategy, extra).replace(
        "      containers:\n",
        "      nodeSelector: {disk: none}\n      containers:\n",
    )
}

#[test]
fn a_stalled_rollout_exceeds_its_progress_deadline_about_one_second_late() {
    let mut c = cluster(8, 3, constant_timing());
    let extra = "  progressDeadlineSeconds: 60\n";
    apply(&mut c, &deployment_yaml("web", 3, "nginx:1", "", extra));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    apply(&mut c, &stuck_v2("web", 3, "", extra));
    let t = c.now().plus_secs(120);
    c.run_until(t).unwrap();
    let (_, d) = c.store.deployment_by_name("default", "web").unwrap();
    let p = d.status.condition("Progressing").unwrap();
    assert_eq!(
        (p.status.as_str(), p.reason),
        ("False", "ProgressDeadlineExceeded")
    );
    assert!(
        p.message.ends_with("has timed out progressing."),
        "{}",
        p.message
    );
    let last_progress = p.last_transition.as_secs();
    // lastUpdateTime + 60 s < now, checked by the requeue at deadline + 1 s.
    assert!(p.last_update.as_secs() >= last_progress);
    assert!(
        p.last_update.as_secs() <= 10 + 60 + 2,
        "timed out at {}s",
        p.last_update.as_secs()
    );
    assert!(p.last_update.as_secs() > 60, "not before the deadline");
}

#[test]
fn scaling_a_stuck_rollout_is_proportional_as_the_docs_show() {
    // Docs: 10 replicas, maxSurge 3, maxUnavailable 2, new pods never become available →
    // old 8, new 5; scaling to 15 gives old 11, new 7.
    let mut c = cluster(9, 3, constant_timing());
    let strategy = rolling("3", "2");
    apply(
        &mut c,
        &deployment_yaml("web", 10, "nginx:1", &strategy, ""),
    );
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(600)));
    apply(&mut c, &stuck_v2("web", 10, &strategy, ""));
    let t = c.now().plus_secs(60);
    c.run_until(t).unwrap();
    let sizes = |c: &rollsim::cluster::Cluster| {
        let (id, _) = c.store.deployment_by_name("default", "web").unwrap();
        c.store
            .replica_sets_of(id)
            .iter()
            .map(|(_, rs)| rs.replicas)
            .collect::<Vec<_>>()
    };
    assert_eq!(sizes(&c), vec![8, 5]);
    c.scale_deployment("default", "web", 15).unwrap();
    let t = c.now().plus_secs(60);
    c.run_until(t).unwrap();
    assert_eq!(sizes(&c), vec![11, 7]);
}

#[test]
fn deleting_a_deployment_terminates_its_pods_and_creates_no_replacements() {
    let mut c = cluster(4, 3, constant_timing());
    apply(&mut c, &deployment_yaml("web", 5, "img:1", "", ""));
    assert!(run_until_complete(&mut c, "web", SimTime::from_secs(60)));
    let created_before = c.store.pods.len();
    c.delete_deployment("default", "web").expect("deleted");
    c.run_until(c.now().plus_secs(60)).expect("within budget");
    assert_eq!(
        c.store.pods.len(),
        created_before,
        "no pod was created after the delete"
    );
    assert_eq!(c.store.existing_pods, 0, "every pod is gone");
    assert!(c.store.rs_names.is_empty() && c.store.deployment_names.is_empty());
}

#[test]
fn pod_names_are_built_from_the_drawn_suffix_and_found_again() {
    let params = rollsim::bench::BenchParams {
        replicas: 40,
        nodes: 2,
        ..Default::default()
    };
    let mut c = rollsim::bench::generated_cluster(&params);
    rollsim::bench::apply(&mut c, &params, 1).expect("applies");
    c.run_until(rollsim::sim::SimTime::from_secs(30))
        .expect("within budget");
    let store = &c.store;
    let mut names = std::collections::BTreeSet::new();
    for (i, pod) in store.pods.iter().enumerate() {
        let name = store.pod_name(pod);
        let suffix = name
            .strip_prefix("bench-")
            .and_then(|rest| rest.split_once('-'))
            .map(|(_hash, suffix)| suffix)
            .expect("bench-<hash>-<suffix>");
        assert_eq!(suffix.len(), 5);
        assert!(
            suffix
                .bytes()
                .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)),
            "{name}"
        );
        assert_eq!(
            store.pod_by_name("default", &name),
            Some(rollsim::model::PodId(i as u32))
        );
        names.insert(name);
    }
    assert_eq!(names.len(), 40, "every name differs");
    assert_eq!(store.pod_by_name("default", "bench-nosuchpod"), None);
}
