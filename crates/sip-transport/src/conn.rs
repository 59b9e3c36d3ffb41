//! The connection table and what every connection task shares: registration, the send queue,
//! idle and drain timing, close requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use sip_transaction::{Peer, Transport};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

use crate::layer::Shared;
use crate::limits::ConnectionPermit;
use crate::stats::Counters;
use crate::{ConnectionId, ConnectionInfo};

/// Most queued messages one wake-up of a connection writes together.
const WRITE_BATCH: usize = 64;

pub(crate) struct Entry {
    pub(crate) info: ConnectionInfo,
    pub(crate) tx: mpsc::Sender<Bytes>,
    pub(crate) close: CancellationToken,
}

/// Live connections by id and by (transport, remote address).
#[derive(Default)]
pub(crate) struct Table {
    pub(crate) by_id: HashMap<ConnectionId, Entry>,
    pub(crate) by_remote: HashMap<(Transport, SocketAddr), ConnectionId>,
}

impl Table {
    /// The connection to reuse for `peer`, if one is open.
    pub(crate) fn lookup(&self, peer: &Peer) -> Option<(ConnectionId, mpsc::Sender<Bytes>)> {
        let id = *self.by_remote.get(&(peer.transport, peer.addr))?;
        self.by_id.get(&id).map(|e| (id, e.tx.clone()))
    }
}

/// A connection's place in the table and everything its task owns. Dropping it takes the
/// connection out of the table and frees its limit permit.
pub(crate) struct Registered {
    pub(crate) id: ConnectionId,
    pub(crate) peer: Peer,
    pub(crate) local: SocketAddr,
    rx: mpsc::Receiver<Bytes>,
    close: CancellationToken,
    shared: Arc<Shared>,
    _permit: ConnectionPermit,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut t = self.shared.table();
        t.by_id.remove(&self.id);
        let key = (self.peer.transport, self.peer.addr);
        if t.by_remote.get(&key) == Some(&self.id) {
            t.by_remote.remove(&key);
        }
    }
}

impl Shared {
    /// Puts a connection in the table, ready for sends.
    pub(crate) fn register(
        self: &Arc<Self>,
        peer: Peer,
        local: SocketAddr,
        inbound: bool,
        tls_version: Option<&'static str>,
        permit: ConnectionPermit,
    ) -> Registered {
        let id = ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = mpsc::channel(self.config.connection_queue.max(1));
        let close = self.stop.child_token();
        let info = ConnectionInfo {
            id,
            peer,
            local,
            inbound,
            tls_version,
        };
        let mut t = self.table();
        t.by_remote.insert((peer.transport, peer.addr), id);
        t.by_id.insert(
            id,
            Entry {
                info,
                tx,
                close: close.clone(),
            },
        );
        drop(t);
        Registered {
            id,
            peer,
            local,
            rx,
            close,
            shared: self.clone(),
            _permit: permit,
        }
    }
}

/// What woke a connection task.
pub(crate) enum Event {
    /// Close the connection (closed by the peer, idle, closed by request, layer stopped).
    Close,
    /// Bytes or frames arrived but nothing to deliver yet.
    Activity,
    /// One whole WebSocket message arrived.
    Data(Bytes),
    /// Messages to write, in order.
    Send(Vec<Bytes>),
}

/// The part of a connection task's loop that does not depend on the stream type.
pub(crate) struct ConnLoop {
    reg: Registered,
    idle: Pin<Box<Sleep>>,
    last: Instant,
    draining: bool,
    drain: CancellationToken,
    idle_timeout: std::time::Duration,
    drain_idle: std::time::Duration,
}

impl ConnLoop {
    pub(crate) fn new(shared: &Arc<Shared>, reg: Registered) -> Self {
        let now = Instant::now();
        let mut lp = ConnLoop {
            reg,
            idle: Box::pin(tokio::time::sleep_until(now + shared.config.idle_timeout)),
            last: now,
            draining: false,
            drain: shared.draining.clone(),
            idle_timeout: shared.config.idle_timeout,
            drain_idle: shared.config.drain_idle,
        };
        if lp.drain.is_cancelled() {
            lp.draining = true;
            lp.rearm();
        }
        lp
    }

    /// Records traffic. The idle timer is not moved here but when it fires, so busy
    /// connections do not touch the timer wheel on every read.
    pub(crate) fn touch(&mut self) {
        self.last = Instant::now();
    }

    fn limit(&self) -> std::time::Duration {
        if self.draining {
            self.drain_idle
        } else {
            self.idle_timeout
        }
    }

    fn rearm(&mut self) {
        let at = self.last + self.limit();
        self.idle.as_mut().reset(at);
    }

    /// Waits for something other than incoming bytes: a send, a close request, the idle timer.
    /// Cancel-safe.
    pub(crate) async fn wait(&mut self) -> Event {
        loop {
            tokio::select! {
                biased;
                () = self.reg.close.cancelled() => return Event::Close,
                () = self.drain.cancelled(), if !self.draining => {
                    self.draining = true;
                    self.rearm();
                }
                () = &mut self.idle => {
                    if self.last + self.limit() > Instant::now() {
                        self.rearm();
                        continue;
                    }
                    tracing::debug!(conn = %self.reg.id, peer = %self.reg.peer, draining = self.draining, "closing idle connection");
                    if !self.draining {
                        Counters::inc(&self.reg.shared.counters.idle_closed);
                    }
                    return Event::Close;
                }
                d = self.reg.rx.recv() => {
                    let Some(first) = d else { return Event::Close };
                    let mut batch = vec![first];
                    while batch.len() < WRITE_BATCH {
                        match self.reg.rx.try_recv() {
                            Ok(more) => batch.push(more),
                            Err(_) => break,
                        }
                    }
                    return Event::Send(batch);
                }
            }
        }
    }

    /// Hands one framed message to the core; returns a stateless reply to write back when it
    /// did not parse.
    pub(crate) async fn deliver(&self, shared: &Shared, raw: Bytes) -> Option<Bytes> {
        shared
            .deliver(raw, self.reg.peer, self.reg.local, Some(self.reg.id))
            .await
            .map(|r| r.bytes)
    }
}
