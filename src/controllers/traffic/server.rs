//! The app in a pod as a server: listening some time after its container starts, serving
//! a bounded number of requests at once (the rest queue), and on the stop signal behaving
//! as its `onStop` says. Connections already open are pinned to the pod (conntrack); a new
//! one reaches it only while it listens.

use super::{NONE, Traffic};
use crate::model::traffic::{OnStop, Outcome};
use crate::model::{NodeId, PodId, RsId};
use crate::sim::SimTime;
use std::collections::VecDeque;

/// One pod's server.
#[derive(Debug, Clone)]
pub struct Server {
    /// Container runs so far (a restart is a new process).
    pub epoch: u32,
    /// Index of its app in the traffic spec (`None` for the default app).
    pub app: Option<usize>,
    #[allow(missing_docs)]
    pub ip: u32,
    #[allow(missing_docs)]
    pub node: NodeId,
    #[allow(missing_docs)]
    pub rs: RsId,
    /// When it listens (`NEVER` before its container starts).
    pub listen_at: SimTime,
    /// When it got the stop signal (`NEVER` until then).
    pub stop_at: SimTime,
    /// The process runs.
    pub running: bool,
    /// Its IP answers: the sandbox exists and the node's machine is up.
    pub reachable: bool,
    /// Requests being served (request slots).
    pub in_service: Vec<u32>,
    /// Accepted requests waiting for a slot.
    pub queue: VecDeque<u32>,
    /// Containers stopped → sandbox gone and deletion confirmed, ms.
    pub teardown_ms: u64,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            epoch: 0,
            app: None,
            ip: 0,
            node: NodeId(0),
            rs: RsId(0),
            listen_at: SimTime::NEVER,
            stop_at: SimTime::NEVER,
            running: false,
            reachable: false,
            in_service: Vec::new(),
            queue: VecDeque::new(),
            teardown_ms: 0,
        }
    }
}

impl Traffic {
    fn server_mut(&mut self, p: PodId) -> &mut Server {
        let i = p.0 as usize;
        if self.servers.len() <= i {
            self.servers.resize_with(i + 1, Server::default);
        }
        &mut self.servers[i]
    }

    /// The server of pod `p`, if its container ever started.
    pub fn server(&self, p: PodId) -> Option<&Server> {
        self.servers.get(p.0 as usize).filter(|s| s.epoch > 0)
    }

    /// The container of pod `p` started (process `epoch`): the app listens after its
    /// startup time, which this returns.
    pub fn container_started(
        &mut self,
        p: PodId,
        now: SimTime,
        at: (u32, NodeId, RsId),
        image: &str,
    ) -> SimTime {
        let app = self.spec.app_index(image);
        let startup = self.app(app).startup;
        let startup = startup.sample(&mut self.rngs.apps);
        let s = self.server_mut(p);
        s.epoch += 1;
        (s.ip, s.node, s.rs) = at;
        s.app = app;
        s.listen_at = now.plus_ms(startup);
        s.stop_at = SimTime::NEVER;
        s.running = true;
        s.reachable = true;
        s.listen_at
    }

    /// Whether a new connection to `p` is accepted at `now`.
    pub fn accepts(&self, p: PodId, now: SimTime) -> bool {
        self.server(p).is_some_and(|s| {
            s.running
                && s.listen_at <= now
                && (s.stop_at > now || self.app(s.app).on_stop == OnStop::Ignore)
        })
    }

    /// Whether an open connection of process `epoch` still carries new requests: the same
    /// process runs and has not said goodbye (a graceful stop closes idle keep-alive
    /// connections and sends HTTP/2 GOAWAY).
    pub fn keeps_connection(&self, p: PodId, epoch: u32, now: SimTime) -> bool {
        self.server(p).is_some_and(|s| {
            s.running
                && s.epoch == epoch
                && (s.stop_at > now || self.app(s.app).on_stop != OnStop::Graceful)
        })
    }

