//! What-if sweeps: one base scenario played over every combination of some varied settings,
//! each with many seeds, and the figures of every run summarised per combination.
//!
//! Run `r` plays combination `r / seeds` with seed `seed + r % seeds`: the k-th seed of
//! every combination is the same, so combinations are compared on the same random streams
//! (common random numbers), and a run's result depends on its index alone — never on the
//! number of threads or shards that ran it.

pub mod apply;
pub mod charts;
pub mod figures;
pub mod spec;
pub mod stats;

use crate::play::{self, PlayOptions};
use crate::scenario::{Scenario, ScenarioError};
use serde_yaml::Value;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use spec::SweepSpec;

/// A sweep that cannot be run, or a sweep folder that cannot be merged: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepError {
    /// The file at fault.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the field.
    pub message: String,
}

impl SweepError {
    /// An error in `file` at `line`.
    pub fn at(file: &str, line: Option<usize>, message: String) -> Self {
        SweepError {
            file: file.to_string(),
            line,
            message,
        }
    }
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for SweepError {}

impl From<ScenarioError> for SweepError {
    fn from(e: ScenarioError) -> Self {
        SweepError {
            file: e.file,
            line: e.line,
            message: e.message,
        }
    }
}

/// A YAML value on one line, as runs.csv writes a parameter: scalars plainly, lists and
/// mappings in flow style (`{lognormal: {median: 6s, sigma: 0.4}}`).
pub fn yaml_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(list) => {
            let items: Vec<String> = list.iter().map(yaml_text).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_text(k), yaml_text(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Tagged(t) => format!("{} {}", t.tag, yaml_text(&t.value)),
    }
}

/// A checked sweep with its base scenario: every combination has been built and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    #[allow(missing_docs)]
    pub spec: SweepSpec,
    /// The sweep file's text, copied into every output folder.
    pub sweep_text: String,
    #[allow(missing_docs)]
    pub base: apply::Base,
    /// Hash of the sweep and of every combination's scenario: shards of one sweep agree.
    pub fingerprint: u64,
}

/// 64-bit FNV-1a, to tell shards of different sweeps apart (not a security measure).
pub fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Checks a sweep (text read from `file`) and every combination of its base scenario.
pub fn plan(sweep_text: &str, file: &Path, max_pods: usize) -> Result<Plan, SweepError> {
    let shown = file.display().to_string();
    let spec = spec::parse(sweep_text, &shown)?;
    let base = apply::load_base(file, &spec, max_pods)?;
    let mut fingerprint = fnv1a(FNV_OFFSET, sweep_text.as_bytes());
    for c in 0..spec.combinations() {
        let invalid = |m: String| {
            let values: Vec<String> = spec
                .vary
                .iter()
                .zip(spec.value_texts(c))
                .map(|(v, t)| format!("{}={t}", v.name))
                .collect();
            let line = spec.vary.first().map(|v| v.line);
            SweepError::at(
                &shown,
                line,
                format!("combination {}: {m}", values.join(", ")),
            )
        };
        let text = base.combination_text(&spec, c).map_err(invalid)?;
        let scenario = base.parse(&text).map_err(invalid)?;
        check_edited(&spec, &scenario).map_err(invalid)?;
        fingerprint = fnv1a(fingerprint, text.as_bytes());
    }
    Ok(Plan {
        spec,
        sweep_text: sweep_text.to_string(),
        base,
        fingerprint,
    })
}

