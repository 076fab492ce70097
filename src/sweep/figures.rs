//! The figures a sweep collects from each run, and the statistics it takes of them.

use crate::play::Session;
use crate::sim::SimTime;

/// One figure of one run (a column of runs.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    /// Seconds from the template change until the Deployment was complete (until the run's
    /// end when it never was: see `completed`).
    RolloutS,
    /// 1 if the rollout completed within the run, else 0.
    Completed,
    /// Fewest available pods during the rollout.
    MinAvailable,
    /// Most pods alive at once during the rollout, terminating ones included.
    PeakPods,
    /// Most pods the ReplicaSets asked for at once (Σ spec.replicas).
    PeakPodsSpec,
    /// Pods alive beyond `spec.replicas` at the peak: the extra capacity the rollout used.
    ExtraPods,
    /// Requests that ended other than `ok` (refused, reset, timed out, no endpoints; all
    /// clients), where the scenario has clients. Requests in flight at the run's end are
    /// not counted.
    FailedRequests,
    /// Requests `ok` / requests that ended, where the scenario has clients.
    SuccessRatio,
    /// 1 if the Progressing condition said ProgressDeadlineExceeded during the rollout.
    DeadlineExceeded,
    /// What `rollsim run` would exit with: 0, or 1 when a step was not as expected.
    ExitStatus,
}

impl Figure {
    /// Every figure, in runs.csv's column order.
    pub const ALL: [Figure; 10] = [
        Figure::RolloutS,
        Figure::Completed,
        Figure::MinAvailable,
        Figure::PeakPods,
        Figure::PeakPodsSpec,
        Figure::ExtraPods,
        Figure::FailedRequests,
        Figure::SuccessRatio,
        Figure::DeadlineExceeded,
        Figure::ExitStatus,
    ];

    /// Its column name.
    pub fn name(self) -> &'static str {
        match self {
            Figure::RolloutS => "rollout_s",
            Figure::Completed => "completed",
            Figure::MinAvailable => "min_available",
            Figure::PeakPods => "peak_pods",
            Figure::PeakPodsSpec => "peak_pods_spec",
            Figure::ExtraPods => "extra_pods",
            Figure::FailedRequests => "failed_requests",
            Figure::SuccessRatio => "success_ratio",
            Figure::DeadlineExceeded => "deadline_exceeded",
            Figure::ExitStatus => "exit_status",
        }
    }

    /// The figure a column name names.
    pub fn parse(name: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether more is better (fewer seconds and pods are better; more available pods,
    /// completions and successes are).
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Figure::Completed | Figure::MinAvailable | Figure::SuccessRatio
        )
    }

    /// A short description for chart axes and the summary table.
    pub fn label(self) -> &'static str {
        match self {
            Figure::RolloutS => "rollout duration (s)",
            Figure::Completed => "rollout completed (0/1)",
            Figure::MinAvailable => "fewest available pods",
            Figure::PeakPods => "most pods alive",
            Figure::PeakPodsSpec => "most pods in ReplicaSets",
            Figure::ExtraPods => "extra pods at the peak",
            Figure::FailedRequests => "failed requests",
            Figure::SuccessRatio => "request success ratio",
            Figure::DeadlineExceeded => "progress deadline exceeded (0/1)",
            Figure::ExitStatus => "exit status",
        }
    }
}

/// A statistic over a combination's seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    #[allow(missing_docs)]
    Mean,
    #[allow(missing_docs)]
    Min,
    #[allow(missing_docs)]
    P25,
    #[allow(missing_docs)]
    P50,
    #[allow(missing_docs)]
    P75,
    #[allow(missing_docs)]
    P90,
    #[allow(missing_docs)]
    P99,
    #[allow(missing_docs)]
    Max,
}

impl Stat {
    /// Every statistic, in summary.csv's column order.
    pub const ALL: [Stat; 8] = [
        Stat::Mean,
        Stat::Min,
        Stat::P25,
        Stat::P50,
        Stat::P75,
        Stat::P90,
        Stat::P99,
        Stat::Max,
    ];

