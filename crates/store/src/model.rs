//! The records the server keeps and the traits the services use to reach them.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::StoreError;

/// One registered contact of an address of record (RFC 3261 §10.3): what a REGISTER asked
/// for, where it came from, and until when it holds.
///
/// Times are Unix seconds (wall clock), because they must mean the same after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The address of record, canonical: `sip:user@domain` (no port, no parameters).
    pub aor: String,
    /// The contact URI exactly as the REGISTER carried it, without angle brackets
    /// (RFC 4475 cparam01, cparam02, regescrt: unknown parameters and escaped headers kept).
    pub uri: String,
    /// The Contact header parameters after the URI, as received (`;expires=60;+sip.instance=..`),
    /// empty when there were none.
    pub params: String,
    /// The q-value in thousandths (`q=0.5` is 500); `None` when the contact gave none.
    pub q: Option<u16>,
    /// When the binding ends, Unix seconds.
    pub expires_at: u64,
    /// The Call-ID of the REGISTER that made or last refreshed it.
    pub call_id: String,
    /// The CSeq number of that REGISTER.
    pub cseq: u32,
    /// Where that REGISTER came from: the source address (after NAT).
    pub source: Option<SocketAddr>,
    /// Over which transport it came, lowercase (`udp`, `tcp`, `tls`, `ws`, `wss`).
    pub transport: Option<String>,
    /// The local address it arrived on.
    pub local: Option<SocketAddr>,
    /// The Path header URIs of that REGISTER in order (RFC 3327), each as received.
    pub path: Vec<String>,
    /// The `+sip.instance` value (RFC 5626), without the quotes.
    pub instance_id: Option<String>,
    /// The `reg-id` value (RFC 5626).
    pub reg_id: Option<u32>,
    /// The User-Agent of that REGISTER.
    pub user_agent: Option<String>,
    /// When the binding was first made, Unix seconds.
    pub created_at: u64,
    /// When it was last refreshed, Unix seconds.
    pub updated_at: u64,
}

impl Binding {
    /// Whether the binding still holds at `now` (Unix seconds).
    pub fn is_live(&self, now: u64) -> bool {
        self.expires_at > now
    }
}

/// A user allowed to register and to place calls, with the digest HA1 hashes of its password
/// (RFC 7616 §3.4.2). The password itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user part (`alice`).
    pub username: String,
    /// The domain (`example.com`), which is also the digest realm.
    pub domain: String,
    /// Lowercase hex MD5 of `username:domain:password`.
    pub ha1_md5: String,
    /// Lowercase hex SHA-256 of `username:domain:password`.
    pub ha1_sha256: String,
    /// When the user was added, Unix seconds.
    pub created_at: u64,
}

/// Where the registrar keeps bindings and the proxy finds them.
///
/// Reads come from memory; writes are durable: [`LocationStore::replace`] returns a
/// [`Commit`] that resolves once the change is on disk (so a `200 OK` to REGISTER can wait
/// for it). Implementations batch many changes per disk commit.
pub trait LocationStore: Send + Sync + 'static {
    /// The bindings of `aor` that are live at `now` (Unix seconds), highest q first.
    fn lookup(&self, aor: &str, now: u64) -> Vec<Binding>;

    /// Replaces every binding of `aor` by `bindings` (an empty list removes the address of
    /// record). Readers see the new set at once; the returned [`Commit`] resolves when it is
    /// durable.
    fn replace(&self, aor: &str, bindings: Vec<Binding>) -> Commit;

    /// Every binding live at `now`, for listings and keep-alives.
    fn all(&self, now: u64) -> Vec<Binding>;

    /// Forgets the bindings that ended before `now`, in memory and on disk; returns how many.
    fn purge_expired(&self, now: u64) -> usize;

    /// Number of live bindings at `now`.
    fn count(&self, now: u64) -> usize;

    /// Waits until every change handed in so far is on disk.
    fn flush(&self) -> Result<(), StoreError>;
}

