//! Script commands: a shell-like word split, then kubectl's grammar for the commands
//! rollsim plays. Anything else is rejected before the run, naming what is supported.

use super::duration::parse_duration;

/// The kinds `kubectl get` / `describe` know here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    #[allow(missing_docs)]
    Deployment,
    #[allow(missing_docs)]
    ReplicaSet,
    #[allow(missing_docs)]
    Pod,
    #[allow(missing_docs)]
    Node,
    #[allow(missing_docs)]
    Service,
    #[allow(missing_docs)]
    PodDisruptionBudget,
    /// `v1 Endpoints` (deprecated in v1.33+).
    Endpoints,
    /// `discovery.k8s.io/v1 EndpointSlice`.
    EndpointSlice,
    /// `v1 Event` (`kubectl get events`).
    Event,
    /// `v1 Namespace`.
    Namespace,
}

impl Kind {
    /// Parses a resource word with kubectl's aliases (`deploy`, `rs`, `po`, `no`, `svc`).
    pub fn parse(word: &str) -> Option<Kind> {
        Some(match word {
            "deployment"
            | "deployments"
            | "deploy"
            | "deployment.apps"
            | "deployments.apps"
            | "deployment.v1.apps"
            | "deployments.v1.apps" => Kind::Deployment,
            "replicaset"
            | "replicasets"
            | "rs"
            | "replicaset.apps"
            | "replicasets.apps"
            | "replicaset.v1.apps"
            | "replicasets.v1.apps" => Kind::ReplicaSet,
            "pod" | "pods" | "po" | "pod.v1" | "pods.v1" => Kind::Pod,
            "node" | "nodes" | "no" | "node.v1" | "nodes.v1" => Kind::Node,
            "service" | "services" | "svc" | "service.v1" | "services.v1" => Kind::Service,
            "poddisruptionbudget"
            | "poddisruptionbudgets"
            | "pdb"
            | "poddisruptionbudget.policy"
            | "poddisruptionbudgets.policy" => Kind::PodDisruptionBudget,
            "endpoints" | "ep" => Kind::Endpoints,
            "endpointslice"
            | "endpointslices"
            | "endpointslice.discovery.k8s.io"
            | "endpointslices.discovery.k8s.io" => Kind::EndpointSlice,
            "event" | "events" | "ev" => Kind::Event,
            "namespace" | "namespaces" | "ns" => Kind::Namespace,
            _ => return None,
        })
    }

    /// The plural resource name the API server uses in errors (`deployments.apps`).
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Deployment => "deployments.apps",
            Kind::ReplicaSet => "replicasets.apps",
            Kind::Pod => "pods",
            Kind::Node => "nodes",
            Kind::Service => "services",
            Kind::PodDisruptionBudget => "poddisruptionbudgets.policy",
            Kind::Endpoints => "endpoints",
            Kind::EndpointSlice => "endpointslices.discovery.k8s.io",
            Kind::Event => "events",
            Kind::Namespace => "namespaces",
        }
    }
}

/// A kubectl command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kubectl {
    /// `apply -f FILE...`
    Apply {
        #[allow(missing_docs)]
        files: Vec<String>,
    },
    /// `delete -f FILE...`
    DeleteFiles {
        #[allow(missing_docs)]
        files: Vec<String>,
    },
    /// `delete KIND NAME...` (deployments and services).
    Delete {
        #[allow(missing_docs)]
        kind: Kind,
        #[allow(missing_docs)]
        names: Vec<String>,
    },
    /// `scale deployment NAME --replicas=N`
    Scale {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        replicas: i32,
    },
    /// `set image deployment/NAME CONTAINER=IMAGE...`
    SetImage {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        images: Vec<(String, String)>,
    },
    /// `annotate deployment NAME KEY=VALUE... [--overwrite]`
    Annotate {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        pairs: Vec<(String, String)>,
        #[allow(missing_docs)]
        overwrite: bool,
    },
    /// `rollout status deployment NAME [--timeout=D] [--watch=false] [--revision=N]`
    RolloutStatus {
        #[allow(missing_docs)]
        name: String,
        /// Milliseconds; `None` waits forever (until the scenario's `until`).
        timeout_ms: Option<u64>,
        #[allow(missing_docs)]
        watch: bool,
        #[allow(missing_docs)]
        revision: i64,
    },
    /// `rollout history deployment NAME [--revision=N]`
    RolloutHistory {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        revision: i64,
    },
    /// `rollout undo deployment NAME [--to-revision=N]`
    RolloutUndo {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        to_revision: i64,
    },
    /// `rollout pause deployment NAME`
    RolloutPause {
        #[allow(missing_docs)]
        name: String,
    },
    /// `rollout resume deployment NAME`
    RolloutResume {
        #[allow(missing_docs)]
        name: String,
    },
    /// `rollout restart deployment NAME`
    RolloutRestart {
        #[allow(missing_docs)]
        name: String,
    },
    /// `get KIND[,KIND…] [NAME] [-o wide] [-l SELECTOR] [--show-labels] [-w]`
    Get(GetCommand),
    /// `set env deployment/NAME KEY=VALUE… KEY-… [-c CONTAINER]`
    SetEnv {
        #[allow(missing_docs)]
        name: String,
        /// Variables to set.
        set: Vec<(String, String)>,
        /// Variables to remove.
        remove: Vec<String>,
        /// `-c`: only this container (else every container).
        container: Option<String>,
    },
    /// `set resources deployment/NAME [-c CONTAINER] [--limits=…] [--requests=…]`
    SetResources {
        #[allow(missing_docs)]
        name: String,
        #[allow(missing_docs)]
        container: Option<String>,
        /// `cpu=200m,memory=512Mi`
        limits: Vec<(String, String)>,
        #[allow(missing_docs)]
        requests: Vec<(String, String)>,
    },
    /// `patch deployment NAME -p PATCH [--type strategic|merge]`
    Patch {
        #[allow(missing_docs)]
        name: String,
        /// The patch as written (JSON or YAML).
        patch: String,
        /// `--type merge`: a JSON merge patch (lists replaced whole) instead of kubectl's
        /// default strategic merge patch.
        merge: bool,
    },
    /// `wait --for=condition=C[=V]|--for=delete KIND/NAME [--timeout=D]`
    Wait {
        #[allow(missing_docs)]
        kind: Kind,
        #[allow(missing_docs)]
        name: String,
        /// The condition and its wanted status (`Available`, `True`); `None` waits for
        /// deletion.
        condition: Option<(String, String)>,
        /// Milliseconds (kubectl's default 30 s).
        timeout_ms: u64,
    },
    /// `create namespace NAME`
    CreateNamespace {
        #[allow(missing_docs)]
        name: String,
    },
    /// `cordon NODE`
    Cordon {
        #[allow(missing_docs)]
        node: String,
    },
    /// `taint nodes NODE KEY[=VALUE]:EFFECT… KEY[:EFFECT]-… [--overwrite]`
    Taint {
        #[allow(missing_docs)]
        node: String,
        /// Taints to add.
        add: Vec<crate::model::scheduling::Taint>,
        /// Taints to remove (an empty effect removes every effect of the key).
        remove: Vec<crate::model::scheduling::Taint>,
        #[allow(missing_docs)]
        overwrite: bool,
    },
    /// `label nodes NODE KEY=VALUE… KEY-… [--overwrite]`
    LabelNode {
        #[allow(missing_docs)]
        node: String,
        /// Labels to set.
        set: Vec<(String, String)>,
        /// Keys to remove.
        remove: Vec<String>,
        #[allow(missing_docs)]
        overwrite: bool,
    },
    /// `uncordon NODE`
    Uncordon {
        #[allow(missing_docs)]
        node: String,
    },
    /// `drain NODE [--ignore-daemonsets] [--delete-emptydir-data] [--force] [--timeout=D]`:
    /// cordons, evicts every pod on the node and waits until they are gone.
    Drain {
        #[allow(missing_docs)]
        node: String,
        /// Milliseconds; `None` waits forever (until the scenario's `until`).
        timeout_ms: Option<u64>,
    },
    /// `describe KIND NAME`
    Describe {
        #[allow(missing_docs)]
        kind: Kind,
        /// None: every object of the kind (that `selector` takes); one not found exactly
        /// stands for every object whose name starts with it.
        names: Vec<String>,
        /// `-l`
        selector: Option<String>,
        /// Written `KIND NAME` (not `KIND/NAME`): a name not found stands for a prefix.
        by_prefix: bool,
    },
    /// `kubectl port-forward TYPE/NAME LOCAL:REMOTE &`.
    PortForward {
        #[allow(missing_docs)]
        kind: Kind,
        #[allow(missing_docs)]
        name: String,
        /// Local port.
        local: u16,
        /// Remote port: a number or a port name.
        remote: String,
    },
}

