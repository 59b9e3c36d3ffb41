//! What [`Authenticator::verify`](crate::Authenticator::verify) decided, and why.

use crate::Algorithm;

/// The outcome of checking one set of Digest credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The response is right, the nonce fresh and its count unused: the request comes from
    /// `username`.
    Authenticated {
        /// The username of the credentials (the store's key).
        username: String,
        /// The algorithm the client used.
        algorithm: Algorithm,
    },
    /// The response is right but the nonce is too old (or its count fell out of the replay
    /// window, or its history was dropped under memory pressure, or another instance issued it). Answer 401/407 with a fresh
    /// challenge and `stale=true`: the client retries with the new nonce without asking its user
    /// for the password again (RFC 7616 §3.3).
    Stale,
    /// The credentials do not authenticate the request. Answer 401/407 with a fresh challenge
    /// (`stale=false`), or 400 for [`Rejection::is_malformed`] ones, and **send exactly the same
    /// answer for every credential failure** (see [`Rejection`]).
    Rejected(Rejection),
}

impl Verdict {
    /// The authenticated username, if any.
    pub fn username(&self) -> Option<&str> {
        match self {
            Verdict::Authenticated { username, .. } => Some(username),
            _ => None,
        }
    }

    /// Whether the request is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Verdict::Authenticated { .. })
    }
}

/// Why credentials were rejected.
///
/// These reasons are for logs and metrics, **never for the peer**. In particular
/// [`Rejection::UnknownUser`] and [`Rejection::WrongResponse`] must produce byte-for-byte the same
/// SIP answer (same status, same reason phrase, same headers), or anyone can find out which
/// usernames exist and then guess only their passwords. [`Authenticator::verify`] already spends
/// the same hashing work on both; the lookup in the store is the caller's, so keep it similar in
/// cost for known and unknown users too. Count [`Rejection::is_credential_failure`] per source
/// address and per username to slow down password guessing.
///
/// [`Authenticator::verify`]: crate::Authenticator::verify
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The credentials use another scheme than Digest.
    #[error("credentials are not Digest")]
    NotDigest,
    /// A parameter the request must carry is missing (`username`, `realm`, `nonce`, `uri`,
    /// `response`, and `nc` and `cnonce` with `qop`).
    #[error("Digest credentials lack the {0} parameter")]
    MissingParameter(&'static str),
    /// A parameter has an impossible value (`nc=00000000`).
    #[error("Digest credentials have an invalid {0} parameter")]
    InvalidParameter(&'static str),
    /// The algorithm is not one this server offers.
    #[error("unsupported Digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The `qop` is not `auth` (`auth-int` is not offered).
    #[error("unsupported Digest qop {0:?}")]
    UnsupportedQop(String),
    /// The response has no `qop`, and [`AuthConfig::allow_no_qop`](crate::AuthConfig) is off.
    #[error("Digest credentials without qop are not accepted")]
    QopRequired,
    /// `userhash=true` (RFC 7616 §3.4.4): hashed usernames are not offered.
    #[error("hashed usernames are not supported")]
    UserhashUnsupported,
    /// The credentials are for another realm than the one being checked.
    #[error("credentials are for another realm")]
    RealmMismatch,
    /// The nonce was not issued by this server for this realm: forged, altered, from another
    /// realm or another secret (for instance after the secret was rotated).
    #[error("nonce was not issued by this server for this realm")]
    ForeignNonce,
    /// The `opaque` differs from the one sent in the challenge.
    #[error("opaque does not match the challenge")]
    OpaqueMismatch,
    /// The digest-uri does not name the Request-URI: the response was computed for another
    /// request.
    #[error("digest-uri does not match the Request-URI")]
    UriMismatch,
    /// The lookup knows no such user (in this algorithm). Answer exactly as for
    /// [`Rejection::WrongResponse`].
    #[error("unknown user or wrong password")]
    UnknownUser,
    /// The response digest is wrong: wrong password, or a mangled request. Answer exactly as for
    /// [`Rejection::UnknownUser`].
    #[error("unknown user or wrong password")]
    WrongResponse,
    /// A correct response whose nonce count was already used with this nonce: a replayed
    /// request.
    #[error("nonce count {nc:08x} was already used with this nonce")]
    Replayed {
        /// The replayed nonce count.
        nc: u32,
    },
}

impl Rejection {
    /// Whether this is a failed password check ([`Rejection::UnknownUser`] or
    /// [`Rejection::WrongResponse`]): the event to count against a source or account to stop
    /// password guessing. The two are deliberately indistinguishable in their `Display` text.
    pub fn is_credential_failure(&self) -> bool {
        matches!(self, Rejection::UnknownUser | Rejection::WrongResponse)
    }

    /// Whether the credentials are syntactically incomplete or impossible (a 400 Bad Request is
    /// an acceptable answer; a fresh challenge is too).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            Rejection::MissingParameter(_) | Rejection::InvalidParameter(_)
        )
    }
}
