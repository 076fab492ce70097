//! Latency distributions, sampled in whole milliseconds.

use super::SimRng;
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use std::fmt;

/// A latency: constant, or drawn from a distribution. All parameters are milliseconds
/// (sigma of the lognormal is dimensionless).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    /// Always the same.
    Constant(u64),
    /// Uniform over `[low, high]`.
    Uniform { low_ms: u64, high_ms: u64 },
    /// Normal, truncated at 0.
    Normal { mean_ms: f64, stddev_ms: f64 },
    /// Lognormal with the given median (e^mu) and sigma.
    LogNormal { median_ms: f64, sigma: f64 },
    /// Exponential with the given mean.
    Exponential { mean_ms: f64 },
}

/// A distribution whose parameters make no sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyError(pub String);

impl fmt::Display for LatencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LatencyError {}

impl Latency {
    /// Checks the parameters; every constructor path goes through this before sampling.
    pub fn validate(&self) -> Result<(), LatencyError> {
        let bad = |m: &str| Err(LatencyError(m.to_string()));
        match *self {
            Latency::Constant(_) => Ok(()),
            Latency::Uniform { low_ms, high_ms } if low_ms > high_ms => {
                bad("uniform bounds are reversed: the first must not exceed the second")
            }
            Latency::Normal { mean_ms, stddev_ms } if !(mean_ms >= 0.0 && stddev_ms >= 0.0) => {
                bad("normal needs mean >= 0 and stddev >= 0")
            }
            Latency::LogNormal { median_ms, sigma } if !(median_ms > 0.0 && sigma >= 0.0) => {
                bad("lognormal needs median > 0 and sigma >= 0")
            }
            Latency::Exponential { mean_ms } if mean_ms.is_nan() || mean_ms <= 0.0 => {
                bad("exponential needs mean > 0")
            }
            _ => Ok(()),
        }
    }

    /// Whether sampling draws no random number (so a constant never shifts a stream).
    pub fn is_constant(&self) -> bool {
        matches!(self, Latency::Constant(_))
    }

    /// Draws one latency in milliseconds. Constants draw nothing from `rng`.
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        let v = match *self {
            Latency::Constant(ms) => return ms,
            Latency::Uniform { low_ms, high_ms } => return rng.random_range(low_ms..=high_ms),
            Latency::Normal { mean_ms, stddev_ms } => match Normal::new(mean_ms, stddev_ms) {
                Ok(d) => d.sample(rng),
                Err(_) => mean_ms,
            },
            Latency::LogNormal { median_ms, sigma } => {
                match LogNormal::new(median_ms.ln(), sigma) {
                    Ok(d) => d.sample(rng),
                    Err(_) => median_ms,
                }
            }
            Latency::Exponential { mean_ms } => match Exp::new(1.0 / mean_ms) {
                Ok(d) => d.sample(rng),
                Err(_) => mean_ms,
            },
        };
        // Truncate at 0 and cap at 30 days so one wild draw cannot overflow the clock.
        v.clamp(0.0, 30.0 * 86_400_000.0).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    #[test]
    fn constant_draws_nothing() {
        let s = RngStreams::new(7);
        let mut a = s.stream("x");
        let mut b = s.stream("x");
        assert_eq!(Latency::Constant(5).sample(&mut a), 5);
        let u = Latency::Uniform {
            low_ms: 0,
            high_ms: 1000,
        };
        assert_eq!(u.sample(&mut a), u.sample(&mut b));
    }

    #[test]
    fn reversed_uniform_is_rejected() {
        assert!(
            Latency::Uniform {
                low_ms: 5,
                high_ms: 1
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn normal_never_goes_negative() {
        let mut r = RngStreams::new(1).stream("n");
        let d = Latency::Normal {
            mean_ms: 1.0,
            stddev_ms: 100.0,
        };
        assert!((0..1000).all(|_| d.sample(&mut r) < 1_000_000));
    }
}
