//! `rollsim sweep`, `rollsim sweep merge` and `rollsim bench-sweep`: the files and threads
//! around the library's sweep module.

use crate::output;
use rollsim::sweep::stats::{self, Accumulator, ShardInfo};
use rollsim::sweep::{self, Plan, RunRow, SweepError};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Most shards a sweep may be cut into.
pub const MAX_SHARDS: u64 = 100_000;

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// Reads and checks a sweep file and its scenario.
pub fn load(path: &Path, max_pods: usize) -> Result<Plan, SweepError> {
    let shown = path.display().to_string();
    let bytes = rollsim::scenario::read_input_file(path)
        .map_err(|m| SweepError::at(&shown, None, format!("cannot read the sweep: {m}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SweepError::at(&shown, None, "the file is not UTF-8 text".into()))?;
    sweep::plan(&text, path, max_pods)
}

/// `--shard I/N` or `auto/N` (I from `JOB_COMPLETION_INDEX`, as a Kubernetes Indexed Job
/// sets it): the 0-based index and the count.
pub fn parse_shard(text: &str, env_index: Option<&str>) -> Result<(u64, u64), String> {
    let Some((i, n)) = text.split_once('/') else {
        return Err(format!("--shard {text}: expected I/N or auto/N, e.g. 0/4"));
    };
    let n: u64 = n
        .parse()
        .ok()
        .filter(|n| (1..=MAX_SHARDS).contains(n))
        .ok_or_else(|| format!("--shard {text}: N must be between 1 and {MAX_SHARDS}"))?;
    let i = if i == "auto" {
        env_index
            .ok_or_else(|| format!("--shard {text}: JOB_COMPLETION_INDEX is not set (it is in a Kubernetes Indexed Job's pods)"))?
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("--shard {text}: JOB_COMPLETION_INDEX is not a number"))?
    } else {
        i.parse::<u64>()
            .map_err(|_| format!("--shard {text}: I must be a number or `auto`"))?
    };
    if i >= n {
        return Err(format!(
            "--shard {text}: the index must be below {n} (shards count from 0)"
        ));
    }
    Ok((i, n))
}

/// Runs done, rate and time left: a bar on a terminal, a line every few seconds otherwise.
struct SweepProgress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_line: Instant,
    every: Duration,
    total: u64,
    done: u64,
}

impl SweepProgress {
    fn new(total: u64, every: Duration) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs · {rate} runs/s · {eta} left",
            );
            if let Ok(style) = style {
                bar.set_style(style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}", state.per_sec());
                    },
                ));
            }
            bar
        });
        SweepProgress {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
            every,
            total,
            done: 0,
        }
    }

    fn advance(&mut self, runs: u64) {
        self.done += runs;
        if let Some(bar) = &self.bar {
            bar.inc(runs);
        } else if self.last_line.elapsed() >= self.every {
            self.last_line = Instant::now();
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            let _ = writeln!(
                std::io::stderr(),
                "rollsim: {} of {} runs ({rate:.0} runs/s)",
                self.done,
                self.total
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// runs.csv in the temporary folder, written row by row.
struct RunsWriter {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    path: PathBuf,
}

impl RunsWriter {
    fn create(path: PathBuf, spec: &rollsim::sweep::SweepSpec) -> std::io::Result<Self> {
        let file = std::fs::File::create(&path)?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
        writer.write_record(stats::runs_header(spec))?;
        Ok(RunsWriter { writer, path })
    }

    fn write(&mut self, spec: &rollsim::sweep::SweepSpec, row: &RunRow) -> std::io::Result<()> {
        self.writer.write_record(stats::runs_record(spec, row))?;
        Ok(())
    }

    /// Flushes and syncs the file to disk.
    fn close(self) -> std::io::Result<()> {
        let shown = self.path.display().to_string();
        let buffered = self
            .writer
            .into_inner()
            .map_err(|e| std::io::Error::other(format!("{shown}: {e}")))?;
        let file = buffered
            .into_inner()
            .map_err(|e| std::io::Error::other(format!("{shown}: {e}")))?;
        file.sync_all()
    }
}

/// What a sweep command was asked to do.
pub struct SweepArgs<'a> {
    pub file: &'a Path,
    pub out: &'a Path,
    pub jobs: usize,
    pub shard: Option<&'a str>,
    pub max_pods: usize,
    /// Between progress lines when standard error is not a terminal.
    pub progress_every: Duration,
}

/// `rollsim sweep SWEEP`: every run (or one shard's), runs.csv as they finish, then the
/// summary and charts (a shard writes its runs and shard.yaml only).
pub fn run(args: &SweepArgs, interrupted: &AtomicBool) -> ExitCode {
    let plan = match load(args.file, args.max_pods) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let env_index = std::env::var("JOB_COMPLETION_INDEX").ok();
    let shard = match args
        .shard
        .map(|s| parse_shard(s, env_index.as_deref()))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let spec = &plan.spec;
    let (folder, runs) = slice(spec, shard);
    let staging = match output::prepare(args.out, &folder) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let wall = Instant::now();
    let mut writer = match RunsWriter::create(staging.path("runs.csv"), spec) {
        Ok(w) => w,
        Err(e) => return write_failed(&staging, e),
    };
    let mut acc = Accumulator::default();
    let mut progress = SweepProgress::new(runs.end - runs.start, args.progress_every);
    let mut write_error = None;
    let result = sweep::execute(&plan, runs.clone(), args.jobs, interrupted, &mut |rows| {
        for row in &rows {
            if let Err(e) = writer.write(spec, row) {
                write_error = Some(e);
                return false;
            }
            acc.add(spec, row);
        }
        progress.advance(rows.len() as u64);
        true
    });
    progress.finish();
    if let Some(e) = write_error {
        return write_failed(&staging, e);
    }
    match result {
        Err(e) => {
            staging.abandon();
            return fail(e);
        }
        Ok(false) => return stop_interrupted(staging),
        Ok(true) => {}
    }
    if let Err(e) = writer.close() {
        return write_failed(&staging, e);
    }
    let files = match shard {
        Some((index, count)) => shard_files(&plan, index, count, runs.clone()),
        None => match sweep::report_files(spec, &plan.sweep_text, &acc.finish(spec)) {
            Ok(f) => f,
            Err(e) => {
                staging.abandon();
                eprintln!("error: the charts could not be drawn: {e}");
                return ExitCode::from(1);
            }
        },
    };
    commit(staging, &files, runs.end - runs.start, wall, args.jobs)
}

/// The folder and the runs of a sweep, or of one of its shards.
fn slice(
    spec: &rollsim::sweep::SweepSpec,
    shard: Option<(u64, u64)>,
) -> (String, std::ops::Range<u64>) {
    match shard {
        Some((i, n)) => (
            format!("{}-shard-{i}-of-{n}", spec.name),
            sweep::shard_runs(spec.runs(), i, n),
        ),
        None => (spec.name.clone(), 0..spec.runs()),
    }
}

fn shard_files(
    plan: &Plan,
    index: u64,
    count: u64,
    runs: std::ops::Range<u64>,
) -> Vec<(String, Vec<u8>)> {
    let info = ShardInfo {
        sweep: plan.spec.name.clone(),
        fingerprint: format!("{:016x}", plan.fingerprint),
        index,
        count,
        first_run: runs.start,
        end_run: runs.end,
        total_runs: plan.spec.runs(),
    };
    vec![
        ("sweep.yaml".into(), plan.sweep_text.as_bytes().to_vec()),
        ("shard.yaml".into(), info.yaml().into_bytes()),
    ]
}

/// Swaps the folder in and says what was written (`jobs` 0: a merge).
fn commit(
    staging: output::Staging,
    files: &[(String, Vec<u8>)],
    runs: u64,
    wall: Instant,
    jobs: usize,
) -> ExitCode {
    let target = staging.target();
    if let Err(e) = staging.commit(files) {
        eprintln!("error: could not write {}: {e}", target.display());
        return ExitCode::from(1);
    }
    let secs = wall.elapsed().as_secs_f64();
    let how = if jobs == 0 {
        format!("{runs} runs merged in {secs:.2} s")
    } else {
        format!(
            "{runs} runs in {secs:.2} s ({:.0} runs/s on {jobs} thread(s))",
            runs as f64 / secs.max(1e-9)
        )
    };
    eprintln!(
        "rollsim: wrote {} ({} files); {how}",
        target.display(),
        files.len() + 1
    );
    ExitCode::SUCCESS
}

fn write_failed(staging: &output::Staging, e: std::io::Error) -> ExitCode {
    let target = staging.target();
    staging.abandon();
    eprintln!("error: could not write {}: {e}", target.display());
    ExitCode::from(1)
}

fn stop_interrupted(staging: output::Staging) -> ExitCode {
    let target = staging.target();
    staging.abandon();
    eprintln!(
        "rollsim: interrupted; nothing written ({} is as it was)",
        target.display()
    );
    ExitCode::from(130)
}

/// A shard folder as merge reads it.
struct ShardDir {
    dir: PathBuf,
    info: ShardInfo,
    sweep_text: String,
}

fn read_text(path: &Path) -> Result<String, SweepError> {
    let shown = path.display().to_string();
    let bytes =
        rollsim::scenario::read_input_file(path).map_err(|m| SweepError::at(&shown, None, m))?;
    String::from_utf8(bytes).map_err(|_| SweepError::at(&shown, None, "not UTF-8 text".into()))
}

/// The shard folders named: each DIR is one, or holds them (a shared volume's root).
fn shard_dirs(dirs: &[PathBuf]) -> Result<Vec<ShardDir>, SweepError> {
    let mut found = Vec::new();
    for d in dirs {
        if d.join("shard.yaml").is_file() {
            found.push(d.clone());
            continue;
        }
        let entries = std::fs::read_dir(d).map_err(|e| {
            SweepError::at(
                &d.display().to_string(),
                None,
                format!("not a shard folder (no shard.yaml) and cannot be listed: {e}"),
            )
        })?;
        let mut inner: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("shard.yaml").is_file())
            .collect();
        if inner.is_empty() {
            return Err(SweepError::at(
                &d.display().to_string(),
                None,
                "holds no shard folder (no shard.yaml)".into(),
            ));
        }
        inner.sort();
        found.extend(inner);
    }
    found
        .into_iter()
        .map(|dir| {
            let file = dir.join("shard.yaml");
            let info = ShardInfo::parse(&read_text(&file)?, &file.display().to_string())?;
            let sweep_text = read_text(&dir.join("sweep.yaml"))?;
            Ok(ShardDir {
                dir,
                info,
                sweep_text,
            })
        })
        .collect()
}

/// The shards in index order, checked to be every shard of one sweep exactly once.
fn check_shards(mut shards: Vec<ShardDir>) -> Result<Vec<ShardDir>, SweepError> {
    shards.sort_by_key(|s| s.info.index);
    let first = shards
        .first()
        .ok_or_else(|| SweepError::at("sweep merge", None, "no shard folders given".into()))?;
    let (count, fingerprint) = (first.info.count, first.info.fingerprint.clone());
    for s in &shards {
        let shown = s.dir.display().to_string();
        if s.info.fingerprint != fingerprint
            || s.info.count != count
            || s.sweep_text != first.sweep_text
        {
            return Err(SweepError::at(
                &shown,
                None,
                format!(
                    "is shard {} of {} of a different sweep (fingerprint {}) than {} (fingerprint {fingerprint}, {count} shards)",
                    s.info.index,
                    s.info.count,
                    s.info.fingerprint,
                    first.dir.display()
                ),
            ));
        }
    }
    let indices: Vec<u64> = shards.iter().map(|s| s.info.index).collect();
    if indices != (0..count).collect::<Vec<_>>() {
        let missing: Vec<String> = (0..count)
            .filter(|i| !indices.contains(i))
            .map(|i| i.to_string())
            .collect();
        let twice: Vec<String> = indices
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0].to_string())
            .collect();
        return Err(SweepError::at(
            "sweep merge",
            None,
            format!(
                "needs each of the {count} shards once: missing [{}], given twice [{}]",
                missing.join(", "),
                twice.join(", ")
            ),
        ));
    }
    Ok(shards)
}

