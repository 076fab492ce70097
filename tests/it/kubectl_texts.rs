//! kubectl's and the API server's texts as Kubernetes v1.36.3 prints them, through whole
//! scenarios: each case is a script and the lines its transcript must hold.

use rollsim::play::{PlayOptions, play};
use rollsim::scenario::{self, Files};

const WEB: &str = "  web.yaml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      replicas: 2\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers:\n          - name: web\n            image: nginx:1.21\n            ports: [{containerPort: 80, name: http}]\n";

/// Plays `script` (steps, one per line) against a cluster that has `web.yaml` and returns
/// the transcript.
fn transcript(files: &str, script: &str) -> String {
    let text = format!("name: texts\nfiles:\n{WEB}{files}script:\n{script}");
    let s = scenario::parse(&text, "texts.yaml", &Files::Embedded(&[]), 1000)
        .unwrap_or_else(|e| panic!("{e}"));
    rollsim::report::transcript(&play(&s, PlayOptions::default()))
}

/// The first pod `kubectl get pods` lists in a transcript.
fn first_pod(t: &str) -> String {
    let header = t.find("NAME ").expect("a pod list");
    let row = t[header..].lines().nth(1).expect("a pod row");
    row.split_whitespace().next().expect("a name").to_string()
}

fn assert_has(t: &str, line: &str) {
    assert!(
        t.lines().any(|l| l == line),
        "want the line\n{line}\nin\n{t}"
    );
}

#[test]
fn change_cause_needs_no_overwrite_but_other_annotations_do() {
    let t = transcript(
        "",
        "  - kubectl apply -f web.yaml\n  - kubectl annotate deployment web kubernetes.io/change-cause=one\n  - kubectl annotate deployment web kubernetes.io/change-cause=two\n  - kubectl annotate deployment web owner=alice\n  - kubectl annotate deployment web owner=bob\n  - sleep 1s\n  - kubectl rollout history deployment web\n",
    );
    assert!(
        !t.contains("'kubernetes.io/change-cause' already has a value"),
        "{t}"
    );
    assert_has(
        &t,
        "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (alice)",
    );
    assert_has(&t, "1         two");
}

#[test]
fn restart_twice_in_one_second_fails_as_kubectl_does() {
    let t = transcript(
        "",
        "  - kubectl apply -f web.yaml\n  - {at: 10s, run: kubectl rollout restart deployment web}\n  - kubectl rollout restart deployment web\n  - {at: 12s, run: kubectl rollout restart deployment web}\n",
    );
    assert_has(
        &t,
        "error: failed to create patch for web: if restart has already been triggered within the past second, please wait before attempting to trigger another",
    );
    assert_eq!(t.matches("deployment.apps/web restarted").count(), 2, "{t}");
}

#[test]
fn delete_names_the_namespace_and_undo_warns_about_apply() {
    let t = transcript(
        "",
        "  - kubectl apply -f web.yaml\n  - kubectl rollout undo deployment web --to-revision=-5\n  - kubectl delete deployment web\n",
    );
    assert_has(
        &t,
        "Warning: resource deployments/web was previously managed with 'kubectl apply'. Rolling back will not update the kubectl.kubernetes.io/last-applied-configuration annotation, which may cause unexpected behavior on future 'kubectl apply' operations. Consider using 'kubectl apply' with your previous configuration file instead.",
    );
    assert_has(&t, "error: unable to find specified revision -5 in history");
    assert_has(&t, "deployment.apps \"web\" deleted from default namespace");
}

#[test]
fn the_api_server_validates_names_labels_images_ports_probes_and_quantities() {
    let bad = "  bad.yaml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: Web_App, labels: {\"bad key\": x}}\n    spec:\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers:\n          - name: Web_1\n            image: nginx\n            ports: [{containerPort: 70000}]\n            livenessProbe: {httpGet: {path: /, port: 80}, successThreshold: 2, periodSeconds: -5}\n            resources: {requests: {cpu: \"-1\"}}\n";
    let t = transcript(
        bad,
        "  - kubectl apply -f bad.yaml\n  - kubectl apply -f web.yaml\n  - kubectl set image deploy/web web=\n",
    );
    for part in [
        "The Deployment \"Web_App\" is invalid: [metadata.name: Invalid value: \"Web_App\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",
        "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters",
        "spec.template.spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label",
        "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.template.spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0",
        "spec.template.spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        "spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
    ] {
        assert!(t.contains(part), "want {part:?} in\n{t}");
    }
    assert_has(
        &t,
        "The Deployment \"web\" is invalid: spec.template.spec.containers[0].image: Required value",
    );
}

