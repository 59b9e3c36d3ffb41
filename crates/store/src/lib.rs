//! Storage for the Carillon server: users with their digest password hashes, and the durable
//! SIP location store (bindings of addresses of record to contacts).
//!
//! The services see traits ([`LocationStore`], [`UserStore`]); SQLite is the embedded
//! default, and PostgreSQL can be added behind the same traits as the shared store of
//! several nodes.

mod error;
mod model;

pub use error::StoreError;
pub use model::{Binding, Commit, LocationStore, User, UserStore};
