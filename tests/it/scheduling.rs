//! The scheduler's constraints played through whole scenarios: required pod anti-affinity
//! (the classic stuck rollout and its two fixes), topology spread over zones, and a tainted
//! node pool with tolerations; kube-scheduler's FailedScheduling messages; validation.

use rollsim::play::Session;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn play(name: &str) -> Session {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let scenario = rollsim::scenario::load(&path, 100_000).expect("the scenario loads");
    rollsim::play::play(&scenario, Default::default())
}

fn failed_scheduling(s: &Session) -> Vec<String> {
    let mut messages: Vec<String> = s
        .cluster
        .recorder
        .events
        .iter()
        .filter(|e| e.reason == "FailedScheduling")
        .map(|e| e.message.clone())
        .collect();
    messages.dedup();
    messages
}

/// Node name of every pod not yet gone, by the name of its Deployment's app label.
fn placements(s: &Session) -> Vec<(String, String)> {
    let store = &s.cluster.store;
    store
        .pods
        .iter()
        .filter(|p| !p.gone)
        .filter_map(|p| Some((store.pod_name(p), store.node(p.node?).name.clone())))
        .collect()
}

#[test]
fn required_anti_affinity_on_three_nodes_stalls_a_surge_rollout() {
    let s = play("anti-affinity-stuck");
    assert_eq!(
        failed_scheduling(&s),
        [
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        ]
    );
    let rollouts = &s.rollouts["web"];
    assert!(rollouts[1].deadline_exceeded, "the stuck rollout times out");
    assert!(
        rollouts[1].end.is_some(),
        "and completes once maxUnavailable is 1"
    );
    assert_eq!(s.unexpected_failures(), 0);
    // Never two pods of web on one node at once, terminating ones included: on each node,
    // each pod's time there (bound until gone) ends before the next one's begins.
    let store = &s.cluster.store;
    let end = s.cluster.now().as_ms();
    let mut stays: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    for p in &store.pods {
        if let (Some(node), Some(bound)) = (p.node, p.times.scheduled) {
            let gone = p.times.gone.map_or(end, |t| t.as_ms());
            stays.entry(node.0).or_default().push((bound.as_ms(), gone));
        }
    }
    for (node, mut list) in stays {
        list.sort();
        assert!(
            list.windows(2).all(|w| w[0].1 <= w[1].0),
            "node {node}: {list:?}"
        );
    }
}

#[test]
fn a_fourth_node_lets_the_same_rollout_complete_without_losing_a_pod() {
    let s = play("anti-affinity-fourth-node");
    // A new pod may wait for the old pod it replaces to be gone (terminating pods still
    // count), but never for long, and never with an available pod fewer.
    let r = &s.rollouts["web"][1];
    assert!(r.end.is_some() && !r.deadline_exceeded);
    assert_eq!(r.min_available, 3, "maxUnavailable 0 holds");
}

#[test]
fn a_zone_spread_keeps_two_pods_per_zone() {
    let s = play("zone-spread");
    let mut per_zone: BTreeMap<String, usize> = BTreeMap::new();
    for (_, node) in placements(&s) {
        let zone = node
            .rsplit_once('-')
            .map_or(node.clone(), |(z, _)| z.to_string());
        *per_zone.entry(zone).or_default() += 1;
    }
    assert_eq!(
        per_zone.into_iter().collect::<Vec<_>>(),
        [
            ("zone-a".to_string(), 2),
            ("zone-b".to_string(), 2),
            ("zone-c".to_string(), 2)
        ]
    );
    assert!(s.rollouts["shop"][1].end.is_some());
}

