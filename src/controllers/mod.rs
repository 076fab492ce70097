//! The controllers: each owns one concern and reacts to watch events through the cluster.

pub mod deployment;
