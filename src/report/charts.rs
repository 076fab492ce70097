//! Charts of a run, drawn from its CSV files only, so that `rollsim plot DIR` redraws exactly
//! what `rollsim run` drew: per Deployment the old-versus-new picture (`rollout.png`), and a
//! timeline of every pod (`pods.png`). One drawing function per chart, generic over the
//! plotters backend, serves both PNG and SVG. Text uses the bundled DejaVu Sans.

use super::SummaryFile;
use super::lang::{ChartText, Lang, fill};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Chart size in pixels.
pub const SIZE: (u32, u32) = (1400, 820);
/// Most pod rows the timeline draws; beyond it a readable sample is shown.
pub const MAX_POD_ROWS: usize = 300;
/// Most time points a series is drawn with (step functions are resampled beyond it).
const MAX_POINTS: usize = 2000;
const LEGEND_WIDTH: u32 = 330;
const FONT: &str = "sans-serif";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
/// DejaVu Sans' Latin and Droid Sans Fallback's glyphs of the Chinese texts, in one face
/// (`assets/fonts/make-cjk-font.py` rebuilds it when the catalogue grows).
static CJK: &[u8] = include_bytes!("../../assets/fonts/RollsimCJK.ttf");

/// Why charts could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

fn err<E: std::fmt::Display>(context: &str) -> impl Fn(E) -> ChartError + '_ {
    move |e| ChartError(format!("{context}: {e}"))
}

/// Registers the bundled fonts under the family the charts use (once per process).
pub(crate) fn register_fonts() -> Result<(), ChartError> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, BOLD).is_ok()
            && plotters::style::register_font(super::lang::CJK_FONT, FontStyle::Normal, CJK).is_ok()
            && plotters::style::register_font(super::lang::CJK_FONT, FontStyle::Bold, CJK).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError("the bundled font could not be loaded".into()))
    }
}

/// The text of the run files the charts are drawn from.
#[derive(Debug, Clone, Copy)]
pub struct RunFiles<'a> {
    #[allow(missing_docs)]
    pub summary_yaml: &'a str,
    #[allow(missing_docs)]
    pub replicasets_csv: &'a str,
    #[allow(missing_docs)]
    pub pods_csv: &'a str,
    #[allow(missing_docs)]
    pub deployments_csv: &'a str,
    #[allow(missing_docs)]
    pub commands_csv: &'a str,
    /// May be empty (runs before faults existed).
    pub faults_csv: &'a str,
    /// May be empty: pods then show their moments from `pods.csv` only.
    pub pod_status_csv: &'a str,
    /// May be empty (runs without traffic): the rollout charts then have no endpoints line.
    pub endpoints_ready_csv: &'a str,
}

/// Names of the files [`RunFiles`] come from, in its field order.
pub const INPUT_FILES: [&str; 8] = [
    "summary.yaml",
    "replicasets.csv",
    "pods.csv",
    "deployments.csv",
    "commands.csv",
    "faults.csv",
    "pod-status.csv",
    "endpoints-ready.csv",
];

/// Inputs a run folder may lack (written only since faults were simulated, or only with
/// traffic).
pub const OPTIONAL_INPUT_FILES: [&str; 3] = ["faults.csv", "pod-status.csv", "endpoints-ready.csv"];

/// Ready endpoints of a Service as the EndpointSlice controller published them.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct EndpointsRow {
    pub time: u64,
    pub service: String,
    /// Deployments whose pods the Service selects.
    pub deployments: Vec<String>,
    pub ready: f64,
}

/// A ReplicaSet as the charts see it.
#[derive(Debug, Clone, PartialEq)]
pub struct RsInfo {
    #[allow(missing_docs)]
    pub name: String,
    #[allow(missing_docs)]
    pub deployment: String,
    /// Revisions it held, in order (undo moves an old ReplicaSet to a new revision).
    pub revisions: Vec<i64>,
    #[allow(missing_docs)]
    pub images: String,
    /// First sample, in ms.
    pub first_ms: u64,
}

/// One pod's moments, in ms.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct PodRow {
    pub name: String,
    pub replicaset: String,
    pub revision: i64,
    pub created: u64,
    pub scheduled: Option<u64>,
    pub started: Option<u64>,
    pub ready: Option<u64>,
    pub available: Option<u64>,
    pub terminating: Option<u64>,
    pub gone: Option<u64>,
    /// Its status changes from `pod-status.csv`, in time order (empty without that file).
    pub statuses: Vec<StatusRow>,
}

/// A pod's STATUS, readiness and availability from `time` on.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct StatusRow {
    pub time: u64,
    pub status: String,
    pub ready: bool,
    pub available: bool,
}

/// A fault moment from `faults.csv`.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct FaultRow {
    pub time: u64,
    pub kind: String,
    pub object: String,
}

/// A Deployment's size and bounds from `time` on.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct SpecRow {
    pub time: u64,
    pub deployment: String,
    pub replicas: i32,
    pub max_surge: i32,
    pub max_unavailable: i32,
    pub strategy: String,
}

/// A command that changed a Deployment.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct MarkerRow {
    pub time: u64,
    pub deployment: String,
    pub label: String,
}

/// Everything the charts need, read from the run's files.
#[derive(Debug, Clone, PartialEq)]
pub struct RunData {
    #[allow(missing_docs)]
    pub summary: SummaryFile,
    /// In order of first appearance.
    pub replica_sets: Vec<RsInfo>,
    /// In creation order.
    pub pods: Vec<PodRow>,
    #[allow(missing_docs)]
    pub specs: Vec<SpecRow>,
    #[allow(missing_docs)]
    pub markers: Vec<MarkerRow>,
    #[allow(missing_docs)]
    pub faults: Vec<FaultRow>,
    /// In time order (none without traffic).
    pub endpoints_ready: Vec<EndpointsRow>,
    /// The language of the texts (summary.yaml's `lang`).
    pub lang: Lang,
}

/// Seconds with up to millisecond precision (`12.345`) to ms, exactly.
fn parse_ms(text: &str) -> Result<u64, String> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || whole.is_empty() {
        return Err(format!("\"{text}\" is not a time in seconds"));
    }
    let whole: u64 = whole
        .parse()
        .map_err(|_| format!("\"{text}\" is not a time in seconds"))?;
    let frac_ms: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}")
            .parse()
            .map_err(|_| format!("\"{text}\" is not a time in seconds"))?
    };
    whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac_ms))
        .ok_or_else(|| format!("\"{text}\" is too large"))
}

fn opt_ms(text: &str) -> Result<Option<u64>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse_ms(text).map(Some)
    }
}

fn read_csv<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<Vec<T>, ChartError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| ChartError(format!("{file}: row {}: {e}", i + 2))))
        .collect()
}

#[derive(Deserialize)]
struct RsCsv {
    time_s: String,
    deployment: String,
    replicaset: String,
    revision: i64,
    images: String,
}

#[derive(Deserialize)]
struct PodCsv {
    pod: String,
    replicaset: String,
    revision: String,
    created_s: String,
    scheduled_s: String,
    started_s: String,
    ready_s: String,
    available_s: String,
    terminating_s: String,
    gone_s: String,
}

#[derive(Deserialize)]
struct SpecCsv {
    time_s: String,
    deployment: String,
    replicas: i32,
    max_surge: i32,
    max_unavailable: i32,
    strategy: String,
}

