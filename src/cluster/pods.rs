//! Pod writes as the API server performs them, keeping the store's counts in step.

use super::{Cluster, Event, EventType, Store};
use crate::model::*;
use rand::RngExt;

use super::store::{NAME_ALPHABET, SUFFIX_LEN};

impl Cluster {
    /// Creates a pod for ReplicaSet `r` (the ReplicaSet controller's create call).
    pub(crate) fn create_pod(&mut self, r: RsId) -> Result<PodId, String> {
        let Some(rs) = self.store.replica_set(r) else {
            return Err("replica set is gone".into());
        };
        if self.store.existing_pods >= self.config.max_pods {
            return Err(format!(
                "pods \"{}\" is forbidden: exceeded rollsim's pod limit of {} (--max-pods)",
                pod_name_prefix(&rs.meta.name),
                self.config.max_pods
            ));
        }
        // Validation bounds init containers to `MAX_INIT_CONTAINERS`.
        let init_total = rs.template.spec.init_containers.len().min(255) as u8;
        let name_key = self.generate_name_key(r);
        let id = PodId(self.store.pods.len() as u32);
        let uid = self.new_uid();
        let now = self.now();
        let live = &mut self.store.rs_pods[r.0 as usize];
        live.active.push(id);
        live.not_ready.push(id);
        live.live += 1;
        let slot = (live.active.len() - 1) as u32;
        let not_ready_slot = (live.not_ready.len() - 1) as u32;
        self.store.pods.push(Pod {
            uid,
            creation: now.whole_seconds(),
            created_at: now,
            deletion: None,
            owner: r,
            node: None,
            phase: PodPhase::Pending,
            ready: false,
            ready_since: None,
            // App containers wait behind init containers with this reason.
            container: ContainerState::Waiting(if init_total > 0 {
                "PodInitializing"
            } else {
                "ContainerCreating"
            }),
            restarts: 0,
            init_done: 0,
            init_total,
            init_runs: None,
            kubelet_epoch: 0,
            ip: 0,
            gone: false,
            marked_not_ready: false,
            times: PodTimes::default(),
            active_slot: Some(slot),
            not_ready_slot: Some(not_ready_slot),
            name_key,
            counted_available: false,
        });
        self.store.rs_pods[r.0 as usize]
            .name_suffixes
            .insert(name_key);
        self.store.existing_pods += 1;
        self.pod_written(id);
        crate::controllers::scheduler::pod_created(self, id);
        Ok(id)
    }

    /// Draws a `generateName` suffix not in use by the ReplicaSet's pods, as its base-27
    /// number (the name itself is built when shown: [`Store::pod_name`]).
    fn generate_name_key(&mut self, r: RsId) -> u32 {
        loop {
            let mut key = 0u32;
            for _ in 0..SUFFIX_LEN {
                let i = self.rngs.names.random_range(0..NAME_ALPHABET.len());
                key = key * NAME_ALPHABET.len() as u32 + i as u32;
            }
            if !self.store.rs_pods[r.0 as usize].name_suffixes.contains(key) {
                return key;
            }
        }
    }

    /// Requests graceful deletion (the ReplicaSet controller's delete call). A pod not yet
    /// bound to a node disappears at once, as the API server deletes it immediately.
    pub(crate) fn delete_pod(&mut self, p: PodId) {
        let now = self.now();
        let pod = &self.store.pods[p.0 as usize];
        if pod.gone || pod.deletion.is_some() {
            return;
        }
        self.deactivate(p);
        let pod = &mut self.store.pods[p.0 as usize];
        pod.deletion = Some(now.whole_seconds());
        pod.times.terminating = Some(now);
        let bound = pod.node.is_some();
        self.store.rs_pods[pod.owner.0 as usize].terminating += 1;
        self.pod_written(p);
        if bound {
            let at = now.plus_ms(self.reaction_ms());
            self.schedule(at, Event::KubeletKillPod(p));
        } else {
            self.pod_gone(p);
        }
    }

    /// Takes a pod off its ReplicaSet's not-Ready list (it became Ready or inactive).
    fn leave_not_ready(&mut self, p: PodId) {
        let pod = &mut self.store.pods[p.0 as usize];
        let Some(slot) = pod.not_ready_slot.take() else {
            return;
        };
        let list = &mut self.store.rs_pods[pod.owner.0 as usize].not_ready;
        list.swap_remove(slot as usize);
        if let Some(moved) = list.get(slot as usize).copied() {
            self.store.pods[moved.0 as usize].not_ready_slot = Some(slot);
        }
    }

