//! Object writes as the API server performs them: ReplicaSet writes for the Deployment
//! controller, and the requests kubectl sends (apply, scale, set image, annotate, rollout
//! pause / resume / undo / restart, delete).

use super::Cluster;
use crate::controllers::deployment::util;
use crate::model::manifest::{
    ApiError, ConfigMapManifest, DeploymentManifest, NamespaceManifest, PdbManifest,
    ServiceManifest, deployment_spec,
};
use crate::model::*;
use std::collections::BTreeMap;

/// What `kubectl apply` reports for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    #[allow(missing_docs)]
    Created,
    #[allow(missing_docs)]
    Configured,
    #[allow(missing_docs)]
    Unchanged,
}

impl ApplyOutcome {
    /// As kubectl prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Configured => "configured",
            ApplyOutcome::Unchanged => "unchanged",
        }
    }
}

/// What `kubectl rollout undo` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    /// `rolled back`
    RolledBack,
    /// `skipped rollback (current template already matches revision N)`
    Skipped(i64),
}

impl Cluster {
    /// Builds a ReplicaSet object (not yet stored).
    pub(crate) fn new_replica_set_object(
        &mut self,
        owner: DeploymentId,
        name: String,
        template: PodTemplateSpec,
        selector: LabelSelector,
        replicas: i32,
        min_ready_seconds: i32,
    ) -> ReplicaSet {
        let uid = self.new_uid();
        let images = template
            .spec
            .containers
            .iter()
            .map(|c| self.store.intern_image(&c.image))
            .collect();
        let fault = template
            .spec
            .containers
            .iter()
            .map(|c| self.config.faults.image(&c.image))
            .fold(ImageFault::default(), ImageFault::combine);
        let namespace = self.store.deployment(owner).map_or_else(
            || DEFAULT_NAMESPACE.to_string(),
            |d| d.meta.namespace.clone(),
        );
        ReplicaSet {
            meta: ObjectMeta {
                name,
                namespace,
                uid,
                labels: template.metadata.labels.clone(),
                creation: self.now().whole_seconds(),
                generation: 1,
                ..Default::default()
            },
            owner,
            replicas,
            min_ready_seconds,
            selector,
            requests: template.requests(),
            images,
            fault,
            template: template.into(),
            status: ReplicaSetStatus::default(),
        }
    }

    /// Stores a new ReplicaSet owned by its Deployment.
    pub(crate) fn create_replica_set(&mut self, rs: ReplicaSet) -> RsId {
        let id = RsId(self.store.replica_sets.len() as u32);
        self.store
            .rs_names
            .insert(object_key(&rs.meta.namespace, &rs.meta.name), id);
        self.store
            .rs_template_keys
            .push(rs.template.canonical_without_hash());
        if let Some(Some(d)) = self.store.deployments.get_mut(rs.owner.0 as usize) {
            d.replica_sets.push(id);
        }
        self.store.rs_pods.push(super::RsPods {
            pod_prefix: super::pods::pod_name_prefix(&rs.meta.name),
            namespace: rs.meta.namespace.clone(),
            ..Default::default()
        });
        self.store.replica_sets.push(Some(rs));
        self.replica_set_written(id);
        id
    }

    /// Replaces a ReplicaSet's spec and metadata (an update call); bumps the generation when
    /// the spec changed.
    pub(crate) fn update_replica_set(&mut self, r: RsId, mut rs: ReplicaSet) {
        let Some(Some(stored)) = self.store.replica_sets.get_mut(r.0 as usize) else {
            return;
        };
        if rs.replicas != stored.replicas || rs.min_ready_seconds != stored.min_ready_seconds {
            rs.meta.generation = stored.meta.generation + 1;
        }
        rs.status = stored.status;
        *stored = rs;
        self.replica_set_written(r);
    }

