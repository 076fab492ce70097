//! Clients: Poisson arrivals at a piecewise-constant rate, each request sent from one of the
//! client's nodes through that node's kube-proxy, on a connection as its mode says — a new
//! one per request, a keep-alive pool (Go's `net/http`: idle connections reused most recent
//! first, at most 2 idle per host), or one HTTP/2 connection multiplexing everything.

use super::{NONE, PROBE_CLIENT, Request, Traffic, TrafficEvent};
use crate::model::traffic::{ClientSpec, Connection, Outcome};
use crate::model::{NodeId, PodId};
use crate::sim::{RngStreams, SimRng, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp};
use std::collections::BTreeMap;

/// Go's `DefaultMaxIdleConnsPerHost`.
const MAX_IDLE_PER_HOST: usize = 2;

/// An open connection, pinned to the pod kube-proxy chose when it opened.
#[derive(Debug, Clone, Copy)]
pub(super) struct Conn {
    pod: PodId,
    /// The server process it reached.
    epoch: u32,
    /// When it last finished a request.
    idle_since: SimTime,
    /// Requests it carried.
    served: u32,
}

/// A client's connections from one node.
#[derive(Debug, Clone, Default)]
struct Pool {
    /// Idle keep-alive connections, most recently used last.
    idle: Vec<u32>,
    /// The HTTP/2 connection.
    h2: Option<u32>,
}

/// A client's running state.
#[derive(Debug)]
pub(super) struct ClientState {
    arrivals: SimRng,
    pub(super) service_rng: SimRng,
    /// The nodes it sends from, in turn.
    nodes: Vec<NodeId>,
    next_node: usize,
    /// Next arrival in fractional ms (kept exact between the clock's whole ms).
    clock_ms: f64,
    pools: Vec<Pool>,
}

impl ClientState {
    pub(super) fn new(spec: &ClientSpec, streams: &RngStreams) -> Self {
        ClientState {
            arrivals: streams.stream(&format!("traffic/client/{}", spec.name)),
            service_rng: streams.stream(&format!("traffic/client/{}/service", spec.name)),
            nodes: Vec::new(),
            next_node: 0,
            clock_ms: 0.0,
            pools: Vec::new(),
        }
    }

    /// The nodes named in `from` (every node when empty), in name order.
    pub(super) fn resolve_nodes(&mut self, from: &[String], names: &BTreeMap<String, NodeId>) {
        self.nodes = if from.is_empty() {
            names.values().copied().collect()
        } else {
            from.iter().filter_map(|n| names.get(n).copied()).collect()
        };
        self.pools = vec![Pool::default(); self.nodes.len()];
    }
}

/// The next arrival of a Poisson process with a piecewise-constant rate, from `t_ms`:
/// exponential gaps at the rate in force, redrawn from each rate change (the process is
/// memoryless, so this is exact). `None` when the rate stays 0.
pub fn next_arrival(spec: &ClientSpec, mut t_ms: f64, rng: &mut SimRng) -> Option<f64> {
    loop {
        let now = SimTime::from_ms(t_ms as u64);
        let rate = spec.rate_at(now);
        let change = spec.next_change_after(now).map(|c| c.as_ms() as f64);
        if rate > 0.0 {
            let gap_ms = Exp::new(rate / 1000.0).map_or(f64::INFINITY, |d| d.sample(rng));
            let at = t_ms + gap_ms;
            match change {
                Some(c) if at >= c => t_ms = c,
                _ => return Some(at),
            }
        } else {
            t_ms = change?;
        }
    }
}

impl Traffic {
    /// Plans client `c`'s next arrival after `now`.
    pub(super) fn plan_arrival(&mut self, c: u16, now: SimTime) {
        let i = c as usize;
        let spec = &self.spec.clients[i];
        let state = &mut self.clients[i];
        let from = state.clock_ms.max(now.as_ms() as f64);
        if let Some(at) = next_arrival(spec, from, &mut state.arrivals) {
            state.clock_ms = at;
            self.out
                .push((SimTime::from_ms(at as u64), TrafficEvent::Arrival(c)));
        }
    }

    /// A client's request is due: send it from its next node, then plan the next one.
    pub(super) fn arrival(&mut self, c: u16, now: SimTime) {
        let i = c as usize;
        self.plan_arrival(c, now);
        let state = &mut self.clients[i];
        if state.nodes.is_empty() {
            return;
        }
        let slot = state.next_node as u32;
        state.next_node = (state.next_node + 1) % state.nodes.len();
        let timeout = self.spec.clients[i].timeout_ms;
        self.stats.clients[i].sent += 1;
        let r = self.new_request(Request {
            client: c,
            node_slot: slot,
            first_sent: now,
            deadline: now.plus_ms(timeout),
            attempt: 0,
            generation: 0,
            pod: NONE,
            conn: NONE,
            service: NONE,
            live: true,
        });
        self.attempt(r, now);
    }

