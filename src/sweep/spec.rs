//! The sweep file: which scenario, which parameters to vary over which values, how many
//! seeds, which figures to collect and how to rank the combinations. Checked like a scenario:
//! every error names the file, line and field.

use super::figures::{Figure, Stat};
use super::{SweepError, yaml_text};
use crate::scenario::find_line_from as find_line;
use serde::Deserialize;
use serde_yaml::Value;

/// Most seeds per combination (bounds the memory a combination's figures take).
pub const MAX_SEEDS: u64 = 10_000;
/// Most combinations a sweep may have.
pub const MAX_COMBINATIONS: u64 = 10_000;
/// Most runs a sweep may have (combinations × seeds).
pub const MAX_RUNS: u64 = 1_000_000;
/// Most parameters varied at once.
pub const MAX_VARY: usize = 8;
/// Most values one parameter takes.
pub const MAX_VALUES: usize = 1_000;

/// A checked sweep file.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// `[a-z0-9][a-z0-9-]*`: names the output folder.
    pub name: String,
    #[allow(missing_docs)]
    pub description: String,
    /// The base scenario, as written (relative to the sweep file).
    pub scenario: String,
    /// Seeds per combination.
    pub seeds: u64,
    /// The first seed; the k-th seed of every combination is `seed + k`.
    pub seed: u64,
    /// The Deployment whose rollout is measured (`None`: the scenario's only one).
    pub deployment: Option<String>,
    /// The parameters, in the order their columns appear.
    pub vary: Vec<Vary>,
    /// Figures the summary table and charts show (runs.csv and summary.csv hold every one).
    pub measure: Vec<Figure>,
    /// What ranks the combinations.
    pub objective: Objective,
    /// Conditions a combination must meet to rank first.
    pub require: Vec<Requirement>,
    /// Event budget of each run.
    pub max_events: u64,
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Column name (`name:`, else the path's last field).
    pub name: String,
    /// `kind/name` of a manifest object, or `None` for a path into the scenario itself.
    pub object: Option<(String, String)>,
    /// The path as written, and split.
    pub path: String,
    #[allow(missing_docs)]
    pub segments: Vec<Segment>,
    /// The values, in order.
    pub values: Vec<Value>,
    /// Line of the entry in the sweep file.
    pub line: usize,
}

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    #[allow(missing_docs)]
    Key(String),
    #[allow(missing_docs)]
    Index(usize),
}

/// A statistic of a figure over a combination's seeds, best low or high as the figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    #[allow(missing_docs)]
    pub stat: Stat,
    #[allow(missing_docs)]
    pub figure: Figure,
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.stat.name(), self.figure.name())
    }
}

/// `STAT FIGURE OP NUMBER`, e.g. `p99 rollout_s <= 600`.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    #[allow(missing_docs)]
    pub stat: Stat,
    #[allow(missing_docs)]
    pub figure: Figure,
    /// One of `<=`, `<`, `>=`, `>`, `==`.
    pub op: &'static str,
    #[allow(missing_docs)]
    pub bound: f64,
    /// As written.
    pub text: String,
}