    /// Deletes a ReplicaSet (its pods, if any, are deleted gracefully by garbage collection).
    pub(crate) fn delete_replica_set(&mut self, r: RsId) {
        let now = self.now();
        let Some(Some(rs)) = self.store.replica_sets.get_mut(r.0 as usize) else {
            return;
        };
        rs.meta.deletion = Some(now.whole_seconds());
        let (key, owner) = (object_key(&rs.meta.namespace, &rs.meta.name), rs.owner);
        self.store.rs_names.remove(&key);
        if let Some(Some(d)) = self.store.deployments.get_mut(owner.0 as usize) {
            d.replica_sets.retain(|x| *x != r);
        }
        for p in self.store.rs_pods[r.0 as usize].active.clone() {
            self.delete_pod(p);
        }
        self.enqueue_deployment(owner);
    }

    /// `kubectl apply` of a Deployment: create, or update spec, labels and annotations.
    pub fn apply_deployment(
        &mut self,
        ns: &str,
        m: &DeploymentManifest,
    ) -> Result<ApplyOutcome, ApiError> {
        let spec = deployment_spec(m)?;
        let name = &m.metadata.name;
        let Some((id, existing)) = self.store.deployment_by_name(ns, name) else {
            self.create_deployment(ns, m, spec);
            return Ok(ApplyOutcome::Created);
        };
        if existing.spec.selector != spec.selector {
            return Err(ApiError(format!(
                "The Deployment \"{name}\" is invalid: spec.selector: Invalid value: {}: field is immutable",
                crate::model::validation::json_selector(&spec.selector)
            )));
        }
        let mut d = existing.clone();
        let replicas = match m.spec.replicas {
            Some(r) => r,
            None if d.last_applied_replicas => 1,
            None => d.spec.replicas,
        };
        // A three-way merge keeps live values of fields the manifest never set (e.g. after
        // `kubectl scale` or `kubectl rollout pause`), and resets those it stopped setting.
        let paused = match m.spec.paused {
            Some(p) => p,
            None if d.last_applied_paused => false,
            None => d.spec.paused,
        };
        for k in &d.last_applied_annotations {
            if !m.metadata.annotations.contains_key(k) {
                d.meta.annotations.remove(k);
            }
        }
        d.meta.annotations.extend(m.metadata.annotations.clone());
        d.meta.labels = m.metadata.labels.clone();
        d.last_applied_annotations = m.metadata.annotations.keys().cloned().collect();
        d.last_applied_replicas = m.spec.replicas.is_some();
        d.last_applied_paused = m.spec.paused.is_some();
        d.spec = DeploymentSpec {
            replicas,
            paused,
            ..spec
        };
        Ok(self.update_deployment(id, d))
    }

    fn create_deployment(&mut self, ns: &str, m: &DeploymentManifest, spec: DeploymentSpec) {
        let id = DeploymentId(self.store.deployments.len() as u32);
        let uid = self.new_uid();
        let d = Deployment {
            meta: ObjectMeta {
                name: m.metadata.name.clone(),
                namespace: ns.to_string(),
                uid,
                labels: m.metadata.labels.clone(),
                annotations: m.metadata.annotations.clone(),
                creation: self.now().whole_seconds(),
                generation: 1,
                ..Default::default()
            },
            spec,
            status: DeploymentStatus::default(),
            replica_sets: Vec::new(),
            last_applied_annotations: m.metadata.annotations.keys().cloned().collect(),
            last_applied_replicas: m.spec.replicas.is_some(),
            last_applied_paused: m.spec.paused.is_some(),
        };
        self.store
            .deployment_names
            .insert(object_key(ns, &d.meta.name), id);
        self.store.deployments.push(Some(d));
        self.deployment_written(id);
    }

    /// Stores an updated Deployment: the generation moves when spec or annotations changed.
    pub(super) fn update_deployment(
        &mut self,
        id: DeploymentId,
        mut d: Deployment,
    ) -> ApplyOutcome {
        let Some(Some(stored)) = self.store.deployments.get_mut(id.0 as usize) else {
            return ApplyOutcome::Unchanged;
        };
        let spec_changed = stored.spec != d.spec || stored.meta.annotations != d.meta.annotations;
        if !spec_changed && stored.meta.labels == d.meta.labels {
            stored.last_applied_annotations = d.last_applied_annotations;
            stored.last_applied_replicas = d.last_applied_replicas;
            return ApplyOutcome::Unchanged;
        }
        if spec_changed {
            d.meta.generation = stored.meta.generation + 1;
        }
        d.status = stored.status.clone();
        *stored = d;
        self.deployment_written(id);
        ApplyOutcome::Configured
    }

