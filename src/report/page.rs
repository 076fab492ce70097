//! `report.html`: one self-contained page per run (no network, opens from disk) with the
//! transcript, the charts as inline SVG and a time cursor shared by all of them. The page
//! is the run's records as JSON plus a small script that shows the cluster at the cursor;
//! every explanation comes from the same records as the transcript's and `explain.csv`'s.

use super::lang::Lang;
use super::seconds;
use crate::play::Session;
use crate::sim::SimTime;
use serde::Serialize;

/// Most pods the page carries; above it an even sample is shown, and the page says so.
pub const MAX_PAGE_PODS: usize = 2_000;
/// Most transcript lines the page carries (the rest is in `transcript.txt`).
pub const MAX_PAGE_LINES: usize = 20_000;
/// Most explanations the page carries.
pub const MAX_PAGE_DECISIONS: usize = 20_000;

static STYLE: &str = include_str!("page/page.css");
static SCRIPT: &str = include_str!("page/page.js");

/// A chart drawn for the page: its SVG and where its time axis lies.
#[derive(Debug, Clone, Serialize)]
pub struct PageChart {
    /// What the chart shows, for its heading and screen readers.
    pub title: String,
    /// The SVG text.
    pub svg: String,
    /// Pixel column of time 0.
    pub left: i32,
    /// Pixel column of the axis' last second.
    pub right: i32,
    /// The axis' last second.
    pub seconds: f64,
    /// The picture's width in pixels.
    pub width: u32,
}

#[derive(Serialize)]
struct PageData<'a> {
    lang: &'static str,
    text: &'static super::lang::PageText,
    scenario: &'a str,
    seed: u64,
    end_ms: u64,
    nodes: Vec<&'a str>,
    replica_sets: Vec<RsView>,
    pods: Vec<PodView>,
    pods_total: usize,
    pods_step: usize,
    decisions: Vec<DecisionView>,
    decisions_total: usize,
    lines: Vec<(u64, String)>,
    lines_total: usize,
    services: Vec<ServiceView>,
    clients: Vec<ClientView>,
}

/// A ReplicaSet and its counts over time: `[time_ms, revision, desired, current, ready,
/// available]`.
#[derive(Serialize)]
struct RsView {
    name: String,
    deployment: String,
    images: String,
    containers: usize,
    samples: Vec<[i64; 6]>,
}

