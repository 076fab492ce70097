//! Kubernetes manifests: multi-document YAML parsed into typed objects (unknown fields are
//! errors, with line and column), then defaulted and validated as the API server does.

use super::intstr::IntOrPercent;
use super::objects::{DeploymentSpec, Strategy};
use super::quantity::{parse_cpu_millis, parse_memory_bytes};
use super::selector::LabelSelector;
use super::template::{PodTemplateSpec, quantity_text};
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A manifest that could not be parsed: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// 1-based line in the whole file, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, naming the field.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l} column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

/// One object of a manifest file.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    #[allow(missing_docs)]
    Deployment(Box<DeploymentManifest>),
    #[allow(missing_docs)]
    Service(Box<ServiceManifest>),
    #[allow(missing_docs)]
    ConfigMap(ConfigMapManifest),
    #[allow(missing_docs)]
    PodDisruptionBudget(PdbManifest),
    /// Cluster-scoped: applied before the objects after it in the same file can use it.
    Namespace(NamespaceManifest),
}

impl Manifest {
    /// `deployment.apps`, `service` or `configmap`: the prefix kubectl prints.
    pub fn kind_prefix(&self) -> &'static str {
        match self {
            Manifest::Deployment(_) => "deployment.apps",
            Manifest::Service(_) => "service",
            Manifest::ConfigMap(_) => "configmap",
            Manifest::PodDisruptionBudget(_) => "poddisruptionbudget.policy",
            Manifest::Namespace(_) => "namespace",
        }
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        &self.metadata().name
    }

    /// The object's `metadata` as written.
    pub fn metadata(&self) -> &ManifestMeta {
        match self {
            Manifest::Deployment(d) => &d.metadata,
            Manifest::Service(s) => &s.metadata,
            Manifest::ConfigMap(c) => &c.metadata,
            Manifest::PodDisruptionBudget(p) => &p.metadata,
            Manifest::Namespace(n) => &n.metadata,
        }
    }
}

/// `metadata` as a manifest may write it.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestMeta {
    #[allow(missing_docs)]
    #[serde(default)]
    pub name: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub namespace: Option<String>,
    #[allow(missing_docs)]
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[allow(missing_docs)]
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl ManifestMeta {
    /// The stored object's metadata: name, labels and annotations as written, with the
    /// identity the API server keeps (`uid`, whole-second `creation`).
    pub fn stored(&self, ns: &str, uid: u128, creation: crate::sim::SimTime) -> super::ObjectMeta {
        super::ObjectMeta {
            name: self.name.clone(),
            namespace: ns.to_string(),
            uid,
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            creation,
            ..Default::default()
        }
    }
}

/// An `apps/v1` Deployment as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentManifest {
    #[allow(missing_docs)]
    pub api_version: String,
    #[allow(missing_docs)]
    pub kind: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub metadata: ManifestMeta,
    #[allow(missing_docs)]
    #[serde(default)]
    pub spec: RawDeploymentSpec,
    /// Ignored, as the API server ignores status on create.
    #[serde(default)]
    pub status: Option<Value>,
}

/// `spec` of a Deployment as written (before defaulting).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDeploymentSpec {
    #[allow(missing_docs)]
    pub replicas: Option<i32>,
    #[allow(missing_docs)]
    pub selector: Option<LabelSelector>,
    #[allow(missing_docs)]
    #[serde(default)]
    pub template: PodTemplateSpec,
    #[allow(missing_docs)]
    pub strategy: Option<RawStrategy>,
    #[allow(missing_docs)]
    pub min_ready_seconds: Option<i32>,
    #[allow(missing_docs)]
    pub revision_history_limit: Option<i32>,
    #[allow(missing_docs)]
    pub progress_deadline_seconds: Option<i32>,
    #[allow(missing_docs)]
    #[serde(default, deserialize_with = "super::template::yaml11_bool")]
    pub paused: Option<bool>,
}

/// `spec.strategy` as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawStrategy {
    #[allow(missing_docs)]
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[allow(missing_docs)]
    pub rolling_update: Option<RawRollingUpdate>,
}

/// `spec.strategy.rollingUpdate` as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawRollingUpdate {
    #[allow(missing_docs)]
    pub max_surge: Option<IntOrString>,
    #[allow(missing_docs)]
    pub max_unavailable: Option<IntOrString>,
}

