//! What a pod asks of the scheduler beyond resources: tolerations of node taints, node
//! affinity, inter-pod (anti-)affinity and topology spread, as `core/v1` writes them, with
//! the matching rules kube-scheduler's plugins use.

use super::LabelSelector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The label every node carries with its own name (set by the kubelet).
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
/// The zone label of well-known topology.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    #[allow(missing_docs)]
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

impl Taint {
    /// `Taint.ToString`: `key=value:effect`, `key:effect`, `key=value:` or `key`.
    pub fn to_text(&self) -> String {
        match (self.value.is_empty(), self.effect.is_empty()) {
            (true, true) => self.key.clone(),
            (false, true) => format!("{}={}:", self.key, self.value),
            (true, false) => format!("{}:{}", self.key, self.effect),
            (false, false) => format!("{}={}:{}", self.key, self.value, self.effect),
        }
    }

    /// `MatchTaint`: the same key and effect.
    pub fn same_slot(&self, other: &Taint) -> bool {
        self.key == other.key && self.effect == other.effect
    }

    /// Whether the scheduler's filter looks at it (`PreferNoSchedule` only scores).
    pub fn filters(&self) -> bool {
        self.effect == "NoSchedule" || self.effect == "NoExecute"
    }
}

/// A pod's toleration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// Empty with `Exists`: every key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// `Equal` (the default) or `Exists`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[allow(missing_docs)]
    pub value: String,
    /// Empty: every effect.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub effect: String,
    /// For `NoExecute`: how long the pod stays once the taint appears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// Mirrors `Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.as_str() {
            "Exists" => true,
            "" | "Equal" => self.value == taint.value,
            _ => false,
        }
    }
}

/// The keys the `DefaultTolerationSeconds` admission plugin tolerates for 300 s.
pub const DEFAULT_TOLERATED_KEYS: [&str; 2] = [
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
];

/// `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// The pod's tolerations after the `DefaultTolerationSeconds` admission plugin: each of
/// the not-ready and unreachable `NoExecute` tolerations (300 s) is added unless one with
/// that key (or no key) and `NoExecute` (or no effect) is already there.
pub fn with_default_tolerations(tolerations: &[Toleration]) -> Vec<Toleration> {
    let mut all = tolerations.to_vec();
    for key in DEFAULT_TOLERATED_KEYS {
        let covered = tolerations.iter().any(|t| {
            (t.key == key || t.key.is_empty()) && (t.effect == "NoExecute" || t.effect.is_empty())
        });
        if !covered {
            all.push(Toleration {
                key: key.to_string(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
            });
        }
    }
    all
}

/// Mirrors the taint-eviction controller's `getMinTolerationTime` for a pod on a node
/// with these `NoExecute` taints (`tolerations` as admitted, defaults included): seconds
/// until the pod is deleted — `Some(0)` at once when a taint is not tolerated, the
/// smallest `tolerationSeconds` of the tolerations used (negative counts as 0), `None`
/// when they tolerate it forever.
pub fn no_execute_delay(tolerations: &[Toleration], taints: &[&Taint]) -> Option<u64> {
    let mut min: Option<u64> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let used: Vec<&Toleration> = tolerations.iter().filter(|t| t.tolerates(taint)).collect();
        if used.is_empty() {
            return Some(0);
        }
        for t in used {
            if let Some(s) = t.toleration_seconds {
                let s = s.max(0) as u64;
                min = Some(min.map_or(s, |m| m.min(s)));
            }
        }
    }
    min
}

/// Mirrors `FindMatchingUntoleratedTaint` over the taints the filter considers: the first
/// taint no toleration tolerates.
pub fn untolerated_taint<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| t.filters())
        .find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// One `kubectl taint` argument: a taint to add (`key=value:effect`, `key:effect`) or to