    pub(super) fn deployment_named(
        &self,
        ns: &str,
        name: &str,
    ) -> Result<(DeploymentId, Deployment), ApiError> {
        self.store
            .deployment_by_name(ns, name)
            .map(|(id, d)| (id, d.clone()))
            .ok_or_else(|| {
                ApiError(format!(
                    "Error from server (NotFound): deployments.apps \"{name}\" not found"
                ))
            })
    }

    /// `kubectl scale deployment NAME --replicas=N`.
    pub fn scale_deployment(
        &mut self,
        ns: &str,
        name: &str,
        replicas: i32,
    ) -> Result<(), ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        if replicas < 0 {
            return Err(ApiError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into()));
        }
        d.spec.replicas = replicas;
        self.update_deployment(id, d);
        Ok(())
    }

    /// `kubectl set image deployment/NAME CONTAINER=IMAGE`: whether anything changed.
    pub fn set_image(
        &mut self,
        ns: &str,
        name: &str,
        container: &str,
        image: &str,
    ) -> Result<bool, ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        // `set image` reaches init containers too (`*` means every container).
        let spec = &mut std::sync::Arc::make_mut(&mut d.spec.template).spec;
        let matched: Vec<&mut Container> = spec
            .init_containers
            .iter_mut()
            .chain(spec.containers.iter_mut())
            .filter(|c| container == "*" || c.name == container)
            .collect();
        if matched.is_empty() {
            return Err(ApiError(format!(
                "error: unable to find container named \"{container}\""
            )));
        }
        for c in matched {
            c.image = image.to_string();
        }
        // The API server validates the patched object as it would a new one.
        let mut errors = Vec::new();
        crate::model::manifest::validate_pod_template(&d.spec.template, &mut errors);
        if !errors.is_empty() {
            return Err(crate::model::manifest::invalid("Deployment", name, &errors));
        }
        Ok(self.update_deployment(id, d) == ApplyOutcome::Configured)
    }

    /// `kubectl annotate deployment NAME KEY=VALUE [--overwrite]`.
    pub fn annotate_deployment(
        &mut self,
        ns: &str,
        name: &str,
        key: &str,
        value: &str,
        overwrite: bool,
    ) -> Result<(), ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        // `validateNoAnnotationOverwrites`: the change-cause annotation can always be
        // overwritten (so `rollout history` can record each command).
        if let Some(old) = d.meta.annotations.get(key)
            && !overwrite
            && old != value
            && key != CHANGE_CAUSE_ANNOTATION
        {
            return Err(ApiError(format!(
                "error: --overwrite is false but found the following declared annotation(s): '{key}' already has a value ({old})"
            )));
        }
        d.meta
            .annotations
            .insert(key.to_string(), value.to_string());
        self.update_deployment(id, d);
        Ok(())
    }

    /// `kubectl rollout pause|resume`: whether it changed anything.
    pub fn set_paused(&mut self, ns: &str, name: &str, paused: bool) -> Result<bool, ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        if d.spec.paused == paused {
            return Ok(false);
        }
        d.spec.paused = paused;
        self.update_deployment(id, d);
        Ok(true)
    }

    /// `kubectl rollout restart`: stamps the template with `kubectl.kubernetes.io/restartedAt`.
    pub fn restart_deployment(
        &mut self,
        ns: &str,
        name: &str,
        stamp: String,
    ) -> Result<(), ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        if d.spec.paused {
            return Err(ApiError(format!(
                "error: deployments \"{name}\" can't restart paused deployment (run rollout resume first)"
            )));
        }
        let annotations = &mut std::sync::Arc::make_mut(&mut d.spec.template)
            .metadata
            .annotations;
        if annotations.get(RESTARTED_AT_ANNOTATION) == Some(&stamp) {
            // The stamp has one-second resolution: the patch kubectl computes is empty.
            return Err(ApiError(format!(
                "error: failed to create patch for {name}: if restart has already been triggered within the past second, please wait before attempting to trigger another"
            )));
        }
        annotations.insert(RESTARTED_AT_ANNOTATION.into(), stamp);
        self.update_deployment(id, d);
        Ok(())
    }

    /// `kubectl rollout undo [--to-revision=N]`, client-side as modern kubectl does it.
    pub fn undo_deployment(
        &mut self,
        ns: &str,
        name: &str,
        to_revision: i64,
    ) -> Result<UndoOutcome, ApiError> {
        let (id, mut d) = self.deployment_named(ns, name)?;
        if to_revision < 0 {
            return Err(ApiError(format!(
                "error: unable to find specified revision {to_revision} in history"
            )));
        }
        let rss = self.store.replica_sets_of(id);
        let target = if to_revision > 0 {
            rss.iter()
                .find(|(_, rs)| rs.revision() == to_revision)
                .map(|(_, rs)| (*rs).clone())
                .ok_or_else(|| {
                    ApiError(format!(
                        "error: unable to find specified revision {to_revision} in history"
                    ))
                })?
        } else {
            let mut revs: Vec<(i64, &ReplicaSet)> =
                rss.iter().map(|(_, rs)| (rs.revision(), *rs)).collect();
            revs.sort_by_key(|(r, _)| *r);
            match revs.len() {
                0 | 1 => {
                    return Err(ApiError(format!(
                        "error: no rollout history found for deployment \"{name}\""
                    )));
                }
                n => revs[n - 2].1.clone(),
            }
        };
        if d.spec.paused {
            return Err(ApiError("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".into()));
        }
        if target.template.equal_ignore_hash(&d.spec.template) {
            return Ok(UndoOutcome::Skipped(target.revision()));
        }
        let mut template = (*target.template).clone();
        template
            .metadata
            .labels
            .remove(template::POD_TEMPLATE_HASH_LABEL);
        d.spec.template = template.into();
        let mut annotations: BTreeMap<String, String> = d
            .meta
            .annotations
            .iter()
            .filter(|(k, _)| ANNOTATIONS_TO_SKIP.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in &target.meta.annotations {
            if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
                annotations.insert(k.clone(), v.clone());
            }
        }
        d.meta.annotations = annotations;
        self.update_deployment(id, d);
        Ok(UndoOutcome::RolledBack)
    }

    /// `kubectl delete deployment NAME`: the Deployment goes; garbage collection deletes its
    /// ReplicaSets and their pods terminate gracefully.
    pub fn delete_deployment(&mut self, ns: &str, name: &str) -> Result<(), ApiError> {
        let (id, _) = self.deployment_named(ns, name)?;
        let now = self.now();
        self.store.deployment_names.remove(&object_key(ns, name));
        let rss: Vec<RsId> = self
            .store
            .deployment(id)
            .map(|d| d.replica_sets.clone())
            .unwrap_or_default();
        if let Some(Some(d)) = self.store.deployments.get_mut(id.0 as usize) {
            d.meta.deletion = Some(now.whole_seconds());
        }
        for r in rss {
            self.delete_replica_set(r);
        }
        self.deployment_writes.push(id);
        Ok(())
    }

    /// `kubectl apply` of a Service.
    pub fn apply_service(&mut self, ns: &str, m: &ServiceManifest) -> ApplyOutcome {
        let ports = m
            .spec
            .ports
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                port: p.port,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                target_port: p
                    .target_port
                    .clone()
                    .unwrap_or(IntOrString::Int(i64::from(p.port))),
                node_port: p.node_port,
            })
            .collect();
        let key = object_key(ns, &m.metadata.name);
        let existing = self.store.services.get(&key).cloned();
        // The API server keeps a Service's identity, creation time and cluster IP on update.
        let (uid, creation, allocated_ip) = match &existing {
            Some(old) => (old.meta.uid, old.meta.creation, old.cluster_ip.clone()),
            None => (
                self.new_uid(),
                self.now().whole_seconds(),
                self.allocate_cluster_ip(),
            ),
        };
        let svc = Service {
            meta: m.metadata.stored(ns, uid, creation),
            service_type: m
                .spec
                .service_type
                .clone()
                .unwrap_or_else(|| "ClusterIP".into()),
            cluster_ip: m.spec.cluster_ip.clone().unwrap_or(allocated_ip),
            selector: m.spec.selector.clone(),
            ports,
            publish_not_ready_addresses: m.spec.publish_not_ready_addresses.unwrap_or(false),
        };
        let outcome = match &existing {
            None => ApplyOutcome::Created,
            Some(old) if *old == svc => ApplyOutcome::Unchanged,
            Some(_) => ApplyOutcome::Configured,
        };
        self.store.services.insert(key.clone(), svc);
        if outcome != ApplyOutcome::Unchanged {
            self.traffic_service_changed(&key);
        }
        outcome
    }

    /// The next address of the default service range 10.96.0.0/12 (10.96.0.1 is the API server's).
    fn allocate_cluster_ip(&mut self) -> String {
        self.store.service_ips_allocated += 1;
        let n = self.store.service_ips_allocated + 1;
        format!("10.96.{}.{}", n / 256, n % 256)
    }

    /// `kubectl apply` of a ConfigMap.
    pub fn apply_config_map(&mut self, ns: &str, m: &ConfigMapManifest) -> ApplyOutcome {
        let key = object_key(ns, &m.metadata.name);
        let existing = self.store.config_maps.get(&key);
        let outcome = match existing {
            None => ApplyOutcome::Created,
            Some(old) if old.data == m.data && old.meta.labels == m.metadata.labels => {
                ApplyOutcome::Unchanged
            }
            Some(_) => ApplyOutcome::Configured,
        };
        let creation = existing.map_or(self.now().whole_seconds(), |c| c.meta.creation);
        let cm = ConfigMap {
            meta: m.metadata.stored(ns, 0, creation),
            data: m.data.clone(),
        };
        self.store.config_maps.insert(key, cm);
        outcome
    }

    /// `kubectl apply` of a Namespace: created, or unchanged when it exists (namespaces
    /// carry no labels here); its name checked as the API server does.
    pub fn apply_namespace(&mut self, m: &NamespaceManifest) -> Result<ApplyOutcome, ApiError> {
        let name = &m.metadata.name;
        if let Some(e) = crate::model::validation::dns1123_label(name).first() {
            return Err(ApiError(format!(
                "The Namespace \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": {e}"
            )));
        }
        if self.store.namespaces.contains_key(name) {
            return Ok(ApplyOutcome::Unchanged);
        }
        let now = self.now().whole_seconds();
        self.store.namespaces.insert(name.clone(), now);
        Ok(ApplyOutcome::Created)
    }

    /// Deletes a Service or ConfigMap by kind; whether it existed.
    pub fn delete_simple(&mut self, kind: &str, ns: &str, name: &str) -> bool {
        let key = object_key(ns, name);
        match kind {
            "service" => {
                let removed = self.store.services.remove(&key).is_some();
                if removed {
                    self.traffic_service_changed(&key);
                }
                removed
            }
            "configmap" => self.store.config_maps.remove(&key).is_some(),
            "poddisruptionbudget" => self.store.pdbs.remove(&key).is_some(),
            _ => false,
        }
    }

    /// `kubectl apply` of a PodDisruptionBudget.
    pub fn apply_pdb(&mut self, ns: &str, m: &PdbManifest) -> Result<ApplyOutcome, ApiError> {
        let (min_available, max_unavailable, selector) = m.checked()?;
        let key = object_key(ns, &m.metadata.name);
        let existing = self.store.pdbs.get(&key).cloned();
        let (uid, creation) = match &existing {
            Some(old) => (old.meta.uid, old.meta.creation),
            None => (self.new_uid(), self.now().whole_seconds()),
        };
        let pdb = PodDisruptionBudget {
            meta: ObjectMeta {
                generation: 1,
                ..m.metadata.stored(ns, uid, creation)
            },
            min_available,
            max_unavailable,
            selector,
        };
        let outcome = match existing {
            None => ApplyOutcome::Created,
            Some(old) if old == pdb => ApplyOutcome::Unchanged,
            Some(_) => ApplyOutcome::Configured,
        };
        self.store.pdbs.insert(key, pdb);
        Ok(outcome)
    }

    /// Surge and unavailability bounds of a Deployment as resolved now.
    pub fn bounds(&self, d: &Deployment) -> (i32, i32) {
        (
            util::max_surge(d.spec.strategy, d.spec.replicas),
            util::max_unavailable(d.spec.strategy, d.spec.replicas),
        )
    }
}