pub use super::intstr::IntOrString;

/// A `policy/v1` PodDisruptionBudget as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbManifest {
    #[allow(missing_docs)]
    pub api_version: String,
    #[allow(missing_docs)]
    pub kind: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub metadata: ManifestMeta,
    #[allow(missing_docs)]
    #[serde(default)]
    pub spec: PdbSpecManifest,
}

/// `spec` of a PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbSpecManifest {
    #[allow(missing_docs)]
    pub min_available: Option<IntOrString>,
    #[allow(missing_docs)]
    pub max_unavailable: Option<IntOrString>,
    #[allow(missing_docs)]
    pub selector: Option<LabelSelector>,
}

impl PdbManifest {
    /// Validates (`ValidatePodDisruptionBudgetSpec`) into the stored object's fields.
    pub fn checked(
        &self,
    ) -> Result<(Option<IntOrPercent>, Option<IntOrPercent>, LabelSelector), ApiError> {
        let mut errors = Vec::new();
        let min = self
            .spec
            .min_available
            .as_ref()
            .and_then(|v| int_or_percent(v, "spec.minAvailable", &mut errors));
        let max = self
            .spec
            .max_unavailable
            .as_ref()
            .and_then(|v| int_or_percent(v, "spec.maxUnavailable", &mut errors));
        if let Some(selector) = &self.spec.selector {
            errors.extend(selector.validate("spec.selector"));
        }
        if self.spec.min_available.is_some() && self.spec.max_unavailable.is_some() {
            errors.push(
                "spec: Invalid value: minAvailable and maxUnavailable cannot be both set".into(),
            );
        }
        for (path, v) in [("spec.minAvailable", min), ("spec.maxUnavailable", max)] {
            if let Some(IntOrPercent::Percent(p)) = v
                && p > 100
            {
                errors.push(format!(
                    "{path}: Invalid value: \"{p}%\": must not be greater than 100%"
                ));
            }
        }
        if errors.is_empty() {
            Ok((min, max, self.spec.selector.clone().unwrap_or_default()))
        } else {
            Err(invalid("PodDisruptionBudget", &self.metadata.name, &errors))
        }
    }
}

/// A v1 Service as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceManifest {
    #[allow(missing_docs)]
    pub api_version: String,
    #[allow(missing_docs)]
    pub kind: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub metadata: ManifestMeta,
    #[allow(missing_docs)]
    #[serde(default)]
    pub spec: ServiceSpecManifest,
}

/// `spec` of a Service.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpecManifest {
    #[allow(missing_docs)]
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[allow(missing_docs)]
    #[serde(default)]
    pub ports: Vec<ServicePortManifest>,
    #[allow(missing_docs)]
    #[serde(rename = "type")]
    pub service_type: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[allow(missing_docs)]
    pub session_affinity: Option<String>,
    #[allow(missing_docs)]
    pub publish_not_ready_addresses: Option<bool>,
    /// Accepted as written by `kubectl get -o yaml`; only `Cluster` is simulated.
    pub internal_traffic_policy: Option<String>,
    /// Accepted; only `Cluster` is simulated.
    pub external_traffic_policy: Option<String>,
    /// Accepted and ignored (single-stack IPv4 is simulated).
    #[serde(rename = "clusterIPs")]
    pub cluster_ips: Option<Vec<String>>,
    /// Accepted and ignored.
    pub ip_families: Option<Vec<String>>,
    /// Accepted and ignored.
    pub ip_family_policy: Option<String>,
    /// Accepted and ignored (session affinity is not simulated).
    pub session_affinity_config: Option<Value>,
}

impl ServiceSpecManifest {
    /// Fields written in the manifest that rollsim cannot honour, refused rather than
    /// silently simulated otherwise.
    pub fn unsimulated(&self) -> Option<String> {
        for (field, value) in [
            ("internalTrafficPolicy", &self.internal_traffic_policy),
            ("externalTrafficPolicy", &self.external_traffic_policy),
        ] {
            if let Some(v) = value.as_deref().filter(|v| *v != "Cluster") {
                return Some(format!(
                    "spec.{field}: \"{v}\" is not simulated: kube-proxy is modelled with the Cluster policy only"
                ));
            }
        }
        match self.session_affinity.as_deref() {
            Some("ClientIP") => Some(
                "spec.sessionAffinity: \"ClientIP\" is not simulated: kube-proxy picks a backend per new connection".into(),
            ),
            _ => None,
        }
    }
}

