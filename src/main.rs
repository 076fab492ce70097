//! The `rollsim` command: a thin shell over the library. It parses arguments, writes a
//! run's files (into a temporary folder renamed into place), and maps outcomes to exit
//! codes: 0 as expected, 1 a step failed unexpectedly (files written), 2 invalid input.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use rollsim::play::{PlayOptions, play};
use rollsim::report::{self, charts};
use rollsim::scenario::{self, Scenario, ScenarioError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic discrete-event simulator of Kubernetes Deployment rollouts.
///
/// A scenario is a cluster, its latencies and a script of kubectl commands played on a
/// virtual clock; the transcript reads like a terminal session against a real cluster, and
/// the same scenario and seed always give byte-identical files.
#[derive(Parser)]
#[command(name = "rollsim", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play a scenario (or, with none, the built-in nginx lesson) and write its transcript,
    /// CSV files and summary to <OUT>/<scenario name>/.
    Run {
        /// Scenario file (YAML); omit it for the built-in lesson, scenarios/nginx-lesson.yaml.
        scenario: Option<PathBuf>,
        /// Seed of every random stream (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Folder the run's folder is written into.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Do not print the transcript (files are written all the same).
        #[arg(long)]
        quiet: bool,
        /// Most pods that may exist at once; a scenario asking for more is rejected.
        #[arg(long, default_value_t = 1_000_000)]
        max_pods: usize,
    },
    /// Redraw the charts of a finished run from the CSV files and summary in its folder.
    Plot {
        /// A run's folder, e.g. output/nginx-lesson.
        dir: PathBuf,
    },
    /// Time a generated rolling update at scale: M nodes, a Deployment of N replicas applied
    /// and completed, then rolled to a new image with realistic latencies. Prints one line of
    /// key=value figures (wall time only here, never in run files).
    Bench {
        /// Deployment replicas.
        #[arg(long, default_value_t = 150_000)]
        replicas: u32,
        /// Nodes (110 pods each at most).
        #[arg(long, default_value_t = 5_000)]
        nodes: u32,
        /// Seed of every random stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// maxSurge of the Deployment (an integer or a percentage).
        #[arg(long, default_value = "25%")]
        max_surge: String,
        /// maxUnavailable of the Deployment.
        #[arg(long, default_value = "25%")]
        max_unavailable: String,
        /// Also record every pod, ReplicaSet, scheduler and kubelet event, as `run` does.
        #[arg(long)]
        record_events: bool,
        /// Run the same bench this many times and report the fastest (these machines are
        /// noisy; every run is identical in everything but wall time).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Check a scenario file (and every manifest it applies) without running it.
    Validate {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// Pod limit to check replica counts against.
        #[arg(long, default_value_t = 1_000_000)]
        max_pods: usize,
    },
}

fn load(path: Option<&Path>, max_pods: usize) -> Result<Scenario, ScenarioError> {
    match path {
        Some(p) => scenario::load(p, max_pods),
        None => rollsim::lesson::scenario(max_pods),
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { scenario, max_pods } => match load(Some(&scenario), max_pods) {
            Ok(s) => {
                println!(
                    "{}: ok — scenario {}, {} nodes, {} steps, {} manifest file(s)",
                    scenario.display(),
                    s.name,
                    s.nodes.len(),
                    s.steps.len(),
                    s.manifests.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Run {
            scenario,
            seed,
            out,
            quiet,
            max_pods,
        } => run(scenario.as_deref(), seed, &out, quiet, max_pods),
        Command::Plot { dir } => plot(&dir),
        Command::Bench {
            replicas,
            nodes,
            seed,
            max_surge,
            max_unavailable,
            record_events,
            repeat,
        } => bench(
            repeat.max(1),
            rollsim::bench::BenchParams {
                replicas,
                nodes,
                seed,
                max_surge,
                max_unavailable,
                record_events,
                check_invariants: false,
            },
        ),
    }
}

/// Peak resident memory of this process in MB (Linux `VmHWM`), if known.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn bench(repeat: u32, p: rollsim::bench::BenchParams) -> ExitCode {
    if p.replicas == 0 || p.nodes == 0 {
        eprintln!("error: --replicas and --nodes must be at least 1");
        return ExitCode::from(2);
    }
    let mut fastest: Option<(f64, rollsim::bench::BenchResult)> = None;
    for _ in 0..repeat {
        let wall = std::time::Instant::now();
        let result = rollsim::bench::run_keeping_cluster(&p);
        let wall_s = wall.elapsed().as_secs_f64();
        // Freeing 300,000 pod records is teardown, not simulation: done after the clock stops.
        match result {
            Ok((r, cluster)) => {
                drop(cluster);
                if fastest.as_ref().is_none_or(|(best, _)| wall_s < *best) {
                    fastest = Some((wall_s, r));
                }
            }
            Err(e @ rollsim::bench::BenchError::Invalid(_)) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let Some((wall_s, r)) = fastest else {
        return ExitCode::from(1);
    };
    // The ceiling: a bare binary heap doing as many pushes and pops, with as many pending.
    let heap_start = std::time::Instant::now();
    let heap_events = rollsim::bench::bare_heap_loop(r.events, (p.replicas as usize).max(1));
    let heap_s = heap_start.elapsed().as_secs_f64().max(1e-9);
    println!(
        "replicas={} nodes={} events={} virtual_s={:.3} wall_s={wall_s:.3} events_per_s={:.0} pods_created={} peak_pods={} rollout_virtual_s={:.3} peak_rss_mb={} heap_ceiling_events_per_s={:.0} runs={repeat}",
        p.replicas,
        p.nodes,
        r.events,
        r.virtual_end.as_ms() as f64 / 1000.0,
        r.events as f64 / wall_s.max(1e-9),
        r.pods_created,
        r.peak_pods,
        r.rollout.as_ms() as f64 / 1000.0,
        peak_rss_mb().map_or("unknown".to_string(), |m| format!("{m:.0}")),
        heap_events as f64 / heap_s,
    );
    ExitCode::SUCCESS
}

/// Reads a run folder's chart inputs, draws, and replaces the charts one file at a time.
fn plot(dir: &Path) -> ExitCode {
    let mut texts = Vec::new();
    for name in charts::INPUT_FILES {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => texts.push(t),
            // Runs made before faults existed have neither file: they draw without them.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && charts::OPTIONAL_INPUT_FILES.contains(&name) =>
            {
                texts.push(String::new());
            }
            Err(e) => {
                eprintln!(
                    "error: {}: {e} (is this a rollsim run folder?)",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    let files = charts::RunFiles {
        summary_yaml: &texts[0],
        replicasets_csv: &texts[1],
        pods_csv: &texts[2],
        deployments_csv: &texts[3],
        commands_csv: &texts[4],
        faults_csv: &texts[5],
        pod_status_csv: &texts[6],
    };
    let drawn = charts::RunData::parse(&files).and_then(|d| charts::render(&d));
    let drawn = match drawn {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    for (name, bytes) in &drawn {
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let written =
            std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, dir.join(name)));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            eprintln!("error: could not write {}: {e}", dir.join(name).display());
            return ExitCode::from(1);
        }
    }
    let names: Vec<&str> = drawn.iter().map(|(n, _)| n.as_str()).collect();
    eprintln!("rollsim: drew {} in {}", names.join(", "), dir.display());
    ExitCode::SUCCESS
}

fn run(
    path: Option<&Path>,
    seed: Option<u64>,
    out: &Path,
    quiet: bool,
    max_pods: usize,
) -> ExitCode {
    let scenario = match load(path, max_pods) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let wall = std::time::Instant::now();
    let session = play(
        &scenario,
        PlayOptions {
            seed,
            max_pods,
            ..Default::default()
        },
    );
    let wall = wall.elapsed();
    let transcript = report::transcript(&session);
    if !quiet {
        print!("{transcript}");
    }
    let mut files: Vec<(String, Vec<u8>)> = [
        ("transcript.txt", transcript),
        ("events.csv", report::events_csv(&session)),
        ("replicasets.csv", report::replicasets_csv(&session)),
        ("pods.csv", report::pods_csv(&session)),
        ("deployments.csv", report::deployments_csv(&session)),
        ("commands.csv", report::commands_csv(&session)),
        ("faults.csv", report::faults_csv(&session)),
        ("pod-status.csv", report::pod_status_csv(&session)),
        ("summary.yaml", report::summary_yaml(&session)),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t.into_bytes()))
    .collect();
    // Charts are drawn from the files just made, exactly as `rollsim plot` would.
    let text = |n: &str| {
        files
            .iter()
            .find(|(f, _)| f == n)
            .map_or("", |(_, b)| std::str::from_utf8(b).unwrap_or(""))
    };
    let inputs = charts::RunFiles {
        summary_yaml: text("summary.yaml"),
        replicasets_csv: text("replicasets.csv"),
        pods_csv: text("pods.csv"),
        deployments_csv: text("deployments.csv"),
        commands_csv: text("commands.csv"),
        faults_csv: text("faults.csv"),
        pod_status_csv: text("pod-status.csv"),
    };
    let drawn = charts::RunData::parse(&inputs).and_then(|d| charts::render(&d));
    let chart_error = match drawn {
        Ok(d) => {
            files.extend(d);
            None
        }
        Err(e) => Some(e),
    };
    let target = out.join(&session.name);
    if let Err(e) = write_run(out, &session.name, &files) {
        eprintln!("error: could not write {}: {e}", target.display());
        return ExitCode::from(1);
    }
    eprintln!(
        "rollsim: wrote {} ({} files); {} events in {:.3} s wall time",
        target.display(),
        files.len(),
        session.cluster.events_processed(),
        wall.as_secs_f64()
    );
    if let Some(e) = chart_error {
        eprintln!("error: the charts could not be drawn: {e}");
        return ExitCode::from(1);
    }
    let failed = session.unexpected_failures();
    if failed > 0 || session.aborted.is_some() {
        for s in session.steps.iter().filter(|s| !s.as_expected) {
            let what = if s.succeeded {
                "succeeded but was expected to fail"
            } else {
                "failed"
            };
            eprintln!(
                "rollsim: step at line {} ({}) {what} at {}",
                s.line, s.text, s.end
            );
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Writes the files into `<out>/.<name>.tmp-<pid>/`, then swaps that folder into
/// `<out>/<name>/`, so a failed write never leaves a half-written or half-replaced run.
fn write_run(out: &Path, name: &str, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let pid = std::process::id();
    let tmp = out.join(format!(".{name}.tmp-{pid}"));
    let old = out.join(format!(".{name}.old-{pid}"));
    let target = out.join(name);
    let result = (|| {
        std::fs::create_dir(&tmp)?;
        for (file, text) in files {
            std::fs::write(tmp.join(file), text)?;
        }
        if target.exists() {
            std::fs::rename(&target, &old)?;
        }
        std::fs::rename(&tmp, &target)?;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if old.exists() && !target.exists() {
            let _ = std::fs::rename(&old, &target);
        }
    }
    result
}