    #[allow(missing_docs)]
    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Min => "min",
            Stat::P25 => "p25",
            Stat::P50 => "p50",
            Stat::P75 => "p75",
            Stat::P90 => "p90",
            Stat::P99 => "p99",
            Stat::Max => "max",
        }
    }

    #[allow(missing_docs)]
    pub fn parse(name: &str) -> Option<Stat> {
        Stat::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The statistic of values sorted ascending (none of an empty list). Percentiles are
    /// nearest-rank: the smallest value with at least p % of the values at or below it.
    pub fn of(self, sorted: &[f64]) -> Option<f64> {
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let rank = |p: f64| {
            let r = (p / 100.0 * n as f64).ceil() as usize;
            sorted[r.clamp(1, n) - 1]
        };
        Some(match self {
            Stat::Mean => sorted.iter().sum::<f64>() / n as f64,
            Stat::Min => sorted[0],
            Stat::P25 => rank(25.0),
            Stat::P50 => rank(50.0),
            Stat::P75 => rank(75.0),
            Stat::P90 => rank(90.0),
            Stat::P99 => rank(99.0),
            Stat::Max => sorted[n - 1],
        })
    }
}

/// A number as the sweep's files write it: integers plainly, others with at most six
/// decimals and no trailing zeros.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Seconds between two instants, exact to the millisecond.
fn seconds_between(from: SimTime, to: SimTime) -> f64 {
    to.as_ms().saturating_sub(from.as_ms()) as f64 / 1000.0
}

/// Every figure of a finished run, in [`Figure::ALL`]'s order, as runs.csv writes them
/// (empty where a figure does not apply: no such rollout, or no clients).
pub fn figures(session: &Session, deployment: &str) -> Vec<String> {
    let rollout = session
        .rollouts
        .get(deployment)
        .and_then(|list| list.last());
    let exit = u8::from(session.unexpected_failures() > 0 || session.aborted.is_some());
    let clients = crate::report::traffic::client_summaries(session);
    // Requests still in flight when the run ends are neither a success nor a failure.
    let (sent, ok) = clients.iter().fold((0u64, 0u64), |(s, o), c| {
        (s + c.requests - c.unresolved, o + c.ok)
    });
    Figure::ALL
        .iter()
        .map(|f| {
            let value: Option<f64> = match (f, rollout) {
                (Figure::ExitStatus, _) => Some(exit.into()),
                (Figure::FailedRequests, _) if !clients.is_empty() => Some((sent - ok) as f64),
                (Figure::SuccessRatio, _) if !clients.is_empty() && sent > 0 => {
                    Some(ok as f64 / sent as f64)
                }
                (Figure::FailedRequests | Figure::SuccessRatio, _) | (_, None) => None,
                (_, Some(r)) => Some(match f {
                    Figure::RolloutS => {
                        seconds_between(r.start, r.end.unwrap_or(session.cluster.now()))
                    }
                    Figure::Completed => u8::from(r.end.is_some()).into(),
                    Figure::MinAvailable => r.min_available.into(),
                    Figure::PeakPods => r.max_pods_live.into(),
                    Figure::PeakPodsSpec => r.max_pods_spec.into(),
                    Figure::ExtraPods => (r.max_pods_live - r.replicas).max(0).into(),
                    _ => u8::from(r.deadline_exceeded).into(),
                }),
            };
            value.map_or_else(String::new, |v| {
                if *f == Figure::SuccessRatio || *f == Figure::RolloutS {
                    number_text((v * 1e6).round() / 1e6)
                } else {
                    number_text(v)
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Stat::P50.of(&v), Some(50.0));
        assert_eq!(Stat::P99.of(&v), Some(99.0));
        assert_eq!(Stat::P25.of(&v), Some(25.0));
        assert_eq!(Stat::Mean.of(&v), Some(50.5));
        let few = [3.0, 7.0, 9.0];
        assert_eq!(Stat::P50.of(&few), Some(7.0));
        assert_eq!(Stat::P99.of(&few), Some(9.0));
        assert_eq!(Stat::Min.of(&few), Some(3.0));
        assert_eq!(Stat::P90.of(&[]), None);
    }

    #[test]
    fn numbers_are_written_short_and_exact() {
        assert_eq!(number_text(22.219), "22.219");
        assert_eq!(number_text(75.0), "75");
        assert_eq!(number_text(0.9999996), "1");
        assert_eq!(number_text(1.0 / 3.0), "0.333333");
        assert_eq!(number_text(-2.5), "-2.5");
    }

    #[test]
    fn every_figure_has_a_unique_name_that_parses_back() {
        for f in Figure::ALL {
            assert_eq!(Figure::parse(f.name()), Some(f));
        }
        let names: std::collections::BTreeSet<_> = Figure::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Figure::ALL.len());
    }
}
