//! The scale benchmark: a generated cluster and Deployment, v1 applied and rolled out, then
//! rolled to v2 with realistic latencies — the same store, controllers and event loop as
//! `rollsim run`, with every pod's full lifecycle. Wall time is measured by the caller.

use crate::check;
use crate::cluster::{Cluster, ClusterConfig, NodeSpec, Timing};
use crate::model::manifest::{Manifest, parse_manifests};
use crate::model::*;
use crate::sim::{Budget, BudgetExceeded, SimTime};
use std::collections::BinaryHeap;

/// What to generate.
#[derive(Debug, Clone)]
pub struct BenchParams {
    /// Deployment replicas.
    pub replicas: u32,
    /// Nodes.
    pub nodes: u32,
    #[allow(missing_docs)]
    pub seed: u64,
    /// `maxSurge` as written (`25%`, `3`).
    pub max_surge: String,
    /// `maxUnavailable` as written.
    pub max_unavailable: String,
    /// Record per-pod Kubernetes events too (Deployment events are always kept).
    pub record_events: bool,
    /// Also check the surge ceiling and availability floor after every event of the v2
    /// rollout (slower; for tests).
    pub check_invariants: bool,
    /// A `DoNotSchedule` topology spread constraint over the nodes' 10 zones (maxSkew 1).
    pub spread: bool,
    /// A required pod anti-affinity term on `kubernetes.io/hostname` (against a cache's
    /// pods, which do not exist: every node is checked, none refused).
    pub anti_affinity: bool,
    /// Preferences the score plugins weigh: a `ScheduleAnyway` spread over the zones and a
    /// preferred node affinity for half of them (every pod scored on a sample of nodes).
    pub prefer: bool,
}

impl Default for BenchParams {
    fn default() -> Self {
        BenchParams {
            replicas: 1000,
            nodes: 100,
            seed: 1,
            max_surge: "25%".into(),
            max_unavailable: "25%".into(),
            record_events: false,
            check_invariants: false,
            spread: false,
            anti_affinity: false,
            prefer: false,
        }
    }
}

/// Figures of one benchmark run (everything but wall time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchResult {
    /// Events processed, v1 and v2.
    pub events: u64,
    /// Virtual time when v2 was complete.
    pub virtual_end: SimTime,
    /// Virtual time the v2 rollout took.
    pub rollout: SimTime,
    /// Pods ever created.
    pub pods_created: usize,
    /// Most pods existing at once (terminating included).
    pub peak_pods: usize,
}

/// Why a benchmark could not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchError {
    /// The generated manifest was refused (bad surge or unavailability values).
    Invalid(String),
    /// The event budget ran out.
    Budget(String),
    /// A rollout did not complete within a day of virtual time.
    Stuck(&'static str),
    /// An invariant broke (only with `check_invariants`).
    Invariant(String),
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BenchError::Invalid(e) | BenchError::Budget(e) | BenchError::Invariant(e) => {
                f.write_str(e)
            }
            BenchError::Stuck(which) => write!(
                f,
                "the {which} rollout did not complete within a day of virtual time (not enough node capacity?)"
            ),
        }
    }
}

impl std::error::Error for BenchError {}

impl From<BudgetExceeded> for BenchError {
    fn from(e: BudgetExceeded) -> Self {
        BenchError::Budget(e.to_string())
    }
}

/// Latencies of the benchmark: a registry pull per image and node, a second to start,
/// graceful stops up to two seconds, 5 ms controller reactions.
pub fn realistic_timing() -> Timing {
    Timing::default()
}

/// Nodes big enough for their share of pods plus the surge: 110 pods (the kubelet default)
/// and room in CPU and memory for all of them.
/// Nodes are spread over 10 zones.
fn node(i: u32) -> NodeSpec {
    NodeSpec {
        name: format!("node-{i}"),
        cpu_millis: 64_000,
        memory_bytes: 256 << 30,
        max_pods: 110,
        labels: [(ZONE_LABEL.to_string(), format!("zone-{}", i % 10))].into(),
        taints: Vec::new(),
    }
}