#[derive(Deserialize)]
struct FaultCsv {
    time_s: String,
    kind: String,
    object: String,
}

#[derive(Deserialize)]
struct StatusCsv {
    time_s: String,
    pod: String,
    status: String,
    ready: bool,
    available: bool,
}

#[derive(Deserialize)]
struct EndpointsCsv {
    time_s: String,
    service: String,
    deployments: String,
    ready: u32,
}

#[derive(Deserialize)]
struct MarkerCsv {
    time_s: String,
    deployment: String,
    label: String,
}

/// A `file: message` error for the file's rows.
fn at(file: &'static str) -> impl Fn(String) -> ChartError {
    move |e: String| ChartError(format!("{file}: {e}"))
}

/// Rows of a CSV file with a `time_s` column, each made into a `T` with its time.
fn read_rows<R: TimedCsv, T>(
    file: &'static str,
    text: &str,
    make: impl Fn(R, u64) -> T,
) -> Result<Vec<T>, ChartError> {
    let mut out = Vec::new();
    for row in read_csv::<R>(file, text)? {
        let time = parse_ms(row.time_s()).map_err(at(file))?;
        out.push(make(row, time));
    }
    Ok(out)
}

/// A CSV row whose first column is the virtual time in seconds.
trait TimedCsv: serde::de::DeserializeOwned {
    fn time_s(&self) -> &str;
}

macro_rules! timed_csv {
    ($($t:ty),*) => {$(
        impl TimedCsv for $t {
            fn time_s(&self) -> &str {
                &self.time_s
            }
        }
    )*};
}
timed_csv!(SpecCsv, MarkerCsv, FaultCsv, EndpointsCsv);

/// replicasets.csv: each ReplicaSet once, with every revision it carried in turn.
fn read_replica_sets(text: &str) -> Result<Vec<RsInfo>, ChartError> {
    let mut replica_sets: Vec<RsInfo> = Vec::new();
    for row in read_csv::<RsCsv>("replicasets.csv", text)? {
        let time = parse_ms(&row.time_s).map_err(at("replicasets.csv"))?;
        match replica_sets.iter_mut().find(|r| r.name == row.replicaset) {
            Some(rs) => {
                if rs.revisions.last() != Some(&row.revision) {
                    rs.revisions.push(row.revision);
                }
            }
            None => replica_sets.push(RsInfo {
                name: row.replicaset,
                deployment: row.deployment,
                revisions: vec![row.revision],
                images: row.images,
                first_ms: time,
            }),
        }
    }
    Ok(replica_sets)
}

/// pods.csv, with each pod's rows of pod-status.csv.
fn read_pods(pods_csv: &str, status_csv: &str) -> Result<Vec<PodRow>, ChartError> {
    let mut pods = Vec::new();
    for row in read_csv::<PodCsv>("pods.csv", pods_csv)? {
        let f = at("pods.csv");
        pods.push(PodRow {
            revision: row.revision.parse().unwrap_or(0),
            created: parse_ms(&row.created_s).map_err(&f)?,
            scheduled: opt_ms(&row.scheduled_s).map_err(&f)?,
            started: opt_ms(&row.started_s).map_err(&f)?,
            ready: opt_ms(&row.ready_s).map_err(&f)?,
            available: opt_ms(&row.available_s).map_err(&f)?,
            terminating: opt_ms(&row.terminating_s).map_err(&f)?,
            gone: opt_ms(&row.gone_s).map_err(&f)?,
            name: row.pod,
            replicaset: row.replicaset,
            statuses: Vec::new(),
        });
    }
    let index: BTreeMap<String, usize> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), i))
        .collect();
    for row in read_csv::<StatusCsv>("pod-status.csv", status_csv)? {
        let time = parse_ms(&row.time_s).map_err(at("pod-status.csv"))?;
        let Some(&i) = index.get(&row.pod) else {
            return Err(ChartError(format!(
                "pod-status.csv: pod \"{}\" is not in pods.csv",
                row.pod
            )));
        };
        pods[i].statuses.push(StatusRow {
            time,
            status: row.status,
            ready: row.ready,
            available: row.available,
        });
    }
    Ok(pods)
}

impl RunData {
    /// Reads the run's files; errors name the file and row.
    pub fn parse(files: &RunFiles) -> Result<Self, ChartError> {
        let summary: SummaryFile =
            serde_yaml::from_str(files.summary_yaml).map_err(err("summary.yaml"))?;
        let lang = match summary.lang.as_deref() {
            None => Lang::En,
            Some(tag) => Lang::parse(tag).ok_or_else(|| {
                ChartError(format!("summary.yaml: lang: unknown language {tag:?}"))
            })?,
        };
        Ok(RunData {
            summary,
            replica_sets: read_replica_sets(files.replicasets_csv)?,
            pods: read_pods(files.pods_csv, files.pod_status_csv)?,
            specs: read_rows(
                "deployments.csv",
                files.deployments_csv,
                |row: SpecCsv, time| SpecRow {
                    time,
                    deployment: row.deployment,
                    replicas: row.replicas,
                    max_surge: row.max_surge,
                    max_unavailable: row.max_unavailable,
                    strategy: row.strategy,
                },
            )?,
            markers: read_rows(
                "commands.csv",
                files.commands_csv,
                |row: MarkerCsv, time| MarkerRow {
                    time,
                    deployment: row.deployment,
                    label: row.label,
                },
            )?,
            faults: read_rows("faults.csv", files.faults_csv, |row: FaultCsv, time| {
                FaultRow {
                    time,
                    kind: row.kind,
                    object: row.object,
                }
            })?,
            endpoints_ready: read_rows(
                "endpoints-ready.csv",
                files.endpoints_ready_csv,
                |row: EndpointsCsv, time| EndpointsRow {
                    time,
                    service: row.service,
                    deployments: row.deployments.split(' ').map(str::to_string).collect(),
                    ready: f64::from(row.ready),
                },
            )?,
            lang,
        })
    }

