//! The event queue: ordered by (time, insertion sequence), as a timing wheel.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that the max-heap yields the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Milliseconds the timing wheel covers ahead of the earliest pending time (about 65 s):
/// nearly every event of a rollout lands inside it.
const WHEEL_MS: u64 = 1 << 16;
const WORDS: usize = (WHEEL_MS / 64) as usize;
/// Largest bucket array kept for reuse, in events.
const POOLED_CAPACITY: usize = 256;

/// Pending events, earliest first, FIFO among equal times.
///
/// A timing wheel of one FIFO bucket per millisecond over `[base, base + WHEEL_MS)`, with a
/// binary heap for later events. Buckets keep insertion order, and events from the heap
/// enter a bucket before any event can be pushed into it directly (they are moved in as
/// soon as the window reaches their time), so the order is exactly (time, insertion
/// sequence) — the same as a heap of `(time, seq)` — at O(1) per push and pop instead of
/// O(log n) cache misses.
///
/// Each bucket is a contiguous array read front to back, so popping walks memory in order
/// (a linked list through a slab made every pop a cache miss at scale). Drained arrays go
/// to a pool and are handed to the next bucket that fills, so memory follows the pending
/// events rather than every millisecond ever used.
pub struct EventQueue<E> {
    buckets: Vec<Vec<(u64, E)>>,
    /// Events of the bucket at `base` already popped.
    cursor: usize,
    /// Emptied bucket arrays, kept for reuse.
    pool: Vec<Vec<(u64, E)>>,
    /// One bit per bucket: non-empty.
    occupied: Vec<u64>,
    /// Start of the window; no pending event is earlier.
    base: u64,
    in_wheel: usize,
    overflow: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> EventQueue<E> {
    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.in_wheel + self.overflow.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventQueue({} pending)", self.len())
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            buckets: (0..WHEEL_MS).map(|_| Vec::new()).collect(),
            cursor: 0,
            pool: Vec::new(),
            occupied: vec![0; WORDS],
            base: 0,
            in_wheel: 0,
            overflow: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    fn slot(t: u64) -> usize {
        (t % WHEEL_MS) as usize
    }

    fn put_in_wheel(&mut self, t: u64, seq: u64, event: E) {
        let i = Self::slot(t);
        let bucket = &mut self.buckets[i];
        if bucket.capacity() == 0
            && let Some(spare) = self.pool.pop()
        {
            *bucket = spare;
        }
        bucket.push((seq, event));
        self.occupied[i / 64] |= 1 << (i % 64);
        self.in_wheel += 1;
    }

    /// Queues `event` at `time`; returns its sequence number. Times before the earliest
    /// pending one are queued at it (the engine never schedules into the past).
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let t = time.as_ms().max(self.base);
        if t < self.base.saturating_add(WHEEL_MS) {
            self.put_in_wheel(t, seq, event);
        } else {
            self.overflow.push(Entry {
                time: SimTime::from_ms(t),
                seq,
                event,
            });
        }
        seq
    }

    /// Moves the window to start at `base` (whose bucket is unread), bringing in heap
    /// events it now covers.
    fn advance_base(&mut self, base: u64) {
        self.base = base;
        self.cursor = 0;
        let end = base.saturating_add(WHEEL_MS);
        while self.overflow.peek().is_some_and(|e| e.time.as_ms() < end) {
            if let Some(e) = self.overflow.pop() {
                self.put_in_wheel(e.time.as_ms(), e.seq, e.event);
            }
        }
    }

