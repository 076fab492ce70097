//! Pod start in full: init containers in order (a `sleep 30` migration), a sidecar left
//! running, `Init:N/M` and `PodInitializing` statuses, and a startup probe gating readiness.

use crate::common::play_shipped as play;

#[test]
fn a_slow_init_container_makes_each_new_pod_and_the_rollout_slower() {
    let s = play("init-migration");
    assert_eq!(s.unexpected_failures(), 0);
    let store = &s.cluster.store;
    // Each v2 pod: created → Ready takes the 30 s migration plus pulls and starts; v1 pods
    // took a few seconds.
    let (mut v1, mut v2) = (Vec::new(), Vec::new());
    for p in &store.pods {
        let Some(ready) = p.times.ready else { continue };
        let took = ready.ms_since(p.created_at);
        if p.init_total > 0 {
            v2.push(took)
        } else {
            v1.push(took)
        }
    }
    assert_eq!((v1.len(), v2.len()), (4, 4));
    assert!(v1.iter().all(|&t| t < 10_000), "{v1:?}");
    assert!(
        v2.iter().all(|&t| t >= 30_000 + v1.iter().min().unwrap()),
        "{v2:?} vs {v1:?}"
    );
    let rollouts = &s.rollouts["shop"];
    let took = |r: &rollsim::play::Rollout| r.end.unwrap().ms_since(r.start);
    assert!(took(&rollouts[1]) >= took(&rollouts[0]) + 4 * 30_000);
    // Every v2 pod went Init:0/2 → Init:1/2 → PodInitializing → Running, in that order.
    for (i, p) in store
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.init_total > 0)
    {
        let mut statuses: Vec<&str> = s
            .cluster
            .recorder
            .pod_statuses
            .iter()
            .filter(|x| x.pod == i as u32)
            .map(|x| x.status)
            .collect();
        statuses.dedup();
        let first_running = statuses.iter().position(|&x| x == "Running").unwrap();
        assert_eq!(
            &statuses[..=first_running],
            [
                "Pending",
                "Init:0/2",
                "Init:1/2",
                "PodInitializing",
                "Running"
            ],
            "{}",
            store.pod_name(p)
        );
        let runs = p.init_runs.as_ref().expect("init runs recorded");
        assert_eq!(runs.len(), 2);
        let (started, finished) = runs[0];
        assert_eq!(
            finished.unwrap().ms_since(started),
            30_000,
            "the migration's sleep 30"
        );
        assert!(runs[1].1.is_none(), "the sidecar keeps running");
    }
    let t = rollsim::report::transcript(&s);
    assert!(t.contains("Init:0/2") && t.contains("Init:1/2") && t.contains("2/2     Running"));
    assert!(t.contains("spec.initContainers{migrate}: Container started"));
}

#[test]
fn the_production_manifest_plays_with_every_constraint_honoured() {
    let s = play("production-manifest");
    assert_eq!(s.unexpected_failures(), 0);
    let store = &s.cluster.store;
    let (_, d) = store
        .deployment_by_name("shop", "checkout")
        .expect("in its namespace");
    assert_eq!(d.status.available_replicas, 4);
    let rollouts = &s.rollouts["shop/checkout"];
    assert_eq!(rollouts.len(), 2);
    assert_eq!(
        rollouts[1].min_available, 4,
        "maxUnavailable 0 and the PDB hold"
    );
    // Required anti-affinity: the running pods are on four different nodes, spread over the
    // three zones within maxSkew 1; every pod went through both init containers.
    let running: Vec<&rollsim::model::Pod> = store
        .pods
        .iter()
        .filter(|p| !p.gone && p.deletion.is_none())
        .collect();
    let mut nodes: Vec<u32> = running.iter().map(|p| p.node.unwrap().0).collect();
    nodes.sort_unstable();
    nodes.dedup();
    assert_eq!(nodes.len(), 4);
    let mut zones = std::collections::BTreeMap::<&str, usize>::new();
    for p in &running {
        *zones
            .entry(store.node(p.node.unwrap()).labels["topology.kubernetes.io/zone"].as_str())
            .or_default() += 1;
    }
    let (min, max) = (zones.values().min().unwrap(), zones.values().max().unwrap());
    assert!(max - min <= 1, "{zones:?}");
    assert!(running.iter().all(|p| p.init_done == 2 && p.ready));
    let t = rollsim::report::transcript(&s);
    assert!(
        t.contains("1/2     PodInitializing"),
        "the sidecar is ready before the app"
    );
}
