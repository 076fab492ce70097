//! Virtual time: whole milliseconds since the start of a run.

use std::fmt;

/// An instant of virtual time, in milliseconds since the run began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any instant a run can reach.
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// The instant `ms` milliseconds after the start.
    pub const fn from_ms(ms: u64) -> Self {
        SimTime(ms)
    }

    /// The instant `s` seconds after the start.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(1000))
    }

    /// Milliseconds since the start.
    pub const fn as_ms(self) -> u64 {
        self.0
    }

    /// Whole seconds since the start (truncated).
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// Seconds since the start as a float, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This instant truncated to whole seconds, as API timestamps are stored.
    pub const fn whole_seconds(self) -> SimTime {
        SimTime(self.0 - self.0 % 1000)
    }

    /// `ms` milliseconds later (saturating).
    pub const fn plus_ms(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }

    /// `s` seconds later (saturating).
    pub const fn plus_secs(self, s: u64) -> SimTime {
        SimTime(self.0.saturating_add(s.saturating_mul(1000)))
    }

    /// Milliseconds from `earlier` to `self`, 0 if `earlier` is later.
    pub const fn ms_since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    /// `HH:MM:SS.mmm`, hours unbounded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = self.0 / 1000;
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
