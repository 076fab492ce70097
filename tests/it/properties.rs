//! Invariants over random seeds and rollout parameters (proptest, fixed RNG seed so CI
//! failures reproduce; `PROPTEST_CASES` raises the count).

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rollsim::check;
use rollsim::cluster::{Cluster, Timing};
use rollsim::sim::{Latency, SimTime};

fn timing(jitter_ms: u64) -> Timing {
    Timing {
        schedule: Latency::Uniform {
            low_ms: 5,
            high_ms: 5 + jitter_ms / 10,
        },
        image_pull: Latency::Uniform {
            low_ms: 500,
            high_ms: 500 + jitter_ms * 4,
        },
        container_start: Latency::Normal {
            mean_ms: 800.0,
            stddev_ms: jitter_ms as f64 / 2.0,
        },
        stop: Latency::Uniform {
            low_ms: 100,
            high_ms: 100 + jitter_ms * 2,
        },
        controller_sync: Latency::Uniform {
            low_ms: 1,
            high_ms: 1 + jitter_ms / 20,
        },
    }
}

fn intstr(v: u32, percent: bool) -> String {
    if percent {
        format!("\"{v}%\"")
    } else {
        v.to_string()
    }
}

/// Rolls v1 → v2, checking the invariants after every event of the second rollout.
fn roll(
    seed: u64,
    replicas: i32,
    surge: String,
    unavailable: String,
    min_ready: u32,
    jitter_ms: u64,
) -> Result<(Cluster, String), TestCaseError> {
    let mut c = cluster(seed, 4, timing(jitter_ms));
    let strategy = rolling(&surge, &unavailable);
    let extra = format!("  minReadySeconds: {min_ready}\n");
    apply(
        &mut c,
        &deployment_yaml("web", replicas, "app:1", &strategy, &extra),
    );
    prop_assert!(
        run_until_complete(&mut c, "web", SimTime::from_secs(3600)),
        "first rollout completes"
    );
    let (id, _) = c.store.deployment_by_name("default", "web").unwrap();
    apply(
        &mut c,
        &deployment_yaml("web", replicas, "app:2", &strategy, &extra),
    );
    let limit = c.now().plus_secs(3 * 3600);
    while !check::rollout_complete(&c, id) {
        prop_assert!(
            c.step_until(limit).unwrap(),
            "second rollout completes before {limit} (seed {seed})"
        );
        if let Err(v) = check::surge_ceiling(&c, id).and_then(|_| check::availability_floor(&c, id))
        {
            return Err(TestCaseError::fail(format!("{v} (seed {seed})")));
        }
    }
    let digest = c.trace_digest();
    Ok((c, digest))
}

