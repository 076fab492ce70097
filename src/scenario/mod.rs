//! Scenario files: a cluster, its latencies, inline manifests and a script of kubectl
//! commands on the virtual clock. Parsing is strict (unknown fields are errors) and every
//! error names the file, the line and the field or command; nothing is run until the whole
//! file — including every manifest a step applies — has been checked.

pub mod command;
pub mod duration;
mod raw;
mod traffic;

pub use command::{Command, GetCommand, Kind, Kubectl, Scope};

use crate::cluster::{NodeSpec, Timing};
use crate::model::manifest::{Manifest, parse_manifests};
use crate::model::quantity::{parse_cpu_millis, parse_memory_bytes};
use crate::model::{Faults, ImageFault, NodeChange, NodeFault, RandomFaults};
use crate::sim::{Latency, SimTime};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Most nodes a scenario may declare (Kubernetes' own limit).
pub const MAX_NODES: u64 = 5_000;

/// A scenario that cannot be run: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file at fault (the scenario, or a manifest it names).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, naming the field or command.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// One script step, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Line in the scenario file.
    pub line: usize,
    /// Virtual time to wait for before running.
    pub at: Option<SimTime>,
    /// The command as written.
    pub text: String,
    #[allow(missing_docs)]
    pub command: Command,
    /// `expect: failure`: the step is meant to fail.
    pub expect_failure: bool,
    /// `timeout:` of a watch (`kubectl get -w`): how long it watches before the user stops
    /// it (Ctrl-C), in ms.
    pub timeout_ms: Option<u64>,
}

/// A checked scenario, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// `[a-z0-9][a-z0-9-]*`: names the output folder.
    pub name: String,
    #[allow(missing_docs)]
    pub description: String,
    /// Seed of every random stream (`--seed` overrides).
    pub seed: u64,
    /// Nodes, in order.
    pub nodes: Vec<NodeSpec>,
    #[allow(missing_docs)]
    pub timing: Timing,
    /// Hard stop of virtual time.
    pub until: SimTime,
    #[allow(missing_docs)]
    pub steps: Vec<Step>,
    /// Every manifest a step names with `-f`, parsed, by the name the step uses.
    pub manifests: BTreeMap<String, Vec<Manifest>>,
    /// Injected failures (none without a `faults` section).
    pub faults: Faults,
    /// Apps, clients, and whether traffic is modelled at all.
    pub traffic: crate::model::traffic::TrafficSpec,
    /// Latencies of the EndpointSlice controller and kube-proxy.
    pub traffic_timing: crate::controllers::traffic::TrafficTiming,
}

/// Defaults, in one place (the README's scenario reference lists the same values).
pub mod defaults {
    /// Seed when the file sets none.
    pub const SEED: u64 = 1;
    /// Virtual-time limit when the file sets none: 24 h.
    pub const UNTIL_MS: u64 = 24 * 3_600_000;
    /// Node group name when the file declares no nodes.
    pub const NODE_NAME: &str = "node";
    /// Nodes when the file declares none.
    pub const NODE_COUNT: u32 = 3;
    /// Allocatable CPU of a node.
    pub const NODE_CPU: &str = "4";
    /// Allocatable memory of a node.
    pub const NODE_MEMORY: &str = "8Gi";
    /// Pod capacity of a node (the kubelet's default `maxPods`).
    pub const NODE_PODS: u32 = 110;
}

/// Reads and checks a scenario file. `max_pods` bounds every replica count it asks for.
pub fn load(path: &Path, max_pods: usize) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let bytes = read_input_file(path).map_err(|e| ScenarioError {
        file: shown.clone(),
        line: None,
        column: None,
        message: format!("cannot read the scenario: {e}"),
    })?;
    let text = utf8_text(bytes, &shown)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &shown, &Files::Dir(&dir), max_pods)
}

/// Largest scenario or manifest file rollsim reads: a few hundred times the largest shipped
/// scenario, and far below anything that could strain memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of YAML collections a scenario or manifest may have (Kubernetes objects
/// need about ten levels); checked before the parser sees the text.
pub const MAX_YAML_DEPTH: usize = 64;

