//! A sweep's charts, drawn from the per-combination statistics (so a merge draws the same):
//! each measured figure's distribution per combination, a heatmap of the objective over the
//! first two parameters, and rollout duration against extra pods with the Pareto front.

use super::figures::{Figure, Stat, number_text};
use super::spec::SweepSpec;
use super::stats::CombinationStats;
use crate::report::charts::{ChartError, png, register_fonts, svg};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Res<T> = Result<T, ChartError>;
const FONT: &str = "sans-serif";
/// Colours of the second parameter's values (then repeated).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError(format!("drawing failed: {e}"))
}

/// Every chart of a sweep: `(file name, bytes)`, PNG and SVG of each.
pub fn render(spec: &SweepSpec, combos: &[CombinationStats]) -> Res<Vec<(String, Vec<u8>)>> {
    register_fonts()?;
    let mut files = Vec::new();
    for f in &spec.measure {
        let stem = format!("distribution-{}", f.name().replace('_', "-"));
        files.push((
            format!("{stem}.png"),
            png(&|a| draw_distribution(a, spec, combos, *f))?,
        ));
        files.push((
            format!("{stem}.svg"),
            svg(&|a| draw_distribution(a, spec, combos, *f))?,
        ));
    }
    if spec.vary.len() >= 2 {
        files.push((
            "heatmap.png".into(),
            png(&|a| draw_heatmap(a, spec, combos))?,
        ));
        files.push((
            "heatmap.svg".into(),
            svg(&|a| draw_heatmap(a, spec, combos))?,
        ));
    }
    files.push((
        "tradeoff.png".into(),
        png(&|a| draw_tradeoff(a, spec, combos))?,
    ));
    files.push((
        "tradeoff.svg".into(),
        svg(&|a| draw_tradeoff(a, spec, combos))?,
    ));
    Ok(files)
}

/// Where combination `c` sits on the distribution chart's x axis: groups by the first
/// parameter's value, one slot per combination of the others, a gap between groups.
fn slot(spec: &SweepSpec, c: u64) -> (usize, usize, f64) {
    let per_group = spec.combinations() / spec.vary[0].values.len() as u64;
    let group = (c / per_group) as usize;
    let member = (c % per_group) as usize;
    (
        group,
        member,
        (group as u64 * (per_group + 1) + member as u64) as f64,
    )
}

/// The y range of some values, padded, never empty.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.5);
    // Counts and durations start at zero, so that bar heights compare honestly.
    (if lo >= 0.0 { 0.0 } else { lo - pad }, hi + pad)
}