/// A pod: its ReplicaSet (index into `replica_sets`), node (index into `nodes`), moments
/// and its STATUS over time: `(time_ms, status, ready, available, restarts, state)`, with
/// `state` the timeline's colour index (a Pending pod counts as unscheduled there; the page
/// turns it to "creating" once the cursor passes `scheduled`).
#[derive(Serialize)]
struct PodView {
    name: String,
    rs: u32,
    node: Option<u32>,
    ip: String,
    created: u64,
    scheduled: Option<u64>,
    gone: Option<u64>,
    statuses: Vec<(u64, &'static str, bool, bool, u32, usize)>,
}

#[derive(Serialize)]
struct DecisionView {
    t: u64,
    controller: &'static str,
    object: String,
    decision: String,
    reason: String,
}

/// A Service's ready endpoints over time: `[time_ms, ready]`.
#[derive(Serialize)]
struct ServiceView {
    service: String,
    samples: Vec<[u64; 2]>,
}

/// A client's requests by second sent: `[answered, failed]`.
#[derive(Serialize)]
struct ClientView {
    client: String,
    seconds: Vec<[u64; 2]>,
}

/// Every transcript line with the time it was printed at (output lines take the time of
/// the command before them).
fn transcript_lines(s: &Session) -> Vec<(u64, String)> {
    let mut now = 0;
    let mut lines = Vec::new();
    for e in &s.transcript {
        if let Some(t) = super::entry_time(e) {
            now = t.as_ms();
        }
        for line in super::entry_text(e).lines() {
            lines.push((now, line.to_string()));
        }
    }
    lines
}

fn replica_sets(s: &Session) -> (Vec<RsView>, Vec<Option<u32>>) {
    let store = &s.cluster.store;
    let mut index = vec![None; store.replica_sets.len()];
    let mut views = Vec::new();
    for (i, rs) in store.replica_sets.iter().enumerate() {
        let Some(rs) = rs else { continue };
        index[i] = Some(views.len() as u32);
        views.push(RsView {
            name: rs.meta.report_name(),
            deployment: store
                .deployments
                .get(rs.owner.0 as usize)
                .and_then(Option::as_ref)
                .map_or(String::new(), |d| d.meta.report_name()),
            images: rs
                .template
                .spec
                .containers
                .iter()
                .map(|c| c.image.as_str())
                .collect::<Vec<_>>()
                .join(","),
            // `printPod`'s READY counts sidecars too.
            containers: rs.template.spec.containers.len()
                + rs.template
                    .spec
                    .init_containers
                    .iter()
                    .filter(|k| k.is_sidecar())
                    .count(),
            samples: Vec::new(),
        });
    }
    for x in &s.cluster.recorder.rs_samples {
        if let Some(Some(i)) = index.get(x.rs as usize) {
            views[*i as usize].samples.push([
                x.time.as_ms() as i64,
                x.revision,
                x.desired.into(),
                x.current.into(),
                x.ready.into(),
                x.available.into(),
            ]);
        }
    }
    (views, index)
}

/// Every `step`th pod in creation order, so that the page stays responsive.
fn page_pod_step(total: usize) -> usize {
    total.div_ceil(MAX_PAGE_PODS).max(1)
}

fn pods(s: &Session, rs_index: &[Option<u32>], step: usize) -> Vec<PodView> {
    let store = &s.cluster.store;
    let ms = |t: Option<SimTime>| t.map(SimTime::as_ms);
    let mut views: Vec<PodView> = store
        .pods
        .iter()
        .step_by(step)
        .map(|p| PodView {
            name: store.pod_report_name(p),
            rs: rs_index
                .get(p.owner.0 as usize)
                .copied()
                .flatten()
                .unwrap_or(0),
            node: p.node.map(|n| n.0),
            ip: if p.ip == 0 {
                String::new()
            } else {
                std::net::Ipv4Addr::from(p.ip).to_string()
            },
            created: p.created_at.as_ms(),
            scheduled: ms(p.times.scheduled),
            gone: ms(p.times.gone),
            statuses: Vec::new(),
        })
        .collect();
    for x in &s.cluster.recorder.pod_statuses {
        let i = x.pod as usize;
        if i.is_multiple_of(step)
            && let Some(v) = views.get_mut(i / step)
        {
            let scheduled = v.scheduled.is_some_and(|s| s <= x.time.as_ms());
            let state = super::charts::pod_state(x.status, scheduled, x.ready, x.available);
            let row = (
                x.time.as_ms(),
                x.status,
                x.ready,
                x.available,
                x.restarts,
                state,
            );
            v.statuses.push(row);
        }
    }
    views
}

fn decisions(s: &Session, lang: Lang) -> Vec<DecisionView> {
    s.cluster
        .recorder
        .explanations
        .iter()
        .take(MAX_PAGE_DECISIONS)
        .map(|e| {
            let (decision, reason) = lang.explain(e);
            DecisionView {
                t: e.time.as_ms(),
                controller: e.controller(),
                object: e.object(),
                decision,
                reason,
            }
        })
        .collect()
}

fn services(s: &Session) -> Vec<ServiceView> {
    let Some(t) = s.cluster.traffic() else {
        return Vec::new();
    };
    let mut views: Vec<ServiceView> = t
        .endpoints
        .services
        .iter()
        .map(|x| ServiceView {
            service: crate::model::report_name(&x.service),
            samples: Vec::new(),
        })
        .collect();
    for x in &t.stats.slices {
        if let Some(v) = views.get_mut(x.service as usize) {
            v.samples.push([x.time.as_ms(), x.ready.into()]);
        }
    }
    views
}

fn clients(s: &Session) -> Vec<ClientView> {
    let Some(t) = s.cluster.traffic() else {
        return Vec::new();
    };
    t.stats
        .clients
        .iter()
        .map(|c| ClientView {
            client: c.name.clone(),
            seconds: c
                .seconds
                .iter()
                .map(|x| {
                    let ok = x.ok_by_revision.iter().map(|(_, n)| n).sum();
                    [ok, x.failed.iter().sum()]
                })
                .collect(),
        })
        .collect()
}

fn page_data<'a>(s: &'a Session, lang: Lang) -> PageData<'a> {
    let (replica_sets, rs_index) = replica_sets(s);
    let total = s.cluster.store.pods.len();
    let step = page_pod_step(total);
    let mut lines = transcript_lines(s);
    let lines_total = lines.len();
    lines.truncate(MAX_PAGE_LINES);
    PageData {
        lang: lang.tag(),
        text: lang.page_text(),
        scenario: &s.name,
        seed: s.seed,
        end_ms: s.cluster.now().as_ms(),
        nodes: s
            .cluster
            .store
            .nodes
            .iter()
            .map(|n| n.name.as_str())
            .collect(),
        pods: pods(s, &rs_index, step),
        replica_sets,
        pods_total: total,
        pods_step: step,
        decisions: decisions(s, lang),
        decisions_total: s.cluster.recorder.explanations.len(),
        lines,
        lines_total,
        services: services(s),
        clients: clients(s),
    }
}

/// Text safe inside HTML elements and attributes.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JSON safe inside a `<script>` element (no `</script>` or `<!--` can end it early).
fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
}

