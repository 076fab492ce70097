//! Failures a scenario injects, as plain data: how images behave wherever they run, when
//! nodes go down and come back, and seeded random crashes. `Faults::default()` injects
//! nothing and draws no random number, so a run without faults is unchanged by this module.

use crate::sim::Latency;
use std::collections::BTreeMap;

/// How a probe of a container running an image answers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ProbeFault {
    /// Every probe succeeds (the default).
    #[default]
    Pass,
    /// Every probe fails.
    Never,
    /// Each probe fails independently with this probability (0..=1).
    FailProbability(f64),
}

impl ProbeFault {
    /// Whether probes can fail at all (and so must be simulated one by one).
    pub fn can_fail(self) -> bool {
        match self {
            ProbeFault::Pass => false,
            ProbeFault::Never => true,
            ProbeFault::FailProbability(p) => p > 0.0,
        }
    }
}

/// How an image behaves wherever it runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageFault {
    /// Every pull fails (`ErrImagePull`, then `ImagePullBackOff`).
    pub pull_fails: bool,
    /// The container exits with an error this long after it starts (`CrashLoopBackOff`).
    pub exit_after_ms: Option<u64>,
    /// Readiness probe answers.
    pub readiness: ProbeFault,
    /// Liveness probe answers.
    pub liveness: ProbeFault,
}

impl ImageFault {
    /// The combined fault of a pod whose containers run these images: any failing pull,
    /// the earliest exit, the worst probe answers.
    pub fn combine(self, other: ImageFault) -> ImageFault {
        fn worse(a: ProbeFault, b: ProbeFault) -> ProbeFault {
            match (a, b) {
                (ProbeFault::Never, _) | (_, ProbeFault::Never) => ProbeFault::Never,
                (ProbeFault::FailProbability(x), ProbeFault::FailProbability(y)) => {
                    ProbeFault::FailProbability(x.max(y))
                }
                (ProbeFault::FailProbability(x), _) | (_, ProbeFault::FailProbability(x)) => {
                    ProbeFault::FailProbability(x)
                }
                _ => ProbeFault::Pass,
            }
        }
        ImageFault {
            pull_fails: self.pull_fails || other.pull_fails,
            exit_after_ms: match (self.exit_after_ms, other.exit_after_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            readiness: worse(self.readiness, other.readiness),
            liveness: worse(self.liveness, other.liveness),
        }
    }

    /// Whether this injects anything.
    pub fn is_fault(&self) -> bool {
        self.pull_fails
            || self.exit_after_ms.is_some()
            || self.readiness.can_fail()
            || self.liveness.can_fail()
    }
}

/// A node's kubelet stops (`Down`: no heartbeats, containers stopped) or starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeChange {
    #[allow(missing_docs)]
    Down,
    #[allow(missing_docs)]
    Up,
}

impl NodeChange {
    /// `down` or `up`, as scenarios spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeChange::Down => "down",
            NodeChange::Up => "up",
        }
    }
}

/// A scheduled node event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFault {
    /// Virtual milliseconds.
    pub at_ms: u64,
    /// Node name.
    pub node: String,
    #[allow(missing_docs)]
    pub change: NodeChange,
}

/// Seeded random failures. A rate of 0 draws no random number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFaults {
    /// Crashes per hour of each running container (a Poisson process).
    pub pod_crashes_per_hour: f64,
    /// Failures per day of each node (a Poisson process).
    pub node_failures_per_day: f64,
    /// How long a randomly failed node stays down.
    pub node_recovery: Latency,
}

impl Default for RandomFaults {
    fn default() -> Self {
        RandomFaults {
            pod_crashes_per_hour: 0.0,
            node_failures_per_day: 0.0,
            node_recovery: Latency::Uniform {
                low_ms: 120_000,
                high_ms: 600_000,
            },
        }
    }
}

/// Every injected failure of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// By image reference as written in the template (`nginx:1.161`).
    pub images: BTreeMap<String, ImageFault>,
    /// In time order.
    pub nodes: Vec<NodeFault>,
    #[allow(missing_docs)]
    pub random: RandomFaults,
}

impl Faults {
    /// The fault of one image (none when unlisted).
    pub fn image(&self, image: &str) -> ImageFault {
        self.images.get(image).copied().unwrap_or_default()
    }
}