/// The namespace a kubectl command works in: `-n NS` (or `--namespace`), else `default`;
/// `-A` / `--all-namespaces` lists every namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The namespace.
    pub namespace: String,
    /// Written with `-n` (an object's own namespace must then agree with it).
    pub explicit: bool,
    /// `-A` / `--all-namespaces`.
    pub all: bool,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            namespace: crate::model::DEFAULT_NAMESPACE.to_string(),
            explicit: false,
            all: false,
        }
    }
}

/// `kubectl get`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetCommand {
    /// One kind, or several written `deploy,rs` (each its own table, names prefixed).
    pub kinds: Vec<Kind>,
    #[allow(missing_docs)]
    pub name: Option<String>,
    #[allow(missing_docs)]
    pub wide: bool,
    #[allow(missing_docs)]
    pub selector: Option<String>,
    /// Adds a LABELS column.
    pub show_labels: bool,
    /// `--sort-by=.lastTimestamp` (events only).
    pub sort_by_last_timestamp: bool,
    /// `-w` / `--watch`: the table, then a row whenever an object's row changes.
    pub watch: bool,
    /// Ends with ` &`: the watch runs in the background until the run ends.
    pub background: bool,
}

/// One script command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A kubectl command and the namespace it works in.
    Kubectl(Kubectl, Scope),
    /// `sleep DURATION`: lets the virtual clock run.
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// `curl URL`: one HTTP GET from inside the cluster (a Service name or IP, through
    /// kube-proxy) or to a local port-forward (`127.1:8080`, `localhost:8080`).
    Curl(CurlArgs),
}

/// What `curl` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlArgs {
    /// Host as written (`127.1`, `localhost`, `ngx-svc`, `ngx-svc.default.svc`, an IP).
    pub host: String,
    /// Port (80 when the URL has none).
    pub port: u16,
    /// Path (`/` when the URL has none).
    pub path: String,
    /// `-m`/`--max-time`, ms.
    pub max_time_ms: Option<u64>,
}

impl CurlArgs {
    /// Whether the host is this machine (a port-forward's listener).
    pub fn is_local(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "::1" | "[::1]") || self.host.starts_with("127.")
    }
}

/// Parses `curl [-s] [-m SECONDS] URL`.
fn parse_curl(args: &[String]) -> Result<CurlArgs, String> {
    let mut url = None;
    let mut max_time_ms = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-s" | "--silent" | "-S" | "-sS" | "--show-error" => {}
            "-m" | "--max-time" => {
                i += 1;
                let v = args.get(i).ok_or("curl: -m needs a number of seconds")?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("curl: -m `{v}` is not a number of seconds"))?;
                if !(secs > 0.0 && secs <= 3600.0) {
                    return Err("curl: -m must be between 0 and 3600 seconds".into());
                }
                max_time_ms = Some((secs * 1000.0).round() as u64);
            }
            _ if a.starts_with('-') => {
                return Err(format!(
                    "curl option `{a}` is not supported (curl [-s] [-m SECONDS] URL)"
                ));
            }
            _ if url.is_none() => url = Some(a),
            _ => return Err("curl takes one URL here".into()),
        }
        i += 1;
    }
    let url = url.ok_or("curl needs a URL, e.g. `curl 127.1:8080` or `curl http://ngx-svc/`")?;
    let rest = url.strip_prefix("http://").unwrap_or(url).to_string();
    if url.contains("://") && !url.starts_with("http://") {
        return Err(format!("curl: only http:// URLs are simulated (`{url}`)"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest.as_str(), "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !h.ends_with(':') => (
            h,
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("curl: `{p}` is not a port"))?,
        ),
        _ => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("curl: `{url}` has no host"));
    }
    Ok(CurlArgs {
        host: host.to_string(),
        port,
        path,
        max_time_ms,
    })
}

