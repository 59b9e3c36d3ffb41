//! The server side: challenges out, credentials in, a [`Verdict`] back.

use std::fmt;
use std::time::Duration;

use sip_message::header::{Algorithm as WireAlgorithm, Credentials};

use crate::digest::{QopAuth, constant_time_eq, request_digest};
use crate::nonce::{NonceId, NonceMinter};
use crate::replay::{NcRefusal, ReplayTable};
use crate::uri::digest_uri_matches;
use crate::{Algorithm, Rejection, Verdict, quote};

/// Settings of an [`Authenticator`]. `Default` gives the values documented on each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// How long a nonce stays valid after its challenge. Default 300 s. A correct response with
    /// an older nonce gets [`Verdict::Stale`]. Longer means fewer 401 round trips for clients
    /// that reuse nonces, and a longer replay window for responses without `qop`.
    pub nonce_lifetime: Duration,
    /// The algorithms offered, one challenge header each, in this order of preference
    /// (RFC 8760: one header per algorithm, the preferred first). Responses in any other
    /// algorithm are rejected. Default `[Sha256, Md5]`: most SIP phones still only speak MD5, and
    /// those that know SHA-256 pick it from the first header. An empty list offers nothing and
    /// rejects everything.
    pub algorithms: Vec<Algorithm>,
    /// Accept responses without `qop` (RFC 2069 style, RFC 3261 §22.4 for "backwards
    /// compatibility with RFC 2069"). Default `true`, for old phones and gateways.
    ///
    /// The trade-off: such a response has no client nonce and no nonce count, so the server
    /// cannot tell a replay from the client reusing its nonce. Anyone who captures a request can
    /// replay it (same method, same Request-URI) until its nonce goes stale, and the client
    /// contributes no randomness to what it hashes. Turn this off when every client sends
    /// `qop=auth`, which all current SIP stacks do when it is offered (it always is).
    pub allow_no_qop: bool,
    /// Refuse a response whose `uri` parameter does not name the Request-URI
    /// ([`Rejection::UriMismatch`]). Default `true`. Some clients (SIPp) put the server's
    /// address there instead; the response digest covers the `uri` the client used and the
    /// method, and nonce counts stop replays, so turning this off for them costs little.
    pub check_digest_uri: bool,
    /// How many nonces' nonce-count windows are remembered, at most (about 60 bytes each).
    /// Default 100 000. Nonces leave the table when they go stale; when it is full, the oldest
    /// is forgotten and a later use of it gets [`Verdict::Stale`] (never accepted as new).
    pub max_tracked_nonces: usize,
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            nonce_lifetime: Duration::from_secs(300),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            allow_no_qop: true,
            check_digest_uri: true,
            max_tracked_nonces: 100_000,
        }
    }
}