/// One chart's figure: the SVG with a cursor layer over its time axis.
fn chart_figure(i: usize, c: &PageChart) -> String {
    format!(
        "<figure class=\"chart\" id=\"chart-{i}\" data-left=\"{}\" data-right=\"{}\" data-seconds=\"{}\" data-width=\"{}\">\n<figcaption>{}</figcaption>\n<div class=\"chart-box\" role=\"img\" aria-label=\"{}\">{}<div class=\"cursor-line\" aria-hidden=\"true\"></div></div>\n</figure>\n",
        c.left,
        c.right,
        c.seconds,
        c.width,
        escape_html(&c.title),
        escape_html(&c.title),
        strip_xml_declaration(&c.svg)
    )
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// The pod states' colours as CSS classes `.s0` … `.s8`, from the charts' own table.
fn state_colours() -> String {
    super::charts::STATES
        .iter()
        .enumerate()
        .map(|(i, c)| format!(".s{i} {{ background: rgb({}, {}, {}); }}\n", c.0, c.1, c.2))
        .collect()
}

/// The whole page.
pub fn report_html(s: &Session, lang: Lang, charts: &[PageChart]) -> String {
    let data = page_data(s, lang);
    let t = lang.page_text();
    let title = format!("{} — {} (seed {})", escape_html(&s.name), t.title, s.seed);
    let figures: String = charts
        .iter()
        .enumerate()
        .map(|(i, c)| chart_figure(i, c))
        .collect();
    let end = seconds(s.cluster.now());
    let mut page = String::with_capacity(64 * 1024);
    page.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>\n{}{STYLE}</style>\n</head>\n<body>\n",
        lang.tag(),
        state_colours()
    ));
    page.push_str(&format!(
        "<header><h1>{title}</h1><p id=\"keys\">{}</p></header>\n",
        t.keys
    ));
    page.push_str(&format!(
        "<section id=\"controls\" aria-label=\"{}\">\n<button id=\"prev-decision\" type=\"button\">{}</button>\n<button id=\"prev\" type=\"button\" aria-label=\"{}\">←</button>\n<input id=\"cursor\" type=\"range\" min=\"0\" max=\"{}\" value=\"0\" step=\"1\" aria-label=\"{}\">\n<button id=\"next\" type=\"button\" aria-label=\"{}\">→</button>\n<button id=\"next-decision\" type=\"button\">{}</button>\n<output id=\"clock\" for=\"cursor\" aria-live=\"polite\">00:00:00.000 / {end}</output>\n</section>\n",
        t.cursor,
        t.prev_decision,
        t.prev_event,
        s.cluster.now().as_ms(),
        t.cursor,
        t.next_event,
        t.next_decision
    ));
    page.push_str(&format!(
        "<main>\n<section id=\"explanation\" aria-live=\"polite\" aria-labelledby=\"explanation-h\"><h2 id=\"explanation-h\">{}</h2><div id=\"explanation-body\"></div></section>\n\
<section id=\"replicasets\" aria-labelledby=\"rs-h\"><h2 id=\"rs-h\">kubectl get rs</h2><div id=\"rs-table\"></div></section>\n\
<section id=\"nodes\" aria-labelledby=\"nodes-h\"><h2 id=\"nodes-h\">{}</h2><div id=\"node-legend\"></div><div id=\"node-view\"></div></section>\n\
<section id=\"traffic\" aria-labelledby=\"traffic-h\" hidden><h2 id=\"traffic-h\">{}</h2><div id=\"traffic-body\"></div></section>\n\
<section id=\"pods\" aria-labelledby=\"pods-h\"><h2 id=\"pods-h\">kubectl get pods -o wide</h2><p id=\"pods-note\"></p><div id=\"pod-table\"></div></section>\n\
<section id=\"charts\" aria-labelledby=\"charts-h\"><h2 id=\"charts-h\">{}</h2>\n{figures}</section>\n\
<section id=\"transcript\" aria-labelledby=\"transcript-h\"><h2 id=\"transcript-h\">{}</h2><p id=\"transcript-note\"></p><ol id=\"transcript-lines\"></ol></section>\n</main>\n",
        t.explanation, t.nodes, t.traffic, t.charts, t.transcript
    ));
    page.push_str(&format!(
        "<script id=\"run-data\" type=\"application/json\">{}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        script_json(&data)
    ));
    page
}

/// The charts of a run as the page shows them, with their time axes.
pub fn page_charts(
    files: &super::charts::RunFiles,
    traffic_csv: &str,
) -> Result<Vec<PageChart>, super::charts::ChartError> {
    let data = super::charts::RunData::parse(files)?;
    let mut out = super::charts::page_charts(&data)?;
    if !traffic_csv.is_empty() {
        let t = super::traffic_chart::traffic_data(traffic_csv, &data)?;
        out.push(super::traffic_chart::page_chart(&t)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let text = script_json(&vec!["</script><script>alert(1)</script>", "<!--"]);
        assert!(!text.contains('<'), "{text}");
        assert!(text.contains("\\u003c/script>"));
    }

    #[test]
    fn the_pod_sample_keeps_the_page_under_its_bound() {
        assert_eq!(page_pod_step(0), 1);
        assert_eq!(page_pod_step(MAX_PAGE_PODS), 1);
        assert_eq!(page_pod_step(MAX_PAGE_PODS + 1), 2);
        assert_eq!(page_pod_step(150_000), 75);
        assert!(150_000usize.div_ceil(page_pod_step(150_000)) <= MAX_PAGE_PODS);
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
