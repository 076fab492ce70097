//! Failures against upstream's documented behaviour: image pull and crash back-off
//! (10 s doubling to 5 min, forgotten after 10 min), probes, node failure (NotReady after
//! the 50 s grace period on a 5 s monitor tick, eviction after tolerationSeconds = 300 s,
//! Terminating until the node is back), drains, and the progress deadline.

use crate::common::*;
use rollsim::check;
use rollsim::cluster::{Cluster, KubeEvent};
use rollsim::model::{Faults, ImageFault, NodeChange, NodeFault, ProbeFault};
use rollsim::play::{Entry, PlayOptions, Session, play};
use rollsim::scenario::{self, Files};
use rollsim::sim::SimTime;

fn session(text: &str) -> Session {
    let s = scenario::parse(text, "test.yaml", &Files::Embedded(&[]), 1_000_000)
        .unwrap_or_else(|e| panic!("{e}"));
    play(&s, PlayOptions::default())
}

/// A scenario with constant latencies (pull 2 s, start 1 s, stop 1 s) around one Deployment.
fn scenario_text(faults: &str, deployment: &str, script: &str, until: &str) -> String {
    format!(
        "name: t\nseed: 1\ntiming:\n  schedule: 20ms\n  imagePull: 2s\n  containerStart: 1s\n  stop: 1s\n  controllerSync: 5ms\n{faults}files:\n  d.yml: |\n{}\nscript:\n{script}until: {until}\n",
        deployment
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn transcript(s: &Session) -> String {
    rollsim::report::transcript(s)
}

fn pod_events<'a>(s: &'a Session, reason: &str) -> Vec<&'a KubeEvent> {
    s.cluster
        .recorder
        .events
        .iter()
        .filter(|e| e.object.kind == "pod" && e.reason == reason)
        .collect()
}

fn node_id(s: &Session, name: &str) -> rollsim::model::NodeId {
    s.cluster
        .store
        .node_names
        .get(name)
        .copied()
        .unwrap_or_else(|| panic!("{name} exists"))
}

fn secs(t: SimTime) -> f64 {
    t.as_ms() as f64 / 1000.0
}

fn gaps(times: &[SimTime]) -> Vec<f64> {
    times
        .windows(2)
        .map(|w| (w[1].as_ms() - w[0].as_ms()) as f64 / 1000.0)
        .collect()
}

const ONE_POD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: bad:1\n";