/// Digest authentication for a SIP server (registrar, proxy, UAS): issues challenges and
/// verifies credentials. Sans-IO: time is a parameter, users come from a lookup closure.
///
/// Nonces are stateless (a MAC over their issue time and realm, see [`Authenticator::new`]), so
/// challenging costs no memory; only nonces that authenticated a `qop=auth` request take a slot
/// in the bounded replay table.
///
/// ```
/// use sip_auth::{Algorithm, AuthConfig, Authenticator, ClientCredentials, Verdict, client_response, ha1};
/// use sip_message::header::{Challenge, Credentials};
///
/// let mut auth = Authenticator::new(AuthConfig::default(), [42; 32]);
/// let now = 1_700_000_000;
/// let challenges = auth.challenge(now, "example.com", false);
///
/// // The client answers the first (SHA-256) challenge.
/// let challenge = Challenge::parse(&challenges[0]).unwrap();
/// let me = ClientCredentials { username: "alice", password: "secret", nc: 1, cnonce: "a1b2c3" };
/// let value = client_response(&challenge, "REGISTER", "sip:example.com", &me).unwrap();
///
/// let credentials = Credentials::parse(&value).unwrap();
/// let verdict = auth.verify(now + 1, "REGISTER", "sip:example.com", &credentials, "example.com",
///     |user, alg| (user == "alice").then(|| ha1(alg, "alice", "example.com", "secret")));
/// assert_eq!(verdict, Verdict::Authenticated { username: "alice".into(), algorithm: Algorithm::Sha256 });
/// ```
pub struct Authenticator {
    config: AuthConfig,
    minter: NonceMinter,
    replay: ReplayTable,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("Authenticator")
            .field("config", &self.config)
            .field("tracked_nonces", &self.replay.len())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator keyed with `secret`, which must be random (32 bytes from the OS) and
    /// kept private: whoever knows it can mint nonces. Changing the secret makes all outstanding
    /// nonces [`Rejection::ForeignNonce`].
    ///
    /// Each authenticator also draws a random instance number (from the OS) that goes into its
    /// nonces. Nonce counts are remembered in memory only, so a `qop=auth` response whose nonce
    /// another instance issued (another node sharing the secret, or this process before a
    /// restart) gets [`Verdict::Stale`] even when correct: the client retries once with a nonce
    /// of this instance, and replays never slip through the gap. Responses without `qop` have
    /// no counts, and are accepted with any genuine, fresh nonce.
    pub fn new(config: AuthConfig, secret: [u8; 32]) -> Authenticator {
        let replay = ReplayTable::new(config.max_tracked_nonces);
        Authenticator {
            config,
            minter: NonceMinter::new(secret),
            replay,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// How many nonces have their nonce counts tracked now (at most
    /// [`AuthConfig::max_tracked_nonces`]).
    pub fn tracked_nonces(&self) -> usize {
        self.replay.len()
    }

    /// The values of the WWW-Authenticate (401) or Proxy-Authenticate (407) headers that
    /// challenge a request at `now` (Unix seconds) for `realm`: one per configured algorithm, in
    /// order, each with its own fresh nonce, for example
    /// `Digest realm="example.com", nonce="…", opaque="…", algorithm=SHA-256, qop="auth"`.
    /// With `stale`, each ends with `, stale=true` (after [`Verdict::Stale`]).
    pub fn challenge(&self, now: u64, realm: &str, stale: bool) -> Vec<String> {
        let opaque = self.minter.opaque(realm);
        self.config
            .algorithms
            .iter()
            .map(|alg| {
                let nonce = self.minter.mint(now, realm);
                let mut value = format!(
                    "Digest realm={}, nonce=\"{nonce}\", opaque=\"{opaque}\", algorithm={alg}, qop=\"auth\"",
                    quote(realm)
                );
                if stale {
                    value.push_str(", stale=true");
                }
                value
            })
            .collect()
    }

    /// Verifies the credentials of one Authorization or Proxy-Authorization header at `now`
    /// (Unix seconds), for a request with `method` and `request_uri` (as written in its request
    /// line), in `realm`.
    ///
    /// `lookup(username, algorithm)` returns the user's stored HA1 for that algorithm (see
    /// [`ha1`](crate::ha1)), or `None` if there is no such user. It is called at most once, and
    /// only for well-formed credentials with a genuine nonce.
    ///
    /// When a request carries several credentials, pass the one whose `realm` is yours. The
    /// checks run in this order: syntax, realm, algorithm and qop, nonce genuineness, opaque,
    /// digest-uri, the response digest (constant-time), then freshness and the nonce count, so
    /// that only a correct response can learn that its nonce is stale or use up a count.
    pub fn verify(
        &mut self,
        now: u64,
        method: &str,
        request_uri: &str,
        credentials: &Credentials<'_>,
        realm: &str,
        lookup: impl FnOnce(&str, Algorithm) -> Option<String>,
    ) -> Verdict {
        let lifetime = self.config.nonce_lifetime.as_secs();
        self.replay.expire(now.saturating_sub(lifetime));
        match self.check(now, method, request_uri, credentials, realm, lookup) {
            Ok(verdict) => verdict,
            Err(rejection) => Verdict::Rejected(rejection),
        }
    }

    fn check(
        &mut self,
        now: u64,
        method: &str,
        request_uri: &str,
        credentials: &Credentials<'_>,
        realm: &str,
        lookup: impl FnOnce(&str, Algorithm) -> Option<String>,
    ) -> Result<Verdict, Rejection> {
        let fields = Fields::read(credentials)?;
        if fields.realm != realm {
            return Err(Rejection::RealmMismatch);
        }
        let algorithm = self.algorithm(credentials)?;
        let qop = self.qop(&fields)?;
        let nonce = self
            .minter
            .open(&fields.nonce, realm)
            .ok_or(Rejection::ForeignNonce)?;
        // An empty opaque counts as absent: some clients send `opaque=""` when they have none.
        if fields
            .opaque
            .as_ref()
            .is_some_and(|o| !o.is_empty() && *o != self.minter.opaque(realm))
        {
            return Err(Rejection::OpaqueMismatch);
        }
        if self.config.check_digest_uri && !digest_uri_matches(&fields.uri, request_uri) {
            return Err(Rejection::UriMismatch);
        }

        let stored = lookup(&fields.username, algorithm);
        // An unknown user costs the same hashing as a known one, so timing does not tell them
        // apart.
        let ha1 = stored.as_deref().unwrap_or(DUMMY_HA1);
        let expected = request_digest(algorithm, ha1, &fields.nonce, method, &fields.uri, qop);
        let given = fields.response.to_ascii_lowercase();
        let correct = constant_time_eq(expected.as_bytes(), given.as_bytes());
        if stored.is_none() {
            return Err(Rejection::UnknownUser);
        }
        if !correct {
            return Err(Rejection::WrongResponse);
        }

        if is_stale(nonce, now, self.config.nonce_lifetime.as_secs()) {
            return Ok(Verdict::Stale);
        }
        if let Some(q) = qop {
            if !self.minter.minted_here(nonce) {
                // Another node sharing the secret, or this process before a restart, issued it:
                // its counts so far are unknown here, so a replay could not be told apart. A
                // fresh nonce costs the client one round trip.
                return Ok(Verdict::Stale);
            }
            match self.replay.check(nonce, q.nc) {
                Ok(()) => self.replay.record(nonce, q.nc),
                Err(NcRefusal::Replayed) => return Err(Rejection::Replayed { nc: q.nc }),
                Err(NcRefusal::Forgotten) => return Ok(Verdict::Stale),
            }
        }
        Ok(Verdict::Authenticated {
            username: fields.username,
            algorithm,
        })
    }

    fn algorithm(&self, credentials: &Credentials<'_>) -> Result<Algorithm, Rejection> {
        let algorithm = match credentials.algorithm() {
            None | Some(WireAlgorithm::Md5) => Some(Algorithm::Md5),
            Some(WireAlgorithm::Sha256) => Some(Algorithm::Sha256),
            Some(_) => None,
        };
        match algorithm {
            Some(a) if self.config.algorithms.contains(&a) => Ok(a),
            _ => Err(Rejection::UnsupportedAlgorithm(
                credentials
                    .algorithm()
                    .map_or("MD5", |a| a.as_str())
                    .to_owned(),
            )),
        }
    }

    fn qop<'f>(&self, fields: &'f Fields) -> Result<Option<QopAuth<'f>>, Rejection> {
        match &fields.qop {
            None if self.config.allow_no_qop => Ok(None),
            None => Err(Rejection::QopRequired),
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = fields.nc.ok_or(Rejection::MissingParameter("nc"))?;
                if nc == 0 {
                    return Err(Rejection::InvalidParameter("nc"));
                }
                let cnonce = fields
                    .cnonce
                    .as_deref()
                    .ok_or(Rejection::MissingParameter("cnonce"))?;
                Ok(Some(QopAuth { nc, cnonce }))
            }
            Some(q) => Err(Rejection::UnsupportedQop(q.clone())),
        }
    }
}

