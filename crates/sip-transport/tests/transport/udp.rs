//! UDP: round trip, stateless 400, received/rport, forbidden destinations, STUN keep-alive,
//! shedding new requests while the core is far behind.

use std::time::Duration;

use bytes::Bytes;
use sip_message::Message;
use sip_transport::{Destination, Peer, SendError, Transport};
use tokio::net::UdpSocket;

use super::common::*;

async fn client() -> UdpSocket {
    UdpSocket::bind(lo()).await.expect("client socket")
}

async fn recv_message(sock: &UdpSocket) -> Message {
    let mut buf = vec![0u8; 65_536];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), sock.recv_from(&mut buf))
        .await
        .expect("a datagram within 2 s")
        .expect("recv");
    Message::parse(Bytes::copy_from_slice(&buf[..n])).expect("parses")
}

#[tokio::test]
async fn udp_round_trip() {
    let (layer, mut rx) = layer(config());
    let server = layer.bind_udp(lo()).await.expect("bind");
    let c = client().await;
    let me = c.local_addr().expect("addr");
    c.send_to(&options("UDP", &me.to_string(), "rt1"), server)
        .await
        .expect("send");
    let got = next(&mut rx).await;
    assert_eq!(got.source, Peer::udp(me));
    assert_eq!(got.local, server);
    assert_eq!(got.connection, None);
    answer(&layer, &got, 200).await;
    let resp = recv_message(&c).await;
    assert_eq!(status(&resp), 200);
    assert_eq!(resp.call_id().expect("call-id"), "rt1@127.0.0.1");
    let stats = layer.stats();
    assert_eq!((stats.received, stats.udp_sent), (1, 1));
}

#[tokio::test]
async fn malformed_udp_request_gets_400_and_is_not_delivered() {
    let (layer, mut rx) = layer(config());
    let server = layer.bind_udp(lo()).await.expect("bind");
    let c = client().await;
    let me = c.local_addr().expect("addr");
    // Content-Length promises more body than the datagram holds.
    let bad = String::from_utf8(options("UDP", &me.to_string(), "bad1").to_vec())
        .expect("utf8")
        .replace("Content-Length: 0", "Content-Length: 40");
    c.send_to(bad.as_bytes(), server).await.expect("send");
    let resp = recv_message(&c).await;
    assert_eq!(status(&resp), 400);
    assert!(
        resp.to().expect("to").tag().is_some(),
        "400 carries a To tag"
    );
    // A malformed response is dropped silently.
    c.send_to(b"SIP/2.0 200 OK\r\nVia: x\r\n", server)
        .await
        .expect("send");
    // The next delivered message is the good one that follows.
    c.send_to(&options("UDP", &me.to_string(), "good1"), server)
        .await
        .expect("send");
    let got = next(&mut rx).await;
    assert_eq!(got.message.call_id().expect("call-id"), "good1@127.0.0.1");
    let stats = layer.stats();
    assert_eq!((stats.parse_errors, stats.rejected), (2, 1));
}

#[tokio::test]
async fn received_and_rport_are_added() {
    let (layer, mut rx) = layer(config());
    let server = layer.bind_udp(lo()).await.expect("bind");
    let c = client().await;
    let me = c.local_addr().expect("addr");
    // sent-by is a name behind a "NAT": received and rport are filled in.
    c.send_to(&options("UDP", "phone.invalid:5099", "nat1"), server)
        .await
        .expect("send");
    let got = next(&mut rx).await;
    let via = got.message.via().expect("via");
    assert_eq!(via.received(), Some("127.0.0.1"));
    let rport = me.port().to_string();
    assert_eq!(via.rport(), Some(Some(rport.as_str())));
    // The response goes to the source port (rport), not to 5099.
    answer(&layer, &got, 200).await;
    assert_eq!(status(&recv_message(&c).await), 200);
}

