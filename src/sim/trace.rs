//! A record of every processed event and a stable digest over it.

use super::SimTime;

/// What the trace needs from an event: a cheap stable fingerprint, and a description that is
/// only built when full records are kept.
pub trait Traced {
    /// A value that identifies the event's kind and subject, stable across runs and builds.
    fn trace_key(&self) -> u64;
    /// Human-readable description, for kept records.
    fn describe(&self) -> String;
}

/// Digest (and optionally the full list) of processed events.
#[derive(Debug, Clone)]
pub struct Trace {
    digest: u64,
    count: u64,
    records: Option<Vec<(SimTime, String)>>,
}

impl Trace {
    /// An empty trace; `keep_records` also keeps every description (costly for large runs).
    pub fn new(keep_records: bool) -> Self {
        Trace {
            digest: 0xcbf2_9ce4_8422_2325,
            count: 0,
            records: keep_records.then(Vec::new),
        }
    }

    /// Folds one processed event (its time, sequence number and key) into the digest.
    pub fn record(&mut self, time: SimTime, seq: u64, event: &impl Traced) {
        self.fold(time.as_ms());
        self.fold(seq);
        self.fold(event.trace_key());
        self.count += 1;
        if let Some(r) = self.records.as_mut() {
            r.push((time, event.describe()));
        }
    }

    /// FNV-1a's step applied to whole 64-bit words (one multiply per word instead of eight),
    /// with a rotation so that high bits feed back into low ones.
    fn fold(&mut self, word: u64) {
        self.digest = (self.digest ^ word)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(29);
    }

    /// A word-wise FNV-style hash over every (time, sequence, key) processed so far, as 16 hex
    /// digits.
    pub fn digest_hex(&self) -> String {
        format!("{:016x}", self.digest)
    }

    /// Events recorded.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The kept records, if asked for.
    pub fn records(&self) -> Option<&[(SimTime, String)]> {
        self.records.as_deref()
    }
}
