//! Stream transports: accepting TCP (then TLS and WebSocket handshakes on top), connecting out,
//! and the per-connection loop that frames SIP by Content-Length (RFC 3261 §18.3) and answers
//! CRLF keep-alives (RFC 5626 §4.4.1).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use sip_message::framing::{Frame, next_frame};
use sip_transaction::{Peer, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::TlsServer;
use crate::conn::{ConnLoop, Event, Registered};
use crate::layer::Shared;
use crate::limits::ConnectionPermit;
use crate::stats::Counters;

/// Read buffer growth step.
const READ_CHUNK: usize = 16 * 1024;

/// What runs on an accepted TCP stream before SIP.
#[derive(Debug, Clone)]
pub(crate) enum Upgrade {
    /// Plain SIP over TCP.
    None,
    /// TLS, then SIP.
    Tls(TlsServer),
    /// The WebSocket upgrade, then SIP frames.
    Ws,
    /// TLS, the WebSocket upgrade, then SIP frames.
    Wss(TlsServer),
}

impl Upgrade {
    fn transport(&self) -> Transport {
        match self {
            Upgrade::None => Transport::Tcp,
            Upgrade::Tls(_) => Transport::Tls,
            Upgrade::Ws => Transport::Ws,
            Upgrade::Wss(_) => Transport::Wss,
        }
    }
}

/// Accepts connections until the layer stops accepting; dropping the listener closes the port.
pub(crate) async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    local: SocketAddr,
    upgrade: Upgrade,
) {
    let transport = upgrade.transport();
    tracing::debug!(%local, %transport, "listening");
    loop {
        let accepted = tokio::select! {
            () = shared.accepting.cancelled() => break,
            r = listener.accept() => r,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(%local, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let permit = match shared.limits.admit_inbound(remote.ip()) {
            Ok(p) => p,
            Err(why) => {
                Counters::inc(&shared.counters.refused_limit);
                tracing::debug!(%remote, ?why, "connection refused by limit");
                drop(stream);
                continue;
            }
        };
        Counters::inc(&shared.counters.accepted);
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().unwrap_or(local);
        let peer = Peer::new(remote, transport);
        shared.tasks.spawn(serve_accepted(
            shared.clone(),
            stream,
            peer,
            local,
            upgrade.clone(),
            permit,
        ));
    }
    tracing::debug!(%local, %transport, "listener closed");
}

/// Runs the handshakes an accepted stream needs, then its connection loop.
async fn serve_accepted(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: Peer,
    local: SocketAddr,
    upgrade: Upgrade,
    permit: ConnectionPermit,
) {
    let limit = shared.config.handshake_timeout;
    let max = shared.config.max_message;
    let stop = shared.stop.clone();
    let handshake = async {
        match upgrade {
            Upgrade::None => {
                let reg = shared.register(peer, local, true, None, permit);
                run_stream(shared.clone(), stream, reg).await;
                Some(())
            }
            Upgrade::Tls(tls) => {
                let tls = tokio::time::timeout(limit, tls.accept(stream))
                    .await
                    .ok()?
                    .ok()?;
                let v = crate::tls::version_name(tls.get_ref().1.protocol_version());
                let reg = shared.register(peer, local, true, v, permit);
                let stream = tokio_rustls::TlsStream::Server(tls);
                run_stream(shared.clone(), stream, reg).await;
                Some(())
            }
            Upgrade::Ws => {
                let policy = &shared.config.ws_origins;
                let ws = tokio::time::timeout(limit, crate::ws::accept(stream, policy, max))
                    .await
                    .ok()?
                    .ok()?;
                let reg = shared.register(peer, local, true, None, permit);
                crate::ws::run(shared.clone(), ws, reg).await;
                Some(())
            }
            Upgrade::Wss(tls) => {
                let policy = &shared.config.ws_origins;
                let work = async {
                    let tls = tls.accept(stream).await.ok()?;
                    crate::ws::accept(tls, policy, max).await.ok()
                };
                let ws = tokio::time::timeout(limit, work).await.ok()??;
                let v = crate::tls::version_name(ws.get_ref().get_ref().1.protocol_version());
                let reg = shared.register(peer, local, true, v, permit);
                crate::ws::run(shared.clone(), ws, reg).await;
                Some(())
            }
        }
    };
    let done = tokio::select! {
        () = stop.cancelled() => Some(()),
        d = handshake => d,
    };
    if done.is_none() {
        Counters::inc(&shared.counters.handshake_failures);
        tracing::debug!(%peer, "handshake failed or timed out");
    }
}

/// Opens a TCP connection with `TCP_NODELAY`.
pub(crate) async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Serves one SIP stream (TCP or TLS) until it closes, idles out, breaks framing or the layer
/// stops.
pub(crate) async fn run_stream<S>(shared: Arc<Shared>, mut stream: S, reg: Registered)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut lp = ConnLoop::new(&shared, reg);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let max = shared.config.max_message;
    let write_timeout = shared.config.write_timeout;
    'conn: loop {
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(READ_CHUNK);
        }
        let ev = tokio::select! {
            ev = lp.wait() => ev,
            r = stream.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => Event::Close,
                Ok(_) => Event::Activity,
            },
        };
        let out = match ev {
            Event::Close => break,
            Event::Send(batch) => batch,
            Event::Data(_) => continue,
            Event::Activity => {
                lp.touch();
                let mut replies = Vec::new();
                loop {
                    match next_frame(&buf, max) {
                        Ok(Frame::Incomplete) => break,
                        Ok(Frame::Ping { len }) => {
                            buf.advance(len);
                            Counters::inc(&shared.counters.pings_answered);
                            replies.push(Bytes::from_static(b"\r\n"));
                        }
                        Ok(Frame::Pong { len }) => buf.advance(len),
                        Ok(Frame::Message { len }) => {
                            let raw = buf.split_to(len).freeze();
                            if let Some(reply) = lp.deliver(&shared, raw).await {
                                replies.push(reply);
                            }
                        }
                        Err(e) => {
                            Counters::inc(&shared.counters.framing_errors);
                            tracing::debug!(error = %e, "framing lost; closing connection");
                            break 'conn;
                        }
                    }
                }
                replies
            }
        };
        if out.is_empty() {
            continue;
        }
        lp.touch();
        if write_batch(&mut stream, out, write_timeout).await.is_err() {
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), stream.shutdown()).await;
}

/// Writes messages in order, coalescing a batch into one write.
async fn write_batch<S>(stream: &mut S, batch: Vec<Bytes>, limit: Duration) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let work = async {
        if let [one] = batch.as_slice() {
            stream.write_all(one).await?;
        } else {
            let mut all = BytesMut::with_capacity(batch.iter().map(Bytes::len).sum());
            for b in &batch {
                all.extend_from_slice(b);
            }
            stream.write_all(&all).await?;
        }
        stream.flush().await
    };
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}
