//! What the users of a Service saw: `traffic.csv`, `latency.csv`, `endpoints.csv` and the
//! `traffic:` part of the summary.

use super::csv_text;
use crate::controllers::traffic::stats::{ClientStats, percentile};
use crate::model::traffic::Outcome;
use crate::play::Session;
use serde::{Deserialize, Serialize};

/// One client's figures in `summary.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ClientSummary {
    pub client: String,
    pub service: String,
    pub connection: String,
    pub requests: u64,
    pub ok: u64,
    pub refused: u64,
    pub reset: u64,
    pub timeout: u64,
    pub no_endpoints: u64,
    /// Requests still unanswered when the run ended.
    pub unresolved: u64,
    pub retries: u64,
    pub success_ratio: f64,
    /// Answered requests by serving revision.
    pub served_by_revision: Vec<RevisionCount>,
    pub p50_ms: Option<u32>,
    pub p99_ms: Option<u32>,
}

/// Requests one revision answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RevisionCount {
    pub revision: i64,
    pub requests: u64,
}

fn clients(s: &Session) -> &[ClientStats] {
    s.cluster.traffic().map_or(&[], |t| &t.stats.clients)
}

/// Each client's figures.
pub fn client_summaries(s: &Session) -> Vec<ClientSummary> {
    let Some(t) = s.cluster.traffic() else {
        return Vec::new();
    };
    t.stats
        .clients
        .iter()
        .zip(&t.spec.clients)
        .map(|(c, spec)| {
            let totals = c.totals();
            let sorted = c.sorted_latencies();
            let ratio = if c.sent == 0 {
                0.0
            } else {
                (totals[0] as f64 / c.sent as f64 * 1e6).round() / 1e6
            };
            ClientSummary {
                client: c.name.clone(),
                service: spec.service.clone(),
                connection: spec.connection.as_str().to_string(),
                requests: c.sent,
                ok: totals[Outcome::Ok.index()],
                refused: totals[Outcome::Refused.index()],
                reset: totals[Outcome::Reset.index()],
                timeout: totals[Outcome::Timeout.index()],
                no_endpoints: totals[Outcome::NoEndpoints.index()],
                unresolved: c.sent - c.resolved,
                retries: c.retries,
                success_ratio: ratio,
                served_by_revision: c
                    .served_by_revision()
                    .into_iter()
                    .map(|(revision, requests)| RevisionCount { revision, requests })
                    .collect(),
                p50_ms: percentile(&sorted, 50.0),
                p99_ms: percentile(&sorted, 99.0),
            }
        })
        .collect()
}

/// The transcript's lines about traffic.
pub fn summary_lines(s: &Session) -> String {
    let mut out = String::new();
    for c in client_summaries(s) {
        let served: Vec<String> = c
            .served_by_revision
            .iter()
            .map(|r| format!("revision {}: {}", r.revision, r.requests))
            .collect();
        let ms = |v: Option<u32>| v.map_or("-".to_string(), |v| format!("{v} ms"));
        out.push_str(&format!(
            "# traffic {} -> {} ({}): {} requests, {} ok ({:.4}), {} refused, {} reset, {} timeout, {} no-endpoints; served by {}; p50 {}, p99 {}\n",
            c.client,
            c.service,
            c.connection,
            c.requests,
            c.ok,
            c.success_ratio,
            c.refused,
            c.reset,
            c.timeout,
            c.no_endpoints,
            if served.is_empty() { "none".to_string() } else { served.join(", ") },
            ms(c.p50_ms),
            ms(c.p99_ms),
        ));
    }
    out
}

