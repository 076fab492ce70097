//! The kubelet of every node: pulls images (cached per node), creates and starts containers,
//! reports readiness, and stops containers gracefully. Each node draws its latencies from
//! its own RNG stream.
//!
//! Under a scenario's faults it also fails pulls (`ErrImagePull`, then `ImagePullBackOff`),
//! restarts exited containers (`CrashLoopBackOff`), runs probes one by one, and comes back
//! after its machine was down. Back-off follows `flowcontrol.Backoff` as the kubelet uses it:
//! 10 s doubling to 5 min, forgotten after 10 min without a failure.

use crate::controllers::{Api, Event};
use crate::model::recorder::EventType;
use crate::model::*;
use crate::sim::SimTime;
use rand::RngExt;

/// `backOffPeriod` of the kubelet: the first back-off.
pub const BACKOFF_INITIAL_MS: u64 = 10_000;
/// `MaxContainerBackOff` (and the image back-off cap).
pub const BACKOFF_MAX_MS: u64 = 300_000;
/// The kubelet re-syncs a pod whose container failed at its next PLEG relist (1 s).
pub const FAILED_SYNC_DELAY_MS: u64 = 1_000;
/// Why a container exited, as [`Event::KubeletContainerExited`] carries it.
const EXIT_AFTER: u8 = 0;
const EXIT_RANDOM: u8 = 1;
const EXIT_LIVENESS: u8 = 2;
/// Probe kinds carried by [`Event::KubeletProbe`].
pub const READINESS: u8 = 0;
#[allow(missing_docs)]
pub const LIVENESS: u8 = 1;

/// One key of `flowcontrol.Backoff`: the current delay and when it was last extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backoff {
    /// Current delay in milliseconds (0 before the first failure).
    pub delay_ms: u64,
    /// When `next` was last called.
    pub last_update: Option<SimTime>,
}

impl Backoff {
    /// Mirrors `hasExpired`: an entry untouched for twice the cap is forgotten.
    fn expired(&self, event: SimTime) -> bool {
        self.last_update
            .is_none_or(|last| event.ms_since(last) > 2 * BACKOFF_MAX_MS)
    }

    /// Mirrors `Backoff.IsInBackOffSince`: whether `now` is within the delay after `event`.
    pub fn in_backoff_since(&self, event: SimTime, now: SimTime) -> bool {
        !self.expired(event) && now.ms_since(event) < self.delay_ms
    }

    /// Mirrors `Backoff.Next`: starts at 10 s, doubles up to 5 min, restarts when expired.
    pub fn next(&mut self, event: SimTime) {
        self.delay_ms = if self.expired(event) {
            BACKOFF_INITIAL_MS
        } else {
            (self.delay_ms * 2).min(BACKOFF_MAX_MS)
        };
        self.last_update = Some(event);
    }
}

/// What the kubelet remembers about a pod that met a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodFaultState {
    /// Image pull back-off (`<pod uid>_<image>`).
    pub pull: Backoff,
    /// Container restart back-off.
    pub crash: Backoff,
    /// Consecutive results of the readiness probe: (last result passed, run length).
    pub readiness_run: (bool, u32),
    /// The same for the liveness probe.
    pub liveness_run: (bool, u32),
}

fn current(c: &impl Api, p: PodId, epoch: u32) -> bool {
    let pod = c.store().pod(p);
    !pod.gone
        && pod.deletion.is_none()
        && pod.kubelet_epoch == epoch
        && pod.node.is_some_and(|n| c.store().node(n).kubelet_up)
}

fn node_of(c: &impl Api, p: PodId) -> Option<NodeId> {
    c.store().pod(p).node
}

/// The kubelet sees a pod bound to its node: the sandbox (its IP), then the init
/// containers in order, if any are left, else the app containers.
pub(crate) fn start_pod(c: &mut impl Api, p: PodId, epoch: u32) {
    let (Some(n), true) = (node_of(c, p), current(c, p, epoch)) else {
        return;
    };
    if c.store().pod(p).ip == 0 {
        assign_pod_ip(c, p, n);
    }
    let pod = c.store().pod(p);
    if pod.init_done < pod.init_total {
        init_container_pull(c, p, n, epoch);
    } else {
        pull_app_images(c, p, n, epoch);
    }
}

/// The current init container (`computeInitContainerActions`: strictly in spec order).
fn current_init_container(c: &impl Api, p: PodId) -> Option<Container> {
    let pod = c.store().pod(p);
    let rs = c.store().replica_set(pod.owner)?;
    rs.template
        .spec
        .init_containers
        .get(pod.init_done as usize)
        .cloned()
}

/// Pulls the current init container's image unless the node has it; it is created once
/// the image is there.
fn init_container_pull(c: &mut impl Api, p: PodId, n: NodeId, epoch: u32) {
    let Some(k) = current_init_container(c, p) else {
        return;
    };
    let now = c.now();
    let image = c.store_mut().intern_image(&k.image);
    let present = image_on_node(c, n, image);
    let done = match present {
        Some(t) if t <= now => {
            c.container_event(p, &k.name, EventType::Normal, "Pulled", |c| {
                let name = &c.store().images[image as usize];
                format!("Container image \"{name}\" already present on machine and can be accessed by the pod")
            });
            now
        }
        other => {
            c.container_event(p, &k.name, EventType::Normal, "Pulling", |_| {
                format!("Pulling image \"{}\"", k.image)
            });
            other.unwrap_or_else(|| {
                let t = now.plus_ms(pull_latency(c, n));
                c.store_mut().nodes[n.0 as usize].images.push((image, t));
                t
            })
        }
    };
    if done > now {
        c.store_mut().pods[p.0 as usize].times.pulling = Some(now);
    }
    c.schedule(done, Event::KubeletInitStep(p, epoch, 1));
}

