//! `rollsim sweep`: the same files whatever the number of threads or shards, merge equal to
//! one run, the shipped sweeps against reviewed golden files, bad sweep files refused with
//! nothing written, and the Indexed Job recipe's command line.
//!
//! Regenerate the golden files after a reviewed change with
//! `UPDATE_GOLDEN=1 cargo test --release --test it sweep::`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sweep-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn rollsim(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .env_remove("JOB_COMPLETION_INDEX")
        .envs(env.iter().copied())
        .current_dir(repo())
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every file of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("folder exists")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect()
}

/// A small sweep of the docs' three-replica update (its manifest beside the scenario, not
/// inline): 2 × 2 combinations, 5 seeds each.
fn small_sweep(dir: &Path) -> PathBuf {
    let text = format!(
        "name: small\nscenario: {}\nseeds: 5\nseed: 40\nvary:\n  - {{object: deployment/nginx-deployment, path: spec.strategy.rollingUpdate.maxSurge, values: [1, \"100%\"]}}\n  - {{object: deploy/nginx-deployment, path: spec.minReadySeconds, name: minReady, values: [0, 10]}}\nmeasure: [rollout_s, peak_pods]\nrequire: [\"p99 rollout_s <= 60\"]\n",
        s(&repo().join("scenarios/three-replica-update.yaml"))
    );
    let path = dir.join("small.yaml");
    std::fs::write(&path, text).expect("sweep written");
    path
}

#[test]
fn threads_do_not_change_a_single_byte() {
    let dir = scratch("threads");
    let sweep = small_sweep(&dir);
    for jobs in ["1", "3"] {
        let out = dir.join(format!("jobs-{jobs}"));
        let (code, err) = rollsim(&["sweep", s(&sweep), "--out", s(&out), "--jobs", jobs], &[]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("20 runs in"), "{err}");
    }
    let one = files(&dir.join("jobs-1/small"));
    assert_eq!(one, files(&dir.join("jobs-3/small")));
    let names: Vec<&str> = one.keys().map(String::as_str).collect();
    for expected in [
        "runs.csv",
        "summary.csv",
        "summary.md",
        "sweep.yaml",
        "heatmap.png",
        "heatmap.svg",
        "tradeoff.png",
        "distribution-rollout-s.svg",
        "distribution-peak-pods.png",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let runs = String::from_utf8(one["runs.csv"].clone()).expect("utf-8");
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(
        lines[0],
        "run,maxSurge,minReady,seed,rollout_s,completed,min_available,peak_pods,peak_pods_spec,extra_pods,failed_requests,success_ratio,deadline_exceeded,exit_status"
    );
    assert_eq!(lines.len(), 21);
    // Run r: combination r / 5 (the last parameter fastest), seed 40 + r % 5.
    for (r, line) in lines[1..].iter().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], r.to_string());
        assert_eq!(f[1], ["1", "1", "100%", "100%"][r / 5]);
        assert_eq!(f[2], ["0", "10", "0", "10"][r / 5]);
        assert_eq!(f[3], (40 + r % 5).to_string());
        assert_eq!(f[5], "1", "every rollout completes: {line}");
        // The script describes a pod by the name seed 1 gives it, so with other seeds that
        // step fails and the run exits 1, as `rollsim run --seed 40` would.
        assert_eq!(f[13], "1", "{line}");
    }
}

#[test]
fn the_varied_values_reach_the_runs() {
    let dir = scratch("values");
    let sweep = small_sweep(&dir);
    let (code, err) = rollsim(&["sweep", s(&sweep), "--out", s(&dir)], &[]);
    assert_eq!(code, 0, "{err}");
    let runs = std::fs::read_to_string(dir.join("small/runs.csv")).expect("runs.csv");
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let num = |r: &Vec<&str>, i: usize| r[i].parse::<f64>().expect("number");
    for r in &rows {
        // maxSurge 1 on three replicas: at most 4 pods asked for; 100 %: 6.
        let surge = if r[1] == "1" { 1.0 } else { 3.0 };
        assert_eq!(num(r, 8), 3.0 + surge, "peak_pods_spec {r:?}");
        // minReadySeconds 10 holds every new pod back 10 s before it counts.
        if r[2] == "10" {
            assert!(num(r, 4) >= 10.0, "{r:?}");
        }
    }
    // The same seed, minReadySeconds 10 against 0: strictly slower.
    for k in 0..5 {
        assert!(num(&rows[5 + k], 4) > num(&rows[k], 4), "seed {}", 40 + k);
    }
    let md = std::fs::read_to_string(dir.join("small/summary.md")).expect("summary.md");
    assert!(
        md.contains("4 combinations × 5 seeds (40–44) = 20 runs"),
        "{md}"
    );
    assert!(md.contains("| rank | `maxSurge` | `minReady` | rollout_s p50 | rollout_s p99 | peak_pods p50 | peak_pods p99 | meets |"), "{md}");
}

