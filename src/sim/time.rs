//! Virtual time: whole milliseconds since the start of a run.

use std::fmt;

/// An instant of virtual time, in milliseconds since the run began.
///
/// Stored as milliseconds + 1 in a `NonZeroU64`, so that `Option<SimTime>` (a pod has a
/// dozen optional moments) takes 8 bytes instead of 16; the order is the same.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(std::num::NonZeroU64);

impl Default for SimTime {
    fn default() -> Self {
        SimTime::ZERO
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimTime({})", self.as_ms())
    }
}

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime::from_ms(0);
    /// Later than any instant a run can reach.
    pub const NEVER: SimTime = SimTime::from_ms(u64::MAX);

    /// The instant `ms` milliseconds after the start (`u64::MAX` is [`SimTime::NEVER`]).
    pub const fn from_ms(ms: u64) -> Self {
        match std::num::NonZeroU64::new(ms.saturating_add(1)) {
            Some(v) => SimTime(v),
            None => SimTime(std::num::NonZeroU64::MIN),
        }
    }

    /// The instant `s` seconds after the start.
    pub const fn from_secs(s: u64) -> Self {
        SimTime::from_ms(s.saturating_mul(1000))
    }

    /// Milliseconds since the start.
    pub const fn as_ms(self) -> u64 {
        self.0.get() - 1
    }

    /// Whole seconds since the start (truncated).
    pub const fn as_secs(self) -> u64 {
        self.as_ms() / 1000
    }

    /// Seconds since the start as a float, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.as_ms() as f64 / 1000.0
    }

    /// This instant truncated to whole seconds, as API timestamps are stored.
    pub const fn whole_seconds(self) -> SimTime {
        SimTime::from_ms(self.as_ms() - self.as_ms() % 1000)
    }

    /// `ms` milliseconds later (saturating).
    pub const fn plus_ms(self, ms: u64) -> SimTime {
        SimTime::from_ms(self.as_ms().saturating_add(ms))
    }

    /// `s` seconds later (saturating).
    pub const fn plus_secs(self, s: u64) -> SimTime {
        SimTime::from_ms(self.as_ms().saturating_add(s.saturating_mul(1000)))
    }

    /// Milliseconds from `earlier` to `self`, 0 if `earlier` is later.
    pub const fn ms_since(self, earlier: SimTime) -> u64 {
        self.as_ms().saturating_sub(earlier.as_ms())
    }
}

impl fmt::Display for SimTime {
    /// `HH:MM:SS.mmm`, hours unbounded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.as_ms() % 1000;
        let s = self.as_ms() / 1000;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            s / 3600,
            (s / 60) % 60,
            s % 60,
            ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_clock_with_milliseconds() {
        assert_eq!(SimTime::from_ms(83_456).to_string(), "00:01:23.456");
        assert_eq!(SimTime::from_secs(90_000).to_string(), "25:00:00.000");
    }

    #[test]
    fn whole_seconds_truncates() {
        assert_eq!(
            SimTime::from_ms(1999).whole_seconds(),
            SimTime::from_secs(1)
        );
    }
}
