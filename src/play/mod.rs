//! Plays a scenario: builds the cluster, runs each script step on the virtual clock, drives
//! blocking `rollout status` from the Deployment's watch events, and measures every rollout.
//! Nothing here prints or touches files; the caller gets a [`Session`] to report.

mod forward;
mod watch;

use crate::check;
use crate::cluster::{Cluster, ClusterConfig};
use crate::kubectl::{self, rollout};
use crate::model::*;
use crate::scenario::{Command, Kubectl, Scenario};
use crate::sim::{Budget, BudgetExceeded, SimTime};
use std::collections::BTreeMap;
use std::fmt;

/// Pods a run may have at once unless told otherwise. A `rollsim run` that records every
/// event of its pods peaks at about 0.95 GB with 100,000 (and 1.4 GB at Kubernetes' own
/// limit of 150,000 per cluster), so this keeps any run within about 1 GB.
pub const DEFAULT_MAX_PODS: usize = 100_000;
/// The most pods any run may be allowed (about 10 GB of records and reports).
pub const MAX_MAX_PODS: usize = 1_000_000;
/// Events a run may process unless told otherwise: five to ten seconds of simulation, far
/// beyond any shipped scenario (the largest takes 26,305), yet a bound on a scenario that
/// would otherwise run for minutes (a year of a stuck rollout re-synced ten times a second).
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000;
/// The most events any run may be allowed.
pub const MAX_MAX_EVENTS: u64 = 10_000_000_000;
/// How often (in processed events) a long run reports its progress.
pub const PROGRESS_EVERY_EVENTS: u64 = 1 << 14;

/// Where a run is, for a progress line: virtual time, events, the step playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Virtual time reached.
    pub now: SimTime,
    /// Events processed so far.
    pub events: u64,
    /// The step playing (1-based) and the number of steps.
    pub step: usize,
    #[allow(missing_docs)]
    pub steps: usize,
}

/// Why a run stopped before its script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Halt {
    /// The event budget ran out.
    Budget(BudgetExceeded),
    /// The caller asked to stop (an interrupt).
    Interrupted,
}

impl From<BudgetExceeded> for Halt {
    fn from(e: BudgetExceeded) -> Self {
        Halt::Budget(e)
    }
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Halt::Budget(BudgetExceeded::Events(n)) => write!(
                f,
                "stopped after {n} events, the run's event budget (raise it with --max-events)"
            ),
            Halt::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// How a run is set up beyond the scenario itself.
#[derive(Debug, Clone, Copy)]
pub struct PlayOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Most pods that may exist at once.
    pub max_pods: usize,
    /// Most events processed.
    pub max_events: u64,
}

impl Default for PlayOptions {
    fn default() -> Self {
        PlayOptions {
            seed: None,
            max_pods: DEFAULT_MAX_PODS,
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

/// One entry of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A command, echoed at the time it ran.
    Command {
        #[allow(missing_docs)]
        time: SimTime,
        #[allow(missing_docs)]
        text: String,
    },
    /// Output printed as the command ran (no time of its own).
    Output(String),
    /// A line printed later by a blocking command, with its time.
    Later {
        #[allow(missing_docs)]
        time: SimTime,
        #[allow(missing_docs)]
        text: String,
    },
    /// A note from rollsim itself (not kubectl output).
    Note {
        #[allow(missing_docs)]
        time: SimTime,
        #[allow(missing_docs)]
        text: String,
    },
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// Line in the scenario file.
    pub line: usize,
    /// The command.
    pub text: String,
    /// Exit status 0.
    pub succeeded: bool,
    /// Whether that is what the step expected.
    pub as_expected: bool,
    /// When it started and ended.
    pub start: SimTime,
    #[allow(missing_docs)]
    pub end: SimTime,
}

/// One rollout of a Deployment: from a template change until the Deployment is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// Deployment revision it rolled to (0 until the controller assigned one).
    pub revision: i64,
    /// Images of the target template.
    pub images: Vec<String>,
    /// When the template changed.
    pub start: SimTime,
    /// When the Deployment was complete; `None` if it never was (superseded or stuck).
    pub end: Option<SimTime>,
    /// Fewest available pods (counted live, not from the lagging status) while it ran.
    pub min_available: i32,
    /// Most pods the ReplicaSets asked for (Σ spec.replicas).
    pub max_pods_spec: i32,
    /// Most pods alive at once, terminating ones included.
    pub max_pods_live: i32,
    /// The Progressing condition said `ProgressDeadlineExceeded` at some moment of it.
    pub deadline_exceeded: bool,
    /// `RollingUpdate` or `Recreate`.
    pub strategy: &'static str,
    /// spec.replicas at its end (or when last seen).
    pub replicas: i32,
    /// Resolved maxSurge at its end.
    pub max_surge: i32,
    /// Resolved maxUnavailable at its end.
    pub max_unavailable: i32,
}

/// A Deployment's size and rollout bounds from a moment on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSample {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Deployment name.
    pub deployment: String,
    /// spec.replicas
    pub replicas: i32,
    /// Resolved maxSurge.
    pub max_surge: i32,
    /// Resolved maxUnavailable.
    pub max_unavailable: i32,
    /// `RollingUpdate` or `Recreate`.
    pub strategy: &'static str,
}