    /// The charts' words, in the run's language.
    pub fn text(&self) -> &'static ChartText {
        self.lang.chart_text()
    }

    /// Deployments with any ReplicaSet, in name order.
    pub fn deployments(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .replica_sets
            .iter()
            .map(|r| r.deployment.clone())
            .filter(|d| !d.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Where the time axis ends: a little past the run's end (5 % of it, 2 to 30 s), so
    /// that the state it ended in shows as more than a sliver when the last step was the
    /// rollout finishing.
    fn end_ms(&self) -> u64 {
        let run = self.run_end_ms();
        run + (run / 20).clamp(2_000, 30_000)
    }

    /// The virtual time the run covered.
    fn run_end_ms(&self) -> u64 {
        (self.summary.virtual_time_s * 1000.0).round().max(1.0) as u64
    }
}

/// A step function: its value from each time on.
#[derive(Debug, Clone, Default)]
struct Steps {
    deltas: Vec<(u64, i64)>,
}

impl Steps {
    fn interval(&mut self, from: u64, to: Option<u64>) {
        self.deltas.push((from, 1));
        if let Some(to) = to {
            self.deltas.push((to.max(from), -1));
        }
    }

    /// Values at each of `times` (sorted).
    fn sample(&mut self, times: &[u64]) -> Vec<f64> {
        self.deltas.sort_unstable();
        let mut out = Vec::with_capacity(times.len());
        let (mut i, mut value) = (0, 0i64);
        for &t in times {
            while i < self.deltas.len() && self.deltas[i].0 <= t {
                value += self.deltas[i].1;
                i += 1;
            }
            out.push(value as f64);
        }
        out
    }
}

/// The times a chart samples: every change, or an even grid when there are too many.
fn sample_times(changes: impl Iterator<Item = u64>, end: u64) -> Vec<u64> {
    let mut times: Vec<u64> = changes.filter(|t| *t <= end).collect();
    times.push(0);
    times.push(end);
    times.sort_unstable();
    times.dedup();
    if times.len() > MAX_POINTS {
        let n = MAX_POINTS as u64;
        times = (0..=n).map(|i| end * i / n).collect();
    }
    times
}

/// Points of a step function drawn as steps (`(t_k, v_{k-1})`, `(t_k, v_k)`).
fn step_points(times: &[u64], values: &[f64]) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(times.len() * 2);
    for (k, (&t, &v)) in times.iter().zip(values).enumerate() {
        let x = t as f64 / 1000.0;
        if k > 0 {
            pts.push((x, values[k - 1]));
        }
        pts.push((x, v));
    }
    pts
}

/// Cool colours for older revisions; the newest gets [`WARM`].
pub(crate) const COOL: [RGBColor; 5] = [
    RGBColor(70, 130, 180),
    RGBColor(72, 170, 170),
    RGBColor(110, 110, 200),
    RGBColor(90, 160, 110),
    RGBColor(140, 110, 190),
];
pub(crate) const WARM: RGBColor = RGBColor(232, 125, 40);
const READY_LINE: RGBColor = RGBColor(20, 110, 50);
const LIVE_LINE: RGBColor = RGBColor(20, 20, 20);
const DESIRED: RGBColor = RGBColor(90, 90, 90);
const FLOOR: RGBColor = RGBColor(200, 40, 40);
const CEILING: RGBColor = RGBColor(120, 60, 170);
const MARKER: RGBColor = RGBColor(120, 120, 120);
const ENDPOINTS_LINE: RGBColor = RGBColor(0, 150, 210);
const FAULT: RGBColor = RGBColor(200, 30, 30);

/// Spans `[from, to)` in which `on` holds for a pod and it is not terminating.
fn status_spans(p: &PodRow, on: impl Fn(&StatusRow) -> bool) -> Vec<(u64, Option<u64>)> {
    let mut spans = Vec::new();
    let mut open: Option<u64> = None;
    for x in &p.statuses {
        let now_on = on(x) && x.status != "Terminating";
        match (open, now_on) {
            (None, true) => open = Some(x.time),
            (Some(from), false) => {
                spans.push((from, Some(x.time.max(from))));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(from) = open {
        spans.push((from, p.gone.map(|g| g.max(from))));
    }
    spans
}

/// Fault moments that concern a Deployment: every node fault, and those of its ReplicaSets
/// and pods.
fn faults_of<'a>(data: &'a RunData, deployment: &str, rss: &[&RsInfo]) -> Vec<&'a FaultRow> {
    data.faults
        .iter()
        .filter(|f| match f.object.split_once('/') {
            Some(("node", _)) => true,
            Some(("replicaset", name)) => rss.iter().any(|r| r.name == name),
            Some(("pod", name)) => data
                .pods
                .iter()
                .any(|p| p.name == name && rss.iter().any(|r| r.name == p.replicaset)),
            _ => false,
        })
        .filter(|_| !deployment.is_empty())
        .collect()
}

/// `NodeDown node-2`; a ReplicaSet's or pod's fault by its kind alone.
fn fault_label(f: &FaultRow) -> String {
    match f.object.split_once('/') {
        Some(("node", name)) => format!("{} {name}", f.kind),
        _ => f.kind.clone(),
    }
}

fn rs_label(t: &ChartText, rs: &RsInfo) -> String {
    let revs: Vec<String> = rs.revisions.iter().map(i64::to_string).collect();
    fill(
        t.revisions,
        &[("revisions", &revs.join("→")), ("images", &rs.images)],
    )
}

fn fmt_s(s: f64) -> String {
    format!("{s:.1} s")
}

/// Caption lines: each rollout's duration, fewest available and peak pods.
fn summary_lines(data: &RunData, deployment: Option<&str>) -> Vec<String> {
    let t = data.text();
    let mut lines = Vec::new();
    for d in &data.summary.deployments {
        if deployment.is_some_and(|want| want != d.name) {
            continue;
        }
        if deployment.is_none() {
            lines.push(fill(t.deployment, &[("name", &d.name)]));
        }
        for (i, r) in d.rollouts.iter().enumerate() {
            let took = r.duration_s.map_or_else(
                || t.not_complete.to_string(),
                |s| fill(t.took, &[("s", &fmt_s(s))]),
            );
            let n = i + 1;
            let rollout = [
                ("n", &n as &dyn std::fmt::Display),
                ("revision", &r.revision),
                ("took", &took),
            ];
            lines.push(fill(t.rollout, &rollout));
            let min = [
                ("min", &r.min_available as &dyn std::fmt::Display),
                ("replicas", &r.replicas),
            ];
            lines.push(fill(t.min_available, &min));
            let peak = [
                ("live", &r.max_pods_live as &dyn std::fmt::Display),
                ("spec", &r.max_pods_spec),
            ];
            lines.push(fill(t.peak_pods, &peak));
        }
    }
    lines
}

type Res<T> = Result<T, ChartError>;

/// The shade of the stretch after the run's end.
const AFTER_RUN: RGBAColor = RGBAColor(0, 0, 0, 0.07);

/// Shades the axis past the run's end: the state there is the one the run ended in, held,
/// not simulated further.
fn draw_after_run<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    data: &RunData,
    (y0, y1): (f64, f64),
) -> Res<()> {
    let (from, to) = (
        data.run_end_ms() as f64 / 1000.0,
        data.end_ms() as f64 / 1000.0,
    );
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(from, y0), (to, y1)],
            AFTER_RUN.filled(),
        )))
        .map_err(de)?;
    Ok(())
}

fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError(format!("drawing failed: {e}"))
}

/// How a legend entry's swatch is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swatch {
    Area,
    Line,
    Dashed,
}

/// Draws the legend and caption panel: coloured swatches, then text lines.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, ShapeStyle, Swatch)],
    (caption_title, font): (&str, &str),
    caption: &[String],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let text = (font, 15).into_font().color(&BLACK);
    let mut y = 60;
    for (label, style, swatch) in entries {
        match swatch {
            Swatch::Area => area
                .draw(&Rectangle::new([(8, y), (36, y + 16)], *style))
                .map_err(de)?,
            Swatch::Line => area
                .draw(&PathElement::new(vec![(8, y + 8), (36, y + 8)], *style))
                .map_err(de)?,
            Swatch::Dashed => {
                for x in [8, 20, 32] {
                    area.draw(&PathElement::new(vec![(x, y + 8), (x + 6, y + 8)], *style))
                        .map_err(de)?;
                }
            }
        }
        area.draw(&Text::new(label.clone(), (44, y), text.clone()))
            .map_err(de)?;
        y += 24;
    }
    y += 16;
    area.draw(&Text::new(
        caption_title.to_string(),
        (8, y),
        (font, 16, FontStyle::Bold).into_font().color(&BLACK),
    ))
    .map_err(de)?;
    y += 24;
    for line in caption {
        area.draw(&Text::new(line.clone(), (8, y), text.clone()))
            .map_err(de)?;
        y += 20;
    }
    Ok(())
}

