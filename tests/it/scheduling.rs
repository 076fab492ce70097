//! The scheduler's constraints played through whole scenarios: required pod anti-affinity
//! (the classic stuck rollout and its two fixes), topology spread over zones, and a tainted
//! node pool with tolerations; kube-scheduler's FailedScheduling messages; validation.

use crate::common::play_shipped as play;
use rollsim::play::Session;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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
            "          affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 199, preference: {matchExpressions: [{key: a, operator: Exists}]}}]}}\n",
            "spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 199: must be in the range 1-100",
        ),
        (
            "          affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, podAffinityTerm: {topologyKey: \"\"}}]}}\n",
            "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
        ),
        (
            "          affinity: {podAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, podAffinityTerm: {topologyKey: \"\"}}]}}\n",
            "spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Required value: can not be empty",
        ),
        (
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cpu, operator: Gt, values: [\"1\", \"2\"]}]}]}}}\n",
            "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
        ),
        (
            "          affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, preference: {matchExpressions: [{key: a, operator: Is, values: [b]}]}}]}}\n",
            "spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator: Invalid value: \"Is\": not a valid selector operator",
        ),
        (
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Exists, values: [b]}]}]}}}\n",
            "nodeSelectorTerms[0].matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
        (
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}\n",
            "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
        ),
        (
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: spec.nodeName, operator: In, values: [n1]}]}]}}}\n",
            "nodeSelectorTerms[0].matchFields[0].key: Invalid value: \"spec.nodeName\": not a valid field selector key",
        ),
        (
            "          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [a, b]}]}]}}}\n",
            "nodeSelectorTerms[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
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

/// Plays a Deployment `web` of `replicas` pods (100m CPU each) with `spec` lines added to
/// its pod spec on the given node groups, and returns where each pod went.
fn placed_with(nodes: &str, replicas: u32, spec: &str) -> Vec<String> {
    placed_with_seed(nodes, replicas, spec, 3)
}

/// [`placed_with`] under the given seed.
fn placed_with_seed(nodes: &str, replicas: u32, spec: &str, seed: u64) -> Vec<String> {
    let text = format!(
        "name: score\nseed: {seed}\ncluster:\n  nodes:\n{nodes}files:\n  web.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: web}}\n    spec:\n      replicas: {replicas}\n      selector: {{matchLabels: {{app: web}}}}\n      template:\n        metadata: {{labels: {{app: web}}}}\n        spec:\n          containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}}}]\n{spec}script:\n  - kubectl apply -f web.yml\n  - kubectl rollout status deployment/web\nuntil: 10m\n"
    );
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = rollsim::scenario::Files::Dir(&here);
    let scenario = rollsim::scenario::parse(&text, "score.yaml", &files, 100_000)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = rollsim::play::play(&scenario, Default::default());
    let mut nodes: Vec<String> = placements(&s).into_iter().map(|(_, n)| n).collect();
    nodes.sort();
    nodes
}

/// A big node and two small ones: least allocation alone keeps choosing the big node.
const BIG_AND_SMALL: &str = "    - {name: big, count: 1, cpu: \"64\", memory: 256Gi}\n    - {name: small, count: 2, cpu: \"4\", memory: 16Gi}\n";

#[test]
fn preferred_pod_anti_affinity_spreads_pods_that_least_allocation_would_stack() {
    assert_eq!(placed_with(BIG_AND_SMALL, 3, ""), ["big-1"; 3]);
    let anti = "          affinity:\n            podAntiAffinity:\n              preferredDuringSchedulingIgnoredDuringExecution:\n              - weight: 100\n                podAffinityTerm:\n                  labelSelector: {matchLabels: {app: web}}\n                  topologyKey: kubernetes.io/hostname\n";
    assert_eq!(
        placed_with(BIG_AND_SMALL, 3, anti),
        ["big-1", "small-1", "small-2"]
    );
    // A fourth pod has to share a node: the emptiest, the big one.
    assert_eq!(
        placed_with(BIG_AND_SMALL, 4, anti),
        ["big-1", "big-1", "small-1", "small-2"]
    );
}

#[test]
fn ties_between_equal_nodes_are_broken_by_the_seed_uniformly_and_reproducibly() {
    // Four identical empty nodes, one pod: every node scores the same.
    let four = "    - {name: n, count: 4, cpu: \"4\", memory: 16Gi}\n";
    let mut chosen = BTreeMap::new();
    for seed in 0..40 {
        let placed = placed_with_seed(four, 1, "", seed);
        assert_eq!(placed, placed_with_seed(four, 1, "", seed), "seed {seed}");
        *chosen.entry(placed[0].clone()).or_insert(0) += 1;
    }
    assert_eq!(
        chosen.len(),
        4,
        "every node is chosen under some seed: {chosen:?}"
    );
    assert!(chosen.values().all(|&n| n >= 4), "{chosen:?}");
    // From 100 nodes on, a pod without preferences takes the unscored path (the first
    // feasible node from a seeded start in the emptiest bucket): still spread by the seed.
    let hundred = "    - {name: n, count: 100, cpu: \"4\", memory: 16Gi}\n";
    let unscored: BTreeSet<String> = (0..40)
        .map(|seed| placed_with_seed(hundred, 1, "", seed).remove(0))
        .collect();
    assert!(
        unscored.len() > 25,
        "40 seeds, {} nodes: {unscored:?}",
        unscored.len()
    );
}

#[test]
fn preferred_pod_affinity_and_node_affinity_draw_pods_to_their_domain() {
    let nodes = "    - {name: a, count: 2, cpu: \"4\", memory: 16Gi, labels: {topology.kubernetes.io/zone: a}}\n    - {name: b, count: 2, cpu: \"64\", memory: 256Gi, labels: {topology.kubernetes.io/zone: b}}\n";
    assert_eq!(placed_with(nodes, 2, ""), ["b-1", "b-2"]);
    let prefer_a = "          affinity:\n            nodeAffinity:\n              preferredDuringSchedulingIgnoredDuringExecution:\n              - weight: 10\n                preference:\n                  matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]\n";
    assert_eq!(placed_with(nodes, 2, prefer_a), ["a-1", "a-2"]);
    // Together on one node: the first pod goes to one of the two emptiest (big) nodes, as the
    // seed breaks their tie, and the rest follow it.
    let together = "          affinity:\n            podAffinity:\n              preferredDuringSchedulingIgnoredDuringExecution:\n              - weight: 50\n                podAffinityTerm:\n                  labelSelector: {matchLabels: {app: web}}\n                  topologyKey: kubernetes.io/hostname\n";
    let placed = placed_with(nodes, 3, together);
    assert!(placed[0] == "b-1" || placed[0] == "b-2", "{placed:?}");
    assert_eq!(placed, [placed[0].as_str(); 3]);
}

#[test]
fn prefer_no_schedule_taints_steer_pods_away_unless_tolerated() {
    let nodes = "    - {name: tainted, count: 1, cpu: \"64\", memory: 256Gi, taints: [{key: spot, effect: PreferNoSchedule}]}\n    - {name: plain, count: 1, cpu: \"4\", memory: 16Gi}\n";
    assert_eq!(placed_with(nodes, 3, ""), ["plain-1"; 3]);
    let tolerate =
        "          tolerations: [{key: spot, operator: Exists, effect: PreferNoSchedule}]\n";
    assert_eq!(placed_with(nodes, 3, tolerate), ["tainted-1"; 3]);
    // A full preferred node still leaves the tainted one: a preference never blocks.
    let plain_full = "    - {name: tainted, count: 1, cpu: \"64\", memory: 256Gi, taints: [{key: spot, effect: PreferNoSchedule}]}\n    - {name: plain, count: 1, cpu: 200m, memory: 16Gi}\n";
    assert_eq!(
        placed_with(plain_full, 3, ""),
        ["plain-1", "plain-1", "tainted-1"]
    );
}

#[test]
fn schedule_anyway_spread_evens_zones_that_least_allocation_would_not() {
    let nodes = "    - {name: a, count: 1, cpu: \"64\", memory: 256Gi, labels: {topology.kubernetes.io/zone: a}}\n    - {name: b, count: 1, cpu: \"8\", memory: 32Gi, labels: {topology.kubernetes.io/zone: b}}\n    - {name: c, count: 1, cpu: \"8\", memory: 32Gi, labels: {topology.kubernetes.io/zone: c}}\n";
    assert_eq!(placed_with(nodes, 6, ""), ["a-1"; 6]);
    let spread = "          topologySpreadConstraints:\n          - maxSkew: 1\n            topologyKey: topology.kubernetes.io/zone\n            whenUnsatisfiable: ScheduleAnyway\n            labelSelector: {matchLabels: {app: web}}\n";
    assert_eq!(
        placed_with(nodes, 6, spread),
        ["a-1", "a-1", "b-1", "b-1", "c-1", "c-1"]
    );
}

#[test]
fn soft_placement_weighs_every_preference_and_never_waits() {
    let s = play("soft-placement");
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for (_, node) in placements(&s) {
        *per_node.entry(node).or_default() += 1;
    }
    // After the rollout (one old pod still terminating on small-b-2): zone a holds the new
    // pods the anti-affinity could pair up, the spot node nothing.
    assert!(!per_node.contains_key("spot-1"), "{per_node:?}");
    assert!(per_node.values().all(|&n| n <= 2), "{per_node:?}");
    assert!(failed_scheduling(&s).is_empty());
    let transcript = rollsim::report::transcript(&s);
    let first_listing = transcript
        .split("$ kubectl get pods -o wide")
        .nth(1)
        .unwrap_or_default();
    let zone_a =
        first_listing.matches(" big-1 ").count() + first_listing.matches(" small-a-").count();
    let zone_b = first_listing.matches(" small-b-").count();
    assert_eq!((zone_a, zone_b), (4, 2), "{first_listing}");
    assert_eq!(first_listing.matches(" big-1 ").count(), 2);
}
