//! [`UserAgent`]: one tokio task that owns a [`DialogLayer`] and drives it from a
//! [`TransportLayer`], the clock and the application's commands.

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip_dialog::{
    Answer, ApiError, Config as DialogConfig, DialogEvent, DialogId, DialogLayer, IncomingId,
    InitialRequest, Input, Output, RequestId, SplitMix64,
};
use sip_transaction::{Peer, Transport};
use sip_transport::tls::{TlsError, TlsVersions};
use sip_transport::{
    Config as TransportConfig, Destination, Inbound, ListenError, TlsServer, TransportLayer,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Listen;

/// How a [`UserAgent`] starts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UaConfig {
    /// The one listener. Its transport and bound address make the Contact and the Via
    /// sent-by, so the peer's in-dialog requests come back to it.
    pub listen: Listen,
    /// The user part of the Contact (`sip:USER@127.0.0.1:5060`).
    pub user: String,
    /// PEM file of the CAs trusted for outbound TLS; without it outbound TLS is refused.
    pub tls_roots: Option<PathBuf>,
    /// Print every message sent and received on standard error.
    pub trace: bool,
    /// The dialog layer's configuration; `contact` and `sent_by` are filled in at start.
    pub dialog: DialogConfig,
}

impl UaConfig {
    /// A user agent `carillon` listening on `listen`, with the RFC defaults.
    pub fn new(listen: Listen) -> Self {
        UaConfig {
            listen,
            user: "carillon".to_owned(),
            tls_roots: None,
            trace: false,
            // Placeholders: replaced once the listener's port is known.
            dialog: DialogConfig::new("sip:carillon@127.0.0.1", "127.0.0.1"),
        }
    }
}

/// The user agent could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listener could not be bound.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// A certificate, key or CA file is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The runtime refused something (reading a file...).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UaError {
    /// The dialog layer refused the command.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The driver task has stopped.
    #[error("the user agent has stopped")]
    Stopped,
}

type Command = Box<dyn FnOnce(&mut DialogLayer, Instant) + Send>;

/// A running user agent: a [`DialogLayer`] owned by one task that
///
/// - feeds it every message the [`TransportLayer`] delivers (`handle_input`),
/// - sleeps until its `poll_timeout` and then calls `handle_timeout`,
/// - runs the application's commands ([`UserAgent::with`] and its shorthands),
///
/// and after each of these drains `poll_output`: transmits go to
/// [`TransportLayer::send`] (a failed send goes back in as `Input::TransportError`), events
/// to [`UserAgent::next_event`]. The task is the clock's only reader.
///
/// Responses are sent to the [`Peer`] the transaction layer names, which is where the
/// request came from: the same connection for TCP, TLS and WebSocket (the transport finds it
/// by address), the source address for UDP (RFC 3581 behaviour). Sends are awaited one at a
/// time, in order, so opening a connection holds the loop up to the transport's connect
/// timeout: fine for a test agent, not for a server.
#[derive(Debug)]
pub struct UserAgent {
    commands: mpsc::Sender<Command>,
    events: mpsc::UnboundedReceiver<DialogEvent>,
    transport: TransportLayer,
    local: SocketAddr,
    kind: Transport,
    contact: String,
    task: JoinHandle<()>,
}

impl UserAgent {
    /// Binds the listener and starts the driver task on the current tokio runtime.
    pub async fn start(config: UaConfig) -> Result<UserAgent, StartError> {
        let mut tcfg = TransportConfig::default();
        tcfg.udp_workers = 1;
        if let Some(path) = &config.tls_roots {
            let pem = std::fs::read(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            let roots = sip_transport::tls::root_store_from_pem(&pem)?;
            tcfg.tls_client = Some(Arc::new(sip_transport::tls::client_config(
                roots,
                TlsVersions::Tls12And13,
            )?));
        }
        let (transport, inbound) = TransportLayer::new(tcfg);
        let local = match &config.listen {
            Listen::Udp(a) => transport.bind_udp(*a).await?,
            Listen::Tcp(a) => transport.listen_tcp(*a).await?,
            Listen::Tls { addr, cert, key } => {
                // 1.2 as well as 1.3: PJSIP's TLS stops at 1.2.
                let tls = TlsServer::from_pem_files(cert, key, TlsVersions::Tls12And13)?;
                transport.listen_tls(*addr, tls).await?
            }
            Listen::Ws(a) => transport.listen_ws(*a).await?,
        };
        let kind = config.listen.transport();
        let contact = match kind {
            Transport::Udp => format!("sip:{}@{local}", config.user),
            t => format!(
                "sip:{}@{local};transport={}",
                config.user,
                t.as_str().to_ascii_lowercase()
            ),
        };
        let mut dcfg = config.dialog;
        dcfg.contact = contact.clone();
        dcfg.sent_by = local.to_string();
        let layer = DialogLayer::new(dcfg, Box::new(SplitMix64::new(seed())));
        let (commands, command_rx) = mpsc::channel(64);
        // Unbounded on purpose: the driver must never wait for the application, which may
        // itself be waiting for a command's reply. One channel per agent, not per transaction.
        let (event_tx, events) = mpsc::unbounded_channel();
        let driver = Driver {
            layer,
            transport: transport.clone(),
            events: event_tx,
            trace: config.trace,
        };
        let task = tokio::spawn(driver.run(inbound, command_rx));
        Ok(UserAgent {
            commands,
            events,
            transport,
            local,
            kind,
            contact,
            task,
        })
    }

    /// The listener's bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The listener's transport.
    pub fn transport(&self) -> Transport {
        self.kind
    }

    /// The Contact URI (without angle brackets).
    pub fn contact(&self) -> &str {
        &self.contact
    }

    /// The transport layer (for statistics and connections).
    pub fn transport_layer(&self) -> &TransportLayer {
        &self.transport
    }

    /// Runs `f` on the dialog layer inside the driver task, with the driver's `now`, then
    /// drains the layer's outputs. Every command of [`DialogLayer`] is reachable this way.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DialogLayer, Instant) -> R + Send + 'static,
    ) -> Result<R, UaError> {
        let (tx, rx) = oneshot::channel();
        let cmd: Command = Box::new(move |layer, now| {
            let _ = tx.send(f(layer, now));
        });
        self.commands
            .send(cmd)
            .await
            .map_err(|_| UaError::Stopped)?;
        rx.await.map_err(|_| UaError::Stopped)
    }