/// The well-known zone label.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The template's scheduling constraints the options ask for, as YAML under `spec:`.
fn constraints(p: &BenchParams) -> String {
    let spread = |when: &str| {
        format!(
            "      - {{maxSkew: 1, topologyKey: {ZONE_LABEL}, whenUnsatisfiable: {when}, labelSelector: {{matchLabels: {{app: bench}}}}}}\n"
        )
    };
    let mut yaml = String::new();
    if p.spread || p.prefer {
        yaml.push_str("      topologySpreadConstraints:\n");
    }
    if p.spread {
        yaml.push_str(&spread("DoNotSchedule"));
    }
    if p.prefer {
        yaml.push_str(&spread("ScheduleAnyway"));
    }
    if p.anti_affinity || p.prefer {
        yaml.push_str("      affinity:\n");
    }
    if p.prefer {
        yaml.push_str(&format!(
            "        nodeAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          - {{weight: 10, preference: {{matchExpressions: [{{key: {ZONE_LABEL}, operator: In, values: [zone-0, zone-1, zone-2, zone-3, zone-4]}}]}}}}\n"
        ));
    }
    if p.anti_affinity {
        yaml.push_str(
            "        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: bench-cache}}}\n",
        );
    }
    yaml
}

/// An IntOrString as YAML: integers bare (`3`, `-1`), anything else quoted (`"25%"`).
fn int_or_string(v: &str) -> String {
    if v.parse::<i64>().is_ok() {
        v.to_string()
    } else {
        format!("{v:?}")
    }
}

/// The generated Deployment at `version`.
pub fn manifest(p: &BenchParams, version: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bench\nspec:\n  replicas: {}\n  strategy:\n    rollingUpdate: {{maxSurge: {}, maxUnavailable: {}}}\n  selector:\n    matchLabels: {{app: bench}}\n  template:\n    metadata:\n      labels: {{app: bench}}\n    spec:\n{}      containers:\n      - name: app\n        image: example/bench:{version}\n        resources:\n          requests: {{cpu: 100m, memory: 128Mi}}\n",
        p.replicas,
        int_or_string(&p.max_surge),
        int_or_string(&p.max_unavailable),
        constraints(p)
    )
}

/// Applies the generated Deployment at `version`.
pub fn apply(c: &mut Cluster, p: &BenchParams, version: u32) -> Result<DeploymentId, BenchError> {
    let manifests = parse_manifests(&manifest(p, version))
        .map_err(|e| BenchError::Invalid(format!("generated manifest: {e}")))?;
    for m in manifests {
        if let Manifest::Deployment(d) = m {
            c.apply_deployment(DEFAULT_NAMESPACE, &d)
                .map_err(|e| BenchError::Invalid(e.0))?;
        }
    }
    c.store
        .deployment_by_name(DEFAULT_NAMESPACE, "bench")
        .map(|(id, _)| id)
        .ok_or(BenchError::Stuck("v1"))
}

/// Builds the cluster and runs v1 then v2 to completion.
pub fn run(p: &BenchParams) -> Result<BenchResult, BenchError> {
    run_keeping_cluster(p).map(|(r, _)| r)
}

/// As [`run`], also handing back the cluster, so a caller timing the run can free its
/// memory after stopping the clock.
pub fn run_keeping_cluster(p: &BenchParams) -> Result<(BenchResult, Cluster), BenchError> {
    let mut c = generated_cluster(p);
    let mut peak = 0;
    let id = apply(&mut c, p, 1)?;
    wait_complete(&mut c, id, "v1", &mut peak, false)?;
    let start = c.now();
    apply(&mut c, p, 2)?;
    wait_complete(&mut c, id, "v2", &mut peak, p.check_invariants)?;
    let result = BenchResult {
        events: c.events_processed(),
        virtual_end: c.now(),
        rollout: SimTime::from_ms(c.now().ms_since(start)),
        pods_created: c.store.pods.len(),
        peak_pods: peak,
    };
    Ok((result, c))
}