    /// A reachable server takes request `r` on an accepted connection: served now if a slot
    /// is free, else queued.
    pub(super) fn admit(&mut self, p: PodId, r: u32, now: SimTime) {
        let concurrency = self
            .server(p)
            .map_or(1, |s| self.app(s.app).concurrency as usize);
        let s = self.server_mut(p);
        if s.in_service.len() < concurrency {
            s.in_service.push(r);
            self.start_service(r, now);
        } else {
            s.queue.push_back(r);
        }
    }

    /// Request `r` finished at pod `p`: frees its slot and starts the next queued request;
    /// a stopping graceful server with nothing left exits. `false` when `p` no longer held
    /// `r` (it was cut when the process ended), and nothing changes.
    pub(super) fn release(&mut self, p: PodId, r: u32, now: SimTime) -> bool {
        if p.0 == NONE || self.server(p).is_none() {
            return false;
        }
        let s = self.server_mut(p);
        let Some(i) = s.in_service.iter().position(|&x| x == r) else {
            return false;
        };
        s.in_service.swap_remove(i);
        while let Some(next) = self.server_mut(p).queue.pop_front() {
            if self.requests[next as usize].deadline <= now {
                self.resolve(next, Outcome::Timeout, now);
                continue;
            }
            self.server_mut(p).in_service.push(next);
            self.start_service(next, now);
            break;
        }
        self.exit_if_drained(p, now);
        true
    }

    fn exit_if_drained(&mut self, p: PodId, now: SimTime) {
        let Some(s) = self.server(p) else { return };
        let graceful = self.app(s.app).on_stop == OnStop::Graceful;
        if s.running
            && graceful
            && s.stop_at <= now
            && s.in_service.is_empty()
            && s.queue.is_empty()
        {
            self.exit(p, now, Outcome::Reset);
            self.exited.push(p);
        }
    }

    /// The stop signal reaches the app: `immediate` exits, `graceful` stops listening and
    /// exits once its requests are answered, `ignore` carries on. Returns whether the
    /// process exited.
    pub fn stop_signal(&mut self, p: PodId, now: SimTime) -> bool {
        let Some(s) = self.server(p) else {
            return true;
        };
        if !s.running {
            return true;
        }
        let on_stop = self.app(s.app).on_stop;
        self.server_mut(p).stop_at = now;
        match on_stop {
            OnStop::Immediate => {
                self.exit(p, now, Outcome::Reset);
                true
            }
            OnStop::Graceful => {
                let before = self.exited.len();
                self.exit_if_drained(p, now);
                let exited = self.exited.len() > before;
                self.exited.truncate(before);
                exited
            }
            OnStop::Ignore => false,
        }
    }

    /// The process ends (SIGKILL, a crash, or its own exit): whatever it still held is
    /// cut with `outcome` (a reset; a timeout when the machine vanished).
    pub fn exit(&mut self, p: PodId, now: SimTime, outcome: Outcome) {
        let s = self.server_mut(p);
        if !s.running && s.in_service.is_empty() && s.queue.is_empty() {
            return;
        }
        s.running = false;
        let held: Vec<u32> = s.in_service.drain(..).chain(s.queue.drain(..)).collect();
        for r in held {
            self.resolve(r, outcome, now);
        }
    }

    /// How long the kubelet takes from the containers' stop to the pod's removal.
    pub fn set_teardown(&mut self, p: PodId, ms: u64) {
        self.server_mut(p).teardown_ms = ms;
    }

    /// See [`Traffic::set_teardown`].
    pub fn teardown_ms(&self, p: PodId) -> u64 {
        self.servers.get(p.0 as usize).map_or(0, |s| s.teardown_ms)
    }

    /// The pod's sandbox is gone: its IP answers nothing any more.
    pub fn sandbox_gone(&mut self, p: PodId, now: SimTime) {
        if self.server(p).is_some() {
            self.exit(p, now, Outcome::Reset);
            self.server_mut(p).reachable = false;
        }
    }

    /// The node's machine stopped: its pods' processes and IPs vanish without a word, so
    /// their clients wait out their timeouts.
    pub fn node_down(&mut self, pods: &[PodId], now: SimTime) {
        for &p in pods {
            if self.server(p).is_some() {
                self.exit(p, now, Outcome::Timeout);
                self.server_mut(p).reachable = false;
            }
        }
    }
}