/// What the old-versus-new chart of one Deployment shows, sampled at the moments it changes.
struct RolloutSeries<'a> {
    /// The words it is drawn with.
    text: &'static ChartText,
    /// Its ReplicaSets, oldest first.
    rss: Vec<&'a RsInfo>,
    /// Index of the newest ReplicaSet (drawn warm, the others cool).
    newest: Option<usize>,
    markers: Vec<&'a MarkerRow>,
    faults: Vec<&'a FaultRow>,
    services: Vec<(String, Vec<&'a EndpointsRow>)>,
    times: Vec<u64>,
    /// Available pods, stacked: entry i is the sum over ReplicaSets 0..=i.
    stacked: Vec<Vec<f64>>,
    ready: Vec<f64>,
    live: Vec<f64>,
    desired: Vec<(f64, f64)>,
    floor: Vec<(f64, f64)>,
    ceiling: Vec<(f64, f64)>,
    /// RollingUpdate at some moment (Recreate has no floor or ceiling).
    rolling: bool,
    end: u64,
    x_max: f64,
    y_top: f64,
}

impl RolloutSeries<'_> {
    fn colour(&self, i: usize) -> RGBColor {
        if Some(i) == self.newest {
            WARM
        } else {
            COOL[i % COOL.len()]
        }
    }
}

pub(crate) type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A Deployment's ReplicaSets by first appearance, and which one is the newest revision.
fn replica_sets_of<'a>(data: &'a RunData, deployment: &str) -> (Vec<&'a RsInfo>, Option<usize>) {
    let mut rss: Vec<&RsInfo> = data
        .replica_sets
        .iter()
        .filter(|r| r.deployment == deployment)
        .collect();
    rss.sort_by_key(|r| r.first_ms);
    let newest = rss
        .iter()
        .enumerate()
        .max_by_key(|(i, r)| (r.revisions.last().copied().unwrap_or(0), *i))
        .map(|(i, _)| i);
    (rss, newest)
}

/// Available pods per ReplicaSet, ready pods and live pods as step functions, and every
/// moment any of them changes.
fn pod_steps(pods: &[&PodRow], rss: &[&RsInfo]) -> (Vec<Steps>, Steps, Steps, Vec<u64>) {
    let mut available: Vec<Steps> = vec![Steps::default(); rss.len()];
    let (mut ready, mut live) = (Steps::default(), Steps::default());
    let mut changes = Vec::new();
    for p in pods {
        let stop = p.terminating.or(p.gone);
        let rs_index = rss.iter().position(|r| r.name == p.replicaset);
        if p.statuses.is_empty() {
            if let (Some(i), Some(a)) = (rs_index, p.available) {
                available[i].interval(a, stop.filter(|s| *s >= a));
                changes.push(a);
            }
            if let Some(r) = p.ready {
                ready.interval(r, stop.filter(|s| *s >= r));
                changes.push(r);
            }
        } else {
            // Faults can take a pod out of service and back: follow its status changes.
            for (from, to) in status_spans(p, |x| x.available) {
                if let Some(i) = rs_index {
                    available[i].interval(from, to);
                }
                changes.extend([Some(from), to].into_iter().flatten());
            }
            for (from, to) in status_spans(p, |x| x.ready) {
                ready.interval(from, to);
                changes.extend([Some(from), to].into_iter().flatten());
            }
        }
        live.interval(p.created, p.gone);
        changes.extend([Some(p.created), stop, p.gone].into_iter().flatten());
    }
    (available, ready, live, changes)
}

/// A reference line (desired, floor or ceiling) following the spec over time.
fn reference_line(
    specs: &[&SpecRow],
    times: &[u64],
    f: &dyn Fn(&SpecRow) -> i32,
) -> Vec<(f64, f64)> {
    let spec_at = |t: u64| specs.iter().rev().find(|s| s.time <= t).copied();
    let mut pts = Vec::new();
    let mut last: Option<f64> = None;
    for &t in times {
        let Some(s) = spec_at(t) else { continue };
        let v = f64::from(f(s));
        let x = t as f64 / 1000.0;
        if let Some(prev) = last
            && prev != v
        {
            pts.push((x, prev));
        }
        pts.push((x, v));
        last = Some(v);
    }
    pts
}

/// Everything the old-versus-new chart of one Deployment draws.
fn rollout_series<'a>(data: &'a RunData, deployment: &str) -> RolloutSeries<'a> {
    let end = data.end_ms();
    let (rss, newest) = replica_sets_of(data, deployment);
    let pods: Vec<&PodRow> = data
        .pods
        .iter()
        .filter(|p| rss.iter().any(|r| r.name == p.replicaset))
        .collect();
    let specs: Vec<&SpecRow> = data
        .specs
        .iter()
        .filter(|s| s.deployment == deployment)
        .collect();
    let markers: Vec<&MarkerRow> = data
        .markers
        .iter()
        .filter(|m| m.deployment == deployment)
        .collect();
    let faults = faults_of(data, deployment, &rss);
    let (mut available, mut ready, mut live, mut changes) = pod_steps(&pods, &rss);
    changes.extend(faults.iter().map(|f| f.time));
    changes.extend(specs.iter().map(|s| s.time));
    let times = sample_times(changes.into_iter(), end);
    let mut stacked: Vec<Vec<f64>> = Vec::new();
    let mut running = vec![0.0; times.len()];
    for steps in &mut available {
        for (acc, v) in running.iter_mut().zip(steps.sample(&times)) {
            *acc += v;
        }
        stacked.push(running.clone());
    }
    // Recreate has no surge or unavailability bounds: only the desired line is drawn.
    let rolling = specs.iter().any(|s| s.strategy != "Recreate");
    let bounds = |f: &dyn Fn(&SpecRow) -> i32| {
        if rolling {
            reference_line(&specs, &times, f)
        } else {
            Vec::new()
        }
    };
    let (floor, ceiling) = (
        bounds(&|s| s.replicas - s.max_unavailable),
        bounds(&|s| s.replicas + s.max_surge),
    );
    let live = live.sample(&times);
    let y_max = live
        .iter()
        .copied()
        .chain(ceiling.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    RolloutSeries {
        text: data.text(),
        desired: reference_line(&specs, &times, &|s| s.replicas),
        ready: ready.sample(&times),
        live,
        services: endpoints_of(data, deployment),
        rss,
        newest,
        markers,
        faults,
        times,
        stacked,
        floor,
        ceiling,
        rolling,
        end,
        x_max: (end as f64 / 1000.0).max(1.0),
        y_top: (y_max * 1.18).ceil().max(y_max + 1.0),
    }
}