/// One Service port.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePortManifest {
    #[allow(missing_docs)]
    pub name: Option<String>,
    #[allow(missing_docs)]
    pub port: i32,
    #[allow(missing_docs)]
    pub target_port: Option<IntOrString>,
    #[allow(missing_docs)]
    pub protocol: Option<String>,
    #[allow(missing_docs)]
    pub node_port: Option<i32>,
}

/// A v1 Namespace as written (its name and labels; no spec is simulated).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceManifest {
    #[allow(missing_docs)]
    pub api_version: String,
    #[allow(missing_docs)]
    pub kind: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub metadata: ManifestMeta,
}

/// A v1 ConfigMap as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapManifest {
    #[allow(missing_docs)]
    pub api_version: String,
    #[allow(missing_docs)]
    pub kind: String,
    #[allow(missing_docs)]
    #[serde(default)]
    pub metadata: ManifestMeta,
    #[allow(missing_docs)]
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    #[allow(missing_docs)]
    #[serde(default)]
    pub binary_data: BTreeMap<String, String>,
    #[allow(missing_docs)]
    #[serde(default, deserialize_with = "super::template::yaml11_bool")]
    pub immutable: Option<bool>,
}

/// Splits a multi-document file on `---` lines, keeping each document's first line number.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut start = 1;
    let mut cur = String::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push((start, std::mem::take(&mut cur)));
            start = i + 2;
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    docs.push((start, cur));
    docs.into_iter()
        .filter(|(_, d)| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

fn yaml_error(err: &serde_yaml::Error, first_line: usize) -> ManifestError {
    let loc = err.location();
    ManifestError {
        line: loc.as_ref().map(|l| l.line() + first_line - 1),
        column: loc.map(|l| l.column()),
        message: yaml_message(err, first_line - 1),
    }
}

/// serde_yaml's message without its own ` at line N column M` (the caller reports where,
/// in file lines), keeping what the parser was inside: `…, while parsing a flow mapping at
/// line 5 column 5` becomes `… (while parsing a flow mapping that starts at line 5,
/// column 5)`, so an unclosed `{` is found where it was opened, not where the file ended.
/// `line_offset` is the document's first line in its file, less one.
pub fn yaml_message(err: &serde_yaml::Error, line_offset: usize) -> String {
    let msg = err.to_string();
    let Some(at) = msg.find(" at line ") else {
        return msg;
    };
    let problem = &msg[..at];
    let Some((_, context)) = msg[at..].split_once(", ") else {
        return problem.to_string();
    };
    let opened = context.rsplit_once(" at line ").and_then(|(what, mark)| {
        let (line, column) = mark.split_once(" column ")?;
        Some((
            what,
            line.parse::<usize>().ok()?,
            column.parse::<usize>().ok()?,
        ))
    });
    match opened {
        Some((what, line, column)) => format!(
            "{problem} ({what} that starts at line {}, column {column})",
            line + line_offset
        ),
        None => format!("{problem} ({context})"),
    }
}

/// Decodes one document, with YAML merge keys (`<<: *defaults`) merged first as kubectl's
/// YAML reader does (only then does an error lose its line within the document).
fn decode<T: serde::de::DeserializeOwned>(
    doc: &str,
    first_line: usize,
) -> Result<T, ManifestError> {
    if !doc.contains("<<") {
        return serde_yaml::from_str(doc).map_err(|e| yaml_error(&e, first_line));
    }
    let mut value: Value = serde_yaml::from_str(doc).map_err(|e| yaml_error(&e, first_line))?;
    let no_line = |e: serde_yaml::Error| ManifestError {
        line: Some(first_line),
        ..yaml_error(&e, first_line)
    };
    value.apply_merge().map_err(no_line)?;
    serde_yaml::from_value(value).map_err(no_line)
}

/// Parses every document of a manifest file. Kinds other than Deployment, Service and
/// ConfigMap are refused, as are unknown fields.
pub fn parse_manifests(text: &str) -> Result<Vec<Manifest>, ManifestError> {
    if text.contains('\0') {
        return Err(ManifestError {
            line: None,
            column: None,
            message: "file is binary, not YAML".into(),
        });
    }
    let docs = split_documents(text);
    if docs.is_empty() {
        return Err(ManifestError {
            line: None,
            column: None,
            message: "no objects passed to apply (the file is empty)".into(),
        });
    }
    docs.iter()
        .map(|(first, doc)| parse_document(doc, *first))
        .collect()
}

fn parse_document(doc: &str, first_line: usize) -> Result<Manifest, ManifestError> {
    let value: Value = serde_yaml::from_str(doc).map_err(|e| yaml_error(&e, first_line))?;
    let field = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    let at = |message: String| ManifestError {
        line: Some(first_line),
        column: None,
        message,
    };
    if kind.is_empty() {
        return Err(at("Object 'Kind' is missing".into()));
    }
    let manifest = match (api_version.as_str(), kind.as_str()) {
        ("apps/v1", "Deployment") => Manifest::Deployment(decode(doc, first_line)?),
        ("v1", "Service") => {
            let svc: Box<ServiceManifest> = decode(doc, first_line)?;
            if let Some(why) = svc.spec.unsimulated() {
                return Err(at(why));
            }
            Manifest::Service(svc)
        }
        ("v1", "ConfigMap") => Manifest::ConfigMap(decode(doc, first_line)?),
        ("v1", "Namespace") => Manifest::Namespace(decode(doc, first_line)?),
        ("policy/v1", "PodDisruptionBudget") => {
            Manifest::PodDisruptionBudget(decode(doc, first_line)?)
        }
        (_, "Deployment" | "Service" | "ConfigMap" | "PodDisruptionBudget" | "Namespace") => {
            return Err(at(format!(
                "no matches for kind \"{kind}\" in version \"{api_version}\""
            )));
        }
        _ => {
            return Err(at(format!(
                "kind \"{kind}\" ({api_version}) is not simulated: rollsim supports apps/v1 Deployment, v1 Service, v1 ConfigMap, v1 Namespace and policy/v1 PodDisruptionBudget"
            )));
        }
    };
    if manifest.name().is_empty() {
        return Err(at(
            "metadata.name: Required value: name or generateName is required".into(),
        ));
    }
    if let Manifest::Deployment(d) = &manifest {
        check_quantities(&d.spec.template).map_err(|(message, name, text)| ManifestError {
            line: Some(first_line + line_of_field(doc, &name, &text).unwrap_or(0)),
            column: None,
            message,
        })?;
    }
    Ok(manifest)
}

/// The 0-based line of `doc` where `key: value` is written (a quantity's own line), if found.
fn line_of_field(doc: &str, key: &str, value: &str) -> Option<usize> {
    doc.lines().position(|l| {
        let l = l.trim_start().trim_start_matches("- ");
        l.contains(&format!("{key}:")) && l.contains(value)
    })
}

/// Quantities that do not parse, as the API server's decoder refuses them: the message, the
/// resource name and the text, so that the error can point at its line. A sign is part of
/// the syntax; a negative quantity is refused later, by validation.
fn check_quantities(t: &PodTemplateSpec) -> Result<(), (String, String, String)> {
    for (i, c) in t.spec.containers.iter().enumerate() {
        let Some(res) = &c.resources else { continue };
        for (section, map) in [("requests", &res.requests), ("limits", &res.limits)] {
            for (name, v) in map {
                let text = quantity_text(v).unwrap_or_default();
                let unsigned = text.trim();
                let unsigned = unsigned.strip_prefix(['+', '-']).unwrap_or(unsigned);
                let ok = match name.as_str() {
                    "cpu" => parse_cpu_millis(unsigned).is_ok(),
                    "memory" | "ephemeral-storage" => parse_memory_bytes(unsigned).is_ok(),
                    _ => true,
                };
                if !ok {
                    let message = format!(
                        "spec.template.spec.containers[{i}].resources.{section}.{name}: Invalid value: {text:?}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                    );
                    return Err((message, name.clone(), text));
                }
            }
        }
    }
    Ok(())
}

/// An API server rejection, printed by kubectl as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub String);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ApiError {}

/// Builds `The Deployment "x" is invalid: ...` as the API server aggregates field errors.
pub fn invalid(kind: &str, name: &str, errors: &[String]) -> ApiError {
    let body = if errors.len() == 1 {
        errors[0].clone()
    } else {
        format!("[{}]", errors.join(", "))
    };
    ApiError(format!("The {kind} \"{name}\" is invalid: {body}"))
}

fn int_or_percent(v: &IntOrString, path: &str, errors: &mut Vec<String>) -> Option<IntOrPercent> {
    match v {
        IntOrString::Int(i) if *i < 0 => {
            errors.push(format!(
                "{path}: Invalid value: {i}: must be greater than or equal to 0"
            ));
            None
        }
        IntOrString::Int(i) => Some(IntOrPercent::Int((*i).min(i64::from(i32::MAX)) as i32)),
        IntOrString::Str(s) => match IntOrPercent::parse_percent(s) {
            Some(p) => Some(p),
            None => {
                errors.push(format!(
                    "{path}: Invalid value: \"{s}\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
                ));
                None
            }
        },
    }
}

/// Defaults (`SetDefaults_Deployment`) and validates (`ValidateDeployment`) a Deployment,
/// returning its spec or the API server's error text.
pub fn deployment_spec(m: &DeploymentManifest) -> Result<DeploymentSpec, ApiError> {
    let name = &m.metadata.name;
    let s = &m.spec;
    let mut errors = Vec::new();
    let strategy = default_strategy(s.strategy.as_ref(), &mut errors);
    let mut template = s.template.clone();
    template.apply_defaults();
    let selector = s.selector.clone().unwrap_or_default();
    validate_deployment_fields(m, &selector, &template, strategy, &mut errors);
    if !errors.is_empty() {
        return Err(invalid("Deployment", name, &errors));
    }
    Ok(DeploymentSpec {
        replicas: s.replicas.unwrap_or(1),
        selector,
        template: template.into(),
        strategy: strategy.unwrap_or(Strategy::Recreate),
        min_ready_seconds: s.min_ready_seconds.unwrap_or(0),
        revision_history_limit: Some(s.revision_history_limit.unwrap_or(10)),
        progress_deadline_seconds: Some(s.progress_deadline_seconds.unwrap_or(600)),
        paused: s.paused.unwrap_or(false),
    })
}

fn default_strategy(raw: Option<&RawStrategy>, errors: &mut Vec<String>) -> Option<Strategy> {
    let kind = raw
        .and_then(|r| r.kind.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    let ru = raw.and_then(|r| r.rolling_update.clone());
    match kind.as_str() {
        "Recreate" => {
            if ru.is_some() {
                errors.push("spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'".into());
            }
            Some(Strategy::Recreate)
        }
        "RollingUpdate" => {
            let ru = ru.unwrap_or_default();
            let path = "spec.strategy.rollingUpdate";
            let surge = ru
                .max_surge
                .as_ref()
                .map_or(Some(IntOrPercent::Percent(25)), |v| {
                    int_or_percent(v, &format!("{path}.maxSurge"), errors)
                });
            let unavail = ru
                .max_unavailable
                .as_ref()
                .map_or(Some(IntOrPercent::Percent(25)), |v| {
                    int_or_percent(v, &format!("{path}.maxUnavailable"), errors)
                });
            let (Some(max_surge), Some(max_unavailable)) = (surge, unavail) else {
                return None;
            };
            if let IntOrPercent::Percent(p) = max_unavailable
                && p > 100
            {
                errors.push(format!(
                    "{path}.maxUnavailable: Invalid value: \"{p}%\": must not be greater than 100%"
                ));
            }
            if max_surge.is_literal_zero() && max_unavailable.is_literal_zero() {
                errors.push(format!(
                    "{path}.maxUnavailable: Invalid value: {}: may not be 0 when `maxSurge` is 0",
                    max_unavailable.json()
                ));
            }
            Some(Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            })
        }
        other => {
            errors.push(format!("spec.strategy.type: Unsupported value: \"{other}\": supported values: \"Recreate\", \"RollingUpdate\""));
            None
        }
    }
}

fn validate_deployment_fields(
    m: &DeploymentManifest,
    selector: &LabelSelector,
    template: &PodTemplateSpec,
    strategy: Option<Strategy>,
    errors: &mut Vec<String>,
) {
    let s = &m.spec;
    let _ = strategy;
    super::validation::object_name(&m.metadata.name, errors);
    super::validation::labels("metadata.labels", &m.metadata.labels, errors);
    if let Some(r) = s.replicas.filter(|r| *r < 0) {
        errors.push(format!(
            "spec.replicas: Invalid value: {r}: must be greater than or equal to 0"
        ));
    }
    if let Some(v) = s.min_ready_seconds.filter(|v| *v < 0) {
        errors.push(format!(
            "spec.minReadySeconds: Invalid value: {v}: must be greater than or equal to 0"
        ));
    }
    if let Some(v) = s.revision_history_limit.filter(|v| *v < 0) {
        errors.push(format!(
            "spec.revisionHistoryLimit: Invalid value: {v}: must be greater than or equal to 0"
        ));
    }
    if let Some(p) = s.progress_deadline_seconds {
        if p < 0 {
            errors.push(format!("spec.progressDeadlineSeconds: Invalid value: {p}: must be greater than or equal to 0"));
        } else if p <= s.min_ready_seconds.unwrap_or(0) {
            errors.push(format!("spec.progressDeadlineSeconds: Invalid value: {p}: must be greater than minReadySeconds"));
        }
    }
    if s.selector.is_none() {
        errors.push("spec.selector: Required value".into());
    } else if selector.is_empty() {
        errors.push(
            "spec.selector: Invalid value: {}: empty selector is invalid for deployment".into(),
        );
    } else if !invalid_selector(selector, errors)
        && !label_errors(
            &template.metadata.labels,
            "spec.template.metadata.labels",
            errors,
        )
        && !selector.matches(&template.metadata.labels)
    {
        errors.push(format!(
            "spec.template.metadata.labels: Invalid value: {}: `selector` does not match template `labels`",
            super::validation::json_map(&template.metadata.labels)
        ));
    }
    validate_pod_template(template, errors);
}

/// A Deployment's selector errors, and then (as `ValidateDeploymentSpec` adds when
/// `LabelSelectorAsSelector` fails) `invalid label selector`; whether there were any.
fn invalid_selector(selector: &LabelSelector, errors: &mut Vec<String>) -> bool {
    let found = selector.validate("spec.selector");
    if found.is_empty() {
        return false;
    }
    errors.extend(found);
    errors.push(format!(
        "spec.selector: Invalid value: {}: invalid label selector",
        super::validation::json_selector(selector)
    ));
    true
}

/// `ValidateLabels` at `path`; whether it found anything.
fn label_errors(labels: &BTreeMap<String, String>, path: &str, errors: &mut Vec<String>) -> bool {
    let before = errors.len();
    super::validation::labels(path, labels, errors);
    errors.len() > before
}

/// The pod template's rules (`ValidatePodTemplateSpecForReplicaSet`) that concern what
/// rollsim stores: containers, restart policy, no active deadline.
pub fn validate_pod_template(t: &PodTemplateSpec, errors: &mut Vec<String>) {
    let p = "spec.template.spec";
    if t.spec.containers.is_empty() {
        errors.push(format!("{p}.containers: Required value"));
    }
    super::validation::containers(p, t, errors);
    if let Some(rp) = t
        .spec
        .restart_policy
        .as_deref()
        .filter(|rp| *rp != "Always")
    {
        errors.push(format!(
            "{p}.restartPolicy: Unsupported value: \"{rp}\": supported values: \"Always\""
        ));
    }
    if t.spec.active_deadline_seconds.is_some() {
        errors.push(format!("{p}.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"));
    }
    super::scheduling::validate(p, &t.spec, errors);
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.21\n";

    fn deployment(text: &str) -> DeploymentManifest {
        match parse_manifests(text).unwrap().remove(0) {
            Manifest::Deployment(d) => *d,
            other => panic!("not a deployment: {other:?}"),
        }
    }

    #[test]
    fn an_unclosed_brace_is_reported_where_it_was_opened_in_file_lines() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web\nspec: {}\n";
        let Err(e) = parse_manifests(text) else {
            panic!("parsed")
        };
        assert_eq!(e.line, Some(8));
        assert_eq!(
            e.message,
            "did not find expected ',' or '}' (while parsing a flow mapping that starts at line 7, column 11)"
        );
    }

    #[test]
    fn defaults_match_the_api_server() {
        let spec = deployment_spec(&deployment(V1)).unwrap();
        assert_eq!(
            spec.strategy,
            Strategy::RollingUpdate {
                max_surge: IntOrPercent::Percent(25),
                max_unavailable: IntOrPercent::Percent(25)
            }
        );
        assert_eq!(
            (
                spec.revision_history_limit,
                spec.progress_deadline_seconds,
                spec.min_ready_seconds
            ),
            (Some(10), Some(600), 0)
        );
        assert_eq!(
            spec.template.spec.termination_grace_period_seconds,
            Some(30)
        );
    }

    #[test]
    fn both_zero_is_rejected_with_the_api_servers_text() {
        let text = V1.replace(
            "  replicas: 3\n",
            "  replicas: 3\n  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n",
        );
        let err = deployment_spec(&deployment(&text)).unwrap_err();
        assert_eq!(
            err.0,
            "The Deployment \"web\" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        );
    }

    #[test]
    fn one_percent_passes_validation_though_it_resolves_to_zero() {
        let text = V1.replace("  replicas: 3\n", "  replicas: 3\n  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: \"1%\"}\n");
        assert!(deployment_spec(&deployment(&text)).is_ok());
    }

    #[test]
    fn over_100_percent_unavailable_and_deadline_not_above_min_ready_are_rejected() {
        let text = V1.replace("  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 30\n  progressDeadlineSeconds: 30\n  strategy:\n    rollingUpdate: {maxUnavailable: \"150%\"}\n");
        let err = deployment_spec(&deployment(&text)).unwrap_err().0;
        assert!(
            err.contains("maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"),
            "{err}"
        );
        assert!(err.contains("spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"), "{err}");
        assert!(
            err.starts_with("The Deployment \"web\" is invalid: ["),
            "{err}"
        );
    }

    #[test]
    fn selector_must_match_template_labels() {
        let text = V1.replace("matchLabels: {app: web}", "matchLabels: {app: api}");
        let err = deployment_spec(&deployment(&text)).unwrap_err().0;
        assert!(
            err.ends_with("`selector` does not match template `labels`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_name_the_line() {
        let text = V1.replace(
            "  replicas: 3\n",
            "  replicas: 3\n  strategy:\n    rollingUpdate: {maxUnavailabel: 1}\n",
        );
        let err = parse_manifests(&text).unwrap_err();
        assert_eq!(err.line, Some(8));
        assert!(
            err.message.contains("unknown field `maxUnavailabel`"),
            "{err}"
        );
    }

    #[test]
    fn multi_document_files_keep_line_numbers() {
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n---\n{}",
            V1.replace("image: nginx:1.21", "image: nginx:1.21\n        bogus: 1")
        );
        let err = parse_manifests(&text).unwrap_err();
        assert_eq!(err.line, Some(20));
    }

    #[test]
    fn yaml_1_1_booleans_and_merge_keys_read_as_kubectl_reads_them() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  paused: yes\n  selector:\n    matchLabels: &labels {app: web}\n  template:\n    metadata:\n      labels:\n        <<: *labels\n        tier: front\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        tty: on\n";
        let d = deployment(text);
        assert_eq!(d.spec.paused, Some(true));
        let labels = &d.spec.template.metadata.labels;
        assert_eq!(labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(labels.get("tier").map(String::as_str), Some("front"));
        assert_eq!(d.spec.template.spec.containers[0].tty, Some(true));
        let bad = text.replace("paused: yes", "paused: maybe");
        let err = parse_manifests(&bad).unwrap_err();
        assert!(
            err.message
                .contains("cannot unmarshal string into Go value of type bool"),
            "{err}"
        );
    }

    #[test]
    fn other_kinds_are_refused_clearly() {
        let err = parse_manifests("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\n")
            .unwrap_err();
        assert!(err.message.contains("not simulated"));
        assert!(parse_manifests("").is_err());
        assert!(parse_manifests("a\0b").is_err());
    }
}