/// Reads one shard's runs.csv into the merged file, checking every row.
fn merge_runs(
    s: &ShardDir,
    spec: &rollsim::sweep::SweepSpec,
    next: &mut u64,
    writer: &mut RunsWriter,
    acc: &mut Accumulator,
) -> Result<(), String> {
    let path = s.dir.join("runs.csv");
    let shown = path.display().to_string();
    let mut reader = csv::Reader::from_path(&path).map_err(|e| format!("{shown}: {e}"))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{shown}: {e}"))?
        .iter()
        .map(String::from)
        .collect();
    if header != stats::runs_header(spec) {
        return Err(format!(
            "{shown}:1: the header is not this sweep's runs.csv header"
        ));
    }
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("{shown}:{line}: {e}"))?;
        let fields: Vec<&str> = record.iter().collect();
        let row =
            stats::parse_runs_record(spec, &fields).map_err(|m| format!("{shown}:{line}: {m}"))?;
        if row.run != *next {
            return Err(format!(
                "{shown}:{line}: run {} where run {next} was expected (a shard is incomplete)",
                row.run
            ));
        }
        writer.write(spec, &row).map_err(|e| e.to_string())?;
        acc.add(spec, &row);
        *next += 1;
    }
    if *next != s.info.end_run {
        return Err(format!(
            "{shown}: ends at run {next}, its shard.yaml says {}",
            s.info.end_run
        ));
    }
    Ok(())
}