    /// One attempt of request `r`: on a reusable connection if its mode has one, else on a
    /// new connection through the node's kube-proxy.
    pub(super) fn attempt(&mut self, r: u32, now: SimTime) {
        let q = self.requests[r as usize];
        let timeout = self
            .spec
            .clients
            .get(q.client as usize)
            .map_or(5_000, |c| c.timeout_ms);
        self.requests[r as usize].deadline = now.plus_ms(timeout);
        if q.client == PROBE_CLIENT {
            return self.probe_attempt(r, now);
        }
        let mode = self.spec.clients[q.client as usize].connection;
        if let Some(conn) = self.reusable_connection(q.client, q.node_slot, mode, now) {
            let pod = self.conns[conn as usize].pod;
            self.requests[r as usize].conn = conn;
            return self.deliver(r, pod, false, now);
        }
        let node = self.clients[q.client as usize].nodes[q.node_slot as usize];
        let Some(service) = self.client_service(q.client) else {
            return self.resolve(r, Outcome::NoEndpoints, now);
        };
        let Some(pod) = self.choose_backend(node, service) else {
            return self.resolve(r, Outcome::NoEndpoints, now);
        };
        if mode != Connection::New {
            let conn = self.open_connection(q.client, q.node_slot, mode, pod, now);
            self.requests[r as usize].conn = conn;
        }
        self.deliver(r, pod, true, now);
    }

    /// The Service index the client sends to, once the Service has been seen.
    fn client_service(&self, c: u16) -> Option<u32> {
        let client = &self.spec.clients[c as usize];
        let key = crate::model::object_key(&client.namespace, &client.service);
        self.endpoints.by_name.get(&key).copied()
    }

    /// kube-proxy on `node` picks a backend for a new connection to Service `service`:
    /// uniform over its usable endpoints; `None` when the rules REJECT (no endpoints).
    pub(super) fn choose_backend(&mut self, node: NodeId, service: u32) -> Option<PodId> {
        let rules = self.proxies.get(node.0 as usize)?.rules_of(service)?;
        let n = rules.usable.len();
        if n == 0 {
            return None;
        }
        let pick = if n == 1 {
            0
        } else {
            self.rngs.proxy_choice[node.0 as usize].random_range(0..n)
        };
        Some(rules.usable[pick].0)
    }

    /// Request `r` reaches pod `pod` (on a new connection when `fresh`).
    pub(super) fn deliver(&mut self, r: u32, pod: PodId, fresh: bool, now: SimTime) {
        self.requests[r as usize].pod = pod.0;
        let reachable = self.server(pod).is_some_and(|s| s.reachable);
        if !reachable {
            // Packets to an IP nobody answers: the client waits out its timeout, then tries
            // again on a new connection if it may.
            let q = self.requests[r as usize];
            if q.attempt < self.retries_of(q.client) {
                self.connection_done(r, Outcome::Timeout, now);
                let q = &mut self.requests[r as usize];
                (q.pod, q.conn) = (NONE, NONE);
                q.attempt += 1;
                let (client, deadline, generation) = (q.client, q.deadline, q.generation);
                if let Some(s) = self.stats.clients.get_mut(client as usize) {
                    s.retries += 1;
                }
                self.out
                    .push((deadline, TrafficEvent::Retry(r, generation)));
                return;
            }
            return self.resolve(r, Outcome::Timeout, q.deadline);
        }
        if fresh && !self.accepts(pod, now) {
            return self.resolve(r, Outcome::Refused, now);
        }
        self.admit(pod, r, now);
    }

    /// The pool's connection to reuse, dropping those the server closed or timed out.
    fn reusable_connection(
        &mut self,
        c: u16,
        slot: u32,
        mode: Connection,
        now: SimTime,
    ) -> Option<u32> {
        match mode {
            Connection::New => None,
            Connection::Keepalive => loop {
                let conn = self.clients[c as usize].pools[slot as usize].idle.pop()?;
                if self.connection_usable(conn, now, true) {
                    return Some(conn);
                }
                self.free_conns.push(conn);
            },
            Connection::Http2 => {
                let conn = self.clients[c as usize].pools[slot as usize].h2?;
                if self.connection_usable(conn, now, false) {
                    return Some(conn);
                }
                self.clients[c as usize].pools[slot as usize].h2 = None;
                None
            }
        }
    }

    /// Whether an open connection still carries a new request: the same server process,
    /// no goodbye from it, and (keep-alive) not idle past the server's keepalive_timeout.
    fn connection_usable(&self, conn: u32, now: SimTime, idle_limit: bool) -> bool {
        let k = self.conns[conn as usize];
        let Some(s) = self.server(k.pod) else {
            return false;
        };
        let app = self.app(s.app);
        self.keeps_connection(k.pod, k.epoch, now)
            && (!idle_limit || now.ms_since(k.idle_since) < app.keepalive_timeout_ms)
            && k.served < app.keepalive_requests.max(1)
    }

