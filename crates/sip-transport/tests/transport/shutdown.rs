//! Graceful shutdown: stop accepting, close idle connections, wait for drain or deadline.

use std::time::{Duration, Instant};

use sip_transport::{Destination, Peer, SendError};
use tokio::net::TcpStream;

use super::common::*;

#[tokio::test]
async fn graceful_shutdown_drains() {
    let (layer, _rx) = layer(config());
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let udp = layer.bind_udp(lo()).await.expect("bind");
    let mut idle = TcpStream::connect(server).await.expect("connect");
    // Wait until the server has the connection in its table.
    while layer.connections().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let checks = async {
        // The idle connection is closed after drain_idle (100 ms).
        assert!(closes_within(&mut idle, Duration::from_secs(2)).await);
        // The listener no longer accepts.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match TcpStream::connect(server).await {
                Err(_) => break,
                Ok(mut s) => {
                    // Accepted by the kernel before the listener closed: it must close.
                    assert!(closes_within(&mut s, Duration::from_secs(2)).await);
                }
            }
            assert!(Instant::now() < deadline, "listener still accepting");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // UDP keeps working while draining.
        let c = tokio::net::UdpSocket::bind(lo()).await.expect("bind");
        layer
            .send(
                &Destination::peer(Peer::udp(c.local_addr().expect("addr"))),
                options("UDP", &udp.to_string(), "drain"),
            )
            .await
            .expect("UDP during drain");
    };
    let report = layer.shutdown(checks, Duration::from_secs(5)).await;
    assert!(report.drained);
    assert_eq!(report.closed_connections, 0);
    let r = layer
        .send(
            &Destination::peer(Peer::udp("127.0.0.1:9".parse().expect("a"))),
            options("UDP", "x.invalid", "late"),
        )
        .await;
    assert!(matches!(r, Err(SendError::ShutDown)), "{r:?}");
}

#[tokio::test]
async fn shutdown_deadline_cuts_a_drain_that_never_ends() {
    let mut c = config();
    c.drain_idle = Duration::from_secs(60);
    let (layer, _rx) = layer(c);
    let server = layer.listen_tcp(lo()).await.expect("listen");
    let mut busy = TcpStream::connect(server).await.expect("connect");
    while layer.connections().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let report = layer
        .shutdown(std::future::pending(), Duration::from_millis(200))
        .await;
    assert!(!report.drained);
    assert_eq!(report.closed_connections, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(closes_within(&mut busy, Duration::from_secs(1)).await);
}