/// Reads a scenario or manifest: a regular file (not a directory, device or pipe) of at
/// most [`MAX_FILE_BYTES`].
pub fn read_input_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("it is a directory, not a file".into());
    }
    if !meta.is_file() {
        return Err("it is not a regular file (a device, pipe or socket)".into());
    }
    let too_big = || format!("it is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024));
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        // It grew while being read.
        return Err(too_big());
    }
    Ok(bytes)
}

/// A file's bytes as text (a leading UTF-8 byte-order mark dropped, as kubectl does), or an
/// error naming the file.
fn utf8_text(mut bytes: Vec<u8>, shown: &str) -> Result<String, ScenarioError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|_| ScenarioError {
        file: shown.to_string(),
        line: None,
        column: None,
        message: "the file is not UTF-8 text (is it binary?)".into(),
    })
}

/// The deepest collection nesting in YAML text, counted cheaply and generously: flow
/// brackets (outside quotes and comments) plus the block sequence dashes and mapping keys
/// that open on one line, plus indentation levels. Linear in the text, so a hostile file is
/// refused before the parser spends time on it.
pub fn yaml_nesting(text: &str) -> usize {
    let mut deepest = 0;
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        while indents.last().is_some_and(|&i| i >= indent) {
            indents.pop();
        }
        indents.push(indent);
        let mut opened_here = 0usize;
        let mut rest = body;
        while let Some(r) = rest
            .strip_prefix("- ")
            .or_else(|| rest.strip_prefix('-').filter(|r| r.is_empty()))
        {
            opened_here += 1;
            rest = r.trim_start_matches(' ');
        }
        // A quote opens a quoted scalar only at the start of a token, and `#` starts a
        // comment only after a space: inside a plain scalar both are ordinary characters.
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for ch in rest.chars() {
            let token_start = matches!(prev, ' ' | '[' | '{' | ',' | ':');
            prev = ch;
            match (quote, ch) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') if token_start => quote = Some(ch),
                (None, '#') if token_start => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                (None, ':') => opened_here += 1,
                _ => {}
            }
            deepest = deepest.max(indents.len() + opened_here + flow);
        }
        deepest = deepest.max(indents.len() + opened_here + flow);
    }
    deepest
}

