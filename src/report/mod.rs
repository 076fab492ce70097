//! Reports of a played scenario, as text: the transcript, the summary (text and YAML) and
//! the CSV files. Writing them to disk is the command line's job.

use crate::kubectl::get::pod_status;
use crate::play::{Entry, Rollout, Session};
use crate::sim::SimTime;
use serde::{Deserialize, Serialize};

pub mod charts;
pub mod lang;
pub mod page;
pub mod traffic;
pub mod traffic_chart;

/// Every chart of a run folder, from the text of its files (`charts::INPUT_FILES` in
/// order, then `traffic.csv`, empty when absent): what `rollsim run` writes and `rollsim
/// plot` redraws.
pub fn draw_all(
    files: &charts::RunFiles,
    traffic_csv: &str,
) -> Result<Vec<(String, Vec<u8>)>, charts::ChartError> {
    let data = charts::RunData::parse(files)?;
    let mut drawn = charts::render(&data)?;
    if !traffic_csv.is_empty() {
        let t = traffic_chart::traffic_data(traffic_csv, &data)?;
        drawn.extend(traffic_chart::render_traffic(&t)?);
    }
    Ok(drawn)
}

/// Seconds with millisecond precision, exactly (`12.345`).
pub fn seconds(t: SimTime) -> String {
    let ms = t.as_ms();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The terminal session: each command after its virtual time, its output as kubectl prints
/// it, later lines of blocking commands with their own time, then the summary.
pub fn transcript(s: &Session) -> String {
    transcript_in(s, lang::Lang::En)
}

/// [`transcript`] with its summary in a language (kubectl's lines stay as kubectl prints
/// them).
pub fn transcript_in(s: &Session, lang: lang::Lang) -> String {
    let mut out = String::new();
    for e in &s.transcript {
        out.push_str(&entry_text(e));
    }
    out.push('\n');
    out.push_str(&summary_text_in(s, lang));
    out
}

/// One transcript entry as the terminal shows it.
fn entry_text(e: &Entry) -> String {
    match e {
        Entry::Command { time, text } => format!("[{time}] $ {text}\n"),
        Entry::Output(text) if text.ends_with('\n') => text.clone(),
        Entry::Output(text) => format!("{text}\n"),
        Entry::Later { time, text } => format!("[{time}] {text}\n"),
        Entry::Note { time, text } => format!("[{time}] # {text}\n"),
    }
}

/// When an entry was printed (`None` for output, printed with the entry before it).
fn entry_time(e: &Entry) -> Option<SimTime> {
    match e {
        Entry::Command { time, .. } | Entry::Later { time, .. } | Entry::Note { time, .. } => {
            Some(*time)
        }
        Entry::Output(_) => None,
    }
}

/// The transcript with each controller decision's arithmetic (`--explain`): lines
/// `[time] # why: …`, each before the first entry printed at or after its moment (a
/// decision made at an instant comes before what a watch printed at that instant).
pub fn transcript_explained(s: &Session, lang: lang::Lang) -> String {
    let explanations = &s.cluster.recorder.explanations;
    let mut next = 0;
    let mut out = String::new();
    let mut flush = |out: &mut String, before: Option<SimTime>| {
        while let Some(e) = explanations.get(next) {
            if before.is_some_and(|t| e.time > t) {
                break;
            }
            let (decision, reason) = lang.explain(e);
            out.push_str(&format!(
                "[{}] # {}: {} {} {decision}: {reason}\n",
                e.time,
                lang.why(),
                e.controller(),
                e.subject()
            ));
            next += 1;
        }
    };
    for e in &s.transcript {
        if let Some(t) = entry_time(e) {
            flush(&mut out, Some(t));
        }
        out.push_str(&entry_text(e));
    }
    flush(&mut out, None);
    out.push('\n');
    out.push_str(&summary_text_in(s, lang));
    out
}

/// `explain.csv`: every recorded decision, `time_s,controller,object,decision,reason`.
pub fn explain_csv(s: &Session, lang: lang::Lang) -> String {
    csv_text(
        &["time_s", "controller", "object", "decision", "reason"],
        s.cluster.recorder.explanations.iter().map(|e| {
            let (decision, reason) = lang.explain(e);
            vec![
                seconds(e.time),
                e.controller().to_string(),
                e.object(),
                decision,
                reason,
            ]
        }),
    )
}

fn rollout_line(t: &lang::ChartText, i: usize, r: &Rollout) -> String {
    let images = r.images.join(",");
    let end = match r.end {
        Some(end) => format!(
            "{} → {} ({} s)",
            r.start,
            end,
            seconds(SimTime::from_ms(end.ms_since(r.start)))
        ),
        None => lang::fill(t.summary_not_complete, &[("start", &r.start)]),
    };
    let bounds = if r.strategy == "Recreate" {
        "Recreate".to_string()
    } else {
        let floor = r.replicas - r.max_unavailable;
        let ceiling = r.replicas + r.max_surge;
        lang::fill(
            t.summary_bounds,
            &[("floor", &floor), ("ceiling", &ceiling)],
        )
    };
    let n = i + 1;
    let line = lang::fill(
        t.summary_rollout,
        &[
            ("n", &n),
            ("revision", &r.revision),
            ("images", &images),
            ("end", &end),
            ("min", &r.min_available),
            ("replicas", &r.replicas),
            ("spec", &r.max_pods_spec),
            ("live", &r.max_pods_live),
            ("bounds", &bounds),
        ],
    );
    line + "\n"
}

/// The short summary that ends the transcript (in English).
pub fn summary_text(s: &Session) -> String {
    summary_text_in(s, lang::Lang::En)
}

/// The short summary that ends the transcript, in a language (what users saw, from the
/// traffic model, stays in English).
pub fn summary_text_in(s: &Session, lang: lang::Lang) -> String {
    let t = lang.chart_text();
    let head = [
        ("scenario", &s.name as &dyn std::fmt::Display),
        ("seed", &s.seed),
    ];
    let mut out = lang::fill(t.summary_head, &head) + "\n";
    for (name, rollouts) in &s.rollouts {
        out.push_str(&format!("# deployment {name}\n"));
        for (i, r) in rollouts.iter().enumerate() {
            out.push_str(&rollout_line(t, i, r));
        }
    }
    let steps = [
        ("steps", &s.steps.len() as &dyn std::fmt::Display),
        ("failed", &s.unexpected_failures()),
        ("events", &s.cluster.events_processed()),
        ("time", &s.cluster.now()),
    ];
    out.push_str(&(lang::fill(t.summary_steps, &steps) + "\n"));
    out.push_str(&traffic::summary_lines(s));
    if let Some(why) = &s.aborted {
        out.push_str(&(lang::fill(t.summary_aborted, &[("why", why)]) + "\n"));
    }
    out
}

/// `summary.yaml`, also read back by `rollsim plot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryFile {
    /// Scenario name.
    pub scenario: String,
    #[allow(missing_docs)]
    pub seed: u64,
    #[allow(missing_docs)]
    pub events_processed: u64,
    /// Virtual time covered.
    pub virtual_time_s: f64,
    /// Steps run.
    pub steps: usize,
    #[allow(missing_docs)]
    pub steps_not_as_expected: usize,
    /// Why the run stopped early, if it did.
    pub aborted: Option<String>,
    #[allow(missing_docs)]
    pub deployments: Vec<DeploymentSummary>,
    /// What each client saw (absent without a `traffic:` section).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traffic: Vec<traffic::ClientSummary>,
    /// The language of the charts and page (`--lang`), absent for English; `rollsim plot`
    /// redraws in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// One Deployment's rollouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentSummary {
    #[allow(missing_docs)]
    pub name: String,
    #[allow(missing_docs)]
    pub rollouts: Vec<RolloutSummary>,
}

