//! The Events `kubectl describe` finds for an object, as the recorders that wrote them left
//! them in the API server. Controllers and the kubelet record through client-go's
//! `EventCorrelator` (`tools/record/events_cache.go`): identical events count up, the tenth
//! distinct message of one reason within ten minutes becomes `(combined from similar
//! events): …`, and a token bucket per source and object (burst 25, one more every five
//! minutes) drops the rest. The scheduler records through events.k8s.io
//! (`tools/events`): a repeat opens a series whose count the API sees only when the
//! broadcaster flushes it. Both are replayed here from the occurrences the run recorded.

use crate::cluster::KubeEvent;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// `defaultAggregateMaxEvents`: distinct messages of one reason before aggregation.
const AGGREGATE_MAX_EVENTS: usize = 10;
/// `defaultAggregateIntervalInSeconds`.
const AGGREGATE_INTERVAL_MS: u64 = 600_000;
/// `defaultSpamBurst`.
const SPAM_BURST: f64 = 25.0;
/// `defaultSpamQPS` as milliseconds per token (one every five minutes).
const SPAM_MS_PER_TOKEN: f64 = 300_000.0;
/// The events.k8s.io broadcaster's `finishTime`: series idle this long are closed.
const SERIES_FINISH_MS: u64 = 6 * 60_000;
/// Its `refreshTime`: open series are written back this often.
const SERIES_REFRESH_MS: u64 = 30 * 60_000;
/// The message prefix of an aggregated event (`EventAggregatorByReasonMessageFunc`).
pub const COMBINED_PREFIX: &str = "(combined from similar events): ";

/// One Event object as the API server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent<'a> {
    /// The occurrence that created it (type, reason, source, field path).
    pub first: &'a KubeEvent,
    /// Its message now (an aggregate's is the newest combined message).
    pub message: String,
    /// `firstTimestamp`, or `eventTime` for events.k8s.io events.
    pub first_time: SimTime,
    /// `lastTimestamp`, or the series' `lastObservedTime`.
    pub last_time: SimTime,
    /// `count`, or the series' count (1 for a single occurrence).
    pub count: u32,
    /// Written through events.k8s.io: no `lastTimestamp`, so it sorts first.
    pub series_api: bool,
}

/// The Events about one object at `now`, from its occurrences (oldest first), sorted as
/// `kubectl describe` sorts them (`SortableEvents`: by `lastTimestamp`, events.k8s.io ones
/// having none).
pub fn stored_events<'a>(occurrences: &[&'a KubeEvent], now: SimTime) -> Vec<StoredEvent<'a>> {
    let (scheduler, recorded): (Vec<&KubeEvent>, Vec<&KubeEvent>) = occurrences
        .iter()
        .copied()
        .filter(|e| e.time <= now)
        .partition(|e| e.source == "default-scheduler");
    let mut out = series_events(&scheduler, now);
    out.extend(correlated(&recorded));
    out.sort_by_key(|e| {
        if e.series_api {
            0
        } else {
            e.last_time.whole_seconds().as_ms() + 1
        }
    });
    out
}

/// `EventCorrelator.EventCorrelate` over one object's occurrences, in time order.
fn correlated<'a>(occurrences: &[&'a KubeEvent]) -> Vec<StoredEvent<'a>> {
    // Per (source, type, reason): the distinct messages seen, oldest first, and when the
    // group last saw an event (`aggregateRecord`).
    let mut groups: BTreeMap<(&str, &str, &str), (Vec<&str>, SimTime)> = BTreeMap::new();
    // Per (source, type): the spam filter's tokens and when they were counted.
    let mut buckets: BTreeMap<(&str, &str), (f64, SimTime)> = BTreeMap::new();
    // The logger's cache: event key -> (index in `out` once sent, count, first, last).
    let mut cache: BTreeMap<String, (Option<usize>, u32, SimTime)> = BTreeMap::new();
    let mut out: Vec<StoredEvent<'a>> = Vec::new();
    for &e in occurrences {
        let kind = e.event_type.as_str();
        let (messages, last) = groups
            .entry((e.source, kind, e.reason))
            .or_insert((Vec::new(), e.time));
        if e.time.ms_since(*last) > AGGREGATE_INTERVAL_MS {
            messages.clear();
        }
        *last = e.time;
        if !messages.contains(&e.message.as_str()) {
            messages.push(&e.message);
        }
        let (key, message) = if messages.len() < AGGREGATE_MAX_EVENTS {
            let key = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                e.source, e.field_path, e.reason, e.message
            );
            (format!("{kind}\u{0}{key}"), e.message.clone())
        } else {
            // `PopAny` keeps nine; rollsim drops the oldest, Go's set an arbitrary one.
            messages.remove(0);
            let key = format!("{kind}\u{0}{}\u{0}{}", e.source, e.reason);
            (key, format!("{COMBINED_PREFIX}{}", e.message))
        };
        // `eventObserve` counts the occurrence in the cache whether or not it is sent.
        let entry = cache.entry(key).or_insert((None, 0, e.time));
        entry.1 += 1;
        let (tokens, counted) = buckets
            .entry((e.source, kind))
            .or_insert((SPAM_BURST, e.time));
        *tokens = (*tokens + e.time.ms_since(*counted) as f64 / SPAM_MS_PER_TOKEN).min(SPAM_BURST);
        *counted = e.time;
        if *tokens < 1.0 {
            continue;
        }
        *tokens -= 1.0;
        match entry.0 {
            Some(i) => {
                let stored = &mut out[i];
                stored.count = entry.1;
                stored.last_time = e.time;
                stored.message = message;
            }
            None => {
                entry.0 = Some(out.len());
                out.push(StoredEvent {
                    first: e,
                    message,
                    first_time: entry.2,
                    last_time: e.time,
                    count: entry.1,
                    series_api: false,
                });
            }
        }
    }
    out
}

