//! The Pod template: the "version" of an application. Plain data mirroring the Kubernetes
//! YAML (so it parses and re-serialises canonically), plus upstream's defaulting, equality
//! ignoring `pod-template-hash`, and `ComputeHash`.

use super::quantity::{parse_cpu_millis, parse_memory_bytes};
use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use std::collections::BTreeMap;

/// A boolean field as kubectl's YAML reader (YAML 1.1) takes it: `true`/`false` and also
/// `yes`/`no`, `on`/`off`, `y`/`n` in their three spellings.
pub(crate) fn yaml11_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<bool>, E> {
            Ok(Some(v))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<bool>, E> {
            match v {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True"
                | "TRUE" => Ok(Some(true)),
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
                | "FALSE" => Ok(Some(false)),
                _ => Err(E::custom(
                    "json: cannot unmarshal string into Go value of type bool",
                )),
            }
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<bool>, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Label the Deployment controller adds to tell ReplicaSets' pods apart.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// `spec.template`: metadata and pod spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    /// Labels and annotations of the pods.
    #[serde(default)]
    pub metadata: TemplateMeta,
    /// The pod spec.
    #[serde(default)]
    pub spec: PodSpec,
}

/// `spec.template.metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateMeta {
    /// Rarely set; kept so templates that set it parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pod labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Pod annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `spec.template.spec`: the fields rollsim models, plus common ones kept opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    /// Application containers.
    #[serde(default)]
    pub containers: Vec<Container>,
    /// Init containers: run one after another, each to completion, before the app
    /// containers; those with `restartPolicy: Always` are sidecars, started in turn and
    /// left running.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    /// Nodes must carry all these labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Pod restart policy; a Deployment only allows `Always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// Grace between SIGTERM and SIGKILL; default 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    /// Forbidden in a Deployment's template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// Volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Taints the pods tolerate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<super::scheduling::Toleration>,
    /// Node affinity and inter-pod (anti-)affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<super::scheduling::Affinity>,
    /// How the pods spread over topology domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<super::scheduling::TopologySpreadConstraint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub service_account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub security_context: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub image_pull_secrets: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub dns_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub scheduler_name: Option<String>,
}

/// One container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    /// Container name (part of the version: renaming it makes a new revision).
    #[serde(default)]
    pub name: String,
    /// Image reference.
    #[serde(default)]
    pub image: String,
    /// `Always` on an init container makes it a sidecar (a restartable init container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// `Always` for `:latest` or untagged images, else `IfNotPresent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub working_dir: Option<String>,
    /// Declared ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[allow(missing_docs)]
    pub env_from: Vec<Value>,
    /// Requests and limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Volume mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Readiness probe: decides when the pod is Ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Liveness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// Startup probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub lifecycle: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub security_context: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub termination_message_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub termination_message_policy: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml11_bool"
    )]
    #[allow(missing_docs)]
    pub stdin: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml11_bool"
    )]
    #[allow(missing_docs)]
    pub tty: Option<bool>,
}

/// A container port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub name: Option<String>,
    /// Port number.
    pub container_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub host_port: Option<i32>,
    /// `TCP` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    #[allow(missing_docs)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub value_from: Option<Value>,
}

/// Requests and limits; values are quantities (strings or numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[allow(missing_docs)]
    pub requests: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[allow(missing_docs)]
    pub limits: BTreeMap<String, Value>,
}

/// A volume mount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    #[allow(missing_docs)]
    pub name: String,
    #[allow(missing_docs)]
    pub mount_path: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "yaml11_bool"
    )]
    #[allow(missing_docs)]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub sub_path: Option<String>,
}

/// A volume: the common sources are typed for `describe`, others kept opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Volume {
    #[allow(missing_docs)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub config_map: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub secret: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub empty_dir: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub host_path: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub persistent_volume_claim: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub projected: Option<Value>,
}

/// A probe. Only timing fields are simulated; the handler is kept for `describe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub http_get: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub tcp_socket: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub exec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(missing_docs)]
    pub grpc: Option<Value>,
    /// Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i32>,
    /// Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i32>,
    /// Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    /// Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
}