#[test]
fn a_tainted_pool_takes_only_pods_that_tolerate_it() {
    let s = play("tainted-pool");
    for (pod, node) in placements(&s) {
        assert_eq!(
            pod.starts_with("batch-"),
            node.starts_with("batch-"),
            "{pod} on {node}"
        );
    }
    assert_eq!(
        failed_scheduling(&s),
        [
            "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint {dedicated: batch}. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
        ]
    );
    // `kubectl taint nodes general-1 maintenance=true:NoSchedule` at 65 s: the web pods the
    // scale-up makes then all go to general-2.
    let store = &s.cluster.store;
    let placed_between = |from: u64, to: u64| -> Vec<String> {
        store
            .pods
            .iter()
            .filter(|p| (from..to).contains(&p.created_at.as_ms()))
            .filter_map(|p| Some(store.node(p.node?).name.clone()))
            .collect()
    };
    assert_eq!(placed_between(65_000, 66_000), ["general-2", "general-2"]);
    // `kubectl taint nodes general-2 outage=now:NoExecute` at 66.055 s evicts the four web
    // pods there at once (they tolerate nothing); their replacements go to general-1.
    let evicted = s
        .cluster
        .recorder
        .events
        .iter()
        .filter(|e| e.reason == "TaintManagerEviction")
        .count();
    assert_eq!(evicted, 4);
    assert_eq!(placed_between(66_000, u64::MAX), ["general-1"; 4]);
    let transcript = rollsim::report::transcript(&s);
    for line in [
        "node/general-1 tainted",
        "error: node general-1 already has maintenance taint(s) with same effect(s) and --overwrite is false",
        "node/general-1 untainted",
        "error: taint \"maintenance\" not found",
        "node/general-2 labeled",
        "error: 'disk' already has a value (ssd), and --overwrite is false",
        "node/general-2 unlabeled",
    ] {
        assert!(transcript.contains(line), "{line}");
    }
}

/// A Deployment with `spec` lines added to its pod spec, applied: what kubectl printed.
fn apply_with(spec: &str) -> String {
    let text = format!(
        "name: v\nfiles:\n  d.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: d}}\n    spec:\n      selector: {{matchLabels: {{app: d}}}}\n      template:\n        metadata: {{labels: {{app: d}}}}\n        spec:\n          containers: [{{name: c, image: i}}]\n{spec}script:\n  - {{run: kubectl apply -f d.yml, expect: failure}}\n"
    );
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = rollsim::scenario::Files::Dir(&here);
    match rollsim::scenario::parse(&text, "v.yaml", &files, 100_000) {
        Ok(scenario) => {
            rollsim::report::transcript(&rollsim::play::play(&scenario, Default::default()))
        }
        Err(e) => e.to_string(),
    }
}

#[test]
fn scheduling_fields_are_validated_as_the_api_server_does() {
    let cases = [
        (
            "          tolerations: [{key: a, operator: In, value: b}]\n",
            "spec.template.spec.tolerations[0].operator: Unsupported value: \"In\": supported values: \"Equal\", \"Exists\"",
        ),
        (
            "          tolerations: [{key: a, operator: Exists, value: b}]\n",
            "value must be empty when `operator` is 'Exists'",
        ),
        (
            "          tolerations: [{key: a, effect: NoSchedule, tolerationSeconds: 5}]\n",
            "spec.template.spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
        (
            "          topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]\n",
            "spec.template.spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
        ),
        (
            "          affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: d}}, topologyKey: \"\"}]}}\n",
            "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty",
        ),
        (
            "          affinity: {podAntiAffinity: {requiredDuringScheduling: []}}\n",
            "unknown field `requiredDuringScheduling`",
        ),
        (
            "          topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Never}]\n",
            "whenUnsatisfiable: Unsupported value: \"Never\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
        ),
    ];
    for (spec, want) in cases {
        let printed = apply_with(spec);
        assert!(printed.contains(want), "{spec}: {printed}");
    }
}

/// `--explain` says why the surge pod fits nowhere: the same counts as kube-scheduler's
/// message, and the pod in the way.
#[test]
fn an_unschedulable_pod_is_explained_with_the_pod_in_the_way() {
    use rollsim::model::explain::ExplainStep;
    let s = play("anti-affinity-stuck");
    let first = s
        .cluster
        .recorder
        .explanations
        .iter()
        .find_map(|e| match &e.step {
            ExplainStep::Unschedulable {
                pod,
                nodes,
                reasons,
                conflict,
            } => Some((pod.clone(), *nodes, reasons.clone(), conflict.clone())),
            _ => None,
        })
        .expect("the surge pod is explained");
    assert_eq!(first.0, "web-85f674f599-kmqb5");
    assert_eq!(first.1, 3);
    assert_eq!(
        first.2,
        [(
            "node(s) didn't match pod anti-affinity rules".to_string(),
            3
        )]
    );
    let (node, pod) = first.3.expect("a conflicting pod");
    assert!(node.starts_with("node-") && pod.starts_with("web-fdbd465d-"));
}
