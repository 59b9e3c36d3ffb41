//! UDP: several receive workers per address, recycled receive buffers, direct sends, and the
//! STUN keep-alive answer of RFC 5626 §4.4.2.
//!
//! # Choices
//!
//! * **Receive.** On Linux each worker owns its own socket bound with `SO_REUSEPORT` to the same
//!   address; the kernel spreads datagrams over them by a hash of the source, so one peer's
//!   messages stay in order on one worker and the workers never contend for a socket lock or
//!   wake each other. Elsewhere one socket is shared by the workers.
//! * **Buffers.** A worker receives into the spare capacity of one large `BytesMut` and splits
//!   each datagram off as a frozen `Bytes` that the parsed message keeps (no copy). When the
//!   spare part gets smaller than the largest datagram, `reserve` reclaims the allocation if
//!   every earlier message has been dropped, or takes a fresh one.
//! * **Send.** A datagram is written straight from the caller's task with `try_send_to`
//!   (falling back to `send_to().await` only if the socket buffer is full), round-robin over
//!   the address's sockets. Batching with `sendmmsg` or UDP GSO would need `unsafe` FFI here
//!   (the workspace denies it) and pays only for many datagrams to one destination with equal
//!   sizes (GSO) or for a dedicated sender task (`sendmmsg`); SIP traffic is one datagram to
//!   many destinations, and the direct send avoids a channel hop and a task wake-up per
//!   message. The loopback numbers are in the crate README.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use sip_transaction::{Peer, Transport};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use crate::layer::Shared;
use crate::routing::{check_destination, response_target};
use crate::stats::Counters;
use crate::{ListenError, SendError};

/// The largest UDP payload (IPv4: 65 535 - 8 - 20).
pub(crate) const MAX_DATAGRAM: usize = 65_507;
/// Receive buffer allocation: room for many typical datagrams per allocation.
const RECV_CHUNK: usize = 256 * 1024;

/// The sockets bound to one local UDP address.
pub(crate) struct UdpEndpoint {
    pub(crate) local: SocketAddr,
    sockets: Vec<Arc<UdpSocket>>,
    next: AtomicUsize,
}

impl UdpEndpoint {
    fn pick(&self) -> &Arc<UdpSocket> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sockets.len();
        &self.sockets[i]
    }
}

fn new_socket(addr: SocketAddr, reuse_port: bool, buffer: Option<usize>) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = reuse_port;
    if let Some(n) = buffer {
        // Best effort: the kernel caps these at its configured maxima.
        let _ = s.set_recv_buffer_size(n);
        let _ = s.set_send_buffer_size(n);
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    Ok(s)
}

/// Binds the endpoint's sockets and starts its receive workers.
pub(crate) fn bind(shared: &Arc<Shared>, addr: SocketAddr) -> Result<SocketAddr, ListenError> {
    let err = |source| ListenError::Bind { addr, source };
    let workers = shared.config.udp_workers.max(1);
    let buffer = shared.config.udp_socket_buffer;
    let reuse_port = cfg!(any(target_os = "linux", target_os = "android")) && workers > 1;
    let first = new_socket(addr, reuse_port, buffer).map_err(err)?;
    let local = first
        .local_addr()
        .map_err(err)?
        .as_socket()
        .ok_or_else(|| err(io::ErrorKind::InvalidInput.into()))?;
    let mut sockets = vec![first];
    if reuse_port {
        for _ in 1..workers {
            sockets.push(new_socket(local, true, buffer).map_err(err)?);
        }
    }
    let sockets = sockets
        .into_iter()
        .map(|s| UdpSocket::from_std(s.into()).map(Arc::new))
        .collect::<io::Result<Vec<_>>>()
        .map_err(err)?;
    for i in 0..workers {
        let sock = sockets[i % sockets.len()].clone();
        shared.tasks.spawn(recv_worker(shared.clone(), sock, local));
    }
    shared
        .udp
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(Arc::new(UdpEndpoint {
            local,
            sockets,
            next: AtomicUsize::new(0),
        }));
    tracing::debug!(%local, workers, reuse_port, "UDP bound");
    Ok(local)
}

async fn recv_worker(shared: Arc<Shared>, sock: Arc<UdpSocket>, local: SocketAddr) {
    let mut buf = BytesMut::with_capacity(RECV_CHUNK);
    loop {
        if buf.capacity() < MAX_DATAGRAM {
            buf.reserve(RECV_CHUNK.max(MAX_DATAGRAM));
        }
        let r = tokio::select! {
            () = shared.stop.cancelled() => break,
            r = sock.recv_buf_from(&mut buf) => r,
        };
        let (n, source) = match r {
            Ok(x) => x,
            Err(e) => {
                // ICMP errors surface here on some systems; nothing to do but go on.
                tracing::trace!(error = %e, "UDP receive error");
                buf.clear();
                continue;
            }
        };
        let datagram = buf.split_to(n).freeze();
        on_datagram(&shared, &sock, local, source, datagram).await;
    }
}