    /// Takes a pod out of its ReplicaSet's active counts (deletion or a terminal phase).
    fn deactivate(&mut self, p: PodId) {
        let pod = &mut self.store.pods[p.0 as usize];
        let Some(slot) = pod.active_slot.take() else {
            return;
        };
        let (owner, ready, counted, since, node) = (
            pod.owner,
            pod.ready,
            pod.counted_available,
            pod.ready_since,
            pod.node,
        );
        pod.counted_available = false;
        let live = &mut self.store.rs_pods[owner.0 as usize];
        live.active.swap_remove(slot as usize);
        if let Some(moved) = live.active.get(slot as usize).copied() {
            self.store.pods[moved.0 as usize].active_slot = Some(slot);
        }
        if ready {
            leave_ready_counts(live, p, node, counted, since);
        } else {
            self.leave_not_ready(p);
        }
        if let (Some(n), Some(rs)) = (node, self.store.replica_set(owner)) {
            let dep = rs.owner;
            adjust_node_deployment_count(&mut self.store, n, dep, -1);
            self.store.adjust_spread_counts(p, n, -1);
        }
    }

    /// Binds a pending pod to a node (the scheduler's binding call).
    pub(crate) fn bind_pod(&mut self, p: PodId, n: NodeId) {
        let now = self.now();
        let pod = &mut self.store.pods[p.0 as usize];
        pod.node = Some(n);
        pod.times.scheduled = Some(now);
        let (owner, active) = (pod.owner, pod.active_slot.is_some());
        self.store.nodes[n.0 as usize].add_bound(p, owner);
        let Some(rs) = self.store.replica_set(owner) else {
            return;
        };
        let (req, dep) = (rs.requests, rs.owner);
        let node = &mut self.store.nodes[n.0 as usize];
        node.allocated.cpu_millis += req.cpu_millis;
        node.allocated.memory_bytes += req.memory_bytes;
        node.allocated.cpu_millis_nonzero += req.cpu_millis_nonzero;
        node.allocated.memory_bytes_nonzero += req.memory_bytes_nonzero;
        node.pods += 1;
        if active {
            adjust_node_deployment_count(&mut self.store, n, dep, 1);
            self.store.adjust_spread_counts(p, n, 1);
        }
        self.pod_written(p);
        let at = now.plus_ms(self.reaction_ms());
        let epoch = self.store.pods[p.0 as usize].kubelet_epoch;
        self.schedule(at, Event::KubeletStartPod(p, epoch));
    }

    /// Marks a pod Ready (the kubelet's status update).
    pub(crate) fn set_pod_ready(&mut self, p: PodId) {
        let now = self.now();
        let pod = &mut self.store.pods[p.0 as usize];
        if pod.ready || pod.gone {
            return;
        }
        pod.ready = true;
        pod.marked_not_ready = false;
        let since = now.whole_seconds();
        pod.ready_since = Some(since);
        pod.times.ready.get_or_insert(now);
        let (owner, active, node) = (pod.owner, pod.active_slot.is_some(), pod.node);
        if active {
            self.leave_not_ready(p);
            let pod = &self.store.pods[p.0 as usize];
            let entry = super::store::ReadyPod {
                uid: pod.uid,
                id: p,
                restarts: pod.restarts,
                since,
                creation: pod.creation,
            };
            let live = &mut self.store.rs_pods[owner.0 as usize];
            if let Some(n) = node {
                live.ready_on_node.push(n, entry);
            }
            let min_ready = self
                .store
                .replica_set(owner)
                .map_or(0, |rs| rs.min_ready_seconds);
            let live = &mut self.store.rs_pods[owner.0 as usize];
            live.ready += 1;
            if min_ready <= 0 {
                live.available += 1;
                let pod = &mut self.store.pods[p.0 as usize];
                pod.counted_available = true;
                pod.times.available.get_or_insert(now);
            } else {
                live.pending_available.insert((since, p));
                // updatePod: a pod that just became Ready is re-checked after minReadySeconds + 1 s.
                let at = now.plus_secs(min_ready as u64 + 1);
                self.enqueue_replica_set_at(owner, at);
            }
        }
        self.pod_written(p);
    }

    /// Marks a pod not Ready (a failed probe, an exited container, or the node lifecycle
    /// controller's `MarkPodsNotReady`): it leaves its ReplicaSet's ready and available counts.
    pub(crate) fn set_pod_unready(&mut self, p: PodId) {
        let now = self.now();
        let pod = &mut self.store.pods[p.0 as usize];
        if !pod.ready || pod.gone {
            return;
        }
        pod.ready = false;
        let (owner, active, node, counted, since) = (
            pod.owner,
            pod.active_slot.is_some(),
            pod.node,
            pod.counted_available,
            pod.ready_since,
        );
        pod.counted_available = false;
        pod.ready_since = Some(now.whole_seconds());
        if active {
            let live = &mut self.store.rs_pods[owner.0 as usize];
            leave_ready_counts(live, p, node, counted, since);
            live.not_ready.push(p);
            let slot = (live.not_ready.len() - 1) as u32;
            self.store.pods[p.0 as usize].not_ready_slot = Some(slot);
        }
        self.pod_written(p);
    }