#[tokio::test]
async fn refuses_broadcast_multicast_and_unspecified() {
    let (layer, _rx) = layer(config());
    layer.bind_udp(lo()).await.expect("bind");
    for addr in ["255.255.255.255:5060", "224.0.0.1:5060", "0.0.0.0:5060"] {
        for t in [Transport::Udp, Transport::Tcp] {
            let dest = Destination::peer(Peer::new(addr.parse().expect("addr"), t));
            let r = layer.send(&dest, Bytes::from_static(b"x")).await;
            assert!(
                matches!(r, Err(SendError::Forbidden(_))),
                "{t} to {addr}: {r:?}"
            );
        }
    }
    assert_eq!(layer.stats().forbidden_destinations, 6);
    assert_eq!(layer.stats().udp_sent, 0);
}

#[tokio::test]
async fn stun_keepalive_is_answered() {
    let (layer, _rx) = layer(config());
    let server = layer.bind_udp(lo()).await.expect("bind");
    let c = client().await;
    let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
    req.extend_from_slice(b"0123456789ab");
    c.send_to(&req, server).await.expect("send");
    let mut buf = [0u8; 128];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), c.recv_from(&mut buf))
        .await
        .expect("answer")
        .expect("recv");
    assert_eq!(&buf[..2], &[0x01, 0x01]);
    assert_eq!(&buf[8..20], b"0123456789ab");
    assert_eq!(n, 32);
    assert_eq!(layer.stats().parse_errors, 0);
}

#[tokio::test]
async fn far_behind_new_requests_are_shed_while_bye_and_responses_get_through() {
    let mut cfg = config();
    cfg.udp_workers = 1;
    cfg.inbound_capacity = 16;
    cfg.shed_new_requests_at = 4;
    let (layer, mut rx) = layer(cfg);
    let server = layer.bind_udp(lo()).await.expect("bind");
    let c = client().await;
    let me = c.local_addr().expect("addr");
    let sent_by = me.to_string();
    // Nobody reads the inbound queue: four new requests fill it to the threshold.
    for i in 0..4 {
        c.send_to(&options("UDP", &sent_by, &format!("q{i}")), server)
            .await
            .expect("send");
    }
    let wait_for = |want: u64| {
        let layer = layer.clone();
        async move {
            for _ in 0..200 {
                let s = layer.stats();
                if s.received + s.shed >= want {
                    return s;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            layer.stats()
        }
    };
    assert_eq!(wait_for(4).await.received, 4);
    // Past it: new requests are dropped; a BYE, a request with a To tag and a response are not.
    for i in 0..3 {
        c.send_to(&options("UDP", &sent_by, &format!("new{i}")), server)
            .await
            .expect("send");
    }
    let bye = String::from_utf8(options("UDP", &sent_by, "bye1").to_vec())
        .expect("utf8")
        .replace("OPTIONS", "BYE");
    let in_dialog = String::from_utf8(options("UDP", &sent_by, "info1").to_vec())
        .expect("utf8")
        .replace("OPTIONS", "INFO")
        .replace(
            "<sip:carol@127.0.0.1>\r\n",
            "<sip:carol@127.0.0.1>;tag=c1\r\n",
        );
    let response = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {server};branch=z9hG4bKout1\r\n\
         To: <sip:carol@127.0.0.1>;tag=c2\r\nFrom: <sip:alice@127.0.0.1>;tag=1928\r\n\
         Call-ID: out1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    for m in [&bye, &in_dialog, &response] {
        c.send_to(m.as_bytes(), server).await.expect("send");
    }
    let stats = wait_for(10).await;
    assert_eq!((stats.received, stats.shed), (7, 3));
    let delivered: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..7 {
            let m = next(&mut rx).await.message;
            v.push(m.call_id().expect("call-id").to_owned());
        }
        v
    };
    assert_eq!(
        delivered,
        [
            "q0@127.0.0.1",
            "q1@127.0.0.1",
            "q2@127.0.0.1",
            "q3@127.0.0.1",
            "bye1@127.0.0.1",
            "info1@127.0.0.1",
            "out1@127.0.0.1"
        ]
    );
    // Once the core has caught up, new requests are taken again.
    c.send_to(&options("UDP", &sent_by, "after"), server)
        .await
        .expect("send");
    let got = next(&mut rx).await;
    assert_eq!(got.message.call_id().expect("call-id"), "after@127.0.0.1");
    assert_eq!(layer.stats().shed, 3);
}