impl Probe {
    /// `SetDefaults_Probe`: an unset or zero timeout, period and thresholds take their
    /// defaults (the API cannot tell 0 from unset for these ints).
    fn apply_defaults(&mut self) {
        fn zero_is_unset(v: &mut Option<i32>, default: i32) {
            if v.is_none_or(|v| v == 0) {
                *v = Some(default);
            }
        }
        self.initial_delay_seconds.get_or_insert(0);
        zero_is_unset(&mut self.period_seconds, 10);
        zero_is_unset(&mut self.timeout_seconds, 1);
        zero_is_unset(&mut self.success_threshold, 1);
        zero_is_unset(&mut self.failure_threshold, 3);
    }

    /// Milliseconds from container start until the probe first passes, for a probe that
    /// passes from `not_before_ms` on: it runs at `initialDelaySeconds + k·periodSeconds`
    /// and needs `successThreshold` passes in a row.
    pub fn first_pass_ms(&self, not_before_ms: u64) -> u64 {
        let delay_ms = self.initial_delay_seconds.unwrap_or(0).max(0) as u64 * 1000;
        let period_ms = self.period_seconds.unwrap_or(10).max(1) as u64 * 1000;
        let successes = self.success_threshold.unwrap_or(1).max(1) as u64;
        let k = not_before_ms.saturating_sub(delay_ms).div_ceil(period_ms);
        delay_ms + (k + successes - 1) * period_ms
    }

    /// Seconds from container start until a probe that always succeeds marks the pod Ready.
    pub fn seconds_until_ready(&self) -> u64 {
        let delay = self.initial_delay_seconds.unwrap_or(0).max(0) as u64;
        let period = self.period_seconds.unwrap_or(10).max(1) as u64;
        let successes = self.success_threshold.unwrap_or(1).max(1) as u64;
        delay + (successes - 1) * period
    }
}

/// CPU (millicores) and memory (bytes) one pod asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodRequests {
    /// Sum of containers' CPU requests. Sums are 128-bit so that no request a manifest can
    /// write (each at most `u64::MAX`) overflows, however many pods a node holds.
    pub cpu_millis: u128,
    /// Sum of containers' memory requests.
    pub memory_bytes: u128,
    /// As above but with the scheduler's non-zero defaults (100m, 200Mi) for containers
    /// that request nothing; used for scoring only.
    pub cpu_millis_nonzero: u128,
    /// See `cpu_millis_nonzero`.
    pub memory_bytes_nonzero: u128,
}

impl PodRequests {
    fn plus(self, o: PodRequests) -> PodRequests {
        PodRequests {
            cpu_millis: self.cpu_millis + o.cpu_millis,
            memory_bytes: self.memory_bytes + o.memory_bytes,
            cpu_millis_nonzero: self.cpu_millis_nonzero + o.cpu_millis_nonzero,
            memory_bytes_nonzero: self.memory_bytes_nonzero + o.memory_bytes_nonzero,
        }
    }

    /// Each resource's larger value.
    fn max(self, o: PodRequests) -> PodRequests {
        PodRequests {
            cpu_millis: self.cpu_millis.max(o.cpu_millis),
            memory_bytes: self.memory_bytes.max(o.memory_bytes),
            cpu_millis_nonzero: self.cpu_millis_nonzero.max(o.cpu_millis_nonzero),
            memory_bytes_nonzero: self.memory_bytes_nonzero.max(o.memory_bytes_nonzero),
        }
    }
}

/// One container's requests (quantities were validated on parse), with the scheduler's
/// non-zero defaults alongside.
fn container_requests(c: &Container) -> PodRequests {
    let req = c.resources.as_ref().map(|res| &res.requests);
    let cpu = req
        .and_then(|m| m.get("cpu"))
        .and_then(quantity_text)
        .and_then(|s| parse_cpu_millis(&s).ok());
    let mem = req
        .and_then(|m| m.get("memory"))
        .and_then(quantity_text)
        .and_then(|s| parse_memory_bytes(&s).ok());
    PodRequests {
        cpu_millis: u128::from(cpu.unwrap_or(0)),
        memory_bytes: u128::from(mem.unwrap_or(0)),
        cpu_millis_nonzero: u128::from(cpu.filter(|v| *v > 0).unwrap_or(DEFAULT_CPU_MILLIS)),
        memory_bytes_nonzero: u128::from(mem.filter(|v| *v > 0).unwrap_or(DEFAULT_MEMORY_BYTES)),
    }
}

