//! The real binary: every shipped scenario against its reviewed golden files, each exit
//! code, and every class of bad input.
//!
//! Regenerate the golden files after a reviewed change with
//! `UPDATE_GOLDEN=1 cargo test --release --test it cli::`.

use std::path::{Path, PathBuf};
use std::process::Command;

const RUN_FILES: [&str; 9] = [
    "faults.csv",
    "pod-status.csv",
    "transcript.txt",
    "events.csv",
    "replicasets.csv",
    "pods.csv",
    "deployments.csv",
    "commands.csv",
    "summary.yaml",
];

/// Written only by runs that model traffic; a run without traffic must not write them.
const TRAFFIC_FILES: [&str; 4] = [
    "traffic.csv",
    "latency.csv",
    "endpoints.csv",
    "endpoints-ready.csv",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn rollsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Scenarios shown at size: tested to run, but their every-pod CSV files are too large for
/// golden files.
const SIZE_DEMOS: [&str; 1] = ["large-rollout"];

/// Scenario files shipped in `scenarios/` (manifests there end in `.yml`).
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| {
            !SIZE_DEMOS
                .iter()
                .any(|d| p.file_stem().is_some_and(|s| s == *d))
        })
        .collect();
    list.sort();
    list
}

#[test]
fn the_large_rollout_runs_through_the_same_command_with_usable_reports() {
    let out = scratch("large");
    let (code, _, stderr) = rollsim(&[
        "run",
        "scenarios/large-rollout.yaml",
        "--out",
        utf8(&out),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let dir = out.join("large-rollout");
    let summary = std::fs::read_to_string(dir.join("summary.yaml")).expect("summary");
    assert!(summary.contains("min_available: 9500"), "{summary}");
    assert!(summary.contains("max_pods_spec: 11000"), "{summary}");
    let pods = std::fs::read_to_string(dir.join("pods.svg")).expect("timeline");
    assert!(pods.contains("showing 300 of 20000 pods:"));
    let transcript = std::fs::read_to_string(dir.join("transcript.txt")).expect("transcript");
    assert!(transcript.contains("deployment \"web\" successfully rolled out"));
}

fn compare_with_golden(run_dir: &Path, name: &str) {
    // The page embeds the charts' SVG, so it is checked by the browser test, not compared.
    let page = std::fs::read_to_string(run_dir.join("report.html"))
        .unwrap_or_else(|e| panic!("{name}/report.html was not written: {e}"));
    assert!(page.contains("<script id=\"run-data\" type=\"application/json\">"));
    let golden = repo().join("tests/golden").join(name);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let traffic: Vec<&str> = TRAFFIC_FILES
        .into_iter()
        .filter(|f| {
            let written = run_dir.join(f).exists();
            if !update {
                assert_eq!(
                    written,
                    golden.join(f).exists(),
                    "{name}/{f}: written exactly when its golden file exists"
                );
            }
            written
        })
        .collect();
    for file in RUN_FILES.into_iter().chain(traffic) {
        let got = std::fs::read_to_string(run_dir.join(file))
            .unwrap_or_else(|e| panic!("{name}/{file} was not written: {e}"));
        let path = golden.join(file);
        if update {
            std::fs::create_dir_all(&golden).expect("golden folder");
            std::fs::write(&path, &got).expect("golden written");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "no golden file {}; run with UPDATE_GOLDEN=1 and review it",
                path.display()
            )
        });
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            panic!(
                "{name}/{file} differs from its golden file at line {}:\n got: {:?}\nwant: {:?}",
                line + 1,
                got.lines().nth(line),
                want.lines().nth(line)
            );
        }
    }
}

#[test]
fn every_shipped_scenario_matches_its_golden_files() {
    let scenarios = shipped_scenarios();
    assert!(
        scenarios.len() >= 6,
        "the lesson and the docs examples ship"
    );
    let out = scratch("golden");
    for path in &scenarios {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name")
            .to_string();
        let (code, stdout, stderr) = rollsim(&["run", utf8(path), "--out", utf8(&out), "--quiet"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stdout.is_empty(), "--quiet prints no transcript");
        compare_with_golden(&out.join(&name), &name);
    }
}

#[test]
fn the_built_in_lesson_is_the_shipped_lesson_file() {
    let out = scratch("builtin");
    let (code, stdout, _) = rollsim(&["run", "--out", utf8(&out)]);
    assert_eq!(code, 0);
    let written =
        std::fs::read_to_string(out.join("nginx-lesson/transcript.txt")).expect("transcript");
    assert_eq!(stdout, written, "the terminal shows the transcript");
    compare_with_golden(&out.join("nginx-lesson"), "nginx-lesson");
}

#[test]
fn a_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let out = scratch("seeds");
    let run = |seed: &str, sub: &str| {
        let dir = out.join(sub);
        let (code, _, _) = rollsim(&["run", "--seed", seed, "--out", utf8(&dir), "--quiet"]);
        assert_eq!(code, 0);
        RUN_FILES.map(|f| std::fs::read(dir.join("nginx-lesson").join(f)).expect("file"))
    };
    let (a, b, c) = (run("5", "a"), run("5", "b"), run("6", "c"));
    assert_eq!(a, b);
    assert_ne!(a[3], c[3], "pods.csv changes with the seed");
}