/// The old-versus-new chart of one Deployment.
pub fn draw_rollout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
    deployment: &str,
) -> Res<TimeAxis>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let t = data.text();
    let title = fill(
        t.rollout_title,
        &[
            ("scenario", &data.summary.scenario),
            ("deployment", &deployment),
            ("seed", &data.summary.seed),
        ],
    );
    let root = root
        .titled(&title, (t.font, 24, FontStyle::Bold).into_font())
        .map_err(de)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, panel) = root.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let s = rollout_series(data, deployment);
    let mut chart = rollout_axes(&plot, &s)?;
    draw_available_areas(&mut chart, &s)?;
    draw_reference_lines(&mut chart, &s)?;
    draw_pod_lines(&mut chart, &s)?;
    draw_endpoints_ready(&mut chart, &s.services, s.end)?;
    draw_crash_ticks(&mut chart, &s)?;
    draw_markers(&mut chart, &s)?;
    draw_after_run(&mut chart, data, (0.0, s.y_top))?;
    draw_panel(
        &panel,
        &rollout_legend(&s),
        (t.summary, t.font),
        &summary_lines(data, Some(deployment)),
    )?;
    Ok(TimeAxis::of(&chart, s.x_max, 0.0))
}

/// Time and pod axes with their grid.
fn rollout_axes<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    s: &RolloutSeries,
) -> Res<Chart2d<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..s.x_max, 0f64..s.y_top)
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc(s.text.time_axis)
        .y_desc(s.text.pods_axis)
        .y_labels(if s.y_top <= 12.0 {
            s.y_top as usize + 1
        } else {
            10
        })
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| {
            if y.fract().abs() < 1e-9 {
                format!("{y:.0}")
            } else {
                format!("{y:.1}")
            }
        })
        .label_style((s.text.font, 14))
        .axis_desc_style((s.text.font, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(de)?;
    Ok(chart)
}

/// Available pods of each ReplicaSet, stacked, newest on top.
fn draw_available_areas<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    s: &RolloutSeries,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for i in (0..s.rss.len()).rev() {
        let c = s.colour(i);
        chart
            .draw_series(
                AreaSeries::new(step_points(&s.times, &s.stacked[i]), 0.0, c.mix(0.85))
                    .border_style(c.stroke_width(1)),
            )
            .map_err(de)?;
    }
    Ok(())
}

/// The ceiling, floor and desired lines, dashed, each with its last value at the right edge.
fn draw_reference_lines<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    s: &RolloutSeries,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for (pts, c) in [
        (&s.ceiling, CEILING),
        (&s.floor, FLOOR),
        (&s.desired, DESIRED),
    ] {
        chart
            .draw_series(DashedLineSeries::new(pts.clone(), 10, 6, c.stroke_width(2)))
            .map_err(de)?;
        if let Some(&(_, v)) = pts.last() {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{v:.0} "),
                    (s.x_max, v),
                    (s.text.font, 13)
                        .into_font()
                        .color(&c)
                        .pos(Pos::new(HPos::Right, VPos::Bottom)),
                )))
                .map_err(de)?;
        }
    }
    Ok(())
}

/// Ready pods and all live pods, as lines.
fn draw_pod_lines<DB: DrawingBackend>(chart: &mut Chart2d<'_, DB>, s: &RolloutSeries) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for (values, colour) in [(&s.ready, READY_LINE), (&s.live, LIVE_LINE)] {
        chart
            .draw_series(LineSeries::new(
                step_points(&s.times, values),
                colour.stroke_width(2),
            ))
            .map_err(de)?;
    }
    Ok(())
}

/// Random crashes can be many: a short tick each along the top, no label.
fn draw_crash_ticks<DB: DrawingBackend>(chart: &mut Chart2d<'_, DB>, s: &RolloutSeries) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for f in s.faults.iter().filter(|f| f.kind == "RandomCrash") {
        let x = f.time as f64 / 1000.0;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, s.y_top * 0.93), (x, s.y_top)],
                FAULT.stroke_width(2),
            )))
            .map_err(de)?;
    }
    Ok(())
}

/// Command markers (grey) and labelled fault markers (red), those at one moment merged
/// into one label: `(time, label, is a fault)`, in time order.
fn marker_labels(s: &RolloutSeries) -> Vec<(u64, String, bool)> {
    let mut all: Vec<(u64, String, bool)> = s
        .markers
        .iter()
        .map(|m| (m.time, m.label.clone(), false))
        .chain(
            s.faults
                .iter()
                .filter(|f| f.kind != "RandomCrash")
                .map(|f| (f.time, fault_label(f), true)),
        )
        .collect();
    all.sort_by_key(|(t, _, fault)| (*t, *fault));
    let mut merged: Vec<(u64, String, bool)> = Vec::new();
    for (time, label, fault) in all {
        match merged.last_mut() {
            Some((t, l, f)) if *t == time && *f == fault => {
                if !l.split(" + ").any(|x| x == label) {
                    l.push_str(" + ");
                    l.push_str(&label);
                }
            }
            _ => merged.push((time, label, fault)),
        }
    }
    merged
}

/// A thin vertical line and a short label per marker, labels staggered over a few rows
/// where they would run into each other.
fn draw_markers<DB: DrawingBackend>(chart: &mut Chart2d<'_, DB>, s: &RolloutSeries) -> Res<()>
where
    DB::ErrorType: 'static,
{
    // Each label goes on the first of a few rows where it does not run into the previous
    // label of that row (text width estimated at 7.5 px a character).
    let plot_px = f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
    let data_per_px = s.x_max / plot_px;
    let mut row_ends = [f64::NEG_INFINITY; 4];
    for (t, label, fault) in &marker_labels(s) {
        let x = *t as f64 / 1000.0;
        let colour = if *fault { FAULT } else { MARKER };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, s.y_top)],
                colour.stroke_width(if *fault { 2 } else { 1 }),
            )))
            .map_err(de)?;
        let width = (label.chars().count() + 2) as f64 * 7.5 * data_per_px;
        let row = row_ends.iter().position(|end| *end < x).unwrap_or_else(|| {
            // Every row is taken: use the one that frees up first.
            row_ends
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i)
        });
        row_ends[row] = x + width;
        let y = s.y_top * (0.985 - 0.045 * row as f64);
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" {label}"),
                (x, y),
                (s.text.font, 13).into_font().color(&colour.mix(1.0)),
            )))
            .map_err(de)?;
    }
    Ok(())
}

/// The legend entries of the old-versus-new chart, in the order they are drawn.
fn rollout_legend(s: &RolloutSeries) -> Vec<(String, ShapeStyle, Swatch)> {
    let mut entries: Vec<(String, ShapeStyle, Swatch)> = s
        .rss
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                fill(s.text.available, &[("rs", &rs_label(s.text, r))]),
                s.colour(i).mix(0.85).filled(),
                Swatch::Area,
            )
        })
        .collect();
    entries.extend([
        (
            s.text.ready_pods.into(),
            READY_LINE.stroke_width(2),
            Swatch::Line,
        ),
        (
            s.text.live_pods.into(),
            LIVE_LINE.stroke_width(2),
            Swatch::Line,
        ),
        (
            s.text.desired.into(),
            DESIRED.stroke_width(2),
            Swatch::Dashed,
        ),
    ]);
    if s.rolling {
        entries.extend([
            (s.text.floor.into(), FLOOR.stroke_width(2), Swatch::Dashed),
            (
                s.text.ceiling.into(),
                CEILING.stroke_width(2),
                Swatch::Dashed,
            ),
        ]);
    } else {
        entries.push((s.text.recreate.into(), WHITE.filled(), Swatch::Area));
    }
    for (service, _) in &s.services {
        entries.push((
            fill(s.text.endpoints_ready, &[("service", service)]),
            ENDPOINTS_LINE.stroke_width(2),
            Swatch::Line,
        ));
    }
    entries.extend(marker_legend(s));
    entries.push((s.text.after_run.into(), AFTER_RUN.filled(), Swatch::Area));
    entries
}

