//! runs.csv, and what is computed from it: per-combination statistics (summary.csv), the
//! ranked table (summary.md) and the shard record. Everything here is computed from the
//! text of the rows, so a merge of shards, which reads the rows back, writes exactly what
//! one unsharded run writes.

use super::figures::{Figure, Stat, number_text};
use super::spec::SweepSpec;
use super::{RunRow, SweepError};
use serde::{Deserialize, Serialize};

/// runs.csv's header: run, the parameters, seed, every figure.
pub fn runs_header(spec: &SweepSpec) -> Vec<String> {
    let mut h = vec!["run".to_string()];
    h.extend(spec.vary.iter().map(|v| v.name.clone()));
    h.push("seed".into());
    h.extend(Figure::ALL.iter().map(|f| f.name().to_string()));
    h
}

/// One row of runs.csv.
pub fn runs_record(spec: &SweepSpec, row: &RunRow) -> Vec<String> {
    let mut r = vec![row.run.to_string()];
    r.extend(spec.value_texts(row.combination(spec)));
    r.push(row.seed.to_string());
    r.extend(row.figures.iter().cloned());
    r
}

/// A row of runs.csv read back, checked against the sweep (its parameters and seed must
/// be the ones its index gives).
pub fn parse_runs_record(spec: &SweepSpec, record: &[&str]) -> Result<RunRow, String> {
    let params = spec.vary.len();
    if record.len() != 2 + params + Figure::ALL.len() {
        return Err(format!(
            "{} fields; runs.csv rows have {}",
            record.len(),
            2 + params + Figure::ALL.len()
        ));
    }
    let run: u64 = record[0]
        .parse()
        .map_err(|_| format!("run \"{}\" is not an index", record[0]))?;
    if run >= spec.runs() {
        return Err(format!(
            "run {run} is beyond the sweep's {} runs",
            spec.runs()
        ));
    }
    let row = RunRow {
        run,
        seed: record[1 + params]
            .parse()
            .map_err(|_| "seed is not a number".to_string())?,
        figures: record[2 + params..].iter().map(|s| s.to_string()).collect(),
    };
    if record[1..1 + params] != spec.value_texts(row.combination(spec))[..]
        || row.seed != super::seed_of(spec, run)
    {
        return Err(format!(
            "run {run}'s parameters or seed are not this sweep's"
        ));
    }
    for (f, v) in Figure::ALL.iter().zip(&row.figures) {
        if !v.is_empty() && !v.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(format!("{} \"{v}\" is not a number", f.name()));
        }
    }
    Ok(row)
}

/// One figure's statistics over a combination's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureStats {
    /// Runs where the figure applies.
    pub count: u64,
    /// In [`Stat::ALL`]'s order; `None` when count is 0.
    pub stats: Vec<Option<f64>>,
}

impl FigureStats {
    #[allow(missing_docs)]
    pub fn get(&self, s: Stat) -> Option<f64> {
        let i = Stat::ALL.iter().position(|x| *x == s)?;
        self.stats[i]
    }
}

/// A combination's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinationStats {
    #[allow(missing_docs)]
    pub combination: u64,
    /// Its parameter values as runs.csv writes them.
    pub values: Vec<String>,
    /// Runs of it.
    pub runs: u64,
    /// In [`Figure::ALL`]'s order.
    pub figures: Vec<FigureStats>,
}

impl CombinationStats {
    /// A figure's statistic.
    pub fn get(&self, f: Figure, s: Stat) -> Option<f64> {
        let i = Figure::ALL.iter().position(|x| *x == f)?;
        self.figures[i].get(s)
    }