/// Colour and legend label of a combination's member slot (its values beyond the first).
fn member_label(spec: &SweepSpec, c: &CombinationStats) -> String {
    spec.vary[1..]
        .iter()
        .zip(&c.values[1..])
        .map(|(v, t)| format!("{}={t}", v.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Box plot of one figure per combination: box p25–p75, line at p50, whiskers min–max,
/// a diamond at p99.
fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &SweepSpec,
    combos: &[CombinationStats],
    figure: Figure,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let per_group = spec.combinations() / spec.vary[0].values.len() as u64;
    let x_end = (spec.vary[0].values.len() as u64 * (per_group + 1)) as f64 - 1.0;
    let (y0, y1) = y_range(
        combos
            .iter()
            .flat_map(|c| [c.get(figure, Stat::Min), c.get(figure, Stat::Max)])
            .flatten(),
    );
    let title = format!("{} — {} seeds per combination", figure.label(), spec.seeds);
    let mut chart = ChartBuilder::on(root)
        .caption(&title, (FONT, 26))
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(-1.0..x_end, y0..y1)
        .map_err(de)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .light_line_style(WHITE)
        .y_desc(figure.label())
        .label_style((FONT, 16))
        .draw()
        .map_err(de)?;
    for r in spec.require.iter().filter(|r| r.figure == figure) {
        let line = ShapeStyle::from(&PALETTE[3]).stroke_width(2);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(-1.0, r.bound), (x_end, r.bound)],
                line,
            )))
            .map_err(de)?;
        let (px, py) = chart.backend_coord(&(-1.0, r.bound));
        let text = format!("required: {}", r.text);
        root.draw(&Text::new(
            text,
            (px + 8, py - 20),
            (FONT, 16).into_font().color(&PALETTE[3]),
        ))
        .map_err(de)?;
    }
    for c in combos {
        let (_, member, x) = slot(spec, c.combination);
        let colour = PALETTE[member % PALETTE.len()];
        draw_box(&mut chart, c, figure, x, colour)?;
    }
    label_groups(root, &chart, spec, y0)?;
    if per_group > 1 {
        let entries: Vec<(String, RGBColor)> = combos
            .iter()
            .take(per_group as usize)
            .enumerate()
            .map(|(m, c)| (member_label(spec, c), PALETTE[m % PALETTE.len()]))
            .collect();
        legend(root, &entries)?;
    }
    Ok(())
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_box<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    c: &CombinationStats,
    f: Figure,
    x: f64,
    colour: RGBColor,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let get = |s| c.get(f, s);
    let (Some(min), Some(p25), Some(p50), Some(p75), Some(p99), Some(max)) = (
        get(Stat::Min),
        get(Stat::P25),
        get(Stat::P50),
        get(Stat::P75),
        get(Stat::P99),
        get(Stat::Max),
    ) else {
        return Ok(());
    };
    let w = 0.35;
    let line = ShapeStyle::from(&colour).stroke_width(2);
    let elements: Vec<PathElement<(f64, f64)>> = vec![
        PathElement::new(vec![(x, min), (x, p25)], line),
        PathElement::new(vec![(x, p75), (x, max)], line),
        PathElement::new(vec![(x - w / 2.0, min), (x + w / 2.0, min)], line),
        PathElement::new(vec![(x - w / 2.0, max), (x + w / 2.0, max)], line),
        PathElement::new(
            vec![(x - w, p50), (x + w, p50)],
            ShapeStyle::from(&BLACK).stroke_width(3),
        ),
    ];
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x - w, p25), (x + w, p75)],
            colour.mix(0.35).filled(),
        )))
        .map_err(de)?;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x - w, p25), (x + w, p75)],
            line,
        )))
        .map_err(de)?;
    chart.draw_series(elements).map_err(de)?;
    chart
        .draw_series(std::iter::once(Circle::new((x, p99), 5, BLACK.filled())))
        .map_err(de)?;
    Ok(())
}

/// The first parameter's values under their groups of boxes.
fn label_groups<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    spec: &SweepSpec,
    y0: f64,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let per_group = spec.combinations() / spec.vary[0].values.len() as u64;
    let style =
        TextStyle::from((FONT, 18).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
    for (g, v) in spec.vary[0].values.iter().enumerate() {
        let centre = (g as u64 * (per_group + 1)) as f64 + (per_group as f64 - 1.0) / 2.0;
        let (px, py) = chart.backend_coord(&(centre, y0));
        let text = format!("{}={}", spec.vary[0].name, super::yaml_text(v));
        root.draw(&Text::new(text, (px, py + 12), style.clone()))
            .map_err(de)?;
    }
    let note = "box p25–p75 · bar p50 · whiskers min–max · dot p99";
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(
        note,
        (20, h as i32 - 24),
        (FONT, 15).into_font(),
    ))
    .map_err(de)?;
    let _ = w;
    Ok(())
}

/// A legend at the top right: colour swatches and labels.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let (w, _) = root.dim_in_pixel();
    let x = w as i32 - 330;
    for (i, (label, colour)) in entries.iter().enumerate().take(16) {
        let y = 70 + 24 * i as i32;
        root.draw(&Rectangle::new(
            [(x, y), (x + 22, y + 16)],
            colour.mix(0.6).filled(),
        ))
        .map_err(de)?;
        root.draw(&Text::new(
            label.clone(),
            (x + 30, y),
            (FONT, 16).into_font(),
        ))
        .map_err(de)?;
    }
    Ok(())
}

