//! Request-level traffic: the EndpointSlice controller's published endpoints, kube-proxy on
//! every node, the apps in pods as servers and the clients that send them requests. Each
//! part keeps its own state and random streams (named `traffic/...`, so adding traffic
//! shifts no draw of the rest of the cluster); the cluster feeds it pod facts and dispatches
//! its events, and it returns the events to queue and the apps that exited on their own.

mod client;
pub mod nginx;
mod server;
pub mod stats;

pub use client::ProbeTarget;
pub use server::Server;

use crate::controllers::endpoint_slice::EndpointSliceController;
use crate::controllers::kube_proxy::KubeProxy;
use crate::model::traffic::{AppSpec, Outcome, TrafficSpec};
use crate::model::{NodeId, PodId, RsId};
use crate::sim::{Latency, RngStreams, SimRng, SimTime};
use client::{ClientState, Conn};
use stats::{EndpointView, Stats};
use std::collections::BTreeMap;

/// No pod, connection or request.
pub(crate) const NONE: u32 = u32::MAX;
/// The client index of one-off requests (`curl`, `port-forward`), which the stats skip.
pub const PROBE_CLIENT: u16 = u16::MAX;

/// Latencies of the traffic path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrafficTiming {
    /// A pod or Service change → the EndpointSlice controller's write (batch period 0).
    pub endpoints_sync: Latency,
    /// A slice write → kube-proxy's watch on a node delivers it (rules are then written by
    /// the bounded-frequency runner, `minSyncPeriod` 1 s, burst 2).
    pub proxy_sync: Latency,
}

impl Default for TrafficTiming {
    fn default() -> Self {
        TrafficTiming {
            endpoints_sync: Latency::Uniform {
                low_ms: 5,
                high_ms: 50,
            },
            proxy_sync: Latency::Uniform {
                low_ms: 20,
                high_ms: 200,
            },
        }
    }
}

/// Traffic's own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficEvent {
    /// A client's next request.
    Arrival(u16),
    /// A request's service ends (slot, generation).
    Served(u32, u32),
    /// A request that timed out tries again (slot, generation).
    Retry(u32, u32),
    /// The EndpointSlice controller syncs a Service (index).
    EndpointsSync(u32),
    /// A node's kube-proxy watch delivers a Service's slices (node, service, version).
    SliceDelivered(u32, u32, u32),
    /// A node's kube-proxy syncs its rules.
    ProxySync(u32),
}

impl TrafficEvent {
    /// A stable key for the run's trace digest.
    pub fn trace_key(&self) -> (u64, u32, u32) {
        match *self {
            TrafficEvent::Arrival(c) => (32, u32::from(c), 0),
            TrafficEvent::Served(r, g) => (33, r, g),
            TrafficEvent::Retry(r, g) => (34, r, g),
            TrafficEvent::EndpointsSync(s) => (35, s, 0),
            TrafficEvent::SliceDelivered(n, s, v) => (36 + (u64::from(v) << 8), n, s),
            TrafficEvent::ProxySync(n) => (37, n, 0),
        }
    }
}

/// One request (a slot of the request table, reused once resolved).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request {
    pub client: u16,
    /// Index of the client's node in its node list (or the node itself for probes).
    pub node_slot: u32,
    pub first_sent: SimTime,
    pub deadline: SimTime,
    pub attempt: u32,
    pub generation: u32,
    /// Serving pod (`NONE` until accepted).
    pub pod: u32,
    /// Its connection (`NONE` for a connection per request).
    pub conn: u32,
    /// The Service index of a one-off request (`NONE` when it goes straight to a pod).
    pub service: u32,
    pub live: bool,
}

/// The answer to a one-off request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeResult {
    #[allow(missing_docs)]
    pub outcome: Outcome,
    /// The pod that answered or cut it.
    pub pod: Option<PodId>,
    /// When it resolved.
    pub at: SimTime,
}

#[derive(Debug)]
struct TrafficRngs {
    endpoints: SimRng,
    apps: SimRng,
    proxy_watch: Vec<SimRng>,
    proxy_choice: Vec<SimRng>,
    probes: SimRng,
    streams: RngStreams,
}

/// The traffic side of a cluster.
#[derive(Debug)]
pub struct Traffic {
    /// What the scenario asked for.
    pub spec: TrafficSpec,
    #[allow(missing_docs)]
    pub timing: TrafficTiming,
    /// The EndpointSlice controller.
    pub endpoints: EndpointSliceController,
    /// kube-proxy, one per node.
    pub proxies: Vec<KubeProxy>,
    servers: Vec<Server>,
    requests: Vec<Request>,
    free_requests: Vec<u32>,
    conns: Vec<Conn>,
    free_conns: Vec<u32>,
    clients: Vec<ClientState>,
    /// Revision of each ReplicaSet, as it is now.
    revisions: Vec<i64>,
    /// What was counted.
    pub stats: Stats,
    rngs: TrafficRngs,
    /// Each Service's pending sync time (`NEVER` when none).
    endpoints_due: Vec<SimTime>,
    /// Events to queue.
    pub out: Vec<(SimTime, TrafficEvent)>,
    /// Apps that exited on their own (a graceful stop that finished): the kubelet sees
    /// their containers exit.
    pub exited: Vec<PodId>,
    /// Answers to one-off requests, by request slot.
    pub probe_results: BTreeMap<u32, ProbeResult>,
    default_app: AppSpec,
}