    /// `maxSurge=25%, maxUnavailable=0`.
    pub fn label(&self, spec: &SweepSpec) -> String {
        spec.vary
            .iter()
            .zip(&self.values)
            .map(|(v, t)| format!("{}={t}", v.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Per-combination statistics from rows arriving in run order. Holds one combination's
/// values at a time (at most `seeds` per figure), so memory does not grow with the runs.
#[derive(Debug, Default)]
pub struct Accumulator {
    current: Option<u64>,
    runs: u64,
    values: Vec<Vec<f64>>,
    done: Vec<CombinationStats>,
}

impl Accumulator {
    /// Adds a row (rows must come in run order).
    pub fn add(&mut self, spec: &SweepSpec, row: &RunRow) {
        let c = row.combination(spec);
        if self.current != Some(c) {
            self.close(spec);
            self.current = Some(c);
            self.values = vec![Vec::new(); Figure::ALL.len()];
        }
        self.runs += 1;
        for (list, v) in self.values.iter_mut().zip(&row.figures) {
            if let Ok(x) = v.parse::<f64>() {
                list.push(x);
            }
        }
    }

    fn close(&mut self, spec: &SweepSpec) {
        let Some(c) = self.current.take() else {
            return;
        };
        let figures = std::mem::take(&mut self.values)
            .into_iter()
            .map(|mut v| {
                v.sort_by(f64::total_cmp);
                FigureStats {
                    count: v.len() as u64,
                    stats: Stat::ALL.iter().map(|s| s.of(&v)).collect(),
                }
            })
            .collect();
        self.done.push(CombinationStats {
            combination: c,
            values: spec.value_texts(c),
            runs: std::mem::take(&mut self.runs),
            figures,
        });
    }

    /// Every combination's statistics, in order.
    pub fn finish(mut self, spec: &SweepSpec) -> Vec<CombinationStats> {
        self.close(spec);
        self.done
    }
}

/// A CSV line of fields (quoted where needed), ending in a newline.
pub fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(fields);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// summary.csv: per combination and figure, the count and every statistic.
pub fn summary_csv(spec: &SweepSpec, combos: &[CombinationStats]) -> String {
    let mut header = vec!["combination".to_string()];
    header.extend(spec.vary.iter().map(|v| v.name.clone()));
    header.extend(["figure", "runs", "count"].map(String::from));
    header.extend(Stat::ALL.iter().map(|s| s.name().to_string()));
    let mut out = csv_line(&header);
    for c in combos {
        for (f, s) in Figure::ALL.iter().zip(&c.figures) {
            let mut row = vec![c.combination.to_string()];
            row.extend(c.values.iter().cloned());
            row.extend([
                f.name().to_string(),
                c.runs.to_string(),
                s.count.to_string(),
            ]);
            row.extend(
                s.stats
                    .iter()
                    .map(|x| x.map(number_text).unwrap_or_default()),
            );
            out.push_str(&csv_line(&row));
        }
    }
    out
}

/// Whether a combination meets every requirement.
pub fn meets(spec: &SweepSpec, c: &CombinationStats) -> bool {
    spec.require.iter().all(|r| r.met(c.get(r.figure, r.stat)))
}

/// Combinations best first: those meeting the requirements, then by the objective (missing
/// values last), then in sweep order.
pub fn ranked<'a>(spec: &SweepSpec, combos: &'a [CombinationStats]) -> Vec<&'a CombinationStats> {
    let o = spec.objective;
    let key = |c: &CombinationStats| {
        let v = c.get(o.figure, o.stat);
        let v = v.map(|x| if o.figure.higher_is_better() { -x } else { x });
        (!meets(spec, c), v.is_none(), v.unwrap_or(0.0))
    };
    let mut list: Vec<&CombinationStats> = combos.iter().collect();
    list.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        (ka.0, ka.1)
            .cmp(&(kb.0, kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(a.combination.cmp(&b.combination))
    });
    list
}

/// The statistic the table shows as a figure's bad tail: p99 where lower is better, the
/// minimum where higher is.
pub fn tail_stat(f: Figure) -> Stat {
    if f.higher_is_better() {
        Stat::Min
    } else {
        Stat::P99
    }
}

/// summary.md: the sweep in words and its combinations ranked.
pub fn summary_md(spec: &SweepSpec, combos: &[CombinationStats]) -> String {
    let runs: u64 = combos.iter().map(|c| c.runs).sum();
    let mut out = format!("# Sweep `{}`\n\n", spec.name);
    if !spec.description.is_empty() {
        out.push_str(&format!("{}\n\n", spec.description));
    }
    out.push_str(&format!(
        "Scenario `{}`; {} combinations × {} seeds ({}–{}) = {runs} runs.\n\n",
        spec.scenario,
        spec.combinations(),
        spec.seeds,
        spec.seed,
        spec.seed + spec.seeds - 1
    ));
    let better = if spec.objective.figure.higher_is_better() {
        "higher"
    } else {
        "lower"
    };
    out.push_str(&format!(
        "Ranked by {} ({better} is better)",
        spec.objective
    ));
    if spec.require.is_empty() {
        out.push_str(".\n\n");
    } else {
        let req: Vec<String> = spec
            .require
            .iter()
            .map(|r| format!("`{}`", r.text))
            .collect();
        out.push_str(&format!(
            "; combinations meeting {} first.\n\n",
            req.join(" and ")
        ));
    }
    out.push_str(&table(spec, combos));
    out
}

fn table(spec: &SweepSpec, combos: &[CombinationStats]) -> String {
    let mut head = vec!["rank".to_string()];
    head.extend(spec.vary.iter().map(|v| format!("`{}`", v.name)));
    for f in &spec.measure {
        head.push(format!("{} p50", f.name()));
        head.push(format!("{} {}", f.name(), tail_stat(*f).name()));
    }
    if !spec.require.is_empty() {
        head.push("meets".into());
    }
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for (rank, c) in ranked(spec, combos).into_iter().enumerate() {
        let mut row = vec![(rank + 1).to_string()];
        row.extend(c.values.iter().cloned());
        for f in &spec.measure {
            for s in [Stat::P50, tail_stat(*f)] {
                row.push(c.get(*f, s).map_or("–".into(), number_text));
            }
        }
        if !spec.require.is_empty() {
            row.push(if meets(spec, c) { "yes" } else { "no" }.into());
        }
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// shard.yaml: which slice of which sweep a shard folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardInfo {
    /// The sweep's name.
    pub sweep: String,
    /// Hash of the sweep file and every combination's scenario (hex).
    pub fingerprint: String,
    /// 0-based index of this shard.
    pub index: u64,
    /// Shards in all.
    pub count: u64,
    /// First run of this shard.
    pub first_run: u64,
    /// One past its last run.
    pub end_run: u64,
    /// Runs of the whole sweep.
    pub total_runs: u64,
}

impl ShardInfo {
    /// shard.yaml's text.
    pub fn yaml(&self) -> String {
        serde_yaml::to_string(self).unwrap_or_default()
    }

    /// Reads shard.yaml (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<ShardInfo, SweepError> {
        serde_yaml::from_str(text)
            .map_err(|e| SweepError::at(file, e.location().map(|l| l.line()), e.to_string()))
    }
}