/// Scheduler defaults for containers without requests (`schedutil.DefaultMilliCPURequest`, `DefaultMemoryRequest`).
const DEFAULT_CPU_MILLIS: u64 = 100;
const DEFAULT_MEMORY_BYTES: u64 = 200 * 1024 * 1024;

impl PodTemplateSpec {
    /// Applies the API server's defaults to the fields rollsim keeps (`SetDefaults_PodSpec`,
    /// `SetDefaults_Container`, probes, ports).
    pub fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.restart_policy
            .get_or_insert_with(|| "Always".to_string());
        spec.termination_grace_period_seconds.get_or_insert(30);
        spec.dns_policy
            .get_or_insert_with(|| "ClusterFirst".to_string());
        spec.scheduler_name
            .get_or_insert_with(|| "default-scheduler".to_string());
        for c in spec
            .init_containers
            .iter_mut()
            .chain(spec.containers.iter_mut())
        {
            if c.image_pull_policy.is_none() {
                c.image_pull_policy = Some(default_pull_policy(&c.image).to_string());
            }
            c.termination_message_path
                .get_or_insert_with(|| "/dev/termination-log".to_string());
            c.termination_message_policy
                .get_or_insert_with(|| "File".to_string());
            for p in &mut c.ports {
                p.protocol.get_or_insert_with(|| "TCP".to_string());
            }
            for probe in [
                &mut c.readiness_probe,
                &mut c.liveness_probe,
                &mut c.startup_probe,
            ]
            .into_iter()
            .flatten()
            {
                probe.apply_defaults();
            }
        }
    }

    /// Canonical text of the template with `pod-template-hash` removed: two templates are the
    /// same version exactly when these agree (upstream's `EqualIgnoreHash`).
    pub fn canonical_without_hash(&self) -> String {
        let mut t = self.clone();
        t.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
        serde_yaml::to_string(&t).unwrap_or_default()
    }

    /// Mirrors `EqualIgnoreHash`: equal after removing `pod-template-hash` from both.
    pub fn equal_ignore_hash(&self, other: &PodTemplateSpec) -> bool {
        let mut a = self.clone();
        let mut b = other.clone();
        a.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
        b.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
        a == b
    }

    /// Summed requests of all containers (quantities were validated on parse).
    pub fn requests(&self) -> PodRequests {
        // `resourcehelper.PodRequests`: app containers and sidecars add up; each regular
        // init container needs its own requests plus the sidecars started before it, and
        // the pod asks for the larger of the two.
        let mut app = PodRequests::default();
        let mut sidecars = PodRequests::default();
        let mut init_peak = PodRequests::default();
        for c in &self.spec.init_containers {
            if c.is_sidecar() {
                sidecars = sidecars.plus(container_requests(c));
            } else {
                init_peak = init_peak.max(sidecars.plus(container_requests(c)));
            }
        }
        for c in &self.spec.containers {
            app = app.plus(container_requests(c));
        }
        app.plus(sidecars).max(init_peak)
    }

    /// Seconds from start to Ready: the slowest container's readiness probe, 0 without probes.
    pub fn seconds_until_ready(&self) -> u64 {
        self.started_and_ready_ms(0).1 / 1000
    }

    /// Milliseconds from the app containers' start until they count as started and until
    /// the pod is Ready, when the app answers probes from `listen_ms` on (the prober
    /// worker's gate, `pkg/kubelet/prober/worker.go`): a startup probe must pass first, and
    /// readiness and liveness probes do not run until it has; a container without a
    /// readiness probe is Ready once started. The slowest container decides.
    pub fn started_and_ready_ms(&self, listen_ms: u64) -> (u64, u64) {
        self.spec
            .containers
            .iter()
            .map(|c| {
                let started = c
                    .startup_probe
                    .as_ref()
                    .map_or(0, |p| p.first_pass_ms(listen_ms));
                let ready = c
                    .readiness_probe
                    .as_ref()
                    .map_or(started, |p| p.first_pass_ms(listen_ms.max(started)));
                (started, ready)
            })
            .fold((0, 0), |(s, r), (s2, r2)| (s.max(s2), r.max(r2)))
    }
}