/// `rollsim sweep merge DIR…`: the shards' runs, checked and in order, and the summary and
/// charts, exactly as one unsharded run writes them.
pub fn merge(dirs: &[PathBuf], out: &Path) -> ExitCode {
    let shards = match shard_dirs(dirs).and_then(check_shards) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let sweep_file = shards[0].dir.join("sweep.yaml");
    let spec = match sweep::spec::parse(&shards[0].sweep_text, &sweep_file.display().to_string()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if shards[0].info.total_runs != spec.runs() {
        return fail(format!(
            "{}: total_runs {} is not the sweep's {} runs",
            shards[0].dir.display(),
            shards[0].info.total_runs,
            spec.runs()
        ));
    }
    let staging = match output::prepare(out, &spec.name) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let wall = Instant::now();
    let mut writer = match RunsWriter::create(staging.path("runs.csv"), &spec) {
        Ok(w) => w,
        Err(e) => return write_failed(&staging, e),
    };
    let (mut acc, mut next) = (Accumulator::default(), 0u64);
    for s in &shards {
        if let Err(m) = merge_runs(s, &spec, &mut next, &mut writer, &mut acc) {
            staging.abandon();
            return fail(m);
        }
    }
    if let Err(e) = writer.close() {
        return write_failed(&staging, e);
    }
    match sweep::report_files(&spec, &shards[0].sweep_text, &acc.finish(&spec)) {
        Ok(files) => commit(staging, &files, next, wall, 0),
        Err(e) => {
            staging.abandon();
            eprintln!("error: the charts could not be drawn: {e}");
            ExitCode::from(1)
        }
    }
}

/// Wall seconds of the first `runs` runs on `jobs` threads (rows computed, not written).
fn time_runs(plan: &Plan, runs: u64, jobs: usize) -> Result<f64, SweepError> {
    let never = AtomicBool::new(false);
    let start = Instant::now();
    let mut done = 0u64;
    sweep::execute(plan, 0..runs, jobs, &never, &mut |rows| {
        done += rows.len() as u64;
        true
    })?;
    Ok(start.elapsed().as_secs_f64())
}

/// Two copies of this program, each timing half the runs on one thread at the same time:
/// the slower one's seconds.
fn time_pair(sweep_file: &Path, runs: u64) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let spawn = || {
        std::process::Command::new(&exe)
            .arg("bench-sweep")
            .arg(sweep_file)
            .args(["--runs", &(runs / 2).to_string(), "--worker"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))
    };
    let children = [spawn()?, spawn()?];
    let mut slowest: f64 = 0.0;
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let secs: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "a worker failed".to_string())?;
        slowest = slowest.max(secs);
    }
    Ok(slowest)
}