/// Parses `kubectl port-forward TYPE/NAME LOCAL:REMOTE` (run in the background with `&`).
fn parse_port_forward(words: &[String]) -> Result<Kubectl, String> {
    let [target, ports] = words else {
        return Err(
            "port-forward takes one target and one LOCAL:REMOTE port pair here, e.g. `kubectl port-forward svc/ngx-svc 8080:80 &`"
                .into(),
        );
    };
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (k, n),
        None => ("pod", target.as_str()),
    };
    let kind = match kind {
        "svc" | "service" | "services" => Kind::Service,
        "pod" | "pods" | "po" => Kind::Pod,
        "deploy" | "deployment" | "deployments" => Kind::Deployment,
        other => {
            return Err(format!(
                "port-forward forwards to a pod, service or deployment, not `{other}`"
            ));
        }
    };
    let (local, remote) = ports.split_once(':').unwrap_or((ports, ports));
    let local: u16 = local
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{ports}`: the local port must be 1-65535"))?;
    if remote.is_empty() {
        return Err(format!("`{ports}`: the remote port is missing"));
    }
    Ok(Kubectl::PortForward {
        kind,
        name: name.to_string(),
        local,
        remote: remote.to_string(),
    })
}

impl Command {
    /// Whether the command waits on the virtual clock.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            Command::Sleep { .. }
                | Command::Curl(_)
                | Command::Kubectl(
                    Kubectl::RolloutStatus { watch: true, .. }
                        | Kubectl::Drain { .. }
                        | Kubectl::Wait { .. }
                        | Kubectl::Get(GetCommand {
                            watch: true,
                            background: false,
                            ..
                        }),
                    _
                )
        )
    }
}

/// What rollsim can play, listed in every rejection.
pub const SUPPORTED: &str = "supported commands: sleep DURATION; kubectl apply -f FILE; \
kubectl delete deployment|service NAME; kubectl delete -f FILE; \
kubectl scale deployment NAME --replicas=N; kubectl set image deployment/NAME CONTAINER=IMAGE; \
kubectl annotate deployment NAME KEY=VALUE [--overwrite]; \
kubectl rollout status|history|undo|pause|resume|restart deployment NAME \
(status: --timeout=D --watch=false --revision=N; history: --revision=N; undo: --to-revision=N); \
kubectl get deployments|replicasets|pods|nodes|services|pdb|namespaces[,TYPE…] [NAME] [-o wide] [-l SELECTOR] [--show-labels] [-A]; kubectl get events [--sort-by=.lastTimestamp]; \
kubectl get deployments|replicasets|pods|events -w (with a step `timeout:`, or ending in ` &`); \
kubectl wait --for=condition=C[=V]|--for=delete deployment|pod/NAME [--timeout=D]; \
kubectl patch deployment NAME -p PATCH [--type strategic|merge]; \
kubectl set env deployment/NAME KEY=VALUE|KEY- [-c CONTAINER]; \
kubectl set resources deployment/NAME [-c CONTAINER] [--limits=…] [--requests=…]; \
kubectl describe deployment|replicaset|pod NAME; kubectl cordon|uncordon NODE; kubectl taint nodes NODE KEY[=VALUE]:EFFECT|KEY[:EFFECT]- [--overwrite]; kubectl label nodes NODE KEY=VALUE|KEY- [--overwrite]; \
kubectl drain NODE [--ignore-daemonsets] [--delete-emptydir-data] [--force] [--timeout=D]; \
kubectl get endpoints|endpointslices [NAME]; kubectl describe service NAME; \
kubectl port-forward svc/NAME LOCAL:REMOTE &; curl [-s] [-m SECONDS] URL; \
kubectl create namespace NAME; kubectl get namespaces; -n NAMESPACE on every kubectl command, -A on get";

/// Splits a command line into words as a POSIX shell would (quotes and backslashes; no
/// expansions).
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => word.push(ch),
                            Some(ch) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(ch) = chars.next() {
                    word.push(ch);
                }
            }
            '|' | ';' | '&' | '>' | '<' | '`' | '$' => {
                return Err(format!(
                    "shell syntax `{c}` is not supported; write one command per step"
                ));
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Parses one script line.
pub fn parse_command(line: &str) -> Result<Command, String> {
    let trimmed = line.trim_end();
    let background = trimmed.ends_with('&') && !trimmed.ends_with("&&");
    let words = split_words(if background {
        &trimmed[..trimmed.len() - 1]
    } else {
        line
    })?;
    let port_forward = words.get(1).is_some_and(|w| w == "port-forward");
    if words.first().is_some_and(|w| w == "kubectl") && port_forward {
        if !background {
            return Err(
                "port-forward runs until it is stopped: end the step with ` &` to run it in the background, as the lesson does"
                    .into(),
            );
        }
        let mut args = split_args(&words[2..])?;
        let scope = args.take_scope()?;
        let words = args.finish("port-forward")?;
        return parse_port_forward(&words).map(|k| Command::Kubectl(k, scope));
    }
    if background {
        let watch = words.first().is_some_and(|w| w == "kubectl")
            && words
                .iter()
                .any(|w| w == "-w" || w == "--watch" || w == "--watch=true");
        if !watch {
            return Err(
                "only `kubectl port-forward` and a watch (`kubectl get … -w`) run in the background (`&`)"
                    .into(),
            );
        }
        return match parse_kubectl(&words[1..])? {
            (Kubectl::Get(mut g), scope) => {
                g.background = true;
                Ok(Command::Kubectl(Kubectl::Get(g), scope))
            }
            _ => Err("only `kubectl get … -w` watches in the background".into()),
        };
    }
    let Some((program, args)) = words.split_first() else {
        return Err(format!("an empty command; {SUPPORTED}"));
    };
    match program.as_str() {
        "sleep" => match args {
            [d] => Ok(Command::Sleep {
                ms: parse_duration(d)?,
            }),
            _ => Err("sleep takes one duration, e.g. `sleep 30s`".into()),
        },
        "kubectl" => parse_kubectl(args).map(|(k, scope)| Command::Kubectl(k, scope)),
        "curl" => parse_curl(args).map(Command::Curl),
        other => Err(format!(
            "`{other}` is not a command rollsim plays; {SUPPORTED}"
        )),
    }
}

/// Flags and positional words of one kubectl invocation.
#[derive(Debug, Default)]
struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

/// Flags that take a value in the next word when not written `--flag=value`.
const VALUE_FLAGS: [&str; 20] = [
    "-f",
    "--filename",
    "-o",
    "--output",
    "-l",
    "--selector",
    "-n",
    "--namespace",
    "--timeout",
    "--replicas",
    "--revision",
    "--to-revision",
    "-c",
    "--containers",
    "-p",
    "--patch",
    "--type",
    "--for",
    "--limits",
    "--requests",
];

fn split_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with('-') && a.len() > 1 {
            let (name, inline) = if a.starts_with("--") {
                match a.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (a.clone(), None),
                }
            } else {
                // `-o wide`, `-owide`, `-o=wide`, `-lapp=x`.
                let (Some(n), Some(rest)) = (a.get(..2), a.get(2..)) else {
                    return Err(format!("unknown flag: {a}"));
                };
                let value = rest.strip_prefix('=').unwrap_or(rest);
                (n.to_string(), (!rest.is_empty()).then(|| value.to_string()))
            };
            let value = match inline {
                Some(v) => Some(v),
                None if VALUE_FLAGS.contains(&name.as_str()) => {
                    i += 1;
                    Some(
                        args.get(i)
                            .cloned()
                            .ok_or_else(|| format!("flag needs an argument: {name}"))?,
                    )
                }
                None => None,
            };
            out.flags.push((name, value));
        } else {
            out.positional.push(a.clone());
        }
        i += 1;
    }
    Ok(out)
}

