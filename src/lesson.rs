//! The built-in lesson (`rollsim run` with no scenario): `ngx-dep`, 4 replicas of nginx 1.21
//! rolled to 1.22 with `minReadySeconds: 15`, then history, undo and change-causes — the
//! walkthrough rollsim grew from, shipped as `scenarios/nginx-lesson.yaml`.

use crate::scenario::{self, Files, Scenario, ScenarioError};

/// The lesson's scenario file.
pub const SCENARIO: &str = include_str!("../scenarios/nginx-lesson.yaml");

/// The manifests the lesson applies, as shipped beside it.
pub const FILES: [(&str, &str); 3] = [
    ("ngx-v1.yml", include_str!("../scenarios/ngx-v1.yml")),
    ("ngx-v2.yml", include_str!("../scenarios/ngx-v2.yml")),
    ("ngx-v3.yml", include_str!("../scenarios/ngx-v3.yml")),
];

/// The lesson, checked like any scenario file.
pub fn scenario(max_pods: usize) -> Result<Scenario, ScenarioError> {
    scenario::parse(
        SCENARIO,
        "scenarios/nginx-lesson.yaml (built in)",
        &Files::Embedded(&FILES),
        max_pods,
    )
}
