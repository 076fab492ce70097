//! The scenario file as written, deserialized strictly. Durations, distributions and steps
//! have hand-written visitors so that a bad value is reported at its own line and column.

use super::duration::parse_duration;
use crate::sim::Latency;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub cluster: RawCluster,
    #[serde(default)]
    pub timing: RawTiming,
    #[serde(default, deserialize_with = "unique_keys")]
    pub files: BTreeMap<String, String>,
    pub script: Vec<RawStep>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub until: Option<u64>,
    #[serde(default)]
    pub faults: RawFaults,
    #[serde(default, deserialize_with = "unique_keys")]
    pub apps: BTreeMap<String, RawApp>,
    #[serde(default)]
    pub traffic: Vec<RawClient>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawApp {
    #[serde(default, deserialize_with = "opt_latency")]
    pub startup: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub service_time: Option<Latency>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub on_stop: Option<OnStopDe>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub keepalive_timeout: Option<u64>,
    #[serde(default)]
    pub keepalive_requests: Option<u32>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub run_for: Option<Latency>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum OnStopDe {
    Graceful,
    Immediate,
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum ConnectionDe {
    New,
    Keepalive,
    Http2,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawClient {
    pub name: String,
    pub service: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub port: Option<i32>,
    #[serde(default)]
    pub from: Option<NodesDe>,
    pub rate: RateDe,
    #[serde(default)]
    pub connection: Option<ConnectionDe>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub retries: Option<u32>,
}

/// `from: node-1` or `from: [node-1, node-2]`.
#[derive(Debug, Clone)]
pub(super) struct NodesDe(pub Vec<String>);

impl<'de> Deserialize<'de> for NodesDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodesDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node name or a list of node names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodesDe, E> {
                Ok(NodesDe(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodesDe, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    out.push(n);
                }
                Ok(NodesDe(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One step of a rate schedule as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawRateStep {
    #[serde(deserialize_with = "duration")]
    pub at: u64,
    pub rate: RateValue,
}

/// A rate: `100/s`, `6000/m`, `36000/h` or a bare number per second.
#[derive(Debug, Clone, Copy)]
pub(super) struct RateValue(pub f64);

impl<'de> Deserialize<'de> for RateValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RateValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rate such as `100/s`, `6000/m` or `36000/h`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RateValue, E> {
                parse_rate(v).map(RateValue).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RateValue, E> {
                Ok(RateValue(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RateValue, E> {
                Err(E::custom(format!("a rate cannot be negative ({v})")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RateValue, E> {
                parse_rate(&v.to_string()).map(RateValue).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses `N/s`, `N/m`, `N/h` or `N` (per second) into requests per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, per_s) = match t.rsplit_once('/') {
        Some((n, "s")) => (n, 1.0),
        Some((n, "m")) => (n, 60.0),
        Some((n, "h")) => (n, 3600.0),
        Some((_, unit)) => {
            return Err(format!(
                "`{t}`: the rate's unit `{unit}` is not one of s, m, h"
            ));
        }
        None => (t, 1.0),
    };
    let v: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{t}` is not a rate such as `100/s`"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{t}`: a rate must be a number >= 0"));
    }
    Ok(v / per_s)
}

/// `rate: 100/s` or a schedule `[{at: 0s, rate: 50/s}, ...]`.
#[derive(Debug)]
pub(super) enum RateDe {
    Constant(f64),
    Schedule(Vec<(u64, f64)>),
}

impl<'de> Deserialize<'de> for RateDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RateDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rate such as `100/s`, or a list of {at, rate}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RateDe, E> {
                parse_rate(v).map(RateDe::Constant).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RateDe, E> {
                Ok(RateDe::Constant(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RateDe, E> {
                parse_rate(&v.to_string())
                    .map(RateDe::Constant)
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RateDe, A::Error> {
                let mut out = Vec::new();
                while let Some(step) = seq.next_element::<RawRateStep>()? {
                    if out.len() >= crate::model::traffic::MAX_SCHEDULE_STEPS {
                        return Err(de::Error::custom(format!(
                            "a rate schedule has at most {} steps",
                            crate::model::traffic::MAX_SCHEDULE_STEPS
                        )));
                    }
                    out.push((step.at, step.rate.0));
                }
                Ok(RateDe::Schedule(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawFaults {
    #[serde(default, deserialize_with = "unique_keys")]
    pub images: BTreeMap<String, RawImageFault>,
    #[serde(default)]
    pub nodes: Vec<RawNodeFault>,
    #[serde(default)]
    pub random: RawRandomFaults,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawImageFault {
    #[serde(default)]
    pub pull: Option<PullBehaviour>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub exit_after: Option<u64>,
    #[serde(default)]
    pub ready: Option<ProbeFaultDe>,
    #[serde(default)]
    pub live: Option<ProbeFaultDe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum PullBehaviour {
    Fail,
    Ok,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum NodeEventKind {
    Down,
    Up,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawNodeFault {
    #[serde(deserialize_with = "duration")]
    pub at: u64,
    pub node: String,
    pub event: NodeEventKind,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawRandomFaults {
    #[serde(default, deserialize_with = "crash_rate")]
    pub pod_crashes_per_hour: Option<f64>,
    #[serde(default, deserialize_with = "failure_rate")]
    pub node_failures_per_day: Option<f64>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub node_recovery: Option<Latency>,
}

/// `never`, `always`, or `{failProbability: P}`.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProbeFaultDe(pub crate::model::ProbeFault);

impl<'de> Deserialize<'de> for ProbeFaultDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::model::ProbeFault;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProbeFaultDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`never`, `always` or {failProbability: P} with 0 <= P <= 1")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ProbeFaultDe, E> {
                match v {
                    "never" => Ok(ProbeFaultDe(ProbeFault::Never)),
                    "always" => Ok(ProbeFaultDe(ProbeFault::Pass)),
                    other => Err(E::custom(format!(
                        "`{other}` is not a probe behaviour; write `never`, `always` or {{failProbability: 0.3}}"
                    ))),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProbeFaultDe, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("an empty probe behaviour"));
                };
                if key != "failProbability" {
                    return Err(de::Error::custom(format!(
                        "unknown field `{key}`, expected `failProbability`"
                    )));
                }
                let p: f64 = map.next_value()?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(de::Error::custom(format!(
                        "failProbability {p} must be between 0 and 1"
                    )));
                }
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!("unknown field `{extra}`")));
                }
                Ok(ProbeFaultDe(ProbeFault::FailProbability(p)))
            }
        }
        d.deserialize_any(V)
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Dur::deserialize(d).map(|x| x.0)
}

/// Most random crashes per pod and hour: one a second, far beyond any crash loop (the
/// kubelet's back-off alone spaces restarts 10 s to 5 min apart).
pub const MAX_POD_CRASHES_PER_HOUR: f64 = 3_600.0;
/// Most random failures per node and day: one a minute, far beyond any real machine.
pub const MAX_NODE_FAILURES_PER_DAY: f64 = 1_440.0;

fn crash_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    rate(
        d,
        "podCrashesPerHour",
        MAX_POD_CRASHES_PER_HOUR,
        "per pod and hour",
    )
}

fn failure_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    rate(
        d,
        "nodeFailuresPerDay",
        MAX_NODE_FAILURES_PER_DAY,
        "per node and day",
    )
}

/// A rate: a finite number from 0 to `max` (the message names the field: serde's path stops
/// above it).
fn rate<'de, D: Deserializer<'de>>(
    d: D,
    field: &str,
    max: f64,
    unit: &str,
) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v < 0.0 {
        return Err(de::Error::custom(format!(
            "{field}: {v} is not a rate; write a number >= 0"
        )));
    }
    if v > max {
        return Err(de::Error::custom(format!(
            "{field}: {v} is more than rollsim simulates; the most is {max} {unit}"
        )));
    }
    Ok(Some(v))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawCluster {
    #[serde(default)]
    pub nodes: Option<Vec<RawNodeGroup>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawNodeGroup {
    pub name: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default, deserialize_with = "opt_quantity")]
    pub cpu: Option<String>,
    #[serde(default, deserialize_with = "opt_quantity")]
    pub memory: Option<String>,
    #[serde(default)]
    pub pods: Option<u32>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<crate::model::scheduling::Taint>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawTiming {
    #[serde(default, deserialize_with = "opt_latency")]
    pub schedule: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub image_pull: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub container_start: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub stop: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub controller_sync: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub endpoints_sync: Option<Latency>,
    #[serde(default, deserialize_with = "opt_latency")]
    pub proxy_sync: Option<Latency>,
}

/// A step: a bare command line, or `{at, run, expect}`.
#[derive(Debug)]
pub(super) struct RawStep {
    pub at: Option<u64>,
    pub run: String,
    pub expect_failure: bool,
    pub timeout: Option<u64>,
}

/// A mapping whose keys must differ: YAML parsers disagree on a repeated key (the last
/// wins here, kubectl refuses it), so a repeated file or image name is an error.
fn unique_keys<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = BTreeMap<String, T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping of names")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format!(
                        "\"{key}\" is given twice; each name may appear once"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
}

fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Dur::deserialize(d).map(|x| Some(x.0))
}

fn opt_latency<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Latency>, D::Error> {
    LatencyDe::deserialize(d).map(|x| Some(x.0))
}

fn opt_quantity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a quantity such as \"4\", \"500m\" or \"8Gi\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(V).map(Some)
}

/// A duration in milliseconds, written `"800ms"`, `"2s"`, `"1m30s"`.
#[derive(Debug, Clone, Copy)]
struct Dur(u64);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"800ms\", \"2s\" or \"1m30s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                if v == 0 {
                    return Ok(Dur(0));
                }
                Err(E::custom(format!(
                    "{v} has no unit; write e.g. \"{v}s\" or \"{v}ms\""
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                Err(E::custom(format!("{v} is not a duration")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Err(E::custom(format!("{v} has no unit; write e.g. \"{v}s\"")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalParams {
    mean: Dur,
    stddev: Dur,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormalParams {
    median: Dur,
    sigma: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExponentialParams {
    mean: Dur,
}

/// The value of a latency's one distribution key, read as that distribution's parameters.
fn distribution<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Latency, A::Error> {
    Ok(match key {
        "uniform" => {
            let [a, b]: [Dur; 2] = map.next_value()?;
            if a.0 > b.0 {
                return Err(de::Error::custom(format!(
                    "uniform bounds are reversed: {} > {}",
                    super::duration::go_duration(a.0),
                    super::duration::go_duration(b.0)
                )));
            }
            Latency::Uniform {
                low_ms: a.0,
                high_ms: b.0,
            }
        }
        "normal" => {
            let p: NormalParams = map.next_value()?;
            Latency::Normal {
                mean_ms: p.mean.0 as f64,
                stddev_ms: p.stddev.0 as f64,
            }
        }
        "lognormal" => {
            let p: LogNormalParams = map.next_value()?;
            Latency::LogNormal {
                median_ms: p.median.0 as f64,
                sigma: p.sigma,
            }
        }
        "exponential" => {
            let p: ExponentialParams = map.next_value()?;
            Latency::Exponential {
                mean_ms: p.mean.0 as f64,
            }
        }
        other => {
            return Err(de::Error::custom(format!(
                "unknown distribution `{other}`, expected uniform, normal, lognormal or exponential"
            )));
        }
    })
}

/// A latency: a duration, or one of `{uniform: [a, b]}`, `{normal: {mean, stddev}}`,
/// `{lognormal: {median, sigma}}`, `{exponential: {mean}}`.
struct LatencyDe(Latency);

impl<'de> Deserialize<'de> for LatencyDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LatencyDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration (\"2s\") or one of {uniform: [a, b]}, {normal: {mean, stddev}}, \
                     {lognormal: {median, sigma}}, {exponential: {mean}}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LatencyDe, E> {
                parse_duration(v)
                    .map(|ms| LatencyDe(Latency::Constant(ms)))
                    .map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LatencyDe, E> {
                Dur::deserialize(de::value::U64Deserializer::<E>::new(v))
                    .map(|d| LatencyDe(Latency::Constant(d.0)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LatencyDe, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("an empty distribution"));
                };
                let latency = distribution(&key, &mut map)?;
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "one distribution per latency; `{extra}` is extra"
                    )));
                }
                latency.validate().map_err(de::Error::custom)?;
                Ok(LatencyDe(latency))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<LatencyDe, A::Error> {
                Err(de::Error::custom(
                    "a list is not a latency; write {uniform: [a, b]} for a range",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StepMap {
    #[serde(default)]
    at: Option<Dur>,
    run: String,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    timeout: Option<Dur>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
enum Expect {
    Success,
    Failure,
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStep;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a command line, or {at: DURATION, run: COMMAND, expect: failure, timeout: DURATION}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStep, E> {
                Ok(RawStep {
                    at: None,
                    run: v.to_string(),
                    expect_failure: false,
                    timeout: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStep, A::Error> {
                let m = StepMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawStep {
                    at: m.at.map(|d| d.0),
                    run: m.run,
                    expect_failure: m.expect == Some(Expect::Failure),
                    timeout: m.timeout.map(|d| d.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}