/// Where users and their password hashes are kept.
pub trait UserStore: Send + Sync + 'static {
    /// The user `username` of `domain` (domain compared case-insensitively), if it exists.
    /// Sees users added by another process (the command line) within one second.
    fn user(&self, username: &str, domain: &str) -> Result<Option<User>, StoreError>;

    /// Adds a user, or replaces its password hashes if it exists. Returns `true` if it is new.
    fn put_user(&self, user: &User) -> Result<bool, StoreError>;

    /// Removes a user; returns whether it existed.
    fn remove_user(&self, username: &str, domain: &str) -> Result<bool, StoreError>;

    /// Every user, sorted by domain then username.
    fn users(&self) -> Result<Vec<User>, StoreError>;

    /// The distinct domains of the users, lowercase, sorted.
    fn domains(&self) -> Result<Vec<String>, StoreError>;

    /// When `username@domain` was last removed (Unix seconds), if ever: bindings not newer
    /// than that belong to the removed user, not to a new user of the same name.
    fn removed_at(&self, username: &str, domain: &str) -> Result<Option<u64>, StoreError>;
}

/// A MESSAGE (RFC 3428) kept for a user who was not registered when it arrived, to be
/// delivered when the user registers (store and forward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its number in the store (assigned by [`MessageStore::store_message`]).
    pub id: u64,
    /// The recipient's address of record (`sip:user@domain`).
    pub aor: String,
    /// The From header value as received (with its tag).
    pub from: String,
    /// The To header value as received.
    pub to: String,
    /// The Content-Type, empty when the MESSAGE had none.
    pub content_type: String,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// When it arrived, Unix seconds.
    pub received_at: u64,
    /// When it is dropped if still undelivered, Unix seconds.
    pub expires_at: u64,
}

/// A ban of the server's abuse protection, as kept for restarts and for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanRecord {
    /// What is banned: an address (`192.0.2.7`) or a user at an address (`alice@192.0.2.7`).
    pub target: String,
    /// Why (`rate-limit`, `scanner-user-agent`, `auth-failures`, ...).
    pub reason: String,
    /// Since when, Unix seconds.
    pub since: u64,
    /// Until when, Unix seconds.
    pub until: u64,
}

/// Where messages wait for their recipient. Writes are durable like [`LocationStore`]'s: the
/// [`Commit`] resolves once the change is on disk, so a `202 Accepted` can wait for it.
pub trait MessageStore: Send + Sync + 'static {
    /// Keeps `message` (its `id` is ignored and assigned); returns the id and the commit.
    fn store_message(&self, message: StoredMessage) -> (u64, Commit);

    /// The messages waiting for `aor` that have not expired at `now`, oldest first.
    fn pending_messages(&self, aor: &str, now: u64) -> Result<Vec<StoredMessage>, StoreError>;

    /// Forgets a delivered (or refused) message.
    fn delete_message(&self, id: u64) -> Commit;

    /// How many messages wait for `aor` (expired ones included until purged).
    fn count_messages(&self, aor: &str) -> Result<usize, StoreError>;
}

/// A change handed to a [`LocationStore`] becoming durable: a future that resolves to `Ok(())`
/// once the change is on disk, or to the error that kept it off.
#[derive(Debug)]
pub struct Commit(CommitInner);

#[derive(Debug)]
enum CommitInner {
    Done(Option<Result<(), StoreError>>),
    Waiting(tokio::sync::oneshot::Receiver<Result<(), StoreError>>),
}

impl Commit {
    /// A commit that has already happened (or failed).
    pub fn ready(result: Result<(), StoreError>) -> Self {
        Commit(CommitInner::Done(Some(result)))
    }

    /// A commit that resolves when the writer answers on `rx`; a dropped sender means the
    /// writer stopped ([`StoreError::Closed`]).
    pub fn waiting(rx: tokio::sync::oneshot::Receiver<Result<(), StoreError>>) -> Self {
        Commit(CommitInner::Waiting(rx))
    }

    /// Blocks the thread until the commit resolves (for the command line and tests; async
    /// code awaits the future instead).
    pub fn wait(self) -> Result<(), StoreError> {
        match self.0 {
            CommitInner::Done(r) => r.unwrap_or(Err(StoreError::Closed)),
            CommitInner::Waiting(rx) => rx.blocking_recv().unwrap_or(Err(StoreError::Closed)),
        }
    }
}

impl Future for Commit {
    type Output = Result<(), StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            CommitInner::Done(r) => Poll::Ready(r.take().unwrap_or(Err(StoreError::Closed))),
            CommitInner::Waiting(rx) => Pin::new(rx)
                .poll(cx)
                .map(|r| r.unwrap_or(Err(StoreError::Closed))),
        }
    }
}