/// A quantity written as a YAML string or number, as text.
pub fn quantity_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `Always` for `:latest` or untagged images, otherwise `IfNotPresent` (`SetDefaults_Container`).
fn default_pull_policy(image: &str) -> &'static str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ if image.contains('@') => "IfNotPresent",
        _ => "Always",
    }
}

/// Mirrors `controller.ComputeHash`: FNV-1a 32 over the template's canonical encoding, then the
/// collision count (uint32 little-endian plus four zero bytes) if set, printed in decimal and
/// passed through `SafeEncodeString`.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut h = Fnv1a32::new();
    h.write(template.canonical_without_hash().as_bytes());
    if let Some(c) = collision_count {
        h.write(&(c as u32).to_le_bytes());
        h.write(&[0, 0, 0, 0]);
    }
    safe_encode_string(&h.finish().to_string())
}

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand`: no vowels, no confusable characters.
pub const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// Mirrors `rand.SafeEncodeString`: each byte `c` becomes `alphabet[c % 27]`.
pub fn safe_encode_string(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

struct Fnv1a32(u32);

impl Fnv1a32 {
    fn new() -> Self {
        Fnv1a32(0x811c_9dc5)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u32::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }
    fn finish(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_encode_maps_digits_as_upstream() {
        // Upstream's table: 0→4 1→5 2→6 3→7 4→8 5→9 6→b 7→c 8→d 9→f.
        assert_eq!(safe_encode_string("0123456789"), "456789bcdf");
        // The docs' examples: 3123191453 → 75675f5897, 703038527 → c4747d96c.
        assert_eq!(safe_encode_string("3123191453"), "75675f5897");
        assert_eq!(safe_encode_string("703038527"), "c4747d96c");
    }

    fn template(image: &str) -> PodTemplateSpec {
        let mut t = PodTemplateSpec::default();
        t.metadata.labels.insert("app".into(), "web".into());
        t.spec.containers.push(Container {
            name: "web".into(),
            image: image.into(),
            ..Default::default()
        });
        t.apply_defaults();
        t
    }

    fn parsed(yaml: &str) -> PodTemplateSpec {
        let mut t: PodTemplateSpec = serde_yaml::from_str(yaml).unwrap();
        t.apply_defaults();
        t
    }

    #[test]
    fn an_init_container_runs_its_sleep_and_statuses_count_every_init_container() {
        let k = |cmd: &str| Container {
            command: Some(serde_yaml::from_str(cmd).unwrap()),
            ..Default::default()
        };
        assert_eq!(k("[sleep, '30']").sleep_ms(), Some(30_000));
        assert_eq!(
            k("[sh, -c, 'sleep 30 && ./migrate']").sleep_ms(),
            Some(30_000)
        );
        assert_eq!(k("[/bin/sleep, 2m]").sleep_ms(), Some(120_000));
        assert_eq!(k("[./migrate]").sleep_ms(), None);
        assert_eq!(init_status(0, 1), "Init:0/1");
        assert_eq!(init_status(1, 2), "Init:1/2");
        assert_eq!(init_status(8, 9), "Init:8/9");
    }

    #[test]
    fn pod_requests_add_sidecars_to_the_app_and_take_the_larger_init_peak() {
        // `TestPodRequests`' shape: a 2-CPU init container after a 0.5-CPU sidecar needs
        // 2.5; the app (1) plus the sidecar (0.5) needs 1.5; the pod asks for 2.5.
        let t = parsed(
            "spec:
  initContainers:
  - {name: side, image: s, restartPolicy: Always, resources: {requests: {cpu: 500m}}}
  - {name: init, image: i, resources: {requests: {cpu: '2', memory: 1Gi}}}
  containers:
  - {name: app, image: a, resources: {requests: {cpu: '1', memory: 2Gi}}}",
        );
        let r = t.requests();
        assert_eq!(r.cpu_millis, 2_500);
        assert_eq!(
            r.memory_bytes,
            2 << 30,
            "the app's 2Gi beats the init's 1Gi"
        );
    }

    #[test]
    fn a_startup_probe_gates_readiness() {
        let t = parsed(
            "spec:
  containers:
  - name: app
    image: a
    startupProbe: {httpGet: {port: 80}, periodSeconds: 2, initialDelaySeconds: 5}
    readinessProbe: {httpGet: {port: 80}, periodSeconds: 5}",
        );
        // Startup passes at 5 s; readiness runs at 0, 5, 10 s… and passes at its first run
        // once started: 5 s. With the app listening from 6 s: startup at 7 s, ready at 10 s.
        assert_eq!(t.started_and_ready_ms(0), (5_000, 5_000));
        assert_eq!(t.started_and_ready_ms(6_000), (7_000, 10_000));
        let no_readiness = parsed(
            "spec:
  containers:
  - {name: app, image: a, startupProbe: {httpGet: {port: 80}, periodSeconds: 3, initialDelaySeconds: 4}}",
        );
        assert_eq!(
            no_readiness.started_and_ready_ms(0),
            (4_000, 4_000),
            "Ready once started"
        );
    }

    #[test]
    fn hash_ignores_the_hash_label_and_changes_with_the_template_and_collisions() {
        let a = template("nginx:1.21");
        let mut labelled = a.clone();
        labelled
            .metadata
            .labels
            .insert(POD_TEMPLATE_HASH_LABEL.into(), "abc".into());
        assert_eq!(compute_hash(&a, None), compute_hash(&labelled, None));
        assert!(a.equal_ignore_hash(&labelled));
        assert_ne!(
            compute_hash(&a, None),
            compute_hash(&template("nginx:1.22"), None)
        );
        assert_ne!(compute_hash(&a, None), compute_hash(&a, Some(1)));
        let h = compute_hash(&a, None);
        assert!(!h.is_empty() && h.len() <= 10 && h.bytes().all(|b| b"456789bcdf".contains(&b)));
    }

    #[test]
    fn pull_policy_defaults_follow_the_tag() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("nginx:1.21-alpine"), "IfNotPresent");
        assert_eq!(default_pull_policy("registry:5000/app"), "Always");
    }

    #[test]
    fn requests_fall_back_to_scheduler_defaults_for_scoring() {
        let r = template("x:1").requests();
        assert_eq!((r.cpu_millis, r.memory_bytes), (0, 0));
        assert_eq!(
            (r.cpu_millis_nonzero, r.memory_bytes_nonzero),
            (100, 200 << 20)
        );
    }
}

/// How long a container's `lifecycle.preStop` hook runs, in ms (`pkg/kubelet/lifecycle`):
/// the native `sleep: {seconds: N}` action, an `exec` whose command sleeps (`sleep N`,
/// also inside `sh -c "…"`), or `httpGet` (one request, answered at once here). `None`
/// without a hook.
pub fn pre_stop_ms(c: &Container) -> Option<u64> {
    let hook = c.lifecycle.as_ref()?.get("preStop")?;
    if let Some(seconds) = hook.get("sleep").and_then(|s| s.get("seconds")) {
        return Some(seconds.as_u64().unwrap_or(0).saturating_mul(1000));
    }
    if let Some(command) = hook
        .get("exec")
        .and_then(|e| e.get("command"))
        .and_then(Value::as_sequence)
    {
        let words: Vec<&str> = command
            .iter()
            .filter_map(Value::as_str)
            .flat_map(str::split_whitespace)
            .collect();
        let slept = words
            .windows(2)
            .filter(|w| w[0] == "sleep" || w[0].ends_with("/sleep"))
            .filter_map(|w| sleep_argument_ms(w[1]))
            .sum();
        return Some(slept);
    }
    Some(0)
}

/// The most init containers a pod may have here (its `Init:N/M` status is kept as a static
/// text per count).
pub const MAX_INIT_CONTAINERS: usize = 9;

impl Container {
    /// A restartable init container (`restartPolicy: Always`): a sidecar.
    pub fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }

    /// How long the container's command runs when it is a `sleep N` (`["sleep", "30"]`,
    /// `["sh", "-c", "sleep 30 && …"]`, or in `args`), in ms.
    pub fn sleep_ms(&self) -> Option<u64> {
        let words: Vec<&str> = self
            .command
            .iter()
            .chain(self.args.iter())
            .flatten()
            .flat_map(|w| w.split_whitespace())
            .collect();
        let slept: Vec<u64> = words
            .windows(2)
            .filter(|w| w[0] == "sleep" || w[0].ends_with("/sleep"))
            .filter_map(|w| sleep_argument_ms(w[1]))
            .collect();
        (!slept.is_empty()).then(|| slept.iter().sum())
    }
}

/// `printPod`'s `Init:N/M` while init container N (of M) has not finished.
pub fn init_status(done: usize, total: usize) -> &'static str {
    const TEXTS: [[&str; MAX_INIT_CONTAINERS]; MAX_INIT_CONTAINERS] = [
        ["Init:0/1", "", "", "", "", "", "", "", ""],
        ["Init:0/2", "Init:1/2", "", "", "", "", "", "", ""],
        ["Init:0/3", "Init:1/3", "Init:2/3", "", "", "", "", "", ""],
        [
            "Init:0/4", "Init:1/4", "Init:2/4", "Init:3/4", "", "", "", "", "",
        ],
        [
            "Init:0/5", "Init:1/5", "Init:2/5", "Init:3/5", "Init:4/5", "", "", "", "",
        ],
        [
            "Init:0/6", "Init:1/6", "Init:2/6", "Init:3/6", "Init:4/6", "Init:5/6", "", "", "",
        ],
        [
            "Init:0/7", "Init:1/7", "Init:2/7", "Init:3/7", "Init:4/7", "Init:5/7", "Init:6/7", "",
            "",
        ],
        [
            "Init:0/8", "Init:1/8", "Init:2/8", "Init:3/8", "Init:4/8", "Init:5/8", "Init:6/8",
            "Init:7/8", "",
        ],
        [
            "Init:0/9", "Init:1/9", "Init:2/9", "Init:3/9", "Init:4/9", "Init:5/9", "Init:6/9",
            "Init:7/9", "Init:8/9",
        ],
    ];
    TEXTS
        .get(total.wrapping_sub(1))
        .and_then(|row| row.get(done))
        .copied()
        .filter(|t| !t.is_empty())
        .unwrap_or("Init:0/0")
}

/// `sleep`'s argument in ms: seconds, with an optional `s`/`m`/`h` suffix.
fn sleep_argument_ms(word: &str) -> Option<u64> {
    let word = word.trim_matches(|c| c == ';' || c == '"' || c == '\'' || c == '&');
    let (number, unit) = match word.char_indices().last()? {
        (i, 's') => (&word[..i], 1000.0),
        (i, 'm') => (&word[..i], 60_000.0),
        (i, 'h') => (&word[..i], 3_600_000.0),
        _ => (word, 1000.0),
    };
    let v: f64 = number.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * unit).min(1e12) as u64)
}

#[cfg(test)]
mod pre_stop_tests {
    use super::*;

    fn container(lifecycle: &str) -> Container {
        Container {
            lifecycle: Some(serde_yaml::from_str(lifecycle).unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn pre_stop_durations_of_each_handler() {
        assert_eq!(pre_stop_ms(&Container::default()), None);
        assert_eq!(
            pre_stop_ms(&container("preStop: {sleep: {seconds: 5}}")),
            Some(5_000)
        );
        assert_eq!(
            pre_stop_ms(&container("preStop: {exec: {command: [sleep, '10']}}")),
            Some(10_000)
        );
        assert_eq!(
            pre_stop_ms(&container(
                "preStop: {exec: {command: [/bin/sh, -c, 'sleep 15; nginx -s quit']}}"
            )),
            Some(15_000)
        );
        assert_eq!(
            pre_stop_ms(&container("preStop: {httpGet: {path: /drain, port: 80}}")),
            Some(0)
        );
        assert_eq!(
            pre_stop_ms(&container("postStart: {exec: {command: [x]}}")),
            None
        );
    }
}