/// `traffic.csv`: `time_s,client,revision,outcome,count` — per second of sending, client,
/// serving revision (empty when no pod answered) and outcome with a non-zero count.
pub fn traffic_csv(s: &Session) -> String {
    let mut rows = Vec::new();
    for c in clients(s) {
        for (sec, st) in c.seconds.iter().enumerate() {
            let mut ok = st.ok_by_revision.clone();
            ok.sort_unstable();
            for (rev, n) in ok {
                rows.push(vec![
                    sec.to_string(),
                    c.name.clone(),
                    rev.to_string(),
                    "ok".into(),
                    n.to_string(),
                ]);
            }
            for o in &Outcome::ALL[1..] {
                let n = st.failed[o.index()];
                if n > 0 {
                    rows.push(vec![
                        sec.to_string(),
                        c.name.clone(),
                        String::new(),
                        o.as_str().into(),
                        n.to_string(),
                    ]);
                }
            }
        }
    }
    csv_text(
        &["time_s", "client", "revision", "outcome", "count"],
        rows.into_iter(),
    )
}

/// `latency.csv`: `time_s,client,p50_ms,p90_ms,p99_ms,max_ms` per second of sending, for
/// answered requests.
pub fn latency_csv(s: &Session) -> String {
    let mut rows = Vec::new();
    for c in clients(s) {
        for (sec, st) in c.seconds.iter().enumerate() {
            if st.latencies_ms.is_empty() {
                continue;
            }
            let mut v = st.latencies_ms.clone();
            v.sort_unstable();
            let p = |q| percentile(&v, q).map_or(String::new(), |x| x.to_string());
            rows.push(vec![
                sec.to_string(),
                c.name.clone(),
                p(50.0),
                p(90.0),
                p(99.0),
                p(100.0),
            ]);
        }
    }
    csv_text(
        &["time_s", "client", "p50_ms", "p90_ms", "p99_ms", "max_ms"],
        rows.into_iter(),
    )
}

/// `endpoints.csv`: `time_s,service,node,ready,serving,terminating` each time a node's
/// kube-proxy view of a Service changes.
pub fn endpoints_csv(s: &Session) -> String {
    let Some(t) = s.cluster.traffic() else {
        return csv_text(&[], std::iter::empty());
    };
    let mut last: std::collections::BTreeMap<(u32, u32), (u32, u32, u32)> = Default::default();
    let mut rows = Vec::new();
    for v in &t.stats.views {
        let now = (v.ready, v.serving, v.terminating);
        if last.insert((v.service, v.node), now) == Some(now) {
            continue;
        }
        rows.push(vec![
            super::seconds(v.time),
            crate::model::report_name(&t.endpoints.services[v.service as usize].service),
            s.cluster.store.nodes[v.node as usize].name.clone(),
            v.ready.to_string(),
            v.serving.to_string(),
            v.terminating.to_string(),
        ]);
    }
    csv_text(
        &[
            "time_s",
            "service",
            "node",
            "ready",
            "serving",
            "terminating",
        ],
        rows.into_iter(),
    )
}

/// `endpoints-ready.csv`, for the rollout chart: `time_s,service,deployments,ready` — the
/// ready endpoints each time the EndpointSlice controller wrote a Service's slices, with the
/// Deployments (space-separated) whose pods the Service selects at the end of the run.
pub fn slices_csv(s: &Session) -> String {
    let Some(t) = s.cluster.traffic() else {
        return csv_text(&[], std::iter::empty());
    };
    let store = &s.cluster.store;
    let selected = |service: &crate::model::ObjectKey| -> String {
        let Some(svc) = store.services.get(service) else {
            return String::new();
        };
        store
            .deployment_names
            .iter()
            .filter(|((ns, _), id)| {
                *ns == service.0
                    && store
                        .deployment(**id)
                        .is_some_and(|d| svc.selects(&d.spec.template.metadata.labels))
            })
            .map(|(key, _)| crate::model::report_name(key))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = t.stats.slices.iter().map(|x| {
        let service = &t.endpoints.services[x.service as usize].service;
        vec![
            super::seconds(x.time),
            crate::model::report_name(service),
            selected(service),
            x.ready.to_string(),
        ]
    });
    csv_text(&["time_s", "service", "deployments", "ready"], rows)
}