/// One rollout's figures (see [`crate::play::Rollout`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RolloutSummary {
    pub revision: i64,
    pub images: Vec<String>,
    pub start_s: f64,
    pub end_s: Option<f64>,
    pub duration_s: Option<f64>,
    pub strategy: String,
    pub replicas: i32,
    pub max_surge: i32,
    pub max_unavailable: i32,
    pub min_available: i32,
    pub max_pods_spec: i32,
    pub max_pods_live: i32,
}

fn secs_f64(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// The summary figures of a session, in a language (`None` for English).
pub fn summary(s: &Session, lang: lang::Lang) -> SummaryFile {
    SummaryFile {
        scenario: s.name.clone(),
        seed: s.seed,
        events_processed: s.cluster.events_processed(),
        virtual_time_s: secs_f64(s.cluster.now().as_ms()),
        steps: s.steps.len(),
        steps_not_as_expected: s.unexpected_failures(),
        aborted: s.aborted.clone(),
        deployments: s
            .rollouts
            .iter()
            .map(|(name, rollouts)| DeploymentSummary {
                name: name.clone(),
                rollouts: rollouts
                    .iter()
                    .map(|r| RolloutSummary {
                        revision: r.revision,
                        images: r.images.clone(),
                        start_s: secs_f64(r.start.as_ms()),
                        end_s: r.end.map(|e| secs_f64(e.as_ms())),
                        duration_s: r.end.map(|e| secs_f64(e.ms_since(r.start))),
                        strategy: r.strategy.to_string(),
                        replicas: r.replicas,
                        max_surge: r.max_surge,
                        max_unavailable: r.max_unavailable,
                        min_available: r.min_available,
                        max_pods_spec: r.max_pods_spec,
                        max_pods_live: r.max_pods_live,
                    })
                    .collect(),
            })
            .collect(),
        traffic: traffic::client_summaries(s),
        lang: (lang != lang::Lang::En).then(|| lang.tag().to_string()),
    }
}

/// `summary.yaml`: the summary figures, seed, scenario name and language.
pub fn summary_yaml(s: &Session, lang: lang::Lang) -> String {
    serde_yaml::to_string(&summary(s, lang))
        .unwrap_or_else(|e| format!("# summary could not be written: {e}\n"))
}

/// `deployments.csv`: each Deployment's replicas and resolved bounds whenever they change
/// (the reference lines of the rollout chart).
pub fn deployments_csv(s: &Session) -> String {
    csv_text(
        &[
            "time_s",
            "deployment",
            "replicas",
            "max_surge",
            "max_unavailable",
            "strategy",
        ],
        s.specs.iter().map(|x| {
            vec![
                seconds(x.time),
                x.deployment.clone(),
                x.replicas.to_string(),
                x.max_surge.to_string(),
                x.max_unavailable.to_string(),
                x.strategy.to_string(),
            ]
        }),
    )
}

/// `commands.csv`: the script commands that changed a Deployment (the chart's markers).
pub fn commands_csv(s: &Session) -> String {
    csv_text(
        &["time_s", "deployment", "label"],
        s.markers
            .iter()
            .map(|m| vec![seconds(m.time), m.deployment.clone(), m.label.clone()]),
    )
}

fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to memory cannot fail; a failure would only drop rows, never panic.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// `events.csv`: every Kubernetes event.
pub fn events_csv(s: &Session) -> String {
    csv_text(
        &["time_s", "type", "reason", "object", "source", "message"],
        s.cluster.recorder.events.iter().map(|e| {
            vec![
                seconds(e.time),
                e.event_type.as_str().to_string(),
                e.reason.to_string(),
                // `NS/kind/name` outside `default`, so objects of one name in two
                // namespaces stay apart.
                match e.object.namespace.as_str() {
                    crate::model::DEFAULT_NAMESPACE => {
                        format!("{}/{}", e.object.kind, e.object.name)
                    }
                    ns => format!("{ns}/{}/{}", e.object.kind, e.object.name),
                },
                e.source.to_string(),
                e.message.clone(),
            ]
        }),
    )
}

/// `replicasets.csv`: a row whenever a ReplicaSet's revision or counts change.
pub fn replicasets_csv(s: &Session) -> String {
    let store = &s.cluster.store;
    csv_text(
        &[
            "time_s",
            "deployment",
            "replicaset",
            "revision",
            "images",
            "desired",
            "current",
            "ready",
            "available",
        ],
        s.cluster.recorder.rs_samples.iter().filter_map(|sample| {
            let rs = store.replica_sets.get(sample.rs as usize)?.as_ref()?;
            let deployment = store
                .deployments
                .get(rs.owner.0 as usize)
                .and_then(Option::as_ref)
                .map_or(String::new(), |d| d.meta.report_name());
            let images: Vec<&str> = rs
                .template
                .spec
                .containers
                .iter()
                .map(|c| c.image.as_str())
                .collect();
            Some(vec![
                seconds(sample.time),
                deployment,
                rs.meta.report_name(),
                sample.revision.to_string(),
                images.join(" "),
                sample.desired.to_string(),
                sample.current.to_string(),
                sample.ready.to_string(),
                sample.available.to_string(),
            ])
        }),
    )
}

/// Each ReplicaSet's revision over time, from its samples: `(since, revision)` in order.
fn revision_history(s: &Session) -> Vec<Vec<(SimTime, i64)>> {
    let mut by_rs: Vec<Vec<(SimTime, i64)>> = vec![Vec::new(); s.cluster.store.replica_sets.len()];
    for sample in &s.cluster.recorder.rs_samples {
        if let Some(h) = by_rs.get_mut(sample.rs as usize)
            && h.last().is_none_or(|(_, r)| *r != sample.revision)
        {
            h.push((sample.time, sample.revision));
        }
    }
    by_rs
}

/// `pods.csv`: one row per pod ever created; `revision` is its ReplicaSet's revision when
/// the pod was created (undo later moves an old ReplicaSet to a new revision).
pub fn pods_csv(s: &Session) -> String {
    let store = &s.cluster.store;
    let history = revision_history(s);
    let revision_at = |rs: usize, t: SimTime| {
        history.get(rs).and_then(|h| {
            let i = h.partition_point(|(since, _)| *since <= t);
            h.get(i.checked_sub(1)?).map(|(_, r)| *r)
        })
    };
    let t = |x: Option<SimTime>| x.map_or(String::new(), seconds);
    csv_text(
        &[
            "pod",
            "replicaset",
            "revision",
            "node",
            "created_s",
            "scheduled_s",
            "started_s",
            "ready_s",
            "available_s",
            "terminating_s",
            "gone_s",
            "restarts",
            "final_state",
        ],
        store.pods.iter().map(|p| {
            let rs = store
                .replica_sets
                .get(p.owner.0 as usize)
                .and_then(Option::as_ref);
            let final_state = if p.gone { "Deleted" } else { pod_status(p) };
            vec![
                store.pod_report_name(p),
                rs.map_or(String::new(), |r| r.meta.report_name()),
                revision_at(p.owner.0 as usize, p.created_at)
                    .or(rs.map(|r| r.revision()))
                    .map_or(String::new(), |r| r.to_string()),
                p.node.map_or(String::new(), |n| store.node(n).name.clone()),
                seconds(p.created_at),
                t(p.times.scheduled),
                t(p.times.started),
                t(p.times.ready),
                t(p.times.available),
                t(p.times.terminating),
                t(p.times.gone),
                p.restarts.to_string(),
                final_state.to_string(),
            ]
        }),
    )
}

/// `faults.csv`: every fault moment (node down and up, NotReady, evictions, the first
/// failure of each kind in a ReplicaSet, random crashes); only a header without faults.
pub fn faults_csv(s: &Session) -> String {
    csv_text(
        &["time_s", "kind", "object", "detail"],
        s.cluster.recorder.faults.iter().map(|f| {
            vec![
                seconds(f.time),
                f.kind.to_string(),
                f.object.clone(),
                f.detail.clone(),
            ]
        }),
    )
}

/// `pod-status.csv`: a row whenever a pod's STATUS column, readiness or availability changes.
pub fn pod_status_csv(s: &Session) -> String {
    let store = &s.cluster.store;
    csv_text(
        &["time_s", "pod", "status", "ready", "available"],
        s.cluster.recorder.pod_statuses.iter().map(|x| {
            vec![
                seconds(x.time),
                store
                    .pods
                    .get(x.pod as usize)
                    .map_or(String::new(), |p| store.pod_report_name(p)),
                x.status.to_string(),
                x.ready.to_string(),
                x.available.to_string(),
            ]
        }),
    )
}