impl Args {
    /// Takes every occurrence of a flag (by any of its names).
    fn take_all(&mut self, names: &[&str]) -> Vec<Option<String>> {
        let mut taken = Vec::new();
        self.flags.retain(|(n, v)| {
            if names.contains(&n.as_str()) {
                taken.push(v.clone());
                false
            } else {
                true
            }
        });
        taken
    }

    fn take_value(&mut self, names: &[&str]) -> Result<Option<String>, String> {
        match self.take_all(names).pop() {
            None => Ok(None),
            Some(Some(v)) => Ok(Some(v)),
            Some(None) => Err(format!("flag needs an argument: {}", names[0])),
        }
    }

    fn take_bool(&mut self, names: &[&str]) -> Result<Option<bool>, String> {
        match self.take_all(names).pop() {
            None => Ok(None),
            Some(None) => Ok(Some(true)),
            Some(Some(v)) => match v.as_str() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(format!(
                    "invalid argument \"{v}\" for \"{}\" flag: expected true or false",
                    names[0]
                )),
            },
        }
    }

    fn take_int(&mut self, names: &[&str]) -> Result<Option<i64>, String> {
        self.take_value(names)?
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    format!(
                        "invalid argument \"{v}\" for \"{}\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax",
                        names[0]
                    )
                })
            })
            .transpose()
    }

    /// `-n NS` / `--namespace NS` and `-A` / `--all-namespaces`.
    fn take_scope(&mut self) -> Result<Scope, String> {
        let all = self
            .take_bool(&["-A", "--all-namespaces"])?
            .unwrap_or(false);
        let Some(ns) = self.take_value(&["-n", "--namespace"])? else {
            return Ok(Scope {
                all,
                ..Scope::default()
            });
        };
        if let Some(e) = crate::model::validation::dns1123_label(&ns).first() {
            return Err(format!("invalid namespace \"{ns}\": {e}"));
        }
        Ok(Scope {
            namespace: ns,
            explicit: true,
            all,
        })
    }

    /// Fails on any flag left over.
    fn finish(self, command: &str) -> Result<Vec<String>, String> {
        if let Some((name, _)) = self.flags.first() {
            return Err(format!(
                "unknown flag: {name} for `kubectl {command}`; {SUPPORTED}"
            ));
        }
        Ok(self.positional)
    }
}

/// Reads `deployment NAME`, `deployment/NAME` or `deploy NAME` and insists on a Deployment.
fn deployment_target(words: &[String], command: &str) -> Result<String, String> {
    match words {
        [one] => match one.split_once('/') {
            Some((kind, name))
                if Kind::parse(kind) == Some(Kind::Deployment) && !name.is_empty() =>
            {
                Ok(name.to_string())
            }
            Some((kind, _)) => Err(format!(
                "`kubectl {command}` works on deployments here, not \"{kind}\""
            )),
            None => Err(format!(
                "`kubectl {command}` needs a deployment: `kubectl {command} deployment NAME`"
            )),
        },
        [kind, name] if Kind::parse(kind) == Some(Kind::Deployment) => Ok(name.clone()),
        [kind, _] => Err(format!(
            "`kubectl {command}` works on deployments here, not \"{kind}\""
        )),
        [] => Err(format!(
            "`kubectl {command}` needs a deployment: `kubectl {command} deployment NAME`"
        )),
        _ => Err(format!(
            "`kubectl {command}` takes one deployment; got {}",
            words.join(" ")
        )),
    }
}

/// Reads `NODE` or `node/NODE`.
fn node_target(words: &[String], command: &str) -> Result<String, String> {
    match words {
        [one] => match one.split_once('/') {
            Some((kind, name)) if Kind::parse(kind) == Some(Kind::Node) && !name.is_empty() => {
                Ok(name.to_string())
            }
            Some((kind, _)) => Err(format!(
                "`kubectl {command}` works on nodes, not \"{kind}\""
            )),
            None => Ok(one.clone()),
        },
        [] => Err(format!(
            "`kubectl {command}` needs a node: `kubectl {command} NODE`"
        )),
        _ => Err(format!(
            "`kubectl {command}` takes one node here; got {}",
            words.join(" ")
        )),
    }
}

fn parse_pairs(words: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    words
        .iter()
        .map(|w| {
            w.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("\"{w}\" is not {what}"))
        })
        .collect()
}

/// `kubectl get KIND[,KIND…] [NAME] [-o wide] [-l …] [--show-labels] [--sort-by=…] [-w]`.
fn parse_get(mut args: Args) -> Result<Kubectl, String> {
    let wide = match args.take_value(&["-o", "--output"])? {
        None => false,
        Some(o) if o == "wide" => true,
        Some(o) => {
            return Err(format!(
                "output format \"{o}\" is not supported here; use -o wide or none"
            ));
        }
    };
    let selector = args.take_value(&["-l", "--selector"])?;
    let show_labels = args.take_bool(&["--show-labels"])?.unwrap_or(false);
    let sort_by = args.take_value(&["--sort-by"])?;
    let watch = args.take_bool(&["-w", "--watch"])?.unwrap_or(false);
    let words = args.finish("get")?;
    let (kinds, mut names) = kinds_and_names(&words)?;
    if names.len() > 1 {
        return Err("`kubectl get` takes at most one name here".into());
    }
    if watch && kinds.len() > 1 {
        return Err("error: you may only specify a single resource type".into());
    }
    let sort_by_last_timestamp = match sort_by.as_deref() {
        None => false,
        Some(".lastTimestamp") if kinds == [Kind::Event] && !watch => true,
        Some(other) => {
            return Err(format!(
                "--sort-by={other}: only `kubectl get events --sort-by=.lastTimestamp` (without -w) is supported here"
            ));
        }
    };
    if watch
        && !matches!(
            kinds[0],
            Kind::Deployment | Kind::ReplicaSet | Kind::Pod | Kind::Event
        )
    {
        return Err(
            "`kubectl get -w` watches deployments, replicasets, pods or events here".into(),
        );
    }
    Ok(Kubectl::Get(GetCommand {
        kinds,
        name: names.pop(),
        wide,
        selector,
        show_labels,
        sort_by_last_timestamp,
        watch,
        background: false,
    }))
}

/// `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME`, as `kubectl get` reads them.
fn kinds_and_names(words: &[String]) -> Result<(Vec<Kind>, Vec<String>), String> {
    match words.first() {
        // The `all` category, in discovery order, of the kinds simulated here.
        Some(first) if first == "all" => {
            if words.len() > 1 {
                return Err("a name with `get all` is not supported here".into());
            }
            let all = [Kind::Pod, Kind::Service, Kind::Deployment, Kind::ReplicaSet];
            Ok((all.to_vec(), Vec::new()))
        }
        Some(first) if first.contains(',') && !first.contains('/') => {
            let kinds = first
                .split(',')
                .map(|k| Kind::parse(k).ok_or_else(|| unknown_kind(k)))
                .collect::<Result<Vec<_>, _>>()?;
            if words.len() > 1 {
                return Err(
                    "a name with several types (`get deploy,rs NAME`) is not supported here".into(),
                );
            }
            Ok((kinds, Vec::new()))
        }
        _ => kind_and_names(words, "get").map(|(k, names)| (vec![k], names)),
    }
}

