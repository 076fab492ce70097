//! The `rollsim` command: a thin shell over the library. It parses arguments, writes a
//! run's files (into a temporary folder renamed into place), and maps outcomes to exit
//! codes: 0 as expected, 1 a step failed unexpectedly (files written), 2 invalid input.
#![forbid(unsafe_code)]

mod output;
mod sweep_cmd;

use clap::{Parser, Subcommand};
use rollsim::play::{self, PlayOptions, Progress, play_observed};
use rollsim::report::{self, charts};
use rollsim::scenario::{self, Scenario, ScenarioError};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
        /// After each Deployment controller decision, print (and write to the transcript)
        /// the arithmetic that produced it, as `[time] # why: …` lines, and write
        /// explain.csv. Without it the transcript is exactly kubectl's session.
        #[arg(long)]
        explain: bool,
        /// Language of the explanations (`en` or `zh-CN`); kubectl's own texts stay as
        /// kubectl prints them.
        #[arg(long, default_value = "en", value_parser = ["en", "zh-CN"])]
        lang: String,
        /// Most pods that may exist at once; a scenario asking for more is rejected. The
        /// default is Kubernetes' own limit per cluster, which keeps a run within about 1 GB.
        #[arg(long, default_value_t = play::DEFAULT_MAX_PODS as u64, value_parser = clap::value_parser!(u64).range(1..=play::MAX_MAX_PODS as u64))]
        max_pods: u64,
        /// Most events the run may process (about 2 million a second); a run that reaches
        /// it stops, writes its files and exits 1.
        #[arg(long, default_value_t = play::DEFAULT_MAX_EVENTS, value_parser = clap::value_parser!(u64).range(1..=play::MAX_MAX_EVENTS))]
        max_events: u64,
        /// Milliseconds of wall time before the first progress line and between lines.
        #[arg(long, default_value_t = 1000, hide = true)]
        progress_every_ms: u64,
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
        /// Spread the pods over the nodes' 10 zones with a DoNotSchedule topology spread
        /// constraint (maxSkew 1).
        #[arg(long)]
        spread: bool,
        /// Give the pods a required pod anti-affinity term on kubernetes.io/hostname.
        #[arg(long)]
        anti_affinity: bool,
        /// Give the pods preferences every node found feasible is scored on: a
        /// ScheduleAnyway zone spread and a preferred node affinity for half the zones.
        #[arg(long)]
        prefer: bool,
    },
    /// Time request-level traffic: clients at a steady rate through a Service while a
    /// Deployment of N replicas rolls from v1 to v2, for M virtual minutes. Prints one line
    /// of key=value figures, requests simulated per second among them.
    BenchTraffic {
        /// Deployment replicas.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        replicas: u32,
        /// Nodes (every node sends a share of the requests).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000))]
        nodes: u32,
        /// Requests per second.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        rate: u32,
        /// Virtual minutes (v2 is applied after a third of them).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1_440))]
        minutes: u32,
        /// Connection mode: new, keepalive or http2.
        #[arg(long, default_value = "new", value_parser = ["new", "keepalive", "http2"])]
        connection: String,
        /// Seed of every random stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Run this many times and report the fastest.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Play a scenario over every combination of some settings, many seeds each, on every
    /// core, and write runs.csv, summary.csv, summary.md and charts to <OUT>/<sweep name>/.
    /// `rollsim sweep merge DIR…` combines the folders of `--shard` runs into the same files.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        action: Option<SweepAction>,
        /// Sweep file (YAML).
        #[arg(required = true)]
        sweep: Option<PathBuf>,
        /// Folder the sweep's folder is written into.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Threads (default: every core). The files do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
        jobs: Option<u64>,
        /// Run only slice I of N (0-based): `0/4` … `3/4`, or `auto/4` to take I from
        /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Writes <name>-shard-I-of-N/.
        #[arg(long)]
        shard: Option<String>,
        /// Pod limit each combination's scenario is checked against.
        #[arg(long, default_value_t = play::DEFAULT_MAX_PODS as u64, value_parser = clap::value_parser!(u64).range(1..=play::MAX_MAX_PODS as u64))]
        max_pods: u64,
        /// Milliseconds between progress lines when standard error is not a terminal.
        #[arg(long, default_value_t = 5000, hide = true)]
        progress_every_ms: u64,
        /// Instead of the sweep, play its run R (as runs.csv numbers them) and write that
        /// run's whole folder — transcript, CSV files, charts — to <OUT>/<name>-run-R/.
        #[arg(long, value_name = "R")]
        write_run: Option<u64>,
    },
    /// Time a sweep's runs on one thread, on two, and as two independent processes at once
    /// (what the machine itself gives), and print the speed-ups as key=value figures.
    BenchSweep {
        /// Sweep file (YAML).
        sweep: PathBuf,
        /// Runs timed (the sweep's first ones).
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
        runs: u64,
        /// Repeat every measurement this many times, alternating, and keep the fastest.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
        /// Internal: run the first RUNS runs on one thread and print the seconds taken.
        #[arg(long, hide = true)]
        worker: bool,
    },
    /// Check a scenario file (and every manifest it applies) without running it.
    Validate {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// Pod limit to check replica counts against.
        #[arg(long, default_value_t = play::DEFAULT_MAX_PODS as u64, value_parser = clap::value_parser!(u64).range(1..=play::MAX_MAX_PODS as u64))]
        max_pods: u64,
    },
}