fn write_scenario(dir: &Path, file: &str, text: &[u8]) -> String {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("scenario written");
    utf8(&path).to_string()
}

#[test]
fn a_failed_step_exits_1_with_every_file_written() {
    let dir = scratch("exit1");
    let out = dir.join("out");
    let cases: [(&str, &str); 3] = [
        (
            "missing",
            "name: missing\nscript:\n  - kubectl get deployment nope\n",
        ),
        (
            "expected",
            "name: expected\nscript:\n  - {run: kubectl get nodes, expect: failure}\n",
        ),
        (
            "until",
            "name: until\nfiles:\n  d.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n    spec:\n      replicas: 2\n      selector: {matchLabels: {app: d}}\n      template:\n        metadata: {labels: {app: d}}\n        spec: {containers: [{name: c, image: i}]}\nscript:\n  - kubectl apply -f d.yml\n  - kubectl rollout status deploy/d\n  - kubectl get pods\nuntil: 1s\n",
        ),
    ];
    for (name, text) in cases {
        let path = write_scenario(&dir, &format!("{name}.yaml"), text.as_bytes());
        let (code, _, stderr) = rollsim(&["run", &path, "--out", utf8(&out), "--quiet"]);
        assert_eq!(code, 1, "{name}: {stderr}");
        for f in RUN_FILES {
            assert!(out.join(name).join(f).exists(), "{name}/{f} written");
        }
        assert!(stderr.contains("rollsim: step at line"), "{name}: {stderr}");
    }
    let t = std::fs::read_to_string(out.join("missing/transcript.txt")).expect("transcript");
    assert!(
        t.contains("Error from server (NotFound): deployments.apps \"nope\" not found"),
        "{t}"
    );
    let t = std::fs::read_to_string(out.join("until/transcript.txt")).expect("transcript");
    assert!(
        t.contains("`until` (00:00:01.000) came while this step was still waiting"),
        "{t}"
    );
    assert!(t.contains("1 later step(s) not run"), "{t}");
}