/// remove (`key-`, `key:effect-`), as `parseTaints` reads it, with its errors.
pub fn parse_taint_spec(spec: &str) -> Result<(Taint, bool), String> {
    if let Some(body) = spec.strip_suffix('-') {
        let taint = parse_taint(body)?;
        let removed = Taint {
            value: String::new(),
            ..taint
        };
        return Ok((removed, true));
    }
    let taint = parse_taint(spec)?;
    // An effect is required to add a taint.
    if taint.effect.is_empty() {
        return Err(format!("invalid taint spec: {spec}"));
    }
    Ok((taint, false))
}

/// Mirrors kubectl's `parseTaint`: `<key>=<value>:<effect>`, `<key>:<effect>` or `<key>`;
/// the effect is checked first, then the value (`IsValidLabelValue`), then the key
/// (`IsQualifiedName`).
fn parse_taint(spec: &str) -> Result<Taint, String> {
    let invalid = |errs: Vec<String>| match errs.is_empty() {
        true => format!("invalid taint spec: {spec}"),
        false => format!("invalid taint spec: {spec}, {}", errs.join("; ")),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (key, value, effect) = match parts.as_slice() {
        [key] => (*key, "", ""),
        [key_value, effect] => {
            if !EFFECTS.contains(effect) {
                return Err(format!(
                    "invalid taint effect: {effect}, unsupported taint effect"
                ));
            }
            match key_value.split('=').collect::<Vec<_>>().as_slice() {
                [key] => (*key, "", *effect),
                [key, value] => {
                    let errs = super::validation::label_value(value);
                    if !errs.is_empty() {
                        return Err(invalid(errs));
                    }
                    (*key, *value, *effect)
                }
                _ => return Err(invalid(Vec::new())),
            }
        }
        _ => return Err(invalid(Vec::new())),
    };
    let errs = super::validation::label_key(key);
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    Ok(Taint {
        key: key.into(),
        value: value.into(),
        effect: effect.into(),
    })
}

/// `CheckIfTaintsAlreadyExists`: the keys of taints to add that the node has with the same
/// effect, comma-separated (empty when none).
pub fn taints_already_present(old: &[Taint], add: &[Taint]) -> String {
    add.iter()
        .filter(|t| old.iter().any(|o| o.same_slot(t)))
        .map(|t| t.key.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// `ReorganizeTaints`: the node's taints after adding and removing, with kubectl's word for
/// what happened (`tainted`, `untainted`, `modified`) and an error per taint to remove that
/// was not there.
pub fn reorganize_taints(
    old: &[Taint],
    overwrite: bool,
    add: &[Taint],
    remove: &[Taint],
) -> (&'static str, Vec<Taint>, Vec<String>) {
    let mut new: Vec<Taint> = add.to_vec();
    for o in old {
        if !new.iter().any(|t| t.same_slot(o)) {
            new.push(o.clone());
        }
    }
    let added = old.len() != new.len();
    let (mut errors, mut deleted) = (Vec::new(), false);
    for r in remove {
        let before = new.len();
        new.retain(|t| t.key != r.key || (!r.effect.is_empty() && t.effect != r.effect));
        // As upstream: only the last removal decides whether something was deleted.
        deleted = new.len() != before;
        if !deleted {
            errors.push(format!("taint {:?} not found", r.to_text()));
        }
    }
    let operation = if (added && deleted) || overwrite {
        "modified"
    } else if added {
        "tainted"
    } else {
        "untainted"
    };
    (operation, new, errors)
}

/// `spec.affinity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Affinity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub node_affinity: Option<NodeAffinity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub pod_affinity: Option<PodAffinity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// `nodeAffinity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeAffinity {
    /// Filter: the node must match one of its terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Score only: NodeAffinity's score adds the weights of the terms a node matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// A `NodeSelector`: terms ORed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelector {
    #[allow(missing_docs)]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// One term: its expressions ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorTerm {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Only `metadata.name` is a field upstream allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// One node selector requirement (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    #[allow(missing_docs)]
    pub key: String,
    #[allow(missing_docs)]
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub values: Vec<String>,
}

impl NodeSelectorRequirement {
    /// Mirrors the label selector requirement match of `nodeaffinity.NodeSelector`.
    fn matches(&self, value: Option<&String>) -> bool {
        let int = |s: &str| s.parse::<i64>().ok();
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| self.values.contains(v)),
            "NotIn" => value.is_none_or(|v| !self.values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            "Gt" | "Lt" => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| int(v)),
                    self.values.first().and_then(|b| int(b)),
                ) else {
                    return false;
                };
                if self.operator == "Gt" {
                    v > bound
                } else {
                    v < bound
                }
            }
            _ => false,
        }
    }
}

