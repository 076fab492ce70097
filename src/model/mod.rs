//! Plain data: Nodes, Pods, ReplicaSets, Deployments, Services; quantities, int-or-percent,
//! selectors; manifests with the API server's defaulting and validation.

pub mod explain;
pub mod faults;
pub mod intstr;
pub mod manifest;
pub mod objects;
pub mod quantity;
pub mod recorder;
pub mod scheduling;
pub mod selector;
pub mod store;
pub mod template;
pub mod traffic;
pub mod validation;

pub use faults::{Faults, ImageFault, NodeChange, NodeFault, ProbeFault, RandomFaults};
pub use intstr::{IntOrPercent, IntOrString};
pub use objects::*;
pub use selector::LabelSelector;
pub use template::{Container, PodRequests, PodTemplateSpec, compute_hash, safe_encode_string};
