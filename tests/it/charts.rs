//! Charts: their content read back from the SVG text, PNGs that decode, byte-identical
//! output for a seed, `rollsim plot` redrawing a run exactly, and sizes from 1 pod to thousands.

use rollsim::play::{PlayOptions, Session, play};
use rollsim::report::{self, charts};
use rollsim::scenario::{self, Files};
use std::path::PathBuf;
use std::process::Command;

fn session(text: &str) -> Session {
    let s = scenario::parse(text, "test.yaml", &Files::Embedded(&[]), 1_000_000)
        .unwrap_or_else(|e| panic!("{e}"));
    play(&s, PlayOptions::default())
}

fn draw(s: &Session) -> Vec<(String, Vec<u8>)> {
    let (summary, rs, pods, deps, cmds) = (
        report::summary_yaml(s, rollsim::report::lang::Lang::En),
        report::replicasets_csv(s),
        report::pods_csv(s),
        report::deployments_csv(s),
        report::commands_csv(s),
    );
    let (faults, statuses) = (report::faults_csv(s), report::pod_status_csv(s));
    let files = charts::RunFiles {
        summary_yaml: &summary,
        replicasets_csv: &rs,
        pods_csv: &pods,
        deployments_csv: &deps,
        commands_csv: &cmds,
        faults_csv: &faults,
        pod_status_csv: &statuses,
        endpoints_ready_csv: "",
    };
    let data = charts::RunData::parse(&files).expect("run files parse");
    charts::render(&data).expect("charts draw")
}

fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} drawn"))
        .1
}

fn svg_text(files: &[(String, Vec<u8>)], name: &str) -> String {
    String::from_utf8(file(files, name).to_vec()).expect("SVG is text")
}

fn lesson() -> Session {
    let s = rollsim::lesson::scenario(1_000_000).expect("lesson");
    play(&s, PlayOptions::default())
}

fn deployment(name: &str, replicas: u32, image: &str, strategy: &str) -> String {
    format!(
        "  {name}-{image}.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: {name}}}\n    spec:\n      replicas: {replicas}\n{strategy}      selector: {{matchLabels: {{app: {name}}}}}\n      template:\n        metadata: {{labels: {{app: {name}}}}}\n        spec: {{containers: [{{name: c, image: \"{image}\", resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}]}}\n"
    )
}

#[test]
fn the_rollout_chart_labels_every_series_bound_and_command() {
    let files = draw(&lesson());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["rollout.png", "rollout.svg", "pods.png", "pods.svg"]
    );
    let svg = svg_text(&files, "rollout.svg");
    for want in [
        "nginx-lesson — deployment ngx-dep (seed 42)",
        "available: rev 1→3 · nginx:1.21-alpine",
        "available: rev 2 · nginx:1.22-alpine",
        "available: rev 4 · nginx:1.22-alpine",
        "ready pods",
        "all live pods (incl. terminating)",
        "desired replicas",
        "floor: replicas − maxUnavailable",
        "ceiling: replicas + maxSurge",
        " undo",
        " apply",
        "rollout 2 → rev 2: took 36.2 s",
        "min available 3/4",
        "peak pods 7 (5 in ReplicaSets)",
        "virtual time (s)",
        "font-family=\"sans-serif\"",
    ] {
        assert!(svg.contains(want), "rollout.svg lacks {want:?}");
    }
    let pods = svg_text(&files, "pods.svg");
    for want in [
        "nginx-lesson — pod timeline (seed 42)",
        "Pending (not scheduled)",
        "pulling image / creating",
        "running, not ready",
        "ready, not yet available",
        "available",
        "terminating",
        "rev 2 · nginx:1.22-alpine (4 pods)",
        "16 pods",
    ] {
        assert!(pods.contains(want), "pods.svg lacks {want:?}");
    }
}

#[test]
fn pngs_decode_at_full_size_and_a_seed_draws_byte_identical_charts() {
    let a = draw(&lesson());
    let b = draw(&lesson());
    assert_eq!(a, b, "same scenario and seed, same bytes");
    for name in ["rollout.png", "pods.png"] {
        let img = image::load_from_memory(file(&a, name)).expect("PNG decodes");
        assert!(
            img.width() >= 1200 && img.height() >= 700,
            "{name} is large enough"
        );
    }
}

