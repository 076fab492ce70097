//! The cluster's side of traffic: the watches that feed the EndpointSlice controller pod and
//! Service changes, its sync against the store (the controller's lister), and the queueing
//! of traffic's own events. Traffic itself lives in [`crate::controllers::traffic`].

use super::{Cluster, Event};
use crate::controllers::endpoint_slice::PodFacts;
use crate::controllers::traffic::{Traffic, TrafficEvent};
use crate::model::*;

impl Cluster {
    /// The traffic side, when the scenario models it.
    pub fn traffic(&self) -> Option<&Traffic> {
        self.traffic.as_deref()
    }

    /// The traffic side, mutably (one-off requests from `curl` and `port-forward`).
    pub fn traffic_mut(&mut self) -> Option<&mut Traffic> {
        self.traffic.as_deref_mut()
    }

    /// The clients start sending (call once the nodes exist).
    pub fn start_traffic(&mut self) {
        let names = self.store.node_names.clone();
        if let Some(t) = self.traffic.as_deref_mut() {
            t.start_clients(&names);
        }
        self.flush_traffic();
    }

    /// Dispatches one of traffic's events.
    pub(super) fn traffic_event(&mut self, event: TrafficEvent) {
        let now = self.now();
        let Some(t) = self.traffic.as_deref_mut() else {
            return;
        };
        match event {
            TrafficEvent::EndpointsSync(s) => {
                if t.take_endpoints_sync(s, now) {
                    self.sync_endpoints(s);
                }
            }
            other => t.handle(other, now),
        }
    }

    /// Queues what traffic asked for and tells the kubelet of apps that exited (which may
    /// ask for more).
    pub(crate) fn flush_traffic(&mut self) {
        loop {
            let Some(t) = self.traffic.as_deref_mut() else {
                return;
            };
            if t.out.is_empty() && t.exited.is_empty() {
                return;
            }
            let out = std::mem::take(&mut t.out);
            let exited = std::mem::take(&mut t.exited);
            for (at, e) in out {
                self.engine.schedule(at, Event::Traffic(e));
            }
            for p in exited {
                crate::controllers::kubelet::app_exited(self, p);
            }
        }
    }

    /// Sends a one-off request (`curl`, `port-forward`) from `node`; its slot, whose answer
    /// appears in [`Traffic::probe_results`].
    pub fn send_probe(
        &mut self,
        node: NodeId,
        target: crate::controllers::traffic::ProbeTarget,
        timeout_ms: u64,
    ) -> Option<u32> {
        let now = self.now();
        let r = self
            .traffic
            .as_deref_mut()?
            .send_probe(now, node, target, timeout_ms);
        self.flush_traffic();
        Some(r)
    }

    /// `syncService` for Service index `s`, against the store; queues the watches of every
    /// kube-proxy when it wrote.
    fn sync_endpoints(&mut self, s: u32) {
        let now = self.now();
        let Some(t) = self.traffic.as_deref() else {
            return;
        };
        let entry = &t.endpoints.services[s as usize];
        let svc = self.store.services.get(&entry.service);
        let publish = svc.is_some_and(|v| v.publish_not_ready_addresses);
        let live = svc.is_some_and(|v| !v.selector.is_empty());
        let facts: Vec<PodFacts> = entry
            .pods
            .iter()
            .map(|&p| PodFacts::of(p, self.store.pod(p)))
            .collect();
        let Some(t) = self.traffic.as_deref_mut() else {
            return;
        };
        t.endpoints.services[s as usize].live = live;
        let before = std::sync::Arc::clone(&t.endpoints.services[s as usize].endpoints);
        if t.endpoints.sync_service(s, &facts, publish, now) {
            t.slices_written(s, now);
            if self.recorder.keep_pod_events {
                self.explain_endpoints(s, &before);
            }
        }
        let Some(t) = self.traffic.as_deref_mut() else {
            return;
        };
        let gone: Vec<PodId> = facts.iter().filter(|f| f.gone).map(|f| f.id).collect();
        for p in gone {
            t.endpoints.services[s as usize].pods.remove(&p);
        }
    }

