//! Abuse protection and overload control at the door: every request from an untrusted
//! address passes the abuse guard (rate limit, scanner User-Agents, bans) before the proxy
//! sees it, and new requests are refused with 503 when the inbound queue is long. Bans are
//! saved in the store so that they survive restarts and `carillon bans` can list and lift
//! them.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use carillon_store::{BanRecord, SqliteStore};
use sip_abuse::{AbuseGuard, BanReason, BanTarget, SavedBan, Verdict};
use sip_message::{HeaderName, Method, Request};

use crate::config::SecuritySection;
use crate::metrics::Metrics;

/// The abuse guard, shared by the driver (checks), the service (authentication) and the
/// housekeeping task (saving bans, lifts from the command line).
#[derive(Clone)]
pub(crate) struct Guard(Arc<Mutex<AbuseGuard>>);

impl Guard {
    /// The guard of `[security]`, with the bans saved by the last run restored; `None` when
    /// abuse protection is off.
    pub(crate) fn new(config: &SecuritySection, store: &SqliteStore) -> Option<Guard> {
        if !config.enabled {
            return None;
        }
        let mut guard = match AbuseGuard::new(config.abuse_config()) {
            Ok(g) => g,
            Err(e) => {
                // The configuration check refuses this before we get here.
                tracing::error!(error = %e, "abuse protection not started");
                return None;
            }
        };
        let unix = crate::cli::unix_now();
        let saved: Vec<SavedBan> = store
            .bans(unix)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|b| {
                Some(SavedBan {
                    target: b.target.parse::<BanTarget>().ok()?,
                    reason: reason_named(&b.reason)?,
                    age_secs: unix.saturating_sub(b.since),
                    remaining_secs: b.until.saturating_sub(unix),
                })
            })
            .collect();
        let restored = guard.import(Instant::now(), saved);
        if restored > 0 {
            tracing::info!(restored, "bans restored");
        }
        Some(Guard(Arc::new(Mutex::new(guard))))
    }

    fn lock(&self) -> MutexGuard<'_, AbuseGuard> {
        // A panic while holding the lock cannot leave the guard worse than its last state.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a request from `source` may go on. Banned sources are dropped without an
    /// answer: answering tells a scanner it found something.
    pub(crate) fn admit(
        &self,
        now: Instant,
        source: IpAddr,
        request: &Request,
        metrics: &Metrics,
    ) -> bool {
        let ua = request
            .headers()
            .get(HeaderName::UserAgent)
            .and_then(|v| std::str::from_utf8(v).ok());
        match self.lock().check_request(now, source, ua) {
            Verdict::Allow => true,
            Verdict::Banned(ban) => {
                tracing::warn!(
                    target = %ban.target,
                    reason = ban.reason.as_str(),
                    seconds = ban.remaining(now).as_secs(),
                    "banned"
                );
                Metrics::inc(&metrics.requests_dropped);
                false
            }
            _ => {
                Metrics::inc(&metrics.requests_dropped);
                false
            }
        }
    }

    /// Whether `username` from `source` is locked out (checked before verifying).
    pub(crate) fn user_banned(&self, now: Instant, source: IpAddr, username: &str) -> bool {
        self.lock().is_banned(now, source, Some(username))
    }

    /// Counts a failed authentication; logs the ban it may cause.
    pub(crate) fn auth_failed(&self, now: Instant, source: IpAddr, username: &str) {
        if let Some(ban) = self.lock().auth_failed(now, source, username) {
            tracing::warn!(
                target = %ban.target,
                reason = ban.reason.as_str(),
                seconds = ban.remaining(now).as_secs(),
                "banned"
            );
        }
    }

    /// A successful authentication resets the pair's failures.
    pub(crate) fn auth_succeeded(&self, source: IpAddr, username: &str) {
        self.lock().auth_succeeded(source, username);
    }

    /// Bans issued since start, and requests dropped.
    pub(crate) fn bans_issued(&self) -> u64 {
        self.lock().stats().bans_issued_total()
    }

    /// Applies the lifts the command line asked for, expires old bans, and saves the list.
    pub(crate) fn sync(&self, store: &SqliteStore) {
        let now = Instant::now();
        let unix = crate::cli::unix_now();
        let lifts = store.take_ban_lifts().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "reading ban lifts failed");
            Vec::new()
        });
        let records: Vec<BanRecord> = {
            let mut guard = self.lock();
            for target in lifts {
                let lifted = match target.parse::<BanTarget>() {
                    Ok(BanTarget::Source(ip)) => guard.lift_all(ip) > 0,
                    Ok(t) => guard.lift(&t),
                    Err(_) => false,
                };
                tracing::info!(target, lifted, "ban lift asked from the command line");
            }
            for ban in guard.handle_timeout(now) {
                tracing::info!(target = %ban.target, "ban ended");
            }
            guard
                .export(now)
                .into_iter()
                .map(|b| BanRecord {
                    target: b.target.to_string(),
                    reason: b.reason.as_str().to_owned(),
                    since: unix.saturating_sub(b.age_secs),
                    until: unix.saturating_add(b.remaining_secs),
                })
                .collect()
        };
        if let Err(e) = store.save_bans(&records) {
            tracing::warn!(error = %e, "saving bans failed");
        }
    }
}

fn reason_named(name: &str) -> Option<BanReason> {
    BanReason::ALL.into_iter().find(|r| r.as_str() == name)
}

/// What overload control does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shed {
    /// Process it.
    Keep,
    /// Answer 503 with Retry-After, statelessly.
    Refuse,
}

/// Overload control, by how many messages wait (`queued`): new INVITEs are refused from
/// `limit` on, other new requests from twice that, except one in [`ADMIT_EVERY`] (`admit`
/// counts them). Requests in a dialog, ACK, BYE and CANCEL always pass: they finish work
/// already accepted. From four times `limit`, the transport drops new requests before they
/// are parsed ([`shed_new_requests_at`]), so they never get here.
pub(crate) fn shed(request: &Request, queued: usize, limit: usize, admit: &mut u32) -> Shed {
    if limit == 0 || queued < limit {
        return Shed::Keep;
    }
    if matches!(request.method(), Method::Ack | Method::Bye | Method::Cancel) {
        return Shed::Keep;
    }
    if request.to().is_ok_and(|t| t.tag().is_some()) {
        return Shed::Keep;
    }
    // One new request in ADMIT_EVERY is processed whatever the queue: far beyond capacity
    // the queue never drains below the limit, and without this no new call would ever be
    // served (congestion collapse); with it, the server keeps serving a share.
    *admit = admit.wrapping_add(1);
    if *admit % ADMIT_EVERY == 0 {
        return Shed::Keep;
    }
    if *request.method() == Method::Invite || queued >= limit.saturating_mul(2) {
        Shed::Refuse
    } else {
        Shed::Keep
    }
}

/// The queue length from which the transport drops new requests unparsed, for an
/// `overload_queue` of `limit` (0: never).
pub(crate) fn shed_new_requests_at(limit: usize) -> usize {
    limit.saturating_mul(4)
}

/// The inbound queue's capacity: room above the drop threshold, so that responses and
/// in-dialog requests arriving while new ones are dropped do not wait in the kernel.
pub(crate) fn inbound_capacity(limit: usize) -> usize {
    shed_new_requests_at(limit).saturating_add(1024).max(8192)
}

/// Under overload, one new request in this many is processed anyway.
const ADMIT_EVERY: u32 = 8;

/// How long a client should wait after a 503 for overload.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(5);