/// `kubectl wait --for=condition=Available[=true] deployment/NAME [--timeout=D]`, or
/// `--for=delete` (pods and deployments here).
fn parse_wait(mut args: Args) -> Result<Kubectl, String> {
    let condition = args
        .take_value(&["--for"])?
        .ok_or("error: --for must be specified, e.g. --for=condition=Available")?;
    let timeout_ms = args
        .take_value(&["--timeout"])?
        .map(|t| parse_duration(&t))
        .transpose()?
        .unwrap_or(30_000);
    let words = args.finish("wait")?;
    let (kind, mut names) = kind_and_names(&words, "wait")?;
    if names.len() != 1 || !matches!(kind, Kind::Deployment | Kind::Pod) {
        return Err("`kubectl wait` waits for one deployment or pod here (TYPE/NAME)".into());
    }
    let condition = match condition.as_str() {
        "delete" => None,
        c => {
            let spec = c
                .strip_prefix("condition=")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("error: unrecognized condition: \"{c}\""))?;
            let (name, value) = spec.split_once('=').unwrap_or((spec, "true"));
            Some((name.to_string(), value.to_string()))
        }
    };
    Ok(Kubectl::Wait {
        kind,
        name: names.remove(0),
        condition,
        timeout_ms,
    })
}

/// `kubectl patch deployment NAME -p PATCH [--type strategic|merge]`.
fn parse_patch(mut args: Args) -> Result<Kubectl, String> {
    let patch = args.take_value(&["-p", "--patch"])?.ok_or(
        "error: must specify --patch or --patch-file containing the contents of the patch",
    )?;
    let merge = match args
        .take_value(&["--type"])?
        .map(|t| t.to_lowercase())
        .as_deref()
    {
        None | Some("strategic") => false,
        Some("merge") => true,
        Some("json") => {
            return Err(
                "--type json (JSON Patch) is not played here; use strategic or merge".into(),
            );
        }
        Some(other) => {
            return Err(format!(
                "error: --type must be one of [json merge strategic], not \"{other}\""
            ));
        }
    };
    let words = args.finish("patch")?;
    let name = deployment_target(&words, "patch")?;
    Ok(Kubectl::Patch { name, patch, merge })
}

/// `kubectl set env deployment/NAME KEY=VALUE… KEY-… [-c CONTAINER]`.
fn parse_set_env(mut args: Args) -> Result<Kubectl, String> {
    let container = args.take_value(&["-c", "--containers"])?;
    let mut words = args.finish("set env")?;
    words.remove(0);
    let split = words
        .iter()
        .position(|w| w.contains('=') || w.ends_with('-'))
        .unwrap_or(words.len());
    let name = deployment_target(&words[..split], "set env")?;
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    for w in &words[split..] {
        match (w.split_once('='), w.strip_suffix('-')) {
            (Some((k, v)), _) if !k.is_empty() => set.push((k.to_string(), v.to_string())),
            (None, Some(k)) if !k.is_empty() => remove.push(k.to_string()),
            _ => return Err(format!("error: invalid environment variable: {w}")),
        }
    }
    if set.is_empty() && remove.is_empty() {
        return Err("error: at least one environment variable must be provided".into());
    }
    Ok(Kubectl::SetEnv {
        name,
        set,
        remove,
        container,
    })
}

/// `kubectl set resources deployment/NAME [-c CONTAINER] --limits=… --requests=…`.
fn parse_set_resources(mut args: Args) -> Result<Kubectl, String> {
    let container = args.take_value(&["-c", "--containers"])?;
    let pairs = |v: Option<String>| -> Result<Vec<(String, String)>, String> {
        let words: Vec<String> = v
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        parse_pairs(&words, "RESOURCE=QUANTITY")
    };
    let limits = pairs(args.take_value(&["--limits"])?)?;
    let requests = pairs(args.take_value(&["--requests"])?)?;
    let mut words = args.finish("set resources")?;
    words.remove(0);
    let name = deployment_target(&words, "set resources")?;
    if limits.is_empty() && requests.is_empty() {
        return Err(
            "error: you must specify an update to requests or limits (in the form of --requests/--limits)"
                .into(),
        );
    }
    Ok(Kubectl::SetResources {
        name,
        container,
        limits,
        requests,
    })
}

/// `kubectl create namespace NAME` (the one generator rollsim has: objects come from files).
fn parse_create(args: Args) -> Result<Kubectl, String> {
    let words = args.finish("create")?;
    match words.as_slice() {
        [kind, name] if Kind::parse(kind) == Some(Kind::Namespace) => {
            if let Some(e) = crate::model::validation::dns1123_label(name).first() {
                return Err(format!(
                    "The Namespace \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": {e}"
                ));
            }
            Ok(Kubectl::CreateNamespace { name: name.clone() })
        }
        _ => Err(format!(
            "`kubectl create` makes namespaces here (`kubectl create namespace NAME`); other objects come from files with `kubectl apply -f`; {SUPPORTED}"
        )),
    }
}

/// `kubectl taint nodes NODE SPEC… [--overwrite]`.
fn parse_taint(mut args: Args) -> Result<Kubectl, String> {
    let overwrite = args.take_bool(&["--overwrite"])?.unwrap_or(false);
    let words = args.finish("taint")?;
    let (node, specs) = node_and_rest(&words, "taint")?;
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for spec in specs {
        let (taint, removing) = crate::model::scheduling::parse_taint_spec(spec)?;
        if removing {
            remove.push(taint);
        } else if add.iter().any(|t: &crate::model::scheduling::Taint| {
            t.key == taint.key && t.effect == taint.effect
        }) {
            // Go's %v of a Taint: {key value effect timeAdded}.
            return Err(format!(
                "duplicated taints with the same key and effect: {{{} {} {} <nil>}}",
                taint.key, taint.value, taint.effect
            ));
        } else {
            add.push(taint);
        }
    }
    if add.is_empty() && remove.is_empty() {
        return Err("at least one taint update is required".into());
    }
    Ok(Kubectl::Taint {
        node,
        add,
        remove,
        overwrite,
    })
}

/// `kubectl label nodes NODE KEY=VALUE… KEY-… [--overwrite]`.
fn parse_label(mut args: Args) -> Result<Kubectl, String> {
    let overwrite = args.take_bool(&["--overwrite"])?.unwrap_or(false);
    let words = args.finish("label")?;
    let (node, specs) = node_and_rest(&words, "label")?;
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    for spec in specs {
        match (spec.strip_suffix('-'), spec.split_once('=')) {
            (Some(key), None) => remove.push(key.to_string()),
            (_, Some((k, v))) => set.push((k.to_string(), v.to_string())),
            (None, None) => return Err(format!("invalid label spec: {spec}")),
        }
    }
    if set.is_empty() && remove.is_empty() {
        return Err("at least one label update is required".into());
    }
    Ok(Kubectl::LabelNode {
        node,
        set,
        remove,
        overwrite,
    })
}