impl Requirement {
    /// Whether a value meets it (a missing value never does).
    pub fn met(&self, value: Option<f64>) -> bool {
        value.is_some_and(|v| match self.op {
            "<=" => v <= self.bound,
            "<" => v < self.bound,
            ">=" => v >= self.bound,
            ">" => v > self.bound,
            _ => v == self.bound,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSweep {
    name: String,
    #[serde(default)]
    description: String,
    scenario: String,
    seeds: u64,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    deployment: Option<String>,
    vary: Vec<RawVary>,
    #[serde(default)]
    measure: Option<Vec<String>>,
    #[serde(default)]
    objective: Option<String>,
    #[serde(default)]
    require: Vec<String>,
    #[serde(default)]
    max_events: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVary {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    object: Option<String>,
    path: String,
    #[serde(default)]
    values: Option<Vec<Value>>,
    #[serde(default)]
    range: Option<RawRange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: f64,
    to: f64,
    step: f64,
}

/// Checks sweep text (`file` names it in errors).
pub fn parse(text: &str, file: &str) -> Result<SweepSpec, SweepError> {
    let at = |line: Option<usize>, message: String| SweepError::at(file, line, message);
    let raw = decode(text, &at)?;
    let line_of = |needle: &str| find_line(text, needle, 0);
    check_scalars(&raw, &|needle, m| at(line_of(needle), m))?;
    let vary = vary_list(&raw.vary, text, &at)?;
    let measure = measure(raw.measure.as_deref(), &|m| at(line_of("measure:"), m))?;
    let objective = match &raw.objective {
        Some(o) => {
            objective(o).map_err(|m| at(line_of("objective:"), format!("objective: {m}")))?
        }
        None => Objective {
            stat: Stat::P99,
            figure: measure[0],
        },
    };
    let require = raw
        .require
        .iter()
        .map(|r| requirement(r).map_err(|m| at(line_of(r), format!("require: \"{r}\": {m}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let spec = SweepSpec {
        name: raw.name,
        description: raw.description.trim().to_string(),
        scenario: raw.scenario,
        seeds: raw.seeds,
        seed: raw.seed.unwrap_or(1),
        deployment: raw.deployment,
        vary,
        measure,
        objective,
        require,
        max_events: raw.max_events.unwrap_or(crate::play::DEFAULT_MAX_EVENTS),
    };
    let runs = spec.combinations().saturating_mul(spec.seeds);
    if spec.combinations() > MAX_COMBINATIONS || runs > MAX_RUNS {
        return Err(at(
            line_of("vary:"),
            format!(
                "vary: {} combinations × {} seeds = {runs} runs; a sweep may have at most {MAX_COMBINATIONS} combinations and {MAX_RUNS} runs",
                spec.combinations(),
                spec.seeds
            ),
        ));
    }
    Ok(spec)
}

/// The file's text decoded strictly: not empty, not nested too deep, every field known.
fn decode(
    text: &str,
    at: &dyn Fn(Option<usize>, String) -> SweepError,
) -> Result<RawSweep, SweepError> {
    if text.trim().is_empty() {
        return Err(at(
            None,
            "the file is empty; a sweep needs `name`, `scenario`, `seeds` and `vary`".into(),
        ));
    }
    crate::scenario::check_nesting(text).map_err(|m| at(None, m))?;
    serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let mut msg = crate::model::manifest::yaml_message(&e, 0);
        if msg.contains("did not find expected ',' or '}'") {
            // `{path: a[0].b}`: YAML reads `[` inside braces as the start of a list.
            msg.push_str(" (inside {…}, write a list index as a.0.b, or quote the path)");
        }
        at(line, msg)
    })
}

/// `name`, `seeds`, `seed` and `maxEvents` within their bounds (`err` takes the field's key).
fn check_scalars(
    raw: &RawSweep,
    err: &dyn Fn(&str, String) -> SweepError,
) -> Result<(), SweepError> {
    if !crate::scenario::valid_name(&raw.name) {
        return Err(err(
            "name:",
            format!(
                "name: \"{}\" must match [a-z0-9][a-z0-9-]* (at most 63 characters): it names the output folder",
                raw.name
            ),
        ));
    }
    if raw.seeds == 0 || raw.seeds > MAX_SEEDS {
        return Err(err(
            "seeds:",
            format!("seeds: {} must be between 1 and {MAX_SEEDS}", raw.seeds),
        ));
    }
    let seed = raw.seed.unwrap_or(1);
    if seed.checked_add(raw.seeds).is_none() {
        return Err(err(
            "seed:",
            format!("seed: {seed} + seeds overflows a 64-bit seed"),
        ));
    }
    let max_events = raw.max_events.unwrap_or(crate::play::DEFAULT_MAX_EVENTS);
    if max_events == 0 || max_events > crate::play::MAX_MAX_EVENTS {
        return Err(err(
            "maxEvents:",
            format!(
                "maxEvents: {max_events} must be between 1 and {}",
                crate::play::MAX_MAX_EVENTS
            ),
        ));
    }
    Ok(())
}

impl SweepSpec {
    /// Combinations of the varied values (the product of their counts).
    pub fn combinations(&self) -> u64 {
        self.vary
            .iter()
            .fold(1u64, |n, v| n.saturating_mul(v.values.len() as u64))
    }

    /// Runs in all.
    pub fn runs(&self) -> u64 {
        self.combinations() * self.seeds
    }

    /// The value index of each parameter in combination `c` (the last parameter varies fastest).
    pub fn value_indices(&self, mut c: u64) -> Vec<usize> {
        let mut out = vec![0; self.vary.len()];
        for (i, v) in self.vary.iter().enumerate().rev() {
            let n = v.values.len() as u64;
            out[i] = (c % n) as usize;
            c /= n;
        }
        out
    }

    /// The values of combination `c` as runs.csv writes them.
    pub fn value_texts(&self, c: u64) -> Vec<String> {
        self.value_indices(c)
            .iter()
            .zip(&self.vary)
            .map(|(i, v)| yaml_text(&v.values[*i]))
            .collect()
    }
}

fn vary_list(
    raw: &[RawVary],
    text: &str,
    at: &dyn Fn(Option<usize>, String) -> SweepError,
) -> Result<Vec<Vary>, SweepError> {
    let vary_line = find_line(text, "vary:", 0);
    if raw.is_empty() || raw.len() > MAX_VARY {
        return Err(at(
            vary_line,
            format!("vary: needs 1 to {MAX_VARY} parameters, not {}", raw.len()),
        ));
    }
    let mut out: Vec<Vary> = Vec::new();
    let mut after = vary_line.unwrap_or(0);
    for (i, r) in raw.iter().enumerate() {
        let line = find_line(text, &r.path, after).unwrap_or(after.max(1));
        after = line;
        let here = |m: String| at(Some(line), format!("vary[{i}]: {m}"));
        let v = vary_entry(r).map_err(here)?;
        if out.iter().any(|o| o.name == v.name) {
            return Err(here(format!(
                "two parameters are named \"{}\"; give one a `name:`",
                v.name
            )));
        }
        out.push(Vary { line, ..v });
    }
    Ok(out)
}

fn vary_entry(r: &RawVary) -> Result<Vary, String> {
    let segments = path_segments(&r.path)?;
    let object = match &r.object {
        None => None,
        Some(o) => Some(object_ref(o)?),
    };
    let values = match (&r.values, &r.range) {
        (Some(v), None) => v.clone(),
        (None, Some(range)) => range_values(range)?,
        _ => return Err("give exactly one of `values:` and `range:`".into()),
    };
    if values.is_empty() || values.len() > MAX_VALUES {
        return Err(format!(
            "needs 1 to {MAX_VALUES} values, not {}",
            values.len()
        ));
    }
    let name = match &r.name {
        Some(n) => n.clone(),
        None => match segments.last() {
            Some(Segment::Key(k)) => k.clone(),
            _ => return Err("a path ending in an index needs a `name:`".into()),
        },
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(format!(
            "name: \"{name}\" must be letters, digits, `_`, `-` or `.`"
        ));
    }
    if super::figures::Figure::parse(&name).is_some()
        || ["run", "combination", "seed", "figure"].contains(&name.as_str())
    {
        return Err(format!(
            "name: \"{name}\" is a column of its own; choose another `name:`"
        ));
    }
    Ok(Vary {
        name,
        object,
        path: r.path.clone(),
        segments,
        values,
        line: 0,
    })
}

/// `kind/name`, the kind as kubectl accepts it (`deployment`, `deploy`, `svc`, …).
fn object_ref(text: &str) -> Result<(String, String), String> {
    let Some((kind, name)) = text.split_once('/') else {
        return Err(format!(
            "object: \"{text}\" must be KIND/NAME, e.g. deployment/web"
        ));
    };
    let kind = match kind.to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" => "Deployment",
        "service" | "services" | "svc" => "Service",
        "poddisruptionbudget" | "poddisruptionbudgets" | "pdb" => "PodDisruptionBudget",
        "configmap" | "configmaps" | "cm" => "ConfigMap",
        _ => {
            return Err(format!(
                "object: kind \"{kind}\" is not one rollsim reads (deployment, service, pdb, configmap)"
            ));
        }
    };
    if !crate::scenario::valid_name(name) {
        return Err(format!("object: \"{name}\" is not a valid object name"));
    }
    Ok((kind.to_string(), name.to_string()))
}

/// Splits `spec.strategy.rollingUpdate.maxSurge`, or `cluster.nodes[0].count`, also written
/// `cluster.nodes.0.count` (no brackets, so it needs no quotes inside a YAML flow mapping).
pub fn path_segments(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            let i = part
                .parse()
                .map_err(|_| format!("path: \"{path}\": {part} is too large an index"))?;
            out.push(Segment::Index(i));
            continue;
        }
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() && out.is_empty() || part.is_empty() {
            return Err(format!("path: \"{path}\" has an empty field"));
        }
        if !key.is_empty() {
            out.push(Segment::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let Some((index, after)) = r.split_once(']') else {
                return Err(format!("path: \"{path}\" has an unclosed `[`"));
            };
            let i = index
                .parse::<usize>()
                .map_err(|_| format!("path: \"{path}\": `[{index}]` is not an index"))?;
            out.push(Segment::Index(i));
            rest = after;
        }
        if !rest.is_empty() {
            return Err(format!("path: \"{path}\": unexpected \"{rest}\""));
        }
    }
    Ok(out)
}

/// `from`, `from + step`, … up to `to` inclusive.
fn range_values(r: &RawRange) -> Result<Vec<Value>, String> {
    let positive_step = r.step.is_finite() && r.step > 0.0;
    if !positive_step || !r.from.is_finite() || !r.to.is_finite() || r.to < r.from {
        return Err("range: needs from ≤ to and a positive step".into());
    }
    let n = ((r.to - r.from) / r.step + 1e-9).floor() + 1.0;
    if n > MAX_VALUES as f64 {
        return Err(format!("range: gives {n} values; at most {MAX_VALUES}"));
    }
    let integral = [r.from, r.to, r.step].iter().all(|x| x.fract() == 0.0);
    Ok((0..n as u64)
        .map(|k| {
            let x = r.from + k as f64 * r.step;
            if integral {
                Value::Number((x as i64).into())
            } else {
                Value::Number(((x * 1e9).round() / 1e9).into())
            }
        })
        .collect())
}

fn measure(
    names: Option<&[String]>,
    err: &dyn Fn(String) -> SweepError,
) -> Result<Vec<Figure>, SweepError> {
    let Some(names) = names else {
        return Ok(vec![
            Figure::RolloutS,
            Figure::MinAvailable,
            Figure::PeakPods,
        ]);
    };
    if names.is_empty() {
        return Err(err("measure: needs at least one figure".into()));
    }
    let mut out = Vec::new();
    for n in names {
        let f = Figure::parse(n).ok_or_else(|| {
            err(format!(
                "measure: unknown figure \"{n}\"; the figures are {}",
                Figure::ALL.map(|f| f.name()).join(", ")
            ))
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

fn stat_and_figure(stat: &str, figure: &str) -> Result<(Stat, Figure), String> {
    let s = Stat::parse(stat).ok_or_else(|| {
        format!(
            "unknown statistic \"{stat}\"; one of {}",
            Stat::ALL.map(|s| s.name()).join(", ")
        )
    })?;
    let f = Figure::parse(figure).ok_or_else(|| format!("unknown figure \"{figure}\""))?;
    Ok((s, f))
}

/// `STAT FIGURE`, e.g. `p99 rollout_s`.
fn objective(text: &str) -> Result<Objective, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [stat, figure] = words[..] else {
        return Err(format!(
            "\"{text}\" must be STAT FIGURE, e.g. p99 rollout_s"
        ));
    };
    let (stat, figure) = stat_and_figure(stat, figure)?;
    Ok(Objective { stat, figure })
}

/// `STAT FIGURE OP NUMBER`.
fn requirement(text: &str) -> Result<Requirement, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [stat, figure, op, bound] = words[..] else {
        return Err("must be STAT FIGURE OP NUMBER, e.g. p99 rollout_s <= 600".into());
    };
    let (stat, figure) = stat_and_figure(stat, figure)?;
    let op = ["<=", "<", ">=", ">", "=="]
        .into_iter()
        .find(|o| *o == op)
        .ok_or_else(|| format!("unknown comparison \"{op}\"; one of <=, <, >=, >, =="))?;
    let bound: f64 = bound
        .parse()
        .ok()
        .filter(|b: &f64| b.is_finite())
        .ok_or_else(|| format!("\"{bound}\" is not a number"))?;
    Ok(Requirement {
        stat,
        figure,
        op,
        bound,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name: s\nscenario: a.yaml\nseeds: 3\nvary:\n  - {object: deployment/web, path: spec.strategy.rollingUpdate.maxSurge, values: [1, \"25%\"]}\n  - {path: cluster.nodes.0.count, name: nodes, range: {from: 10, to: 14, step: 2}}\n";

    #[test]
    fn a_sweep_multiplies_its_values_and_the_last_varies_fastest() {
        let s = parse(GOOD, "s.yaml").unwrap();
        assert_eq!(s.combinations(), 6);
        assert_eq!(s.runs(), 18);
        assert_eq!(s.value_texts(0), ["1", "10"]);
        assert_eq!(s.value_texts(1), ["1", "12"]);
        assert_eq!(s.value_texts(5), ["25%", "14"]);
        assert_eq!(s.vary[0].name, "maxSurge");
        assert_eq!(s.vary[0].object, Some(("Deployment".into(), "web".into())));
        assert_eq!(s.vary[1].line, 6);
        assert_eq!(s.objective.to_string(), "p99 rollout_s");
    }

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            path_segments("cluster.nodes.0.count").unwrap(),
            path_segments("cluster.nodes[0].count").unwrap()
        );
        assert_eq!(
            path_segments("cluster.nodes[0].count").unwrap(),
            [
                Segment::Key("cluster".into()),
                Segment::Key("nodes".into()),
                Segment::Index(0),
                Segment::Key("count".into())
            ]
        );
        for bad in ["a..b", "a[x]", "a[0", "a[0]b", ""] {
            assert!(path_segments(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let cases = [
            (
                GOOD.replace("seeds: 3", "seeds: 0"),
                3,
                "seeds: 0 must be between 1 and",
            ),
            (
                GOOD.replace("values: [1, \"25%\"]", "values: []"),
                5,
                "vary[0]: needs 1 to",
            ),
            (GOOD.replace("deployment/web", "pod/web"), 5, "kind \"pod\""),
            (GOOD.replace("step: 2", "step: 0"), 6, "vary[1]: range:"),
            (
                format!("{GOOD}measure: [rollout_s, speed]\n"),
                7,
                "unknown figure \"speed\"",
            ),
            (
                format!("{GOOD}objective: p42 rollout_s\n"),
                7,
                "unknown statistic \"p42\"",
            ),
            (
                format!("{GOOD}require: [\"p99 rollout_s ~ 3\"]\n"),
                7,
                "unknown comparison",
            ),
            (format!("{GOOD}colour: red\n"), 7, "unknown field `colour`"),
        ];
        for (text, line, message) in cases {
            let e = parse(&text, "s.yaml").unwrap_err();
            assert_eq!(e.line, Some(line), "{e}");
            assert!(e.message.contains(message), "{e}");
            assert!(e.to_string().starts_with(&format!("s.yaml:{line}")), "{e}");
        }
    }

    #[test]
    fn too_many_runs_are_refused() {
        let text = GOOD
            .replace("seeds: 3", "seeds: 10000")
            .replace("to: 14", "to: 1000");
        let e = parse(&text, "s.yaml").unwrap_err();
        assert!(
            e.message
                .contains("at most 10000 combinations and 1000000 runs"),
            "{e}"
        );
    }

    #[test]
    fn requirements_compare_as_written() {
        let r = requirement("p99 rollout_s <= 600").unwrap();
        assert!(r.met(Some(600.0)) && !r.met(Some(600.5)) && !r.met(None));
        let r = requirement("min min_available >= 75").unwrap();
        assert!(r.met(Some(75.0)) && !r.met(Some(74.0)));
    }
}