impl NodeSelectorTerm {
    /// All expressions hold (an empty term matches nothing, as upstream).
    pub fn matches(&self, node_name: &str, labels: &BTreeMap<String, String>) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false;
        }
        let name = node_name.to_string();
        self.match_expressions
            .iter()
            .all(|r| r.matches(labels.get(&r.key)))
            && self
                .match_fields
                .iter()
                .all(|r| r.key == "metadata.name" && r.matches(Some(&name)))
    }
}

impl NodeSelector {
    /// Any term matches.
    pub fn matches(&self, node_name: &str, labels: &BTreeMap<String, String>) -> bool {
        self.node_selector_terms
            .iter()
            .any(|t| t.matches(node_name, labels))
    }
}

/// A weighted node preference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferredSchedulingTerm {
    #[allow(missing_docs)]
    pub weight: i32,
    #[allow(missing_docs)]
    pub preference: NodeSelectorTerm,
}

/// `podAffinity` or `podAntiAffinity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodAffinity {
    /// Filter terms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Score only: InterPodAffinity weighs each term per topology domain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// Pods matching `labelSelector` in the same `topologyKey` domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodAffinityTerm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub label_selector: Option<LabelSelector>,
    #[allow(missing_docs)]
    pub topology_key: String,
    /// Other namespaces (rollsim has one namespace, so only its own name has effect).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub match_label_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub mismatch_label_keys: Vec<String>,
}

impl PodAffinityTerm {
    /// Whether a pod with `labels` is one the term is about (a missing selector selects
    /// nothing, as upstream's nil selector).
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        self.label_selector
            .as_ref()
            .is_some_and(|s| s.matches(labels))
    }

    /// Whether the term, on a pod in namespace `own`, is about a pod in namespace `ns`:
    /// `namespaces` and `namespaceSelector` (matched against the namespace's automatic
    /// `kubernetes.io/metadata.name` label) together, or the pod's own namespace when
    /// neither is set (`GetNamespaceLabelsSnapshot` / `getNamespacesFromPodAffinityTerm`).
    pub fn covers_namespace(&self, own: &str, ns: &str) -> bool {
        if self.namespaces.is_empty() && self.namespace_selector.is_none() {
            return ns == own;
        }
        let labels = BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())]);
        self.namespaces.iter().any(|n| n == ns)
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|s| s.matches(&labels))
    }

    /// Whether a pod in namespace `ns` with `labels` is one the term (on a pod in `own`)
    /// selects.
    pub fn selects_pod(&self, own: &str, ns: &str, labels: &BTreeMap<String, String>) -> bool {
        self.covers_namespace(own, ns) && self.selects(labels)
    }
}

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A weighted pod (anti-)affinity preference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightedPodAffinityTerm {
    #[allow(missing_docs)]
    pub weight: i32,
    #[allow(missing_docs)]
    pub pod_affinity_term: PodAffinityTerm,
}

/// One `topologySpreadConstraints` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopologySpreadConstraint {
    #[allow(missing_docs)]
    pub max_skew: i32,
    #[allow(missing_docs)]
    pub topology_key: String,
    /// `DoNotSchedule` filters; `ScheduleAnyway` only scores.
    pub when_unsatisfiable: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub label_selector: Option<LabelSelector>,
    /// With fewer eligible domains, the global minimum counts as 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_domains: Option<i32>,
    /// `Honor` (default): only nodes matching the pod's node affinity and selector count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity_policy: Option<String>,
    /// `Ignore` (default): tainted nodes count as domains too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_taints_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub match_label_keys: Vec<String>,
}

impl TopologySpreadConstraint {
    /// Whether the filter applies it.
    pub fn filters(&self) -> bool {
        self.when_unsatisfiable == "DoNotSchedule"
    }