/// The events.k8s.io broadcaster over the scheduler's occurrences: a repeat (same reason
/// and type; the note is not part of the key) opens a series with count 2 and keeps the
/// first note; later repeats count locally and reach the API when the series is written
/// back (every 30 minutes) or closed (idle 6 minutes, checked every 6 minutes), after which
/// a repeat starts a new event.
fn series_events<'a>(occurrences: &[&'a KubeEvent], now: SimTime) -> Vec<StoredEvent<'a>> {
    // Per (type, reason): the open event's index in `out`, the local count and last time.
    let mut open: BTreeMap<(&str, &str), (usize, u32, SimTime)> = BTreeMap::new();
    let mut out: Vec<StoredEvent<'a>> = Vec::new();
    let mut next_tick = (SERIES_FINISH_MS, SERIES_REFRESH_MS);
    let mut flush = |out: &mut Vec<StoredEvent<'a>>,
                     open: &mut BTreeMap<(&str, &str), (usize, u32, SimTime)>,
                     until: SimTime| {
        while next_tick.0.min(next_tick.1) <= until.as_ms() {
            let tick = SimTime::from_ms(next_tick.0.min(next_tick.1));
            let finishing = next_tick.0 <= next_tick.1;
            open.retain(|_, (i, count, last)| {
                let idle = tick.ms_since(*last) > SERIES_FINISH_MS;
                if *count > 1 && (idle || !finishing) {
                    out[*i].count = *count;
                    out[*i].last_time = *last;
                }
                !(finishing && idle)
            });
            if finishing {
                next_tick.0 += SERIES_FINISH_MS;
            } else {
                next_tick.1 += SERIES_REFRESH_MS;
            }
        }
    };
    for &e in occurrences {
        flush(&mut out, &mut open, e.time);
        let key = (e.event_type.as_str(), e.reason);
        match open.get_mut(&key) {
            Some((i, count, last)) => {
                *count += 1;
                *last = e.time;
                if *count == 2 {
                    out[*i].count = 2;
                    out[*i].last_time = e.time;
                }
            }
            None => {
                open.insert(key, (out.len(), 1, e.time));
                out.push(StoredEvent {
                    first: e,
                    message: e.message.clone(),
                    first_time: e.time,
                    last_time: e.time,
                    count: 1,
                    series_api: true,
                });
            }
        }
    }
    flush(&mut out, &mut open, now);
    out
}

/// `<object name>.<first occurrence in Unix nanoseconds, hex>`: the Event object's name,
/// as `makeEvent` and the events.k8s.io recorder write it (`%v.%x`).
fn event_name(e: &KubeEvent) -> String {
    let ms = super::human::EPOCH_UNIX_SECONDS as u64 * 1000 + e.time.as_ms();
    format!("{}.{:x}", e.object.name, ms * 1_000_000)
}