/// The objective of each (first, second) parameter value pair, row-major by the first: the
/// best over any further parameters.
fn heatmap_cells(spec: &SweepSpec, combos: &[CombinationStats]) -> Vec<Option<f64>> {
    let o = spec.objective;
    let ny = spec.vary[1].values.len();
    let mut cells: Vec<Option<f64>> = vec![None; spec.vary[0].values.len() * ny];
    let better = |a: f64, b: f64| {
        if o.figure.higher_is_better() {
            a.max(b)
        } else {
            a.min(b)
        }
    };
    for c in combos {
        let idx = spec.value_indices(c.combination);
        let cell = &mut cells[idx[0] * ny + idx[1]];
        if let Some(v) = c.get(o.figure, o.stat) {
            *cell = Some(cell.map_or(v, |old| better(old, v)));
        }
    }
    cells
}

/// One heatmap cell: its colour and its value written in the middle.
fn draw_cell<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    (x, y): (f64, f64),
    value: Option<f64>,
    colour: RGBColor,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x, y), (x + 1.0, y + 1.0)],
            colour.filled(),
        )))
        .map_err(de)?;
    let text = value.map_or("–".into(), number_text);
    let style = TextStyle::from((FONT, 24).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    chart
        .draw_series(std::iter::once(Text::new(text, (x + 0.5, y + 0.5), style)))
        .map_err(de)?;
    Ok(())
}

/// The objective over the first two parameters: one cell per pair of values, holding the
/// best combination over any further parameters.
fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &SweepSpec,
    combos: &[CombinationStats],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let o = spec.objective;
    let (nx, ny) = (spec.vary[0].values.len(), spec.vary[1].values.len());
    let cells = heatmap_cells(spec, combos);
    let mut order: Vec<f64> = cells.iter().flatten().copied().collect();
    order.sort_by(f64::total_cmp);
    let more = if spec.vary.len() > 2 {
        " (best over the other parameters)"
    } else {
        ""
    };
    let title = format!("{o} by {} × {}{more}", spec.vary[0].name, spec.vary[1].name);
    let mut chart = ChartBuilder::on(root)
        .caption(&title, (FONT, 26))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(140)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(de)?;
    let xs: Vec<String> = spec.vary[0].values.iter().map(super::yaml_text).collect();
    let ys: Vec<String> = spec.vary[1].values.iter().map(super::yaml_text).collect();
    let centre_label = |labels: &[String], v: f64| {
        let i = (v - 0.5).round();
        if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * nx + 1)
        .y_labels(2 * ny + 1)
        .x_label_formatter(&|v| centre_label(&xs, *v))
        .y_label_formatter(&|v| centre_label(&ys, *v))
        .x_desc(spec.vary[0].name.as_str())
        .y_desc(spec.vary[1].name.as_str())
        .label_style((FONT, 18))
        .draw()
        .map_err(de)?;
    for (i, v) in cells.iter().enumerate() {
        let colour = heat(*v, &order, o.figure.higher_is_better());
        draw_cell(&mut chart, ((i / ny) as f64, (i % ny) as f64), *v, colour)?;
    }
    Ok(())
}

/// Green for the best value, through yellow, to red for the worst, by rank (one far
/// outlier would otherwise paint every other cell the same).
fn heat(v: Option<f64>, sorted: &[f64], higher_is_better: bool) -> RGBColor {
    let Some(v) = v else {
        return RGBColor(230, 230, 230);
    };
    let rank = sorted.partition_point(|x| *x < v);
    let mut t = if sorted.len() > 1 {
        rank as f64 / (sorted.len() - 1) as f64
    } else {
        0.0
    };
    if higher_is_better {
        t = 1.0 - t;
    }
    let (r, g) = if t < 0.5 {
        (255.0 * t * 2.0, 200.0)
    } else {
        (255.0, 200.0 * (2.0 - 2.0 * t))
    };
    RGBColor((r * 0.8 + 40.0) as u8, (g * 0.9 + 40.0) as u8, 90)
}