    /// Records each pod whose endpoint of Service `s` changed in the write just made.
    fn explain_endpoints(
        &mut self,
        s: u32,
        before: &[crate::controllers::endpoint_slice::Endpoint],
    ) {
        use crate::model::explain::{EndpointChange, ExplainStep, Explanation};
        let Some(t) = self.traffic.as_deref() else {
            return;
        };
        let entry = &t.endpoints.services[s as usize];
        let after = std::sync::Arc::clone(&entry.endpoints);
        let service = entry.service.clone();
        let ready = after.iter().filter(|e| e.ready).count() as u32;
        let state = |e: &crate::controllers::endpoint_slice::Endpoint| {
            if e.terminating {
                EndpointChange::Terminating
            } else if e.ready {
                EndpointChange::Ready
            } else {
                EndpointChange::NotReady
            }
        };
        let mut changes: Vec<(crate::model::PodId, EndpointChange)> = Vec::new();
        for e in after.iter() {
            let old = before.iter().find(|b| b.pod == e.pod).map(state);
            if old != Some(state(e)) {
                changes.push((e.pod, state(e)));
            }
        }
        for b in before
            .iter()
            .filter(|b| !after.iter().any(|e| e.pod == b.pod))
        {
            changes.push((b.pod, EndpointChange::Removed));
        }
        let time = self.now();
        for (p, change) in changes {
            let step = ExplainStep::Endpoint {
                service: service.1.clone(),
                pod: self.store.pod_name_of(p),
                change,
                ready,
            };
            self.recorder.explanations.push(Explanation {
                time,
                deployment: String::new(),
                step,
            });
        }
    }

    fn request_endpoints_sync(&mut self, s: u32) {
        let now = self.now();
        if let Some(t) = self.traffic.as_deref_mut()
            && let Some(at) = t.request_endpoints_sync(s, now)
        {
            self.engine
                .schedule(at, Event::Traffic(TrafficEvent::EndpointsSync(s)));
        }
    }

    /// The pod watch of the EndpointSlice controller: every Service selecting the pod
    /// indexes it and syncs.
    pub(crate) fn traffic_pod_changed(&mut self, p: PodId) {
        let Some(labels) = self.store.pod_labels(self.store.pod(p)) else {
            return;
        };
        let ns = self.store.pod_namespace(self.store.pod(p));
        let matching: Vec<ObjectKey> = self
            .store
            .services
            .range(object_key(ns, "")..)
            .take_while(|((service_ns, _), _)| service_ns == ns)
            .filter(|(_, s)| s.selects(labels))
            .map(|(key, _)| key.clone())
            .collect();
        let mut synced = Vec::new();
        if let Some(t) = self.traffic.as_deref_mut() {
            for key in matching {
                let i = t.endpoints.index_of(&key);
                t.endpoints.services[i as usize].pods.insert(p);
                synced.push(i);
            }
        }
        for i in synced {
            self.request_endpoints_sync(i);
        }
    }

    /// The Service watch: a Service was created, changed or deleted; its pods are listed
    /// anew (the controller's lister) and it syncs.
    pub(crate) fn traffic_service_changed(&mut self, key: &ObjectKey) {
        if self.traffic.is_none() {
            return;
        }
        let pods: Vec<PodId> = match self.store.services.get(key) {
            Some(svc) => self.store.live_pods_matching(&key.0, |l| svc.selects(l)),
            None => Vec::new(),
        };
        let Some(t) = self.traffic.as_deref_mut() else {
            return;
        };
        let i = t.endpoints.index_of(key);
        t.endpoints.services[i as usize].pods = pods.into_iter().collect();
        self.request_endpoints_sync(i);
    }
}