/// The current init container moves on (`step`): its image is present, so it is created
/// and started after the start latency (`1`); it runs — a sidecar is left running and the
/// next init container starts, another runs its `sleep N` or its app's `runFor` (`2`); it
/// exited 0 and the next one, or the app containers, follow (`3`).
pub(crate) fn init_step(c: &mut impl Api, p: PodId, epoch: u32, step: u8) {
    let (Some(n), true) = (node_of(c, p), current(c, p, epoch)) else {
        return;
    };
    let Some(k) = current_init_container(c, p) else {
        return;
    };
    let now = c.now();
    match step {
        1 => {
            if let Some(since) = c.store().pod(p).times.pulling {
                c.container_event(p, &k.name, EventType::Normal, "Pulled", |_| {
                    let waited = go_duration(now.ms_since(since));
                    format!("Successfully pulled image \"{}\" in {waited} ({waited} including waiting). Image size: {} bytes.", k.image, image_size(&k.image))
                });
            }
            c.store_mut().pods[p.0 as usize].times.pulling = None;
            c.container_event(p, &k.name, EventType::Normal, "Created", |_| {
                "Container created".into()
            });
            let latency = c.timing().container_start;
            let d = latency.sample(&mut c.rngs().kubelets[n.0 as usize]);
            c.schedule(now.plus_ms(d), Event::KubeletInitStep(p, epoch, 2));
        }
        2 => {
            c.container_event(p, &k.name, EventType::Normal, "Started", |_| {
                "Container started".into()
            });
            let pod = &mut c.store_mut().pods[p.0 as usize];
            pod.init_runs.get_or_insert_default().push((now, None));
            c.pod_written(p);
            if k.is_sidecar() {
                let started = k.startup_probe.as_ref().map_or(0, |pr| pr.first_pass_ms(0));
                c.schedule(now.plus_ms(started), Event::KubeletInitStep(p, epoch, 3));
            } else {
                let run = init_run_ms(c, &k, n);
                c.schedule(now.plus_ms(run), Event::KubeletInitStep(p, epoch, 3));
            }
        }
        _ => init_container_done(c, p, n, epoch),
    }
}

/// How long a (non-sidecar) init container runs: its `sleep N`, else its image's `runFor`
/// from the scenario's `apps:`, else it exits at once.
fn init_run_ms(c: &mut impl Api, k: &Container, n: NodeId) -> u64 {
    if let Some(ms) = k.sleep_ms() {
        return ms;
    }
    let run_for = c
        .traffic()
        .and_then(|t| t.spec.apps.iter().find(|(image, _)| *image == k.image))
        .and_then(|(_, app)| app.run_for);
    run_for.map_or(0, |l| l.sample(&mut c.rngs().kubelets[n.0 as usize]))
}

/// The current init container exited 0 (or, a sidecar, started): the next one begins, or
/// the app containers once all are done (their status `PodInitializing` meanwhile).
fn init_container_done(c: &mut impl Api, p: PodId, n: NodeId, epoch: u32) {
    let now = c.now();
    let sidecar = current_init_container(c, p).is_some_and(|k| k.is_sidecar());
    let pod = &mut c.store_mut().pods[p.0 as usize];
    if let Some(run) = pod.init_runs.as_mut().and_then(|r| r.last_mut())
        && !sidecar
    {
        run.1 = Some(now);
    }
    pod.init_done += 1;
    let more = pod.init_done < pod.init_total;
    if !more {
        pod.container = ContainerState::Waiting("PodInitializing");
    }
    c.pod_written(p);
    if more {
        init_container_pull(c, p, n, epoch);
    } else {
        pull_app_images(c, p, n, epoch);
    }
}

/// Pulls each of the app containers' missing images (or waits for a pull already under
/// way), then moves on to creating the containers.
fn pull_app_images(c: &mut impl Api, p: PodId, n: NodeId, epoch: u32) {
    let owner = c.store().pod(p).owner;
    let Some(count) = c.store().replica_set(owner).map(|rs| rs.images.len()) else {
        return;
    };
    let now = c.now();
    if let Some(image) = failing_image(c, p) {
        pulling_event(c, p, image);
        let d = pull_latency(c, n);
        c.schedule(now.plus_ms(d), Event::KubeletPullFailed(p, epoch));
        return;
    }
    let mut ready_at = now;
    for i in 0..count {
        let Some(image) = c.store().replica_set(owner).map(|rs| rs.images[i]) else {
            break;
        };
        let present = image_on_node(c, n, image);
        let done = match present {
            Some(t) if t <= now => {
                already_present_event(c, p, image);
                t
            }
            Some(t) => {
                pulling_event(c, p, image);
                t
            }
            None => {
                pulling_event(c, p, image);
                let t = now.plus_ms(pull_latency(c, n));
                c.store_mut().nodes[n.0 as usize].images.push((image, t));
                t
            }
        };
        ready_at = ready_at.max(done);
    }
    // Only a pull started now is reported when the images are ready (a pod started again
    // after its node came back finds them on disk).
    c.store_mut().pods[p.0 as usize].times.pulling = (ready_at > now).then_some(now);
    c.schedule(ready_at, Event::KubeletImagesReady(p, epoch));
}

