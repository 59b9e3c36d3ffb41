//! What can go wrong in a store.

/// A store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed (disk full, corrupt file, locked too long).
    #[error("database error: {0}")]
    Database(String),
    /// The database file could not be opened or created.
    #[error("cannot open the database at {path}: {reason}")]
    Open {
        /// The path tried.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// The store's writer has stopped; nothing more can be written.
    #[error("the store has been closed")]
    Closed,
}