#[test]
fn shards_merged_equal_one_run_byte_for_byte() {
    let dir = scratch("shards");
    let sweep = small_sweep(&dir);
    let whole = dir.join("whole");
    assert_eq!(
        rollsim(
            &["sweep", s(&sweep), "--out", s(&whole), "--jobs", "2"],
            &[]
        )
        .0,
        0
    );
    let shards = dir.join("shards");
    for i in 0..3 {
        let shard = format!("{i}/3");
        let (code, err) = if i == 1 {
            // As a Kubernetes Indexed Job runs it: the index from the environment.
            rollsim(
                &["sweep", s(&sweep), "--out", s(&shards), "--shard", "auto/3"],
                &[("JOB_COMPLETION_INDEX", "1")],
            )
        } else {
            rollsim(
                &["sweep", s(&sweep), "--out", s(&shards), "--shard", &shard],
                &[],
            )
        };
        assert_eq!(code, 0, "{err}");
    }
    let shard1 = files(&shards.join("small-shard-1-of-3"));
    assert_eq!(
        shard1.keys().collect::<Vec<_>>(),
        ["runs.csv", "shard.yaml", "sweep.yaml"]
    );
    let info = String::from_utf8(shard1["shard.yaml"].clone()).expect("utf-8");
    assert!(
        info.contains("index: 1\ncount: 3\nfirst_run: 6\nend_run: 13\ntotal_runs: 20"),
        "{info}"
    );
    // Merged from the shared folder that holds the shards.
    let merged = dir.join("merged");
    let (code, err) = rollsim(&["sweep", "merge", s(&shards), "--out", s(&merged)], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(files(&merged.join("small")), files(&whole.join("small")));
}

#[test]
fn merge_refuses_incomplete_or_mixed_shards_and_writes_nothing() {
    let dir = scratch("merge-bad");
    let sweep = small_sweep(&dir);
    let shards = dir.join("shards");
    for i in 0..2 {
        assert_eq!(
            rollsim(
                &[
                    "sweep",
                    s(&sweep),
                    "--out",
                    s(&shards),
                    "--shard",
                    &format!("{i}/2")
                ],
                &[]
            )
            .0,
            0
        );
    }
    let other = dir.join("other");
    let text = std::fs::read_to_string(&sweep)
        .expect("sweep")
        .replace("seeds: 5", "seeds: 6");
    std::fs::write(dir.join("other.yaml"), text).expect("written");
    assert_eq!(
        rollsim(
            &[
                "sweep",
                s(&dir.join("other.yaml")),
                "--out",
                s(&other),
                "--shard",
                "1/2"
            ],
            &[]
        )
        .0,
        0
    );
    let out = dir.join("merged");
    let cases: Vec<(Vec<PathBuf>, &str)> = vec![
        (vec![shards.join("small-shard-0-of-2")], "missing [1]"),
        (
            vec![
                shards.join("small-shard-0-of-2"),
                shards.join("small-shard-0-of-2"),
            ],
            "given twice [0]",
        ),
        (
            vec![
                shards.join("small-shard-0-of-2"),
                other.join("small-shard-1-of-2"),
            ],
            "of a different sweep",
        ),
        (vec![dir.clone()], "holds no shard folder"),
    ];
    for (dirs, message) in cases {
        let mut args = vec!["sweep", "merge"];
        args.extend(dirs.iter().map(|d| s(d)));
        args.extend(["--out", s(&out)]);
        let (code, err) = rollsim(&args, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(message), "{message}: {err}");
        assert!(!out.join("small").exists());
    }
    // A shard whose runs.csv lost its last rows.
    let runs = shards.join("small-shard-1-of-2/runs.csv");
    let text = std::fs::read_to_string(&runs).expect("runs");
    std::fs::write(
        &runs,
        text.lines().take(5).collect::<Vec<_>>().join("\n") + "\n",
    )
    .expect("written");
    let (code, err) = rollsim(&["sweep", "merge", s(&shards), "--out", s(&out)], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("runs.csv: ends at run 14, its shard.yaml says 20"),
        "{err}"
    );
    assert!(!out.join("small").exists());
}

#[test]
fn bad_sweeps_name_file_line_and_field_and_write_nothing() {
    let dir = scratch("bad");
    let scenario = repo().join("scenarios/three-replica-update.yaml");
    let head = format!("name: bad\nscenario: {}\nseeds: 2\nvary:\n", s(&scenario));
    let cases = [
        (
            format!("{head}  - {{path: cluster.nodes.3.count, values: [1]}}\n"),
            ":5: combination count=1: cluster.nodes.3.count:",
            "indexes a value that is not a list",
        ),
        (
            format!("{head}  - {{object: deployment/web, path: spec.replicas, values: [1]}}\n"),
            ":5:",
            "object: deployment/web is in no manifest",
        ),
        (
            format!(
                "{head}  - {{object: deployment/nginx-deployment, path: spec.strategy.rollingUpdate.maxSurge, values: [\"1O%\"]}}\n"
            ),
            ":5: combination maxSurge=1O%:",
            "maxSurge",
        ),
        (
            format!(
                "{head}  - {{object: deployment/nginx-deployment, path: spec.replicas, values: [-1]}}\n"
            ),
            ":5: combination replicas=-1:",
            "replicas",
        ),
        (
            format!(
                "{head}  - {{object: deployment/nginx-deployment, path: spec.replicas, values: [1]}}\nmeasure: [speed]\n"
            ),
            ":6:",
            "unknown figure \"speed\"",
        ),
        (
            format!("{head}  - {{path: until, values: [1h]}}\nseeds: 3\n"),
            ":",
            "duplicate",
        ),
        (
            format!("{head}  - {{path: until, values: [1h]}}\n")
                .replace("three-replica-update", "missing"),
            "missing.yaml",
            "cannot read",
        ),
    ];
    for (i, (text, place, message)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad-{i}.yaml"));
        std::fs::write(&path, text).expect("written");
        let out = dir.join("out");
        let (code, err) = rollsim(&["sweep", s(&path), "--out", s(&out)], &[]);
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(
            err.contains(place) && err.contains(message),
            "case {i}: {err}"
        );
        assert!(!out.exists(), "case {i}: nothing written");
    }
    let sweep = small_sweep(&dir);
    let out = dir.join("out");
    for (shard, env, message) in [
        ("3/3", None, "the index must be below 3"),
        ("auto/3", None, "JOB_COMPLETION_INDEX is not set"),
        ("auto/3", Some("x"), "JOB_COMPLETION_INDEX is not a number"),
        ("1of3", None, "expected I/N"),
    ] {
        let env: Vec<(&str, &str)> = env
            .map(|v| ("JOB_COMPLETION_INDEX", v))
            .into_iter()
            .collect();
        let (code, err) = rollsim(
            &["sweep", s(&sweep), "--out", s(&out), "--shard", shard],
            &env,
        );
        assert_eq!(code, 2, "{shard}: {err}");
        assert!(err.contains(message), "{shard}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn an_earlier_sweep_survives_a_failed_one() {
    let dir = scratch("survive");
    let sweep = small_sweep(&dir);
    assert_eq!(rollsim(&["sweep", s(&sweep), "--out", s(&dir)], &[]).0, 0);
    let before = files(&dir.join("small"));
    let broken = std::fs::read_to_string(&sweep)
        .expect("sweep")
        .replace("values: [0, 10]", "values: [0, ten]");
    std::fs::write(&sweep, broken).expect("written");
    let (code, err) = rollsim(&["sweep", s(&sweep), "--out", s(&dir)], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("minReadySeconds"), "{err}");
    assert_eq!(files(&dir.join("small")), before);
}

/// The shipped sweeps: runs.csv, summary.csv and summary.md against reviewed golden files.
#[test]
fn shipped_sweeps_match_their_golden_files() {
    let dir = scratch("golden");
    let golden = repo().join("tests/golden/sweeps");
    for name in ["surge-vs-unavailable", "spare-nodes", "prestop-sleep"] {
        let (code, err) = rollsim(
            &[
                "sweep",
                &format!("scenarios/sweeps/{name}.yaml"),
                "--out",
                s(&dir),
            ],
            &[],
        );
        assert_eq!(code, 0, "{name}: {err}");
        for file in ["runs.csv", "summary.csv", "summary.md"] {
            let got = std::fs::read_to_string(dir.join(name).join(file)).expect("written");
            let path = golden.join(name).join(file);
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
                std::fs::write(&path, &got).expect("golden written");
            }
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("{} missing", path.display()));
            assert!(got == want, "{name}/{file} differs from its golden file");
        }
    }
}

/// The Indexed Job manifest runs the command this binary accepts, its shard count equal to
/// the Job's completions.
#[test]
fn the_indexed_job_recipe_runs_as_written() {
    let text = std::fs::read_to_string(repo().join("deploy/sweep-job.yaml")).expect("Job manifest");
    let job: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let completions = job["spec"]["completions"].as_u64().expect("completions");
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<String> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string").to_string())
        .collect();
    assert_eq!(args[0], "sweep");
    let shard = args.iter().position(|a| a == "--shard").expect("--shard");
    assert_eq!(args[shard + 1], format!("auto/{completions}"));
    // The same arguments here, the sweep and output paths mapped to this checkout.
    let dir = scratch("job");
    let local: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("/scenarios/", "scenarios/")
                .replace("/results", s(&dir))
        })
        .collect();
    let local: Vec<&str> = local.iter().map(String::as_str).collect();
    let (code, err) = rollsim(&local, &[("JOB_COMPLETION_INDEX", "0")]);
    assert_eq!(code, 0, "{local:?}: {err}");
    assert!(
        std::fs::read_dir(&dir).expect("results").count() == 1,
        "one shard folder"
    );
}

