//! kube-proxy on one node (`pkg/proxy/iptables/proxier.go`, `pkg/proxy/topology.go`): its
//! informer cache of EndpointSlices, the bounded-frequency runner that applies a burst of
//! changes together (`minSyncPeriod` 1 s, burst 2), and the rules each sync writes — per
//! Service, the endpoints a new connection may be sent to, chosen uniformly
//! (`-m statistic --mode random --probability 1/(n-i)`).

use super::endpoint_slice::Endpoint;
use crate::model::PodId;
use crate::sim::SimTime;
use std::sync::Arc;

/// `iptables.minSyncPeriod` default.
pub const MIN_SYNC_PERIOD_MS: u64 = 1_000;
/// The runner's burst (`NewBoundedFrequencyRunner(..., minSyncPeriod, time.Hour, 2)`).
pub const SYNC_BURST: f64 = 2.0;

/// `CategorizeEndpoints` for the Cluster traffic policy without topology hints: the ready
/// endpoints; only when none is ready, those both serving and terminating (the
/// `ProxyTerminatingEndpoints` fallback, GA in 1.28). Indices into `endpoints`.
pub fn usable_endpoints(endpoints: &[Endpoint]) -> Vec<usize> {
    let ready: Vec<usize> = (0..endpoints.len())
        .filter(|&i| endpoints[i].ready)
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    (0..endpoints.len())
        .filter(|&i| endpoints[i].serving && endpoints[i].terminating)
        .collect()
}

/// The probability iptables mode prints on rule `i` of `n` (the last rule has none): picking
/// rule by rule with these is a uniform choice.
pub fn rule_probability(i: usize, n: usize) -> Option<f64> {
    (i + 1 < n).then(|| 1.0 / (n - i) as f64)
}

/// `BoundedFrequencyRunner`: a token bucket of `SYNC_BURST` tokens refilled one per
/// `MIN_SYNC_PERIOD_MS`; a run asked for when no token is left happens when one is.
#[derive(Debug, Clone, Copy)]
pub struct SyncRunner {
    tokens: f64,
    last: SimTime,
    /// A run already planned.
    pub pending: Option<SimTime>,
}

impl Default for SyncRunner {
    fn default() -> Self {
        SyncRunner {
            tokens: SYNC_BURST,
            last: SimTime::ZERO,
            pending: None,
        }
    }
}

impl SyncRunner {
    fn refill(&mut self, now: SimTime) {
        let elapsed = now.ms_since(self.last) as f64 / MIN_SYNC_PERIOD_MS as f64;
        self.tokens = (self.tokens + elapsed).min(SYNC_BURST);
        self.last = now;
    }

    /// `Run()`: when the sync happens — now if a token is free, else when one will be;
    /// `None` when a run is already planned (it will see this change too).
    pub fn request(&mut self, now: SimTime) -> Option<SimTime> {
        if self.pending.is_some() {
            return None;
        }
        self.refill(now);
        let at = if self.tokens >= 1.0 {
            now
        } else {
            let wait = ((1.0 - self.tokens) * MIN_SYNC_PERIOD_MS as f64).ceil() as u64;
            now.plus_ms(wait)
        };
        self.pending = Some(at);
        Some(at)
    }

    /// The planned run happens: it takes a token.
    pub fn ran(&mut self, now: SimTime) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
        self.pending = None;
    }
}

/// One Service's rules on a node: where new connections may go.
#[derive(Debug, Clone, Default)]
pub struct ServiceRules {
    /// The endpoints the rules were written from.
    pub endpoints: Arc<Vec<Endpoint>>,
    /// Usable endpoints: `(pod, ip)`, in slice order.
    pub usable: Vec<(PodId, u32)>,
}

impl ServiceRules {
    /// Rules written from a slice's endpoints.
    pub fn from_endpoints(endpoints: Arc<Vec<Endpoint>>) -> Self {
        let usable = usable_endpoints(&endpoints)
            .into_iter()
            .map(|i| (endpoints[i].pod, endpoints[i].ip))
            .collect();
        ServiceRules { endpoints, usable }
    }
}