/// Combinations not beaten on both figures (lower is better on each), by x.
pub fn pareto_front(points: &[(f64, f64, usize)]) -> Vec<(f64, f64, usize)> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    let mut front: Vec<(f64, f64, usize)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|l| p.1 < l.1) {
            front.push(p);
        }
    }
    front
}

/// Each Pareto point marked and labelled with its combination: left of points in the right
/// half (not past the edge), stepping down where front points sit close together.
fn label_front<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    spec: &SweepSpec,
    combos: &[CombinationStats],
    front: &[(f64, f64, usize)],
    middle: f64,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let mut last_label_y = i32::MIN;
    for p in front {
        let (px, py) = chart.backend_coord(&(p.0, p.1));
        root.draw(&Circle::new((px, py), 8, PALETTE[3].filled()))
            .map_err(de)?;
        let y = (py - 22).max(last_label_y + 18);
        last_label_y = y;
        let right_half = p.0 > middle;
        let anchor = if right_half { HPos::Right } else { HPos::Left };
        let x = if right_half { px - 12 } else { px + 12 };
        let style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(anchor, VPos::Top));
        root.draw(&Text::new(combos[p.2].label(spec), (x, y), style))
            .map_err(de)?;
    }
    Ok(())
}

/// p99 rollout duration against p99 extra pods, one point per combination, the Pareto
/// front joined and labelled.
/// The Pareto front as a line, named in the legend.
fn draw_front<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, front: &[(f64, f64, usize)]) -> Res<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(std::iter::once(PathElement::new(
            front.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
            ShapeStyle::from(&PALETTE[3]).stroke_width(2),
        )))
        .map_err(de)?
        .label("Pareto front: no other combination is faster with no more extra pods")
        .legend(|(x, y)| {
            PathElement::new(
                vec![(x, y), (x + 20, y)],
                ShapeStyle::from(&PALETTE[3]).stroke_width(2),
            )
        });
    Ok(())
}

fn draw_tradeoff<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &SweepSpec,
    combos: &[CombinationStats],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(de)?;
    let points: Vec<(f64, f64, usize)> = combos
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            Some((
                c.get(Figure::RolloutS, Stat::P99)?,
                c.get(Figure::ExtraPods, Stat::P99)?,
                i,
            ))
        })
        .collect();
    let (x0, x1) = y_range(points.iter().map(|p| p.0));
    let (y0, y1) = y_range(points.iter().map(|p| p.1));
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Rollout duration against extra pods (p99 of each combination)",
            (FONT, 26),
        )
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1 * 1.1, y0..y1)
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc("p99 rollout duration (s)")
        .y_desc("p99 extra pods at the peak")
        .label_style((FONT, 16))
        .draw()
        .map_err(de)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 6, PALETTE[0].mix(0.5).filled())),
        )
        .map_err(de)?;
    let front = pareto_front(&points);
    draw_front(&mut chart, &front)?;
    label_front(root, &chart, spec, combos, &front, (x0 + x1) / 2.0)?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 16))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(de)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_keeps_only_unbeaten_points() {
        let points = [
            (10.0, 5.0, 0),
            (12.0, 3.0, 1),
            (11.0, 6.0, 2),
            (20.0, 3.0, 3),
            (30.0, 0.0, 4),
            (10.0, 7.0, 5),
        ];
        let front: Vec<usize> = pareto_front(&points).iter().map(|p| p.2).collect();
        assert_eq!(front, [0, 1, 4]);
    }
}