/// `nodes NODE REST…` or `node/NODE REST…`: the node and the rest.
fn node_and_rest<'a>(words: &'a [String], verb: &str) -> Result<(String, &'a [String]), String> {
    let usage =
        || format!("`kubectl {verb}` takes `nodes NODE` (or node/NODE) and its updates here");
    match words {
        [kind, node, rest @ ..] if Kind::parse(kind) == Some(Kind::Node) => {
            Ok((node.clone(), rest))
        }
        [target, rest @ ..] => match target.split_once('/') {
            Some((kind, node)) if Kind::parse(kind) == Some(Kind::Node) => {
                Ok((node.to_string(), rest))
            }
            _ => Err(usage()),
        },
        [] => Err(usage()),
    }
}

/// A kubectl command line: the namespace flags, then the verb's own grammar.
fn parse_kubectl(words: &[String]) -> Result<(Kubectl, Scope), String> {
    // Flags may come before the verb (`kubectl -n prod get pods`).
    let mut args = split_args(words)?;
    if args.positional.is_empty() {
        return Err(format!("`kubectl` needs a command; {SUPPORTED}"));
    }
    let verb = args.positional.remove(0);
    let verb = verb.as_str();
    let scope = args.take_scope()?;
    if scope.all && verb != "get" {
        return Err(format!(
            "-A / --all-namespaces works with `kubectl get` here, not `kubectl {verb}`"
        ));
    }
    parse_verb(verb, args).map(|k| (k, scope))
}

/// One verb's arguments, as kubectl's command of that name reads them.
fn parse_verb(verb: &str, args: Args) -> Result<Kubectl, String> {
    match verb {
        "apply" => parse_apply(args),
        "delete" => parse_delete(args),
        "scale" => parse_scale(args),
        "set" => parse_set(args),
        "annotate" => parse_annotate(args),
        "rollout" => parse_rollout(args),
        "create" => parse_create(args),
        "taint" => parse_taint(args),
        "label" => parse_label(args),
        "cordon" | "uncordon" => parse_cordon(verb, args),
        "drain" => parse_drain(args),
        "get" => parse_get(args),
        "wait" => parse_wait(args),
        "patch" => parse_patch(args),
        "describe" => parse_describe(args),
        other => Err(format!(
            "`kubectl {other}` is not a command rollsim plays; {SUPPORTED}"
        )),
    }
}

/// `kubectl apply -f FILE…`.
fn parse_apply(mut args: Args) -> Result<Kubectl, String> {
    let files = take_files(&mut args)?;
    if files.is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let extra = args.finish("apply")?;
    no_positional(&extra, "apply")?;
    Ok(Kubectl::Apply { files })
}

/// `kubectl delete -f FILE…` or `kubectl delete deployment|service NAME…`.
fn parse_delete(mut args: Args) -> Result<Kubectl, String> {
    let files = take_files(&mut args)?;
    let words = args.finish("delete")?;
    if !files.is_empty() {
        no_positional(&words, "delete -f")?;
        return Ok(Kubectl::DeleteFiles { files });
    }
    let (kind, names) = kind_and_names(&words, "delete")?;
    if !matches!(kind, Kind::Deployment | Kind::Service) || names.is_empty() {
        return Err(format!(
            "`kubectl delete` takes deployment or service names here; {SUPPORTED}"
        ));
    }
    Ok(Kubectl::Delete { kind, names })
}

/// `kubectl scale deployment/NAME --replicas=N`.
fn parse_scale(mut args: Args) -> Result<Kubectl, String> {
    let replicas = args
        .take_int(&["--replicas"])?
        .ok_or("error: required flag(s) \"replicas\" not set")?;
    let words = args.finish("scale")?;
    let name = deployment_target(&words, "scale")?;
    let replicas =
        i32::try_from(replicas).map_err(|_| format!("--replicas={replicas} is out of range"))?;
    Ok(Kubectl::Scale { name, replicas })
}

/// `kubectl set image|env|resources …`.
fn parse_set(args: Args) -> Result<Kubectl, String> {
    match args.positional.first().map(String::as_str) {
        Some("env") => return parse_set_env(args),
        Some("resources") => return parse_set_resources(args),
        _ => {}
    }
    let words = args.finish("set")?;
    match words.split_first() {
        Some((sub, rest)) if sub == "image" => {
            let split = rest
                .iter()
                .position(|w| w.contains('='))
                .unwrap_or(rest.len());
            let name = deployment_target(&rest[..split], "set image")?;
            let images = parse_pairs(&rest[split..], "CONTAINER=IMAGE")?;
            if images.is_empty() {
                return Err("`kubectl set image` needs CONTAINER=IMAGE".into());
            }
            Ok(Kubectl::SetImage { name, images })
        }
        _ => Err(format!(
            "`kubectl set` supports image, env and resources here; {SUPPORTED}"
        )),
    }
}

/// `kubectl annotate deployment/NAME KEY=VALUE… [--overwrite]`.
fn parse_annotate(mut args: Args) -> Result<Kubectl, String> {
    let overwrite = args.take_bool(&["--overwrite"])?.unwrap_or(false);
    let words = args.finish("annotate")?;
    let split = words
        .iter()
        .position(|w| w.contains('='))
        .unwrap_or(words.len());
    let name = deployment_target(&words[..split], "annotate")?;
    let pairs = parse_pairs(&words[split..], "KEY=VALUE")?;
    if pairs.is_empty() {
        return Err("`kubectl annotate` needs KEY=VALUE".into());
    }
    Ok(Kubectl::Annotate {
        name,
        pairs,
        overwrite,
    })
}

/// `kubectl cordon NODE` / `kubectl uncordon NODE`.
fn parse_cordon(verb: &str, args: Args) -> Result<Kubectl, String> {
    let words = args.finish(verb)?;
    let node = node_target(&words, verb)?;
    Ok(if verb == "cordon" {
        Kubectl::Cordon { node }
    } else {
        Kubectl::Uncordon { node }
    })
}

/// `kubectl drain NODE [--timeout=D]`.
fn parse_drain(mut args: Args) -> Result<Kubectl, String> {
    // No DaemonSets, emptyDir data or unmanaged pods exist here: these flags only say what
    // a real drain would need, and are accepted.
    args.take_bool(&["--ignore-daemonsets"])?;
    args.take_bool(&["--delete-emptydir-data"])?;
    args.take_bool(&["--force"])?;
    let timeout_ms = args
        .take_value(&["--timeout"])?
        .map(|t| parse_duration(&t))
        .transpose()?
        .filter(|&t| t > 0);
    let words = args.finish("drain")?;
    let node = node_target(&words, "drain")?;
    Ok(Kubectl::Drain { node, timeout_ms })
}

