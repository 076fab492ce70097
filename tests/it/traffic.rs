//! Request-level traffic: every request counted exactly once, the same seed giving the same
//! counts, the preStop fix removing every failure the plain rollout shows, and scenarios
//! without traffic writing nothing of it.

use rollsim::play::{PlayOptions, Session, play};
use rollsim::report::traffic::{client_summaries, traffic_csv};
use std::path::Path;

fn run(file: &str, seed: Option<u64>) -> Session {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let scenario = rollsim::scenario::load(&path, 100_000).expect("the scenario loads");
    play(
        &scenario,
        PlayOptions {
            seed,
            ..PlayOptions::default()
        },
    )
}

const TRAFFIC_SCENARIOS: [&str; 4] = [
    "traffic-lesson.yaml",
    "traffic-prestop.yaml",
    "traffic-slow-start.yaml",
    "traffic-long-lived.yaml",
];

#[test]
fn every_request_sent_has_exactly_one_outcome() {
    for file in TRAFFIC_SCENARIOS {
        for seed in [1, 2, 3] {
            let s = run(file, Some(seed));
            for c in client_summaries(&s) {
                let outcomes = c.ok + c.refused + c.reset + c.timeout + c.no_endpoints;
                assert!(c.requests > 1000, "{file} {}: traffic flowed", c.client);
                assert_eq!(
                    outcomes + c.unresolved,
                    c.requests,
                    "{file} seed {seed} {}: sent = sum of outcomes + still in flight",
                    c.client
                );
                // Only requests sent in the last moments may still be in flight.
                assert!(
                    c.unresolved <= 50,
                    "{file} {}: {} unresolved",
                    c.client,
                    c.unresolved
                );
                let served: u64 = c.served_by_revision.iter().map(|r| r.requests).sum();
                assert_eq!(served, c.ok, "{file} {}: every ok has a revision", c.client);
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_requests_and_another_seed_other_ones() {
    let a = traffic_csv(&run("traffic-long-lived.yaml", Some(9)));
    let b = traffic_csv(&run("traffic-long-lived.yaml", Some(9)));
    let c = traffic_csv(&run("traffic-long-lived.yaml", Some(10)));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn a_pre_stop_sleep_and_readiness_probe_remove_the_failures_of_the_plain_rollout() {
    for seed in [1, 2, 3, 4] {
        let plain = client_summaries(&run("traffic-lesson.yaml", Some(seed)));
        let fixed = client_summaries(&run("traffic-prestop.yaml", Some(seed)));
        assert!(
            plain[0].refused > 0,
            "seed {seed}: the race refuses connections"
        );
        let f = &fixed[0];
        assert_eq!(
            f.refused + f.reset + f.timeout + f.no_endpoints,
            0,
            "seed {seed}: {f:?}"
        );
        assert_eq!(f.ok + f.unresolved, f.requests);
    }
}

#[test]
fn an_app_slow_to_listen_is_refused_without_a_readiness_probe_only() {
    let s = run("traffic-slow-start.yaml", None);
    let rows = traffic_csv(&s);
    let refused_after = |from: u64, to: u64| -> u64 {
        rows.lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let t: u64 = f[0].parse().ok()?;
                (f[3] == "refused" && (from..to).contains(&t)).then(|| f[4].parse::<u64>().ok())?
            })
            .sum()
    };
    let v2_apply = s.steps[3].start.as_secs();
    let v3_apply = s.steps[6].start.as_secs();
    let without_probe = refused_after(v2_apply, v3_apply);
    let with_probe = refused_after(v3_apply, u64::MAX);
    assert!(without_probe > 500, "{without_probe}");
    // Only the old (probe-less, preStop-less) pods' shutdown race remains.
    assert!(
        with_probe * 20 < without_probe,
        "{with_probe} vs {without_probe}"
    );
}

#[test]
fn an_http2_client_stays_on_one_pod_while_per_request_traffic_spreads() {
    let s = run("traffic-long-lived.yaml", None);
    let csv = traffic_csv(&s);
    // Seconds in which a client was served by both revisions at once.
    let mixed = |client: &str| -> usize {
        let mut by_second: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
        for l in csv.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            if f[1] == client && f[3] == "ok" {
                by_second
                    .entry(f[0].parse().unwrap_or(0))
                    .or_default()
                    .push(f[2].to_string());
            }
        }
        by_second.values().filter(|revs| revs.len() > 1).count()
    };
    let (per_request, grpc) = (mixed("per-request"), mixed("grpc"));
    assert!(
        per_request > 5,
        "new connections spread over both revisions"
    );
    // The one multiplexed connection changes pod only when its pod says GOAWAY: on its
    // graceful stop, or after nginx's keepalive_requests (1,000, about 10 s at 100/s), when
    // the new connection may land on either revision while both serve.
    assert!(
        grpc <= 4 && grpc * 5 < per_request,
        "one connection moves now and then: {grpc} mixed seconds vs {per_request}"
    );
}

#[test]
fn a_scenario_without_traffic_models_none() {
    let s = run("three-replica-update.yaml", None);
    assert!(s.cluster.traffic().is_none());
    assert!(client_summaries(&s).is_empty());
}

#[test]
fn endpoints_views_filter_differently_and_say_not_found_as_kubectl_does() {
    use rollsim::kubectl::get::{GetArgs, get};
    use rollsim::scenario::{Kind, Scope};
    let s = run("traffic-lesson.yaml", None);
    let scope = Scope::default();
    let args = |kind, name| GetArgs {
        kind,
        name,
        wide: false,
        selector: None,
        show_labels: false,
        sort_by_last_timestamp: false,
        scope: &scope,
        prefixed: false,
        raw: false,
        just_deleted: false,
    };
    let get_endpoints = |c, name| get(c, &args(Kind::Endpoints, name));
    let get_endpoint_slices = |c, name| get(c, &args(Kind::EndpointSlice, name));
    let missing = get_endpoints(&s.cluster, Some("nope"));
    assert!(!missing.ok);
    assert_eq!(
        missing.text,
        "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\nError from server (NotFound): endpoints \"nope\" not found\n"
    );
    let missing = get_endpoint_slices(&s.cluster, Some("nope"));
    assert_eq!(
        missing.text,
        "Error from server (NotFound): endpointslices.discovery.k8s.io \"nope\" not found\n"
    );
    let all = get_endpoints(&s.cluster, None);
    assert!(
        all.ok && all.text.contains("kubernetes   172.18.0.2:6443"),
        "{}",
        all.text
    );
}

#[test]
fn service_fields_from_real_manifests_are_accepted_and_unsimulated_policies_refused() {
    let scenario = |policy: &str| {
        format!(
            "name: svc\ncluster:\n  nodes: [{{name: node, count: 1}}]\nfiles:\n  s.yml: |\n    apiVersion: v1\n    kind: Service\n    metadata: {{name: s}}\n    spec:\n      selector: {{app: x}}\n      ports: [{{port: 80}}]\n      internalTrafficPolicy: {policy}\n      ipFamilies: [IPv4]\n      ipFamilyPolicy: SingleStack\n      clusterIPs: [10.96.0.9]\nscript:\n  - kubectl apply -f s.yml\n"
        )
    };
    let files = rollsim::scenario::Files::Embedded(&[]);
    let ok = rollsim::scenario::parse(&scenario("Cluster"), "svc.yaml", &files, 100);
    assert!(ok.is_ok(), "{:?}", ok.err());
    let err = rollsim::scenario::parse(&scenario("Local"), "svc.yaml", &files, 100)
        .expect_err("Local is refused");
    assert!(
        err.to_string()
            .contains("spec.internalTrafficPolicy: \"Local\" is not simulated"),
        "{err}"
    );
}

/// GetFirstPod's order: a port-forward to a Service binds to the pod Ready the longest, so
/// a pod added later is never the one chosen, and it stays bound to that pod (never
/// re-resolved) until the pod goes.
#[test]
fn port_forward_binds_once_to_the_pod_ready_the_longest() {
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata:\n  default.conf: |\n    server { listen 80; location / { return 200 'host: $hostname\\n'; } }\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      volumes: [{name: conf, configMap: {name: conf}}]\n      containers:\n      - {name: nginx, image: \"nginx:1.21-alpine\", volumeMounts: [{name: conf, mountPath: /etc/nginx/conf.d}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";
    let text = "name: forward\ncluster:\n  nodes: [{name: node, count: 2}]\nscript:\n  - kubectl apply -f web.yml\n  - kubectl rollout status deployment web\n  - sleep 10s\n  - kubectl scale deployment web --replicas=3\n  - kubectl rollout status deployment web\n  - kubectl port-forward svc/web 8080:80 &\n  - curl 127.1:8080\n  - curl 127.1:8080\n";
    let files = [("web.yml", manifest)];
    let scenario = rollsim::scenario::parse(
        text,
        "forward.yaml",
        &rollsim::scenario::Files::Embedded(&files),
        100,
    )
    .expect("parses");
    let s = play(&scenario, PlayOptions::default());
    assert_eq!(s.unexpected_failures(), 0);
    let store = &s.cluster.store;
    let newest = store
        .pods
        .iter()
        .max_by_key(|p| p.created_at)
        .map(|p| store.pod_name(p))
        .expect("pods");
    let transcript = rollsim::report::transcript(&s);
    let hosts: Vec<&str> = transcript
        .lines()
        .filter_map(|l| l.strip_prefix("host: "))
        .collect();
    assert_eq!(hosts.len(), 2, "{transcript}");
    assert_eq!(hosts[0], hosts[1], "bound once, to one pod");
    assert_ne!(hosts[0], newest, "the pod Ready the shortest is not chosen");
    assert_eq!(
        transcript.matches("Handling connection for 8080").count(),
        2,
        "one line per accepted connection"
    );
}
