//! The transport layer: its shared state, the handle the core holds, sending and shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::ServerName;
use sip_message::validate::reject_parse_error;
use sip_message::{Message, ParseLimits};
use sip_transaction::{Peer, Transport};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::conn::Table;
use crate::limits::ConnectionLimits;
use crate::reject::{StatelessReply, stateless_reply};
use crate::routing::{add_received, check_destination};
use crate::stats::{Counters, Stats};
use crate::tcp::Upgrade;
use crate::udp::UdpEndpoint;
use crate::{
    Config, ConnectionId, ConnectionInfo, Destination, Inbound, ListenError, SendError, TlsServer,
};

type ConnectLocks = std::collections::HashMap<(Transport, SocketAddr), Arc<tokio::sync::Mutex<()>>>;

/// State shared by the handle and every task.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) parse_limits: ParseLimits,
    inbound: mpsc::Sender<Inbound>,
    pub(crate) counters: Counters,
    pub(crate) limits: ConnectionLimits,
    table: Mutex<Table>,
    pub(crate) udp: RwLock<Vec<Arc<UdpEndpoint>>>,
    pub(crate) next_id: AtomicU64,
    /// Cancelled when listeners must stop accepting.
    pub(crate) accepting: CancellationToken,
    /// Cancelled when connections should close once idle for `drain_idle`.
    pub(crate) draining: CancellationToken,
    /// Cancelled to stop everything.
    pub(crate) stop: CancellationToken,
    pub(crate) tasks: TaskTracker,
    /// Serialises connection attempts to one destination, so that concurrent sends share one
    /// new connection instead of racing to open several.
    connecting: Mutex<ConnectLocks>,
}

impl Shared {
    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parses a received message and hands it to the core. For an unparseable request returns
    /// the stateless reply to send back (when configured to).
    pub(crate) async fn deliver(
        &self,
        raw: Bytes,
        source: Peer,
        local: SocketAddr,
        connection: Option<ConnectionId>,
    ) -> Option<StatelessReply> {
        let shed_at = self.config.shed_new_requests_at;
        if shed_at > 0
            && self.inbound.max_capacity() - self.inbound.capacity() >= shed_at
            && crate::shed::starts_new_work(&raw)
        {
            Counters::inc(&self.counters.shed);
            return None;
        }
        match Message::parse_with(raw.clone(), &self.parse_limits) {
            Ok(mut message) => {
                if self.config.stamp_via && message.is_request() {
                    // A request without a usable Via is the core's to reject (with a 400 it
                    // can route no better than we could).
                    let _ = add_received(message.headers_mut(), source.addr);
                }
                Counters::inc(&self.counters.received);
                let inbound = Inbound {
                    source,
                    local,
                    message,
                    connection,
                };
                // Wait for room (back-pressure), but not past a stop.
                tokio::select! {
                    r = self.inbound.send(inbound) => if r.is_err() {
                        tracing::trace!("core receiver dropped; message discarded");
                    },
                    () = self.stop.cancelled() => {}
                }
                None
            }
            Err(err) => {
                Counters::inc(&self.counters.parse_errors);
                tracing::debug!(%source, %err, "unparseable message");
                if !self.config.reject_unparseable {
                    return None;
                }
                let reply = reject_parse_error(&raw, &err).and_then(|r| stateless_reply(&raw, &r));
                if reply.is_some() {
                    Counters::inc(&self.counters.rejected);
                }
                reply
            }
        }
    }

