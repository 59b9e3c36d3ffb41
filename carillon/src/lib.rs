//! The Carillon server as a library: the configuration file, the command line's
//! subcommands, the metrics endpoint and the server itself. The `carillon` binary is a thin
//! command-line front over it.

pub mod cli;
pub mod config;
pub mod listen;
pub mod metrics;
pub mod server;
