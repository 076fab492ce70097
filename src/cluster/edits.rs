//! Edits of a Deployment that kubectl sends as patches: `set env`, `set resources` and
//! `patch` (strategic or JSON merge). Each changed template is a new revision, as with
//! `set image`; the API server validates the result as it would a new object.

use super::Cluster;
use super::api::ApplyOutcome;
use crate::model::manifest::{
    ApiError, DeploymentManifest, ManifestMeta, RawDeploymentSpec, deployment_spec, invalid,
};
use crate::model::template::{Container, EnvVar, PodTemplateSpec, Resources};
use crate::model::*;
use serde_yaml::{Mapping, Value};

/// A resource and its quantity as `set resources` writes them (`cpu`, `200m`).
type Quantity = (String, String);

impl Cluster {
    /// Applies `edit` to the Deployment's pod template, validates it and stores it; whether
    /// anything changed (kubectl prints nothing for an empty patch).
    fn edit_template(
        &mut self,
        (ns, name): (&str, &str),
        edit: impl FnOnce(&mut PodTemplateSpec) -> Result<(), ApiError>,
    ) -> Result<bool, ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        let before = d.spec.template.clone();
        edit(std::sync::Arc::make_mut(&mut d.spec.template))?;
        if d.spec.template == before {
            return Ok(false);
        }
        let mut errors = Vec::new();
        crate::model::manifest::validate_pod_template(&d.spec.template, &mut errors);
        if !errors.is_empty() {
            return Err(invalid("Deployment", name, &errors));
        }
        Ok(self.update_deployment(id, d) == ApplyOutcome::Configured)
    }

    /// `kubectl set env deployment/NAME KEY=VALUE… KEY-… [-c CONTAINER]`: each variable set
    /// (replacing one of that name) or removed, in every container or the one named.
    pub fn set_env(
        &mut self,
        ns: &str,
        name: &str,
        container: Option<&str>,
        (set, remove): (&[(String, String)], &[String]),
    ) -> Result<bool, ApiError> {
        self.edit_template((ns, name), |t| {
            for c in containers_named(t, container, name, true)? {
                c.env.retain(|e| !remove.contains(&e.name));
                for (k, v) in set {
                    let var = EnvVar {
                        name: k.clone(),
                        value: Some(v.clone()),
                        value_from: None,
                    };
                    match c.env.iter_mut().find(|e| e.name == *k) {
                        Some(e) => *e = var,
                        None => c.env.push(var),
                    }
                }
            }
            Ok(())
        })
    }

    /// `kubectl set resources deployment/NAME [-c CONTAINER] --limits=… --requests=…`:
    /// the named quantities merged into each container's (or the named one's) resources.
    pub fn set_resources(
        &mut self,
        ns: &str,
        name: &str,
        container: Option<&str>,
        (limits, requests): (&[Quantity], &[Quantity]),
    ) -> Result<bool, ApiError> {
        for (resource, q) in limits.iter().chain(requests) {
            check_quantity(resource, q)?;
        }
        self.edit_template((ns, name), |t| {
            for c in containers_named(t, container, name, false)? {
                let r = c.resources.get_or_insert_with(Resources::default);
                for (k, v) in limits {
                    r.limits.insert(k.clone(), Value::String(v.clone()));
                }
                for (k, v) in requests {
                    r.requests.insert(k.clone(), Value::String(v.clone()));
                }
            }
            Ok(())
        })
    }

    /// `kubectl patch deployment NAME -p PATCH`: the patch merged into the Deployment as
    /// the API server merges it — a strategic merge patch by default (lists of containers,
    /// env, ports, mounts and volumes merged by their keys), or a JSON merge patch (`--type
    /// merge`: lists replaced whole); `null` removes a field. The fields rollsim models
    /// (replicas, strategy, minReadySeconds, paused, the template, labels, annotations…)
    /// take effect; whether anything changed.
    pub fn patch_deployment(
        &mut self,
        ns: &str,
        name: &str,
        patch: &str,
        merge: bool,
    ) -> Result<bool, ApiError> {
        let (id, d) = self.deployment_named(ns, name)?;
        let patch: Value = serde_yaml::from_str(patch)
            .map_err(|e| ApiError(format!("error: unable to parse \"{patch}\": {e}")))?;
        if !patch.is_mapping() {
            return Err(ApiError(
                "Error from server (BadRequest): json: cannot unmarshal string into Go value of type map[string]interface {}".into(),
            ));
        }
        let mut object = deployment_object(&d);
        merge_patch(&mut object, &patch, !merge);
        let m = manifest_of(object, ns, name)?;
        let spec = deployment_spec(&m)?;
        if spec.selector != d.spec.selector {
            return Err(ApiError(format!(
                "The Deployment \"{name}\" is invalid: spec.selector: Invalid value: {}: field is immutable",
                crate::model::validation::json_selector(&spec.selector)
            )));
        }
        let mut patched = d.clone();
        patched.spec = spec;
        patched.meta.labels = m.metadata.labels;
        patched.meta.annotations = m.metadata.annotations;
        Ok(self.update_deployment(id, patched) == ApplyOutcome::Configured)
    }
}

