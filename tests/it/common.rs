//! Helpers to build clusters and manifests.

use rollsim::cluster::{Cluster, ClusterConfig, NodeSpec, Timing};
use rollsim::model::Faults;
use rollsim::model::manifest::{Manifest, parse_manifests};
use rollsim::sim::{Latency, SimTime};

pub fn cluster(seed: u64, nodes: usize, timing: Timing) -> Cluster {
    cluster_with_faults(seed, nodes, timing, Faults::default())
}

/// Nodes `node-1`.. with room for 500 pods each, and the scenario's node faults scheduled.
pub fn cluster_with_faults(seed: u64, nodes: usize, timing: Timing, faults: Faults) -> Cluster {
    let mut c = Cluster::new(ClusterConfig {
        seed,
        timing,
        faults,
        ..Default::default()
    });
    for i in 1..=nodes {
        c.add_node(NodeSpec {
            name: format!("node-{i}"),
            cpu_millis: 64_000,
            memory_bytes: 256 << 30,
            max_pods: 500,
            labels: Default::default(),
            taints: Vec::new(),
        });
    }
    c.schedule_node_faults().expect("fault nodes exist");
    c
}

pub fn constant_timing() -> Timing {
    Timing {
        schedule: Latency::Constant(20),
        image_pull: Latency::Constant(2000),
        container_start: Latency::Constant(1000),
        stop: Latency::Constant(1000),
        controller_sync: Latency::Constant(5),
    }
}

pub fn deployment_yaml(
    name: &str,
    replicas: i32,
    image: &str,
    strategy: &str,
    extra_spec: &str,
) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n{strategy}{extra_spec}  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n"
    )
}

pub fn rolling(surge: &str, unavailable: &str) -> String {
    format!(
        "  strategy:\n    rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}\n"
    )
}

pub fn apply(c: &mut Cluster, yaml: &str) {
    for m in parse_manifests(yaml).expect("manifest parses") {
        match m {
            Manifest::Deployment(d) => {
                c.apply_deployment("default", &d).expect("apply accepted");
            }
            Manifest::Service(s) => {
                c.apply_service("default", &s);
            }
            Manifest::ConfigMap(cm) => {
                c.apply_config_map("default", &cm);
            }
            Manifest::PodDisruptionBudget(b) => {
                c.apply_pdb("default", &b).expect("budget accepted");
            }
            Manifest::Namespace(n) => {
                c.apply_namespace(&n).expect("namespace accepted");
            }
        }
    }
}

/// Runs until the Deployment reports complete (Progressing NewReplicaSetAvailable) or the deadline.
pub fn run_until_complete(c: &mut Cluster, name: &str, limit: SimTime) -> bool {
    loop {
        let done = c
            .store
            .deployment_by_name("default", name)
            .is_some_and(|(_, d)| {
                d.status.observed_generation >= d.meta.generation
                    && d.status
                        .condition("Progressing")
                        .is_some_and(|p| p.reason == "NewReplicaSetAvailable")
                    && d.status.updated_replicas == d.spec.replicas
                    && d.status.replicas == d.spec.replicas
                    && d.status.available_replicas == d.spec.replicas
            });
        if done {
            return true;
        }
        match c.next_event_time() {
            Some(t) if t <= limit => {
                c.step_until(limit).expect("within budget");
            }
            _ => return false,
        }
    }
}

pub fn scaling_messages(c: &Cluster, name: &str) -> Vec<String> {
    c.recorder
        .events_for("deployment", ("default", name))
        .filter(|e| e.reason == "ScalingReplicaSet")
        .map(|e| e.message.clone())
        .collect()
}

/// Replaces the ReplicaSet names in messages with v1, v2, … in creation order.
pub fn by_revision(c: &Cluster, name: &str, messages: Vec<String>) -> Vec<String> {
    let (id, _) = c
        .store
        .deployment_by_name("default", name)
        .expect("deployment");
    let rss: Vec<String> = c
        .store
        .deployment(id)
        .map(|d| {
            d.replica_sets
                .iter()
                .map(|r| {
                    c.store
                        .replica_set(*r)
                        .map(|rs| rs.meta.name.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    messages
        .into_iter()
        .map(|mut m| {
            for (i, rs) in rss.iter().enumerate() {
                m = m.replace(rs, &format!("v{}", i + 1));
            }
            m
        })
        .collect()
}

/// A scaling of one ReplicaSet: when, which, from and to.
pub type Scaling = (SimTime, String, i32, i32);

/// The `ScalingReplicaSet` events (`Scaled up replica set web-abc from 1 to 2`), and the
/// scalings the controller's explanations describe, both in order.
pub fn scalings(c: &Cluster) -> (Vec<Scaling>, Vec<Scaling>) {
    let events = c
        .recorder
        .events
        .iter()
        .filter(|e| e.reason == "ScalingReplicaSet")
        .map(|e| {
            let w: Vec<&str> = e.message.split(' ').collect();
            let size = |i: usize| w[i].parse().expect("a replica count");
            (e.time, w[4].to_string(), size(6), size(8))
        })
        .collect();
    let explained = c
        .recorder
        .explanations
        .iter()
        .filter_map(|e| {
            e.step
                .scaled()
                .map(|(rs, f, t)| (e.time, rs.to_string(), f, t))
        })
        .collect();
    (events, explained)
}

/// Plays a shipped scenario, `scenarios/NAME.yaml`, to its end.
pub fn play_shipped(name: &str) -> rollsim::play::Session {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let scenario = rollsim::scenario::load(&path, 100_000).expect("the scenario loads");
    rollsim::play::play(&scenario, Default::default())
}
