use super::*;

fn parse_ok(text: &str) -> Scenario {
    parse(text, "t.yaml", &Files::Embedded(&[]), 1_000_000).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> ScenarioError {
    match parse(text, "t.yaml", &Files::Embedded(&[]), 1_000_000) {
        Ok(_) => panic!("should be rejected:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn defaults_fill_everything_but_name_and_script() {
    let s = parse_ok("name: tiny\nscript:\n  - sleep 1s\n");
    assert_eq!(s.seed, defaults::SEED);
    assert_eq!(s.until, SimTime::from_ms(defaults::UNTIL_MS));
    assert_eq!(
        s.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["node-1", "node-2", "node-3"]
    );
    assert_eq!(s.nodes[0].cpu_millis, 4000);
    assert_eq!(s.nodes[0].memory_bytes, 8 << 30);
    assert_eq!(s.nodes[0].max_pods, 110);
    assert_eq!(s.timing, Timing::default());
    assert_eq!(s.steps[0].command, Command::Sleep { ms: 1000 });
}

#[test]
fn every_field_of_the_reference_example_parses() {
    let s = parse_ok(
        r#"name: full
description: All fields.
seed: 7
cluster:
  nodes:
    - {name: worker, count: 2, cpu: "2", memory: 4Gi, pods: 30, labels: {zone: a}}
    - {name: big, cpu: 16, memory: 64Gi}
timing:
  schedule: 20ms
  imagePull: {uniform: [1s, 4s]}
  containerStart: {normal: {mean: 1s, stddev: 200ms}}
  stop: {lognormal: {median: 500ms, sigma: 0.5}}
  controllerSync: {exponential: {mean: 5ms}}
files:
  d.yml: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      replicas: 2
      selector: {matchLabels: {app: d}}
      template:
        metadata: {labels: {app: d}}
        spec: {containers: [{name: c, image: "img:1"}]}
script:
  - kubectl apply -f d.yml
  - {at: 5m, run: kubectl get rs}
  - {run: kubectl rollout undo deploy d, expect: failure}
until: 2h
"#,
    );
    assert_eq!(s.seed, 7);
    assert_eq!(
        s.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["worker-1", "worker-2", "big"]
    );
    assert_eq!(s.nodes[2].cpu_millis, 16_000);
    assert_eq!(s.nodes[0].labels["zone"], "a");
    assert_eq!(
        s.timing.image_pull,
        Latency::Uniform {
            low_ms: 1000,
            high_ms: 4000
        }
    );
    assert_eq!(
        s.timing.controller_sync,
        Latency::Exponential { mean_ms: 5.0 }
    );
    assert_eq!(s.steps[1].at, Some(SimTime::from_secs(300)));
    assert_eq!(s.steps[1].line, 27);
    assert!(s.steps[2].expect_failure);
    assert_eq!(s.until, SimTime::from_secs(7200));
    assert_eq!(s.manifests["d.yml"].len(), 1);
}

#[test]
fn bad_values_are_reported_at_their_line_and_field() {
    let e = parse_err("name: x\ntiming:\n  imagePull: {uniform: [4s, 1s]}\nscript: [sleep 1s]\n");
    assert_eq!(e.line, Some(3));
    assert!(
        e.message.contains("timing.imagePull") && e.message.contains("reversed"),
        "{e}"
    );

    let e = parse_err("name: x\nscript: [sleep 1s]\nnodes: []\n");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("unknown field `nodes`"), "{e}");

    let e = parse_err("name: x\nscript:\n  - sleep 1s\n  - kubectl get widgets\n");
    assert_eq!(e.line, Some(4));
    assert!(e.message.contains("widgets"), "{e}");

    let e = parse_err("name: x\nscript:\n  - kubectl apply -f missing.yml\n");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("missing.yml"), "{e}");

    let e = parse_err("name: X_Y\nscript: [sleep 1s]\n");
    assert!(e.message.contains("[a-z0-9]"), "{e}");

    let e = parse_err("name: x\nuntil: 10\nscript: [sleep 1s]\n");
    assert!(e.message.contains("no unit"), "{e}");

    let e = parse_err("name: x\ncluster:\n  nodes: [{name: n, count: 0}]\nscript: [sleep 1s]\n");
    assert!(e.message.contains("at least 1"), "{e}");

    let e = parse_err("name: x\nscript: []\n");
    assert!(e.message.contains("at least one step"), "{e}");
}

#[test]
fn inline_manifest_errors_point_into_the_scenario_file() {
    let e = parse_err(
        "name: x\nfiles:\n  a.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a}\n    spec:\n      replicaz: 3\nscript:\n  - kubectl apply -f a.yml\n",
    );
    assert_eq!((e.file.as_str(), e.line), ("t.yaml", Some(8)));
    assert!(
        e.message
            .starts_with("files.a.yml: spec: unknown field `replicaz`"),
        "{e}"
    );
}

#[test]
fn replica_counts_above_the_pod_limit_are_refused_before_the_run() {
    let text = "name: x\nfiles:\n  a.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a}\n    spec:\n      replicas: 50\n      selector: {matchLabels: {app: a}}\n      template:\n        metadata: {labels: {app: a}}\n        spec: {containers: [{name: c, image: i}]}\nscript:\n  - kubectl apply -f a.yml\n  - kubectl scale deploy a --replicas=5000\n";
    let e = parse(text, "t.yaml", &Files::Embedded(&[]), 10).unwrap_err();
    assert!(
        e.message.contains("50 replicas") && e.message.contains("--max-pods"),
        "{e}"
    );
    let e = parse(text, "t.yaml", &Files::Embedded(&[]), 100).unwrap_err();
    assert!(e.message.contains("--replicas=5000"), "{e}");
    assert!(parse(text, "t.yaml", &Files::Embedded(&[]), 5000).is_ok());
}