#[test]
fn objects_for_another_namespace_are_refused() {
    let other = "  other.yaml: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c, namespace: prod}\n";
    let t = transcript(
        other,
        "  - kubectl apply -f other.yaml\n  - kubectl delete -f other.yaml\n",
    );
    assert_has(
        &t,
        "Error from server (NotFound): error when creating \"other.yaml\": namespaces \"prod\" not found",
    );
    assert_has(
        &t,
        "Error from server (NotFound): error when deleting \"other.yaml\": namespaces \"prod\" not found",
    );
}

#[test]
fn a_changed_selector_is_refused_with_its_json() {
    let moved = "  moved.yaml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      selector: {matchLabels: {app: web2}}\n      template:\n        metadata: {labels: {app: web2}}\n        spec: {containers: [{name: web, image: nginx}]}\n";
    let t = transcript(
        moved,
        "  - kubectl apply -f web.yaml\n  - kubectl apply -f moved.yaml\n",
    );
    assert_has(
        &t,
        "The Deployment \"web\" is invalid: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web2\"}}: field is immutable",
    );
}

#[test]
fn describe_pod_prefixes_container_events_and_names_ports() {
    let steps = "  - kubectl apply -f web.yaml\n  - kubectl rollout status deployment web\n  - kubectl get pods\n";
    let pod = first_pod(&transcript("", steps));
    let t = transcript("", &format!("{steps}  - kubectl describe pod {pod}\n"));
    assert!(t.contains("    Port:           80/TCP (http)\n"), "{t}");
    assert!(t.contains("    Host Port:      0/TCP (http)\n"), "{t}");
    assert!(
        t.contains("kubelet            spec.containers{web}: Container created\n"),
        "{t}"
    );
    assert!(
        t.contains("kubelet            spec.containers{web}: Container started\n"),
        "{t}"
    );
    assert!(
        t.contains("default-scheduler  Successfully assigned default/web-"),
        "{t}"
    );
}

#[test]
fn pods_on_a_not_ready_node_keep_their_containers_ready() {
    let play_text = |extra: &str| {
        let text = format!(
            "name: texts\ncluster:\n  nodes: [{{name: node, count: 1}}]\nfaults:\n  nodes: [{{at: 30s, node: node-1, event: down}}]\nfiles:\n{WEB}script:\n  - kubectl apply -f web.yaml\n  - {{at: 2m, run: kubectl get pods}}\n  - kubectl get deployment web\n{extra}"
        );
        let s = scenario::parse(&text, "t.yaml", &Files::Embedded(&[]), 1000).expect("scenario");
        rollsim::report::transcript(&play(&s, PlayOptions::default()))
    };
    let pod = first_pod(&play_text(""));
    let t = play_text(&format!("  - kubectl describe pod {pod}\n"));
    assert!(t.contains("   1/1     Running   0          2m\n"), "{t}");
    assert!(
        t.contains("web    0/2     2            0           2m\n"),
        "{t}"
    );
    assert!(t.contains("  Ready                       False \n"), "{t}");
    assert!(t.contains("  ContainersReady             True \n"), "{t}");
    assert!(t.contains("    Ready:          True\n"), "{t}");
}

#[test]
fn an_unparsable_selector_fails_as_the_api_server_reports_it() {
    let t = transcript(
        "",
        "  - kubectl apply -f web.yaml\n  - sleep 5s\n  - kubectl get pods -l 'app notin'\n  - kubectl get pods -l 'app in (web, api)'\n",
    );
    assert_has(
        &t,
        "Error from server (BadRequest): Unable to find \"/v1, Resource=pods\" that match label selector \"app notin\", field selector \"\": unable to parse requirement: found '' expected: '('",
    );
    let listed = t.split("app in (web, api)").nth(1).unwrap_or_default();
    assert_eq!(listed.matches("1/1     Running").count(), 2, "{t}");
}

#[test]
fn selector_expressions_are_validated_as_the_api_does() {
    let odd = "  odd.yaml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: odd}\n    spec:\n      selector:\n        matchLabels: {app: odd}\n        matchExpressions: [{key: tier, operator: In}, {key: x, operator: Near, values: [a]}]\n      template:\n        metadata: {labels: {app: odd, tier: a}}\n        spec: {containers: [{name: c, image: nginx}]}\n";
    let t = transcript(odd, "  - kubectl apply -f odd.yaml\n");
    for part in [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].operator: Invalid value: \"Near\": not a valid selector operator",
        "spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"odd\"},\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\"},{\"key\":\"x\",\"operator\":\"Near\",\"values\":[\"a\"]}]}: invalid label selector",
    ] {
        assert!(t.contains(part), "want {part:?} in\n{t}");
    }
}