/// Legend entries of the command and fault markers (fault entries only when there are any).
fn marker_legend(s: &RolloutSeries) -> Vec<(String, ShapeStyle, Swatch)> {
    let mut entries = Vec::new();
    entries.push((
        s.text.script_command.into(),
        MARKER.stroke_width(1),
        Swatch::Line,
    ));
    if s.faults.iter().any(|f| f.kind != "RandomCrash") {
        entries.push((s.text.fault.into(), FAULT.stroke_width(2), Swatch::Line));
    }
    if s.faults.iter().any(|f| f.kind == "RandomCrash") {
        entries.push((
            s.text.random_crash.into(),
            FAULT.stroke_width(2),
            Swatch::Line,
        ));
    }
    entries
}

/// Colours of a pod's states, in order (their words are `ChartText::states`); report.html
/// colours its pods with the same.
pub(crate) const STATES: [RGBColor; 9] = [
    RGBColor(190, 190, 190),
    RGBColor(240, 200, 80),
    RGBColor(150, 90, 200),
    RGBColor(110, 30, 30),
    RGBColor(235, 130, 50),
    RGBColor(150, 205, 140),
    RGBColor(40, 150, 70),
    RGBColor(200, 70, 70),
    RGBColor(90, 170, 200),
];
const PENDING: usize = 0;
const CREATING: usize = 1;
const PULL_FAILING: usize = 2;
const CRASHED: usize = 3;
const NOT_READY: usize = 4;
const READY: usize = 5;
const AVAILABLE: usize = 6;
const TERMINATING: usize = 7;
/// Init containers running (`Init:N/M`, then `PodInitializing`); last so the indices of the
/// others (and report.html's classes) stay as they were.
const INITIALIZING: usize = 8;
/// The states in the order legends list them: a pod's life from top to bottom.
const LEGEND_ORDER: [usize; 9] = [
    PENDING,
    CREATING,
    INITIALIZING,
    PULL_FAILING,
    CRASHED,
    NOT_READY,
    READY,
    AVAILABLE,
    TERMINATING,
];

/// A pod's state segments `(state, from, to)` in ms, each ending where the next begins:
/// from its status changes when `pod-status.csv` has them, else from its moments.
fn segments(p: &PodRow, end: u64) -> Vec<(usize, u64, u64)> {
    if !p.statuses.is_empty() {
        return status_segments(p, end);
    }
    let stop = p.terminating.or(p.gone).unwrap_or(end);
    let marks = [
        (PENDING, Some(p.created)),
        (CREATING, p.scheduled),
        (NOT_READY, p.started),
        (READY, p.ready),
        (AVAILABLE, p.available),
    ];
    let mut out = Vec::new();
    for (i, (state, from)) in marks.iter().enumerate() {
        let Some(from) = *from else { break };
        if from >= stop {
            break;
        }
        let to = marks[i + 1..]
            .iter()
            .filter_map(|(_, t)| *t)
            .next()
            .unwrap_or(stop)
            .min(stop);
        if to > from || *state == AVAILABLE {
            out.push((*state, from, to.max(from)));
        }
    }
    if let Some(t) = p.terminating {
        out.push((TERMINATING, t, p.gone.unwrap_or(end).max(t)));
    }
    out
}

/// The state a status row stands for.
fn state_of(p: &PodRow, x: &StatusRow) -> usize {
    let scheduled = p.scheduled.is_some_and(|s| x.time >= s);
    pod_state(&x.status, scheduled, x.ready, x.available)
}

/// The state (index into [`STATES`]) a pod's STATUS, readiness and availability stand for,
/// as the pod timeline and report.html colour it.
pub(crate) fn pod_state(status: &str, scheduled: bool, ready: bool, available: bool) -> usize {
    // An init container's failure reads `Init:ErrImagePull`, `Init:CrashLoopBackOff`, ….
    let failure = status.strip_prefix("Init:").unwrap_or(status);
    match failure {
        "Terminating" => TERMINATING,
        "ErrImagePull" | "ImagePullBackOff" => PULL_FAILING,
        "CrashLoopBackOff" | "Error" => CRASHED,
        "Pending" | "ContainerCreating" if scheduled => CREATING,
        "Pending" | "ContainerCreating" => PENDING,
        _ if status.starts_with("Init:") || status == "PodInitializing" => INITIALIZING,
        _ if available => AVAILABLE,
        _ if ready => READY,
        _ => NOT_READY,
    }
}

fn status_segments(p: &PodRow, end: u64) -> Vec<(usize, u64, u64)> {
    let last = p.gone.unwrap_or(end);
    let mut marks: Vec<(u64, usize)> = p
        .statuses
        .iter()
        .map(|x| (x.time, state_of(p, x)))
        .collect();
    // Binding leaves the STATUS column at `Pending`, so no row marks it: add the moment.
    if let Some(s) = p.scheduled {
        let i = marks.partition_point(|(t, _)| *t <= s);
        if i > 0 && marks[i - 1].1 == PENDING {
            marks.insert(i, (s, CREATING));
        }
    }
    let mut out: Vec<(usize, u64, u64)> = Vec::new();
    for (i, &(from, state)) in marks.iter().enumerate() {
        let to = marks.get(i + 1).map_or(last, |n| n.0).max(from);
        match out.last_mut() {
            Some((s, _, t)) if *s == state => *t = to,
            _ => out.push((state, from, to)),
        }
    }
    out.retain(|(state, from, to)| to > from || *state == AVAILABLE);
    out
}

/// The timeline of every pod (or an even sample beyond [`MAX_POD_ROWS`]).
pub fn draw_pods<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &RunData) -> Res<TimeAxis>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let t = data.text();
    let title = fill(
        t.pods_title,
        &[
            ("scenario", &data.summary.scenario),
            ("seed", &data.summary.seed),
        ],
    );
    let root = root
        .titled(&title, (t.font, 24, FontStyle::Bold).into_font())
        .map_err(de)?;
    let (w, _) = root.dim_in_pixel();
    let (plot, panel) = root.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let end = data.end_ms();
    let rows = pod_rows(data);
    let x_max = (end as f64 / 1000.0).max(1.0);
    let mut chart = pod_axes(&plot, &rows.rows, x_max, t)?;
    draw_pod_bars(&mut chart, &rows.rows, end)?;
    draw_group_heads(&mut chart, &rows.group_starts, x_max, t)?;
    draw_after_run(&mut chart, data, (0.0, rows.rows.len().max(1) as f64))?;
    // The init state is listed only where a pod had init containers.
    let initializing = rows
        .rows
        .iter()
        .flatten()
        .any(|p| p.statuses.iter().any(|x| state_of(p, x) == INITIALIZING));
    let mut entries: Vec<(String, ShapeStyle, Swatch)> = LEGEND_ORDER
        .iter()
        .filter(|&&i| i != INITIALIZING || initializing)
        .map(|&i| (t.states[i].to_string(), STATES[i].filled(), Swatch::Area))
        .collect();
    entries.push((t.after_run.into(), AFTER_RUN.filled(), Swatch::Area));
    let total = data.pods.len();
    let mut caption = Vec::new();
    if rows.step > 1 {
        let shown = rows.rows.iter().flatten().count();
        caption.push(fill(t.showing, &[("shown", &shown), ("total", &total)]));
        caption.push(fill(t.every, &[("step", &rows.step)]));
    } else {
        caption.push(fill(t.pod_count, &[("total", &total)]));
    }
    caption.extend(summary_lines(data, None));
    draw_panel(&panel, &entries, (t.summary, t.font), &caption)?;
    Ok(TimeAxis::of(&chart, x_max, 0.0))
}