/// `kubectl describe deployment|replicaset|pod|service [NAME_PREFIX | NAME…] [-l SELECTOR]`.
fn parse_describe(mut args: Args) -> Result<Kubectl, String> {
    let selector = args.take_value(&["-l", "--selector"])?;
    let words = args.finish("describe")?;
    let (kind, names) = kind_and_names(&words, "describe")?;
    if !matches!(
        kind,
        Kind::Deployment | Kind::ReplicaSet | Kind::Pod | Kind::Service
    ) {
        return Err(format!(
            "`kubectl describe` takes deployments, replicasets, pods or services here; {SUPPORTED}"
        ));
    }
    if let Some(s) = &selector {
        if !names.is_empty() {
            return Err("error: name cannot be provided when a selector is specified".into());
        }
        crate::model::selector::parse_selector_arg(s)?;
    }
    let by_prefix = words.len() == 2 && !words[0].contains('/');
    Ok(Kubectl::Describe {
        kind,
        names,
        selector,
        by_prefix,
    })
}

fn parse_rollout(mut args: Args) -> Result<Kubectl, String> {
    if args.positional.is_empty() {
        return Err(format!("`kubectl rollout` needs a subcommand; {SUPPORTED}"));
    }
    let sub = args.positional.remove(0);
    let command = format!("rollout {sub}");
    match sub.as_str() {
        "status" => {
            let timeout_ms = args
                .take_value(&["--timeout"])?
                .map(|t| parse_duration(&t))
                .transpose()?
                .filter(|t| *t > 0);
            let watch = args.take_bool(&["-w", "--watch"])?.unwrap_or(true);
            let revision = args.take_int(&["--revision"])?.unwrap_or(0);
            let words = args.finish(&command)?;
            let name = deployment_target(&words, &command)?;
            Ok(Kubectl::RolloutStatus {
                name,
                timeout_ms,
                watch,
                revision,
            })
        }
        "history" => {
            let revision = args.take_int(&["--revision"])?.unwrap_or(0);
            if revision < 0 {
                return Err(format!("revision must be a positive integer: {revision}"));
            }
            let words = args.finish(&command)?;
            Ok(Kubectl::RolloutHistory {
                name: deployment_target(&words, &command)?,
                revision,
            })
        }
        "undo" => {
            let to_revision = args.take_int(&["--to-revision"])?.unwrap_or(0);
            let words = args.finish(&command)?;
            Ok(Kubectl::RolloutUndo {
                name: deployment_target(&words, &command)?,
                to_revision,
            })
        }
        "pause" | "resume" | "restart" => {
            let words = args.finish(&command)?;
            let name = deployment_target(&words, &command)?;
            Ok(match sub.as_str() {
                "pause" => Kubectl::RolloutPause { name },
                "resume" => Kubectl::RolloutResume { name },
                _ => Kubectl::RolloutRestart { name },
            })
        }
        other => Err(format!(
            "`kubectl rollout {other}` is not supported; {SUPPORTED}"
        )),
    }
}

fn take_files(args: &mut Args) -> Result<Vec<String>, String> {
    args.take_all(&["-f", "--filename"])
        .into_iter()
        .map(|v| v.ok_or_else(|| "flag needs an argument: -f".to_string()))
        .collect()
}

fn no_positional(words: &[String], command: &str) -> Result<(), String> {
    match words.first() {
        None => Ok(()),
        Some(w) => Err(format!(
            "unexpected argument \"{w}\" for `kubectl {command}`; {SUPPORTED}"
        )),
    }
}

/// `KIND [NAME...]` or `KIND/NAME`.
fn kind_and_names(words: &[String], command: &str) -> Result<(Kind, Vec<String>), String> {
    let Some((first, rest)) = words.split_first() else {
        return Err(format!(
            "`kubectl {command}` needs a resource type, e.g. `kubectl {command} deployments`"
        ));
    };
    if let Some((kind, name)) = first.split_once('/') {
        let kind = Kind::parse(kind).ok_or_else(|| unknown_kind(kind))?;
        if !rest.is_empty() || name.is_empty() {
            return Err(format!(
                "`kubectl {command}` takes one TYPE/NAME here, got {}",
                words.join(" ")
            ));
        }
        return Ok((kind, vec![name.to_string()]));
    }
    let kind = Kind::parse(first).ok_or_else(|| unknown_kind(first))?;
    Ok((kind, rest.to_vec()))
}