#[test]
fn a_pod_bound_to_a_silent_kubelet_is_pending_with_no_container_state() {
    let play_text = |extra: &str| {
        let text = format!(
            "name: texts\ncluster:\n  nodes: [{{name: node, count: 1}}]\nfaults:\n  nodes: [{{at: 1s, node: node-1, event: down}}]\nfiles:\n{WEB}script:\n  - {{at: 10s, run: kubectl apply -f web.yaml}}\n  - {{at: 20s, run: kubectl get pods -o wide}}\n{extra}"
        );
        let s = scenario::parse(&text, "t.yaml", &Files::Embedded(&[]), 1000).expect("scenario");
        rollsim::report::transcript(&play(&s, PlayOptions::default()))
    };
    let t = play_text("");
    assert!(
        t.contains("   0/1     Pending   0          10s   <none>   node-1"),
        "{t}"
    );
    let pod = first_pod(&t);
    let t = play_text(&format!("  - kubectl describe pod {pod}\n"));
    let described = t.split("$ kubectl describe pod").nth(1).expect("described");
    assert!(
        described.contains("    Image:        nginx:1.21\n"),
        "{described}"
    );
    for absent in ["Container ID:", "Image ID:", "State:", "Restart Count:"] {
        assert!(!described.contains(absent), "{absent} in {described}");
    }
}

#[test]
fn describe_by_prefix_selector_or_all_and_get_all_need_no_seeded_names() {
    let text = "name: describe-forms\ncluster: {nodes: [{name: n, count: 2}]}\nfiles:\n  web.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web, labels: {app: web}}\n    spec:\n      replicas: 2\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers: [{name: web, image: nginx:1.27}]\nscript:\n  - kubectl apply -f web.yml\n  - kubectl rollout status deployment/web\n  - kubectl describe pod web-\n  - kubectl describe pods -l app=web\n  - kubectl describe deploy\n  - kubectl get all\n  - {run: kubectl describe pod/web-, expect: failure}\n  - kubectl describe pods -l app=none\n  - {run: kubectl describe pod nope, expect: failure}\n";
    let here = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = rollsim::scenario::Files::Dir(&here);
    let scenario = rollsim::scenario::parse(text, "describe.yaml", &files, 1_000)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = rollsim::play::play(&scenario, Default::default());
    assert_eq!(s.unexpected_failures(), 0);
    let t = rollsim::report::transcript(&s);
    let output = |command: &str| {
        let start = t
            .find(&format!("$ {command}\n"))
            .unwrap_or_else(|| panic!("{command}"));
        let rest = &t[start..];
        let body = &rest[rest.find('\n').unwrap_or(0) + 1..];
        body[..body.find("\n[00:").map_or(body.len(), |i| i + 1)].to_string()
    };
    let pods: Vec<String> = s
        .cluster
        .store
        .pods_sorted()
        .iter()
        .map(|(_, p)| s.cluster.store.pod_name(p))
        .collect();
    assert_eq!(pods.len(), 2);
    // DescribeMatchingResources: each pod whose name starts with `web-`, a newline after each.
    let by_prefix = output("kubectl describe pod web-");
    assert_eq!(
        by_prefix.matches("\nName:  ").count() + usize::from(by_prefix.starts_with("Name:")),
        2
    );
    assert!(by_prefix.starts_with(&format!("Name:             {}\n", pods[0])));
    assert!(by_prefix.contains(&format!("\n\nName:             {}\n", pods[1])));
    // A selector (or no name): the same descriptions, two newlines between them.
    let by_selector = output("kubectl describe pods -l app=web");
    assert!(by_selector.contains(&format!("\n\n\nName:             {}\n", pods[1])));
    assert_eq!(
        by_prefix.replace("\n\nName:", "\n\n\nName:"),
        format!("{by_selector}\n")
    );
    assert!(output("kubectl describe deploy").starts_with("Name:                   web\n"));
    // `get all`: the category's kinds in discovery order, each table named by type.
    let all = output("kubectl get all");
    let tables: Vec<&str> = all.split("\n\n").collect();
    assert_eq!(tables.len(), 4, "{all}");
    assert!(tables[0].contains(&format!("\npod/{}   1/1     Running", pods[0])));
    assert!(tables[1].contains("\nservice/kubernetes   ClusterIP   10.96.0.1"));
    assert!(tables[2].contains("\ndeployment.apps/web   2/2"));
    assert!(tables[3].starts_with("NAME                             DESIRED"));
    assert_eq!(
        output("kubectl describe pod/web-"),
        "Error from server (NotFound): pods \"web-\" not found\n"
    );
    assert_eq!(
        output("kubectl describe pods -l app=none"),
        "No resources found in default namespace.\n"
    );
    assert!(t.contains(
        "$ kubectl describe pod nope\nError from server (NotFound): pods \"nope\" not found\n"
    ));
}