    /// Whether a pod with `labels` counts toward the spread.
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        self.label_selector
            .as_ref()
            .is_some_and(|s| s.matches(labels))
    }
}

/// Mirrors the PodTopologySpread filter's arithmetic for one constraint: placing the pod in
/// a domain holding `in_domain` matching pods is allowed when `in_domain + self_match −
/// global_min ≤ max_skew`, where the global minimum is over the eligible domains and counts
/// as 0 while there are fewer domains than `min_domains`.
pub fn spread_allows(
    in_domain: usize,
    self_match: bool,
    domain_counts: &[usize],
    max_skew: i32,
    min_domains: Option<i32>,
) -> bool {
    let global_min = domain_counts.iter().copied().min().unwrap_or(0);
    let domains = (domain_counts.len(), global_min);
    spread_allows_given(in_domain, self_match, domains, max_skew, min_domains)
}

/// [`spread_allows`] with the number of eligible domains and their smallest count computed
/// once per scheduling cycle (as `PreFilter` does), not for every node.
pub fn spread_allows_given(
    in_domain: usize,
    self_match: bool,
    (domains, smallest): (usize, usize),
    max_skew: i32,
    min_domains: Option<i32>,
) -> bool {
    let mut global_min = smallest;
    if min_domains.is_some_and(|m| (domains as i64) < i64::from(m)) {
        global_min = 0;
    }
    let skew = in_domain as i64 + i64::from(self_match) - global_min as i64;
    skew <= i64::from(max_skew)
}

/// Taint effects, as the API server lists them.
const EFFECTS: [&str; 3] = ["NoExecute", "NoSchedule", "PreferNoSchedule"];

/// `"a", "b"` as `field.NotSupported` lists supported values.
fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a taint effect is one the API server accepts (for nodes and tolerations).
pub fn effect_error(path: &str, effect: &str) -> Option<String> {
    (!EFFECTS.contains(&effect)).then(|| {
        format!(
            "{path}: Unsupported value: {effect:?}: supported values: {}",
            quoted(&EFFECTS)
        )
    })
}