/// When `image` is (or will be, for a pull under way) on node `n`'s disk.
fn image_on_node(c: &impl Api, n: NodeId, image: u32) -> Option<SimTime> {
    c.store()
        .node(n)
        .images
        .iter()
        .find(|(i, _)| *i == image)
        .map(|(_, t)| *t)
}

/// The pod sandbox gets the next address of its node's pod CIDR (`10.244.<node>.0/24` as
/// flannel and kindnet hand them out), wrapping within the /24.
fn assign_pod_ip(c: &mut impl Api, p: PodId, n: NodeId) {
    let now = c.now();
    let node = &mut c.store_mut().nodes[n.0 as usize];
    let host = node.pod_ips_assigned % 253 + 2;
    node.pod_ips_assigned += 1;
    let octets = (10u32 << 24) | ((244 + n.0 / 256) << 16) | ((n.0 % 256) << 8) | host;
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.ip = octets;
    pod.times.kubelet_start = Some(now);
}

/// One image pull on node `n`, from its kubelet's stream (a failing pull takes as long).
fn pull_latency(c: &mut impl Api, n: NodeId) -> u64 {
    let pull = c.timing().image_pull;
    pull.sample(&mut c.rngs().kubelets[n.0 as usize])
}

/// The first of the pod's images whose pulls fail, if any.
fn failing_image(c: &impl Api, p: PodId) -> Option<u32> {
    let rs = c.store().replica_set(c.store().pod(p).owner)?;
    if !rs.fault.pull_fails {
        return None;
    }
    rs.images
        .iter()
        .copied()
        .find(|&i| c.faults().image(&c.store().images[i as usize]).pull_fails)
}

/// `docker.io/library/nginx:1.161` for `nginx:1.161`, as containerd names references.
fn full_reference(image: &str) -> String {
    let first = image.split('/').next().unwrap_or(image);
    let has_registry =
        image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let named = if has_registry {
        image.to_string()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    };
    if named
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':') || last.contains('@'))
    {
        named
    } else {
        format!("{named}:latest")
    }
}

fn pulling_event(c: &mut impl Api, p: PodId, image: u32) {
    let container = container_of_image(c, p, image);
    c.container_event(p, &container, EventType::Normal, "Pulling", |c| {
        format!("Pulling image \"{}\"", c.store().images[image as usize])
    });
}

/// The first of the pod's containers that runs `image` (the one its pull events are about).
fn container_of_image(c: &impl Api, p: PodId, image: u32) -> String {
    let name = &c.store().images[image as usize];
    c.store()
        .replica_set(c.store().pod(p).owner)
        .and_then(|rs| {
            rs.template
                .spec
                .containers
                .iter()
                .find(|k| &k.image == name)
                .map(|k| k.name.clone())
        })
        .unwrap_or_default()
}

/// Images are present: report the pulls, create the containers, and start them after the
/// start latency.
pub(crate) fn images_ready(c: &mut impl Api, p: PodId, epoch: u32) {
    let (Some(n), true) = (node_of(c, p), current(c, p, epoch)) else {
        return;
    };
    let now = c.now();
    if let (Some(since), true) = (c.store().pod(p).times.pulling, c.records_pod_events()) {
        let waited = now.ms_since(since);
        for image in pod_images(c, p) {
            let container = container_of_image(c, p, image);
            c.container_event(p, &container, EventType::Normal, "Pulled", |c| {
                let name = &c.store().images[image as usize];
                format!("Successfully pulled image \"{name}\" in {} ({} including waiting). Image size: {} bytes.", go_duration(waited), go_duration(waited), image_size(name))
            });
        }
    }
    create_containers(c, p, n, epoch);
}

/// Creates the pod's containers (`Created` events) and starts them after the start latency.
fn create_containers(c: &mut impl Api, p: PodId, n: NodeId, epoch: u32) {
    container_events(c, p, "Created", |_| "Container created".into());
    let latency = c.timing().container_start;
    let d = latency.sample(&mut c.rngs().kubelets[n.0 as usize]);
    let at = c.now().plus_ms(d);
    c.schedule(at, Event::KubeletContainerStarted(p, epoch));
}

/// One Normal kubelet event per container: `<prefix><container name>`.
/// One event per container of the pod, with the message for that container's name (the
/// kubelet's texts since 1.35: `Container created`, `Container started`).
fn container_events(
    c: &mut impl Api,
    p: PodId,
    reason: &'static str,
    message: impl Fn(&str) -> String,
) {
    if !c.records_pod_events() {
        return;
    }
    for name in container_names(c, p) {
        c.container_event(p, &name, EventType::Normal, reason, |_| message(&name));
    }
}