    /// Time of the earliest event in the wheel (scanning the occupancy bits from `base`).
    fn wheel_min(&self) -> Option<u64> {
        if self.in_wheel == 0 {
            return None;
        }
        let start = Self::slot(self.base);
        let (w0, b0) = (start / 64, start % 64);
        for k in 0..=WORDS {
            let w = (w0 + k) % WORDS;
            let mut bits = self.occupied[w];
            if k == 0 {
                bits &= !0u64 << b0;
            } else if k == WORDS {
                bits &= (1u64 << b0).wrapping_sub(1);
            }
            if bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                let offset = (i + WHEEL_MS as usize - start) % WHEEL_MS as usize;
                return Some(self.base + offset as u64);
            }
        }
        None
    }

    /// Removes the earliest event with its time and sequence number.
    pub fn pop(&mut self) -> Option<(SimTime, u64, E)> {
        self.pop_until(SimTime::NEVER)
    }

    /// Removes the earliest event if it is due at or before `limit` (one scan of the wheel,
    /// where `peek_time` then `pop` would take two).
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, u64, E)> {
        let t = match self.wheel_min() {
            Some(t) => t,
            None => self.overflow.peek()?.time.as_ms(),
        };
        if t > limit.as_ms() {
            return None;
        }
        if t > self.base {
            self.advance_base(t);
        }
        let i = Self::slot(t);
        let bucket = &mut self.buckets[i];
        let &(seq, event) = bucket.get(self.cursor)?;
        self.cursor += 1;
        if self.cursor == bucket.len() {
            bucket.clear();
            let spare = std::mem::take(bucket);
            // A burst's big array would otherwise be handed to a bucket of one event and
            // stay allocated for good; those are freed instead.
            if spare.capacity() <= POOLED_CAPACITY {
                self.pool.push(spare);
            }
            self.cursor = 0;
            self.occupied[i / 64] &= !(1 << (i % 64));
        }
        self.in_wheel -= 1;
        Some((SimTime::from_ms(t), seq, event))
    }

    /// The event that will be popped `k + 1`-th from now, if it is due in the current
    /// millisecond (for touching its data ahead of time).
    pub fn peek_ahead(&self, k: usize) -> Option<E> {
        self.buckets[Self::slot(self.base)]
            .get(self.cursor + k)
            .map(|e| e.1)
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.wheel_min()
            .map(SimTime::from_ms)
            .or_else(|| self.overflow.peek().map(|e| e.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_ms(5), "b1");
        q.push(SimTime::from_ms(1), "a");
        q.push(SimTime::from_ms(5), "b2");
        q.push(SimTime::from_ms(5), "b3");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, vec!["a", "b1", "b2", "b3"]);
    }

    #[test]
    fn peek_ahead_sees_the_coming_events_of_the_current_millisecond() {
        let mut q = EventQueue::new();
        for (t, e) in [(5, "a"), (5, "b"), (5, "c"), (6, "d")] {
            q.push(SimTime::from_ms(t), e);
        }
        assert_eq!(q.pop().map(|(_, _, e)| e), Some("a"));
        assert_eq!(q.peek_ahead(0), Some("b"));
        assert_eq!(q.peek_ahead(1), Some("c"));
        assert_eq!(
            q.peek_ahead(2),
            None,
            "a later millisecond is not looked at"
        );
        assert_eq!(
            q.pop().map(|(_, _, e)| e),
            Some("b"),
            "peeking takes nothing"
        );
    }

    #[test]
    fn the_wheel_pops_exactly_as_a_heap_of_time_and_sequence() {
        // Pushes interleaved with pops, near and far (beyond the wheel), with many ties.
        let mut q = EventQueue::new();
        let mut reference: BinaryHeap<Entry<u32>> = BinaryHeap::new();
        let mut x: u64 = 12345;
        let mut now = 0u64;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if !x.is_multiple_of(3) {
                let delay = match x % 10 {
                    0 => x % 500_000,
                    1..=3 => 0,
                    _ => x % 3000,
                };
                let t = SimTime::from_ms(now + delay);
                let seq = q.push(t, i);
                reference.push(Entry {
                    time: t,
                    seq,
                    event: i,
                });
            } else if let Some((t, seq, e)) = q.pop() {
                let want = reference.pop().expect("same length");
                assert_eq!((t, seq, e), (want.time, want.seq, want.event));
                now = t.as_ms();
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some((t, seq, e)) = q.pop() {
            let want = reference.pop().expect("same length");
            assert_eq!((t, seq, e), (want.time, want.seq, want.event));
        }
        assert!(reference.is_empty());
    }
}