    fn open_connection(
        &mut self,
        c: u16,
        slot: u32,
        mode: Connection,
        pod: PodId,
        now: SimTime,
    ) -> u32 {
        let epoch = self.server(pod).map_or(0, |s| s.epoch);
        let k = Conn {
            pod,
            epoch,
            idle_since: now,
            served: 0,
        };
        let conn = match self.free_conns.pop() {
            Some(i) => {
                self.conns[i as usize] = k;
                i
            }
            None => {
                self.conns.push(k);
                (self.conns.len() - 1) as u32
            }
        };
        if mode == Connection::Http2 {
            self.clients[c as usize].pools[slot as usize].h2 = Some(conn);
        }
        conn
    }

    /// Request `r` ended: its keep-alive connection goes back to the pool if the server
    /// keeps it (no `Connection: close`, under keepalive_requests, room in the pool).
    pub(super) fn connection_done(&mut self, r: u32, outcome: Outcome, now: SimTime) {
        let q = self.requests[r as usize];
        if q.conn == NONE || q.client == PROBE_CLIENT {
            return;
        }
        let mode = self.spec.clients[q.client as usize].connection;
        let k = &mut self.conns[q.conn as usize];
        k.served += 1;
        k.idle_since = now;
        if mode != Connection::Keepalive {
            return;
        }
        let keep = outcome == Outcome::Ok && self.connection_usable(q.conn, now, true);
        let pool = &mut self.clients[q.client as usize].pools[q.node_slot as usize];
        if keep && pool.idle.len() < MAX_IDLE_PER_HOST {
            pool.idle.push(q.conn);
        } else {
            self.free_conns.push(q.conn);
        }
    }

    /// A one-off request (`curl`, `port-forward`) is sent from `node`: through its
    /// kube-proxy to a Service, or straight to a pod.
    pub fn send_probe(
        &mut self,
        now: SimTime,
        node: NodeId,
        target: ProbeTarget,
        timeout_ms: u64,
    ) -> u32 {
        let (pod, service) = match target {
            ProbeTarget::Service(s) => (NONE, s),
            ProbeTarget::Pod(p) => (p.0, NONE),
        };
        let r = self.new_request(Request {
            client: PROBE_CLIENT,
            node_slot: node.0,
            first_sent: now,
            deadline: now.plus_ms(timeout_ms),
            attempt: 0,
            generation: 0,
            pod,
            conn: NONE,
            service,
            live: true,
        });
        self.probe_attempt(r, now);
        r
    }

    fn probe_attempt(&mut self, r: u32, now: SimTime) {
        let q = self.requests[r as usize];
        if q.pod != NONE {
            return self.deliver(r, PodId(q.pod), true, now);
        }
        let Some(pod) = self.choose_backend(NodeId(q.node_slot), q.service) else {
            return self.resolve(r, Outcome::NoEndpoints, now);
        };
        self.deliver(r, pod, true, now);
    }
}

/// Where a one-off request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeTarget {
    /// A Service (by the EndpointSlice controller's index), through kube-proxy.
    Service(u32),
    /// A pod directly (port-forward).
    Pod(PodId),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::traffic::RateStep;

    fn client(rate: Vec<RateStep>) -> ClientSpec {
        ClientSpec {
            name: "c".into(),
            service: "s".into(),
            namespace: "default".into(),
            port: None,
            from: vec![],
            rate,
            connection: Connection::New,
            timeout_ms: 1000,
            retries: 0,
        }
    }

    #[test]
    fn poisson_arrivals_average_the_rate() {
        let spec = client(vec![RateStep {
            at: SimTime::ZERO,
            per_s: 200.0,
        }]);
        let mut rng = RngStreams::new(3).stream("t");
        let (mut t, mut n) = (0.0, 0);
        while let Some(next) = next_arrival(&spec, t, &mut rng) {
            if next >= 100_000.0 {
                break;
            }
            (t, n) = (next, n + 1);
        }
        // 20,000 expected; a Poisson count's sd is about 141.
        assert!((19_500..=20_500).contains(&n), "{n}");
    }

    #[test]
    fn a_zero_rate_waits_for_the_next_step_and_a_last_zero_ends() {
        let spec = client(vec![
            RateStep {
                at: SimTime::ZERO,
                per_s: 0.0,
            },
            RateStep {
                at: SimTime::from_ms(5_000),
                per_s: 1000.0,
            },
            RateStep {
                at: SimTime::from_ms(6_000),
                per_s: 0.0,
            },
        ]);
        let mut rng = RngStreams::new(3).stream("t");
        let first = next_arrival(&spec, 0.0, &mut rng).unwrap();
        assert!((5_000.0..5_100.0).contains(&first), "{first}");
        assert_eq!(next_arrival(&spec, 6_000.0, &mut rng), None);
    }
}
