//! The EndpointSlice controller (`pkg/controller/endpointslice`, the reconciler in the
//! `k8s.io/endpointslice` staging repository): for each Service with a selector, one endpoint
//! per matching pod that has an IP, with the `ready`/`serving`/`terminating` conditions of
//! `podToEndpoint`. Pods are looked up in the controller's own index (its informer cache);
//! the cluster feeds it pod facts and asks it to sync a Service after the reaction latency.

use crate::model::{NodeId, ObjectKey, Pod, PodId, PodPhase};
use crate::sim::SimTime;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// `--max-endpoints-per-slice` default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// What the controller reads of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodFacts {
    #[allow(missing_docs)]
    pub id: PodId,
    /// `status.podIP` as a number; 0 before the sandbox has one.
    pub ip: u32,
    #[allow(missing_docs)]
    pub node: Option<NodeId>,
    #[allow(missing_docs)]
    pub phase: PodPhase,
    /// The pod's Ready condition.
    pub ready: bool,
    /// Has a deletionTimestamp.
    pub terminating: bool,
    /// Removed from the API.
    pub gone: bool,
}

impl PodFacts {
    /// What the controller reads of pod `id`.
    pub fn of(id: PodId, pod: &Pod) -> Self {
        PodFacts {
            id,
            ip: pod.ip,
            node: pod.node,
            phase: pod.phase,
            ready: pod.ready,
            terminating: pod.deletion.is_some(),
            gone: pod.gone,
        }
    }
}

/// One endpoint of a Service, as its EndpointSlice lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    #[allow(missing_docs)]
    pub pod: PodId,
    #[allow(missing_docs)]
    pub ip: u32,
    #[allow(missing_docs)]
    pub node: NodeId,
    #[allow(missing_docs)]
    pub ready: bool,
    #[allow(missing_docs)]
    pub serving: bool,
    #[allow(missing_docs)]
    pub terminating: bool,
}

/// `ShouldPodBeInEndpoints`: not terminal, has an IP and a node, and — unless
/// `include_terminating` (the EndpointSlice controller passes true, the legacy Endpoints
/// controller passes `publishNotReadyAddresses`) — no deletionTimestamp.
pub fn should_pod_be_in_endpoints(pod: &PodFacts, include_terminating: bool) -> bool {
    !pod.gone
        && !matches!(pod.phase, PodPhase::Succeeded | PodPhase::Failed)
        && pod.ip != 0
        && pod.node.is_some()
        && (include_terminating || !pod.terminating)
}

/// `podToEndpoint`'s conditions: `serving` is the Ready condition, `terminating` the
/// deletionTimestamp, `ready` is `publishNotReadyAddresses || (serving && !terminating)`.
pub fn endpoint_conditions(
    pod_ready: bool,
    terminating: bool,
    publish_not_ready: bool,
) -> (bool, bool, bool) {
    let serving = pod_ready;
    (
        publish_not_ready || (serving && !terminating),
        serving,
        terminating,
    )
}

/// The endpoint of a pod that belongs in the slice.
pub fn pod_to_endpoint(pod: &PodFacts, publish_not_ready: bool) -> Option<Endpoint> {
    if !should_pod_be_in_endpoints(pod, true) {
        return None;
    }
    let (ready, serving, terminating) =
        endpoint_conditions(pod.ready, pod.terminating, publish_not_ready);
    Some(Endpoint {
        pod: pod.id,
        ip: pod.ip,
        node: pod.node?,
        ready,
        serving,
        terminating,
    })
}

/// `reconcileByPortMapping`'s order: endpoints already in a slice keep their place (updated
/// in place), those gone are removed, new ones are appended (here in pod creation order,
/// where upstream's set iteration has none).
pub fn reconcile(existing: &[Endpoint], desired: &[Endpoint]) -> Vec<Endpoint> {
    let wanted: BTreeMap<PodId, &Endpoint> = desired.iter().map(|e| (e.pod, e)).collect();
    let mut out: Vec<Endpoint> = existing
        .iter()
        .filter_map(|e| wanted.get(&e.pod).map(|w| **w))
        .collect();
    let kept: BTreeSet<PodId> = out.iter().map(|e| e.pod).collect();
    out.extend(desired.iter().filter(|e| !kept.contains(&e.pod)).copied());
    out
}

/// Counts of a list's endpoints by condition: `(ready, serving, terminating)`.
pub fn condition_counts(endpoints: &[Endpoint]) -> (u32, u32, u32) {
    endpoints.iter().fold((0, 0, 0), |(r, s, t), e| {
        (
            r + u32::from(e.ready),
            s + u32::from(e.serving),
            t + u32::from(e.terminating),
        )
    })
}

/// A Service's published endpoints.
#[derive(Debug, Clone, Default)]
pub struct ServiceEndpoints {
    /// The Service's namespace and name.
    pub service: ObjectKey,
    /// The endpoints in slice order (`MAX_ENDPOINTS_PER_SLICE` to a slice).
    pub endpoints: Arc<Vec<Endpoint>>,
    /// Bumped on every write.
    pub version: u32,
    /// When the slices were first written (their AGE).
    pub created: Option<SimTime>,
    /// Pods matching the selector (the controller's index), terminating ones included.
    pub pods: BTreeSet<PodId>,
    /// Whether the Service still exists.
    pub live: bool,
}

