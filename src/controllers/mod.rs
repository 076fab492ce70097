//! The controllers: each owns one concern, reads the store, writes through the cluster's
//! API methods and is woken by the watches those writes trigger.

pub mod deployment;
pub mod endpoint_slice;
pub mod kube_proxy;
pub mod kubelet;
pub mod node_lifecycle;
pub mod replica_set;
pub mod scheduler;
