//! Storage for the Carillon server: users with their digest password hashes, and the durable
//! SIP location store (bindings of addresses of record to contacts).
//!
//! The services see traits ([`LocationStore`], [`UserStore`]); [`SqliteStore`] is the
//! embedded default, and PostgreSQL can be added behind the same traits as the shared store
//! of several nodes.
//!
//! ```no_run
//! use carillon_store::{LocationStore, SqliteStore, StoreOptions};
//!
//! # fn main() -> Result<(), carillon_store::StoreError> {
//! let store = SqliteStore::open(std::path::Path::new("/var/lib/carillon"), StoreOptions::default())?;
//! let now = 1_700_000_000;
//! for binding in store.lookup("sip:alice@example.com", now) {
//!     println!("{}", binding.uri);
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod model;
mod options;
mod sqlite;

pub use error::StoreError;
pub use model::{
    BanRecord, Binding, Commit, LocationStore, MessageStore, StoredMessage, User, UserStore,
};
pub use options::{StoreOptions, StoreStats};
pub use sqlite::{DATABASE_FILE, SqliteStore};