#[test]
fn failed_pulls_back_off_10s_doubling_to_a_5_minute_cap() {
    let text = scenario_text(
        "faults:\n  images:\n    \"bad:1\": {pull: fail}\n",
        ONE_POD,
        "  - kubectl apply -f d.yml\n  - {at: 5m, run: kubectl get pods}\n  - sleep 30m\n",
        "1h",
    );
    let s = session(&text);
    let pulling: Vec<SimTime> = pod_events(&s, "Pulling").iter().map(|e| e.time).collect();
    let failed: Vec<SimTime> = pod_events(&s, "Failed")
        .iter()
        .filter(|e| e.message == "Error: ErrImagePull")
        .map(|e| e.time)
        .collect();
    assert!(failed.len() >= 8, "{failed:?}");
    // Each failure comes one pull (2 s) after its attempt; the next attempt waits the back-off.
    for (p, f) in pulling.iter().zip(&failed) {
        assert_eq!(f.as_ms() - p.as_ms(), 2000);
    }
    let waits: Vec<f64> = failed
        .iter()
        .zip(&pulling[1..])
        .map(|(f, p)| (p.as_ms() - f.as_ms()) as f64 / 1000.0)
        .collect();
    assert_eq!(
        &waits[..7],
        &[10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0],
        "{waits:?}"
    );
    let messages: Vec<&str> = s
        .cluster
        .recorder
        .events
        .iter()
        .filter(|e| e.object.kind == "pod")
        .map(|e| e.message.as_str())
        .collect();
    assert!(messages.contains(&"Back-off pulling image \"bad:1\""));
    assert!(messages.contains(&"Error: ImagePullBackOff"));
    assert!(messages.iter().any(|m| m.starts_with(
        "Failed to pull image \"bad:1\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/bad:1\""
    )));
    let t = transcript(&s);
    let row = t
        .lines()
        .find(|l| l.starts_with("web-"))
        .expect("a pod row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1..4], ["0/1", "ImagePullBackOff", "0"], "{row}");
    // The first failure is the ReplicaSet's first fault of its kind.
    assert!(
        s.cluster
            .recorder
            .faults
            .iter()
            .any(|f| f.kind == "ErrImagePull" && f.object.starts_with("replicaset/web-"))
    );
}

#[test]
fn a_crashing_container_restarts_at_once_then_backs_off_10s_doubling_to_5_minutes() {
    let text = scenario_text(
        "faults:\n  images:\n    \"bad:1\": {exitAfter: 2s}\n",
        ONE_POD,
        "  - kubectl apply -f d.yml\n  - {at: 8m, run: kubectl get pods}\n  - sleep 30m\n",
        "1h",
    );
    let s = session(&text);
    let started: Vec<SimTime> = pod_events(&s, "Started").iter().map(|e| e.time).collect();
    // Run 2 s, then: the kubelet's next sync (1 s) restarts at once the first time, later
    // after the back-off counted from the exit; creating and starting take 1 s.
    let g = gaps(&started);
    assert_eq!(
        &g[..8],
        &[4.0, 13.0, 23.0, 43.0, 83.0, 163.0, 303.0, 303.0],
        "{g:?}"
    );
    let back_off = pod_events(&s, "BackOff");
    assert!(!back_off.is_empty());
    assert!(
        back_off[0]
            .message
            .starts_with("Back-off restarting failed container app in pod web-"),
        "{}",
        back_off[0].message
    );
    let t = transcript(&s);
    let row = t.lines().find(|l| l.starts_with("web-")).expect("pod row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1..3], ["0/1", "CrashLoopBackOff"], "{row}");
    assert!(cols[4].starts_with('(') && cols[5] == "ago)", "{row}");
}

#[test]
fn the_back_off_is_forgotten_after_ten_minutes_without_a_failure() {
    let text = scenario_text(
        "faults:\n  images:\n    \"bad:1\": {exitAfter: 11m}\n",
        ONE_POD,
        "  - kubectl apply -f d.yml\n  - sleep 50m\n",
        "1h",
    );
    let s = session(&text);
    let started: Vec<SimTime> = pod_events(&s, "Started").iter().map(|e| e.time).collect();
    assert!(started.len() >= 4);
    for g in gaps(&started) {
        assert_eq!(g, 660.0 + 1.0 + 1.0, "restarted at once every time");
    }
    assert!(pod_events(&s, "BackOff").is_empty());
}

const PROBED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  progressDeadlineSeconds: 60\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: good:1\n        readinessProbe:\n          httpGet: {path: /ready, port: 80}\n          periodSeconds: 5\n        livenessProbe:\n          tcpSocket: {port: 80}\n          periodSeconds: 10\n";

#[test]
fn a_readiness_probe_that_never_passes_stalls_the_rollout_until_its_deadline() {
    let text = scenario_text(
        "faults:\n  images:\n    \"good:2\": {ready: never}\n",
        PROBED,
        "  - kubectl apply -f d.yml\n  - kubectl rollout status deployment/web\n  - kubectl set image deployment/web app=good:2\n  - kubectl rollout status deployment/web\n  - kubectl get pods\n",
        "30m",
    );
    let s = session(&text);
    let status = &s.steps[3];
    assert!(!status.succeeded && !status.as_expected, "{status:?}");
    let t = transcript(&s);
    assert!(
        t.contains("error: deployment \"web\" exceeded its progress deadline"),
        "{t}"
    );
    // No progress after the new pod's creation (whole seconds): the controller notices
    // deadline + 1 s later.
    let set_image = s.steps[2].start;
    let created = s
        .cluster
        .recorder
        .events
        .iter()
        .find(|e| {
            e.reason == "ScalingReplicaSet"
                && e.message.contains("from 0 to 1")
                && e.time >= set_image
        })
        .map(|e| e.time)
        .expect("the new ReplicaSet is scaled up");
    let deadline = created.whole_seconds().plus_secs(60);
    let stalled = secs(status.end) - secs(deadline);
    assert!((0.9..=2.0).contains(&stalled), "{stalled}");
    let unhealthy = pod_events(&s, "Unhealthy");
    assert!(!unhealthy.is_empty());
    assert_eq!(
        unhealthy[0].message,
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    );
    assert!(t.contains("0/1     Running"), "{t}");
}

#[test]
fn a_ready_pod_failing_its_probes_leaves_the_available_count_and_comes_back() {
    let text = scenario_text(
        "faults:\n  images:\n    \"good:1\": {ready: {failProbability: 0.5}}\n",
        PROBED,
        "  - kubectl apply -f d.yml\n  - sleep 10m\n",
        "1h",
    );
    let s = session(&text);
    let statuses = &s.cluster.recorder.pod_statuses;
    let mut dropped = 0;
    for pod in 0..s.cluster.store.pods.len() as u32 {
        let mine: Vec<_> = statuses.iter().filter(|x| x.pod == pod).collect();
        dropped += mine
            .windows(2)
            .filter(|w| w[0].ready && !w[1].ready && w[1].status == "Running")
            .count();
    }
    assert!(dropped > 0, "some Ready pod went unready");
    let available: Vec<i32> = s
        .cluster
        .recorder
        .rs_samples
        .iter()
        .map(|x| x.available)
        .collect();
    assert!(
        available.windows(2).any(|w| w[1] < w[0]),
        "the ReplicaSet's available count fell: {available:?}"
    );
    assert!(available.windows(2).any(|w| w[1] > w[0] && w[0] > 0));
}

#[test]
fn a_failing_liveness_probe_restarts_the_container() {
    let text = scenario_text(
        "faults:\n  images:\n    \"good:1\": {live: never}\n",
        PROBED,
        "  - kubectl apply -f d.yml\n  - sleep 2m\n  - kubectl get pods\n",
        "1h",
    );
    let s = session(&text);
    let killing = pod_events(&s, "Killing");
    assert!(!killing.is_empty());
    assert_eq!(
        killing[0].message,
        "Container app failed liveness probe, will be restarted"
    );
    let started = pod_events(&s, "Started")
        .iter()
        .map(|e| e.time)
        .min()
        .expect("started");
    // Probes at start, +10 s, +20 s: the third failure kills it.
    assert_eq!(killing[0].time.as_ms() - started.as_ms(), 20_000);
    let unhealthy = pod_events(&s, "Unhealthy");
    assert!(
        unhealthy[0]
            .message
            .starts_with("Liveness probe failed: dial tcp 10.244.")
    );
    assert!(
        unhealthy[0]
            .message
            .ends_with(":80: connect: connection refused")
    );
    assert!(s.cluster.store.pods.iter().all(|p| p.restarts >= 1));
}

const SIX: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 6\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: good:1\n";

#[test]
fn a_dead_node_is_not_ready_after_the_grace_period_and_its_pods_are_evicted_after_300_s() {
    let text = scenario_text(
        "faults:\n  nodes:\n    - {at: 1m, node: node-2, event: down}\n    - {at: 15m, node: node-2, event: up}\n",
        SIX,
        "  - kubectl apply -f d.yml\n  - {at: 1m50s, run: kubectl get nodes}\n  - {at: 2m, run: kubectl get nodes}\n  - {at: 10m, run: kubectl get pods -o wide}\n  - kubectl get deployment web\n  - {at: 16m, run: kubectl get pods -o wide}\n",
        "1h",
    );
    let s = session(&text);
    let faults: Vec<(f64, &str)> = s
        .cluster
        .recorder
        .faults
        .iter()
        .map(|f| (secs(f.time), f.kind))
        .collect();
    // Down at 60 s, right on a heartbeat: the grace period ends at 110 s, the next monitor
    // tick is 115 s; eviction 300 s later.
    assert_eq!(
        faults,
        [
            (60.0, "NodeDown"),
            (115.0, "NodeNotReady"),
            (415.0, "TaintEviction"),
            (900.0, "NodeUp")
        ]
    );
    let node2 = node_id(&s, "node-2");
    let on_node2: Vec<_> = s
        .cluster
        .store
        .pods
        .iter()
        .filter(|p| p.node == Some(node2) && p.created_at.as_ms() < 60_000)
        .collect();
    assert!(!on_node2.is_empty());
    for p in &on_node2 {
        let name = s.cluster.store.pod_name(p);
        assert_eq!(p.times.terminating.map(secs), Some(415.0), "{name}");
        let gone = p.times.gone.map(secs).expect("gone once the node is back");
        assert!((900.0..905.0).contains(&gone), "{gone}");
    }
    let not_ready: Vec<f64> = pod_events(&s, "NodeNotReady")
        .iter()
        .map(|e| secs(e.time))
        .collect();
    assert_eq!(not_ready.len(), on_node2.len());
    assert!(not_ready.iter().all(|t| *t == 115.0));
    let t = transcript(&s);
    let nodes_at = |stamp: &str| {
        let start = t.find(stamp).expect("step ran");
        t[start..].lines().nth(3).unwrap_or("").to_string()
    };
    assert!(nodes_at("[00:01:50.000]").starts_with("node-2   Ready"));
    assert!(nodes_at("[00:02:00.000]").starts_with("node-2   NotReady"));
    // At 10 min: the evicted pods are Terminating on node-2, replacements run elsewhere.
    let at10 = &t[t.find("[00:10:00.000]").expect("10m")..t.find("[00:16:00.000]").expect("16m")];
    let terminating = at10
        .lines()
        .filter(|l| l.contains("Terminating") && l.contains("node-2"))
        .count();
    assert_eq!(terminating, on_node2.len(), "{at10}");
    assert!(at10.contains("web    6/6     6            6"), "{at10}");
    let at16 = &t[t.find("[00:16:00.000]").expect("16m")..];
    assert!(!at16.contains("Terminating"), "{at16}");
}

#[test]
fn drain_cordons_evicts_and_waits_and_uncordon_undoes_the_cordon() {
    let text = scenario_text(
        "",
        SIX,
        "  - kubectl apply -f d.yml\n  - kubectl rollout status deployment/web\n  - kubectl drain node-1 --ignore-daemonsets\n  - kubectl get nodes\n  - kubectl cordon node-1\n  - kubectl rollout status deployment/web\n  - kubectl uncordon node-1\n  - kubectl get nodes\n  - {run: kubectl drain node-9, expect: failure}\n",
        "1h",
    );
    let s = session(&text);
    let t = transcript(&s);
    let drain = &t[t.find("$ kubectl drain node-1").expect("drain ran")..];
    let lines: Vec<&str> = drain
        .lines()
        .skip(1)
        .take_while(|l| !l.contains("$ "))
        .collect();
    assert_eq!(lines[0], "node/node-1 cordoned");
    let evicting = lines
        .iter()
        .filter(|l| l.starts_with("evicting pod default/web-"))
        .count();
    let evicted = lines
        .iter()
        .filter(|l| l.ends_with(" evicted") && l.contains("pod/web-"))
        .count();
    assert!(evicting > 0);
    assert_eq!(evicting, evicted);
    assert!(
        lines
            .last()
            .is_some_and(|l| l.ends_with("node/node-1 drained"))
    );
    assert!(t.contains("node-1   Ready,SchedulingDisabled"));
    assert!(t.contains("node/node-1 already cordoned"));
    assert!(t.contains("node/node-1 uncordoned"));
    assert!(t.contains("Error from server (NotFound): nodes \"node-9\" not found"));
    let node1 = node_id(&s, "node-1");
    // Nothing was scheduled there while it was cordoned.
    let drained_at = s.steps[2].end;
    let uncordoned_at = s.steps[6].start;
    assert!(s.cluster.store.pods.iter().all(|p| {
        p.node != Some(node1)
            || p.times
                .scheduled
                .is_none_or(|t| t < drained_at || t >= uncordoned_at)
    }));
    assert!(s.steps.iter().all(|x| x.as_expected));
}

#[test]
fn drain_of_a_dead_node_times_out_with_its_pods_stuck_terminating() {
    let text = scenario_text(
        "faults:\n  nodes:\n    - {at: 30s, node: node-1, event: down}\n",
        SIX,
        "  - kubectl apply -f d.yml\n  - {at: 1m, run: kubectl drain node-1 --timeout=30s}\n",
        "1h",
    );
    let s = session(&text);
    assert!(!s.steps[1].succeeded);
    assert_eq!(secs(s.steps[1].end), 90.0);
    let t = transcript(&s);
    assert!(t.contains("global timeout reached: 30s"), "{t}");
    assert!(
        t.contains("There are pending nodes to be drained:\n"),
        "{t}"
    );
}

#[test]
fn the_docs_stuck_rollout_is_8_and_5_and_scaling_to_15_gives_11_and_7() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/stuck-rollout-scaling.yaml");
    let sc = scenario::load(&path, 1_000_000).expect("scenario loads");
    let s = play(&sc, PlayOptions::default());
    let outputs: Vec<String> = s
        .transcript
        .iter()
        .filter_map(|e| match e {
            Entry::Output(o) if o.starts_with("NAME  ") && o.contains("DESIRED") => Some(o.clone()),
            _ => None,
        })
        .collect();
    let counts = |o: &str| -> Vec<Vec<String>> {
        o.lines()
            .skip(1)
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .take(3)
                    .map(String::from)
                    .collect()
            })
            .collect()
    };
    let has = |rows: &[Vec<String>], want: [&str; 3]| rows.iter().any(|r| r == &want);
    let first = counts(&outputs[0]);
    assert!(has(&first, ["8", "8", "8"]), "{first:?}");
    assert!(has(&first, ["5", "5", "0"]), "{first:?}");
    let scaled = counts(&outputs[1]);
    assert!(has(&scaled, ["11", "11", "11"]), "{scaled:?}");
    assert!(has(&scaled, ["7", "7", "0"]), "{scaled:?}");
}