/// `kubectl get events [NAME] [--sort-by=.lastTimestamp]`: every Event object of the
/// namespace at `now`, in the API server's list order (by name, so by object, then by first
/// occurrence), or by `lastTimestamp` (events.k8s.io events, which have none, first).
pub fn get_events(c: &crate::cluster::Cluster, args: &super::get::GetArgs) -> super::Output {
    let (name, scope) = (args.name, args.scope);
    let now = c.now();
    let mut by_object: BTreeMap<(&str, &str, &str), Vec<&KubeEvent>> = BTreeMap::new();
    for e in c.recorder.events.iter().filter(|e| e.time <= now) {
        if !scope.all && e.object.namespace != scope.namespace {
            continue;
        }
        by_object
            .entry((&e.object.namespace, e.object.kind, e.object.name.as_str()))
            .or_default()
            .push(e);
    }
    let mut rows: Vec<((&str, String), StoredEvent)> = by_object
        .values()
        .flat_map(|occurrences| stored_events(occurrences, now))
        .map(|e| ((e.first.object.namespace.as_str(), event_name(e.first)), e))
        .filter(|((_, n), _)| name.is_none_or(|want| want == n))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    if args.sort_by_last_timestamp {
        rows.sort_by_key(|(_, e)| (!e.series_api, e.last_time.whole_seconds()));
    }
    if rows.is_empty() {
        return match name {
            Some(n) => super::Output::error(format!(
                "Error from server (NotFound): events \"{n}\" not found\n"
            )),
            None => super::Output::ok(super::get::no_resources(
                scope,
                crate::scenario::Kind::Event,
            )),
        };
    }
    let mut w = super::tabwriter::for_get();
    if scope.all {
        w.write("NAMESPACE\t");
    }
    w.write("LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n");
    for ((ns, _), e) in rows {
        if scope.all {
            w.write(&format!("{ns}\t"));
        }
        w.write(&format!(
            "{}\t{}\t{}\t{}/{}\t{}\n",
            super::human::age(e.last_time.whole_seconds(), now),
            e.first.event_type.as_str(),
            e.first.reason,
            e.first.object.kind,
            e.first.object.name,
            e.message.trim()
        ));
    }
    super::Output::ok(if args.raw { w.into_raw() } else { w.finish() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{EventType, ObjectRef};

    fn event(secs: u64, source: &'static str, reason: &'static str, message: &str) -> KubeEvent {
        KubeEvent {
            time: SimTime::from_secs(secs),
            event_type: EventType::Normal,
            reason,
            object: ObjectRef {
                kind: "deployment",
                namespace: "default".into(),
                name: "web".into(),
            },
            source,
            message: message.into(),
            field_path: String::new(),
        }
    }

    #[test]
    fn an_event_is_named_after_its_object_and_first_moment_in_hex_nanoseconds() {
        // 2024-01-01T00:00:05Z is 1704067205 s, 0x17A610182B6AF200 ns.
        let e = event(5, "deployment-controller", "ScalingReplicaSet", "m");
        assert_eq!(event_name(&e), "web.17a610182b6af200");
        assert_eq!(
            format!("{:x}", 1_704_067_205_000_000_000u64),
            "17a610182b6af200"
        );
    }

    #[test]
    fn the_tenth_distinct_message_within_ten_minutes_is_combined() {
        let occurrences: Vec<KubeEvent> = (0..12)
            .map(|i| {
                event(
                    i * 10,
                    "deployment-controller",
                    "ScalingReplicaSet",
                    &format!("Scaled up to {i}"),
                )
            })
            .collect();
        let refs: Vec<&KubeEvent> = occurrences.iter().collect();
        let stored = stored_events(&refs, SimTime::from_secs(200));
        assert_eq!(stored.len(), 10, "nine as they are, then one aggregate");
        let combined = &stored[9];
        assert_eq!(
            combined.message,
            "(combined from similar events): Scaled up to 11"
        );
        assert_eq!(
            (combined.count, combined.first_time, combined.last_time),
            (3, SimTime::from_secs(90), SimTime::from_secs(110))
        );
    }

    #[test]
    fn groups_quiet_for_ten_minutes_start_over() {
        let occurrences: Vec<KubeEvent> = (0..12)
            .map(|i| {
                event(
                    i * 700,
                    "deployment-controller",
                    "ScalingReplicaSet",
                    &format!("m{i}"),
                )
            })
            .collect();
        let refs: Vec<&KubeEvent> = occurrences.iter().collect();
        let stored = stored_events(&refs, SimTime::from_secs(10_000));
        assert!(
            stored
                .iter()
                .all(|e| e.count == 1 && !e.message.starts_with('('))
        );
    }

    #[test]
    fn the_spam_filter_lets_25_through_then_one_every_five_minutes() {
        let occurrences: Vec<KubeEvent> = (0..40)
            .map(|i| event(i, "kubelet", "Unhealthy", "Readiness probe failed"))
            .chain(std::iter::once(event(
                340,
                "kubelet",
                "Unhealthy",
                "Readiness probe failed",
            )))
            .collect();
        let refs: Vec<&KubeEvent> = occurrences.iter().collect();
        let stored = stored_events(&refs, SimTime::from_secs(400));
        assert_eq!(stored.len(), 1);
        // 25 sent at once; by 340 s one more token has come: the cache counted all 41.
        assert_eq!(
            (stored[0].count, stored[0].last_time),
            (41, SimTime::from_secs(340))
        );
        let early = stored_events(&refs[..40], SimTime::from_secs(400));
        assert_eq!(
            (early[0].count, early[0].last_time),
            (25, SimTime::from_secs(24))
        );
    }

    #[test]
    fn scheduler_repeats_open_a_series_flushed_every_six_minutes() {
        let occurrences: Vec<KubeEvent> = [0, 5, 10, 20]
            .iter()
            .map(|&s| {
                event(
                    s,
                    "default-scheduler",
                    "FailedScheduling",
                    &format!("0/3 nodes at {s}"),
                )
            })
            .collect();
        let refs: Vec<&KubeEvent> = occurrences.iter().collect();
        let at = |secs| stored_events(&refs, SimTime::from_secs(secs));
        let e = &at(30)[0];
        assert_eq!(
            (e.count, e.last_time, e.message.as_str()),
            (2, SimTime::from_secs(5), "0/3 nodes at 0")
        );
        // At the 12-minute tick the series has been idle more than 6 minutes: closed.
        let e = &at(800)[0];
        assert_eq!((e.count, e.last_time), (4, SimTime::from_secs(20)));
    }
}
