//! Integration tests: one binary, a module per behaviour.

mod cli;
mod common;
mod lesson;
mod properties;
mod rollouts;