#[test]
fn recreate_charts_show_no_surge_bounds_and_one_chart_per_deployment() {
    let text = format!(
        "name: two\nfiles:\n{}{}script:\n  - kubectl apply -f api-img:1.yml\n  - kubectl apply -f db-img:1.yml\n  - sleep 20s\n  - kubectl set image deployment/db c=img:2\n  - kubectl rollout status deployment/db\n",
        deployment("api", 1, "img:1", ""),
        deployment("db", 2, "img:1", "      strategy: {type: Recreate}\n"),
    );
    let files = draw(&session(&text));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "rollout-api.png",
            "rollout-api.svg",
            "rollout-db.png",
            "rollout-db.svg",
            "pods.png",
            "pods.svg"
        ]
    );
    let db = svg_text(&files, "rollout-db.svg");
    assert!(db.contains("(Recreate: no surge, no floor)") && !db.contains("ceiling: replicas"));
    assert!(db.contains(" set image"));
    let api = svg_text(&files, "rollout-api.svg");
    assert!(api.contains("deployment api") && api.contains("available: rev 1 · img:1"));
}

#[test]
fn thousands_of_pods_draw_a_readable_sample_and_say_so() {
    let text = format!(
        "name: big\ncluster:\n  nodes: [{{name: n, count: 20, cpu: \"64\", memory: 256Gi, pods: 250}}]\nfiles:\n{}script:\n  - kubectl apply -f web-img:1.yml\n  - kubectl rollout status deployment/web\n  - kubectl set image deployment/web c=img:2\n  - kubectl rollout status deployment/web\n",
        deployment("web", 1500, "img:1", ""),
    );
    let s = session(&text);
    assert_eq!(s.unexpected_failures(), 0);
    let files = draw(&s);
    let pods = svg_text(&files, "pods.svg");
    assert!(pods.contains("every 10th pod of each revision"), "sampled");
    assert!(
        pods.contains("of 3000 pods"),
        "says how many pods there were"
    );
    let rects = pods.matches("<rect").count();
    assert!(
        rects < 3000,
        "only the sample is drawn ({rects} rectangles)"
    );
}

fn rollsim(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a shipped scenario, deletes `charts`, redraws them with `rollsim plot` and checks
/// they come back byte for byte; the run's folder and the charts as first drawn.
fn run_then_redraw(scenario: &str, charts: &[&str]) -> (PathBuf, Vec<Vec<u8>>) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("plot-{scenario}"));
    let _ = std::fs::remove_dir_all(&out);
    let out_s = out.to_str().expect("utf-8");
    let file = format!("scenarios/{scenario}.yaml");
    let (code, _) = rollsim(&["run", &file, "--out", out_s, "--quiet"]);
    assert_eq!(code, 0);
    let dir = out.join(scenario);
    let drawn: Vec<Vec<u8>> = charts
        .iter()
        .map(|c| std::fs::read(dir.join(c)).expect("chart written by run"))
        .collect();
    for c in charts {
        std::fs::remove_file(dir.join(c)).expect("removed");
    }
    let (code, stderr) = rollsim(&["plot", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    for (c, before) in charts.iter().zip(&drawn) {
        assert_eq!(&std::fs::read(dir.join(c)).expect("redrawn"), before, "{c}");
    }
    (dir, drawn)
}

#[test]
fn plot_redraws_a_runs_charts_byte_for_byte() {
    let charts = ["rollout.png", "rollout.svg", "pods.png", "pods.svg"];
    let (dir, _) = run_then_redraw("node-failure", &charts);
    // A run folder from before faults were simulated lacks these files (and one without
    // traffic never has endpoints-ready.csv): still drawn.
    assert!(
        !dir.join("endpoints-ready.csv").exists(),
        "no traffic, no file"
    );
    for f in charts::OPTIONAL_INPUT_FILES {
        if f != "endpoints-ready.csv" {
            std::fs::remove_file(dir.join(f)).expect("removed");
        }
    }
    let (code, stderr) = rollsim(&["plot", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_file(dir.join("pods.csv")).expect("removed");
    let (code, stderr) = rollsim(&["plot", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("pods.csv"), "{stderr}");
}

#[test]
fn the_time_axis_runs_past_the_end_of_the_run_and_says_so() {
    // The lesson ends the moment its last rollout completes (289 s at seed 42): the axis
    // goes on to 300 s, shaded, so the final state is more than a sliver.
    let files = draw(&lesson());
    for name in ["rollout.svg", "pods.svg"] {
        let svg = svg_text(&files, name);
        assert!(
            svg.contains("after the run&apos;s end (last state held)"),
            "{name}"
        );
        assert!(
            svg.lines().any(|l| l.trim() == "300"),
            "{name}: the axis reaches 300 s"
        );
    }
}

#[test]
fn plot_redraws_a_traffic_runs_charts_byte_for_byte() {
    let charts = ["rollout.png", "rollout.svg", "traffic.png", "traffic.svg"];
    let (_, drawn) = run_then_redraw("traffic-lesson", &charts);
    let svg = String::from_utf8_lossy(&drawn[1]).to_string();
    assert!(
        svg.contains("endpoints ready (Service ngx-svc)"),
        "the rollout chart's line"
    );
}