/// Marks on a Deployment's timeline: a command that changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    #[allow(missing_docs)]
    pub time: SimTime,
    /// Deployment name.
    pub deployment: String,
    /// Short label (`apply`, `set image`, `scale 10`, `pause`, `resume`, `undo`).
    pub label: String,
}

/// What a played scenario leaves for reports.
#[derive(Debug)]
pub struct Session {
    /// The cluster at the end (events, samples, pods).
    pub cluster: Cluster,
    /// Scenario name.
    pub name: String,
    /// Seed used.
    pub seed: u64,
    #[allow(missing_docs)]
    pub transcript: Vec<Entry>,
    #[allow(missing_docs)]
    pub steps: Vec<StepResult>,
    /// Rollouts per Deployment name, in order.
    pub rollouts: BTreeMap<String, Vec<Rollout>>,
    /// Commands that changed a Deployment.
    pub markers: Vec<Marker>,
    /// Each Deployment's size and bounds whenever they changed.
    pub specs: Vec<SpecSample>,
    /// Set when the run hit its event budget.
    pub aborted: Option<String>,
    /// Set when the caller's progress observer asked the run to stop.
    pub interrupted: bool,
}

impl Session {
    /// Steps that did not do what they expected.
    pub fn unexpected_failures(&self) -> usize {
        self.steps.iter().filter(|s| !s.as_expected).count()
    }
}

