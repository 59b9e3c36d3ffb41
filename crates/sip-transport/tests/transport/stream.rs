//! TCP: framing, keep-alives, connection reuse, idle timeout, limits, framing errors.

use std::time::Duration;

use bytes::BytesMut;
use sip_transport::{Destination, Peer, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::common::*;

#[tokio::test]
async fn tcp_framing_across_split_writes_and_coalesced_messages() {
    let (layer, mut rx) = layer(config());
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut c = TcpStream::connect(server).await.expect("connect");
    c.set_nodelay(true).expect("nodelay");
    let me = c.local_addr().expect("addr");
    let msg = options("TCP", &me.to_string(), "split");
    for part in [&msg[..10], &msg[10..70], &msg[70..]] {
        c.write_all(part).await.expect("write");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = next(&mut rx).await;
    assert_eq!(got.message.call_id().expect("call-id"), "split@127.0.0.1");
    assert_eq!(got.source, Peer::tcp(me));
    let conn = got.connection.expect("came over a connection");
    // Two messages in one write.
    let mut two = options("TCP", &me.to_string(), "one").to_vec();
    two.extend_from_slice(&options("TCP", &me.to_string(), "two"));
    c.write_all(&two).await.expect("write");
    let a = next(&mut rx).await;
    let b = next(&mut rx).await;
    assert_eq!(a.message.call_id().expect("call-id"), "one@127.0.0.1");
    assert_eq!(b.message.call_id().expect("call-id"), "two@127.0.0.1");
    assert_eq!(b.connection, Some(conn));
    // The response goes back on the same connection.
    answer(&layer, &b, 200).await;
    let mut buf = BytesMut::new();
    let resp = read_message(&mut c, &mut buf).await;
    assert_eq!(status(&resp), 200);
    assert_eq!(resp.call_id().expect("call-id"), "two@127.0.0.1");
}

#[tokio::test]
async fn crlf_ping_gets_crlf_pong() {
    let (layer, mut rx) = layer(config());
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut c = TcpStream::connect(server).await.expect("connect");
    c.write_all(b"\r\n\r\n").await.expect("ping");
    let mut buf = BytesMut::new();
    let work = async {
        while buf.len() < 2 {
            tokio::io::AsyncReadExt::read_buf(&mut c, &mut buf)
                .await
                .expect("read");
        }
    };
    tokio::time::timeout(Duration::from_secs(2), work)
        .await
        .expect("pong");
    assert_eq!(&buf[..], b"\r\n");
    assert_eq!(layer.stats().pings_answered, 1);
    // A pong from the client is consumed silently; the stream stays in sync.
    c.write_all(b"\r\n").await.expect("pong");
    let me = c.local_addr().expect("addr").to_string();
    c.write_all(&options("TCP", &me, "afterping"))
        .await
        .expect("write");
    let got = next(&mut rx).await;
    assert_eq!(
        got.message.call_id().expect("call-id"),
        "afterping@127.0.0.1"
    );
}

#[tokio::test]
async fn two_sends_to_one_destination_share_a_connection() {
    let (server_layer, mut server_rx) = layer(config());
    let server = server_layer.listen_tcp(lo()).await.expect("listen");
    let (client_layer, _client_rx) = layer(config());
    let dest = Destination::peer(Peer::tcp(server));
    let (a, b) = tokio::join!(
        client_layer.send(&dest, options("TCP", "client.invalid", "reuse1")),
        client_layer.send(&dest, options("TCP", "client.invalid", "reuse2")),
    );
    let (a, b) = (a.expect("first send"), b.expect("second send"));
    assert!(a.is_some());
    assert_eq!(a, b, "both sends used one connection");
    let m1 = next(&mut server_rx).await;
    let m2 = next(&mut server_rx).await;
    assert_eq!(m1.connection, m2.connection);
    assert_eq!(server_layer.stats().accepted, 1);
    assert_eq!(client_layer.stats().connected, 1);
    let info = client_layer
        .connection_info(a.expect("id"))
        .expect("connection is open");
    assert_eq!(info.peer, Peer::tcp(server));
    assert!(!info.inbound);
}

#[tokio::test]
async fn idle_connection_is_closed() {
    let mut c = config();
    c.idle_timeout = Duration::from_millis(200);
    let (layer, _rx) = layer(c);
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut s = TcpStream::connect(server).await.expect("connect");
    assert!(closes_within(&mut s, Duration::from_secs(2)).await);
    assert_eq!(layer.stats().idle_closed, 1);
    assert!(layer.connections().is_empty());
}

#[tokio::test]
async fn per_ip_connection_limit() {
    let mut c = config();
    c.max_connections_per_ip = 2;
    let (layer, mut rx) = layer(c);
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut first = TcpStream::connect(server).await.expect("connect");
    let mut second = TcpStream::connect(server).await.expect("connect");
    for (s, id) in [(&mut first, "lim1"), (&mut second, "lim2")] {
        s.write_all(&options("TCP", "client.invalid", id))
            .await
            .expect("write");
        next(&mut rx).await;
    }
    let mut third = TcpStream::connect(server).await.expect("kernel accepts");
    assert!(closes_within(&mut third, Duration::from_secs(2)).await);
    assert_eq!(layer.stats().refused_limit, 1);
    // Closing one frees a slot.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while layer.connections().len() > 1 {
        assert!(tokio::time::Instant::now() < deadline, "slot not freed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut fourth = TcpStream::connect(server).await.expect("connect");
    fourth
        .write_all(&options("TCP", "client.invalid", "lim4"))
        .await
        .expect("write");
    assert_eq!(
        next(&mut rx).await.message.call_id().expect("call-id"),
        "lim4@127.0.0.1"
    );
}

#[tokio::test]
async fn framing_error_closes_the_connection() {
    let (layer, _rx) = layer(config());
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut s = TcpStream::connect(server).await.expect("connect");
    // No Content-Length on a stream: framing is lost.
    s.write_all(b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n\r\n")
        .await
        .expect("write");
    assert!(closes_within(&mut s, Duration::from_secs(2)).await);
    assert_eq!(layer.stats().framing_errors, 1);
}

#[tokio::test]
async fn websocket_peers_cannot_be_dialled() {
    let (layer, _rx) = layer(config());
    let dest = Destination::peer(Peer::new(
        "127.0.0.1:5060".parse().expect("a"),
        Transport::Ws,
    ));
    let r = layer.send(&dest, options("WS", "x.invalid", "ws")).await;
    assert!(matches!(r, Err(sip_transport::SendError::NoConnection(_))));
}

#[tokio::test]
async fn response_falls_back_to_a_new_connection_when_the_old_one_closed() {
    let (layer, mut rx) = layer(config());
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut c = TcpStream::connect(server).await.expect("connect");
    c.write_all(&options("TCP", "client.invalid", "fb"))
        .await
        .expect("write");
    let got = next(&mut rx).await;
    let conn = got.connection.expect("connection");
    drop(c);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while layer.connection_info(conn).is_some() {
        assert!(tokio::time::Instant::now() < deadline, "still open");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // RFC 3261 §18.2.2: the connection is gone, so connect to received and the sent-by port
    // (here a plain listener standing in for the client).
    let fallback = tokio::net::TcpListener::bind(lo()).await.expect("bind");
    let dest = Destination::connection(conn).or_peer(Peer::tcp(fallback.local_addr().expect("a")));
    let via_conn = layer
        .send(&dest, options("TCP", "x.invalid", "fbresp"))
        .await
        .expect("sent")
        .expect("connection");
    assert_ne!(via_conn, conn);
    let (mut s, _) = fallback.accept().await.expect("accept");
    let mut buf = BytesMut::new();
    let m = read_message(&mut s, &mut buf).await;
    assert_eq!(m.call_id().expect("call-id"), "fbresp@127.0.0.1");
    // Without a fallback the closed connection is an error.
    let r = layer
        .send(
            &Destination::connection(conn),
            options("TCP", "x.invalid", "z"),
        )
        .await;
    assert!(
        matches!(r, Err(sip_transport::SendError::ConnectionClosed(_))),
        "{r:?}"
    );
}
