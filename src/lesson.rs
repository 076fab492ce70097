//! The built-in lesson: `ngx-dep`, 4 replicas of nginx 1.21 rolled to 1.22 with
//! `minReadySeconds: 15` (the walkthrough rollsim grew from).

use crate::check;
use crate::cluster::{Cluster, ClusterConfig, NodeSpec};
use crate::model::manifest::{Manifest, ManifestError, parse_manifests};
use crate::sim::{BudgetExceeded, SimTime};

/// The v1 manifest (ConfigMap, Deployment, Service).
pub const NGX_V1: &str = include_str!("../scenarios/ngx-v1.yml");
/// The v2 manifest: nginx 1.22 and `minReadySeconds: 15`.
pub const NGX_V2: &str = include_str!("../scenarios/ngx-v2.yml");

/// One line of the lesson's log: when, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonLine {
    #[allow(missing_docs)]
    pub time: SimTime,
    #[allow(missing_docs)]
    pub text: String,
}

/// Why the lesson could not be played.
#[derive(Debug)]
pub enum LessonError {
    /// A bundled manifest failed to parse (a build defect).
    Manifest(ManifestError),
    /// The API server rejected a manifest.
    Api(String),
    /// The run hit its event budget.
    Budget(BudgetExceeded),
    /// A rollout did not finish in virtual time.
    Stuck(&'static str),
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LessonError::Manifest(e) => write!(f, "bundled manifest: {e}"),
            LessonError::Api(e) => f.write_str(e),
            LessonError::Budget(e) => write!(f, "{e}"),
            LessonError::Stuck(what) => write!(
                f,
                "the {what} rollout did not complete within an hour of virtual time"
            ),
        }
    }
}

impl std::error::Error for LessonError {}

fn apply(c: &mut Cluster, text: &str, log: &mut Vec<LessonLine>) -> Result<(), LessonError> {
    for m in parse_manifests(text).map_err(LessonError::Manifest)? {
        let outcome = match &m {
            Manifest::Deployment(d) => c.apply_deployment(d).map_err(|e| LessonError::Api(e.0))?,
            Manifest::Service(s) => c.apply_service(s),
            Manifest::ConfigMap(cm) => c.apply_config_map(cm),
        };
        log.push(LessonLine {
            time: c.now(),
            text: format!("{}/{} {}", m.kind_prefix(), m.name(), outcome.as_str()),
        });
    }
    Ok(())
}

fn wait_complete(c: &mut Cluster, what: &'static str) -> Result<(), LessonError> {
    let (id, _) = c
        .store
        .deployment_by_name("ngx-dep")
        .ok_or(LessonError::Stuck(what))?;
    let limit = c.now().plus_secs(3600);
    while !check::rollout_complete(c, id) {
        if !c.step_until(limit).map_err(LessonError::Budget)? {
            return Err(LessonError::Stuck(what));
        }
    }
    Ok(())
}

/// Plays the lesson on a 3-node cluster and returns the cluster and its log: applies, the
/// Deployment controller's scaling events, and rollout completions.
pub fn play(seed: u64) -> Result<(Cluster, Vec<LessonLine>), LessonError> {
    let mut c = Cluster::new(ClusterConfig {
        seed,
        ..Default::default()
    });
    for i in 1..=3 {
        c.add_node(NodeSpec {
            name: format!("node-{i}"),
            cpu_millis: 4000,
            memory_bytes: 8 << 30,
            max_pods: 110,
            labels: Default::default(),
        });
    }
    let mut log = Vec::new();
    apply(&mut c, NGX_V1, &mut log)?;
    wait_complete(&mut c, "v1")?;
    let v2_start = c.now();
    log.push(LessonLine {
        time: c.now(),
        text: "deployment \"ngx-dep\" successfully rolled out".into(),
    });
    apply(&mut c, NGX_V2, &mut log)?;
    wait_complete(&mut c, "v2")?;
    log.push(LessonLine {
        time: c.now(),
        text: format!(
            "deployment \"ngx-dep\" successfully rolled out (v2 took {:.3}s)",
            c.now().ms_since(v2_start) as f64 / 1000.0
        ),
    });
    for e in c
        .recorder
        .events_for("deployment", "ngx-dep")
        .filter(|e| e.reason == "ScalingReplicaSet")
    {
        log.push(LessonLine {
            time: e.time,
            text: format!("ScalingReplicaSet  {}", e.message),
        });
    }
    log.sort_by_key(|l| l.time);
    Ok((c, log))
}