#[derive(Subcommand)]
enum SweepAction {
    /// Combine the folders of `rollsim sweep --shard` runs (or folders holding them) into
    /// <OUT>/<sweep name>/, byte for byte what one unsharded run writes.
    Merge {
        /// Shard folders, or folders that hold them.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder the merged sweep's folder is written into.
        #[arg(long, default_value = "output")]
        out: PathBuf,
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
        Command::Validate { scenario, max_pods } => validate(&scenario, max_pods as usize),
        Command::Run {
            scenario,
            seed,
            out,
            quiet,
            explain,
            lang,
            max_pods,
            max_events,
            progress_every_ms,
        } => run(
            scenario.as_deref(),
            &out,
            Shown {
                quiet,
                explain,
                lang: report::lang::Lang::parse(&lang).unwrap_or_default(),
            },
            PlayOptions {
                seed,
                max_pods: max_pods as usize,
                max_events,
            },
            std::time::Duration::from_millis(progress_every_ms),
        ),
        Command::Plot { dir } => plot(&dir),
        sweep @ Command::Sweep { .. } => sweep_command(sweep),
        Command::BenchSweep {
            sweep,
            runs,
            repeat,
            worker,
        } => sweep_cmd::bench(&sweep, runs, repeat, worker),
        Command::Bench {
            replicas,
            nodes,
            seed,
            max_surge,
            max_unavailable,
            record_events,
            repeat,
            spread,
            anti_affinity,
            prefer,
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
                spread,
                anti_affinity,
                prefer,
            },
        ),
        bench @ Command::BenchTraffic { .. } => bench_traffic_command(bench),
    }
}