/// The timeline's rows: a label row per group, then its pods (every `step`th one).
struct PodRows<'a> {
    /// `None` for a group's label row.
    rows: Vec<Option<&'a PodRow>>,
    /// `(row, label, pods in the group)` of each group.
    group_starts: Vec<(usize, String, usize)>,
    step: usize,
}

/// Pods grouped by the ReplicaSet and revision they were created for; groups in order of
/// their first pod, each headed by a label row; sampled beyond [`MAX_POD_ROWS`].
fn pod_rows(data: &RunData) -> PodRows<'_> {
    let mut groups: BTreeMap<(i64, &str), Vec<&PodRow>> = BTreeMap::new();
    for p in &data.pods {
        groups
            .entry((p.revision, &p.replicaset))
            .or_default()
            .push(p);
    }
    let mut groups: Vec<((i64, &str), Vec<&PodRow>)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, pods)| pods.first().map_or(0, |p| p.created));
    let step = data.pods.len().div_ceil(MAX_POD_ROWS).max(1);
    let mut rows: Vec<Option<&PodRow>> = Vec::new();
    let mut group_starts: Vec<(usize, String, usize)> = Vec::new();
    for ((revision, rs), pods) in &groups {
        let images = data
            .replica_sets
            .iter()
            .find(|r| r.name == *rs)
            .map_or("", |r| r.images.as_str());
        let label = fill(
            data.text().revisions,
            &[("revisions", revision), ("images", &images)],
        );
        group_starts.push((rows.len(), label, pods.len()));
        rows.push(None);
        rows.extend(pods.iter().step_by(step).map(|p| Some(*p)));
    }
    PodRows {
        rows,
        group_starts,
        step,
    }
}

/// Time across, one row per pod down; pod names as labels when there are few rows.
fn pod_axes<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    rows: &[Option<&PodRow>],
    x_max: f64,
    t: &ChartText,
) -> Res<Chart2d<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let n = rows.len().max(1) as f64;
    let few = rows.len() <= 40;
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(if few { 230 } else { 70 })
        .build_cartesian_2d(0f64..x_max, n..0f64)
        .map_err(de)?;
    let names: Vec<String> = rows
        .iter()
        .map(|p| p.map_or(String::new(), |p| p.name.clone()))
        .collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(t.time_axis)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(if few { "" } else { t.pod_rows_axis })
        .y_labels(if few { rows.len().max(1) * 2 + 1 } else { 10 })
        .y_label_formatter(&|y| {
            if few {
                let i = y.floor() as usize;
                if (y - i as f64 - 0.5).abs() < 1e-6 {
                    names.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            } else {
                format!("{y:.0}")
            }
        })
        .label_style((t.font, 13))
        .axis_desc_style((t.font, 16))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(de)?;
    Ok(chart)
}

/// Each pod's row: a bar per state it was in, coloured by state.
fn draw_pod_bars<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    rows: &[Option<&PodRow>],
    end: u64,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let gap = if rows.len() > 60 { 0.0 } else { 0.15 };
    for (row, p) in rows.iter().enumerate() {
        let Some(p) = p else { continue };
        let y0 = row as f64 + gap;
        let y1 = row as f64 + 1.0 - gap;
        chart
            .draw_series(segments(p, end).into_iter().map(|(state, from, to)| {
                Rectangle::new(
                    [(from as f64 / 1000.0, y0), (to as f64 / 1000.0, y1)],
                    STATES[state].filled(),
                )
            }))
            .map_err(de)?;
    }
    Ok(())
}

/// A line and a label (revision, images, pod count) above each group of pods.
fn draw_group_heads<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    group_starts: &[(usize, String, usize)],
    x_max: f64,
    t: &ChartText,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for (start, label, count) in group_starts {
        let y = *start as f64;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, y), (x_max, y)],
                BLACK.mix(0.6).stroke_width(1),
            )))
            .map_err(de)?;
        chart
            .draw_series(std::iter::once(Text::new(
                fill(t.group_head, &[("label", label), ("count", count)]),
                (0.0, y + 0.5),
                (t.font, 13)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(de)?;
    }
    Ok(())
}

/// The published ready endpoints of each Service that selects the Deployment's pods.
fn endpoints_of<'a>(data: &'a RunData, deployment: &str) -> Vec<(String, Vec<&'a EndpointsRow>)> {
    let mut out: Vec<(String, Vec<&EndpointsRow>)> = Vec::new();
    for row in data
        .endpoints_ready
        .iter()
        .filter(|r| r.deployments.iter().any(|d| d == deployment))
    {
        match out.iter_mut().find(|(s, _)| *s == row.service) {
            Some((_, rows)) => rows.push(row),
            None => out.push((row.service.clone(), vec![row])),
        }
    }
    out
}

/// The "endpoints ready" lines: what Services offer new connections, which can differ from
/// the Deployment's own availability (a pod is an endpoint once Ready, minReadySeconds or
/// not, and leaves as soon as it is deleted).
fn draw_endpoints_ready<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    services: &[(String, Vec<&EndpointsRow>)],
    end: u64,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    for (_, rows) in services {
        let mut times: Vec<u64> = rows.iter().map(|r| r.time).collect();
        let mut values: Vec<f64> = rows.iter().map(|r| r.ready).collect();
        if let Some(&last) = values.last() {
            times.push(end);
            values.push(last);
        }
        chart
            .draw_series(DashedLineSeries::new(
                step_points(&times, &values),
                4,
                3,
                ENDPOINTS_LINE.stroke_width(2),
            ))
            .map_err(de)?;
    }
    Ok(())
}

/// One chart, drawn with any backend.
type DrawFn<'a, T> = dyn Fn(&DrawingArea<BitMapBackend, Shift>) -> Res<T> + 'a;

/// Where a chart's time axis lies in its picture: pixels of virtual time 0 and of its last
/// second, so a page can draw a time cursor over the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeAxis {
    /// Pixel column of time 0.
    pub left: i32,
    /// Pixel column of `seconds`.
    pub right: i32,
    /// The axis' last second.
    pub seconds: f64,
}

impl TimeAxis {
    /// The time axis of a chart whose x coordinate is virtual seconds from 0 to `seconds`.
    pub(crate) fn of<DB: DrawingBackend>(chart: &Chart2d<'_, DB>, seconds: f64, y: f64) -> Self {
        TimeAxis {
            left: chart.backend_coord(&(0.0, y)).0,
            right: chart.backend_coord(&(seconds, y)).0,
            seconds,
        }
    }
}

