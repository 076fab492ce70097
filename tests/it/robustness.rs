//! Inputs that once hung, ran out of memory or lost output: each is refused with exit 2 and
//! nothing written, stopped with a clear message, or survives an interrupt with the earlier
//! run intact.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rollsim");

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("robust-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn rollsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Names of everything in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Three pods that crash for ever: a year of this is tens of millions of events.
const CRASH_LOOP: &str = "name: endless\nuntil: 8761h\nfaults:\n  images:\n    \"app:bad\": {exitAfter: 5s}\nfiles:\n  d.yaml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      replicas: 3\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec: {containers: [{name: web, image: \"app:bad\"}]}\nscript:\n  - kubectl apply -f d.yaml\n  - sleep 8760h\n";

#[test]
fn unbounded_sizes_rates_and_durations_are_refused_before_running() {
    let dir = scratch("bounds");
    let out = dir.join("out");
    let cases: [(&str, String, &str); 9] = [
        (
            "node-rate",
            "name: x\nfaults:\n  random: {nodeFailuresPerDay: 1e12, nodeRecovery: 1m}\nscript: [sleep 1s]\n".into(),
            "nodeFailuresPerDay: 1000000000000 is more than rollsim simulates; the most is 1440 per node and day",
        ),
        (
            "crash-rate",
            "name: x\nfaults:\n  random: {podCrashesPerHour: 1e7}\nscript: [sleep 1s]\n".into(),
            "podCrashesPerHour: 10000000 is more than rollsim simulates; the most is 3600",
        ),
        (
            "recovery",
            "name: x\nfaults:\n  random: {nodeFailuresPerDay: 10, nodeRecovery: 0s}\nscript: [sleep 1s]\n".into(),
            "faults.random.nodeRecovery: a machine takes at least 1s to come back",
        ),
        (
            "until",
            "name: x\nuntil: 100000000h\nscript: [sleep 1s]\n".into(),
            ":2:8: until: \"100000000h\" is too long: rollsim plays at most 366 days",
        ),
        (
            "sleep",
            "name: x\nscript:\n  - sleep 9000h\n".into(),
            ":3: script[0]: `sleep 9000h`: \"9000h\" is too long",
        ),
        (
            "duplicate-file",
            "name: x\nfiles:\n  a.yaml: |\n    kind: ConfigMap\n  a.yaml: |\n    kind: ConfigMap\nscript: [sleep 1s]\n".into(),
            "files: \"a.yaml\" is given twice",
        ),
        (
            "duplicate-image",
            "name: x\nfaults:\n  images:\n    \"a:1\": {pull: fail}\n    \"a:1\": {exitAfter: 1s}\nscript: [sleep 1s]\n".into(),
            "\"a:1\" is given twice",
        ),
        (
            "deep-flow",
            format!("name: x\nscript: [sleep 1s]\ndescription: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            "the YAML is nested 100002 levels deep; rollsim reads at most 64",
        ),
        (
            "deep-block",
            format!("name: x\nscript: [sleep 1s]\ndescription:\n  {}a\n", "- ".repeat(100_000)),
            "rollsim reads at most 64",
        ),
    ];
    for (file, text, want) in &cases {
        let path = dir.join(format!("{file}.yaml"));
        std::fs::write(&path, text).expect("scenario written");
        for verb in ["run", "validate"] {
            let (code, stdout, stderr) = rollsim(
                &[verb, utf8(&path), "--out", utf8(&out)][..if verb == "run" { 4 } else { 2 }],
            );
            assert_eq!(code, 2, "{verb} {file}: {stderr}");
            assert!(stdout.is_empty(), "{verb} {file}: {stdout}");
            assert!(stderr.contains(&format!("{file}.yaml")), "{file}: {stderr}");
            assert!(
                stderr.contains(want),
                "{verb} {file}: want {want:?} in {stderr}"
            );
        }
    }
    assert!(!out.exists(), "invalid input writes nothing");
}

#[test]
fn only_regular_files_of_a_few_megabytes_are_read() {
    let dir = scratch("files");
    let out = dir.join("out");
    let big = dir.join("big.yaml");
    std::fs::write(&big, "# padding\n".repeat(500_000)).expect("big file");
    let manifest_dir = dir.join("manifests");
    std::fs::create_dir_all(&manifest_dir).expect("folder");
    let apply_dir = dir.join("apply-dir.yaml");
    std::fs::write(
        &apply_dir,
        "name: x\nscript:\n  - kubectl apply -f manifests\n",
    )
    .expect("s");
    let apply_zero = dir.join("apply-zero.yaml");
    std::fs::write(
        &apply_zero,
        "name: x\nscript:\n  - kubectl apply -f zero.yaml\n",
    )
    .expect("s");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.yaml")).expect("link");
    let cases: [(&str, &str); 5] = [
        (
            "/dev/zero",
            "cannot read the scenario: it is not a regular file",
        ),
        (
            utf8(&dir),
            "cannot read the scenario: it is a directory, not a file",
        ),
        (
            utf8(&big),
            "cannot read the scenario: it is larger than 4 MiB",
        ),
        (utf8(&apply_dir), ":3: cannot read \"manifests\""),
        (utf8(&apply_zero), "it is not a regular file"),
    ];
    for (path, want) in cases {
        let (code, _, stderr) = rollsim(&["run", path, "--out", utf8(&out)]);
        assert_eq!(code, 2, "{path}: {stderr}");
        assert!(stderr.contains(want), "{path}: want {want:?} in {stderr}");
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_byte_order_mark_is_read_as_kubectl_reads_it() {
    let dir = scratch("bom");
    let path = dir.join("bom.yaml");
    std::fs::write(
        &path,
        b"\xef\xbb\xbfname: bom\nscript:\n  - kubectl get nodes\n",
    )
    .expect("s");
    let (code, stdout, stderr) = rollsim(&["validate", utf8(&path)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("scenario bom"), "{stdout}");
}

#[test]
fn forty_thousand_steps_load_and_errors_name_their_own_line() {
    let dir = scratch("steps");
    let mut text = String::from("name: many\nscript:\n");
    for i in 0..40_000 {
        if i % 3 == 0 {
            text.push_str(&format!("  - {{at: {i}s, run: kubectl get pods}}\n"));
        } else if i % 3 == 1 {
            text.push_str("  - at: 1s\n    run: \"kubectl get nodes\"\n");
        } else {
            text.push_str("  - kubectl get rs\n");
        }
    }
    text.push_str("  - kubectl explode\n");
    let path = dir.join("many.yaml");
    std::fs::write(&path, &text).expect("s");
    let last_line = text.lines().count();
    let (code, _, stderr) = rollsim(&["validate", utf8(&path)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "many.yaml:{last_line}: script[40000]: `kubectl explode`"
        )),
        "line {last_line}: {stderr}"
    );
}

#[test]
fn pod_and_event_limits_parse_into_the_type_they_are_compared_with() {
    let s = "scenarios/three-replica-update.yaml";
    let repo = env!("CARGO_MANIFEST_DIR");
    let path = format!("{repo}/{s}");
    for args in [
        ["run", path.as_str(), "--max-pods", "18446744073709551615"],
        ["run", path.as_str(), "--max-pods", "0"],
        ["run", path.as_str(), "--max-events", "0"],
        ["validate", path.as_str(), "--max-pods", "1e6"],
    ] {
        let (code, _, stderr) = rollsim(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{args:?}: {stderr}");
    }
    let (_, stdout, _) = rollsim(&["run", "--help"]);
    assert!(stdout.contains("[default: 100000]"), "{stdout}");
}

#[test]
fn a_run_past_its_event_budget_shows_progress_stops_and_writes_its_files() {
    let dir = scratch("budget");
    let out = dir.join("out");
    let path = dir.join("endless.yaml");
    std::fs::write(&path, CRASH_LOOP).expect("s");
    let (code, _, stderr) = rollsim(&[
        "run",
        utf8(&path),
        "--out",
        utf8(&out),
        "--quiet",
        "--max-events",
        "100000",
        "--progress-every-ms",
        "0",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("rollsim: virtual time ") && stderr.contains("events, step 2 of 2"),
        "progress lines: {stderr}"
    );
    assert!(
        stderr.contains("rollsim: stopped after 100000 events, the run's event budget (raise it with --max-events)"),
        "{stderr}"
    );
    let t = std::fs::read_to_string(out.join("endless/transcript.txt")).expect("transcript");
    assert!(
        t.contains("# run aborted: stopped after 100000 events"),
        "{t}"
    );
}

#[test]
fn unusable_output_folders_are_refused_before_the_run() {
    let dir = scratch("out");
    let s = format!(
        "{}/scenarios/three-replica-update.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = dir.join("a-file");
    std::fs::write(&file, "keep me").expect("file");
    let taken = dir.join("taken");
    std::fs::create_dir_all(&taken).expect("folder");
    std::fs::write(taken.join("three-replica-update"), "keep me too").expect("file");
    let cases: [(&Path, &str); 3] = [
        (&file, "is not a folder"),
        (
            Path::new("/proc/rollsim-test/out"),
            "cannot create --out /proc/rollsim-test/out",
        ),
        (&taken, "three-replica-update exists and is not a folder"),
    ];
    for (out, want) in cases {
        let (code, stdout, stderr) = rollsim(&["run", &s, "--out", utf8(out)]);
        assert_eq!(code, 2, "{}: {stderr}", out.display());
        assert!(stdout.is_empty(), "refused before the run: {stdout}");
        assert!(stderr.contains(want), "want {want:?} in {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "keep me");
    assert_eq!(listing(&taken), ["three-replica-update"]);
    assert_eq!(
        std::fs::read_to_string(taken.join("three-replica-update")).expect("file"),
        "keep me too"
    );
}

#[test]
fn an_interrupted_run_leaves_the_earlier_run_whole_and_nothing_else() {
    let dir = scratch("interrupt");
    let out = dir.join("out");
    let path = dir.join("endless.yaml");
    let short = CRASH_LOOP.replace("sleep 8760h", "sleep 1m");
    std::fs::write(&path, &short).expect("s");
    let (code, _, stderr) = rollsim(&["run", utf8(&path), "--out", utf8(&out), "--quiet"]);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(out.join("endless/transcript.txt")).expect("earlier run");
    // Leftovers of runs killed outright: removed by the next run.
    std::fs::create_dir_all(out.join(".endless.tmp-999999999")).expect("leftover");
    std::fs::write(path.as_path(), CRASH_LOOP).expect("s");
    let mut child = Command::new(BIN)
        .args([
            "run",
            utf8(&path),
            "--out",
            utf8(&out),
            "--quiet",
            "--max-events",
            "10000000000",
            "--progress-every-ms",
            "0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawned");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    // The run is under way (and past its checks) once it reports progress.
    let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    assert!(first.starts_with("rollsim: virtual time"), "{first}");
    assert!(
        !out.join(".endless.tmp-999999999").exists(),
        "a dead run's folder is removed"
    );
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("interrupted; nothing written")),
        "{rest:?}"
    );
    assert_eq!(listing(&out), ["endless"], "no temporary folder left");
    let after = std::fs::read(out.join("endless/transcript.txt")).expect("earlier run");
    assert_eq!(before, after, "the earlier run is untouched");
}

#[test]
fn a_rerun_replaces_the_earlier_run_whole() {
    let dir = scratch("replace");
    let out = dir.join("out");
    let path = dir.join("s.yaml");
    std::fs::write(&path, "name: same\nscript:\n  - kubectl get nodes\n").expect("s");
    let (code, _, _) = rollsim(&["run", utf8(&path), "--out", utf8(&out), "--quiet"]);
    assert_eq!(code, 0);
    std::fs::write(out.join("same/stale.txt"), "from an older rollsim").expect("stale");
    // An earlier run that a killed run had moved aside comes back if nothing replaced it.
    std::fs::rename(out.join("same"), out.join(".same.old-999999999")).expect("aside");
    let (code, _, stderr) = rollsim(&[
        "run",
        utf8(&path),
        "--out",
        utf8(&out),
        "--quiet",
        "--seed",
        "2",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(listing(&out), ["same"]);
    assert!(
        !out.join("same/stale.txt").exists(),
        "the new run replaces the folder whole"
    );
    let summary = std::fs::read_to_string(out.join("same/summary.yaml")).expect("summary");
    assert!(summary.contains("seed: 2"), "{summary}");
}