/// Where `-f` files not given inline under `files:` come from.
#[derive(Debug, Clone, Copy)]
pub enum Files<'a> {
    /// Beside the scenario file.
    Dir(&'a Path),
    /// Built into the binary (the built-in lesson), by name.
    Embedded(&'a [(&'a str, &'a str)]),
}

/// Checks scenario text (`file` names it in errors).
pub fn parse(
    text: &str,
    file: &str,
    files: &Files,
    max_pods: usize,
) -> Result<Scenario, ScenarioError> {
    let err = |line: Option<usize>, message: String| ScenarioError {
        file: file.to_string(),
        line,
        column: None,
        message,
    };
    let raw = decode(text, file, &err)?;
    let line_of = |needle: &str| find_line(text, needle);

    check_name(&raw.name).map_err(|m| err(line_of("name:"), m))?;
    let nodes = nodes(&raw.cluster, &|m| err(line_of("nodes:"), m))?;
    let timing = timing(&raw.timing, &|field, m| {
        err(
            line_of(&format!("{field}:")),
            format!("timing.{field}: {m}"),
        )
    })?;

    check_file_names(&raw.files, &|name, m| err(line_of(name), m))?;

    let (steps, manifests) = script(
        &raw.script,
        &Sources {
            inline: &raw.files,
            files,
            file,
            text,
        },
        max_pods,
        &err,
    )?;
    if steps.is_empty() {
        return Err(err(
            line_of("script:"),
            "script: needs at least one step".into(),
        ));
    }
    let node_names: std::collections::BTreeSet<&str> =
        nodes.iter().map(|n| n.name.as_str()).collect();
    let field_err = |field: &str, m: String| err(line_of(field), m);
    let traffic_timing = traffic::traffic_timing(&raw.timing, &|field, m| {
        err(line_of(&format!("{field}:")), m)
    })?;
    let traffic = traffic::traffic_spec(&raw.apps, &raw.traffic, &steps, &node_names, &field_err)?;
    let faults = faults(raw.faults, &nodes, text, &err)?;
    Ok(Scenario {
        traffic,
        traffic_timing,
        name: raw.name,
        description: raw.description,
        seed: raw.seed.unwrap_or(defaults::SEED),
        nodes,
        timing,
        until: SimTime::from_ms(raw.until.unwrap_or(defaults::UNTIL_MS)),
        steps,
        manifests,
        faults,
    })
}

/// The scenario's `name`, which names its output folder.
fn check_name(name: &str) -> Result<(), String> {
    if valid_name(name) {
        return Ok(());
    }
    Err(format!(
        "name: \"{name}\" must match [a-z0-9][a-z0-9-]* (at most 63 characters): it names the output folder"
    ))
}

/// The file's text decoded strictly: not binary, not empty, nested at most
/// [`MAX_YAML_DEPTH`] deep, every field known (serde's error at its line and column).
fn decode(
    text: &str,
    file: &str,
    err: &dyn Fn(Option<usize>, String) -> ScenarioError,
) -> Result<raw::RawScenario, ScenarioError> {
    if text.contains('\0') {
        return Err(err(None, "the file is binary, not YAML".into()));
    }
    if text.trim().is_empty() {
        return Err(err(
            None,
            "the file is empty; a scenario needs `name` and `script`".into(),
        ));
    }
    check_nesting(text).map_err(|m| err(None, m))?;
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        let msg = crate::model::manifest::yaml_message(&e, 0);
        ScenarioError {
            file: file.to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.map(|l| l.column()),
            message: msg,
        }
    })
}

/// `files:` keys must be plain file names (no folders, nothing hidden).
fn check_file_names(
    inline: &BTreeMap<String, String>,
    err: &dyn Fn(&str, String) -> ScenarioError,
) -> Result<(), ScenarioError> {
    for name in inline.keys() {
        if name.is_empty() || name.contains('/') || name.contains('\\') || name.starts_with('.') {
            return Err(err(
                name,
                format!("files: \"{name}\" must be a plain file name"),
            ));
        }
    }
    Ok(())
}

/// Each manifest file a script names, parsed.
type Manifests = BTreeMap<String, Vec<Manifest>>;

/// Where a scenario's manifests come from: its `files:`, the files beside it (or built
/// in), and its own text (for line numbers).
struct Sources<'a> {
    inline: &'a BTreeMap<String, String>,
    files: &'a Files<'a>,
    file: &'a str,
    text: &'a str,
}