/// `ValidateNodeSelectorRequirement`: the operator's value count, then the key.
fn validate_node_selector_requirement(
    at: &str,
    r: &NodeSelectorRequirement,
    errors: &mut Vec<String>,
) {
    match r.operator.as_str() {
        "In" | "NotIn" if r.values.is_empty() => errors.push(format!(
            "{at}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
        )),
        "Exists" | "DoesNotExist" if !r.values.is_empty() => errors.push(format!(
            "{at}.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        )),
        "Gt" | "Lt" if r.values.len() != 1 => errors.push(format!(
            "{at}.values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
        )),
        "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
        op => errors.push(format!(
            "{at}.operator: Invalid value: {op:?}: not a valid selector operator"
        )),
    }
    super::validation::label_key_at(&format!("{at}.key"), &r.key, errors);
}

/// `validateNodeFieldSelectorRequirement`: one value for `In`/`NotIn`, and only the
/// `metadata.name` field, whose values must be node names.
fn validate_node_field_requirement(
    at: &str,
    r: &NodeSelectorRequirement,
    errors: &mut Vec<String>,
) {
    match r.operator.as_str() {
        "In" | "NotIn" if r.values.len() != 1 => errors.push(format!(
            "{at}.values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
        )),
        "In" | "NotIn" => {}
        op => errors.push(format!(
            "{at}.operator: Invalid value: {op:?}: not a valid selector operator"
        )),
    }
    if r.key != "metadata.name" {
        errors.push(format!(
            "{at}.key: Invalid value: {:?}: not a valid field selector key",
            r.key
        ));
        return;
    }
    for (i, v) in r.values.iter().enumerate() {
        for m in super::validation::dns1123_subdomain(v) {
            errors.push(format!("{at}.values[{i}]: Invalid value: {v:?}: {m}"));
        }
    }
}

/// `ValidateNodeSelectorTerm`: each expression, then each field requirement.
fn validate_node_selector_term(at: &str, t: &NodeSelectorTerm, errors: &mut Vec<String>) {
    for (j, r) in t.match_expressions.iter().enumerate() {
        validate_node_selector_requirement(&format!("{at}.matchExpressions[{j}]"), r, errors);
    }
    for (j, r) in t.match_fields.iter().enumerate() {
        validate_node_field_requirement(&format!("{at}.matchFields[{j}]"), r, errors);
    }
}

/// `validateNodeAffinity`: the required selector has at least one term and every term is
/// valid; each preferred term weighs 1–100 and its preference is a valid term.
fn validate_node_affinity(p: &str, n: &NodeAffinity, errors: &mut Vec<String>) {
    if let Some(required) = &n.required_during_scheduling_ignored_during_execution {
        let at = format!("{p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        if required.node_selector_terms.is_empty() {
            errors.push(format!(
                "{at}: Required value: must have at least one node selector term"
            ));
        }
        for (i, t) in required.node_selector_terms.iter().enumerate() {
            validate_node_selector_term(&format!("{at}[{i}]"), t, errors);
        }
    }
    let preferred = &n.preferred_during_scheduling_ignored_during_execution;
    for (i, t) in preferred.iter().enumerate() {
        let at = format!("{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        weight_in_range(&at, t.weight, errors);
        validate_node_selector_term(&format!("{at}.preference"), &t.preference, errors);
    }
}

/// The weight rule shared by `validatePreferredSchedulingTerms` and
/// `validateWeightedPodAffinityTerms`.
fn weight_in_range(at: &str, w: i32, errors: &mut Vec<String>) {
    if !(1..=100).contains(&w) {
        errors.push(format!(
            "{at}.weight: Invalid value: {w}: must be in the range 1-100"
        ));
    }
}

/// `validateAffinity`: node affinity's terms, then pod (anti-)affinity terms, each naming
/// a topology key, preferred ones weighing 1–100.
fn validate_affinity(p: &str, a: &Affinity, errors: &mut Vec<String>) {
    if let Some(n) = &a.node_affinity {
        validate_node_affinity(&format!("{p}.nodeAffinity"), n, errors);
    }
    let no_key = |at: String, t: &PodAffinityTerm, errors: &mut Vec<String>| {
        if t.topology_key.is_empty() {
            errors.push(format!(
                "{at}.topologyKey: Required value: can not be empty"
            ));
        }
    };
    for (name, terms) in [
        ("podAffinity", &a.pod_affinity),
        ("podAntiAffinity", &a.pod_anti_affinity),
    ] {
        let Some(terms) = terms else { continue };
        let required = &terms.required_during_scheduling_ignored_during_execution;
        for (i, t) in required.iter().enumerate() {
            let at = format!("{p}.{name}.requiredDuringSchedulingIgnoredDuringExecution[{i}]");
            no_key(at, t, errors);
        }
        let preferred = &terms.preferred_during_scheduling_ignored_during_execution;
        for (i, t) in preferred.iter().enumerate() {
            let at = format!("{p}.{name}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            weight_in_range(&at, t.weight, errors);
            no_key(
                format!("{at}.podAffinityTerm"),
                &t.pod_affinity_term,
                errors,
            );
        }
    }
}

/// The scheduling fields' rules of `ValidatePodSpec` that rollsim can check: tolerations,
/// affinity terms' topology keys and weights, and topology spread constraints.
pub fn validate(p: &str, spec: &super::template::PodSpec, errors: &mut Vec<String>) {
    for (i, t) in spec.tolerations.iter().enumerate() {
        let at = format!("{p}.tolerations[{i}]");
        if t.toleration_seconds.is_some() && t.effect != "NoExecute" {
            errors.push(format!(
                "{at}.effect: Invalid value: {:?}: effect must be 'NoExecute' when `tolerationSeconds` is set",
                t.effect
            ));
        }
        match t.operator.as_str() {
            "" | "Equal" | "Exists" => {}
            op => errors.push(format!(
                "{at}.operator: Unsupported value: {op:?}: supported values: \"Equal\", \"Exists\""
            )),
        }
        if t.operator == "Exists" && !t.value.is_empty() {
            errors.push(format!(
                "{at}.operator: Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'"
            ));
        }
        if !t.effect.is_empty() {
            errors.extend(effect_error(&format!("{at}.effect"), &t.effect));
        }
    }
    if let Some(a) = &spec.affinity {
        validate_affinity(&format!("{p}.affinity"), a, errors);
    }
    for (i, t) in spec.topology_spread_constraints.iter().enumerate() {
        let at = format!("{p}.topologySpreadConstraints[{i}]");
        if t.max_skew <= 0 {
            errors.push(format!(
                "{at}.maxSkew: Invalid value: {}: must be greater than zero",
                t.max_skew
            ));
        }
        if t.topology_key.is_empty() {
            errors.push(format!(
                "{at}.topologyKey: Required value: can not be empty"
            ));
        }
        if !matches!(
            t.when_unsatisfiable.as_str(),
            "DoNotSchedule" | "ScheduleAnyway"
        ) {
            errors.push(format!(
                "{at}.whenUnsatisfiable: Unsupported value: {:?}: supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
                t.when_unsatisfiable
            ));
        }
        if let Some(m) = t.min_domains.filter(|m| *m <= 0) {
            errors.push(format!(
                "{at}.minDomains: Invalid value: {m}: must be greater than zero"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_execute_toleration(key: &str, effect: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: effect.into(),
            toleration_seconds: seconds,
        }
    }

    #[test]
    fn default_toleration_seconds_adds_only_what_is_not_covered() {
        // `TestForgivenessAdmission`'s cases: none given → both added; an unreachable
        // toleration of its own keeps it and still gets not-ready; an empty key with
        // NoExecute covers both.
        let keys = |ts: &[Toleration]| -> Vec<(String, Option<i64>)> {
            with_default_tolerations(ts)
                .into_iter()
                .map(|t| (t.key, t.toleration_seconds))
                .collect()
        };
        assert_eq!(
            keys(&[]),
            [
                ("node.kubernetes.io/not-ready".to_string(), Some(300)),
                ("node.kubernetes.io/unreachable".to_string(), Some(300))
            ]
        );
        let own = [no_execute_toleration(
            "node.kubernetes.io/unreachable",
            "NoExecute",
            Some(30),
        )];
        assert_eq!(
            keys(&own),
            [
                ("node.kubernetes.io/unreachable".to_string(), Some(30)),
                ("node.kubernetes.io/not-ready".to_string(), Some(300))
            ]
        );
        assert_eq!(
            keys(&[no_execute_toleration("", "", None)]).len(),
            1,
            "tolerates everything"
        );
        let no_schedule = [no_execute_toleration(
            "node.kubernetes.io/unreachable",
            "NoSchedule",
            None,
        )];
        assert_eq!(
            keys(&no_schedule).len(),
            3,
            "a NoSchedule toleration covers nothing"
        );
    }

    #[test]
    fn min_toleration_time_as_the_taint_eviction_controller_computes_it() {
        let taint = |key: &str| Taint {
            key: key.into(),
            value: String::new(),
            effect: "NoExecute".into(),
        };
        let (a, b) = (taint("a"), taint("b"));
        // `TestGetMinTolerationTime`'s shape: not tolerated → now; the smallest seconds
        // among the tolerations used; none with seconds → forever; negative → now.
        assert_eq!(no_execute_delay(&[], &[&a]), Some(0));
        let ts = [
            no_execute_toleration("a", "NoExecute", Some(60)),
            no_execute_toleration("b", "", Some(20)),
        ];
        assert_eq!(no_execute_delay(&ts, &[&a, &b]), Some(20));
        assert_eq!(
            no_execute_delay(&ts[..1], &[&a, &b]),
            Some(0),
            "b untolerated"
        );
        assert_eq!(
            no_execute_delay(&[no_execute_toleration("a", "NoExecute", None)], &[&a]),
            None
        );
        assert_eq!(
            no_execute_delay(&[no_execute_toleration("a", "", Some(-5))], &[&a]),
            Some(0)
        );
        let no_schedule = Taint {
            effect: "NoSchedule".into(),
            ..taint("c")
        };
        assert_eq!(
            no_execute_delay(&[], &[&no_schedule]),
            None,
            "only NoExecute evicts"
        );
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
        }
    }

    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    /// Upstream's `TestTolerationToleratesTaint` cases, as a table.
    #[test]
    fn tolerations_match_taints_as_upstreams_table() {
        let t = taint("foo", "bar", "NoSchedule");
        let cases = [
            (toleration("", "Exists", "", ""), true),
            (toleration("foo", "Exists", "", ""), true),
            (toleration("foo", "Exists", "", "NoSchedule"), true),
            (toleration("foo", "Exists", "", "NoExecute"), false),
            (toleration("foo", "Equal", "bar", "NoSchedule"), true),
            (toleration("foo", "", "bar", ""), true),
            (toleration("foo", "Equal", "baz", "NoSchedule"), false),
            (toleration("bar", "Equal", "bar", "NoSchedule"), false),
            (toleration("foo", "Lt", "bar", ""), false),
        ];
        for (tol, want) in cases {
            assert_eq!(tol.tolerates(&t), want, "{tol:?}");
        }
    }

    #[test]
    fn taint_specs_parse_as_kubectl_reads_them() {
        assert_eq!(
            parse_taint_spec("dedicated=batch:NoSchedule"),
            Ok((taint("dedicated", "batch", "NoSchedule"), false))
        );
        assert_eq!(
            parse_taint_spec("gpu:NoExecute"),
            Ok((taint("gpu", "", "NoExecute"), false))
        );
        assert_eq!(parse_taint_spec("gpu-"), Ok((taint("gpu", "", ""), true)));
        assert_eq!(
            parse_taint_spec("gpu:NoSchedule-"),
            Ok((taint("gpu", "", "NoSchedule"), true))
        );
        assert!(parse_taint_spec("gpu").is_err());
        assert_eq!(
            parse_taint_spec("gpu=x:Never"),
            Err("invalid taint effect: Never, unsupported taint effect".into())
        );
    }

    /// Upstream's `TestParseTaints`, one spec at a time, and the texts of its errors.
    #[test]
    fn parse_taints_table() {
        for bad in [
            "",
            "foo=abc",
            "foo=abc=xyz:NoSchedule",
            "foo=abc:xyz:NoSchedule",
            "foo",
            "foo=abc:invalid_effect",
            "foo:invalid_effect-",
        ] {
            assert!(parse_taint_spec(bad).is_err(), "{bad:?}");
        }
        for (spec, key, value) in [
            ("foo=abc:NoSchedule", "foo", "abc"),
            ("baz:NoSchedule", "baz", ""),
            ("foobar=:NoSchedule", "foobar", ""),
        ] {
            let want = (taint(key, value, "NoSchedule"), false);
            assert_eq!(parse_taint_spec(spec), Ok(want), "{spec}");
        }
        for (spec, key, effect) in [
            ("foo:NoSchedule-", "foo", "NoSchedule"),
            ("qux=:NoSchedule-", "qux", "NoSchedule"),
            ("baz=x:NoSchedule-", "baz", "NoSchedule"),
            ("dedicated-", "dedicated", ""),
        ] {
            let want = (taint(key, "", effect), true);
            assert_eq!(parse_taint_spec(spec), Ok(want), "{spec}");
        }
        assert_eq!(
            parse_taint_spec("foo=abc=xyz:NoSchedule"),
            Err("invalid taint spec: foo=abc=xyz:NoSchedule".into())
        );
        assert_eq!(
            parse_taint_spec("foo"),
            Err("invalid taint spec: foo".into())
        );
        let bad_key = parse_taint_spec("-x:NoSchedule").unwrap_err();
        assert!(bad_key.starts_with("invalid taint spec: -x:NoSchedule, name part must consist"));
    }

    /// The cases of upstream's `TestReorganizeTaints`, as a table.
    #[test]
    fn taints_reorganize_as_upstream() {
        let old = [taint("foo", "bar", "NoSchedule")];
        let (op, new, errors) =
            reorganize_taints(&old, false, &[taint("bar", "", "NoSchedule")], &[]);
        assert_eq!((op, new.len(), errors.len()), ("tainted", 2, 0));
        let (op, new, _) = reorganize_taints(&old, false, &[], &[taint("foo", "", "")]);
        assert_eq!((op, new.len()), ("untainted", 0));
        let (op, new, _) = reorganize_taints(&old, true, &[taint("foo", "baz", "NoSchedule")], &[]);
        assert_eq!(
            (op, new),
            ("modified", vec![taint("foo", "baz", "NoSchedule")])
        );
        let (op, _, _) = reorganize_taints(
            &old,
            false,
            &[taint("bar", "", "NoSchedule")],
            &[taint("foo", "", "NoSchedule")],
        );
        assert_eq!(op, "modified");
        let (_, _, errors) = reorganize_taints(&old, false, &[], &[taint("foo", "", "NoExecute")]);
        assert_eq!(errors, ["taint \"foo:NoExecute\" not found"]);
        assert_eq!(
            taints_already_present(&old, &[taint("foo", "x", "NoSchedule")]),
            "foo"
        );
        assert_eq!(
            taints_already_present(&old, &[taint("foo", "x", "NoExecute")]),
            ""
        );
    }

    #[test]
    fn prefer_no_schedule_taints_never_filter() {
        let taints = [
            taint("a", "", "PreferNoSchedule"),
            taint("b", "x", "NoSchedule"),
        ];
        assert_eq!(untolerated_taint(&taints, &[]), Some(&taints[1]));
        let tol = [toleration("b", "Exists", "", "")];
        assert_eq!(untolerated_taint(&taints, &tol), None);
    }

    #[test]
    fn node_selector_terms_or_and_expressions_and() {
        let labels: BTreeMap<String, String> = [("zone", "a"), ("size", "8")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let req = |key: &str, op: &str, values: &[&str]| NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let term = |reqs: Vec<NodeSelectorRequirement>| NodeSelectorTerm {
            match_expressions: reqs,
            match_fields: Vec::new(),
        };
        assert!(
            term(vec![
                req("zone", "In", &["a", "b"]),
                req("size", "Gt", &["4"])
            ])
            .matches("n", &labels)
        );
        assert!(
            !term(vec![req("zone", "In", &["a"]), req("size", "Lt", &["4"])]).matches("n", &labels)
        );
        assert!(term(vec![req("gpu", "DoesNotExist", &[])]).matches("n", &labels));
        assert!(term(vec![req("zone", "NotIn", &["b"])]).matches("n", &labels));
        assert!(
            !term(vec![]).matches("n", &labels),
            "an empty term matches nothing"
        );
        let fields = NodeSelectorTerm {
            match_expressions: Vec::new(),
            match_fields: vec![req("metadata.name", "In", &["n"])],
        };
        assert!(fields.matches("n", &labels) && !fields.matches("m", &labels));
        let selector = NodeSelector {
            node_selector_terms: vec![
                term(vec![req("zone", "In", &["c"])]),
                term(vec![req("zone", "In", &["a"])]),
            ],
        };
        assert!(selector.matches("n", &labels));
    }

    /// Upstream's spread arithmetic: skew = count in the domain + self − global minimum.
    #[test]
    fn spread_allows_within_max_skew() {
        // Zones with 2, 1, 1 matching pods: the emptier zones take the next pod, the full one not.
        assert!(spread_allows(1, true, &[2, 1, 1], 1, None));
        assert!(!spread_allows(2, true, &[2, 1, 1], 1, None));
        // A pod that does not match its own selector adds nothing.
        assert!(spread_allows(2, false, &[2, 1, 1], 1, None));
        // minDomains 4 with three domains: the minimum counts as 0.
        assert!(!spread_allows(1, true, &[2, 1, 1], 1, Some(4)));
        assert!(spread_allows(0, true, &[0, 0, 0], 1, Some(4)));
    }
}