/// The generated cluster: its nodes, nothing applied yet.
pub fn generated_cluster(p: &BenchParams) -> Cluster {
    let mut c = Cluster::new(ClusterConfig {
        seed: p.seed,
        timing: realistic_timing(),
        budget: Budget {
            max_events: u64::MAX,
            until: SimTime::NEVER,
        },
        record_events: p.record_events,
        ..Default::default()
    });
    for i in 1..=p.nodes {
        c.add_node(node(i));
    }
    c
}

fn wait_complete(
    c: &mut Cluster,
    id: DeploymentId,
    which: &'static str,
    peak: &mut usize,
    check: bool,
) -> Result<(), BenchError> {
    let limit = c.now().plus_secs(24 * 3600);
    loop {
        if !c.step_until(limit)? {
            return Err(BenchError::Stuck(which));
        }
        *peak = (*peak).max(c.store.existing_pods);
        if check {
            check::surge_ceiling(c, id).map_err(|v| BenchError::Invariant(v.0))?;
            check::availability_floor(c, id).map_err(|v| BenchError::Invariant(v.0))?;
        }
        if check::rollout_complete(c, id) {
            return Ok(());
        }
    }
}

/// The ceiling for any event loop: a bare binary heap of `(time, seq)` keys, where each
/// popped event schedules one more a pseudo-random few milliseconds later, with `live`
/// events pending. Returns the events processed (its caller times it).
pub fn bare_heap_loop(events: u64, live: usize) -> u64 {
    let mut heap: BinaryHeap<std::cmp::Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut seq = 0;
    for i in 0..live {
        seq += 1;
        heap.push(std::cmp::Reverse((i as u64, seq, i as u32)));
    }
    let mut done = 0;
    let mut checksum = 0u64;
    while done < events {
        let Some(std::cmp::Reverse((t, _, payload))) = heap.pop() else {
            break;
        };
        checksum = checksum.wrapping_add(u64::from(payload));
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        seq += 1;
        heap.push(std::cmp::Reverse((t + 1 + x % 5000, seq, payload)));
        done += 1;
    }
    std::hint::black_box(checksum);
    done
}

/// The traffic benchmark: clients at a steady rate through a Service while a Deployment
/// rolls from v1 to v2, for a stretch of virtual time — the same scenario path as
/// `rollsim run`.
#[derive(Debug, Clone)]
pub struct TrafficBenchParams {
    /// Deployment replicas.
    pub replicas: u32,
    /// Nodes (every node sends a share of the requests).
    pub nodes: u32,
    /// Requests per second.
    pub rate_per_s: u32,
    /// Virtual minutes; v2 is applied after a third of them.
    pub minutes: u32,
    /// `new`, `keepalive` or `http2`.
    pub connection: String,
    #[allow(missing_docs)]
    pub seed: u64,
}

impl Default for TrafficBenchParams {
    fn default() -> Self {
        TrafficBenchParams {
            replicas: 100,
            nodes: 10,
            rate_per_s: 1000,
            minutes: 60,
            connection: "new".into(),
            seed: 1,
        }
    }
}