/// Ctrl-C in the middle of a sweep: exit 130, no folder, no temporary folder left, and the
/// progress lines before it on standard error.
#[test]
fn an_interrupted_sweep_writes_nothing() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("interrupt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args([
            "sweep",
            "scenarios/sweeps/ten-thousand-rollouts.yaml",
            "--out",
            s(&dir),
            "--jobs",
            "2",
            "--progress-every-ms",
            "0",
        ])
        .current_dir(repo())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawned");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(
        first.starts_with("rollsim: ") && first.contains(" of 10000 runs ("),
        "{first}"
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
    let left: Vec<_> = std::fs::read_dir(&dir).expect("out").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--write-run R` writes run R's whole folder, and its figures are runs.csv's row R.
#[test]
fn one_run_of_a_sweep_is_written_whole_on_request() {
    let dir = scratch("write-run");
    let sweep = small_sweep(&dir);
    assert_eq!(rollsim(&["sweep", s(&sweep), "--out", s(&dir)], &[]).0, 0);
    let (code, err) = rollsim(
        &["sweep", s(&sweep), "--out", s(&dir), "--write-run", "17"],
        &[],
    );
    // The script describes a pod by the name seed 1 gives it: that step fails, exit 1.
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("run 17, 100%, 10, seed 42"), "{err}");
    let run = dir.join("small-run-17");
    for file in [
        "transcript.txt",
        "summary.yaml",
        "rollout.png",
        "pods.svg",
        "replicasets.csv",
    ] {
        assert!(run.join(file).is_file(), "{file}");
    }
    let summary = std::fs::read_to_string(run.join("summary.yaml")).expect("summary");
    let runs = std::fs::read_to_string(dir.join("small/runs.csv")).expect("runs.csv");
    let row: Vec<&str> = runs.lines().nth(18).expect("row 17").split(',').collect();
    assert_eq!(row[0], "17");
    assert!(summary.contains("seed: 42"), "{summary}");
    assert!(
        summary.contains(&format!("duration_s: {}", row[4])),
        "rollout_s {} in {summary}",
        row[4]
    );
    let (code, err) = rollsim(
        &["sweep", s(&sweep), "--out", s(&dir), "--write-run", "20"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("the sweep has runs 0 to 19"), "{err}");
}