/// Every `ScalingReplicaSet` event has exactly one explanation, in the same order, whose
/// numbers give its from and to.
fn explanations_match_scaling_events(c: &Cluster) -> Result<(), TestCaseError> {
    use rollsim::model::explain::ExplainStep;
    use rollsim::report::lang::Lang;
    let (events, explained) = scalings(c);
    prop_assert_eq!(&events, &explained);
    for e in &c.recorder.explanations {
        // Both languages put the same numbers into words.
        for lang in [Lang::En, Lang::ZhCn] {
            let (decision, reason) = lang.explain(e);
            prop_assert!(!decision.is_empty() && !reason.is_empty(), "{:?}", e);
            if let Some((rs, from, to)) = e.step.scaled() {
                let words = format!(" {decision} ");
                prop_assert!(words.contains(rs), "{} {:?}", decision, lang);
                prop_assert!(
                    words.contains(&format!(" {from} ")),
                    "{} {:?}",
                    decision,
                    lang
                );
                prop_assert!(words.contains(&format!(" {to}")), "{} {:?}", decision, lang);
            }
        }
        match e.step {
            ExplainStep::ScaleUpNew {
                replicas,
                surge,
                all_spec_sum,
                from,
                to,
                ..
            } => {
                let room = (replicas + surge - all_spec_sum).min(replicas - from);
                prop_assert_eq!(to - from, room, "{:?}", e);
            }
            ExplainStep::ScaleDownOld {
                unhealthy: false,
                available,
                min_available,
                from,
                to,
                ..
            } => {
                prop_assert!(
                    to < from && from - to <= available - min_available,
                    "{:?}",
                    e
                );
            }
            ExplainStep::ScaleDownOld {
                unhealthy: true,
                max_scaled_down,
                all_pods,
                min_available,
                new_unavailable,
                from,
                to,
                ..
            } => {
                prop_assert_eq!(max_scaled_down, all_pods - min_available - new_unavailable);
                prop_assert!(to < from && from - to <= max_scaled_down, "{:?}", e);
            }
            ExplainStep::Wait {
                max_total,
                all_spec_sum,
                min_available,
                available,
                ..
            } => {
                prop_assert!(
                    all_spec_sum >= max_total || available <= min_available,
                    "{:?}",
                    e
                );
            }
            ExplainStep::Resize {
                from,
                to,
                how:
                    rollsim::model::explain::ResizeHow::Proportional {
                        share, leftover, ..
                    },
                ..
            } => {
                prop_assert_eq!(to, (from + share + leftover).max(0), "{:?}", e);
            }
            ExplainStep::Resize { .. } | ExplainStep::Endpoint { .. } => {}
            ExplainStep::Unschedulable {
                nodes, ref reasons, ..
            } => {
                let counted: usize = reasons.iter().map(|(_, n)| n).sum();
                prop_assert_eq!(counted, nodes, "{:?}", e);
            }
            ExplainStep::DeletePod {
                ref pod, ref kept, ..
            } => {
                prop_assert!(kept.as_ref() != Some(pod), "{:?}", e);
            }
            ExplainStep::RecreateDown { .. }
            | ExplainStep::RecreateUp { .. }
            | ExplainStep::RecreateWait { .. }
            | ExplainStep::DeadlineExceeded { .. } => {
                prop_assert!(
                    false,
                    "a completed rolling update explained as Recreate or past its deadline: {:?}",
                    e
                );
            }
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // An explicit count would override PROPTEST_CASES, which the README says raises it.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48),
        rng_seed: RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rollouts_respect_surge_and_availability_and_complete(
        seed in 0u64..1_000_000,
        replicas in 1i32..40,
        surge in 0u32..6, surge_pct in any::<bool>(),
        unavailable in 0u32..6, unavailable_pct in any::<bool>(),
        min_ready in prop_oneof![Just(0u32), 1u32..20],
        jitter in 0u64..3000,
    ) {
        let surge = if surge_pct { intstr(surge * 20, true) } else { intstr(surge, false) };
        let unavailable = if unavailable_pct { intstr(unavailable * 20, true) } else { intstr(unavailable, false) };
        prop_assume!(!(surge == "0" || surge == "\"0%\"") || !(unavailable == "0" || unavailable == "\"0%\""));
        let (c, _) = roll(seed, replicas, surge, unavailable, min_ready, jitter)?;
        explanations_match_scaling_events(&c)?;
    }

    #[test]
    fn the_same_seed_replays_the_same_trace(seed in 0u64..1_000_000, replicas in 1i32..20, jitter in 0u64..3000) {
        let (_, a) = roll(seed, replicas, "1".into(), "1".into(), 2, jitter)?;
        let (_, b) = roll(seed, replicas, "1".into(), "1".into(), 2, jitter)?;
        prop_assert_eq!(a, b);
    }
}

#[test]
fn different_seeds_draw_different_latencies() {
    let (_, a) = roll(1, 10, "1".into(), "1".into(), 0, 2000).unwrap();
    let (_, b) = roll(2, 10, "1".into(), "1".into(), 0, 2000).unwrap();
    assert_ne!(a, b);
}

/// Plays `replicas` pods of `cpu_m` millicores on two node groups, with or without every
/// preference the score plugins weigh; where each pod went (pods left Pending: none).
fn placed(
    groups: [(u32, u32); 2],
    replicas: u32,
    cpu_m: u32,
    prefer: bool,
    seed: u64,
) -> Vec<Option<String>> {
    let taint = if prefer {
        ", taints: [{key: spot, effect: PreferNoSchedule}]"
    } else {
        ""
    };
    let prefs = if prefer {
        "          affinity:\n            nodeAffinity:\n              preferredDuringSchedulingIgnoredDuringExecution:\n              - {weight: 30, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [b]}]}}\n            podAntiAffinity:\n              preferredDuringSchedulingIgnoredDuringExecution:\n              - {weight: 100, podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}}\n          topologySpreadConstraints:\n          - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n"
    } else {
        ""
    };
    let [(count_a, cpu_a), (count_b, cpu_b)] = groups;
    let text = format!(
        "name: p\nseed: {seed}\ncluster:\n  nodes:\n    - {{name: a, count: {count_a}, cpu: \"{cpu_a}\", memory: 64Gi, labels: {{topology.kubernetes.io/zone: a}}}}\n    - {{name: b, count: {count_b}, cpu: \"{cpu_b}\", memory: 64Gi, labels: {{topology.kubernetes.io/zone: b}}{taint}}}\nfiles:\n  web.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: web}}\n    spec:\n      replicas: {replicas}\n      selector: {{matchLabels: {{app: web}}}}\n      template:\n        metadata: {{labels: {{app: web}}}}\n        spec:\n          containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: {cpu_m}m, memory: 64Mi}}}}}}]\n{prefs}script:\n  - kubectl apply -f web.yml\n  - sleep 30s\n"
    );
    let scenario = rollsim::scenario::parse(
        &text,
        "p.yaml",
        &rollsim::scenario::Files::Embedded(&[]),
        100_000,
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = rollsim::play::play(&scenario, Default::default());
    let store = &s.cluster.store;
    store
        .pods
        .iter()
        .filter(|p| !p.gone)
        .map(|p| p.node.map(|n| store.node(n).name.clone()))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    /// Preferences only reorder the nodes: identical pods fit on as many nodes either way,
    /// none past a node's capacity, and a seed places them the same way every time.
    #[test]
    fn preferences_move_pods_but_never_leave_one_pending(
        seed in 0u64..1_000_000,
        count_a in 1u32..4, cpu_a in prop_oneof![Just(1u32), Just(2), Just(4), Just(8)],
        count_b in 1u32..4, cpu_b in prop_oneof![Just(1u32), Just(2), Just(4), Just(8)],
        replicas in 1u32..24,
        cpu_m in prop_oneof![Just(250u32), Just(500), Just(1000)],
    ) {
        let groups = [(count_a, cpu_a), (count_b, cpu_b)];
        let plain = placed(groups, replicas, cpu_m, false, seed);
        let preferring = placed(groups, replicas, cpu_m, true, seed);
        let fit = |cpu: u32| (cpu * 1000 / cpu_m) as usize;
        let capacity = count_a as usize * fit(cpu_a) + count_b as usize * fit(cpu_b);
        let bound = |pods: &[Option<String>]| pods.iter().flatten().count();
        prop_assert_eq!(bound(&plain), (replicas as usize).min(capacity));
        prop_assert_eq!(bound(&preferring), bound(&plain));
        let mut per_node: std::collections::BTreeMap<&str, u32> = Default::default();
        for node in preferring.iter().flatten() {
            *per_node.entry(node.as_str()).or_default() += cpu_m;
        }
        for (node, used) in per_node {
            let cpu = if node.starts_with("a-") { cpu_a } else { cpu_b };
            prop_assert!(used <= cpu * 1000, "{} holds {}m of {}m", node, used, cpu * 1000);
        }
        prop_assert_eq!(placed(groups, replicas, cpu_m, true, seed), preferring);
    }
}