/// The bench's constraint options as its output line names them (`none` without any).
fn constraint_names(p: &rollsim::bench::BenchParams) -> String {
    let names: Vec<&str> = [
        (p.spread, "spread"),
        (p.anti_affinity, "anti-affinity"),
        (p.prefer, "prefer"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// `rollsim validate`: checks a scenario and says what it holds.
fn validate(scenario: &Path, max_pods: usize) -> ExitCode {
    match load(Some(scenario), max_pods) {
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
    }
}

/// `rollsim sweep`: a merge, one run written whole, or the sweep itself.
fn sweep_command(command: Command) -> ExitCode {
    let Command::Sweep {
        action,
        sweep,
        out,
        jobs,
        shard,
        max_pods,
        progress_every_ms,
        write_run,
    } = command
    else {
        return ExitCode::from(2);
    };
    if let Some(SweepAction::Merge { dirs, out }) = action {
        return sweep_cmd::merge(&dirs, &out);
    }
    let Some(file) = sweep else {
        eprintln!("error: a sweep file is required");
        return ExitCode::from(2);
    };
    if let Some(r) = write_run {
        return write_sweep_run(&file, &out, r, max_pods as usize);
    }
    let jobs = jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let args = sweep_cmd::SweepArgs {
        file: &file,
        out: &out,
        jobs,
        shard: shard.as_deref(),
        max_pods: max_pods as usize,
        progress_every: Duration::from_millis(progress_every_ms),
    };
    sweep_cmd::run(&args, &interrupt_flag())
}

/// `rollsim bench-traffic`, from its arguments.
fn bench_traffic_command(command: Command) -> ExitCode {
    let Command::BenchTraffic {
        replicas,
        nodes,
        rate,
        minutes,
        connection,
        seed,
        repeat,
    } = command
    else {
        return ExitCode::from(2);
    };
    bench_traffic(
        repeat.max(1),
        &rollsim::bench::TrafficBenchParams {
            replicas,
            nodes,
            rate_per_s: rate,
            minutes,
            connection,
            seed,
        },
    )
}

/// `rollsim bench-traffic`: the fastest of `repeat` identical runs.
fn bench_traffic(repeat: u32, p: &rollsim::bench::TrafficBenchParams) -> ExitCode {
    let mut fastest: Option<(f64, rollsim::bench::TrafficBenchResult)> = None;
    for _ in 0..repeat {
        let wall = std::time::Instant::now();
        let result = rollsim::bench::run_traffic(p);
        let wall_s = wall.elapsed().as_secs_f64().max(1e-9);
        match result {
            Ok((r, session)) => {
                drop(session);
                if fastest.as_ref().is_none_or(|(best, _)| wall_s < *best) {
                    fastest = Some((wall_s, r));
                }
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
    println!(
        "replicas={} nodes={} rate_per_s={} connection={} virtual_s={:.3} requests={} ok={} events={} wall_s={wall_s:.3} requests_per_s={:.0} events_per_s={:.0} peak_rss_mb={} runs={repeat}",
        p.replicas,
        p.nodes,
        p.rate_per_s,
        p.connection,
        r.virtual_end.as_ms() as f64 / 1000.0,
        r.requests,
        r.ok,
        r.events,
        r.requests as f64 / wall_s,
        r.events as f64 / wall_s,
        peak_rss_mb().map_or("unknown".to_string(), |m| format!("{m:.0}")),
    );
    ExitCode::SUCCESS
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
        "replicas={} nodes={} constraints={} events={} virtual_s={:.3} wall_s={wall_s:.3} events_per_s={:.0} pods_created={} peak_pods={} rollout_virtual_s={:.3} peak_rss_mb={} heap_ceiling_events_per_s={:.0} runs={repeat}",
        p.replicas,
        p.nodes,
        constraint_names(&p),
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
        endpoints_ready_csv: &texts[7],
    };
    let traffic = match std::fs::read_to_string(dir.join("traffic.csv")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            eprintln!("error: {}: {e}", dir.join("traffic.csv").display());
            return ExitCode::from(2);
        }
    };
    let drawn = report::draw_all(&files, &traffic);
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

/// Ctrl-C and SIGTERM set the returned flag, which the run checks; a second one
/// ends the process at once (exit 130), leaving only a temporary folder that the next run
/// removes.
fn interrupt_flag() -> Arc<AtomicBool> {
    // SIGHUP keeps its default (or an inherited `nohup`): a run started with `nohup` must
    // survive its terminal.
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registration only fails for signals that cannot be caught; these three can.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, flag.clone());
        let _ = signal_hook::flag::register(signal, flag.clone());
    }
    flag
}

/// Prints where a long run is on standard error, at most once per `every`, and only once
/// the run has taken longer than that.
struct ProgressLine {
    started: Instant,
    every: Duration,
    last: Option<Instant>,
    terminal: bool,
}

impl ProgressLine {
    fn new(every: Duration) -> Self {
        ProgressLine {
            started: Instant::now(),
            every,
            last: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, p: &Progress) {
        let now = Instant::now();
        let due = self
            .last
            .map_or(now.duration_since(self.started) >= self.every, |last| {
                now.duration_since(last) >= self.every
            });
        if !due {
            return;
        }
        self.last = Some(now);
        let line = format!(
            "rollsim: virtual time {}, {} events, step {} of {} ({:.0} s)",
            p.now,
            p.events,
            p.step.min(p.steps),
            p.steps,
            now.duration_since(self.started).as_secs_f64()
        );
        if self.terminal {
            // A terminal that went away must not end the run: write errors are ignored.
            let _ = write!(std::io::stderr(), "\r{line}\x1b[K");
        } else {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    /// Ends a progress line left open on a terminal.
    fn finish(&self) {
        if self.terminal && self.last.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// What a run prints and adds to its files beyond kubectl's session.
struct Shown {
    /// No transcript on standard output.
    quiet: bool,
    /// Explanations of the controllers' decisions in the transcript, and explain.csv.
    explain: bool,
    /// The language of explanations and of report.html.
    lang: report::lang::Lang,
}

fn run(
    path: Option<&Path>,
    out: &Path,
    shown: Shown,
    options: PlayOptions,
    progress_every: Duration,
) -> ExitCode {
    let scenario = match load(path, options.max_pods) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let staging = match output::prepare(out, &scenario.name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let interrupted = interrupt_flag();
    let wall = Instant::now();
    let mut progress = ProgressLine::new(progress_every);
    let session = play_observed(&scenario, options, &mut |p| {
        progress.show(p);
        !interrupted.load(Ordering::Relaxed)
    });
    progress.finish();
    let wall = wall.elapsed();
    if session.interrupted {
        return stop_interrupted(staging);
    }
    let transcript = if shown.explain {
        report::transcript_explained(&session, shown.lang)
    } else {
        report::transcript_in(&session, shown.lang)
    };
    if !shown.quiet {
        // A closed pipe (`| head`) ends the printing, not the run: the files are still written.
        let _ = std::io::stdout().write_all(transcript.as_bytes());
    }
    let (mut files, chart_error) = run_files(&session, transcript, shown.lang);
    if shown.explain {
        files.push((
            "explain.csv".into(),
            report::explain_csv(&session, shown.lang).into_bytes(),
        ));
    }
    if interrupted.load(Ordering::Relaxed) {
        return stop_interrupted(staging);
    }
    let target = staging.target();
    if let Err(e) = staging.commit(&files) {
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
    report_failures(&session)
}

/// An interrupted run writes nothing: its temporary folder goes, the earlier run stays.
fn stop_interrupted(staging: output::Staging) -> ExitCode {
    let target = staging.target();
    staging.abandon();
    let _ = writeln!(
        std::io::stderr(),
        "rollsim: interrupted; nothing written ({} is as it was)",
        target.display()
    );
    ExitCode::from(130)
}

/// `rollsim sweep SWEEP --write-run R`: one run of a sweep, with every file `rollsim run`
/// writes, into `<out>/<sweep name>-run-R/`.
fn write_sweep_run(file: &Path, out: &Path, run: u64, max_pods: usize) -> ExitCode {
    let plan = match sweep_cmd::load(file, max_pods) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let spec = &plan.spec;
    if run >= spec.runs() {
        eprintln!(
            "error: --write-run {run}: the sweep has runs 0 to {}",
            spec.runs() - 1
        );
        return ExitCode::from(2);
    }
    let scenario = match plan.base.combination(spec, run / spec.seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let staging = match output::prepare(out, &format!("{}-run-{run}", spec.name)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let options = PlayOptions {
        seed: Some(rollsim::sweep::seed_of(spec, run)),
        max_pods,
        max_events: spec.max_events,
    };
    let session = play::play(&scenario, options);
    let (files, chart_error) = run_files(
        &session,
        report::transcript(&session),
        report::lang::Lang::En,
    );
    let target = staging.target();
    if let Err(e) = staging.commit(&files) {
        eprintln!("error: could not write {}: {e}", target.display());
        return ExitCode::from(1);
    }
    eprintln!(
        "rollsim: wrote {} ({} files): run {run}, {}, seed {}",
        target.display(),
        files.len(),
        spec.value_texts(run / spec.seeds).join(", "),
        session.seed
    );
    if let Some(e) = chart_error {
        eprintln!("error: the charts could not be drawn: {e}");
        return ExitCode::from(1);
    }
    // As `rollsim run` would exit (runs.csv's exit_status).
    report_failures(&session)
}

/// Every file of a run's folder, as bytes, and an error if the charts could not be drawn.
fn run_files(
    session: &rollsim::play::Session,
    transcript: String,
    lang: report::lang::Lang,
) -> (Vec<(String, Vec<u8>)>, Option<charts::ChartError>) {
    let mut files: Vec<(String, Vec<u8>)> = [
        ("transcript.txt", transcript),
        ("events.csv", report::events_csv(session)),
        ("replicasets.csv", report::replicasets_csv(session)),
        ("pods.csv", report::pods_csv(session)),
        ("deployments.csv", report::deployments_csv(session)),
        ("commands.csv", report::commands_csv(session)),
        ("faults.csv", report::faults_csv(session)),
        ("pod-status.csv", report::pod_status_csv(session)),
        ("summary.yaml", report::summary_yaml(session, lang)),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t.into_bytes()))
    .collect();
    // Endpoints whenever Services are modelled (a `curl` or `port-forward` is enough);
    // what users saw, and its chart, only when there are clients.
    if let Some(t) = session.cluster.traffic() {
        let mut traffic = vec![
            ("endpoints.csv", report::traffic::endpoints_csv(session)),
            ("endpoints-ready.csv", report::traffic::slices_csv(session)),
        ];
        if !t.spec.clients.is_empty() {
            traffic.push(("traffic.csv", report::traffic::traffic_csv(session)));
            traffic.push(("latency.csv", report::traffic::latency_csv(session)));
        }
        for (name, text) in traffic {
            files.push((name.to_string(), text.into_bytes()));
        }
    }
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
        endpoints_ready_csv: text("endpoints-ready.csv"),
    };
    let drawn = report::draw_all(&inputs, text("traffic.csv")).and_then(|d| {
        let page = report::page::page_charts(&inputs, text("traffic.csv"))?;
        Ok((d, page))
    });
    match drawn {
        Ok((d, page)) => {
            let html = report::page::report_html(session, lang, &page);
            files.extend(d);
            files.push(("report.html".into(), html.into_bytes()));
            (files, None)
        }
        Err(e) => (files, Some(e)),
    }
}

/// Exit 1 and the steps that failed, or exit 0.
fn report_failures(session: &rollsim::play::Session) -> ExitCode {
    let failed = session.unexpected_failures();
    if let Some(why) = &session.aborted {
        eprintln!("rollsim: {why}; the files hold the run up to that moment");
    }
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