    fn connect_lock(&self, key: (Transport, SocketAddr)) -> Arc<tokio::sync::Mutex<()>> {
        self.connecting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    fn forget_connect_lock(&self, key: &(Transport, SocketAddr)) {
        self.connecting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    fn queue(
        &self,
        id: ConnectionId,
        tx: &mpsc::Sender<Bytes>,
        data: Bytes,
    ) -> Result<(), SendError> {
        if data.len() > self.config.max_message {
            return Err(SendError::TooLarge {
                len: data.len(),
                limit: self.config.max_message,
            });
        }
        match tx.try_send(data) {
            Ok(()) => {
                Counters::inc(&self.counters.stream_sent);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(SendError::Congested(id)),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::ConnectionClosed(id)),
        }
    }

    /// The open connection to `peer`, or a new one (TCP and TLS).
    async fn connection_to(
        self: &Arc<Self>,
        peer: Peer,
        server_name: Option<&str>,
    ) -> Result<(ConnectionId, mpsc::Sender<Bytes>), SendError> {
        if let Some(found) = self.table().lookup(&peer) {
            return Ok(found);
        }
        match peer.transport {
            Transport::Tcp | Transport::Tls => {}
            Transport::Ws | Transport::Wss => return Err(SendError::NoConnection(peer)),
            t => return Err(SendError::Unsupported(t)),
        }
        let key = (peer.transport, peer.addr);
        let lock = self.connect_lock(key);
        let _guard = lock.lock().await;
        if let Some(found) = self.table().lookup(&peer) {
            return Ok(found);
        }
        let result = self.open(peer, server_name).await;
        self.forget_connect_lock(&key);
        result
    }

    async fn open(
        self: &Arc<Self>,
        peer: Peer,
        server_name: Option<&str>,
    ) -> Result<(ConnectionId, mpsc::Sender<Bytes>), SendError> {
        let tls = match peer.transport {
            Transport::Tls => {
                let config = self
                    .config
                    .tls_client
                    .clone()
                    .ok_or(SendError::TlsNotConfigured)?;
                let name = match server_name {
                    Some(n) => ServerName::try_from(n.to_owned())
                        .map_err(|_| SendError::InvalidServerName(n.to_owned()))?,
                    None => ServerName::IpAddress(peer.addr.ip().into()),
                };
                Some((config, name))
            }
            _ => None,
        };
        let permit = self
            .limits
            .admit_outbound()
            .map_err(|_| SendError::ConnectionLimit)?;
        let addr = peer.addr;
        let stream = match tokio::time::timeout(
            self.config.connect_timeout,
            crate::tcp::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => return Err(SendError::Connect { addr, source }),
            Err(_) => {
                return Err(SendError::Connect {
                    addr,
                    source: std::io::ErrorKind::TimedOut.into(),
                });
            }
        };
        let local = stream
            .local_addr()
            .map_err(|source| SendError::Connect { addr, source })?;
        Counters::inc(&self.counters.connected);
        let id = match tls {
            None => {
                let reg = self.register(peer, local, false, None, permit);
                let id = reg.id;
                self.tasks
                    .spawn(crate::tcp::run_stream(self.clone(), stream, reg));
                id
            }
            Some((config, name)) => {
                let tls = tokio::time::timeout(
                    self.config.handshake_timeout,
                    crate::tls::connect(config, name, stream),
                )
                .await;
                let tls = match tls {
                    Ok(Ok(t)) => t,
                    Ok(Err(source)) => return Err(SendError::TlsHandshake { addr, source }),
                    Err(_) => {
                        return Err(SendError::TlsHandshake {
                            addr,
                            source: std::io::ErrorKind::TimedOut.into(),
                        });
                    }
                };
                let version = crate::tls::version_name(tls.get_ref().1.protocol_version());
                let reg = self.register(peer, local, false, version, permit);
                let id = reg.id;
                self.tasks.spawn(crate::tcp::run_stream(
                    self.clone(),
                    tokio_rustls::TlsStream::Client(tls),
                    reg,
                ));
                id
            }
        };
        self.sender(id)
            .map(|tx| (id, tx))
            .ok_or(SendError::ConnectionClosed(id))
    }

    fn sender(&self, id: ConnectionId) -> Option<mpsc::Sender<Bytes>> {
        self.table().by_id.get(&id).map(|e| e.tx.clone())
    }
}

/// How [`TransportLayer::shutdown`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether the drain signal came before the deadline.
    pub drained: bool,
    /// Connections still open when everything was stopped.
    pub closed_connections: usize,
}

/// The tokio side of the SIP stack: owns listeners, UDP sockets and connections, delivers what
/// arrives as [`Inbound`] over a bounded channel, and sends what the core asks it to.
///
/// The handle is cheap to clone. Listeners and connections run as tasks on the current tokio
/// runtime until [`TransportLayer::shutdown`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use sip_transport::{Config, Destination, TransportLayer};
/// let (layer, mut inbound) = TransportLayer::new(Config::default());
/// let udp = layer.bind_udp("127.0.0.1:5060".parse()?).await?;
/// while let Some(msg) = inbound.recv().await {
///     // hand msg.message to the transaction layer; answer with layer.send(...)
///     # let _ = (udp, &msg);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TransportLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TransportLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportLayer")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl TransportLayer {
    /// A layer with no listeners yet, and the receiving end of its inbound channel.
    pub fn new(config: Config) -> (TransportLayer, mpsc::Receiver<Inbound>) {
        let (tx, rx) = mpsc::channel(config.inbound_capacity.max(1));
        let shared = Shared {
            parse_limits: ParseLimits {
                max_message: config.max_message,
                ..ParseLimits::default()
            },
            limits: ConnectionLimits::new(config.max_connections, config.max_connections_per_ip),
            config,
            inbound: tx,
            counters: Counters::default(),
            table: Mutex::default(),
            udp: RwLock::default(),
            next_id: AtomicU64::new(1),
            accepting: CancellationToken::new(),
            draining: CancellationToken::new(),
            stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
            connecting: Mutex::default(),
        };
        (
            TransportLayer {
                shared: Arc::new(shared),
            },
            rx,
        )
    }

    fn check_open(&self) -> Result<(), ListenError> {
        if self.shared.accepting.is_cancelled() {
            return Err(ListenError::ShuttingDown);
        }
        Ok(())
    }

    /// Binds UDP on `addr` with [`Config::udp_workers`] receive tasks; returns the bound
    /// address (useful with port 0).
    pub async fn bind_udp(&self, addr: SocketAddr) -> Result<SocketAddr, ListenError> {
        self.check_open()?;
        crate::udp::bind(&self.shared, addr)
    }