/// kube-proxy's state on one node.
#[derive(Debug, Clone, Default)]
pub struct KubeProxy {
    /// The informer cache: the newest slice version delivered per Service index.
    pub cache: Vec<Option<(u32, Arc<Vec<Endpoint>>)>>,
    /// The rules in force per Service index.
    pub rules: Vec<Option<ServiceRules>>,
    /// Services whose cache changed since the last sync.
    pub dirty: Vec<u32>,
    #[allow(missing_docs)]
    pub runner: SyncRunner,
}

impl KubeProxy {
    /// `OnEndpointSliceUpdate`: the watch delivers version `version` of a Service's slices;
    /// `true` when it is newer than the cache (a sync is then wanted).
    pub fn on_slice_update(&mut self, service: u32, version: u32, eps: Arc<Vec<Endpoint>>) -> bool {
        let i = service as usize;
        if self.cache.len() <= i {
            self.cache.resize(i + 1, None);
        }
        if self.cache[i].as_ref().is_some_and(|(v, _)| *v >= version) {
            return false;
        }
        self.cache[i] = Some((version, eps));
        if !self.dirty.contains(&service) {
            self.dirty.push(service);
        }
        true
    }

    /// `syncProxyRules` (partial sync): rewrites the rules of the changed Services; returns
    /// them so the caller can record the new views.
    pub fn sync_proxy_rules(&mut self) -> Vec<u32> {
        let mut changed = std::mem::take(&mut self.dirty);
        changed.sort_unstable();
        for &s in &changed {
            let i = s as usize;
            if self.rules.len() <= i {
                self.rules.resize(i + 1, None);
            }
            let eps = self.cache[i].as_ref().map(|(_, e)| Arc::clone(e));
            self.rules[i] = eps.map(ServiceRules::from_endpoints);
        }
        changed
    }

    /// The rules of a Service, if any were written.
    pub fn rules_of(&self, service: u32) -> Option<&ServiceRules> {
        self.rules.get(service as usize).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;

    fn ep(id: u32, ready: bool, serving: bool, terminating: bool) -> Endpoint {
        Endpoint {
            pod: PodId(id),
            ip: id,
            node: NodeId(0),
            ready,
            serving,
            terminating,
        }
    }

    /// Upstream's `TestCategorizeEndpoints` rows for the Cluster policy without hints.
    #[test]
    fn ready_endpoints_first_serving_terminating_only_when_none_is_ready() {
        let both = [ep(1, true, true, false), ep(2, false, true, true)];
        assert_eq!(usable_endpoints(&both), [0]);
        let only_terminating = [
            ep(1, false, true, true),
            ep(2, false, false, true),
            ep(3, false, false, false),
        ];
        assert_eq!(usable_endpoints(&only_terminating), [0]);
        let none = [ep(1, false, false, true), ep(2, false, false, false)];
        assert!(usable_endpoints(&none).is_empty());
    }

    #[test]
    fn rule_probabilities_print_as_iptables_writes_them() {
        let p: Vec<String> = (0..3)
            .filter_map(|i| rule_probability(i, 3))
            .map(|p| format!("{p:.10}"))
            .collect();
        assert_eq!(p, ["0.3333333333", "0.5000000000"]);
        assert_eq!(rule_probability(0, 1), None);
    }

    #[test]
    fn the_runner_allows_two_syncs_then_one_a_second() {
        let mut r = SyncRunner::default();
        let t = SimTime::from_ms;
        assert_eq!(r.request(t(10_000)), Some(t(10_000)));
        r.ran(t(10_000));
        assert_eq!(r.request(t(10_000)), Some(t(10_000)));
        assert_eq!(r.request(t(10_001)), None, "already planned");
        r.ran(t(10_000));
        assert_eq!(r.request(t(10_100)), Some(t(11_000)));
        r.ran(t(11_000));
        assert_eq!(r.request(t(11_500)), Some(t(12_000)));
    }

    #[test]
    fn a_stale_delivery_is_ignored() {
        let mut k = KubeProxy::default();
        let eps = Arc::new(vec![ep(1, true, true, false)]);
        assert!(k.on_slice_update(0, 2, Arc::clone(&eps)));
        assert!(!k.on_slice_update(0, 1, Arc::new(vec![])));
        assert_eq!(k.sync_proxy_rules(), [0]);
        assert_eq!(k.rules_of(0).map(|r| r.usable.len()), Some(1));
    }
}