fn unknown_kind(word: &str) -> String {
    format!(
        "error: the server doesn't have a resource type \"{word}\" (rollsim knows deployments, replicasets, pods, nodes, services)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(line: &str) -> Kubectl {
        match parse_command(line) {
            Ok(Command::Kubectl(k, _)) => k,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn scope(line: &str) -> Scope {
        match parse_command(line) {
            Ok(Command::Kubectl(_, s)) => s,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn watch_wait_patch_and_set_parse_as_the_docs_write_them() {
        let Kubectl::Get(g) = k("kubectl get deploy,rs") else {
            panic!("get");
        };
        assert_eq!(g.kinds, [Kind::Deployment, Kind::ReplicaSet]);
        let Kubectl::Get(g) = k("kubectl get all") else {
            panic!("get");
        };
        assert_eq!(
            g.kinds,
            [Kind::Pod, Kind::Service, Kind::Deployment, Kind::ReplicaSet]
        );
        let Kubectl::Get(g) = k("kubectl get pods -w") else {
            panic!("get");
        };
        assert!(g.watch && !g.background);
        match parse_command("kubectl get pods --watch &") {
            Ok(Command::Kubectl(Kubectl::Get(g), _)) => assert!(g.watch && g.background),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            k("kubectl rollout status deployment.v1.apps/web"),
            Kubectl::RolloutStatus {
                name: "web".into(),
                timeout_ms: None,
                watch: true,
                revision: 0
            }
        );
        assert_eq!(
            k("kubectl wait --for=condition=Available=True deployment/web --timeout=60s"),
            Kubectl::Wait {
                kind: Kind::Deployment,
                name: "web".into(),
                condition: Some(("Available".into(), "True".into())),
                timeout_ms: 60_000
            }
        );
        assert_eq!(
            k("kubectl wait --for delete pod/x"),
            Kubectl::Wait {
                kind: Kind::Pod,
                name: "x".into(),
                condition: None,
                timeout_ms: 30_000
            }
        );
        assert_eq!(
            k(r#"kubectl patch deployment web --type=merge -p '{"spec":{"replicas":2}}'"#),
            Kubectl::Patch {
                name: "web".into(),
                patch: r#"{"spec":{"replicas":2}}"#.into(),
                merge: true
            }
        );
        assert_eq!(
            k("kubectl set env deployment/web A=1 B- -c web"),
            Kubectl::SetEnv {
                name: "web".into(),
                set: vec![("A".into(), "1".into())],
                remove: vec!["B".into()],
                container: Some("web".into())
            }
        );
        assert_eq!(
            k("kubectl set resources deployment web --limits=cpu=200m,memory=512Mi"),
            Kubectl::SetResources {
                name: "web".into(),
                container: None,
                limits: vec![
                    ("cpu".into(), "200m".into()),
                    ("memory".into(), "512Mi".into())
                ],
                requests: vec![]
            }
        );
        for bad in [
            "kubectl patch deployment web",
            "kubectl patch deployment web -p '{}' --type=json",
            "kubectl set resources deployment web",
            "kubectl set env deployment/web",
            "kubectl wait deployment/web",
            "kubectl wait --for=ready deployment/web",
            "kubectl get deploy,rs -w",
        ] {
            assert!(parse_command(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespaces_come_from_n_or_a_and_create_namespace_parses() {
        assert_eq!(scope("kubectl get pods"), Scope::default());
        let prod = Scope {
            namespace: "prod".into(),
            explicit: true,
            all: false,
        };
        assert_eq!(scope("kubectl get pods -n prod"), prod);
        assert_eq!(
            scope("kubectl -n prod get pods"),
            prod,
            "kubectl takes -n before the verb too"
        );
        assert_eq!(
            scope("kubectl scale deploy web --replicas=2 --namespace=prod"),
            prod
        );
        assert!(scope("kubectl get pods -A").all);
        assert!(scope("kubectl get pods --all-namespaces").all);
        assert_eq!(
            k("kubectl create namespace prod"),
            Kubectl::CreateNamespace {
                name: "prod".into()
            }
        );
        assert_eq!(
            k("kubectl create ns prod"),
            Kubectl::CreateNamespace {
                name: "prod".into()
            }
        );
        for bad in [
            "kubectl create namespace Prod",
            "kubectl create deployment web --image=nginx",
            "kubectl get pods -n Bad_Name",
            "kubectl scale deploy web --replicas=2 -A",
        ] {
            assert!(parse_command(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"kubectl annotate deploy x kubernetes.io/change-cause="update to v3, change name""#)
                .unwrap(),
            [
                "kubectl",
                "annotate",
                "deploy",
                "x",
                "kubernetes.io/change-cause=update to v3, change name"
            ]
        );
        assert_eq!(split_words("a 'b c' d\\ e").unwrap(), ["a", "b c", "d e"]);
        assert!(split_words("a 'b").is_err());
        assert!(split_words("kubectl get pods | grep x").is_err());
    }

    #[test]
    fn targets_and_aliases_parse_as_kubectl_reads_them() {
        assert_eq!(
            k("kubectl rollout status deployment ngx-dep"),
            Kubectl::RolloutStatus {
                name: "ngx-dep".into(),
                timeout_ms: None,
                watch: true,
                revision: 0
            }
        );
        assert_eq!(
            k("kubectl rollout status deploy/ngx-dep --timeout=90s -n default"),
            Kubectl::RolloutStatus {
                name: "ngx-dep".into(),
                timeout_ms: Some(90_000),
                watch: true,
                revision: 0
            }
        );
        assert_eq!(
            k("kubectl get rs -o wide -l app=ngx"),
            Kubectl::Get(GetCommand {
                kinds: vec![Kind::ReplicaSet],
                wide: true,
                selector: Some("app=ngx".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            k("kubectl get po/x -owide"),
            Kubectl::Get(GetCommand {
                kinds: vec![Kind::Pod],
                name: Some("x".into()),
                wide: true,
                ..Default::default()
            })
        );
        assert_eq!(
            k("kubectl get ev --sort-by=.lastTimestamp"),
            Kubectl::Get(GetCommand {
                kinds: vec![Kind::Event],
                sort_by_last_timestamp: true,
                ..Default::default()
            })
        );
        assert!(
            parse_command("kubectl get pods --sort-by=.metadata.name")
                .is_err_and(|e| e.contains("only `kubectl get events --sort-by=.lastTimestamp`"))
        );
        assert_eq!(
            k("kubectl set image deployment/ngx-dep nginx=nginx:1.23-alpine"),
            Kubectl::SetImage {
                name: "ngx-dep".into(),
                images: vec![("nginx".into(), "nginx:1.23-alpine".into())]
            }
        );
        assert_eq!(
            k("kubectl rollout history deploy ngx-dep --revision 2"),
            Kubectl::RolloutHistory {
                name: "ngx-dep".into(),
                revision: 2
            }
        );
        assert_eq!(
            k("kubectl scale --replicas=10 deployment/ngx-dep"),
            Kubectl::Scale {
                name: "ngx-dep".into(),
                replicas: 10
            }
        );
        assert_eq!(
            k("kubectl apply -f a.yml -f b.yml"),
            Kubectl::Apply {
                files: vec!["a.yml".into(), "b.yml".into()]
            }
        );
    }

    #[test]
    fn unsupported_commands_and_flags_are_rejected_with_the_supported_list() {
        for line in [
            "kubectl exec -it x -- sh",
            "kubectl rollout status statefulset web",
            "kubectl get pods -o yaml",
            "kubectl get widgets",
            "wget 127.1:8080",
            "curl -X POST 127.1:8080",
            "curl https://ngx-svc/",
            "kubectl get pods &",
            "kubectl scale deployment x",
            "sleep 30",
        ] {
            assert!(parse_command(line).is_err(), "{line} should be rejected");
        }
        let err = parse_command("kubectl port-forward svc/x 8080:80").unwrap_err();
        assert!(
            err.contains("port-forward") && err.contains("` &`"),
            "{err}"
        );
    }

    #[test]
    fn curl_and_a_background_port_forward_parse_as_the_lesson_writes_them() {
        assert_eq!(
            parse_command("kubectl port-forward svc/ngx-svc 8080:80 &").unwrap(),
            Command::Kubectl(
                Kubectl::PortForward {
                    kind: Kind::Service,
                    name: "ngx-svc".into(),
                    local: 8080,
                    remote: "80".into()
                },
                Scope::default()
            )
        );
        let Command::Curl(c) = parse_command("curl 127.1:8080").unwrap() else {
            panic!("curl parses");
        };
        assert!(c.is_local());
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str()),
            ("127.1", 8080, "/")
        );
        let Command::Curl(c) = parse_command("curl -s -m 2 http://ngx-svc.default.svc/x").unwrap()
        else {
            panic!("curl parses");
        };
        assert!(!c.is_local());
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str(), c.max_time_ms),
            ("ngx-svc.default.svc", 80, "/x", Some(2000))
        );
    }
}