    /// Sends an INVITE (or any initial request built by [`DialogLayer::invite`]).
    pub async fn invite(&self, req: InitialRequest) -> Result<RequestId, UaError> {
        Ok(self.with(move |l, now| l.invite(now, req)).await??)
    }

    /// Answers a request reported by [`DialogEvent::Request`].
    pub async fn answer(
        &self,
        id: IncomingId,
        answer: Answer,
    ) -> Result<Option<DialogId>, UaError> {
        Ok(self.with(move |l, now| l.answer(now, id, answer)).await??)
    }

    /// Ends a confirmed dialog's session with BYE.
    pub async fn bye(&self, dialog: DialogId) -> Result<RequestId, UaError> {
        Ok(self.with(move |l, now| l.bye(now, dialog)).await??)
    }

    /// The next event from the dialog layer; `None` once the driver has stopped.
    pub async fn next_event(&mut self) -> Option<DialogEvent> {
        self.events.recv().await
    }

    /// Stops the driver, lets queued sends leave for a moment, and closes the transports.
    pub async fn shutdown(self) {
        drop(self.commands);
        let _ = self.task.await;
        self.transport
            .shutdown(
                tokio::time::sleep(Duration::from_millis(100)),
                Duration::from_secs(2),
            )
            .await;
    }
}

/// A seed for tags, branches and Call-IDs that differs between runs and processes (the
/// standard library's hasher keys are random per process).
fn seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

struct Driver {
    layer: DialogLayer,
    transport: TransportLayer,
    events: mpsc::UnboundedSender<DialogEvent>,
    trace: bool,
}

impl Driver {
    async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        loop {
            let wake = self.layer.poll_timeout();
            tokio::select! {
                msg = inbound.recv() => {
                    let Some(msg) = msg else { break };
                    self.received(msg);
                }
                cmd = commands.recv() => {
                    let Some(cmd) = cmd else { break };
                    cmd(&mut self.layer, Instant::now());
                }
                () = sleep_until(wake) => self.layer.handle_timeout(Instant::now()),
            }
            self.drain().await;
        }
    }

    fn received(&mut self, msg: Inbound) {
        if self.trace {
            eprintln!(
                "carillon-ua: <<< from {}\n{}",
                msg.source,
                String::from_utf8_lossy(&msg.message.to_bytes())
            );
        }
        let input = Input::Received {
            now: Instant::now(),
            source: msg.source,
            message: msg.message,
        };
        if let Err(e) = self.layer.handle_input(input) {
            eprintln!("carillon-ua: message from {} dropped: {e}", msg.source);
        }
    }

    async fn drain(&mut self) {
        while let Some(out) = self.layer.poll_output() {
            match out {
                Output::Transmit(t) => {
                    if self.trace {
                        eprintln!(
                            "carillon-ua: >>> to {}\n{}",
                            t.destination,
                            String::from_utf8_lossy(&t.bytes)
                        );
                    }
                    let dest = Destination::peer(t.destination);
                    if let Err(e) = self.transport.send(&dest, t.bytes).await {
                        eprintln!("carillon-ua: sending to {} failed: {e}", t.destination);
                        if let Some(key) = t.key {
                            let now = Instant::now();
                            // The layer reports what it does about it as events.
                            let _ = self.layer.handle_input(Input::TransportError { now, key });
                        }
                    }
                }
                Output::Event(e) => {
                    // The application may have gone; the protocol still runs to its end.
                    let _ = self.events.send(e);
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

/// Where a SIP URI with an IP address host goes over `transport` (the port defaults to 5060,
/// 5061 for TLS). `None` for a domain name: this agent does not resolve.
///
/// ```
/// use sip_ua::peer_for_uri;
/// use sip_transaction::Transport;
/// let p = peer_for_uri("sip:bob@127.0.0.1:5070", Transport::Tcp).unwrap();
/// assert_eq!((p.addr.to_string().as_str(), p.transport), ("127.0.0.1:5070", Transport::Tcp));
/// assert_eq!(peer_for_uri("sip:bob@127.0.0.1", Transport::Tls).unwrap().addr.port(), 5061);
/// assert!(peer_for_uri("sip:bob@example.com", Transport::Udp).is_none());
/// ```
pub fn peer_for_uri(uri: &str, transport: Transport) -> Option<Peer> {
    let uri = sip_message::Uri::parse(uri).ok()?;
    let ip: std::net::IpAddr = match uri.host()? {
        sip_message::Host::Ipv4(a) => a.into(),
        sip_message::Host::Ipv6(a) => a.into(),
        sip_message::Host::Domain(_) => return None,
    };
    let port = uri.port().unwrap_or(match transport {
        Transport::Tls | Transport::Wss => 5061,
        _ => 5060,
    });
    Some(Peer::new(SocketAddr::new(ip, port), transport))
}