    /// The pod's containers have exited and the kubelet removed it: it is gone.
    pub(crate) fn pod_gone(&mut self, p: PodId) {
        let now = self.now();
        self.deactivate(p);
        let pod = &mut self.store.pods[p.0 as usize];
        if pod.gone {
            return;
        }
        pod.gone = true;
        pod.times.gone = Some(now);
        pod.kubelet_epoch += 1;
        if let Some(t) = self.traffic.as_deref_mut() {
            t.sandbox_gone(p, now);
        }
        let (owner, node, deleting, name_key) =
            (pod.owner, pod.node, pod.deletion.is_some(), pod.name_key);
        self.store.rs_pods[owner.0 as usize]
            .name_suffixes
            .remove(name_key);
        self.store.existing_pods -= 1;
        if let Some(n) = node {
            self.store.nodes[n.0 as usize].remove_bound(p, owner);
        }
        let live = &mut self.store.rs_pods[owner.0 as usize];
        live.live -= 1;
        if deleting {
            live.terminating -= 1;
        }
        if let (Some(n), Some(rs)) = (node, self.store.replica_set(owner)) {
            let req = rs.requests;
            let node = &mut self.store.nodes[n.0 as usize];
            node.allocated.cpu_millis -= req.cpu_millis;
            node.allocated.memory_bytes -= req.memory_bytes;
            node.allocated.cpu_millis_nonzero -= req.cpu_millis_nonzero;
            node.allocated.memory_bytes_nonzero -= req.memory_bytes_nonzero;
            node.pods -= 1;
            crate::controllers::scheduler::node_changed(self, n);
        }
        self.pod_written(p);
        self.wake_recreate_owner(owner);
    }

    /// The Deployment controller's pod-delete handler: wakes a Recreate Deployment once it
    /// has no pods at all.
    fn wake_recreate_owner(&mut self, r: RsId) {
        let Some(d) = self.store.replica_set(r).map(|rs| rs.owner) else {
            return;
        };
        let recreate = self
            .store
            .deployment(d)
            .is_some_and(|dep| dep.spec.strategy == Strategy::Recreate);
        if recreate && self.store.live_pods_of(d) == 0 {
            self.enqueue_deployment(d);
        }
    }

    /// Records a pod event when pod events are kept.
    pub(crate) fn pod_event(
        &mut self,
        p: PodId,
        event_type: EventType,
        reason: &'static str,
        source: &'static str,
        message: impl FnOnce(&Self) -> String,
    ) {
        if self.records_pod_events() {
            let msg = message(self);
            let name = self.store.pod_name_of(p);
            let ns = self.store.pod_namespace(self.store.pod(p)).to_string();
            self.record(event_type, reason, "pod", (&ns, &name), source, msg);
        }
    }

    /// Records a kubelet event about one of the pod's containers (`recordContainerEvent`:
    /// its field path is `spec.containers{<name>}`, which `kubectl describe` prints before
    /// the message).
    pub(crate) fn container_event(
        &mut self,
        p: PodId,
        container: &str,
        event_type: EventType,
        reason: &'static str,
        message: impl FnOnce(&Self) -> String,
    ) {
        if self.records_pod_events() {
            let msg = message(self);
            let name = self.store.pod_name_of(p);
            let ns = self.store.pod_namespace(self.store.pod(p)).to_string();
            // Container names are unique across init and app containers.
            let is_init = self
                .store
                .replica_set(self.store.pod(p).owner)
                .is_some_and(|rs| {
                    rs.template
                        .spec
                        .init_containers
                        .iter()
                        .any(|k| k.name == container)
                });
            let list = if is_init {
                "initContainers"
            } else {
                "containers"
            };
            let field_path = format!("spec.{list}{{{container}}}");
            self.record_about(
                event_type,
                reason,
                "pod",
                (&ns, &name),
                &field_path,
                "kubelet",
                msg,
            );
        }
    }
}

/// Mirrors `getPodsPrefix`: `<rs>-`, truncated so the 5-character suffix fits in 63.
pub(crate) fn pod_name_prefix(rs_name: &str) -> String {
    let mut prefix = format!("{rs_name}-");
    if prefix.len() > 58 {
        prefix.truncate(58);
    }
    prefix
}

/// Takes an active Ready pod out of its ReplicaSet's ready and available counts and its
/// per-node Ready list (it turned unready or inactive).
fn leave_ready_counts(
    live: &mut super::RsPods,
    p: PodId,
    node: Option<NodeId>,
    counted: bool,
    since: Option<crate::sim::SimTime>,
) {
    live.ready -= 1;
    if counted {
        live.available -= 1;
    } else if let Some(since) = since {
        live.pending_available.remove(&(since, p));
    }
    if let Some(n) = node {
        live.ready_on_node.remove(n, p);
    }
}

fn adjust_node_deployment_count(store: &mut Store, n: NodeId, d: DeploymentId, delta: i32) {
    let counts = &mut store.active_on_node;
    if counts.len() <= d.0 as usize {
        counts.resize(d.0 as usize + 1, Vec::new());
    }
    let per_node = &mut counts[d.0 as usize];
    if per_node.len() <= n.0 as usize {
        per_node.resize(store.nodes.len().max(n.0 as usize + 1), 0);
    }
    per_node[n.0 as usize] = per_node[n.0 as usize].saturating_add_signed(delta);
}
