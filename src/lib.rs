//! rollsim: a deterministic discrete-event simulator of how Kubernetes rolls a Deployment
//! from one version to the next.
#![forbid(unsafe_code)]

pub mod bench;
pub mod check;
pub mod cluster;
pub mod controllers;
pub mod kubectl;
pub mod lesson;
pub mod model;
pub mod play;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
