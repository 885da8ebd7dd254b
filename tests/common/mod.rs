//! Throwaway worlds for end-to-end tests: network namespaces, veth pairs, target processes, and
//! nscap itself, each removed by a guard's Drop even when the test fails.
//!
//! Every test binary compiles all of this and uses a part, hence the allowances below; a helper
//! that no test file uses at all does not belong here.
#![allow(dead_code)]

mod cgroup;
mod install;
mod nscap;
mod process;
mod runtimes;
mod sshd;
mod tmp;
mod tools;
mod world;

// A re-export counts as unused in a binary that uses nothing from its module.
#[allow(unused_imports)]
pub use self::{
    cgroup::*, install::*, nscap::*, process::*, runtimes::*, sshd::*, tmp::*, tools::*, world::*,
};
