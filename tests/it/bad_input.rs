//! Bad input never panics: random bytes and random mutations of a valid scenario go through
//! the scenario parser (and, when they parse, a short play), ending in a value or a clear
//! error. Fixed proptest seed, as in `properties.rs`.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rollsim::play::{PlayOptions, play};
use rollsim::scenario::{self, Files};

const VALID: &str = "name: fuzz\nseed: 3\ncluster:\n  nodes: [{name: n, count: 2, cpu: \"2\", memory: 4Gi, pods: 20}]\ntiming:\n  imagePull: {uniform: [1s, 2s]}\nfaults:\n  images: {\"img:2\": {pull: fail, ready: {failProbability: 0.5}, exitAfter: 20s}}\n  nodes: [{at: 20s, node: n-1, event: down}, {at: 2m, node: n-1, event: up}]\n  random: {podCrashesPerHour: 5, nodeFailuresPerDay: 50, nodeRecovery: {uniform: [10s, 30s]}}\nfiles:\n  d.yml: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n    spec:\n      replicas: 3\n      strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n      selector: {matchLabels: {app: d}}\n      template:\n        metadata: {labels: {app: d}}\n        spec: {containers: [{name: c, image: \"img:1\"}]}\nscript:\n  - kubectl apply -f d.yml\n  - kubectl rollout status deploy/d --timeout=1m\n  - kubectl set image deployment/d c=img:2\n  - {at: 30s, run: kubectl get rs -o wide}\n  - kubectl describe deployment d\n  - kubectl drain n-2 --timeout=20s\n  - kubectl uncordon n-2\nuntil: 5m\n";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0xbad1),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn check(text: &str) {
    if let Ok(s) = scenario::parse(text, "fuzz.yaml", &Files::Embedded(&[]), 10_000) {
        let session = play(&s, PlayOptions::default());
        let transcript = rollsim::report::transcript(&session);
        assert!(transcript.contains("# summary"));
    }
}

#[test]
fn the_valid_base_scenario_plays() {
    let s = scenario::parse(VALID, "fuzz.yaml", &Files::Embedded(&[]), 10_000)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(play(&s, PlayOptions::default()).unexpected_failures(), 0);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn mutated_scenarios_never_panic(
        cut in 0usize..VALID.len(),
        len in 0usize..12,
        insert in "[ -~\\n]{0,12}",
    ) {
        let end = (cut + len).min(VALID.len());
        let mut text = String::new();
        text.push_str(&VALID[..cut]);
        text.push_str(&insert);
        text.push_str(&VALID[end..]);
        check(&text);
    }
}
