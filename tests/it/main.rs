//! Integration tests: one binary, a module per behaviour.

mod bad_input;
mod bench;
mod browser;
mod charts;
mod cli;
mod common;
mod explain;
mod faults;
mod kubectl_texts;
mod lesson;
mod namespaces;
mod pod_start;
mod properties;
mod robustness;
mod rollouts;
mod scheduling;
mod sweep;
mod traffic;
mod watching;
