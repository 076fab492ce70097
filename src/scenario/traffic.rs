//! The `apps:` and `traffic:` sections and the traffic latencies of `timing:`, checked and
//! bounded: every rate, size and duration a scenario gives has a ceiling.

use super::raw::{ConnectionDe, OnStopDe, RateDe, RawApp, RawClient, RawTiming};
use super::{Command, Kubectl, ScenarioError, Step};
use crate::controllers::traffic::TrafficTiming;
use crate::model::traffic::*;
use crate::sim::{Latency, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Longest app startup or median service time.
const MAX_APP_TIME_MS: u64 = 3_600_000;

type Err<'a> = &'a dyn Fn(&str, String) -> ScenarioError;

/// The traffic latencies of `timing:`.
pub(super) fn traffic_timing(t: &RawTiming, err: Err) -> Result<TrafficTiming, ScenarioError> {
    let base = TrafficTiming::default();
    let pick = |field: &str, v: Option<Latency>, default: Latency| {
        let l = v.unwrap_or(default);
        l.validate()
            .map_err(|e| err(field, format!("timing.{field}: {e}")))?;
        Ok(l)
    };
    Ok(TrafficTiming {
        endpoints_sync: pick("endpointsSync", t.endpoints_sync, base.endpoints_sync)?,
        proxy_sync: pick("proxySync", t.proxy_sync, base.proxy_sync)?,
    })
}

fn app(image: &str, raw: &RawApp, err: Err) -> Result<AppSpec, ScenarioError> {
    let base = AppSpec::default();
    let at = |field: &str, m: String| err(image, format!("apps.\"{image}\".{field}: {m}"));
    let latency = |field: &str, v: Option<Latency>, default: Latency| {
        let l = v.unwrap_or(default);
        l.validate().map_err(|e| at(field, e.to_string()))?;
        if typical_ms(&l) > MAX_APP_TIME_MS as f64 {
            return Err(at(field, "must be at most 1h".into()));
        }
        Ok(l)
    };
    let concurrency = raw.concurrency.unwrap_or(base.concurrency);
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        return Err(at(
            "concurrency",
            format!("{concurrency} is not between 1 and {MAX_CONCURRENCY}"),
        ));
    }
    let keepalive_timeout_ms = raw.keepalive_timeout.unwrap_or(base.keepalive_timeout_ms);
    if keepalive_timeout_ms > 86_400_000 {
        return Err(at("keepaliveTimeout", "must be at most 24h".into()));
    }
    Ok(AppSpec {
        startup: latency("startup", raw.startup, base.startup)?,
        service_time: latency("serviceTime", raw.service_time, base.service_time)?,
        concurrency,
        on_stop: match raw.on_stop {
            None | Some(OnStopDe::Graceful) => OnStop::Graceful,
            Some(OnStopDe::Immediate) => OnStop::Immediate,
            Some(OnStopDe::Ignore) => OnStop::Ignore,
        },
        keepalive_timeout_ms,
        keepalive_requests: raw.keepalive_requests.unwrap_or(base.keepalive_requests),
        run_for: raw
            .run_for
            .map(|l| latency("runFor", Some(l), Latency::Constant(0)))
            .transpose()?,
    })
}

/// A distribution's central value, for the bounds.
fn typical_ms(l: &Latency) -> f64 {
    match *l {
        Latency::Constant(ms) => ms as f64,
        Latency::Uniform { high_ms, .. } => high_ms as f64,
        Latency::Normal { mean_ms, .. } => mean_ms,
        Latency::LogNormal { median_ms, .. } => median_ms,
        Latency::Exponential { mean_ms } => mean_ms,
    }
}

/// A client's rate as steps from time 0 (a schedule that starts later is idle until then).
fn rate_steps(rate: &RateDe) -> Result<Vec<RateStep>, String> {
    let steps = match rate {
        RateDe::Constant(r) => {
            return Ok(vec![RateStep {
                at: SimTime::ZERO,
                per_s: *r,
            }]);
        }
        RateDe::Schedule(steps) => steps,
    };
    let mut out: Vec<RateStep> = Vec::new();
    for &(at_ms, per_s) in steps {
        if out.last().is_some_and(|l| SimTime::from_ms(at_ms) <= l.at) {
            return Err("rate: the schedule's `at` times must increase".into());
        }
        out.push(RateStep {
            at: SimTime::from_ms(at_ms),
            per_s,
        });
    }
    if out.first().is_some_and(|s| s.at != SimTime::ZERO) {
        out.insert(
            0,
            RateStep {
                at: SimTime::ZERO,
                per_s: 0.0,
            },
        );
    }
    Ok(out)
}