/// The containers an edit applies to: every app container, or the one named (`set env`
/// also looks at init containers, as kubectl's `-c` does). kubectl's error when none is.
fn containers_named<'a>(
    t: &'a mut PodTemplateSpec,
    wanted: Option<&str>,
    deployment: &str,
    with_init: bool,
) -> Result<Vec<&'a mut Container>, ApiError> {
    let Some(wanted) = wanted else {
        return Ok(t.spec.containers.iter_mut().collect());
    };
    let init = t.spec.init_containers.iter_mut().filter(|_| with_init);
    let found: Vec<&mut Container> = init
        .chain(t.spec.containers.iter_mut())
        .filter(|c| c.name == wanted)
        .collect();
    if found.is_empty() {
        return Err(ApiError(if with_init {
            format!(
                "Warning: Deployment/{deployment} does not have any containers matching \"{wanted}\""
            )
        } else {
            format!("error: unable to find container named {wanted}")
        }));
    }
    Ok(found)
}

/// `resource.ParseQuantity`'s refusal, as `set resources` reports it.
fn check_quantity(resource: &str, q: &str) -> Result<(), ApiError> {
    let ok = match resource {
        "cpu" => quantity::parse_cpu_millis(q).is_ok(),
        "memory" | "ephemeral-storage" => quantity::parse_memory_bytes(q).is_ok(),
        _ => !q.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError(
            "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                .into(),
        ))
    }
}

/// The Deployment as the API server would serve it, for the fields rollsim keeps.
fn deployment_object(d: &Deployment) -> Value {
    let s = &d.spec;
    let mut strategy = Mapping::new();
    strategy.insert("type".into(), s.strategy.type_name().into());
    if let Strategy::RollingUpdate {
        max_surge,
        max_unavailable,
    } = s.strategy
    {
        let v = |x: IntOrPercent| match x {
            IntOrPercent::Int(i) => Value::from(i),
            IntOrPercent::Percent(_) => Value::from(x.to_string()),
        };
        let mut ru = Mapping::new();
        ru.insert("maxSurge".into(), v(max_surge));
        ru.insert("maxUnavailable".into(), v(max_unavailable));
        strategy.insert("rollingUpdate".into(), Value::Mapping(ru));
    }
    let mut spec = Mapping::new();
    spec.insert("replicas".into(), s.replicas.into());
    spec.insert("selector".into(), to_value(&s.selector));
    spec.insert("template".into(), to_value(&*s.template));
    spec.insert("strategy".into(), Value::Mapping(strategy));
    spec.insert("minReadySeconds".into(), s.min_ready_seconds.into());
    if let Some(r) = s.revision_history_limit {
        spec.insert("revisionHistoryLimit".into(), r.into());
    }
    if let Some(p) = s.progress_deadline_seconds {
        spec.insert("progressDeadlineSeconds".into(), p.into());
    }
    spec.insert("paused".into(), s.paused.into());
    let mut meta = Mapping::new();
    meta.insert("labels".into(), to_value(&d.meta.labels));
    meta.insert("annotations".into(), to_value(&d.meta.annotations));
    let mut object = Mapping::new();
    object.insert("metadata".into(), Value::Mapping(meta));
    object.insert("spec".into(), Value::Mapping(spec));
    Value::Mapping(object)
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_yaml::to_value(v).unwrap_or(Value::Null)
}