/// The controller's state: one entry per Service it has seen, by a dense index.
#[derive(Debug, Clone, Default)]
pub struct EndpointSliceController {
    /// Services by index.
    pub services: Vec<ServiceEndpoints>,
    /// Index by Service namespace and name.
    pub by_name: BTreeMap<ObjectKey, u32>,
}

impl EndpointSliceController {
    /// The index of a Service, adding it when first seen.
    pub fn index_of(&mut self, service: &ObjectKey) -> u32 {
        if let Some(&i) = self.by_name.get(service) {
            return i;
        }
        let i = self.services.len() as u32;
        self.services.push(ServiceEndpoints {
            service: service.clone(),
            live: true,
            ..Default::default()
        });
        self.by_name.insert(service.clone(), i);
        i
    }

    /// The published endpoints of a Service, if the controller knows it.
    pub fn get(&self, service: &ObjectKey) -> Option<&ServiceEndpoints> {
        self.by_name
            .get(service)
            .map(|&i| &self.services[i as usize])
    }

    /// `syncService`: the desired endpoints from the indexed pods' facts, reconciled with
    /// what is published; `true` when the slices were written.
    pub fn sync_service(
        &mut self,
        index: u32,
        facts: &[PodFacts],
        publish_not_ready: bool,
        now: SimTime,
    ) -> bool {
        let s = &mut self.services[index as usize];
        let desired: Vec<Endpoint> = if s.live {
            facts
                .iter()
                .filter_map(|f| pod_to_endpoint(f, publish_not_ready))
                .collect()
        } else {
            Vec::new()
        };
        let next = reconcile(&s.endpoints, &desired);
        let first_write = s.created.is_none() && s.live;
        if next == *s.endpoints && !first_write {
            return false;
        }
        s.created.get_or_insert(now);
        s.endpoints = Arc::new(next);
        s.version += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(id: u32, ready: bool, terminating: bool) -> PodFacts {
        PodFacts {
            id: PodId(id),
            ip: 0x0af4_0102 + id,
            node: Some(NodeId(0)),
            phase: PodPhase::Running,
            ready,
            terminating,
            gone: false,
        }
    }

    /// The rows of upstream's `TestPodToEndpoint` that concern conditions.
    #[test]
    fn conditions_follow_pod_to_endpoint() {
        // (pod ready, terminating, publishNotReadyAddresses) -> (ready, serving, terminating)
        let rows = [
            ((true, false, false), (true, true, false)),
            ((false, false, false), (false, false, false)),
            ((false, false, true), (true, false, false)),
            ((true, true, false), (false, true, true)),
            ((false, true, false), (false, false, true)),
            ((true, true, true), (true, true, true)),
        ];
        for ((r, t, p), want) in rows {
            assert_eq!(endpoint_conditions(r, t, p), want, "row {r} {t} {p}");
        }
    }

    /// `TestShouldPodBeInEndpoints`: terminal pods and pods without an IP are left out;
    /// terminating pods only when the caller includes them.
    #[test]
    fn membership_follows_should_pod_be_in_endpoints() {
        let mut p = pod(1, true, false);
        assert!(should_pod_be_in_endpoints(&p, false));
        p.phase = PodPhase::Failed;
        assert!(!should_pod_be_in_endpoints(&p, true));
        p.phase = PodPhase::Succeeded;
        assert!(!should_pod_be_in_endpoints(&p, true));
        let mut p = pod(1, true, false);
        p.ip = 0;
        assert!(!should_pod_be_in_endpoints(&p, true));
        let p = pod(1, true, true);
        assert!(should_pod_be_in_endpoints(&p, true));
        assert!(!should_pod_be_in_endpoints(&p, false));
    }

    #[test]
    fn reconcile_keeps_places_updates_in_place_and_appends() {
        let e = |id, ready| pod_to_endpoint(&pod(id, ready, false), false).unwrap();
        let existing = vec![e(1, true), e(2, true), e(3, true)];
        let desired = vec![e(4, false), e(3, true), e(1, false)];
        let got: Vec<(u32, bool)> = reconcile(&existing, &desired)
            .iter()
            .map(|x| (x.pod.0, x.ready))
            .collect();
        assert_eq!(got, [(1, false), (3, true), (4, false)]);
    }

    #[test]
    fn a_sync_writes_only_on_change_and_the_first_write_makes_the_placeholder() {
        let mut c = EndpointSliceController::default();
        let i = c.index_of(&crate::model::object_key("default", "svc"));
        assert!(c.sync_service(i, &[], false, SimTime::ZERO), "placeholder");
        assert!(!c.sync_service(i, &[], false, SimTime::ZERO));
        assert!(c.sync_service(i, &[pod(1, false, false)], false, SimTime::ZERO));
        assert!(!c.sync_service(i, &[pod(1, false, false)], false, SimTime::ZERO));
        assert!(c.sync_service(i, &[pod(1, true, false)], false, SimTime::ZERO));
        assert_eq!(c.services[0].version, 3);
        assert_eq!(condition_counts(&c.services[0].endpoints), (1, 1, 0));
    }
}
