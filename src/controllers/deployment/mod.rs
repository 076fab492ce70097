//! The Deployment controller (`pkg/controller/deployment/`): `syncDeployment` and its ladder
//! of steps — revision sync, RollingUpdate, Recreate, proportional scaling, status and the
//! progress deadline. Arithmetic lives in [`util`] as pure functions.

mod explain;
mod progress;
mod recreate;
mod rolling;
mod sync;
pub mod util;

pub(crate) use sync::sync_deployment;
pub use util::set_condition;
