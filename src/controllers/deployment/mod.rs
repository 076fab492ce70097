//! The Deployment controller: `syncDeployment` and its ladder of steps.

pub mod util;
