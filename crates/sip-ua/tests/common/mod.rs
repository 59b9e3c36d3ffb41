//! What the interop tests share: the generic helpers of `interop-harness`, and running our
//! agent.

// Each test file uses its own part of this module.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::process::Command;

pub use interop_harness::*;

/// The `carillon-ua` binary cargo built for these tests.
pub const UA: &str = env!("CARGO_BIN_EXE_carillon-ua");

/// `carillon-ua` with these arguments.
pub fn ua_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(UA);
    cmd.args(args);
    cmd
}

/// The last line of our agent's output that starts with `carillon-ua: report`.
pub fn report(stdout: &str) -> String {
    stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("carillon-ua: report"))
        .unwrap_or_else(|| panic!("no report line in:\n{stdout}"))
        .to_owned()
}