/// A foreground watch runs until it is stopped, so it needs a step `timeout:`; no other
/// step takes one (kubectl's own `--timeout` flags do that job).
fn check_step_timeout(command: &Command, timeout: Option<u64>) -> Result<(), String> {
    let watch = matches!(
        command,
        Command::Kubectl(Kubectl::Get(g), _) if g.watch && !g.background
    );
    match (watch, timeout) {
        (true, None) => Err(
            "a watch runs until it is stopped: give the step a `timeout:` ({run: kubectl get pods -w, timeout: 30s}, as a user pressing Ctrl-C after 30 s), or end it with ` &` to watch in the background"
                .into(),
        ),
        (true, Some(0)) => Err("timeout: must be more than 0s".into()),
        (true, Some(t)) if t > MAX_STEP_TIMEOUT_MS => {
            Err("timeout: at most 24h".into())
        }
        (false, Some(_)) => Err(
            "`timeout:` stops a watch (`kubectl get … -w`); other commands take kubectl's own --timeout"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The longest a watch step may run.
const MAX_STEP_TIMEOUT_MS: u64 = 86_400_000;

/// The `script:` steps, each parsed as a command, with every manifest file they apply or
/// delete loaded and checked.
fn script(
    raw_steps: &[raw::RawStep],
    src: &Sources,
    max_pods: usize,
    err: &dyn Fn(Option<usize>, String) -> ScenarioError,
) -> Result<(Vec<Step>, Manifests), ScenarioError> {
    let mut steps = Vec::new();
    let mut manifests = BTreeMap::new();
    let mut step_lines = StepLines::new(src.text);
    for (i, step) in raw_steps.iter().enumerate() {
        let line = step_lines.next(&step.run).unwrap_or(0);
        let at_line = (line > 0).then_some(line);
        let command = command::parse_command(&step.run)
            .map_err(|m| err(at_line, format!("script[{i}]: `{}`: {m}", step.run)))?;
        if let Command::Kubectl(
            Kubectl::Apply { files: names } | Kubectl::DeleteFiles { files: names },
            _,
        ) = &command
        {
            for name in names {
                if manifests.contains_key(name) {
                    continue;
                }
                let parsed =
                    load_manifest(name, src.inline, src.files, src.file, src.text, at_line)?;
                check_replicas(&parsed, name, max_pods, err)?;
                manifests.insert(name.clone(), parsed);
            }
        }
        if let Command::Kubectl(Kubectl::Scale { replicas, .. }, _) = &command
            && *replicas as i64 > max_pods as i64
        {
            return Err(err(
                at_line,
                format!(
                    "script[{i}]: --replicas={replicas} exceeds the pod limit of {max_pods} (--max-pods)"
                ),
            ));
        }
        check_step_timeout(&command, step.timeout)
            .map_err(|m| err(at_line, format!("script[{i}]: `{}`: {m}", step.run)))?;
        steps.push(Step {
            line,
            at: step.at.map(SimTime::from_ms),
            text: step.run.clone(),
            command,
            expect_failure: step.expect_failure,
            timeout_ms: step.timeout,
        });
    }
    Ok((steps, manifests))
}

/// Checks the `faults` section: known nodes, sensible times and rates.
fn faults(
    raw: raw::RawFaults,
    nodes: &[NodeSpec],
    text: &str,
    err: &dyn Fn(Option<usize>, String) -> ScenarioError,
) -> Result<Faults, ScenarioError> {
    let faults_line = find_line(text, "faults:").unwrap_or(0);
    let line_in_faults = |needle: &str| find_line_from(text, needle, faults_line);
    let at = |needle: &str, message: String| err(line_in_faults(needle), message);
    let images = image_faults(raw.images, &at)?;
    let node_faults = node_faults(raw.nodes, nodes, &at)?;
    let base = RandomFaults::default();
    let random = RandomFaults {
        pod_crashes_per_hour: raw.random.pod_crashes_per_hour.unwrap_or(0.0),
        node_failures_per_day: raw.random.node_failures_per_day.unwrap_or(0.0),
        node_recovery: raw.random.node_recovery.unwrap_or(base.node_recovery),
    };
    random
        .node_recovery
        .validate()
        .map_err(|e| e.to_string())
        .and_then(|()| check_recovery(random.node_recovery))
        .map_err(|e| at("nodeRecovery:", format!("faults.random.nodeRecovery: {e}")))?;
    Ok(Faults {
        images,
        nodes: node_faults,
        random,
    })
}

/// `faults.images`: a named image each, an `exitAfter` above 0.
fn image_faults(
    raw: BTreeMap<String, raw::RawImageFault>,
    at: &dyn Fn(&str, String) -> ScenarioError,
) -> Result<BTreeMap<String, ImageFault>, ScenarioError> {
    let mut images = BTreeMap::new();
    for (image, f) in raw {
        if image.trim().is_empty() {
            return Err(at(
                "images:",
                "faults.images: an image name is empty".into(),
            ));
        }
        if f.exit_after == Some(0) {
            return Err(at(
                "exitAfter:",
                format!("faults.images[\"{image}\"].exitAfter: must be more than 0s"),
            ));
        }
        images.insert(
            image,
            ImageFault {
                pull_fails: f.pull == Some(raw::PullBehaviour::Fail),
                exit_after_ms: f.exit_after,
                readiness: f.ready.map(|p| p.0).unwrap_or_default(),
                liveness: f.live.map(|p| p.0).unwrap_or_default(),
            },
        );
    }
    Ok(images)
}

/// `faults.nodes`: each names a node of the cluster; sorted by time.
fn node_faults(
    raw: Vec<raw::RawNodeFault>,
    nodes: &[NodeSpec],
    at: &dyn Fn(&str, String) -> ScenarioError,
) -> Result<Vec<NodeFault>, ScenarioError> {
    let mut node_faults = Vec::new();
    for (i, f) in raw.into_iter().enumerate() {
        if !nodes.iter().any(|n| n.name == f.node) {
            let known: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
            return Err(at(
                &f.node,
                format!(
                    "faults.nodes[{i}].node: no node named \"{}\" (the cluster has {})",
                    f.node,
                    known.join(", ")
                ),
            ));
        }
        node_faults.push(NodeFault {
            at_ms: f.at,
            node: f.node,
            change: match f.event {
                raw::NodeEventKind::Down => NodeChange::Down,
                raw::NodeEventKind::Up => NodeChange::Up,
            },
        });
    }
    node_faults.sort_by_key(|f| f.at_ms);
    Ok(node_faults)
}

/// Refuses text nested deeper than [`MAX_YAML_DEPTH`] before any parser reads it.
pub fn check_nesting(text: &str) -> Result<(), String> {
    let depth = yaml_nesting(text);
    if depth > MAX_YAML_DEPTH {
        return Err(format!(
            "the YAML is nested {depth} levels deep; rollsim reads at most {MAX_YAML_DEPTH}"
        ));
    }
    Ok(())
}

/// A machine takes at least a second to come back: a recovery time of (typically) zero
/// would have nodes fail and return at one instant, over and over.
fn check_recovery(l: Latency) -> Result<(), String> {
    let typical_ms = match l {
        Latency::Constant(ms) => ms as f64,
        Latency::Uniform { low_ms, .. } => low_ms as f64,
        Latency::Normal { mean_ms, .. } => mean_ms,
        Latency::LogNormal { median_ms, .. } => median_ms,
        Latency::Exponential { mean_ms } => mean_ms,
    };
    if typical_ms < 1000.0 {
        return Err(
            "a machine takes at least 1s to come back (its constant, lower bound, mean or median must be >= 1s)"
                .into(),
        );
    }
    Ok(())
}

/// `[a-z0-9][a-z0-9-]*`, at most 63 characters: safe as a folder name anywhere.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && name.len() <= 63
}

/// Finds each script step's line in one pass over the text: steps are items of the
/// top-level `script:` sequence, in order, so each search starts where the last one ended
/// and looks no further than the next item.
struct StepLines<'a> {
    text: &'a str,
    /// Byte offset of the first line not yet passed.
    pos: usize,
    /// 1-based number of the line at `pos`.
    line: usize,
}

impl<'a> StepLines<'a> {
    fn new(text: &'a str) -> Self {
        let mut cursor = StepLines {
            text,
            pos: 0,
            line: 1,
        };
        let start = if text.starts_with("script:") {
            Some(0)
        } else {
            text.find("\nscript:").map(|i| i + 1)
        };
        if let Some(start) = start {
            cursor.line += text[..start].matches('\n').count();
            cursor.pos = start;
        }
        cursor
    }

    /// The next line, from the cursor, and its number.
    fn take_line(&mut self) -> Option<(usize, &'a str)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let found = (self.line, &rest[..len]);
        self.pos += len;
        self.line += 1;
        Some(found)
    }

    /// The line of the next step whose command is `run`: the line holding that text within
    /// the next sequence item (a step written with quotes or escapes falls back to the
    /// item's `-` line).
    fn next(&mut self, run: &str) -> Option<usize> {
        // The scan may start on the `script:` line itself (a flow sequence).
        let mut dash_line = None;
        while let Some((n, l)) = self.take_line() {
            let t = l.trim_start();
            if dash_line.is_none() && t.contains(run) {
                return Some(n);
            }
            if t.starts_with('-') {
                if t.contains(run) {
                    return Some(n);
                }
                dash_line = Some(n);
                // The item's other lines (`at:`, `run:`) follow: look at a few of them.
                for _ in 0..4 {
                    let save = (self.pos, self.line);
                    match self.take_line() {
                        Some((m, l2)) if !l2.trim_start().starts_with('-') => {
                            if l2.contains(run) {
                                return Some(m);
                            }
                        }
                        _ => {
                            (self.pos, self.line) = save;
                            break;
                        }
                    }
                }
                return dash_line;
            }
        }
        dash_line
    }
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    find_line_from(text, needle, 0)
}

/// First 1-based line after `after` containing `needle`.
pub fn find_line_from(text: &str, needle: &str, after: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(after)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
}

/// A node group's `taints:`: a key each, and an effect the API server accepts.
fn check_taints(g: &raw::RawNodeGroup) -> Result<(), String> {
    for (i, t) in g.taints.iter().enumerate() {
        let at = format!("cluster.nodes[{}].taints[{i}]", g.name);
        if t.key.is_empty() {
            return Err(format!("{at}.key: Required value"));
        }
        if let Some(e) = crate::model::scheduling::effect_error(&format!("{at}.effect"), &t.effect)
        {
            return Err(e);
        }
    }
    Ok(())
}

fn nodes(
    cluster: &raw::RawCluster,
    err: &dyn Fn(String) -> ScenarioError,
) -> Result<Vec<NodeSpec>, ScenarioError> {
    let default_group = raw::RawNodeGroup {
        name: defaults::NODE_NAME.into(),
        count: Some(defaults::NODE_COUNT),
        ..Default::default()
    };
    let groups = match &cluster.nodes {
        Some(g) if g.is_empty() => {
            return Err(err("cluster.nodes: needs at least one node".into()));
        }
        Some(g) => g.clone(),
        None => vec![default_group],
    };
    let total: u64 = groups.iter().map(|g| u64::from(g.count.unwrap_or(1))).sum();
    if total > MAX_NODES {
        return Err(err(format!(
            "cluster.nodes: {total} nodes is more than Kubernetes' limit of {MAX_NODES}"
        )));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for g in &groups {
        if !valid_name(&g.name) {
            return Err(err(format!(
                "cluster.nodes: name \"{}\" must match [a-z0-9][a-z0-9-]*",
                g.name
            )));
        }
        let cpu = g.cpu.clone().unwrap_or_else(|| defaults::NODE_CPU.into());
        let cpu_millis = parse_cpu_millis(&cpu)
            .map_err(|e| err(format!("cluster.nodes[{}].cpu: {e}", g.name)))?;
        let memory = g
            .memory
            .clone()
            .unwrap_or_else(|| defaults::NODE_MEMORY.into());
        let memory_bytes = parse_memory_bytes(&memory)
            .map_err(|e| err(format!("cluster.nodes[{}].memory: {e}", g.name)))?;
        let max_pods = g.pods.unwrap_or(defaults::NODE_PODS);
        check_taints(g).map_err(err)?;
        let names: Vec<String> = match g.count {
            None => vec![g.name.clone()],
            Some(0) => {
                return Err(err(format!(
                    "cluster.nodes[{}].count: must be at least 1",
                    g.name
                )));
            }
            Some(n) => (1..=n).map(|i| format!("{}-{i}", g.name)).collect(),
        };
        for name in names {
            if !seen.insert(name.clone()) {
                return Err(err(format!(
                    "cluster.nodes: node \"{name}\" is declared twice"
                )));
            }
            out.push(NodeSpec {
                name,
                cpu_millis,
                memory_bytes,
                max_pods,
                labels: g.labels.clone(),
                taints: g.taints.clone(),
            });
        }
    }
    Ok(out)
}

fn timing(
    t: &raw::RawTiming,
    err: &dyn Fn(&str, String) -> ScenarioError,
) -> Result<Timing, ScenarioError> {
    let base = Timing::default();
    let pick =
        |field: &str, v: Option<Latency>, default: Latency| -> Result<Latency, ScenarioError> {
            let l = v.unwrap_or(default);
            l.validate().map_err(|e| err(field, e.to_string()))?;
            Ok(l)
        };
    Ok(Timing {
        schedule: pick("schedule", t.schedule, base.schedule)?,
        image_pull: pick("imagePull", t.image_pull, base.image_pull)?,
        container_start: pick("containerStart", t.container_start, base.container_start)?,
        stop: pick("stop", t.stop, base.stop)?,
        controller_sync: pick("controllerSync", t.controller_sync, base.controller_sync)?,
    })
}

fn load_manifest(
    name: &str,
    inline: &BTreeMap<String, String>,
    files: &Files,
    scenario_file: &str,
    scenario_text: &str,
    step_line: Option<usize>,
) -> Result<Vec<Manifest>, ScenarioError> {
    let at_step = |message: String| ScenarioError {
        file: scenario_file.to_string(),
        line: step_line,
        column: None,
        message,
    };
    if let Some(text) = inline.get(name) {
        // A quoted inline manifest was not counted with the scenario's own text.
        check_nesting(text).map_err(|m| at_step(format!("files.{name}: {m}")))?;
        return inline_manifest(name, text, scenario_file, scenario_text);
    }
    let (shown, text) = manifest_text(name, files).map_err(at_step)?;
    check_nesting(&text).map_err(|message| ScenarioError {
        file: shown.clone(),
        line: None,
        column: None,
        message,
    })?;
    parse_manifests(&text).map_err(|e| ScenarioError {
        file: shown,
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// Parses a manifest given under `files:`, reporting lines and columns of the scenario file
/// itself (the block starts below its key).
fn inline_manifest(
    name: &str,
    text: &str,
    scenario_file: &str,
    scenario_text: &str,
) -> Result<Vec<Manifest>, ScenarioError> {
    let key_line = scenario_text
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(&format!("{name}:")) || t.starts_with(&format!("\"{name}\":"))
        })
        .map(|i| i + 1);
    let indent = key_line
        .and_then(|k| scenario_text.lines().nth(k))
        .map_or(0, |l| l.len() - l.trim_start().len());
    parse_manifests(text).map_err(|e| ScenarioError {
        file: scenario_file.to_string(),
        line: match (key_line, e.line) {
            (Some(k), Some(l)) => Some(k + l),
            (_, l) => l,
        },
        column: e.column.map(|c| c + indent),
        message: format!("files.{name}: {}", e.message),
    })
}

/// A manifest file's name as errors show it and its text: built in, or beside the scenario
/// (a regular file of at most [`MAX_FILE_BYTES`]).
fn manifest_text(name: &str, files: &Files) -> Result<(String, String), String> {
    let dir = match files {
        Files::Embedded(list) => {
            return list
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (format!("scenarios/{name} (built in)"), t.to_string()))
                .ok_or_else(|| missing_file(name));
        }
        Files::Dir(d) => d,
    };
    let path = dir.join(name);
    match read_input_file(&path) {
        Ok(bytes) => {
            let shown = path.display().to_string();
            let text = utf8_text(bytes, &shown).map_err(|e| e.to_string())?;
            Ok((shown, text))
        }
        Err(e) if path.exists() => Err(format!("cannot read \"{name}\" ({}): {e}", path.display())),
        Err(_) => Err(missing_file(name)),
    }
}

fn missing_file(name: &str) -> String {
    format!("the path \"{name}\" does not exist (not under `files:` nor beside the scenario)")
}

fn check_replicas(
    manifests: &[Manifest],
    file: &str,
    max_pods: usize,
    err: &dyn Fn(Option<usize>, String) -> ScenarioError,
) -> Result<(), ScenarioError> {
    for m in manifests {
        if let Manifest::Deployment(d) = m
            && let Some(r) = d.spec.replicas
            && r as i64 > max_pods as i64
        {
            return Err(err(
                None,
                format!(
                    "{file}: deployment \"{}\" asks for {r} replicas, above the pod limit of {max_pods} (--max-pods)",
                    d.metadata.name
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