fn container_names(c: &impl Api, p: PodId) -> Vec<String> {
    c.store()
        .replica_set(c.store().pod(p).owner)
        .map(|rs| {
            rs.template
                .spec
                .containers
                .iter()
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Containers run: the pod is Running; Ready at once, or when its readiness probe first passes.
pub(crate) fn container_started(c: &mut impl Api, p: PodId, epoch: u32) {
    if !current(c, p, epoch) {
        return;
    }
    let now = c.now();
    container_events(c, p, "Started", |_| "Container started".into());
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.phase = PodPhase::Running;
    pod.container = ContainerState::Running(now);
    pod.times.started = Some(now);
    let listen_at = app_started(c, p);
    let Some(rs) = c.store().replica_set(c.store().pod(p).owner) else {
        return;
    };
    let fault = rs.fault;
    let listen_ms = listen_at.map_or(0, |l| l.ms_since(now));
    let (started_ms, ready_ms) = rs.template.started_and_ready_ms(listen_ms);
    // Readiness and liveness probes run from their initial delay, once the startup probe
    // (if any) has passed.
    let first_run = |pr: &crate::model::template::Probe| {
        now.plus_ms((pr.initial_delay_seconds.unwrap_or(0).max(0) as u64 * 1000).max(started_ms))
    };
    let readiness = probe_of(rs, READINESS).map(first_run);
    let liveness = probe_of(rs, LIVENESS).map(first_run);
    c.pod_written(p);
    schedule_exit(c, p, epoch, fault.exit_after_ms);
    if let (true, Some(at)) = (fault.liveness.can_fail(), liveness) {
        c.schedule(at, Event::KubeletProbe(p, epoch, LIVENESS));
    }
    // A readiness probe against a listening app reports through the prober (an event),
    // even when its first run passes at once.
    let probed = readiness.is_some() && listen_at.is_some();
    if let (true, Some(at)) = (fault.readiness.can_fail(), readiness) {
        c.schedule(at, Event::KubeletProbe(p, epoch, READINESS));
    } else if ready_ms == 0 && !probed {
        c.set_pod_ready(p);
    } else {
        c.schedule(now.plus_ms(ready_ms), Event::KubeletPodReady(p, epoch));
    }
}

/// The pod's app starts with its container (when traffic is modelled): returns when it
/// listens.
fn app_started(c: &mut impl Api, p: PodId) -> Option<SimTime> {
    let now = c.now();
    let pod = c.store().pod(p);
    let (ip, node, owner) = (pod.ip, pod.node?, pod.owner);
    let image = c
        .store()
        .replica_set(owner)?
        .template
        .spec
        .containers
        .first()?
        .image
        .clone();
    let t = c.traffic()?;
    Some(t.container_started(p, now, (ip, node, owner), &image))
}

/// When a readiness probe that passes once the app listens first marks the pod Ready: probes
/// run at start + initialDelaySeconds + k·periodSeconds; the first at or after `listen` is
/// the first success, and `successThreshold` successes in a row are needed.
pub fn ready_after_listening(
    start: SimTime,
    listen: SimTime,
    probe: &crate::model::template::Probe,
) -> SimTime {
    start.plus_ms(probe.first_pass_ms(listen.as_ms().saturating_sub(start.as_ms())))
}

fn probe_of(rs: &ReplicaSet, kind: u8) -> Option<&crate::model::template::Probe> {
    rs.template.spec.containers.iter().find_map(|k| {
        if kind == READINESS {
            k.readiness_probe.as_ref()
        } else {
            k.liveness_probe.as_ref()
        }
    })
}

/// Schedules the container's exit: the image's `exitAfter`, or a random crash drawn from the
/// crash rate (a rate of 0 draws nothing), whichever comes first.
fn schedule_exit(c: &mut impl Api, p: PodId, epoch: u32, exit_after_ms: Option<u64>) {
    let rate = c.faults().random.pod_crashes_per_hour;
    let random = (rate > 0.0).then(|| {
        let u: f64 = c.rngs().crashes.random();
        // Exponential inter-arrival time of a Poisson process, in milliseconds.
        (-(1.0 - u).ln() * 3_600_000.0 / rate).min(1e15) as u64
    });
    let exit = match (exit_after_ms, random) {
        (Some(a), Some(b)) if b < a => Some((b, EXIT_RANDOM)),
        (Some(a), _) => Some((a, EXIT_AFTER)),
        (None, b) => b.map(|b| (b, EXIT_RANDOM)),
    };
    if let Some((ms, cause)) = exit {
        let at = c.now().plus_ms(ms);
        c.schedule(at, Event::KubeletContainerExited(p, epoch, cause));
    }
}

/// The pull failed: `ErrImagePull`, and the back-off starts or grows.
pub(crate) fn pull_failed(c: &mut impl Api, p: PodId, epoch: u32) {
    if !current(c, p, epoch) {
        return;
    }
    let Some(image) = failing_image(c, p) else {
        return;
    };
    let now = c.now();
    c.store_mut().pods[p.0 as usize].container = ContainerState::Waiting("ErrImagePull");
    c.kubelet_pods_mut().entry(p).or_default().pull.next(now);
    let container = container_of_image(c, p, image);
    c.container_event(p, &container, EventType::Warning, "Failed", |c| {
        let name = &c.store().images[image as usize];
        let full = full_reference(name);
        format!(
            "Failed to pull image \"{name}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"
        )
    });
    c.container_event(p, &container, EventType::Warning, "Failed", |_| {
        "Error: ErrImagePull".to_string()
    });
    first_fault(c, p, "ErrImagePull", |c| {
        format!("pulls of \"{}\" fail", c.store().images[image as usize])
    });
    c.pod_written(p);
    c.schedule(
        now.plus_ms(FAILED_SYNC_DELAY_MS),
        Event::KubeletSyncFailed(p, epoch),
    );
}

/// Records the first fault of a kind in the pod's ReplicaSet (chart markers).
fn first_fault<C: Api>(c: &mut C, p: PodId, kind: &'static str, detail: impl FnOnce(&C) -> String) {
    let owner = c.store().pod(p).owner;
    let Some(rs) = c.store().replica_set(owner) else {
        return;
    };
    let object = format!("replicaset/{}", rs.meta.name);
    let seen = c
        .recorded_faults()
        .iter()
        .any(|f| f.kind == kind && f.object == object);
    if !seen {
        let detail = detail(c);
        c.fault(kind, object, detail);
    }
}

/// The kubelet syncs a pod whose container failed: inside the back-off it reports
/// `ImagePullBackOff` or `CrashLoopBackOff` and waits; otherwise it retries at once.
pub(crate) fn sync_failed(c: &mut impl Api, p: PodId, epoch: u32) {
    if !current(c, p, epoch) {
        return;
    }
    let now = c.now();
    let state = c.kubelet_pods().get(&p).copied().unwrap_or_default();
    match c.store().pod(p).container {
        ContainerState::Waiting("ErrImagePull") => {
            let Some(image) = failing_image(c, p) else {
                return;
            };
            let last = state.pull.last_update.unwrap_or(now);
            c.store_mut().pods[p.0 as usize].container =
                ContainerState::Waiting("ImagePullBackOff");
            let container = container_of_image(c, p, image);
            c.container_event(p, &container, EventType::Normal, "BackOff", |c| {
                format!(
                    "Back-off pulling image \"{}\"",
                    c.store().images[image as usize]
                )
            });
            c.container_event(p, &container, EventType::Warning, "Failed", |_| {
                "Error: ImagePullBackOff".to_string()
            });
            c.pod_written(p);
            let at = last.plus_ms(state.pull.delay_ms).max(now);
            c.schedule(at, Event::KubeletStartPod(p, epoch));
        }
        ContainerState::Terminated(_) => {
            let finished = c.store().pod(p).times.last_terminated.unwrap_or(now);
            if state.crash.in_backoff_since(finished, now) {
                c.store_mut().pods[p.0 as usize].container =
                    ContainerState::Waiting("CrashLoopBackOff");
                if c.records_pod_events() {
                    let names = container_names(c, p);
                    let pod = c.store().pod(p);
                    let uid = ObjectMeta {
                        uid: pod.uid,
                        ..Default::default()
                    }
                    .uid_string();
                    let pod_name = c.store().pod_name(pod);
                    let ns = c.store().pod_namespace(pod).to_string();
                    for name in names {
                        c.container_event(p, &name, EventType::Warning, "BackOff", |_| {
                            format!("Back-off restarting failed container {name} in pod {pod_name}_{ns}({uid})")
                        });
                    }
                }
                first_fault(c, p, "CrashLoopBackOff", |_| {
                    "containers keep exiting".to_string()
                });
                c.pod_written(p);
                let at = finished.plus_ms(state.crash.delay_ms);
                c.schedule(at, Event::KubeletRetry(p, epoch));
            } else {
                restart_container(c, p, finished);
            }
        }
        _ => {}
    }
}

/// The restart back-off ended: start the container again.
pub(crate) fn retry(c: &mut impl Api, p: PodId, epoch: u32) {
    if !current(c, p, epoch) {
        return;
    }
    let finished = c.store().pod(p).times.last_terminated.unwrap_or(c.now());
    restart_container(c, p, finished);
}

/// `Backoff.Next` for the exit, then a new container: created now, started after the
/// start latency (the image is already on the node).
fn restart_container(c: &mut impl Api, p: PodId, finished: SimTime) {
    let Some(n) = node_of(c, p) else {
        return;
    };
    c.kubelet_pods_mut()
        .entry(p)
        .or_default()
        .crash
        .next(finished);
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.kubelet_epoch += 1;
    let epoch = pod.kubelet_epoch;
    pod.container = ContainerState::Waiting("ContainerCreating");
    for image in pod_images(c, p) {
        already_present_event(c, p, image);
    }
    create_containers(c, p, n, epoch);
}

/// The interned images of the pod's containers.
fn pod_images(c: &impl Api, p: PodId) -> Vec<u32> {
    c.store()
        .replica_set(c.store().pod(p).owner)
        .map(|rs| rs.images.clone())
        .unwrap_or_default()
}

fn already_present_event(c: &mut impl Api, p: PodId, image: u32) {
    let container = container_of_image(c, p, image);
    c.container_event(p, &container, EventType::Normal, "Pulled", |c| {
        format!(
            "Container image \"{}\" already present on machine and can be accessed by the pod",
            c.store().images[image as usize]
        )
    });
}

/// The container exited with an error: the pod is not Ready, the restart count grows, and
/// the kubelet syncs it at its next relist.
pub(crate) fn container_exited(c: &mut impl Api, p: PodId, epoch: u32, cause: u8) {
    if !current(c, p, epoch) {
        return;
    }
    let now = c.now();
    let random = cause == EXIT_RANDOM;
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.kubelet_epoch += 1;
    let epoch = pod.kubelet_epoch;
    if let ContainerState::Running(since) = pod.container {
        pod.times.last_run_started = Some(since);
    }
    pod.container = ContainerState::Terminated("Error");
    pod.restarts += 1;
    pod.times.last_terminated = Some(now);
    if let Some(t) = c.traffic() {
        t.exit(p, now, crate::model::traffic::Outcome::Reset);
    }
    if random {
        let name = format!("pod/{}", c.store().pod_name_of(p));
        c.fault("RandomCrash", name, "the container crashed".to_string());
    }
    if c.store().pod(p).ready {
        c.set_pod_unready(p);
    } else {
        c.pod_written(p);
    }
    c.schedule(
        now.plus_ms(FAILED_SYNC_DELAY_MS),
        Event::KubeletSyncFailed(p, epoch),
    );
}

/// One probe run under a probe fault; thresholds as the prober worker counts them.
pub(crate) fn probe(c: &mut impl Api, p: PodId, epoch: u32, kind: u8) {
    if !current(c, p, epoch) {
        return;
    }
    let Some(rs) = c.store().replica_set(c.store().pod(p).owner) else {
        return;
    };
    let Some(spec) = probe_of(rs, kind).cloned() else {
        return;
    };
    let fault = if kind == READINESS {
        rs.fault.readiness
    } else {
        rs.fault.liveness
    };
    let passed = match fault {
        ProbeFault::Pass => true,
        ProbeFault::Never => false,
        ProbeFault::FailProbability(q) => c.rngs().probes.random::<f64>() >= q,
    };
    let run_length = count_probe_result(c, p, kind, passed);
    let next = c
        .now()
        .plus_secs(spec.period_seconds.unwrap_or(10).max(1) as u64);
    if !passed {
        record_probe_failure(c, p, kind, &spec);
    }
    let failed_enough = !passed && run_length >= spec.failure_threshold.unwrap_or(3).max(1) as u32;
    if kind == READINESS {
        let ready = c.store().pod(p).ready;
        if passed && !ready && run_length >= spec.success_threshold.unwrap_or(1).max(1) as u32 {
            c.set_pod_ready(p);
        } else if failed_enough && ready {
            c.set_pod_unready(p);
        }
    } else if failed_enough {
        kill_for_liveness(c, p, epoch);
        return;
    }
    c.schedule(next, Event::KubeletProbe(p, epoch, kind));
}

/// The worker's run of equal results (`resultRun`): one more if the result repeats, else
/// a new run of one; its length.
fn count_probe_result(c: &mut impl Api, p: PodId, kind: u8, passed: bool) -> u32 {
    let state = c.kubelet_pods_mut().entry(p).or_default();
    let run = if kind == READINESS {
        &mut state.readiness_run
    } else {
        &mut state.liveness_run
    };
    *run = if run.0 == passed && run.1 > 0 {
        (passed, run.1 + 1)
    } else {
        (passed, 1)
    };
    run.1
}

/// `Unhealthy` with the handler's failure text (and the first readiness failure marked).
fn record_probe_failure(
    c: &mut impl Api,
    p: PodId,
    kind: u8,
    spec: &crate::model::template::Probe,
) {
    let label = if kind == READINESS {
        "Readiness"
    } else {
        "Liveness"
    };
    let why = probe_failure_text(c, p, spec);
    let container = container_names(c, p).into_iter().next().unwrap_or_default();
    c.container_event(p, &container, EventType::Warning, "Unhealthy", |_| {
        format!("{label} probe failed: {why}")
    });
    if kind == READINESS {
        first_fault(c, p, "Unhealthy", |_| "readiness probes fail".to_string());
    }
}

/// The liveness probe failed `failureThreshold` times: the container is killed and
/// restarted (with the restart back-off).
fn kill_for_liveness(c: &mut impl Api, p: PodId, epoch: u32) {
    c.kubelet_pods_mut().entry(p).or_default().liveness_run = (true, 0);
    for name in container_names(c, p) {
        c.container_event(p, &name, EventType::Normal, "Killing", |_| {
            format!("Container {name} failed liveness probe, will be restarted")
        });
    }
    let Some(n) = node_of(c, p) else {
        return;
    };
    let latency = c.timing().stop;
    let d = latency.sample(&mut c.rngs().kubelets[n.0 as usize]);
    let at = c.now().plus_ms(d);
    c.schedule(at, Event::KubeletContainerExited(p, epoch, EXIT_LIVENESS));
}

/// What a failing probe reports, by handler (HTTP 503, refused TCP, failing command).
fn probe_failure_text(c: &impl Api, p: PodId, spec: &crate::model::template::Probe) -> String {
    let ip = c.store().pod(p).ip_text().unwrap_or_default();
    let port = |v: &Option<serde_yaml::Value>| {
        v.as_ref()
            .and_then(|h| h.get("port"))
            .map(|port| match port {
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::String(s) => s.clone(),
                _ => String::new(),
            })
            .unwrap_or_default()
    };
    if spec.http_get.is_some() {
        "HTTP probe failed with statuscode: 503".to_string()
    } else if spec.tcp_socket.is_some() {
        format!(
            "dial tcp {ip}:{}: connect: connection refused",
            port(&spec.tcp_socket)
        )
    } else if spec.grpc.is_some() {
        "service unhealthy (responded with \"NOT_SERVING\")".to_string()
    } else {
        "command exited with non-zero status 1".to_string()
    }
}

/// The machine under the kubelet came back: pods whose deletion was requested while it was
/// down finish terminating (their containers are long gone); the others get new containers.
pub(crate) fn node_restarted(c: &mut impl Api, n: NodeId) {
    let now = c.now();
    let on_node = c.store().pods_on_node(n);
    for p in on_node {
        let at = now.plus_ms(c.reaction_ms());
        let pod = &mut c.store_mut().pods[p.0 as usize];
        pod.kubelet_epoch += 1;
        let epoch = pod.kubelet_epoch;
        if pod.deletion.is_some() {
            c.schedule(at, Event::KubeletPodStopped(p, epoch));
            continue;
        }
        if let ContainerState::Running(since) = pod.container {
            pod.restarts += 1;
            pod.times.last_terminated = Some(now);
            pod.times.last_run_started = Some(since);
        }
        pod.container = ContainerState::Waiting("ContainerCreating");
        pod.marked_not_ready = false;
        if c.store().pod(p).ready {
            c.set_pod_unready(p);
        } else {
            c.pod_written(p);
        }
        c.schedule(at, Event::KubeletStartPod(p, epoch));
    }
}

/// The readiness probe passed.
pub(crate) fn pod_ready(c: &mut impl Api, p: PodId, epoch: u32) {
    if current(c, p, epoch) {
        c.set_pod_ready(p);
    }
}

/// The kubelet sees the pod's deletion (`killPod`): each container's preStop hook runs, cut
/// at the grace period; then the stop signal, and SIGKILL once the rest of the grace period
/// (whole seconds, at least 2) has passed. A pod whose containers never started goes at
/// once.
pub(crate) fn kill_pod(c: &mut impl Api, p: PodId) {
    let pod = c.store().pod(p);
    let (Some(n), false) = (pod.node, pod.gone) else {
        return;
    };
    if !c.store().node(n).kubelet_up {
        // Nobody stops the containers: the pod stays Terminating until the node is back.
        return;
    }
    let running = matches!(pod.container, ContainerState::Running(_));
    let template = c
        .store()
        .replica_set(pod.owner)
        .map(|rs| rs.template.clone());
    let grace_s = template
        .as_ref()
        .and_then(|t| t.spec.termination_grace_period_seconds)
        .unwrap_or(30)
        .max(0) as u64;
    let pre_stop_ms = template.as_ref().and_then(|t| {
        t.spec
            .containers
            .iter()
            .filter_map(crate::model::template::pre_stop_ms)
            .max()
    });
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.kubelet_epoch += 1;
    let epoch = pod.kubelet_epoch;
    let now = c.now();
    if !running {
        c.schedule(now, Event::KubeletPodStopped(p, epoch));
        return;
    }
    container_events(c, p, "Killing", |name| format!("Stopping container {name}"));
    // Drawn whatever follows, so the node's stream stays aligned with a run without traffic.
    let latency = c.timing().stop;
    let stop_ms = latency.sample(&mut c.rngs().kubelets[n.0 as usize]);
    let (hook_ms, kill_after_ms) = grace_after_pre_stop(grace_s, pre_stop_ms);
    let signal_at = now.plus_ms(hook_ms);
    if let Some(t) = c.traffic() {
        t.set_teardown(p, stop_ms);
        c.schedule(signal_at, Event::KubeletStopSignal(p, epoch));
        c.schedule(
            signal_at.plus_ms(kill_after_ms),
            Event::KubeletPodStopped(p, epoch),
        );
    } else if pre_stop_ms.is_none() {
        c.schedule(
            now.plus_ms(stop_ms.min(grace_s * 1000)),
            Event::KubeletPodStopped(p, epoch),
        );
    } else {
        c.schedule(
            signal_at.plus_ms(stop_ms.min(kill_after_ms)),
            Event::KubeletPodStopped(p, epoch),
        );
    }
}

/// `killContainer`'s grace accounting: the preStop hook runs at most the grace period; its
/// time in whole seconds (truncated) comes off the grace period, and what is left — at
/// least `minimumGracePeriodInSeconds`, 2 — runs from the stop signal to SIGKILL. Returns
/// `(hook ms, signal → SIGKILL ms)`.
pub fn grace_after_pre_stop(grace_s: u64, pre_stop_ms: Option<u64>) -> (u64, u64) {
    let Some(hook) = pre_stop_ms else {
        return (0, grace_s.max(2) * 1000);
    };
    let hook = if grace_s == 0 {
        0
    } else {
        hook.min(grace_s * 1000)
    };
    let left = grace_s.saturating_sub(hook / 1000).max(2);
    (hook, left * 1000)
}

/// The stop signal reaches the app: if it exits at once the containers are stopped now;
/// otherwise its own exit or the SIGKILL already queued stops them.
pub(crate) fn stop_signal(c: &mut impl Api, p: PodId, epoch: u32) {
    let now = c.now();
    if c.store().pod(p).kubelet_epoch != epoch || c.store().pod(p).gone {
        return;
    }
    let exited = c.traffic().is_none_or(|t| t.stop_signal(p, now));
    c.flush_traffic();
    if exited {
        containers_stopped(c, p, epoch, "Completed");
    }
}

/// The app exited by itself after its graceful stop: its container has stopped.
pub(crate) fn app_exited(c: &mut impl Api, p: PodId) {
    let pod = c.store().pod(p);
    if pod.deletion.is_some() && !pod.gone {
        let epoch = pod.kubelet_epoch;
        containers_stopped(c, p, epoch, "Completed");
    }
}

/// With traffic modelled: the containers have stopped (the app exited, `Completed`, or
/// SIGKILL, `Error`): what it still held is cut, the pod is no longer Ready, and the kubelet
/// tears the sandbox down and confirms the deletion after the `stop` latency drawn when
/// the kill began.
fn containers_stopped(c: &mut impl Api, p: PodId, epoch: u32, reason: &'static str) {
    let now = c.now();
    if c.store().pod(p).gone || c.store().pod(p).kubelet_epoch != epoch {
        return;
    }
    let Some(t) = c.traffic() else {
        return;
    };
    t.exit(p, now, crate::model::traffic::Outcome::Reset);
    let teardown = t.teardown_ms(p);
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.kubelet_epoch += 1;
    let removed = pod.kubelet_epoch;
    pod.container = ContainerState::Terminated(reason);
    if c.store().pod(p).ready {
        c.set_pod_unready(p);
    }
    c.schedule(now.plus_ms(teardown), Event::KubeletPodStopped(p, removed));
    c.flush_traffic();
}

/// Containers exited: the kubelet writes the pod's terminal status and confirms the
/// deletion, and the pod is gone. (With traffic modelled this first stops the containers —
/// it is the SIGKILL — and the pod goes after the teardown.)
pub(crate) fn pod_stopped(c: &mut impl Api, p: PodId, epoch: u32) {
    let pod = c.store().pod(p);
    if pod.gone || pod.kubelet_epoch != epoch {
        return;
    }
    if c.models_traffic() && !matches!(pod.container, ContainerState::Terminated(_)) {
        return containers_stopped(c, p, epoch, "Error");
    }
    let pod = &mut c.store_mut().pods[p.0 as usize];
    pod.phase = terminal_phase(pod.phase, pod.container);
    if matches!(pod.container, ContainerState::Running(_)) {
        pod.container = ContainerState::Terminated("Completed");
    }
    pod.ready = false;
    c.pod_gone(p);
}

/// The phase the kubelet gives a deleted pod once its containers are stopped (since
/// v1.27 it never leaves one `Running`): `Succeeded` when they exited 0, `Failed` when one
/// was killed; a pod whose containers never ran keeps its phase.
fn terminal_phase(phase: PodPhase, container: ContainerState) -> PodPhase {
    match container {
        ContainerState::Running(_) | ContainerState::Terminated("Completed") => PodPhase::Succeeded,
        ContainerState::Terminated(_) => PodPhase::Failed,
        ContainerState::Waiting(_) => phase,
    }
}

/// Formats milliseconds like Go's `time.Duration.String` (`1.234s`, `2m3.5s`, `500ms`).
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s_ms) = (ms / 3_600_000, (ms / 60_000) % 60, ms % 60_000);
    let secs = if s_ms % 1000 == 0 {
        format!("{}s", s_ms / 1000)
    } else {
        format!(
            "{}s",
            trim_zeros(&format!("{}.{:03}", s_ms / 1000, s_ms % 1000))
        )
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

fn trim_zeros(s: &str) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A plausible, stable image size derived from the name (the simulator has no registry).
fn image_size(name: &str) -> u64 {
    let h = crate::sim::fnv1a64(name.as_bytes());
    10_000_000 + h % 50_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_10s_to_a_5_minute_cap_and_expires_after_10_minutes() {
        // flowcontrol's TestSlowBackoff / TestBackoffReset, with the kubelet's 10 s and 5 min.
        let t = SimTime::from_ms;
        let mut b = Backoff::default();
        assert!(!b.in_backoff_since(t(0), t(0)), "no entry: not in back-off");
        let mut delays = Vec::new();
        let mut now = 0;
        for _ in 0..8 {
            b.next(t(now));
            delays.push(b.delay_ms / 1000);
            now += b.delay_ms;
        }
        assert_eq!(delays, [10, 20, 40, 80, 160, 300, 300, 300]);
        let last = b.last_update.expect("updated");
        assert!(b.in_backoff_since(last, last.plus_ms(299_999)));
        assert!(!b.in_backoff_since(last, last.plus_ms(300_000)));
        // Untouched for more than twice the cap: forgotten, and the next delay is 10 s again.
        let later = last.plus_ms(600_001);
        assert!(!b.in_backoff_since(later, later));
        b.next(later);
        assert_eq!(b.delay_ms, 10_000);
    }

    #[test]
    fn a_deleted_pods_phase_turns_terminal_by_how_its_containers_ended() {
        let running = ContainerState::Running(SimTime::from_secs(1));
        for (container, want) in [
            (running, PodPhase::Succeeded),
            (ContainerState::Terminated("Completed"), PodPhase::Succeeded),
            (ContainerState::Terminated("Error"), PodPhase::Failed),
            (
                ContainerState::Waiting("ContainerCreating"),
                PodPhase::Running,
            ),
        ] {
            assert_eq!(
                terminal_phase(PodPhase::Running, container),
                want,
                "{container:?}"
            );
        }
    }

    /// The reference's worked numbers of `killContainer`'s grace accounting.
    #[test]
    fn pre_stop_time_comes_off_the_grace_period_with_a_2s_floor() {
        assert_eq!(grace_after_pre_stop(30, None), (0, 30_000));
        assert_eq!(grace_after_pre_stop(30, Some(10_000)), (10_000, 20_000));
        assert_eq!(grace_after_pre_stop(30, Some(10_900)), (10_900, 20_000));
        assert_eq!(grace_after_pre_stop(30, Some(35_000)), (30_000, 2_000));
        assert_eq!(grace_after_pre_stop(1, None), (0, 2_000));
    }

    #[test]
    fn a_readiness_probe_passes_at_its_first_run_after_the_app_listens() {
        let probe = crate::model::template::Probe {
            initial_delay_seconds: Some(0),
            period_seconds: Some(2),
            success_threshold: Some(1),
            ..Default::default()
        };
        let t = SimTime::from_ms;
        assert_eq!(ready_after_listening(t(1_000), t(1_050), &probe), t(3_000));
        assert_eq!(ready_after_listening(t(1_000), t(1_000), &probe), t(1_000));
        assert_eq!(
            ready_after_listening(t(1_000), t(11_000), &probe),
            t(11_000)
        );
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(500), "500ms");
        assert_eq!(go_duration(2345), "2.345s");
        assert_eq!(go_duration(2000), "2s");
        assert_eq!(go_duration(2500), "2.5s");
        assert_eq!(go_duration(63_500), "1m3.5s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
    }
}