/// One `traffic:` client, checked: name, rate, nodes, timeout, retries, port, namespace.
fn client(raw: &RawClient, nodes: &BTreeSet<&str>, err: Err) -> Result<ClientSpec, ScenarioError> {
    let name = &raw.name;
    let at = |m: String| err(&format!("name: {name}"), format!("traffic[{name}]: {m}"));
    if !super::valid_name(name) {
        return Err(at(
            "the name must match [a-z0-9][a-z0-9-]* (at most 63 characters)".into(),
        ));
    }
    let rate = rate_steps(&raw.rate).map_err(&at)?;
    if rate.iter().any(|s| s.per_s > MAX_RATE_PER_S) {
        return Err(at(format!("rate: at most {MAX_RATE_PER_S}/s per client")));
    }
    let from = raw.from.as_ref().map(|f| f.0.clone()).unwrap_or_default();
    if let Some(unknown) = from.iter().find(|n| !nodes.contains(n.as_str())) {
        return Err(at(format!("from: no node named \"{unknown}\"")));
    }
    let timeout_ms = raw.timeout.unwrap_or(10_000);
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(at("timeout: must be between 1ms and 1h".into()));
    }
    let retries = raw.retries.unwrap_or(0);
    if retries > MAX_RETRIES {
        return Err(at(format!("retries: at most {MAX_RETRIES}")));
    }
    if raw.port.is_some_and(|p| !(1..=65535).contains(&p)) {
        return Err(at("port: must be 1-65535".into()));
    }
    let namespace = raw
        .namespace
        .clone()
        .unwrap_or_else(|| crate::model::DEFAULT_NAMESPACE.to_string());
    if let Some(e) = crate::model::validation::dns1123_label(&namespace).first() {
        return Err(at(format!("namespace: {e}")));
    }
    Ok(ClientSpec {
        name: name.clone(),
        service: raw.service.clone(),
        namespace,
        port: raw.port,
        from,
        rate,
        connection: match raw.connection {
            None | Some(ConnectionDe::New) => Connection::New,
            Some(ConnectionDe::Keepalive) => Connection::Keepalive,
            Some(ConnectionDe::Http2) => Connection::Http2,
        },
        timeout_ms,
        retries,
    })
}

/// The traffic model of a scenario; enabled when it has apps, clients, or a `curl` or
/// `port-forward` step.
pub(super) fn traffic_spec(
    apps: &BTreeMap<String, RawApp>,
    clients: &[RawClient],
    steps: &[Step],
    nodes: &BTreeSet<&str>,
    err: Err,
) -> Result<TrafficSpec, ScenarioError> {
    if apps.len() > MAX_APPS {
        return Err(err("apps:", format!("apps: at most {MAX_APPS} images")));
    }
    if clients.len() > MAX_CLIENTS {
        return Err(err(
            "traffic:",
            format!("traffic: at most {MAX_CLIENTS} clients"),
        ));
    }
    let apps = apps
        .iter()
        .map(|(image, raw)| Ok((image.clone(), app(image, raw, err)?)))
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    let clients = clients
        .iter()
        .map(|c| client(c, nodes, err))
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    let mut names = BTreeSet::new();
    if let Some(dup) = clients.iter().find(|c| !names.insert(c.name.as_str())) {
        return Err(err(
            &format!("name: {}", dup.name),
            format!("traffic: the client name \"{}\" is given twice", dup.name),
        ));
    }
    let total: f64 = clients.iter().map(ClientSpec::peak_rate).sum();
    if total > MAX_TOTAL_RATE_PER_S {
        return Err(err(
            "traffic:",
            format!(
                "traffic: the clients' peak rates add up to {total}/s, above {MAX_TOTAL_RATE_PER_S}/s"
            ),
        ));
    }
    let probes = steps.iter().any(|s| {
        matches!(
            s.command,
            Command::Curl(_) | Command::Kubectl(Kubectl::PortForward { .. }, _)
        )
    });
    let enabled = !apps.is_empty() || !clients.is_empty() || probes;
    Ok(TrafficSpec {
        apps,
        clients,
        enabled,
    })
}
