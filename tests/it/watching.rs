//! Watching a rollout as people do: `kubectl get -w` in the foreground for a step's
//! `timeout:` and in the background (`&`), `kubectl wait`, `patch`, `set env`,
//! `set resources`, `get deploy,rs` and `deployment.v1.apps/NAME`.

use crate::common::play_shipped as play;

fn load_error(script: &str) -> String {
    let dir = std::env::temp_dir().join(format!("rollsim-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.yaml");
    std::fs::write(
        &path,
        format!("name: s\ncluster: {{nodes: [{{name: n}}]}}\nscript:\n{script}\n"),
    )
    .unwrap();
    let err = rollsim::scenario::load(&path, 1000)
        .expect_err("refused")
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    err
}

#[test]
fn watches_print_rows_as_they_change_until_stopped_or_the_run_ends() {
    let s = play("watching-a-rollout");
    assert_eq!(s.unexpected_failures(), 0);
    let t = rollsim::report::transcript(&s);
    // The foreground `get rs -w` (started at 4.949 s) runs for its 20 s timeout.
    let watch = t.find("$ kubectl get rs -w\n").unwrap();
    let next = t[watch..]
        .find("$ kubectl rollout status deployment/web --watch")
        .unwrap();
    assert!(t[watch + next - 20..watch + next].contains("[00:00:24.949]"));
    // A ReplicaSet row each time its counts change, aligned with the first table.
    assert!(t.contains("web-7d979f58d5   3         3         3       4s\n"));
    assert!(t.contains("] web-7d979f58d5   2         3         3       8s\n"));
    // The background pod watch goes on through later steps. A deleted pod is Terminating
    // until its containers exit; then the kubelet's terminal status (phase Succeeded:
    // `0/1 Completed`, v1.27+) and the DELETED event print its last state, aged as of then.
    let terminating = "web-7d979f58d5-czrm2   1/1     Terminating   0          8s\n";
    assert_eq!(t.matches(terminating).count(), 1, "{t}");
    let completed =
        "[00:00:09.650] web-7d979f58d5-czrm2   0/1     Completed           0          9s\n";
    assert_eq!(t.matches(completed).count(), 2, "{t}");
    assert!(!t.contains("czrm2   1/1     Terminating         0          8s"));
    assert!(t.contains("] web-c5f6dcf4-5vqzj     1/1     Running"));
    for line in [
        "[00:00:04.949] deployment.apps/web condition met\n",
        "deployment.apps/web patched\n",
        "deployment.apps/web patched (no change)\n",
        "deployment.apps/web env updated\n",
        "deployment.apps/web resource requirements updated\n",
        "deployment.apps/web   4/4     4            4           36s\n\nNAME ",
        "replicaset.apps/web-c5f6dcf4     4         4         4       5s\n",
        "error: unable to find container named nope\n",
        "Error from server (NotFound): deployments.apps \"missing\" not found\n",
    ] {
        assert!(t.contains(line), "missing {line:?}");
    }
    // The patch took effect: 4 replicas, maxSurge 0; set env and set resources made
    // revision 3 with both changes.
    let (_, d) = s
        .cluster
        .store
        .deployment_by_name("default", "web")
        .unwrap();
    assert_eq!(d.spec.replicas, 4);
    use rollsim::model::{IntOrPercent, Strategy};
    assert_eq!(
        d.spec.strategy,
        Strategy::RollingUpdate {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Int(1)
        }
    );
    let web = &d.spec.template.spec.containers[0];
    assert_eq!(web.env[0].name, "LOG_LEVEL");
    let limits = &web.resources.as_ref().unwrap().limits;
    assert_eq!(limits.len(), 2);
    assert_eq!(d.meta.annotations["deployment.kubernetes.io/revision"], "4");
}

#[test]
fn a_watch_needs_a_timeout_or_the_background_and_one_type() {
    let e = load_error("  - kubectl get pods -w");
    assert!(e.contains("give the step a `timeout:`"), "{e}");
    let e = load_error("  - {run: kubectl get pods, timeout: 5s}");
    assert!(e.contains("`timeout:` stops a watch"), "{e}");
    let e = load_error("  - {run: 'kubectl get deploy,rs -w', timeout: 5s}");
    assert!(
        e.contains("you may only specify a single resource type"),
        "{e}"
    );
    let e = load_error("  - kubectl get nodes &");
    assert!(e.contains("run in the background"), "{e}");
}
