//! What the clients saw, counted as it happens: per client and per second of sending,
//! outcomes by serving revision and the latencies of answered requests; and every change of
//! a node's kube-proxy view of a Service.

use crate::model::traffic::Outcome;
use crate::sim::SimTime;

/// Counts of the requests a client sent in one second.
#[derive(Debug, Clone, Default)]
pub struct SecondStats {
    /// Answered requests by serving revision, in first-seen order.
    pub ok_by_revision: Vec<(i64, u64)>,
    /// Failed requests by outcome (indexed by [`Outcome::index`]; `Ok` stays 0).
    pub failed: [u64; 5],
    /// Latencies of the answered requests, ms.
    pub latencies_ms: Vec<u32>,
}

/// One client's counts.
#[derive(Debug, Clone, Default)]
pub struct ClientStats {
    #[allow(missing_docs)]
    pub name: String,
    /// Requests sent (each counted once, whatever its retries).
    pub sent: u64,
    /// Requests with an outcome.
    pub resolved: u64,
    /// Attempts beyond the first.
    pub retries: u64,
    /// By second of the first attempt.
    pub seconds: Vec<SecondStats>,
}

impl ClientStats {
    fn second(&mut self, sec: usize) -> &mut SecondStats {
        if self.seconds.len() <= sec {
            self.seconds.resize_with(sec + 1, SecondStats::default);
        }
        &mut self.seconds[sec]
    }

    /// Counts an outcome of a request first sent at `sent`.
    pub fn record(&mut self, sent: SimTime, outcome: Outcome, revision: i64, latency_ms: u64) {
        self.resolved += 1;
        let s = self.second(sent.as_secs() as usize);
        if outcome != Outcome::Ok {
            s.failed[outcome.index()] += 1;
            return;
        }
        match s.ok_by_revision.iter_mut().find(|(r, _)| *r == revision) {
            Some((_, n)) => *n += 1,
            None => s.ok_by_revision.push((revision, 1)),
        }
        s.latencies_ms
            .push(latency_ms.min(u64::from(u32::MAX)) as u32);
    }

    /// Requests by outcome over the whole run.
    pub fn totals(&self) -> [u64; 5] {
        let mut t = [0u64; 5];
        for s in &self.seconds {
            for (i, n) in s.failed.iter().enumerate() {
                t[i] += n;
            }
            t[0] += s.ok_by_revision.iter().map(|(_, n)| n).sum::<u64>();
        }
        t
    }

    /// Answered requests by revision over the whole run, by revision.
    pub fn served_by_revision(&self) -> Vec<(i64, u64)> {
        let mut out: std::collections::BTreeMap<i64, u64> = Default::default();
        for s in &self.seconds {
            for (r, n) in &s.ok_by_revision {
                *out.entry(*r).or_default() += n;
            }
        }
        out.into_iter().collect()
    }

    /// Every answered request's latency, sorted.
    pub fn sorted_latencies(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self
            .seconds
            .iter()
            .flat_map(|s| s.latencies_ms.iter().copied())
            .collect();
        all.sort_unstable();
        all
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// One change of a node's kube-proxy view of a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointView {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Service index.
    pub service: u32,
    /// Node index.
    pub node: u32,
    #[allow(missing_docs)]
    pub ready: u32,
    #[allow(missing_docs)]
    pub serving: u32,
    #[allow(missing_docs)]
    pub terminating: u32,
}

/// Ready endpoints of a Service as the EndpointSlice controller published them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceSample {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Service index.
    pub service: u32,
    #[allow(missing_docs)]
    pub ready: u32,
}

/// Everything counted.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// By client, in the scenario's order.
    pub clients: Vec<ClientStats>,
    /// Kube-proxy views, in time order.
    pub views: Vec<EndpointView>,
    /// Published slices, in time order.
    pub slices: Vec<SliceSample>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 1.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn outcomes_are_counted_once_by_second_of_sending() {
        let mut c = ClientStats::default();
        c.record(SimTime::from_ms(1_500), Outcome::Ok, 2, 5);
        c.record(SimTime::from_ms(1_900), Outcome::Ok, 1, 7);
        c.record(SimTime::from_ms(2_000), Outcome::Refused, 0, 0);
        assert_eq!(c.totals(), [2, 1, 0, 0, 0]);
        assert_eq!(c.served_by_revision(), [(1, 1), (2, 1)]);
        assert_eq!(c.seconds[1].latencies_ms, [5, 7]);
        assert_eq!(c.resolved, 3);
    }
}