    async fn listen(&self, addr: SocketAddr, upgrade: Upgrade) -> Result<SocketAddr, ListenError> {
        self.check_open()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ListenError::Bind { addr, source })?;
        self.shared.tasks.spawn(crate::tcp::accept_loop(
            self.shared.clone(),
            listener,
            local,
            upgrade,
        ));
        Ok(local)
    }

    /// Listens for SIP over TCP.
    pub async fn listen_tcp(&self, addr: SocketAddr) -> Result<SocketAddr, ListenError> {
        self.listen(addr, Upgrade::None).await
    }

    /// Listens for SIP over TLS with this server configuration (reloadable through the
    /// [`TlsServer`] handle).
    pub async fn listen_tls(
        &self,
        addr: SocketAddr,
        tls: TlsServer,
    ) -> Result<SocketAddr, ListenError> {
        self.listen(addr, Upgrade::Tls(tls)).await
    }

    /// Listens for SIP over WebSocket (RFC 7118).
    pub async fn listen_ws(&self, addr: SocketAddr) -> Result<SocketAddr, ListenError> {
        self.listen(addr, Upgrade::Ws).await
    }

    /// Listens for SIP over secure WebSocket (RFC 7118).
    pub async fn listen_wss(
        &self,
        addr: SocketAddr,
        tls: TlsServer,
    ) -> Result<SocketAddr, ListenError> {
        self.listen(addr, Upgrade::Wss(tls)).await
    }

    /// Sends one message. Returns the connection it went out on (`None` for UDP).
    ///
    /// A named connection is used while it is open; otherwise the destination's peer: UDP is
    /// sent at once, TCP and TLS reuse the open connection to that address or open one (opening
    /// waits for the connect and handshake), WS and WSS need a connection the peer opened.
    /// Sends to a connection are queued (never waiting for the peer); a full queue is
    /// [`SendError::Congested`]. Broadcast, multicast and unspecified addresses are refused.
    pub async fn send(
        &self,
        dest: &Destination,
        data: Bytes,
    ) -> Result<Option<ConnectionId>, SendError> {
        let s = &self.shared;
        if s.stop.is_cancelled() {
            return Err(SendError::ShutDown);
        }
        if let Some(id) = dest.connection {
            if let Some(tx) = s.sender(id) {
                s.queue(id, &tx, data)?;
                return Ok(Some(id));
            }
            if dest.peer.is_none() {
                return Err(SendError::ConnectionClosed(id));
            }
        }
        let peer = dest.peer.ok_or(SendError::NoTarget)?;
        if let Err(e) = check_destination(peer.addr) {
            Counters::inc(&s.counters.forbidden_destinations);
            return Err(e.into());
        }
        if peer.transport == Transport::Udp {
            crate::udp::send(s, peer.addr, dest.local, &data).await?;
            return Ok(None);
        }
        let (id, tx) = s.connection_to(peer, dest.server_name.as_deref()).await?;
        s.queue(id, &tx, data)?;
        Ok(Some(id))
    }

    /// What is known about a live connection.
    pub fn connection_info(&self, id: ConnectionId) -> Option<ConnectionInfo> {
        self.shared.table().by_id.get(&id).map(|e| e.info.clone())
    }

    /// Whether a connection to `peer` is open (looked up by transport and address, as
    /// [`TransportLayer::send`] reuses it).
    pub fn has_connection(&self, peer: &Peer) -> bool {
        self.shared.table().lookup(peer).is_some()
    }

    /// Every live connection.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        self.shared
            .table()
            .by_id
            .values()
            .map(|e| e.info.clone())
            .collect()
    }

    /// Closes a connection (after the write in progress, if any). Returns whether it was open.
    pub fn close(&self, id: ConnectionId) -> bool {
        match self.shared.table().by_id.get(&id) {
            Some(e) => {
                e.close.cancel();
                true
            }
            None => false,
        }
    }

    /// The local addresses of the bound UDP endpoints.
    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.shared
            .udp
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| e.local)
            .collect()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Shuts down gracefully: listeners stop accepting at once (their ports close), connections
    /// close as soon as they have been idle for [`Config::drain_idle`], and UDP keeps working,
    /// until `drain` completes (the core saying its transactions have ended) or `deadline`
    /// passes. Then everything stops and the tasks are awaited (for up to one more second).
    pub async fn shutdown(
        &self,
        drain: impl Future<Output = ()>,
        deadline: Duration,
    ) -> ShutdownReport {
        let s = &self.shared;
        s.accepting.cancel();
        s.draining.cancel();
        let drained = tokio::time::timeout(deadline, drain).await.is_ok();
        let closed_connections = s.table().by_id.len();
        s.stop.cancel();
        s.tasks.close();
        if tokio::time::timeout(Duration::from_secs(1), s.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("transport tasks still running after shutdown");
        }
        ShutdownReport {
            drained,
            closed_connections,
        }
    }
}