async fn on_datagram(
    shared: &Shared,
    sock: &UdpSocket,
    local: SocketAddr,
    source: SocketAddr,
    datagram: Bytes,
) {
    let Some(&first) = datagram.first() else {
        return;
    };
    if first < 0x04 {
        // STUN (the two top bits of a STUN message are zero; SIP starts with a letter).
        if let Some(reply) = stun_binding_response(&datagram, source) {
            let _ = sock.try_send_to(&reply, source);
        }
        return;
    }
    if datagram.iter().all(|&b| b == b'\r' || b == b'\n') {
        // CRLF keep-alive some UAs send over UDP: nothing to answer.
        return;
    }
    let peer = Peer::udp(source);
    let Some(reply) = shared.deliver(datagram, peer, local, None).await else {
        return;
    };
    // A top Via that cannot be read (`SIP/7.0/UDP`, RFC 4475 badvers) or that names another
    // transport: the answer goes back where the datagram came from.
    let dest = match reply.via().map(|via| response_target(&via, &peer, None)) {
        Some(Ok(crate::routing::ResponseTarget::Peer(p))) if p.transport == Transport::Udp => {
            p.addr
        }
        _ => source,
    };
    if check_destination(dest).is_err() {
        Counters::inc(&shared.counters.forbidden_destinations);
        return;
    }
    if sock.send_to(&reply.bytes, dest).await.is_ok() {
        Counters::inc(&shared.counters.udp_sent);
    }
}

/// Sends one datagram from the endpoint bound to `from` if given, else from the first endpoint
/// of the destination's address family.
pub(crate) async fn send(
    shared: &Shared,
    to: SocketAddr,
    from: Option<SocketAddr>,
    data: &[u8],
) -> Result<(), SendError> {
    if data.len() > MAX_DATAGRAM {
        return Err(SendError::TooLarge {
            len: data.len(),
            limit: MAX_DATAGRAM,
        });
    }
    let sock = {
        let eps = shared.udp.read().unwrap_or_else(|e| e.into_inner());
        let by_local = from.and_then(|l| eps.iter().find(|e| e.local == l));
        let ep = by_local
            .or_else(|| eps.iter().find(|e| e.local.is_ipv4() == to.is_ipv4()))
            .ok_or(SendError::NoUdpSocket(to))?;
        ep.pick().clone()
    };
    let r = match sock.try_send_to(data, to) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => sock.send_to(data, to).await,
        r => r,
    };
    match r {
        Ok(_) => {
            Counters::inc(&shared.counters.udp_sent);
            Ok(())
        }
        Err(source) => Err(SendError::Io { addr: to, source }),
    }
}

/// The STUN magic cookie (RFC 5389 §6).
const STUN_MAGIC: u32 = 0x2112_A442;

/// Answers a STUN Binding request with a Binding success response carrying
/// XOR-MAPPED-ADDRESS (RFC 5389 §7.3, §15.2), as RFC 5626 §4.4.2 asks of a SIP server on its
/// UDP port. Anything else gets no answer.
pub(crate) fn stun_binding_response(req: &[u8], source: SocketAddr) -> Option<Bytes> {
    if req.len() < 20 {
        return None;
    }
    let msg_type = u16::from_be_bytes([req[0], req[1]]);
    let len = u16::from_be_bytes([req[2], req[3]]) as usize;
    let magic = u32::from_be_bytes([req[4], req[5], req[6], req[7]]);
    if msg_type != 0x0001 || magic != STUN_MAGIC || 20 + len != req.len() {
        return None;
    }
    let txid = &req[8..20];
    let port = source.port() ^ (STUN_MAGIC >> 16) as u16;
    let mut attr = BytesMut::with_capacity(24);
    match source.ip().to_canonical() {
        IpAddr::V4(ip) => {
            attr.put_u8(0);
            attr.put_u8(0x01);
            attr.put_u16(port);
            attr.put_u32(u32::from(ip) ^ STUN_MAGIC);
        }
        IpAddr::V6(ip) => {
            attr.put_u8(0);
            attr.put_u8(0x02);
            attr.put_u16(port);
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&STUN_MAGIC.to_be_bytes());
            key[4..].copy_from_slice(txid);
            for (o, k) in ip.octets().iter().zip(key) {
                attr.put_u8(o ^ k);
            }
        }
    }
    let mut out = BytesMut::with_capacity(20 + 4 + attr.len());
    out.put_u16(0x0101);
    out.put_u16((4 + attr.len()) as u16);
    out.put_u32(STUN_MAGIC);
    out.put_slice(txid);
    out.put_u16(0x0020);
    out.put_u16(attr.len() as u16);
    out.put_slice(&attr);
    Some(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stun_binding_request_gets_xor_mapped_address() {
        let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
        req.extend_from_slice(&[7u8; 12]);
        let src: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let r = stun_binding_response(&req, src).expect("response");
        assert_eq!(&r[..2], &[0x01, 0x01]);
        assert_eq!(&r[8..20], &[7u8; 12]);
        assert_eq!(u16::from_be_bytes([r[20], r[21]]), 0x0020);
        let port = u16::from_be_bytes([r[26], r[27]]) ^ 0x2112;
        assert_eq!(port, 40000);
        let ip = u32::from_be_bytes([r[28], r[29], r[30], r[31]]) ^ STUN_MAGIC;
        assert_eq!(std::net::Ipv4Addr::from(ip), std::net::Ipv4Addr::LOCALHOST);
        // Not a binding request: no answer.
        req[1] = 0x11;
        assert!(stun_binding_response(&req, src).is_none());
    }
}