/// A chart as a PNG picture.
pub(crate) fn png<T>(draw: &DrawFn<T>) -> Res<Vec<u8>> {
    let (w, h) = SIZE;
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw(&root)?;
        root.present().map_err(de)?;
    }
    let mut out = Vec::new();
    use image::ImageEncoder;
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, w, h, image::ColorType::Rgb8)
        .map_err(err("PNG encoding"))?;
    Ok(out)
}

/// A chart as an SVG picture.
pub(crate) fn svg<T>(draw: &dyn Fn(&DrawingArea<SVGBackend, Shift>) -> Res<T>) -> Res<Vec<u8>> {
    Ok(svg_with(draw)?.0.into_bytes())
}

/// A chart as SVG text, with what its drawing returned (a [`TimeAxis`], say).
pub(crate) fn svg_with<T>(
    draw: &dyn Fn(&DrawingArea<SVGBackend, Shift>) -> Res<T>,
) -> Res<(String, T)> {
    let mut text = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        let drawn = draw(&root)?;
        root.present().map_err(de)?;
        drawn
    };
    Ok((text, drawn))
}

/// Draws every chart of a run: `(file name, bytes)` for `rollout[-<deployment>].png|svg`
/// and `pods.png|svg`. A Deployment outside `default` (`NS/NAME` in reports) is drawn to
/// `rollout-NS_NAME`: `_` is in no namespace or object name, so no two Deployments share a
/// file.
pub fn render(data: &RunData) -> Res<Vec<(String, Vec<u8>)>> {
    register_fonts()?;
    let deployments = data.deployments();
    let mut files = Vec::new();
    for d in &deployments {
        let stem = if deployments.len() == 1 {
            "rollout".to_string()
        } else {
            format!("rollout-{}", d.replace('/', "_"))
        };
        files.push((format!("{stem}.png"), png(&|a| draw_rollout(a, data, d))?));
        files.push((format!("{stem}.svg"), svg(&|a| draw_rollout(a, data, d))?));
    }
    files.push(("pods.png".into(), png(&|a| draw_pods(a, data))?));
    files.push(("pods.svg".into(), svg(&|a| draw_pods(a, data))?));
    Ok(files)
}

/// The charts as `report.html` shows them: SVG text with its time axis.
pub fn page_charts(data: &RunData) -> Res<Vec<super::page::PageChart>> {
    register_fonts()?;
    let mut out = Vec::new();
    for d in &data.deployments() {
        let (svg, axis) = svg_with(&|a| draw_rollout(a, data, d))?;
        let heading = fill(data.text().rollout_heading, &[("deployment", d)]);
        out.push(page_chart(heading, svg, axis));
    }
    let (svg, axis) = svg_with(&|a| draw_pods(a, data))?;
    out.push(page_chart(data.text().pods_heading.into(), svg, axis));
    Ok(out)
}

/// A page chart from its drawing.
pub(crate) fn page_chart(title: String, svg: String, axis: TimeAxis) -> super::page::PageChart {
    super::page::PageChart {
        title,
        svg,
        left: axis.left,
        right: axis.right,
        seconds: axis.seconds,
        width: SIZE.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_statuses_have_their_own_state_and_init_failures_theirs() {
        for status in ["Init:0/2", "Init:1/2", "PodInitializing"] {
            assert_eq!(
                pod_state(status, true, false, false),
                INITIALIZING,
                "{status}"
            );
        }
        assert_eq!(
            pod_state("Init:ErrImagePull", true, false, false),
            PULL_FAILING
        );
        assert_eq!(
            pod_state("Init:ImagePullBackOff", true, false, false),
            PULL_FAILING
        );
        assert_eq!(
            pod_state("Init:CrashLoopBackOff", true, false, false),
            CRASHED
        );
        assert_eq!(pod_state("Init:Error", true, false, false), CRASHED);
        assert_eq!(pod_state("Running", true, false, false), NOT_READY);
        // Every state is listed once in the legends' order.
        let mut listed = LEGEND_ORDER.to_vec();
        listed.sort();
        assert_eq!(listed, (0..STATES.len()).collect::<Vec<_>>());
    }

    #[test]
    fn csv_seconds_parse_to_exact_milliseconds() {
        assert_eq!(parse_ms("12.345"), Ok(12_345));
        assert_eq!(parse_ms("0.5"), Ok(500));
        assert_eq!(parse_ms("7"), Ok(7000));
        assert!(parse_ms("1.2345").is_err());
        assert!(parse_ms("x").is_err());
    }

    #[test]
    fn a_pods_segments_follow_its_moments_and_stop_at_termination() {
        let p = PodRow {
            name: "p".into(),
            replicaset: "rs".into(),
            revision: 1,
            created: 0,
            scheduled: Some(20),
            started: Some(2000),
            ready: Some(2500),
            available: Some(17_500),
            terminating: Some(30_000),
            gone: Some(31_000),
            statuses: Vec::new(),
        };
        assert_eq!(
            segments(&p, 40_000),
            [
                (PENDING, 0, 20),
                (CREATING, 20, 2000),
                (NOT_READY, 2000, 2500),
                (READY, 2500, 17_500),
                (AVAILABLE, 17_500, 30_000),
                (TERMINATING, 30_000, 31_000)
            ]
        );
        let killed_while_pulling = PodRow {
            started: None,
            ready: None,
            available: None,
            terminating: Some(1000),
            ..p
        };
        assert_eq!(
            segments(&killed_while_pulling, 40_000),
            [
                (PENDING, 0, 20),
                (CREATING, 20, 1000),
                (TERMINATING, 1000, 31_000)
            ]
        );
    }

    #[test]
    fn status_changes_show_back_off_and_unready_periods() {
        let row = |time, status: &str, ready, available| StatusRow {
            time,
            status: status.into(),
            ready,
            available,
        };
        let p = PodRow {
            name: "p".into(),
            replicaset: "rs".into(),
            revision: 1,
            created: 0,
            scheduled: Some(20),
            started: Some(2000),
            ready: Some(2000),
            available: Some(2000),
            terminating: None,
            gone: None,
            statuses: vec![
                row(0, "Pending", false, false),
                row(1000, "ContainerCreating", false, false),
                row(2000, "Running", true, true),
                row(7000, "Error", false, false),
                row(8000, "CrashLoopBackOff", false, false),
                row(18_000, "ContainerCreating", false, false),
                row(19_000, "Running", true, false),
            ],
        };
        assert_eq!(
            segments(&p, 30_000),
            [
                (PENDING, 0, 20),
                (CREATING, 20, 2000),
                (AVAILABLE, 2000, 7000),
                (CRASHED, 7000, 18_000),
                (CREATING, 18_000, 19_000),
                (READY, 19_000, 30_000)
            ]
        );
        assert_eq!(
            status_spans(&p, |x| x.ready),
            [(2000, Some(7000)), (19_000, None)]
        );
        assert_eq!(status_spans(&p, |x| x.available), [(2000, Some(7000))]);
    }

    #[test]
    fn step_functions_count_open_intervals() {
        let mut s = Steps::default();
        s.interval(10, Some(30));
        s.interval(20, None);
        assert_eq!(s.sample(&[0, 10, 20, 30, 40]), [0.0, 1.0, 2.0, 1.0, 1.0]);
    }
}
