//! `rollsim run --explain`: the controller's arithmetic beside kubectl's session, and
//! nothing else changed.

use std::path::PathBuf;
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("explain-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn explanations_are_added_lines_and_nothing_else_changes() {
    for scenario in [
        "scenarios/nginx-lesson.yaml",
        "scenarios/hundred-replicas.yaml",
        "scenarios/proportional-scaling.yaml",
    ] {
        let dir = scratch("lines");
        let plain = run(&["run", scenario, "--out", dir.to_str().unwrap()]);
        let explained = run(&["run", scenario, "--explain", "--out", dir.to_str().unwrap()]);
        let why: Vec<&str> = explained
            .lines()
            .filter(|l| l.contains("] # why: "))
            .collect();
        assert!(!why.is_empty(), "{scenario}");
        let without: Vec<&str> = explained
            .lines()
            .filter(|l| !l.contains("] # why: "))
            .collect();
        assert_eq!(without, plain.lines().collect::<Vec<_>>(), "{scenario}");
        let name = scenario
            .trim_start_matches("scenarios/")
            .trim_end_matches(".yaml");
        let csv = std::fs::read_to_string(dir.join(name).join("explain.csv")).expect("explain.csv");
        assert!(
            csv.starts_with("time_s,controller,object,decision,reason\n"),
            "{csv}"
        );
        assert_eq!(
            csv.lines().count(),
            why.len() + 1,
            "{scenario}: a row per line"
        );
    }
}

#[test]
fn the_lessons_first_update_is_explained_step_by_step() {
    let dir = scratch("lesson");
    let explained = run(&["run", "--explain", "--out", dir.to_str().unwrap()]);
    // The Deployment and ReplicaSet controllers' decisions (the lesson's Service also has
    // its endpoint changes explained, in between).
    let why: Vec<&str> = explained
        .lines()
        .filter(|l| l.contains("] # why: ") && !l.contains("endpointslice-controller"))
        .collect();
    assert!(explained.contains("] # why: endpointslice-controller ngx-svc marks pod "));
    let expected = [
        "[00:01:04.841] # why: deployment-controller ngx-dep scaled up new replica set ngx-dep-59cd944776 from 0 to 1: maxSurge 25% of 4 rounded up = 1, so at most 4 + 1 = 5 pods in ReplicaSets; 4 asked for now, so the new one may grow by 1 of the 4 it still lacks",
        "[00:01:04.841] # why: deployment-controller ngx-dep scaled down old replica set ngx-dep-5b65f9bcc from 4 to 3: maxUnavailable 25% of 4 rounded down = 1, so at least 4 − 1 = 3 must stay available; 4 are available, so up to 1 pod may go",
        "[00:01:04.846] # why: deployment-controller ngx-dep scaled up new replica set ngx-dep-59cd944776 from 1 to 2: maxSurge 25% of 4 rounded up = 1, so at most 4 + 1 = 5 pods in ReplicaSets; 4 asked for now, so the new one may grow by 1 of the 3 it still lacks",
        "[00:01:04.846] # why: replicaset-controller ngx-dep-5b65f9bcc deletes pod ngx-dep-5b65f9bcc-xvqnv: deletion ranking: it equals ngx-dep-5b65f9bcc-r262r in every rule, and the smaller UID goes first",
        "[00:01:04.851] # why: deployment-controller ngx-dep waits: 5 pods asked for and the ceiling is 5, so no new pod; 3 available and the floor is 3, so no old pod may go (2 of the new ones not yet available; 4 wanted)",
    ];
    assert_eq!(&why[1..6], &expected);
}

#[test]
fn chinese_explanations_are_the_same_decisions_in_other_words() {
    let dir = scratch("zh");
    let out = dir.to_str().unwrap();
    let plain = run(&["run", "--lang", "zh-CN", "--out", out]);
    let en = run(&["run", "--explain", "--out", out]);
    let zh = run(&["run", "--explain", "--lang", "zh-CN", "--out", out]);
    let times = |text: &str, marker: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(marker))
            .map(|l| l[..15].to_string())
            .collect()
    };
    assert_eq!(times(&en, "] # why: "), times(&zh, "] # 原因: "));
    // Without its explanations, the Chinese transcript is the plain Chinese one.
    let without: Vec<&str> = zh.lines().filter(|l| !l.contains("] # 原因: ")).collect();
    assert_eq!(without, plain.lines().collect::<Vec<_>>());
    assert!(zh.contains("将旧 ReplicaSet ngx-dep-5b65f9bcc 从 4 缩容到 3: maxUnavailable 4 的 25% 向下取整 = 1，所以至少 4 − 1 = 3 个 Pod 必须保持可用；当前 4 个可用，所以最多可删除 1 个"), "{zh}");
    let csv = std::fs::read_to_string(dir.join("nginx-lesson/explain.csv")).expect("explain.csv");
    assert!(
        csv.contains("deployment/ngx-dep,将新 ReplicaSet ngx-dep-59cd944776 从 0 扩容到 1,"),
        "{csv}"
    );
}

