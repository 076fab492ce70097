//! `traffic.png`/`.svg`: requests per second as the users saw them — answered ones stacked
//! by the revision that served them, failures stacked above in red shades by outcome — with
//! the rollout's commands marked, on the rollout chart's time axis. Drawn from
//! `traffic.csv` and `commands.csv`, so `rollsim plot` redraws it.

use super::charts::{COOL, ChartError, MarkerRow, WARM};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

type Res<T> = Result<T, ChartError>;

/// Requests of one second, by series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrafficData {
    /// `(second, series, count)`; series are `revision N` or an outcome name.
    pub rows: Vec<(u64, String, u64)>,
    /// Commands to mark.
    pub markers: Vec<MarkerRow>,
    /// Right end of the time axis, s.
    pub end_s: f64,
    /// The language it is drawn in.
    pub lang: super::lang::Lang,
}

/// Reads `traffic.csv` (`time_s,client,revision,outcome,count`), summing clients.
pub fn parse_traffic_csv(text: &str) -> Res<Vec<(u64, String, u64)>> {
    let mut sums: BTreeMap<(u64, String), u64> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| ChartError(format!("traffic.csv row {}: {e}", i + 2)))?;
        let field = |k: usize| row.get(k).unwrap_or_default();
        let sec: u64 = field(0)
            .parse()
            .map_err(|_| ChartError(format!("traffic.csv row {}: time_s", i + 2)))?;
        let count: u64 = field(4)
            .parse()
            .map_err(|_| ChartError(format!("traffic.csv row {}: count", i + 2)))?;
        let series = match field(3) {
            "ok" => format!("revision {}", field(2)),
            other => other.to_string(),
        };
        *sums.entry((sec, series)).or_default() += count;
    }
    Ok(sums.into_iter().map(|((t, s), n)| (t, s, n)).collect())
}

const FAILURE_COLOURS: [(&str, RGBColor); 4] = [
    ("refused", RGBColor(200, 30, 30)),
    ("reset", RGBColor(150, 0, 60)),
    ("timeout", RGBColor(240, 110, 110)),
    ("no-endpoints", RGBColor(110, 20, 20)),
];

/// The series in stacking order (revisions, then failures) with their colours.
fn series(data: &TrafficData) -> Vec<(String, RGBColor)> {
    let mut revisions: Vec<String> = data
        .rows
        .iter()
        .filter(|(_, s, _)| s.starts_with("revision"))
        .map(|(_, s, _)| s.clone())
        .collect();
    revisions.sort_by_key(|s| s[9..].parse::<i64>().unwrap_or(0));
    revisions.dedup();
    // The rollout chart's palette: cool colours for older revisions, warm for the newest.
    let newest = revisions.len().saturating_sub(1);
    let mut out: Vec<(String, RGBColor)> = revisions
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s,
                if i == newest {
                    WARM
                } else {
                    COOL[i % COOL.len()]
                },
            )
        })
        .collect();
    for (name, colour) in FAILURE_COLOURS {
        if data.rows.iter().any(|(_, s, _)| s == name) {
            out.push((name.to_string(), colour));
        }
    }
    out
}

/// Each second's counts, one per series.
fn per_second(data: &TrafficData, series: &[(String, RGBColor)]) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (t, s, n) in &data.rows {
        if let Some(k) = series.iter().position(|(name, _)| name == s) {
            out.entry(*t).or_insert_with(|| vec![0; series.len()])[k] += n;
        }
    }
    out
}

/// Draws the chart on any backend.
pub fn draw_traffic<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &TrafficData,
) -> Res<super::charts::TimeAxis>
where
    DB::ErrorType: 'static,
{
    let de = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError(format!("drawing failed: {e}"));
    let t = data.lang.chart_text();
    area.fill(&WHITE).map_err(de)?;
    let series = series(data);
    let per_second = per_second(data, &series);
    let peak = per_second
        .values()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(t.traffic_title, (t.font, 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..data.end_s.max(1.0), 0f64..(peak as f64 * 1.15))
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc(t.time_axis)
        .y_desc(t.traffic_axis)
        .label_style((t.font, 14))
        .draw()
        .map_err(de)?;
    for (k, (name, colour)) in series.iter().enumerate() {
        let bars = per_second.iter().map(|(t, v)| {
            let base: u64 = v[..k].iter().sum();
            let top = base + v[k];
            let x = *t as f64;
            Rectangle::new([(x, base as f64), (x + 1.0, top as f64)], colour.filled())
        });
        chart
            .draw_series(bars)
            .map_err(de)?
            .label(match name.strip_prefix("revision ") {
                Some(revision) => super::lang::fill(t.revision, &[("revision", &revision)]),
                None => name.clone(),
            })
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
    }
    draw_markers(&mut chart, &data.markers, peak as f64, t.font)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((t.font, 14))
        .draw()
        .map_err(de)?;
    Ok(super::charts::TimeAxis::of(
        &chart,
        data.end_s.max(1.0),
        0.0,
    ))
}

/// The script's commands: a line at each, its label above the bars.
fn draw_markers<DB: DrawingBackend>(
    chart: &mut super::charts::Chart2d<'_, DB>,
    markers: &[MarkerRow],
    peak: f64,
    font: &str,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let de = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError(format!("drawing failed: {e}"));
    let lines = markers.iter().map(|m| {
        let x = m.time as f64 / 1000.0;
        PathElement::new(vec![(x, 0.0), (x, peak * 1.1)], BLACK.stroke_width(1))
    });
    chart.draw_series(lines).map_err(de)?;
    let labels = markers.iter().map(|m| {
        let x = m.time as f64 / 1000.0;
        Text::new(m.label.clone(), (x, peak * 1.12), (font, 14))
    });
    chart.draw_series(labels).map_err(de)?;
    Ok(())
}

/// `traffic.png` and `traffic.svg`.
pub fn render_traffic(data: &TrafficData) -> Res<Vec<(String, Vec<u8>)>> {
    super::charts::register_fonts()?;
    Ok(vec![
        (
            "traffic.png".into(),
            super::charts::png(&|a| draw_traffic(a, data))?,
        ),
        (
            "traffic.svg".into(),
            super::charts::svg(&|a| draw_traffic(a, data))?,
        ),
    ])
}

/// The chart as `report.html` shows it.
pub fn page_chart(data: &TrafficData) -> Res<super::page::PageChart> {
    super::charts::register_fonts()?;
    let (svg, axis) = super::charts::svg_with(&|a| draw_traffic(a, data))?;
    Ok(super::charts::page_chart(
        data.lang.chart_text().traffic_heading.into(),
        svg,
        axis,
    ))
}

/// The chart's data from a run's files: `traffic.csv`, and the commands and time axis of
/// the rollout charts.
pub fn traffic_data(traffic_csv: &str, run: &super::charts::RunData) -> Res<TrafficData> {
    let mut markers: Vec<MarkerRow> = Vec::new();
    for m in &run.markers {
        if !markers
            .iter()
            .any(|x| x.time == m.time && x.label == m.label)
        {
            markers.push(m.clone());
        }
    }
    Ok(TrafficData {
        rows: parse_traffic_csv(traffic_csv)?,
        markers,
        end_s: run.summary.virtual_time_s,
        lang: run.lang,
    })
}
