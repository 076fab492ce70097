//! The discrete-event engine: virtual clock, event queue, seeded RNG streams, latency
//! distributions, run budget and trace. It knows nothing of Kubernetes.
//!
//! # Event ordering guarantees
//! 1. Events are processed in non-decreasing virtual time.
//! 2. Events scheduled for the same instant are processed in the order they were scheduled
//!    (FIFO by a global insertion sequence number), never by payload.
//! 3. An event may schedule further events at the current instant; they run after every event
//!    already queued for that instant (rule 2).
//! 4. Nothing else influences the order: no wall clock, no hash-map iteration, no threads.

mod dist;
mod queue;
mod rng;
mod time;
mod trace;

pub use dist::{Latency, LatencyError};
pub use queue::EventQueue;
pub use rng::{RngStreams, SimRng, fnv1a64};
pub use time::SimTime;
pub use trace::{Trace, Traced};

/// Limits that stop a run which would otherwise never end (a bug, or a scenario that loops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most events one run may process.
    pub max_events: u64,
    /// Virtual time past which no event is processed.
    pub until: SimTime,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: 200_000_000,
            until: SimTime::from_secs(24 * 3600),
        }
    }
}

/// Why the engine stopped before the queue ran dry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetExceeded {
    /// More than `max_events` events were processed: almost certainly a livelock.
    Events(u64),
}

impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetExceeded::Events(n) => {
                write!(
                    f,
                    "event budget of {n} events exhausted (a livelock in the simulation?)"
                )
            }
        }
    }
}

impl std::error::Error for BudgetExceeded {}

/// Clock + queue + budget + trace: the generic event loop every simulation drives.
#[derive(Debug)]
pub struct Engine<E> {
    now: SimTime,
    queue: EventQueue<E>,
    budget: Budget,
    processed: u64,
    trace: Trace,
}

impl<E: Traced + Copy> Engine<E> {
    /// An engine at time zero with the given limits.
    pub fn new(budget: Budget, keep_trace_records: bool) -> Self {
        Engine {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            budget,
            processed: 0,
            trace: Trace::new(keep_trace_records),
        }
    }

    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events processed so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// The run's limits.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The trace of processed events.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Schedules `event` at `at` (clamped to now: the past cannot be scheduled).
    pub fn schedule(&mut self, at: SimTime, event: E) {
        self.queue.push(at.max(self.now), event);
    }

    /// Schedules `event` `delay_ms` after now.
    pub fn schedule_in(&mut self, delay_ms: u64, event: E) {
        self.queue.push(self.now.plus_ms(delay_ms), event);
    }

    /// Time of the next queued event, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The event that will be popped `k + 1`-th from now, if it is due in the current
    /// millisecond.
    pub fn peek_ahead(&self, k: usize) -> Option<E> {
        self.queue.peek_ahead(k)
    }

    /// Number of queued events.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Moves the clock forward to `t` without processing anything (never backwards).
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    /// Pops the next event if it is due at or before `deadline` and within the budget,
    /// advancing the clock and recording it in the trace.
    pub fn pop_until(&mut self, deadline: SimTime) -> Result<Option<E>, BudgetExceeded> {
        let limit = deadline.min(self.budget.until);
        if self.processed >= self.budget.max_events {
            // Only an event that is due exhausts the budget.
            return match self.queue.peek_time() {
                Some(t) if t <= limit => Err(BudgetExceeded::Events(self.budget.max_events)),
                _ => Ok(None),
            };
        }
        let Some((t, seq, event)) = self.queue.pop_until(limit) else {
            return Ok(None);
        };
        self.now = t;
        self.processed += 1;
        self.trace.record(t, seq, &event);
        Ok(Some(event))
    }
}