/// The scenario the traffic benchmark plays.
pub fn traffic_scenario_text(p: &TrafficBenchParams) -> String {
    let deployment = |image: &str| {
        format!(
            "    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: web}}\n    spec:\n      replicas: {}\n      selector: {{matchLabels: {{app: web}}}}\n      template:\n        metadata: {{labels: {{app: web}}}}\n        spec:\n          containers: [{{name: nginx, image: \"{image}\"}}]\n",
            p.replicas
        )
    };
    format!(
        "name: bench-traffic\nseed: {seed}\ncluster:\n  nodes:\n    - {{name: node, count: {nodes}, cpu: \"64\", memory: 256Gi, pods: 110}}\ntraffic:\n  - {{name: load, service: web, rate: {rate}/s, connection: {conn}}}\nfiles:\n  v1.yml: |\n{v1}    ---\n    apiVersion: v1\n    kind: Service\n    metadata: {{name: web}}\n    spec:\n      selector: {{app: web}}\n      ports: [{{port: 80}}]\n  v2.yml: |\n{v2}script:\n  - kubectl apply -f v1.yml\n  - kubectl rollout status deployment web\n  - {{at: {third}s, run: kubectl apply -f v2.yml}}\n  - kubectl rollout status deployment web\n  - sleep {minutes}m\nuntil: {minutes}m\n",
        seed = p.seed,
        nodes = p.nodes,
        rate = p.rate_per_s,
        conn = p.connection,
        v1 = deployment("nginx:1.21-alpine"),
        v2 = deployment("nginx:1.22-alpine"),
        third = u64::from(p.minutes) * 20,
        minutes = p.minutes,
    )
}

/// Figures of one traffic benchmark run (everything but wall time).
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficBenchResult {
    /// Requests sent.
    pub requests: u64,
    /// Requests answered.
    pub ok: u64,
    /// Events processed.
    pub events: u64,
    /// Virtual time covered.
    pub virtual_end: SimTime,
}

/// Plays the traffic benchmark; the session is returned so the caller can free it after
/// stopping its clock.
pub fn run_traffic(
    p: &TrafficBenchParams,
) -> Result<(TrafficBenchResult, crate::play::Session), String> {
    let text = traffic_scenario_text(p);
    let files = crate::scenario::Files::Embedded(&[]);
    let replicas = p.replicas as usize;
    let scenario = crate::scenario::parse(&text, "bench-traffic", &files, replicas * 2 + 1)
        .map_err(|e| e.to_string())?;
    let session = crate::play::play(
        &scenario,
        crate::play::PlayOptions {
            max_pods: replicas * 2 + 1,
            max_events: u64::MAX,
            ..Default::default()
        },
    );
    if let Some(why) = &session.aborted {
        return Err(why.clone());
    }
    let (requests, ok) = crate::report::traffic::client_summaries(&session)
        .iter()
        .fold((0, 0), |(r, o), c| (r + c.requests, o + c.ok));
    let result = TrafficBenchResult {
        requests,
        ok,
        events: session.cluster.events_processed(),
        virtual_end: session.cluster.now(),
    };
    Ok((result, session))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::{Api, replica_set};

    #[test]
    fn replica_set_victims_are_the_first_of_a_ranking_of_every_active_pod() {
        // The pick from not-Ready pods and the top rank levels must be the one ranking all
        // active pods gives, at every moment of a rollout (uneven levels, fresh and old
        // Ready times, pods not yet Ready) and for any number of pods to delete.
        let params = BenchParams {
            replicas: 90,
            nodes: 7,
            ..Default::default()
        };
        let mut c = generated_cluster(&params);
        let mut compared = 0;
        for version in 1..=2 {
            let d = apply(&mut c, &params, version).expect("applies");
            let limit = c.now().plus_secs(3600);
            while !check::rollout_complete(&c, d) {
                assert!(c.step_until(limit).expect("within budget"), "stuck");
                let now = c.now();
                for r in c
                    .store()
                    .deployment(d)
                    .expect("exists")
                    .replica_sets
                    .clone()
                {
                    let active = c.store().rs_pods[r.0 as usize].active.clone();
                    let ranks: Vec<replica_set::PodRank> = active
                        .iter()
                        .map(|&p| replica_set::pod_rank(&c, p, d))
                        .collect();
                    for n in [1, 2, active.len() / 3, active.len().saturating_sub(1)] {
                        if n == 0 || n >= active.len() {
                            continue;
                        }
                        let want = replica_set::pods_to_delete(ranks.clone(), n, now);
                        // Both list the pods in deletion order.
                        let got = replica_set::victims(&c, r, n, now);
                        assert_eq!(got, want, "{n} of ReplicaSet #{} at {now}", r.0);
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1000, "only {compared} picks compared");
    }
}