/// `rollsim bench-sweep`: one thread, two threads, and the machine's own two-process
/// speed-up, measured alternately `repeat` times; the fastest of each is kept.
pub fn bench(sweep_file: &Path, runs: u64, repeat: u32, worker: bool) -> ExitCode {
    let plan = match load(sweep_file, rollsim::play::DEFAULT_MAX_PODS) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let runs = runs.min(plan.spec.runs());
    if worker {
        return match time_runs(&plan, runs, 1) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let (mut one, mut two, mut pair) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..repeat {
        let measured = time_runs(&plan, runs, 1)
            .map_err(|e| e.to_string())
            .and_then(|a| Ok((a, time_runs(&plan, runs, 2).map_err(|e| e.to_string())?)))
            .and_then(|(a, b)| Ok((a, b, time_pair(sweep_file, runs)?)));
        match measured {
            Ok((a, b, c)) => (one, two, pair) = (one.min(a), two.min(b), pair.min(c)),
            Err(e) => return fail(e),
        }
    }
    // The pair ran half the runs each: a machine with two full cores gives one / pair = 2.
    let speedup = one / two;
    let machine = one / pair;
    println!(
        "sweep={} runs={runs} jobs1_s={one:.3} jobs2_s={two:.3} speedup={speedup:.3} \
         two_processes_s={pair:.3} machine_speedup={machine:.3} efficiency={:.3} runs_per_s={:.0}",
        plan.spec.name,
        speedup / machine,
        runs as f64 / two
    );
    ExitCode::SUCCESS
}
