//! Digest authentication in the service chain: verifying credentials against the users,
//! challenging (401 for REGISTER, 407 for the rest), and consuming our realm's credentials
//! before a request travels on.

use std::net::IpAddr;
use std::time::Instant;

use sip_auth::{Algorithm, Verdict};
use sip_message::header::Credentials;
use sip_message::{HeaderName, Request};
use sip_proxy::{Proxy, RequestId};

use carillon_store::UserStore;

use super::service::Service;
use crate::metrics::Metrics;

impl Service {
    /// Verifies the credentials of `realm` in `header` (Authorization or
    /// Proxy-Authorization): the user they authenticate, or a challenge to send.
    pub(super) fn authenticate(
        &mut self,
        request: &Request,
        source: IpAddr,
        realm: &str,
        header: HeaderName,
    ) -> AuthOutcome {
        let now = Instant::now();
        let unix = crate::cli::unix_now();
        let method = request.method().as_str().to_owned();
        let ruri = String::from_utf8_lossy(request.uri_raw()).into_owned();
        let mut stale = false;
        let mut tried = false;
        for value in request.headers().get_all(header) {
            let Ok(text) = std::str::from_utf8(value) else {
                continue;
            };
            let Ok(creds) = Credentials::parse(text) else {
                continue;
            };
            if creds.param("realm").as_deref() != Some(realm) {
                continue;
            }
            tried = true;
            let username = creds.param("username").unwrap_or_default().into_owned();
            if let Some(guard) = &self.guard
                && guard.user_banned(now, source, &username)
            {
                // Locked out: the same answer as a wrong password, without even looking.
                Metrics::inc(&self.metrics.auth_failures);
                continue;
            }
            let mut verdict = self.verify(unix, &method, &ruri, &creds, realm);
            if let Verdict::Rejected(why) = &verdict
                && why.is_credential_failure()
                && self.store.refresh_users().unwrap_or(false)
            {
                // The password may have changed a moment ago in another process: check
                // once more against the fresh users before calling it a failure.
                verdict = self.verify(unix, &method, &ruri, &creds, realm);
            }
            match verdict {
                Verdict::Authenticated {
                    username,
                    algorithm,
                } => {
                    Metrics::inc(match algorithm {
                        Algorithm::Md5 => &self.metrics.auth_md5,
                        _ => &self.metrics.auth_sha256,
                    });
                    if let Some(guard) = &self.guard {
                        guard.auth_succeeded(source, &username);
                    }
                    return AuthOutcome::Ok(username);
                }
                Verdict::Stale => stale = true,
                Verdict::Rejected(why) => {
                    tracing::info!(realm, user = %username, from = %source, reason = %why, "authentication failed");
                    Metrics::inc(&self.metrics.auth_failures);
                    if let Some(guard) = &self.guard {
                        guard.auth_failed(now, source, &username);
                    }
                }
            }
        }
        let _ = tried;
        AuthOutcome::Challenge { stale }
    }

    fn verify(
        &mut self,
        unix: u64,
        method: &str,
        ruri: &str,
        creds: &Credentials<'_>,
        realm: &str,
    ) -> Verdict {
        let store = &self.store;
        self.auth
            .verify(unix, method, ruri, creds, realm, |user, alg| {
                store.user(user, realm).ok().flatten().map(|u| match alg {
                    Algorithm::Md5 => u.ha1_md5,
                    _ => u.ha1_sha256,
                })
            })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn challenge(
        &mut self,
        proxy: &mut Proxy,
        now: Instant,
        id: RequestId,
        request: &Request,
        realm: &str,
        stale: bool,
        status: u16,
    ) {
        Metrics::inc(&self.metrics.challenges);
        let header = if status == 401 {
            HeaderName::WwwAuthenticate
        } else {
            HeaderName::ProxyAuthenticate
        };
        let mut r = self.response(request, status);
        for value in self.auth.challenge(crate::cli::unix_now(), realm, stale) {
            r.headers_mut().push(header, value);
        }
        self.send(proxy, now, id, r);
    }
}

/// Removes the Proxy-Authorization values of our realm: they were meant for us and must not
/// travel on (RFC 3261 §20.28, §22.3); other realms' credentials stay for the proxies they
/// name.
pub(super) fn consume_credentials(proxy: &mut Proxy, id: RequestId, realm: &str) {
    let _ = proxy.edit_request(id, |req| {
        let keep: Vec<bytes::Bytes> = req
            .headers()
            .get_all(HeaderName::ProxyAuthorization)
            .filter(|v| {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| Credentials::parse(t).ok())
                    .is_none_or(|c| c.param("realm").as_deref() != Some(realm))
            })
            .map(bytes::Bytes::copy_from_slice)
            .collect();
        let headers = req.headers_mut();
        headers.remove(HeaderName::ProxyAuthorization);
        for v in keep {
            headers.push(HeaderName::ProxyAuthorization, v);
        }
    });
}
pub(super) enum AuthOutcome {
    Ok(String),
    Challenge { stale: bool },
}