/// The Deployment's `deployment.kubernetes.io/revision` (0 before the controller set one).
fn revision_of(d: &Deployment) -> i64 {
    d.meta
        .annotations
        .get(REVISION_ANNOTATION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Per-Deployment watch for rollouts.
#[derive(Debug, Default)]
struct Tracker {
    by_id: BTreeMap<DeploymentId, Tracked>,
    specs: Vec<SpecSample>,
}

#[derive(Debug)]
struct Tracked {
    name: String,
    generation: i64,
    template: PodTemplateSpec,
    rollouts: Vec<Rollout>,
    spec: Option<(i32, i32, i32, &'static str)>,
}

impl Rollout {
    /// A rollout of the Deployment's template as it is now, starting at `now`.
    fn starting(d: &Deployment, now: SimTime, (surge, unavailable): (i32, i32)) -> Rollout {
        Rollout {
            revision: 0,
            images: d
                .spec
                .template
                .spec
                .containers
                .iter()
                .map(|c| c.image.clone())
                .collect(),
            start: now,
            end: None,
            min_available: i32::MAX,
            max_pods_spec: 0,
            max_pods_live: 0,
            deadline_exceeded: false,
            strategy: d.spec.strategy.type_name(),
            replicas: d.spec.replicas,
            max_surge: surge,
            max_unavailable: unavailable,
        }
    }
}

impl Tracker {
    /// Looks at every Deployment after an event (cheap unless a spec changed).
    fn observe(&mut self, c: &Cluster) {
        let now = c.now();
        for (key, id) in &c.store.deployment_names {
            let Some(d) = c.store.deployment(*id) else {
                continue;
            };
            let name = report_name(key);
            let t = self.by_id.entry(*id).or_insert_with(|| Tracked {
                name: name.clone(),
                generation: 0,
                template: PodTemplateSpec::default(),
                rollouts: Vec::new(),
                spec: None,
            });
            let (surge, unavailable) = c.bounds(d);
            let spec = (
                d.spec.replicas,
                surge,
                unavailable,
                d.spec.strategy.type_name(),
            );
            if t.spec != Some(spec) {
                t.spec = Some(spec);
                self.specs.push(SpecSample {
                    time: now,
                    deployment: name.clone(),
                    replicas: spec.0,
                    max_surge: spec.1,
                    max_unavailable: spec.2,
                    strategy: spec.3,
                });
            }
            if t.generation != d.meta.generation {
                t.generation = d.meta.generation;
                if t.rollouts.is_empty() || t.template != *d.spec.template {
                    t.template = (*d.spec.template).clone();
                    t.rollouts
                        .push(Rollout::starting(d, now, (surge, unavailable)));
                }
            }
            let Some(r) = t.rollouts.last_mut() else {
                continue;
            };
            if r.end.is_some() {
                continue;
            }
            // Bounds follow the spec (a scale during the rollout moves them).
            (r.replicas, r.max_surge, r.max_unavailable) = (d.spec.replicas, surge, unavailable);
            let rss = c.store.replica_sets_of(*id);
            let available: i32 = rss
                .iter()
                .map(|(rid, _)| c.store.rs_pods[rid.0 as usize].available)
                .sum();
            let spec: i32 = rss.iter().map(|(_, rs)| rs.replicas).sum();
            r.min_available = r.min_available.min(available);
            r.max_pods_spec = r.max_pods_spec.max(spec);
            r.max_pods_live = r.max_pods_live.max(c.store.live_pods_of(*id));
            // The controller assigns the revision a reaction after the template changed.
            r.revision = revision_of(d);
            r.deadline_exceeded |= d
                .status
                .condition("Progressing")
                .is_some_and(|c| c.reason == "ProgressDeadlineExceeded");
            if check::rollout_complete(c, *id) {
                r.end = Some(now);
            }
        }
    }

    fn finish(self) -> (BTreeMap<String, Vec<Rollout>>, Vec<SpecSample>) {
        let mut out: BTreeMap<String, Vec<Rollout>> = BTreeMap::new();
        for (_, t) in self.by_id {
            let mut rollouts = t.rollouts;
            for r in &mut rollouts {
                if r.min_available == i32::MAX {
                    r.min_available = 0;
                }
            }
            out.entry(t.name).or_default().extend(rollouts);
        }
        (out, self.specs)
    }
}

struct Player<'a> {
    scenario: &'a Scenario,
    c: Cluster,
    tracker: Tracker,
    transcript: Vec<Entry>,
    steps: Vec<StepResult>,
    markers: Vec<Marker>,
    aborted: Option<String>,
    interrupted: bool,
    observer: &'a mut dyn FnMut(&Progress) -> bool,
    /// Running `kubectl port-forward` jobs.
    forwards: Vec<forward::Forward>,
    /// Running watches (`kubectl get … -w`).
    watches: Vec<watch::Watch>,
}

/// Why a wait ended.
enum Wait {
    /// The deadline came.
    Deadline,
    /// The scenario's `until` came first.
    Until,
}

impl Player<'_> {
    /// Runs events up to `deadline` (bounded by `until`), watching rollouts after each.
    fn advance_to(&mut self, deadline: SimTime) -> Result<Wait, Halt> {
        let until = self.scenario.until;
        let target = deadline.min(until);
        while self.step(target)? {
            self.tracker.observe(&self.c);
        }
        self.c.run_until(target)?;
        Ok(if deadline > until {
            Wait::Until
        } else {
            Wait::Deadline
        })
    }

    /// Runs the next event due by `target`, if any; every [`PROGRESS_EVERY_EVENTS`] events
    /// it tells the observer where the run is, and stops if the observer says so.
    fn step(&mut self, target: SimTime) -> Result<bool, Halt> {
        let stepped = self.c.step_until(target)?;
        if stepped && !self.watches.is_empty() {
            self.poll_watches();
        }
        let events = self.c.events_processed();
        if stepped && events.is_multiple_of(PROGRESS_EVERY_EVENTS) {
            let progress = Progress {
                now: self.c.now(),
                events,
                step: self.steps.len() + 1,
                steps: self.scenario.steps.len(),
            };
            if !(self.observer)(&progress) {
                return Err(Halt::Interrupted);
            }
        }
        Ok(stepped)
    }

    fn output(&mut self, text: &str) {
        if !text.is_empty() {
            self.transcript.push(Entry::Output(text.to_string()));
        }
    }

    fn later(&mut self, text: &str) {
        let time = self.c.now();
        for line in text.lines() {
            self.transcript.push(Entry::Later {
                time,
                text: line.to_string(),
            });
        }
    }

    fn note(&mut self, text: String) {
        let time = self.c.now();
        self.transcript.push(Entry::Note { time, text });
    }

    /// Blocks like `kubectl rollout status`: prints on every watch event of the Deployment.
    fn rollout_status(
        &mut self,
        (ns, name): (&str, &str),
        timeout_ms: Option<u64>,
        revision: i64,
    ) -> Result<bool, Halt> {
        let Some((id, d)) = self.c.store.deployment_by_name(ns, name) else {
            self.output(&format!(
                "Error from server (NotFound): deployments.apps \"{name}\" not found\n"
            ));
            return Ok(false);
        };
        let first = rollout::status(d, revision);
        self.c.take_deployment_writes();
        match first {
            rollout::Status::Done(t) => {
                self.output(&t);
                return Ok(true);
            }
            rollout::Status::Failed(e) => {
                self.output(&format!("error: {e}\n"));
                return Ok(false);
            }
            rollout::Status::Waiting(t) => self.output(&t),
        }
        let deadline = timeout_ms.map_or(SimTime::NEVER, |t| self.c.now().plus_ms(t));
        let target = deadline.min(self.scenario.until);
        loop {
            if !self.step(target)? {
                self.c.run_until(target)?;
                if deadline <= self.scenario.until {
                    self.later("error: timed out waiting for the condition");
                } else {
                    self.note(format!(
                        "rollsim: the scenario's `until` ({}) came while this step was still waiting",
                        self.scenario.until
                    ));
                }
                return Ok(false);
            }
            self.tracker.observe(&self.c);
            for w in self.c.take_deployment_writes() {
                if w != id {
                    continue;
                }
                let Some(d) = self.c.store.deployment(id) else {
                    self.later("error: object has been deleted");
                    return Ok(false);
                };
                match rollout::status(d, revision) {
                    rollout::Status::Waiting(t) => self.later(&t),
                    rollout::Status::Done(t) => {
                        self.later(&t);
                        return Ok(true);
                    }
                    rollout::Status::Failed(e) => {
                        self.later(&format!("error: {e}"));
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// Blocks like `kubectl drain`: cordons, evicts, then polls every second and prints
    /// `pod/X evicted` as each pod disappears, and `node/X drained` when none is left.
    fn drain(&mut self, node: &str, timeout_ms: Option<u64>) -> Result<bool, Halt> {
        let (out, pods) = match kubectl::drain::start_drain(&mut self.c, node) {
            Ok(started) => started,
            Err(out) => {
                self.output(&out.text);
                return Ok(false);
            }
        };
        self.output(&out.text);
        // Pods still to evict, with the time of their next attempt; then evicted ones.
        let mut to_evict: Vec<(PodId, SimTime)> =
            pods.into_iter().map(|p| (p, self.c.now())).collect();
        let mut waiting: Vec<PodId> = Vec::new();
        let mut first = true;
        let deadline = timeout_ms.map_or(SimTime::NEVER, |t| self.c.now().plus_ms(t));
        loop {
            let attempts = self.evict_due(&mut to_evict, &mut waiting);
            if first {
                self.output(&attempts);
                first = false;
            } else if !attempts.is_empty() {
                self.later(attempts.trim_end());
            }
            self.tracker.observe(&self.c);
            self.report_evicted(&mut waiting);
            if waiting.is_empty() && to_evict.is_empty() {
                self.later(&format!("node/{node} drained"));
                return Ok(true);
            }
            let next = self.c.now().plus_ms(1000);
            if next > deadline || next > self.scenario.until {
                let stop = deadline.min(self.scenario.until);
                self.advance_to(stop)?;
                if deadline <= self.scenario.until {
                    let limit = crate::controllers::kubelet::go_duration(timeout_ms.unwrap_or(0));
                    let text = self.drain_timed_out(node, &limit, &to_evict, &waiting);
                    self.later(&text);
                } else {
                    self.note(format!(
                        "rollsim: the scenario's `until` ({}) came while this step was still waiting",
                        self.scenario.until
                    ));
                }
                return Ok(false);
            }
            self.advance_to(next)?;
        }
    }

    /// One round of `evictPods`: each pod whose attempt is due is evicted (then waited
    /// for) or refused by its budget (tried again in 5 s); what kubectl printed.
    fn evict_due(
        &mut self,
        to_evict: &mut Vec<(PodId, SimTime)>,
        waiting: &mut Vec<PodId>,
    ) -> String {
        let now = self.c.now();
        let mut attempts = String::new();
        for (p, at) in to_evict.iter_mut() {
            if *at <= now {
                let (text, done) = kubectl::drain::evict(&mut self.c, *p);
                attempts.push_str(&text);
                if done {
                    waiting.push(*p);
                    *at = SimTime::NEVER;
                } else {
                    *at = now.plus_secs(kubectl::drain::EVICT_RETRY_SECONDS);
                }
            }
        }
        to_evict.retain(|(_, at)| *at != SimTime::NEVER);
        attempts
    }

    /// `pod/X evicted` for each evicted pod now gone.
    fn report_evicted(&mut self, waiting: &mut Vec<PodId>) {
        let mut evicted = Vec::new();
        waiting.retain(|&p| {
            let gone = self.c.store.pod(p).gone;
            if gone {
                evicted.push(self.c.store.pod_name_of(p));
            }
            !gone
        });
        for name in evicted {
            self.later(&format!("pod/{name} evicted"));
        }
    }

    /// What `kubectl drain --timeout` prints when the time is up: a pod the budget still
    /// refuses fails its eviction; otherwise the first evicted pod still there fails the
    /// wait; then the pending pods and the node.
    fn drain_timed_out(
        &self,
        node: &str,
        limit: &str,
        to_evict: &[(PodId, SimTime)],
        waiting: &[PodId],
    ) -> String {
        let store = &self.c.store;
        let err = match (to_evict.first(), waiting.first()) {
            (Some((p, _)), _) => format!(
                "error when evicting pods/\"{}\" -n \"{}\": global timeout reached: {limit}",
                store.pod_name_of(*p),
                store.pod_namespace_of(*p)
            ),
            (None, Some(p)) => format!(
                "error when waiting for pod \"{}\" in namespace \"{}\" to terminate: global timeout reached: {limit}",
                store.pod_name_of(*p),
                store.pod_namespace_of(*p)
            ),
            (None, None) => format!("global timeout reached: {limit}"),
        };
        let mut text =
            format!("There are pending pods in node \"{node}\" when an error occurred: {err}\n");
        let mut pending: Vec<String> = waiting
            .iter()
            .chain(to_evict.iter().map(|(p, _)| p))
            .map(|p| store.pod_name_of(*p))
            .collect();
        pending.sort();
        for name in pending {
            text.push_str(&format!("pod/{name}\n"));
        }
        text.push_str(&format!(
            "error: unable to drain node \"{node}\" due to error: {err}, continuing command...\nThere are pending nodes to be drained:\n {node}\nerror: {err}"
        ));
        text
    }

    fn mark(&mut self, command: &Kubectl, before: &BTreeMap<ObjectKey, (i64, bool)>) {
        let label = match command {
            Kubectl::Apply { .. } => "apply".to_string(),
            Kubectl::SetImage { .. } => "set image".to_string(),
            Kubectl::Scale { replicas, .. } => format!("scale {replicas}"),
            Kubectl::RolloutPause { .. } => "pause".to_string(),
            Kubectl::RolloutResume { .. } => "resume".to_string(),
            Kubectl::RolloutUndo { .. } => "undo".to_string(),
            Kubectl::RolloutRestart { .. } => "restart".to_string(),
            Kubectl::Annotate { .. } => "annotate".to_string(),
            Kubectl::SetEnv { .. } => "set env".to_string(),
            Kubectl::SetResources { .. } => "set resources".to_string(),
            Kubectl::Patch { .. } => "patch".to_string(),
            Kubectl::Delete { .. } | Kubectl::DeleteFiles { .. } => "delete".to_string(),
            Kubectl::Cordon { node } => format!("cordon {node}"),
            Kubectl::Uncordon { node } => format!("uncordon {node}"),
            Kubectl::Taint { node, .. } => format!("taint {node}"),
            Kubectl::LabelNode { node, .. } => format!("label {node}"),
            Kubectl::Drain { node, .. } => format!("drain {node}"),
            _ => return,
        };
        if let Kubectl::Cordon { .. }
        | Kubectl::Uncordon { .. }
        | Kubectl::Drain { .. }
        | Kubectl::Taint { .. }
        | Kubectl::LabelNode { .. } = command
        {
            // Node commands concern every Deployment.
            let time = self.c.now();
            for key in self.c.store.deployment_names.keys() {
                self.markers.push(Marker {
                    time,
                    deployment: report_name(key),
                    label: label.clone(),
                });
            }
            return;
        }
        for key in before.keys() {
            if !self.c.store.deployment_names.contains_key(key) {
                self.markers.push(Marker {
                    time: self.c.now(),
                    deployment: report_name(key),
                    label: label.clone(),
                });
            }
        }
        for (key, id) in &self.c.store.deployment_names {
            let Some(d) = self.c.store.deployment(*id) else {
                continue;
            };
            if before.get(key) != Some(&(d.meta.generation, d.spec.paused)) {
                self.markers.push(Marker {
                    time: self.c.now(),
                    deployment: report_name(key),
                    label: label.clone(),
                });
            }
        }
    }

    /// Runs one script command that began at `start`; whether it succeeded.
    fn run_command(
        &mut self,
        command: &Command,
        (start, timeout_ms): (SimTime, Option<u64>),
    ) -> Result<bool, Halt> {
        Ok(match command {
            Command::Sleep { ms } => self.sleep_until(start.plus_ms(*ms))?,
            Command::Kubectl(
                Kubectl::RolloutStatus {
                    name,
                    timeout_ms,
                    watch: true,
                    revision,
                },
                scope,
            ) => self.rollout_status((&scope.namespace, name), *timeout_ms, *revision)?,
            Command::Curl(args) => self.curl(args)?,
            Command::Kubectl(Kubectl::Get(g), scope) if g.watch && g.background => {
                self.watch_in_background(g, scope)
            }
            Command::Kubectl(Kubectl::Get(g), scope) if g.watch => {
                self.watch_for(g, scope, timeout_ms.unwrap_or(0))?
            }
            Command::Kubectl(
                Kubectl::Wait {
                    kind,
                    name,
                    condition,
                    timeout_ms,
                },
                scope,
            ) => self.wait_for((*kind, name), condition.as_ref(), scope, *timeout_ms)?,
            Command::Kubectl(
                Kubectl::PortForward {
                    kind,
                    name,
                    local,
                    remote,
                },
                scope,
            ) => self.port_forward(*kind, (&scope.namespace, name), *local, remote),
            Command::Kubectl(k @ Kubectl::Drain { node, timeout_ms }, _) => {
                self.mark(k, &BTreeMap::new());
                self.drain(node, *timeout_ms)?
            }
            Command::Kubectl(k, scope) => self.run_kubectl(k, scope),
        })
    }

    /// `sleep`: the clock runs to `end` (or to the scenario's `until`, noted).
    fn sleep_until(&mut self, end: SimTime) -> Result<bool, Halt> {
        Ok(match self.advance_to(end)? {
            Wait::Deadline => true,
            Wait::Until => {
                self.note(format!(
                    "rollsim: the scenario's `until` ({}) came during this sleep",
                    self.scenario.until
                ));
                false
            }
        })
    }

    /// A kubectl command that returns at once: run, printed, and marked on the charts
    /// when it changed a Deployment's generation or paused state.
    fn run_kubectl(&mut self, k: &Kubectl, scope: &crate::scenario::Scope) -> bool {
        let before: BTreeMap<ObjectKey, (i64, bool)> = self
            .c
            .store
            .deployments_sorted()
            .into_iter()
            .map(|(_, d)| {
                let key = object_key(&d.meta.namespace, &d.meta.name);
                (key, (d.meta.generation, d.spec.paused))
            })
            .collect();
        let out = kubectl::execute(&mut self.c, &self.scenario.manifests, k, scope);
        self.output(&out.text);
        self.mark(k, &before);
        self.tracker.observe(&self.c);
        out.ok
    }

    fn run_step(&mut self, index: usize) -> Result<bool, Halt> {
        let step = &self.scenario.steps[index];
        if let Some(at) = step.at
            && at > self.c.now()
            && let Wait::Until = self.advance_to(at)?
        {
            self.note(format!(
                "rollsim: the scenario's `until` ({}) came before this step's `at` ({at})",
                self.scenario.until
            ));
            return Ok(false);
        }
        let start = self.c.now();
        self.transcript.push(Entry::Command {
            time: start,
            text: step.text.clone(),
        });
        let ok = self.run_command(&step.command, (start, step.timeout_ms))?;
        let step = &self.scenario.steps[index];
        self.steps.push(StepResult {
            line: step.line,
            text: step.text.clone(),
            succeeded: ok,
            as_expected: ok != step.expect_failure,
            start,
            end: self.c.now(),
        });
        // A blocking step that hit `until` ends the script.
        Ok(!(self.c.now() >= self.scenario.until && step.command.blocks() && !ok))
    }
}

/// The scenario's cluster: its nodes, node faults and clients in place, at time zero.
fn new_cluster(scenario: &Scenario, options: PlayOptions, seed: u64) -> Cluster {
    let mut c = Cluster::new(ClusterConfig {
        seed,
        timing: scenario.timing,
        budget: Budget {
            max_events: options.max_events,
            until: SimTime::NEVER,
        },
        max_pods: options.max_pods,
        faults: scenario.faults.clone(),
        traffic: scenario
            .traffic
            .enabled
            .then(|| (scenario.traffic.clone(), scenario.traffic_timing)),
        ..Default::default()
    });
    for n in &scenario.nodes {
        c.add_node(n.clone());
    }
    // Node names were checked when the scenario was parsed.
    let _ = c.schedule_node_faults();
    c.start_traffic();
    c
}

/// Plays a scenario to its last step (or its `until`).
pub fn play(scenario: &Scenario, options: PlayOptions) -> Session {
    play_observed(scenario, options, &mut |_| true)
}

/// Plays a scenario, telling `observer` where it is every [`PROGRESS_EVERY_EVENTS`] events;
/// the run stops (its session marked `interrupted`) when the observer returns false.
pub fn play_observed(
    scenario: &Scenario,
    options: PlayOptions,
    observer: &mut dyn FnMut(&Progress) -> bool,
) -> Session {
    let seed = options.seed.unwrap_or(scenario.seed);
    let c = new_cluster(scenario, options, seed);
    let mut p = Player {
        scenario,
        c,
        tracker: Tracker::default(),
        transcript: Vec::new(),
        steps: Vec::new(),
        markers: Vec::new(),
        aborted: None,
        interrupted: false,
        observer,
        forwards: Vec::new(),
        watches: Vec::new(),
    };
    for i in 0..scenario.steps.len() {
        match p.run_step(i) {
            Ok(true) => {}
            Ok(false) => {
                let skipped = scenario.steps.len() - i - 1;
                if skipped > 0 {
                    p.note(format!("rollsim: {skipped} later step(s) not run"));
                }
                break;
            }
            Err(Halt::Interrupted) => {
                p.note(format!("rollsim: {}", Halt::Interrupted));
                p.interrupted = true;
                break;
            }
            Err(e) => {
                p.note(format!("rollsim: {e}"));
                p.aborted = Some(e.to_string());
                break;
            }
        }
    }
    let (rollouts, specs) = p.tracker.finish();
    Session {
        name: scenario.name.clone(),
        seed,
        rollouts,
        specs,
        cluster: p.c,
        transcript: p.transcript,
        steps: p.steps,
        markers: p.markers,
        aborted: p.aborted,
        interrupted: p.interrupted,
    }
}