/// A cluster with faults and constant latencies, driven event by event.
pub fn faulty_cluster(seed: u64, nodes: usize, faults: Faults) -> Cluster {
    cluster_with_faults(seed, nodes, constant_timing(), faults)
}

#[test]
fn node_faults_and_failing_images_keep_the_store_counts_consistent_event_by_event() {
    let mut images = std::collections::BTreeMap::new();
    images.insert(
        "app:2".to_string(),
        ImageFault {
            exit_after_ms: Some(7_000),
            readiness: ProbeFault::FailProbability(0.3),
            ..Default::default()
        },
    );
    let faults = Faults {
        images,
        nodes: vec![
            NodeFault {
                at_ms: 20_000,
                node: "node-1".into(),
                change: NodeChange::Down,
            },
            NodeFault {
                at_ms: 500_000,
                node: "node-1".into(),
                change: NodeChange::Up,
            },
        ],
        ..Default::default()
    };
    let mut c = faulty_cluster(5, 3, faults);
    let yaml = deployment_yaml("web", 9, "app:1", &rolling("2", "1"), "")
        .replace(
            "        image: app:1\n",
            "        image: app:1\n        readinessProbe:\n          httpGet: {port: 80}\n          periodSeconds: 5\n          failureThreshold: 1\n",
        );
    apply(&mut c, &yaml);
    let step = |c: &mut Cluster, until: u64| {
        while c.step_until(SimTime::from_ms(until)).expect("budget") {
            check::counts_consistent(c).unwrap_or_else(|v| panic!("{v}"));
            let (d, _) = c.store.deployment_by_name("default", "web").expect("web");
            check::surge_ceiling(c, d).unwrap_or_else(|v| panic!("{v}"));
        }
    };
    step(&mut c, 10_000);
    apply(&mut c, &yaml.replace("app:1", "app:2"));
    step(&mut c, 900_000);
    assert!(c.store.pods.iter().any(|p| p.restarts > 0));
    assert!(c.recorder.faults.iter().any(|f| f.kind == "TaintEviction"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;
    use rollsim::model::RandomFaults;
    use rollsim::report;
    use rollsim::sim::Latency;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 24,
            rng_seed: RngSeed::Fixed(0xfa17),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Every file a run writes, as text.
    fn outputs(s: &Session) -> Vec<String> {
        vec![
            report::transcript(s),
            report::events_csv(s),
            report::replicasets_csv(s),
            report::pods_csv(s),
            report::deployments_csv(s),
            report::commands_csv(s),
            report::faults_csv(s),
            report::pod_status_csv(s),
            report::summary_yaml(s, rollsim::report::lang::Lang::En),
        ]
    }

    fn rollout_scenario(seed: u64, replicas: u32, faults: &str) -> String {
        format!(
            "name: p\nseed: {seed}\ntiming:\n  imagePull: {{uniform: [1s, 4s]}}\n  containerStart: {{normal: {{mean: 1s, stddev: 300ms}}}}\n{faults}files:\n  d.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: web}}\n    spec:\n      replicas: {replicas}\n      minReadySeconds: 3\n      selector: {{matchLabels: {{app: web}}}}\n      template:\n        metadata: {{labels: {{app: web}}}}\n        spec:\n          containers:\n          - name: app\n            image: app:1\n            readinessProbe: {{httpGet: {{port: 80}}, periodSeconds: 5}}\nscript:\n  - kubectl apply -f d.yml\n  - kubectl rollout status deployment/web\n  - kubectl set image deployment/web app=app:2\n  - kubectl rollout status deployment/web\n  - kubectl get pods -o wide\n  - kubectl get nodes\nuntil: 1h\n"
        )
    }

    proptest! {
        #![proptest_config(config())]

        /// A `faults` section that injects nothing (unused images, zero rates, no node
        /// events) changes no byte of any output.
        #[test]
        fn faults_switched_off_change_nothing(seed in 0u64..1_000_000, replicas in 1u32..25) {
            let off = "faults:\n  images:\n    \"unused:9\": {pull: fail, exitAfter: 1s, ready: never}\n    \"app:2\": {ready: always}\n  nodes: []\n  random:\n    podCrashesPerHour: 0\n    nodeFailuresPerDay: 0\n    nodeRecovery: {uniform: [1m, 2m]}\n";
            let plain = session(&rollout_scenario(seed, replicas, ""));
            let with_section = session(&rollout_scenario(seed, replicas, off));
            prop_assert_eq!(outputs(&plain), outputs(&with_section));
            prop_assert_eq!(plain.cluster.trace_digest(), with_section.cluster.trace_digest());
        }

        /// Random crashes, node failures, flaky probes and crash loops: after every event the
        /// store's counts agree with the pods and the surge ceiling holds; nothing panics, and
        /// the same seed replays the same run.
        #[test]
        fn random_faults_keep_the_invariants(
            seed in 0u64..1_000_000,
            replicas in 1i32..15,
            crashes_per_hour in 0.0f64..30.0,
            node_failures_per_day in 0.0f64..300.0,
            fail_probability in 0.0f64..0.6,
            exit_after_s in proptest::option::of(1u64..120),
            pull_fails in any::<bool>(),
        ) {
            let run = || {
                let mut images = std::collections::BTreeMap::new();
                images.insert("app:2".to_string(), ImageFault {
                    pull_fails: pull_fails && exit_after_s.is_none(),
                    exit_after_ms: exit_after_s.map(|s| s * 1000),
                    readiness: ProbeFault::FailProbability(fail_probability),
                    liveness: ProbeFault::FailProbability(fail_probability / 4.0),
                });
                let faults = Faults {
                    images,
                    nodes: Vec::new(),
                    random: RandomFaults {
                        pod_crashes_per_hour: crashes_per_hour,
                        node_failures_per_day,
                        node_recovery: Latency::Uniform { low_ms: 30_000, high_ms: 200_000 },
                    },
                };
                let mut c = faulty_cluster(seed, 4, faults);
                let yaml = deployment_yaml("web", replicas, "app:1", &rolling("25%", "25%"), "  minReadySeconds: 2\n")
                    .replace(
                        "        image: app:1\n",
                        "        image: app:1\n        readinessProbe:\n          httpGet: {port: 80}\n          periodSeconds: 5\n          failureThreshold: 2\n        livenessProbe:\n          tcpSocket: {port: 80}\n          periodSeconds: 10\n",
                    );
                apply(&mut c, &yaml);
                let mut violation = None;
                let mut step = |c: &mut Cluster, until: u64| {
                    while violation.is_none() && c.step_until(SimTime::from_ms(until)).expect("budget") {
                        let (d, _) = c.store.deployment_by_name("default", "web").expect("web");
                        violation = check::counts_consistent(c)
                            .and_then(|_| check::surge_ceiling(c, d))
                            .err();
                    }
                };
                step(&mut c, 60_000);
                apply(&mut c, &yaml.replace("app:1", "app:2"));
                step(&mut c, 1_800_000);
                (violation, c.trace_digest())
            };
            let (violation, digest) = run();
            prop_assert!(violation.is_none(), "{:?}", violation);
            prop_assert_eq!(digest, run().1);
        }
    }
}

#[test]
fn random_rates_inject_crashes_and_node_failures_that_recover() {
    let text = scenario_text(
        "faults:\n  random:\n    podCrashesPerHour: 20\n    nodeFailuresPerDay: 100\n    nodeRecovery: {uniform: [1m, 2m]}\n",
        SIX,
        "  - kubectl apply -f d.yml\n  - sleep 1h\n",
        "2h",
    );
    let s = session(&text);
    let count = |kind: &str| {
        s.cluster
            .recorder
            .faults
            .iter()
            .filter(|f| f.kind == kind)
            .count()
    };
    assert!(count("RandomCrash") > 10, "{}", count("RandomCrash"));
    assert!(count("NodeDown") > 3, "{}", count("NodeDown"));
    // Every failed node came back within 1-2 minutes (unless the hour ended first).
    let faults = &s.cluster.recorder.faults;
    for down in faults.iter().filter(|f| f.kind == "NodeDown") {
        let up = faults
            .iter()
            .find(|f| f.kind == "NodeUp" && f.object == down.object && f.time > down.time);
        if let Some(up) = up {
            let ms = up.time.as_ms() - down.time.as_ms();
            assert!((60_000..=120_000).contains(&ms), "{ms}");
        } else {
            assert!(down.time.as_ms() > 3_600_000 - 120_000);
        }
    }
}

#[test]
fn a_node_back_before_the_eviction_restarts_its_pods_in_place() {
    let text = scenario_text(
        "faults:\n  nodes:\n    - {at: 1m, node: node-2, event: down}\n    - {at: 3m, node: node-2, event: up}\n",
        SIX,
        "  - kubectl apply -f d.yml\n  - {at: 2m30s, run: kubectl get deployment web}\n  - {at: 4m, run: kubectl get pods -o wide}\n  - kubectl get deployment web\n",
        "1h",
    );
    let s = session(&text);
    let node2 = node_id(&s, "node-2");
    let on_node2: Vec<_> = s
        .cluster
        .store
        .pods
        .iter()
        .filter(|p| p.node == Some(node2))
        .collect();
    assert!(!on_node2.is_empty());
    for p in &on_node2 {
        let name = s.cluster.store.pod_name(p);
        assert!(p.deletion.is_none() && !p.gone, "{name} was not evicted");
        assert_eq!(p.restarts, 1, "{name}");
        assert!(p.ready, "{name} is Ready again");
    }
    assert_eq!(s.cluster.store.pods.len(), 6, "no replacement was created");
    let t = transcript(&s);
    assert!(
        t.contains(&format!("web    {}/6", 6 - on_node2.len())),
        "{t}"
    );
    assert!(last_deployment_row_is_ready(&t), "{t}");
    // Restarted containers find their image on the node.
    let pulls_after_up = s
        .cluster
        .recorder
        .events
        .iter()
        .filter(|e| e.reason == "Pulled" && e.time.as_ms() > 180_000)
        .collect::<Vec<_>>();
    assert_eq!(pulls_after_up.len(), on_node2.len());
    assert!(
        pulls_after_up
            .iter()
            .all(|e| e.message.contains("already present on machine"))
    );
}

/// The last `get deployment` row shows every replica ready, updated and available.
fn last_deployment_row_is_ready(transcript: &str) -> bool {
    transcript
        .lines()
        .rev()
        .find(|l| l.starts_with("web "))
        .is_some_and(|l| l.split_whitespace().collect::<Vec<_>>()[1..4] == ["6/6", "6", "6"])
}

#[test]
fn a_disruption_budget_makes_drain_wait_and_never_goes_below_it() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/drain-with-pdb.yaml");
    let sc = scenario::load(&path, 1_000_000).expect("scenario loads");
    let s = play(&sc, PlayOptions::default());
    assert!(s.steps.iter().all(|x| x.as_expected));
    let t = transcript(&s);
    assert!(t.contains("poddisruptionbudget.policy/web-pdb created"));
    assert!(t.contains(
        "(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."
    ));
    assert!(
        t.contains("web-pdb   5               N/A               1                     11s"),
        "{t}"
    );
    assert!(t.contains("node/node-1 drained"));
    // Ready pods never fell below the budget's 5 once the rollout was complete.
    let done = s.steps[1].end;
    let statuses = &s.cluster.recorder.pod_statuses;
    let mut ready = std::collections::BTreeMap::new();
    for x in statuses {
        ready.insert(x.pod, x.ready && x.status != "Terminating");
        if x.time > done {
            let count = ready.values().filter(|r| **r).count();
            assert!(count >= 5, "{count} ready at {}", x.time);
        }
    }
}

#[test]
fn budgets_resolve_like_the_disruption_controller() {
    let budget = |spec: &str| {
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: b}}\nspec:\n  {spec}\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    };
    let mut c = cluster(1, 3, constant_timing());
    apply(
        &mut c,
        &deployment_yaml("web", 10, "app:1", &rolling("25%", "25%"), ""),
    );
    run_until_complete(&mut c, "web", SimTime::from_ms(60_000));
    for (spec, desired, allowed) in [
        ("minAvailable: 7", 7, 3),
        ("minAvailable: \"75%\"", 8, 2),
        ("maxUnavailable: 1", 9, 1),
        ("maxUnavailable: \"25%\"", 7, 3),
        ("minAvailable: 12", 12, 0),
    ] {
        apply(&mut c, &budget(spec));
        let b = c
            .store
            .pdbs
            .get(&rollsim::model::object_key("default", "b"))
            .expect("budget");
        let status = c.pdb_status(b);
        assert_eq!(status.current_healthy, 10, "{spec}");
        assert_eq!(
            (status.desired_healthy, status.disruptions_allowed),
            (desired, allowed),
            "{spec}"
        );
    }
    let both = budget("minAvailable: 1\n  maxUnavailable: 1");
    let m = rollsim::model::manifest::parse_manifests(&both).expect("parses");
    let rollsim::model::manifest::Manifest::PodDisruptionBudget(b) = &m[0] else {
        panic!("a budget")
    };
    let err = c.apply_pdb("default", b).expect_err("both set is invalid");
    assert!(
        err.0
            .starts_with("The PodDisruptionBudget \"b\" is invalid: ")
            && err
                .0
                .contains("minAvailable and maxUnavailable cannot be both set"),
        "{}",
        err.0
    );
}