/// In the shipped scenarios, each `ScalingReplicaSet` event has exactly one explanation, in
/// order, with its ReplicaSet, from and to: rolling steps, Recreate, and `kubectl scale`
/// (proportional scaling mid-rollout, and a paused rollout resized).
#[test]
fn every_scaling_event_of_a_rollout_is_explained() {
    let scenarios = [
        "nginx-lesson",
        "three-replica-update",
        "recreate",
        "hundred-replicas",
        "history-undo",
        "bad-image-undo",
        "crash-loop",
        "capacity-stall",
        "node-failure",
        "flaky-release",
        "traffic-lesson",
        "traffic-prestop",
        "proportional-scaling",
        "stuck-rollout-scaling",
        "pause-resume",
    ];
    for name in scenarios {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
        let scenario = rollsim::scenario::load(&path, 100_000).expect("loads");
        let s = rollsim::play::play(&scenario, Default::default());
        let (events, explained) = crate::common::scalings(&s.cluster);
        assert!(!events.is_empty(), "{name}");
        assert_eq!(events, explained, "{name}");
    }
}

/// In every shipped scenario, each pod the ReplicaSet controller deletes (`SuccessfulDelete`)
/// has exactly one explanation naming it and the rule that chose it, at the same moment.
#[test]
fn every_pod_the_replicaset_controller_deletes_is_explained() {
    use rollsim::model::explain::{DeletionRule, ExplainStep};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !p.ends_with("large-rollout.yaml"))
        .collect();
    files.sort();
    let mut ranked = 0;
    for path in files {
        let scenario = rollsim::scenario::load(&path, 100_000).expect("loads");
        let s = rollsim::play::play(&scenario, Default::default());
        let deleted: Vec<(rollsim::sim::SimTime, String)> = s
            .cluster
            .recorder
            .events
            .iter()
            .filter(|e| e.reason == "SuccessfulDelete")
            .map(|e| {
                (
                    e.time,
                    e.message.trim_start_matches("Deleted pod: ").to_string(),
                )
            })
            .collect();
        let explained: Vec<(rollsim::sim::SimTime, String)> = s
            .cluster
            .recorder
            .explanations
            .iter()
            .filter_map(|e| match &e.step {
                ExplainStep::DeletePod { pod, rule, .. } => {
                    ranked += usize::from(*rule != DeletionRule::All);
                    Some((e.time, pod.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(deleted, explained, "{}", path.display());
    }
    assert!(ranked > 0, "some deletions were chosen by the ranking");
}

#[test]
fn the_progress_deadline_is_explained_just_before_rollout_status_fails() {
    let dir = scratch("deadline");
    let out = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args([
            "run",
            "scenarios/bad-image-undo.yaml",
            "--explain",
            "--out",
            dir.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("exceeded its progress deadline"))
        .expect("rollout status fails");
    assert_eq!(
        lines[at - 1],
        "[00:11:13.000] # why: deployment-controller nginx-deployment marks the rollout ProgressDeadlineExceeded: no progress since 00:01:12.000 (the Progressing condition's last update: a new ReplicaSet, or more pods ready or available), longer than progressDeadlineSeconds 600 s; the controller keeps the rollout as it is, and rollout status fails"
    );
}

/// `--lang zh-CN` without `--explain`: kubectl's lines as they are, the summary, charts,
/// summary.yaml's `lang` and the page in Chinese.
#[test]
fn the_chinese_run_translates_rollsims_words_and_leaves_kubectls() {
    let (en_dir, zh_dir) = (scratch("lang-en"), scratch("lang-zh"));
    let en = run(&["run", "--out", en_dir.to_str().unwrap()]);
    let zh = run(&["run", "--lang", "zh-CN", "--out", zh_dir.to_str().unwrap()]);
    let session = |t: &str| t.split("\n\n# ").next().unwrap_or_default().to_string();
    assert_eq!(session(&en), session(&zh), "kubectl's lines are the same");
    assert!(zh.contains("# 摘要：场景 nginx-lesson，种子 42"), "{zh}");
    assert!(
        zh.contains("#   第 2 次滚动更新到修订版本 2（nginx:1.22-alpine）"),
        "{zh}"
    );
    let file =
        |d: &PathBuf, f: &str| std::fs::read_to_string(d.join("nginx-lesson").join(f)).expect(f);
    assert!(file(&zh_dir, "summary.yaml").contains("lang: zh-CN"));
    assert!(!file(&en_dir, "summary.yaml").contains("lang:"));
    assert!(file(&zh_dir, "rollout.svg").contains("虚拟时间（秒）"));
    assert!(file(&zh_dir, "report.html").contains("<html lang=\"zh-CN\">"));
}

/// Each endpoint change is explained with the ready count the EndpointSlice then held.
#[test]
fn endpoint_changes_are_explained_with_the_slices_ready_count() {
    use rollsim::model::explain::ExplainStep;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/traffic-lesson.yaml");
    let scenario = rollsim::scenario::load(&path, 100_000).expect("loads");
    let s = rollsim::play::play(&scenario, Default::default());
    let slices = &s.cluster.traffic().expect("traffic").stats.slices;
    let mut explained = 0;
    for e in &s.cluster.recorder.explanations {
        if let ExplainStep::Endpoint { ready, .. } = &e.step {
            explained += 1;
            assert!(
                slices.iter().any(|x| x.time == e.time && x.ready == *ready),
                "{e:?}"
            );
        }
    }
    assert!(
        explained >= 16,
        "every pod of four rollouts moves through its endpoint"
    );
}