impl Traffic {
    /// Traffic for a cluster seeded with `seed`.
    pub fn new(spec: TrafficSpec, timing: TrafficTiming, seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        let clients = spec
            .clients
            .iter()
            .map(|c| ClientState::new(c, &streams))
            .collect();
        let stats = Stats {
            clients: spec
                .clients
                .iter()
                .map(|c| stats::ClientStats {
                    name: c.name.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        Traffic {
            spec,
            timing,
            endpoints: EndpointSliceController::default(),
            proxies: Vec::new(),
            servers: Vec::new(),
            requests: Vec::new(),
            free_requests: Vec::new(),
            conns: Vec::new(),
            free_conns: Vec::new(),
            clients,
            revisions: Vec::new(),
            stats,
            rngs: TrafficRngs {
                endpoints: streams.stream("traffic/endpointslice"),
                apps: streams.stream("traffic/apps"),
                proxy_watch: Vec::new(),
                proxy_choice: Vec::new(),
                probes: streams.stream("traffic/probes"),
                streams,
            },
            endpoints_due: Vec::new(),
            out: Vec::new(),
            exited: Vec::new(),
            probe_results: BTreeMap::new(),
            default_app: AppSpec::default(),
        }
    }

    /// The app at `index` of the spec, or the default app.
    pub fn app(&self, index: Option<usize>) -> &AppSpec {
        index
            .and_then(|i| self.spec.apps.get(i))
            .map_or(&self.default_app, |(_, a)| a)
    }

    /// A node joined: it runs a kube-proxy.
    pub fn add_node(&mut self, name: &str) {
        self.proxies.push(KubeProxy::default());
        let s = &self.rngs.streams;
        self.rngs
            .proxy_watch
            .push(s.stream(&format!("traffic/kube-proxy/{name}/watch")));
        self.rngs
            .proxy_choice
            .push(s.stream(&format!("traffic/kube-proxy/{name}/choice")));
    }

    /// The clients start sending (call once the nodes exist).
    pub fn start_clients(&mut self, node_names: &BTreeMap<String, NodeId>) {
        for i in 0..self.clients.len() {
            self.clients[i].resolve_nodes(&self.spec.clients[i].from, node_names);
            self.plan_arrival(i as u16, SimTime::ZERO);
        }
    }

    /// The ReplicaSet's revision changed (or was first set).
    pub fn set_revision(&mut self, rs: RsId, revision: i64) {
        let i = rs.0 as usize;
        if self.revisions.len() <= i {
            self.revisions.resize(i + 1, 0);
        }
        self.revisions[i] = revision;
    }

    fn revision_of(&self, p: PodId) -> i64 {
        self.server(p)
            .and_then(|s| self.revisions.get(s.rs.0 as usize))
            .copied()
            .unwrap_or(0)
    }

    /// Asks for a sync of Service `index` at `at`; `true` when an event must be queued.
    pub fn request_endpoints_sync(&mut self, index: u32, now: SimTime) -> Option<SimTime> {
        let i = index as usize;
        if self.endpoints_due.len() <= i {
            self.endpoints_due.resize(i + 1, SimTime::NEVER);
        }
        let at = now.plus_ms(self.timing.endpoints_sync.sample(&mut self.rngs.endpoints));
        (at < self.endpoints_due[i]).then(|| {
            self.endpoints_due[i] = at;
            at
        })
    }

    /// Whether a popped sync of Service `index` is the live one (and clears it).
    pub fn take_endpoints_sync(&mut self, index: u32, now: SimTime) -> bool {
        match self.endpoints_due.get_mut(index as usize) {
            Some(t) if *t == now => {
                *t = SimTime::NEVER;
                true
            }
            _ => false,
        }
    }

    /// The controller wrote Service `index`'s slices: every node's watch delivers them
    /// after its own latency; the published ready count is sampled.
    pub fn slices_written(&mut self, index: u32, now: SimTime) {
        let s = &self.endpoints.services[index as usize];
        let (version, ready) = (
            s.version,
            crate::controllers::endpoint_slice::condition_counts(&s.endpoints).0,
        );
        self.stats.slices.push(stats::SliceSample {
            time: now,
            service: index,
            ready,
        });
        for n in 0..self.proxies.len() {
            let d = self.timing.proxy_sync.sample(&mut self.rngs.proxy_watch[n]);
            self.out.push((
                now.plus_ms(d),
                TrafficEvent::SliceDelivered(n as u32, index, version),
            ));
        }
    }

    /// Handles one of traffic's own events (all but `EndpointsSync`, which needs the
    /// cluster's pods).
    pub fn handle(&mut self, event: TrafficEvent, now: SimTime) {
        match event {
            TrafficEvent::Arrival(c) => self.arrival(c, now),
            TrafficEvent::Served(r, g) => self.served(r, g, now),
            TrafficEvent::Retry(r, g) => {
                if self.is_live(r, g) {
                    self.attempt(r, now);
                }
            }
            TrafficEvent::SliceDelivered(n, s, v) => self.slice_delivered(n, s, v, now),
            TrafficEvent::ProxySync(n) => self.proxy_sync(n, now),
            TrafficEvent::EndpointsSync(_) => {}
        }
    }

    fn slice_delivered(&mut self, node: u32, service: u32, version: u32, now: SimTime) {
        let Some(s) = self.endpoints.services.get(service as usize) else {
            return;
        };
        // The watch delivers the version written then; a newer one arrives by its own event.
        if s.version != version {
            return;
        }
        let eps = std::sync::Arc::clone(&s.endpoints);
        let proxy = &mut self.proxies[node as usize];
        if proxy.on_slice_update(service, version, eps)
            && let Some(at) = proxy.runner.request(now)
        {
            self.out.push((at, TrafficEvent::ProxySync(node)));
        }
    }

    fn proxy_sync(&mut self, node: u32, now: SimTime) {
        let proxy = &mut self.proxies[node as usize];
        proxy.runner.ran(now);
        for s in proxy.sync_proxy_rules() {
            let (ready, serving, terminating) = proxy.rules_of(s).map_or((0, 0, 0), |r| {
                crate::controllers::endpoint_slice::condition_counts(&r.endpoints)
            });
            self.stats.views.push(EndpointView {
                time: now,
                service: s,
                node,
                ready,
                serving,
                terminating,
            });
        }
    }

    fn is_live(&self, r: u32, generation: u32) -> bool {
        self.requests
            .get(r as usize)
            .is_some_and(|q| q.live && q.generation == generation)
    }

    /// A new request slot.
    pub(crate) fn new_request(&mut self, mut q: Request) -> u32 {
        q.live = true;
        match self.free_requests.pop() {
            Some(r) => {
                q.generation = self.requests[r as usize].generation.wrapping_add(1);
                self.requests[r as usize] = q;
                r
            }
            None => {
                self.requests.push(q);
                (self.requests.len() - 1) as u32
            }
        }
    }

    /// Service of request `r` starts now at its pod: it ends after a service time drawn
    /// from its client's stream.
    pub(super) fn start_service(&mut self, r: u32, now: SimTime) {
        let q = self.requests[r as usize];
        let app = self.server(PodId(q.pod)).and_then(|s| s.app);
        let service_time = self.app(app).service_time;
        let rng = match self.clients.get_mut(q.client as usize) {
            Some(c) => &mut c.service_rng,
            None => &mut self.rngs.probes,
        };
        let d = service_time.sample(rng);
        self.out
            .push((now.plus_ms(d), TrafficEvent::Served(r, q.generation)));
    }

    fn served(&mut self, r: u32, generation: u32, now: SimTime) {
        if !self.is_live(r, generation) {
            return;
        }
        let pod = PodId(self.requests[r as usize].pod);
        let late = now > self.requests[r as usize].deadline;
        if !self.release(pod, r, now) {
            return;
        }
        self.resolve(r, if late { Outcome::Timeout } else { Outcome::Ok }, now);
    }

    /// Attempts a client makes after a failed one (none for one-off requests).
    pub(super) fn retries_of(&self, client: u16) -> u32 {
        self.spec
            .clients
            .get(client as usize)
            .map_or(0, |c| c.retries)
    }

    /// Request `r` ends with `outcome` at `now`: retried if the client allows, else counted.
    pub(crate) fn resolve(&mut self, r: u32, outcome: Outcome, now: SimTime) {
        let q = self.requests[r as usize];
        if !q.live {
            return;
        }
        self.connection_done(r, outcome, now);
        if outcome != Outcome::Ok && q.attempt < self.retries_of(q.client) {
            let q = &mut self.requests[r as usize];
            q.attempt += 1;
            q.pod = NONE;
            q.conn = NONE;
            if let Some(s) = self.stats.clients.get_mut(q.client as usize) {
                s.retries += 1;
            }
            self.attempt(r, now);
            return;
        }
        let pod = (q.pod != NONE).then_some(PodId(q.pod));
        if q.client == PROBE_CLIENT {
            let result = ProbeResult {
                outcome,
                pod,
                at: now,
            };
            self.probe_results.insert(r, result);
        } else {
            let revision = pod.map_or(0, |p| self.revision_of(p));
            let latency = now.ms_since(q.first_sent);
            self.stats.clients[q.client as usize].record(q.first_sent, outcome, revision, latency);
        }
        self.requests[r as usize].live = false;
        self.free_requests.push(r);
    }
}