/// The API server's checks of every Deployment the sweep edits: a value it would refuse
/// is a mistake in the sweep, not a finding of its runs.
fn check_edited(spec: &SweepSpec, scenario: &Scenario) -> Result<(), String> {
    use crate::model::manifest::{Manifest, deployment_spec};
    for m in scenario.manifests.values().flatten() {
        let Manifest::Deployment(d) = m else { continue };
        let edited = spec.vary.iter().any(|v| {
            v.object
                .as_ref()
                .is_some_and(|(k, n)| k == "Deployment" && *n == d.metadata.name)
        });
        if edited {
            deployment_spec(d).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// One run's row of runs.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Index in the sweep.
    pub run: u64,
    /// Seed it was played with.
    pub seed: u64,
    /// Every figure in [`figures::Figure::ALL`]'s order (empty where none applies).
    pub figures: Vec<String>,
}

impl RunRow {
    /// Its combination.
    pub fn combination(&self, spec: &SweepSpec) -> u64 {
        self.run / spec.seeds
    }
}

/// The seed of run `r`.
pub fn seed_of(spec: &SweepSpec, run: u64) -> u64 {
    spec.seed + run % spec.seeds
}

/// Plays run `run` of combination scenario `scenario`.
fn run_one(plan: &Plan, scenario: &Scenario, run: u64, stop: &AtomicBool) -> Option<RunRow> {
    let seed = seed_of(&plan.spec, run);
    let options = PlayOptions {
        seed: Some(seed),
        max_pods: play::DEFAULT_MAX_PODS,
        max_events: plan.spec.max_events,
    };
    let session = play::play_observed(scenario, options, &mut |_| !stop.load(Ordering::Relaxed));
    if session.interrupted {
        return None;
    }
    Some(RunRow {
        run,
        seed,
        figures: figures::figures(&session, &plan.base.deployment),
    })
}

/// How far (in runs) the threads may run ahead of the oldest unfinished run: bounds the
/// rows held back for ordering, whatever the number of runs.
pub const WINDOW: u64 = 4096;

/// Combination scenarios built so far, shared by the threads (older ones are dropped as the
/// sweep passes them).
type Scenarios = std::sync::Mutex<std::collections::BTreeMap<u64, std::sync::Arc<Scenario>>>;

fn scenario_of(plan: &Plan, cache: &Scenarios, c: u64) -> Result<std::sync::Arc<Scenario>, String> {
    let mut map = cache
        .lock()
        .map_err(|_| "a sweep thread failed".to_string())?;
    if let Some(s) = map.get(&c) {
        return Ok(s.clone());
    }
    let s = std::sync::Arc::new(plan.base.combination(&plan.spec, c)?);
    // Runs are taken in order, so combinations well before this one are finished.
    map.retain(|k, _| *k + 2 > c);
    map.insert(c, s.clone());
    Ok(s)
}

/// What a thread hands back: a run's row, or why it could not be played.
type Finished = (u64, Result<Option<RunRow>, String>);

/// One thread: takes the next run, plays it, sends its row; waits when it is more than
/// [`WINDOW`] runs ahead of the rows written.
fn worker(
    plan: &Plan,
    end: u64,
    next: &AtomicU64,
    written: &AtomicU64,
    cache: &Scenarios,
    stop: &AtomicBool,
    tx: std::sync::mpsc::Sender<Finished>,
) {
    loop {
        let r = next.fetch_add(1, Ordering::Relaxed);
        if r >= end || stop.load(Ordering::Relaxed) {
            return;
        }
        while r >= written.load(Ordering::Acquire) + WINDOW && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let row = scenario_of(plan, cache, r / plan.spec.seeds).map(|s| run_one(plan, &s, r, stop));
        if tx.send((r, row)).is_err() {
            return;
        }
    }
}

/// Plays runs `runs` on `jobs` threads, handing `sink` their rows in run order as soon as
/// they are (threads never wait for each other but for the window). Stops early (returning
/// `Ok(false)`) when `stop` is set or `sink` returns false.
pub fn execute(
    plan: &Plan,
    runs: Range<u64>,
    jobs: usize,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(Vec<RunRow>) -> bool,
) -> Result<bool, SweepError> {
    let next = AtomicU64::new(runs.start);
    let written = AtomicU64::new(runs.start);
    let cache: Scenarios = Default::default();
    let halt = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<Finished>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let tx = tx.clone();
            let (next, written, cache, halt) = (&next, &written, &cache, &halt);
            scope.spawn(move || worker(plan, runs.end, next, written, cache, halt, tx));
        }
        drop(tx);
        let result = collect_in_order(plan, runs.clone(), &rx, &written, stop, sink);
        halt.store(true, Ordering::Relaxed);
        result
    })
}

/// Receives the threads' rows and hands them on in run order.
fn collect_in_order(
    plan: &Plan,
    runs: Range<u64>,
    rx: &std::sync::mpsc::Receiver<Finished>,
    written: &AtomicU64,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(Vec<RunRow>) -> bool,
) -> Result<bool, SweepError> {
    let mut pending: std::collections::BTreeMap<u64, RunRow> = Default::default();
    let mut first = runs.start;
    while first < runs.end {
        if stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let (r, row) = match rx.recv_timeout(std::time::Duration::from_millis(100)) {
            Ok(finished) => finished,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            // Every thread has stopped short of the end: only a stop does that.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(false),
        };
        match row {
            Err(m) => return Err(SweepError::at(&plan.base.file, None, m)),
            Ok(None) => return Ok(false),
            Ok(Some(row)) => pending.insert(r, row),
        };
        let mut ready = Vec::new();
        while let Some(row) = pending.remove(&first) {
            ready.push(row);
            first += 1;
        }
        if !ready.is_empty() {
            written.store(first, Ordering::Release);
            if !sink(ready) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Every file of a finished sweep but runs.csv (written as the runs go): the sweep file's
/// copy, summary.csv, summary.md and the charts.
pub fn report_files(
    spec: &SweepSpec,
    sweep_text: &str,
    combos: &[stats::CombinationStats],
) -> Result<Vec<(String, Vec<u8>)>, crate::report::charts::ChartError> {
    let mut files = vec![
        ("sweep.yaml".to_string(), sweep_text.as_bytes().to_vec()),
        (
            "summary.csv".into(),
            stats::summary_csv(spec, combos).into_bytes(),
        ),
        (
            "summary.md".into(),
            stats::summary_md(spec, combos).into_bytes(),
        ),
    ];
    files.extend(charts::render(spec, combos)?);
    Ok(files)
}

/// The runs of shard `index` (0-based) of `count`: contiguous, sizes differing by at most one.
pub fn shard_runs(total: u64, index: u64, count: u64) -> Range<u64> {
    let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(count)) as u64;
    at(index)..at(index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_run_once_in_order() {
        for (total, count) in [(10, 3), (7, 7), (5, 8), (1_000_000, 13)] {
            let mut next = 0;
            for i in 0..count {
                let r = shard_runs(total, i, count);
                assert_eq!(r.start, next);
                assert!(r.end - r.start <= total / count + 1);
                next = r.end;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn values_are_written_on_one_line() {
        let v: Value = serde_yaml::from_str("{lognormal: {median: 6s, sigma: 0.4}}").unwrap();
        assert_eq!(yaml_text(&v), "{lognormal: {median: 6s, sigma: 0.4}}");
        assert_eq!(yaml_text(&Value::from(1)), "1");
        assert_eq!(yaml_text(&Value::String("25%".into())), "25%");
        let v: Value = serde_yaml::from_str("[1s, 10s]").unwrap();
        assert_eq!(yaml_text(&v), "[1s, 10s]");
    }
}
