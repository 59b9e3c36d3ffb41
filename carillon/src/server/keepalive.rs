//! Keep-alives towards registered contacts, so the NAT bindings in front of them stay open
//! and requests can reach them: OPTIONS over UDP, a CRLF pair (RFC 5626 §4.4.1) on the open
//! connection over TCP, TLS and WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use carillon_store::{LocationStore, SqliteStore};
use sip_transport::{Destination, Peer, Transport, TransportLayer};

use super::routing;
use crate::listen::Listen;

/// Sends one round of keep-alives every `interval`, and purges expired bindings.
pub(crate) async fn run(
    store: Arc<SqliteStore>,
    transport: TransportLayer,
    listens: Vec<Listen>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut seq: u32 = 0;
    loop {
        tick.tick().await;
        let now = crate::cli::unix_now();
        let purged = store.purge_expired(now);
        if purged > 0 {
            tracing::info!(purged, "expired bindings removed");
        }
        for b in store.all(now) {
            let Some(peer) = routing::binding_destination(&b, &transport) else {
                continue;
            };
            seq = seq.wrapping_add(1);
            let dest = match peer.transport {
                Transport::Udp => {
                    let Some(local) = b.local.or_else(|| udp_local(&listens, peer.addr)) else {
                        continue;
                    };
                    let bytes = options(&b.uri, local, peer, seq);
                    let _ = transport
                        .send(&Destination::peer(peer).from_local(local), bytes)
                        .await;
                    continue;
                }
                // Only on a connection the phone opened: never dial a phone's ephemeral port.
                _ => transport
                    .connections()
                    .into_iter()
                    .find(|c| c.peer == peer)
                    .map(|c| Destination::connection(c.id)),
            };
            if let Some(dest) = dest {
                let _ = transport.send(&dest, Bytes::from_static(b"\r\n\r\n")).await;
            }
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