#[test]
fn every_class_of_bad_input_exits_2_naming_file_line_and_field() {
    let dir = scratch("exit2");
    let out = dir.join("out");
    let cases: [(&str, &[u8], &str); 19] = [
        ("yaml", b"name: x\nscript: [\n", ":3:1: "),
        (
            "unclosed",
            b"name: x\nscript:\n  - {run: kubectl get pods\n",
            ":4:1: did not find expected ',' or '}' (while parsing a flow mapping that starts at line 3, column 5)",
        ),
        (
            "unknown-field",
            b"name: x\nscript: [sleep 1s]\nseeds: 3\n",
            ":3:1: unknown field `seeds`",
        ),
        (
            "duration",
            b"name: x\nscript: [sleep 1s]\nuntil: 5 minutes\n",
            ":3:8: until: \"5 minutes\"",
        ),
        (
            "uniform",
            b"name: x\ntiming:\n  stop: {uniform: [2s, 1s]}\nscript: [sleep 1s]\n",
            "timing.stop: uniform bounds are reversed",
        ),
        (
            "distribution",
            b"name: x\ntiming:\n  stop: {poisson: {mean: 1s}}\nscript: [sleep 1s]\n",
            "unknown distribution `poisson`",
        ),
        (
            "command",
            b"name: x\nscript:\n  - kubectl port-forward svc/x 8080:80\n",
            ":3: script[0]: `kubectl port-forward",
        ),
        (
            "flag",
            b"name: x\nscript:\n  - kubectl get pods --chunk-size=10\n",
            "unknown flag: --chunk-size",
        ),
        (
            "watch",
            b"name: x\nscript:\n  - kubectl get pods --watch\n",
            "a watch runs until it is stopped: give the step a `timeout:`",
        ),
        (
            "missing-file",
            b"name: x\nscript:\n  - kubectl apply -f nowhere.yml\n",
            ":3: the path \"nowhere.yml\" does not exist",
        ),
        ("empty", b"", "the file is empty"),
        ("binary", b"\x00\x01\x02name", "binary"),
        (
            "name",
            b"name: ../../etc\nscript: [sleep 1s]\n",
            ":1: name: \"../../etc\" must match [a-z0-9][a-z0-9-]*",
        ),
        (
            "sleep",
            b"name: x\nscript:\n  - sleep 30\n",
            "\"30\" has no unit",
        ),
        (
            "probability",
            b"name: x\nfaults:\n  images:\n    \"a:1\": {ready: {failProbability: 1.5}}\nscript: [sleep 1s]\n",
            ":4:20: faults.images.a:1.ready: failProbability 1.5 must be between 0 and 1",
        ),
        (
            "fault-node",
            b"name: x\nfaults:\n  nodes:\n    - {at: 1m, node: worker-9, event: down}\nscript: [sleep 1s]\n",
            ":4: faults.nodes[0].node: no node named \"worker-9\"",
        ),
        (
            "fault-event",
            b"name: x\nfaults:\n  nodes:\n    - {at: 1m, node: node-1, event: sideways}\nscript: [sleep 1s]\n",
            ":4:37: faults.nodes[0].event: unknown variant `sideways`",
        ),
        (
            "rate",
            b"name: x\nfaults:\n  random: {podCrashesPerHour: -1}\nscript: [sleep 1s]\n",
            ":3:11: faults.random: podCrashesPerHour: -1 is not a rate",
        ),
        (
            "drain",
            b"name: x\nscript:\n  - kubectl drain\n",
            ":3: script[0]: `kubectl drain`: `kubectl drain` needs a node",
        ),
    ];
    for (file, text, want) in cases {
        let path = write_scenario(&dir, &format!("{file}.yaml"), text);
        for args in [
            vec!["run", path.as_str(), "--out", utf8(&out)],
            vec!["validate", path.as_str()],
        ] {
            let (code, stdout, stderr) = rollsim(&args);
            let verb = args[0];
            assert_eq!(code, 2, "{verb} {file}: {stderr}");
            assert!(stdout.is_empty(), "{verb} {file}: nothing on stdout");
            assert!(
                stderr.contains(&format!("{file}.yaml")),
                "{verb} {file} names the file: {stderr}"
            );
            assert!(
                stderr.contains(want),
                "{verb} {file}: want {want:?} in {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{verb} {file}: {stderr}");
        }
    }
    assert!(!out.exists(), "invalid input writes nothing");
    let (code, _, stderr) = rollsim(&["run", utf8(&dir.join("absent.yaml"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read the scenario"), "{stderr}");
    let (code, _, _) = rollsim(&["run", "--bogus"]);
    assert_eq!(code, 2, "usage errors exit 2");
}

#[test]
fn a_bad_manifest_is_reported_in_its_own_file_and_line() {
    let dir = scratch("manifest");
    std::fs::write(
        dir.join("app.yml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n  strategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailabel: 1}\n",
    )
    .expect("manifest");
    let path = write_scenario(
        &dir,
        "s.yaml",
        b"name: s\nscript:\n  - kubectl apply -f app.yml\n",
    );
    let (code, _, stderr) = rollsim(&["validate", &path]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("app.yml:8:") && stderr.contains("maxUnavailabel"),
        "{stderr}"
    );
}

#[test]
fn a_run_that_fails_validation_leaves_the_earlier_run_untouched() {
    let dir = scratch("untouched");
    let out = dir.join("out");
    let good = write_scenario(
        &dir,
        "good.yaml",
        b"name: same\nscript:\n  - kubectl get nodes\n",
    );
    let (code, _, _) = rollsim(&["run", &good, "--out", utf8(&out), "--quiet"]);
    assert_eq!(code, 0);
    let before = RUN_FILES.map(|f| std::fs::read(out.join("same").join(f)).expect("file"));
    let bad = write_scenario(
        &dir,
        "bad.yaml",
        b"name: same\nscript:\n  - kubectl get nodes\n  - kubectl explode\n",
    );
    let (code, _, _) = rollsim(&["run", &bad, "--out", utf8(&out), "--quiet"]);
    assert_eq!(code, 2);
    let after = RUN_FILES.map(|f| std::fs::read(out.join("same").join(f)).expect("file"));
    assert_eq!(before, after);
    let entries: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "no temporary folders are left: {entries:?}"
    );
}

#[test]
fn the_pod_limit_stops_a_scenario_before_it_runs() {
    let out = scratch("maxpods");
    let (code, _, stderr) = rollsim(&[
        "run",
        "scenarios/three-replica-update.yaml",
        "--max-pods",
        "2",
        "--out",
        utf8(&out),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("above the pod limit of 2 (--max-pods)"),
        "{stderr}"
    );
}

#[test]
fn help_explains_every_subcommand() {
    let (code, stdout, _) = rollsim(&["--help"]);
    assert_eq!(code, 0);
    for word in ["run", "validate"] {
        assert!(stdout.contains(word), "{stdout}");
    }
    let (_, stdout, _) = rollsim(&["run", "--help"]);
    for flag in ["--seed", "--out", "--quiet", "--max-pods"] {
        assert!(stdout.contains(flag), "{stdout}");
    }
}
