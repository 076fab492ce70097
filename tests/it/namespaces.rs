//! Namespaces: one manifest applied to two namespaces stays two independent sets of
//! objects — selectors, budgets, events and reports never cross a namespace.

use crate::common::play_shipped as play;
use rollsim::model::object_key;

#[test]
fn the_same_deployment_in_two_namespaces_is_two_deployments() {
    let s = play("namespaces");
    assert_eq!(s.unexpected_failures(), 0);
    let store = &s.cluster.store;
    // staging's web was deleted at the end; prod's is untouched by staging's rollout.
    assert!(store.deployment_by_name("staging", "web").is_none());
    let (prod, d) = store.deployment_by_name("prod", "web").expect("prod/web");
    assert_eq!(d.meta.namespace, "prod");
    assert_eq!(
        d.meta.generation, 1,
        "staging's new revision never touched prod"
    );
    for (_, rs) in store.replica_sets_of(prod) {
        assert_eq!(rs.meta.namespace, "prod");
    }
    // Every pod belongs to its ReplicaSet's namespace, and each Service's endpoints (and
    // prod's budget) count only their own namespace's pods.
    let prod_pods = store
        .pods
        .iter()
        .filter(|p| !p.gone && store.pod_namespace(p) == "prod")
        .count();
    assert_eq!(prod_pods, 2);
    let budget = &store.pdbs[&object_key("prod", "web")];
    let status = s.cluster.pdb_status(budget);
    assert_eq!((status.current_healthy, status.disruptions_allowed), (2, 1));
    // Events name their namespace; the rollout's scale events exist only in staging.
    let scaled_down_in =
        |ns: &str| {
            s.cluster.recorder.events.iter().any(|e| {
                e.object.namespace == ns && e.message.starts_with("Scaled down replica set")
            })
        };
    assert!(scaled_down_in("staging") && !scaled_down_in("prod"));
    // Reports keep the two apart.
    assert!(s.rollouts.contains_key("prod/web") && s.rollouts.contains_key("staging/web"));
    assert_eq!(s.rollouts["staging/web"].len(), 2);
    assert_eq!(s.rollouts["prod/web"].len(), 1);
}

#[test]
fn kubectl_refuses_what_the_api_server_and_kubectl_refuse_about_namespaces() {
    let s = play("namespaces");
    let t = rollsim::report::transcript(&s);
    for expected in [
        "Error from server (NotFound): error when creating \"web.yml\": namespaces \"staging\" not found\n",
        "Error from server (AlreadyExists): namespaces \"prod\" already exists\n",
        "error: the namespace from the provided object \"prod\" does not match the namespace \"staging\". You must pass '--namespace=prod' to perform this operation.\n",
        "No resources found in qa namespace.\n",
        "error: a resource cannot be retrieved by name across all namespaces\n",
        "deployment.apps \"web\" deleted from staging namespace\n",
        "namespace/staging created\n",
    ] {
        assert!(t.contains(expected), "missing {expected:?}");
    }
}

#[test]
fn a_namespace_manifest_is_applied_before_the_objects_after_it() {
    let text = "name: ns-manifest\ncluster: {nodes: [{name: n, count: 2}]}\nfiles:\n  app.yml: |\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: prod, labels: {team: shop}}\n    ---\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web, namespace: prod}\n    spec:\n      replicas: 2\n      selector: {matchLabels: {app: web}}\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers: [{name: web, image: nginx:1.27}]\n  bad.yml: |\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: Bad_Name}\nscript:\n  - kubectl apply -f app.yml\n  - kubectl rollout status deployment/web -n prod\n  - kubectl apply -f app.yml\n  - {run: kubectl apply -f bad.yml, expect: failure}\n  - {run: kubectl delete -f app.yml, expect: failure}\n";
    let here = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = rollsim::scenario::Files::Dir(&here);
    let scenario =
        rollsim::scenario::parse(text, "ns.yaml", &files, 1_000).unwrap_or_else(|e| panic!("{e}"));
    let s = rollsim::play::play(&scenario, Default::default());
    assert_eq!(s.unexpected_failures(), 0);
    let t = rollsim::report::transcript(&s);
    for expected in [
        "$ kubectl apply -f app.yml\nnamespace/prod created\ndeployment.apps/web created\n",
        "deployment \"web\" successfully rolled out\n",
        "namespace/prod unchanged\ndeployment.apps/web unchanged\n",
        "The Namespace \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of",
        "error: deleting namespace \"prod\" (and everything in it) is not simulated by rollsim\n",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in\n{t}");
    }
    assert!(s.cluster.store.namespaces.contains_key("prod"));
    assert!(!s.cluster.store.namespaces.contains_key("Bad_Name"));
}
