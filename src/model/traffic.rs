//! Plain data for request-level traffic: how each image behaves as a server (`apps:`) and
//! the clients that send it requests (`traffic:`), with the bounds a scenario may not pass.

use crate::sim::{Latency, SimTime};

/// Most entries in `apps:`.
pub const MAX_APPS: usize = 64;
/// Most clients in `traffic:`.
pub const MAX_CLIENTS: usize = 64;
/// Highest rate of one client, requests per second.
pub const MAX_RATE_PER_S: f64 = 100_000.0;
/// Highest sum of all clients' peak rates, requests per second.
pub const MAX_TOTAL_RATE_PER_S: f64 = 1_000_000.0;
/// Most steps of one client's rate schedule.
pub const MAX_SCHEDULE_STEPS: usize = 1_000;
/// Most requests one pod serves at once.
pub const MAX_CONCURRENCY: u32 = 100_000;
/// Longest client timeout.
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Most retries of one request.
pub const MAX_RETRIES: u32 = 10;

/// What a server does on its container's stop signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnStop {
    /// Stop accepting, close idle connections, finish in-flight requests (answered with
    /// `Connection: close`, HTTP/2 GOAWAY), then exit — nginx on SIGQUIT, its image's
    /// STOPSIGNAL.
    #[default]
    Graceful,
    /// Exit at once, cutting in-flight requests (nginx on SIGTERM).
    Immediate,
    /// Keep serving until SIGKILL.
    Ignore,
}

impl OnStop {
    /// The scenario's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OnStop::Graceful => "graceful",
            OnStop::Immediate => "immediate",
            OnStop::Ignore => "ignore",
        }
    }
}

/// How one image behaves as a server.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSpec {
    /// Container start → listening.
    pub startup: Latency,
    /// Time to serve one request once a slot is free.
    pub service_time: Latency,
    /// Requests served at once per pod; more wait in a queue.
    pub concurrency: u32,
    /// Behaviour on the stop signal.
    pub on_stop: OnStop,
    /// An idle keep-alive connection is closed by the server after this long
    /// (`keepalive_timeout`, 65 s in the image's `nginx.conf`).
    pub keepalive_timeout_ms: u64,
    /// A keep-alive connection is closed after this many requests (`keepalive_requests`,
    /// 1000 since nginx 1.19.10).
    pub keepalive_requests: u32,
    /// How long the image runs when it is an init container that does not `sleep N`
    /// (a database migration, say); `None` exits at once.
    pub run_for: Option<Latency>,
}

impl Default for AppSpec {
    /// nginx as the official image runs it: listening as soon as the kubelet can see its
    /// container running (nginx binds its port within milliseconds of starting, and the
    /// kubelet learns of the start by its next relist), answering a `return` directive in
    /// about a millisecond, 1024 connections per worker, stopping gracefully on the image's
    /// SIGQUIT.
    fn default() -> Self {
        AppSpec {
            startup: Latency::Constant(0),
            service_time: Latency::LogNormal {
                median_ms: 1.0,
                sigma: 0.5,
            },
            concurrency: 1024,
            on_stop: OnStop::Graceful,
            keepalive_timeout_ms: 65_000,
            keepalive_requests: 1000,
            run_for: None,
        }
    }
}

/// How a client holds connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    /// A new connection per request (each one balanced anew by kube-proxy).
    #[default]
    New,
    /// HTTP/1.1 keep-alive: a pool (at most 2 idle per host, Go's default) reusing
    /// connections until the server closes them.
    Keepalive,
    /// HTTP/2 (gRPC): one long-lived connection multiplexing every request, replaced when
    /// the server sends GOAWAY or goes away.
    Http2,
}

impl Connection {
    /// The scenario's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::New => "new",
            Connection::Keepalive => "keepalive",
            Connection::Http2 => "http2",
        }
    }
}

/// One step of a rate schedule: from `at` on, `per_s` requests per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStep {
    #[allow(missing_docs)]
    pub at: SimTime,
    #[allow(missing_docs)]
    pub per_s: f64,
}

/// A client sending requests to a Service.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSpec {
    #[allow(missing_docs)]
    pub name: String,
    /// The Service's name.
    pub service: String,
    /// The Service's namespace.
    pub namespace: String,
    /// The Service port; `None` for its first.
    pub port: Option<i32>,
    /// Nodes the client runs on, in turn; empty for every node.
    pub from: Vec<String>,
    /// Piecewise-constant Poisson rate, steps in time order, the first at 0.
    pub rate: Vec<RateStep>,
    #[allow(missing_docs)]
    pub connection: Connection,
    /// No answer after this long is a timeout.
    pub timeout_ms: u64,
    /// Attempts after a failed one.
    pub retries: u32,
}

impl ClientSpec {
    /// The rate in force at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.rate
            .iter()
            .take_while(|s| s.at <= t)
            .last()
            .map_or(0.0, |s| s.per_s)
    }

    /// When the rate next changes after `t`.
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        self.rate.iter().map(|s| s.at).find(|at| *at > t)
    }

    /// The highest rate of the schedule.
    pub fn peak_rate(&self) -> f64 {
        self.rate.iter().map(|s| s.per_s).fold(0.0, f64::max)
    }
}

/// The scenario's traffic model: apps by image, and the clients.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrafficSpec {
    /// Apps by image reference as written in the pod template.
    pub apps: Vec<(String, AppSpec)>,
    #[allow(missing_docs)]
    pub clients: Vec<ClientSpec>,
    /// Whether anything needs Services' endpoints and kube-proxy modelled (an `apps:` or
    /// `traffic:` section, or a `curl` or `port-forward` step).
    pub enabled: bool,
}

impl TrafficSpec {
    /// The app an image runs (the default app when `apps:` does not name it).
    pub fn app_index(&self, image: &str) -> Option<usize> {
        self.apps.iter().position(|(i, _)| i == image)
    }
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Answered.
    Ok,
    /// Nothing listened (connection refused).
    Refused,
    /// Cut in flight (connection reset).
    Reset,
    /// No answer within the client's timeout.
    Timeout,
    /// kube-proxy had no endpoint for the Service (REJECT).
    NoEndpoints,
}

impl Outcome {
    /// Every outcome, in column order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Refused,
        Outcome::Reset,
        Outcome::Timeout,
        Outcome::NoEndpoints,
    ];

    /// The name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Reset => "reset",
            Outcome::Timeout => "timeout",
            Outcome::NoEndpoints => "no-endpoints",
        }
    }

    /// Index into [`Outcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_gives_the_rate_in_force_and_its_next_change() {
        let c = ClientSpec {
            name: "u".into(),
            service: "s".into(),
            namespace: "default".into(),
            port: None,
            from: vec![],
            rate: vec![
                RateStep {
                    at: SimTime::ZERO,
                    per_s: 50.0,
                },
                RateStep {
                    at: SimTime::from_ms(120_000),
                    per_s: 200.0,
                },
            ],
            connection: Connection::New,
            timeout_ms: 5_000,
            retries: 0,
        };
        assert_eq!(c.rate_at(SimTime::from_ms(119_999)), 50.0);
        assert_eq!(c.rate_at(SimTime::from_ms(120_000)), 200.0);
        assert_eq!(
            c.next_change_after(SimTime::ZERO),
            Some(SimTime::from_ms(120_000))
        );
        assert_eq!(c.next_change_after(SimTime::from_ms(120_000)), None);
        assert_eq!(c.peak_rate(), 200.0);
    }
}