/// The patched object read back as a manifest (unknown fields refused by name).
fn manifest_of(object: Value, ns: &str, name: &str) -> Result<DeploymentManifest, ApiError> {
    let get = |key: &str| object.get(key).cloned().unwrap_or(Value::Null);
    let bad = |e: serde_yaml::Error| {
        ApiError(format!(
            "Error from server (BadRequest): the patch to deployment \"{name}\" does not fit a Deployment: {e}"
        ))
    };
    let spec: RawDeploymentSpec = serde_yaml::from_value(get("spec")).map_err(bad)?;
    let meta = get("metadata");
    let map = |key: &str| -> Result<std::collections::BTreeMap<String, String>, ApiError> {
        match meta.get(key) {
            None | Some(Value::Null) => Ok(Default::default()),
            Some(v) => serde_yaml::from_value(v.clone()).map_err(bad),
        }
    };
    Ok(DeploymentManifest {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        metadata: ManifestMeta {
            name: name.to_string(),
            namespace: Some(ns.to_string()),
            labels: map("labels")?,
            annotations: map("annotations")?,
        },
        spec,
        status: None,
    })
}

/// The list merge keys of strategic merge patch for the lists a Deployment here has
/// (`patchMergeKey` in the API types); other lists are replaced.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "env" | "volumes" => Some("name"),
        "ports" => Some("containerPort"),
        "volumeMounts" => Some("mountPath"),
        "tolerations" | "topologySpreadConstraints" => None,
        _ => None,
    }
}

/// RFC 7386 JSON merge patch (maps merged, `null` deletes, anything else replaces), with
/// strategic merge patch's keyed list merge when `strategic`.
pub fn merge_patch(target: &mut Value, patch: &Value, strategic: bool) {
    let (Some(t), Some(p)) = (target.as_mapping_mut(), patch.as_mapping()) else {
        *target = patch.clone();
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
            continue;
        }
        let key = k.as_str().and_then(merge_key).filter(|_| strategic);
        match (t.get_mut(k), key) {
            (Some(existing @ Value::Sequence(_)), Some(key)) => merge_list(existing, v, key),
            (Some(existing @ Value::Mapping(_)), None) if v.is_mapping() => {
                merge_patch(existing, v, strategic)
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A strategic merge of a keyed list: elements with a matching key merged, new ones
/// appended.
fn merge_list(target: &mut Value, patch: &Value, key: &str) {
    let (Some(items), Some(patches)) = (target.as_sequence_mut(), patch.as_sequence()) else {
        *target = patch.clone();
        return;
    };
    for p in patches {
        match items
            .iter_mut()
            .find(|i| i.get(key).is_some() && i.get(key) == p.get(key))
        {
            Some(item) => merge_patch(item, p, true),
            None => items.push(p.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_merge_patch_replaces_lists() {
        let base = yaml(
            "spec: {replicas: 3, template: {spec: {containers: [{name: web, image: a}, {name: log, image: l}]}}}",
        );
        let patch =
            yaml("{spec: {replicas: 5, template: {spec: {containers: [{name: web, image: b}]}}}}");
        let mut strategic = base.clone();
        merge_patch(&mut strategic, &patch, true);
        assert_eq!(
            strategic,
            yaml(
                "spec: {replicas: 5, template: {spec: {containers: [{name: web, image: b}, {name: log, image: l}]}}}"
            )
        );
        let mut merged = base.clone();
        merge_patch(&mut merged, &patch, false);
        assert_eq!(
            merged,
            yaml("spec: {replicas: 5, template: {spec: {containers: [{name: web, image: b}]}}}")
        );
        let mut removed = base;
        merge_patch(&mut removed, &yaml("{spec: {replicas: null}}"), true);
        assert!(removed["spec"].get("replicas").is_none());
    }
}
