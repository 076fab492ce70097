//! The API server's field validation for what rollsim stores, with its texts
//! (`apimachinery/pkg/util/validation`, `pkg/apis/core/validation`, v1.36): object and
//! container names, labels, container ports, probes and resource quantities. Each check
//! appends `path: Type: value: detail` lines, as `field.Error` prints them.

use super::template::{Container, PodTemplateSpec, Probe, quantity_text};
use std::collections::BTreeMap;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|&c| alnum(c) || c == b'-')
}

/// `IsDNS1123Subdomain`'s messages for `value` (none when valid).
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if !value.split('.').all(is_dns1123_label) {
        errs.push(format!(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*')"
        ));
    }
    errs
}

/// `IsDNS1123Label`'s messages for `value` (none when valid).
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label(value) {
        if dns1123_subdomain(value).is_empty() {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(format!(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL_FMT}')"
            ));
        }
    }
    errs
}

/// `field.Invalid` lines for each message.
fn invalid(path: &str, value: &str, messages: Vec<String>, errors: &mut Vec<String>) {
    for m in messages {
        errors.push(format!("{path}: Invalid value: {value:?}: {m}"));
    }
}

/// A string as Go's `json.Marshal` writes it (HTML characters escaped too).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", ch as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A label map as JSON (`{"app":"web"}`), keys in order as Go sorts map keys.
pub fn json_map(m: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A label selector as the API server renders a bad value since 1.34 (JSON, empty parts
/// left out).
pub fn json_selector(s: &super::LabelSelector) -> String {
    let mut parts = Vec::new();
    if !s.match_labels.is_empty() {
        parts.push(format!("\"matchLabels\":{}", json_map(&s.match_labels)));
    }
    if !s.match_expressions.is_empty() {
        let reqs: Vec<String> = s
            .match_expressions
            .iter()
            .map(|r| {
                let mut fields = vec![
                    format!("\"key\":{}", json_string(&r.key)),
                    format!("\"operator\":{}", json_string(&r.operator)),
                ];
                if !r.values.is_empty() {
                    let values: Vec<String> = r.values.iter().map(|v| json_string(v)).collect();
                    fields.push(format!("\"values\":[{}]", values.join(",")));
                }
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        parts.push(format!("\"matchExpressions\":[{}]", reqs.join(",")));
    }
    format!("{{{}}}", parts.join(","))
}

/// `metadata.name` of a Deployment (`NameIsDNSSubdomain`).
pub fn object_name(name: &str, errors: &mut Vec<String>) {
    if !name.is_empty() {
        invalid("metadata.name", name, dns1123_subdomain(name), errors);
    }
}

fn qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsQualifiedName` (a label key): an optional DNS subdomain prefix and `/`, then a name
/// part of at most 63 bytes.
pub fn label_key(key: &str) -> Vec<String> {
    let name_fmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    let parts: Vec<&str> = key.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => {
            return vec![format!(
                "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{name_fmt}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            )];
        }
    };
    let mut errs = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            errs.extend(
                dns1123_subdomain(p)
                    .into_iter()
                    .map(|m| format!("prefix part {m}")),
            );
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 bytes".to_string());
    }
    if !name.is_empty() && !qualified_name_part(name) {
        errs.push(format!(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{name_fmt}')"
        ));
    }
    errs
}

/// `IsValidLabelValue`: empty, or at most 63 bytes of a qualified name part.
pub fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 bytes".to_string());
    }
    if !value.is_empty() && !qualified_name_part(value) {
        errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string());
    }
    errs
}

/// `field.Invalid` lines for one label value at `path`.
pub fn label_value_at(path: &str, value: &str, errors: &mut Vec<String>) {
    invalid(path, value, label_value(value), errors);
}

/// `field.Invalid` lines for one label key (`IsQualifiedName`) at `path`.
pub fn label_key_at(path: &str, key: &str, errors: &mut Vec<String>) {
    invalid(path, key, label_key(key), errors);
}

/// `ValidateLabels`: every key and value of a label map at `path`.
pub fn labels(path: &str, labels: &BTreeMap<String, String>, errors: &mut Vec<String>) {
    for (k, v) in labels {
        invalid(path, k, label_key(k), errors);
        invalid(path, v, label_value(v), errors);
    }
}

fn non_negative(path: &str, v: Option<i32>, errors: &mut Vec<String>) {
    if let Some(v) = v.filter(|v| *v < 0) {
        errors.push(format!(
            "{path}: Invalid value: {v}: must be greater than or equal to 0"
        ));
    }
}

/// `validateProbe` (after `SetDefaults_Probe`), and for liveness and startup probes the
/// rule that one success is enough.
fn probe(path: &str, p: &Probe, must_succeed_once: bool, errors: &mut Vec<String>) {
    let handlers = [&p.http_get, &p.tcp_socket, &p.exec, &p.grpc];
    if handlers.iter().all(|h| h.is_none()) {
        errors.push(format!(
            "{path}: Required value: must specify a handler type"
        ));
    }
    non_negative(
        &format!("{path}.initialDelaySeconds"),
        p.initial_delay_seconds,
        errors,
    );
    non_negative(&format!("{path}.timeoutSeconds"), p.timeout_seconds, errors);
    non_negative(&format!("{path}.periodSeconds"), p.period_seconds, errors);
    non_negative(
        &format!("{path}.successThreshold"),
        p.success_threshold,
        errors,
    );
    non_negative(
        &format!("{path}.failureThreshold"),
        p.failure_threshold,
        errors,
    );
    if let Some(s) = p.success_threshold.filter(|s| must_succeed_once && *s != 1) {
        errors.push(format!(
            "{path}.successThreshold: Invalid value: {s}: must be 1"
        ));
    }
}

/// `validateContainerPorts`: port numbers in 1..=65535.
fn ports(path: &str, c: &Container, errors: &mut Vec<String>) {
    for (i, p) in c.ports.iter().enumerate() {
        let at = format!("{path}.ports[{i}]");
        if p.container_port == 0 {
            errors.push(format!("{at}.containerPort: Required value"));
        } else if !(1..=65535).contains(&p.container_port) {
            errors.push(format!(
                "{at}.containerPort: Invalid value: {}: must be between 1 and 65535, inclusive",
                p.container_port
            ));
        }
        if let Some(h) = p.host_port.filter(|h| *h != 0 && !(1..=65535).contains(h)) {
            errors.push(format!(
                "{at}.hostPort: Invalid value: {h}: must be between 1 and 65535, inclusive"
            ));
        }
    }
}

/// `ValidateNonnegativeQuantity` on each request and limit.
fn quantities(path: &str, c: &Container, errors: &mut Vec<String>) {
    let Some(res) = &c.resources else { return };
    for (section, map) in [("limits", &res.limits), ("requests", &res.requests)] {
        for (name, v) in map {
            let text = quantity_text(v).unwrap_or_default();
            let magnitude = text.trim().trim_start_matches('-');
            let zero = magnitude
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse::<f64>()
                .is_ok_and(|v| v == 0.0);
            if text.trim_start().starts_with('-') && !zero {
                errors.push(format!(
                    "{path}.resources.{section}[{name}]: Invalid value: {text:?}: must be greater than or equal to 0"
                ));
            }
        }
    }
}

/// The container rules of `validateContainerCommon` that rollsim's objects carry: names
/// (unique over init and app containers), images, ports, probes and quantities; and
/// `validateInitContainers`' own: only sidecars (`restartPolicy: Always`) may have probes.
pub fn containers(path: &str, t: &PodTemplateSpec, errors: &mut Vec<String>) {
    let mut seen: Vec<&str> = Vec::new();
    let init = t.spec.init_containers.iter().map(|c| (true, c));
    let app = t.spec.containers.iter().map(|c| (false, c));
    let (mut i_init, mut i_app) = (0, 0);
    for (is_init, c) in init.chain(app) {
        let at = if is_init {
            i_init += 1;
            format!("{path}.initContainers[{}]", i_init - 1)
        } else {
            i_app += 1;
            format!("{path}.containers[{}]", i_app - 1)
        };
        container_name(&at, c, &mut seen, errors);
        if c.image.is_empty() {
            errors.push(format!("{at}.image: Required value"));
        }
        ports(&at, c, errors);
        restart_policy(&at, is_init, c, errors);
        for (field, p, once) in [
            ("livenessProbe", &c.liveness_probe, true),
            ("readinessProbe", &c.readiness_probe, false),
            ("startupProbe", &c.startup_probe, true),
        ] {
            let Some(p) = p else { continue };
            if is_init && !c.is_sidecar() {
                errors.push(format!(
                    "{at}.{field}: Forbidden: may not be set for init containers without restartPolicy=Always"
                ));
            } else {
                probe(&format!("{at}.{field}"), p, once, errors);
            }
        }
        quantities(&at, c, errors);
    }
    if t.spec.init_containers.len() > super::template::MAX_INIT_CONTAINERS {
        errors.push(format!(
            "{path}.initContainers: Too many: {}: rollsim plays at most {} init containers per pod",
            t.spec.init_containers.len(),
            super::template::MAX_INIT_CONTAINERS
        ));
    }
}

/// A container's name: required, an RFC 1123 label, unique in the pod.
fn container_name<'a>(
    at: &str,
    c: &'a Container,
    seen: &mut Vec<&'a str>,
    errors: &mut Vec<String>,
) {
    if c.name.is_empty() {
        errors.push(format!("{at}.name: Required value"));
    } else if seen.contains(&c.name.as_str()) {
        errors.push(format!("{at}.name: Duplicate value: \"{}\"", c.name));
    } else {
        invalid(
            &format!("{at}.name"),
            &c.name,
            dns1123_label(&c.name),
            errors,
        );
    }
    seen.push(&c.name);
}

/// A container's `restartPolicy`: `Always` (a sidecar) on an init container only.
fn restart_policy(at: &str, is_init: bool, c: &Container, errors: &mut Vec<String>) {
    match (c.restart_policy.as_deref(), is_init) {
        (None, _) | (Some("Always"), true) => {}
        (Some(other), true) => errors.push(format!(
            "{at}.restartPolicy: Unsupported value: \"{other}\": supported values: \"Always\""
        )),
        (Some(_), false) => errors.push(format!(
            "{at}.restartPolicy: Forbidden: may not be set for non-init containers"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(dns1123_subdomain("web-1.example").is_empty());
        assert_eq!(dns1123_subdomain("Web_App").len(), 1);
        assert_eq!(
            dns1123_subdomain(&"a".repeat(300)).len(),
            1,
            "too long only"
        );
        assert!(dns1123_subdomain("a/b")[0].starts_with("a lowercase RFC 1123 subdomain"));
        assert!(dns1123_label("web").is_empty());
        assert_eq!(dns1123_label("a.b"), ["must not contain dots"]);
        assert!(dns1123_label("Web_1")[0].starts_with("a lowercase RFC 1123 label"));
    }

    #[test]
    fn init_containers_follow_validate_init_containers() {
        let t: PodTemplateSpec = serde_yaml::from_str(
            "spec:
  initContainers:
  - {name: web, image: m, readinessProbe: {httpGet: {port: 80}}}
  - {name: side, image: s, restartPolicy: OnFailure}
  - {name: ok, image: s, restartPolicy: Always, startupProbe: {exec: {command: [x]}, successThreshold: 2}}
  containers:
  - {name: web, image: w, restartPolicy: Always}",
        )
        .unwrap();
        let mut errors = Vec::new();
        containers("spec.template.spec", &t, &mut errors);
        assert_eq!(
            errors,
            [
                "spec.template.spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                "spec.template.spec.initContainers[1].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
                "spec.template.spec.initContainers[2].startupProbe.successThreshold: Invalid value: 2: must be 1",
                "spec.template.spec.containers[0].name: Duplicate value: \"web\"",
                "spec.template.spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
            ]
        );
    }

    #[test]
    fn label_keys_and_values_are_checked_in_bytes() {
        let mut errors = Vec::new();
        let map: BTreeMap<String, String> = [
            ("app".to_string(), "web".to_string()),
            ("bad key".to_string(), "x".to_string()),
            ("ok".to_string(), "v".repeat(64)),
            ("a/b/c".to_string(), "-x".to_string()),
        ]
        .into_iter()
        .collect();
        labels("metadata.labels", &map, &mut errors);
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(
            errors[0].starts_with("metadata.labels: Invalid value: \"a/b/c\": a valid label key")
        );
        assert!(
            errors[2]
                .starts_with("metadata.labels: Invalid value: \"bad key\": name part must consist")
        );
        assert!(errors[3].ends_with("must be no more than 63 bytes"));
    }
}