/// Stands in for the HA1 of an unknown user; no password hashes to it in practice, and the
/// result is discarded anyway.
const DUMMY_HA1: &str = "00000000000000000000000000000000";

/// A nonce is stale once more than `lifetime` seconds old. Nonces from the future (another node
/// whose clock is ahead) count as new.
fn is_stale(nonce: NonceId, now: u64, lifetime: u64) -> bool {
    now.saturating_sub(nonce.issued) > lifetime
}

/// The parameters of Digest credentials, unquoted.
struct Fields {
    username: String,
    realm: String,
    nonce: String,
    uri: String,
    response: String,
    qop: Option<String>,
    nc: Option<u32>,
    cnonce: Option<String>,
    opaque: Option<String>,
}

impl Fields {
    fn read(c: &Credentials<'_>) -> Result<Fields, Rejection> {
        if !c.is_digest() {
            return Err(Rejection::NotDigest);
        }
        if c.userhash() {
            return Err(Rejection::UserhashUnsupported);
        }
        let required = |value: Option<std::borrow::Cow<'_, str>>, name| {
            value
                .map(|v| v.into_owned())
                .ok_or(Rejection::MissingParameter(name))
        };
        Ok(Fields {
            username: required(c.username(), "username")?,
            realm: required(c.realm(), "realm")?,
            nonce: required(c.nonce(), "nonce")?,
            uri: required(c.uri(), "uri")?,
            response: required(c.response(), "response")?,
            qop: c.qop().map(|v| v.into_owned()),
            nc: c.nc(),
            cnonce: c.cnonce().map(|v| v.into_owned()),
            opaque: c.opaque().map(|v| v.into_owned()),
        })
    }
}
