//! Housekeeping beside the driver: keep-alives towards registered contacts, so the NAT
//! bindings in front of them stay open and requests can reach them (OPTIONS over UDP, a CRLF
//! pair on the open connection over TCP, TLS and WebSocket, RFC 5626 §4.4.1); expired
//! bindings and messages purged; the bindings of users removed from the command line
//! dropped; bans saved and lifts from the command line applied.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use carillon_store::{LocationStore, SqliteStore, UserStore};
use sip_transport::{Destination, Peer, Transport, TransportLayer};

use super::routing;
use crate::listen::Listen;

/// How often expired entries are purged and removed users looked for.
const HOUSEKEEPING: Duration = Duration::from_secs(5);

/// Runs until aborted: housekeeping every few seconds, keep-alives every `keepalive`
/// (none when `None`).
pub(crate) async fn run(
    store: Arc<SqliteStore>,
    transport: TransportLayer,
    listens: Vec<Listen>,
    keepalive: Option<Duration>,
    guard: Option<super::security::Guard>,
) {
    let mut house = tokio::time::interval(HOUSEKEEPING);
    house.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ka = tokio::time::interval(keepalive.unwrap_or(Duration::from_secs(3600)));
    ka.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ka.tick().await;
    let mut users_version = store.users_version().ok();
    let mut seq: u32 = 0;
    loop {
        tokio::select! {
            _ = house.tick() => {
                let now = crate::cli::unix_now();
                let purged = store.purge_expired(now);
                if purged > 0 {
                    tracing::info!(purged, "expired bindings removed");
                }
                if let Some(g) = &guard {
                    g.sync(&store);
                }
                let version = store.users_version().ok();
                if version != users_version {
                    users_version = version;
                    drop_removed_users(&store, now);
                }
            }
            _ = ka.tick(), if keepalive.is_some() => {
                send_keepalives(&store, &transport, &listens, &mut seq).await;
            }
        }
    }
}

/// Removes the bindings of removed users: all of them when the user is gone, those not
/// newer than the removal when it was added again (`carillon user remove` runs in another
/// process and cannot reach this one's memory). Runs only when the users changed.
fn drop_removed_users(store: &SqliteStore, now: u64) {
    let mut seen = HashSet::new();
    for b in store.all(now) {
        if !seen.insert(b.aor.clone()) {
            continue;
        }
        let Some((user, domain)) = b
            .aor
            .strip_prefix("sip:")
            .and_then(|rest| rest.rsplit_once('@'))
        else {
            continue;
        };
        let keep: Vec<_> = match (store.user(user, domain), store.removed_at(user, domain)) {
            (Ok(None), _) => Vec::new(),
            (Ok(Some(_)), Ok(Some(removed))) => {
                let bindings = store.lookup(&b.aor, now);
                let before = bindings.len();
                let keep: Vec<_> = bindings
                    .into_iter()
                    .filter(|x| x.updated_at > removed)
                    .collect();
                if keep.len() == before {
                    continue;
                }
                keep
            }
            _ => continue,
        };
        tracing::info!(aor = %b.aor, "user removed: dropping its bindings");
        // Not awaited: the in-memory set changes at once, the disk follows.
        drop(store.replace(&b.aor, keep));
    }
}

async fn send_keepalives(
    store: &SqliteStore,
    transport: &TransportLayer,
    listens: &[Listen],
    seq: &mut u32,
) {
    let now = crate::cli::unix_now();
    for b in store.all(now) {
        let Some(peer) = routing::binding_destination(&b, transport) else {
            continue;
        };
        *seq = seq.wrapping_add(1);
        if peer.transport == Transport::Udp {
            let Some(local) = b.local.or_else(|| udp_local(listens, peer.addr)) else {
                continue;
            };
            let bytes = options(&b.uri, local, peer, *seq);
            let _ = transport
                .send(&Destination::peer(peer).from_local(local), bytes)
                .await;
            continue;
        }
        // Only on a connection the phone opened: never dial a phone's ephemeral port.
        let open = transport.connections().into_iter().find(|c| c.peer == peer);
        if let Some(c) = open {
            let dest = Destination::connection(c.id);
            let _ = transport.send(&dest, Bytes::from_static(b"\r\n\r\n")).await;
        }
    }
}

fn udp_local(listens: &[Listen], to: SocketAddr) -> Option<SocketAddr> {
    listens
        .iter()
        .filter(|l| l.transport == Transport::Udp)
        .find(|l| l.addr.is_ipv4() == to.is_ipv4())
        .map(|l| l.addr)
}

/// An out-of-dialog OPTIONS to a contact. Its response comes back to us, matches no
/// transaction and is dropped; only the packet flow matters.
fn options(uri: &str, local: SocketAddr, peer: Peer, seq: u32) -> Bytes {
    let sent_by = local.to_string();
    let text = format!(
        "OPTIONS {uri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {sent_by};branch=z9hG4bKka{seq:x}{port:x};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:keepalive@{sent_by}>;tag=ka{seq:x}\r\n\
         To: <{uri}>\r\n\
         Call-ID: ka{seq:x}-{port:x}@{sent_by}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
        port = peer.addr.port(),
    );
    Bytes::from(text)
}
