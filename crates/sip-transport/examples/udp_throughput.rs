//! UDP loopback throughput: OPTIONS in, 200 OK out, through the whole transport path
//! (receive, parse, Via stamping, bounded channel, §18.2.2 routing, send).
//!
//! Closed loop: `CLIENTS` client sockets each keep `WINDOW` requests outstanding and send a new
//! one per response received, for `SECONDS`. Everything runs on 127.0.0.1 in one process, so
//! the clients share the CPUs with the server.
//!
//! ```text
//! cargo run --release -p sip-transport --example udp_throughput -- [workers] [seconds]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sip_message::Response;
use sip_transport::{Config, TransportLayer, routing};
use tokio::net::UdpSocket;

const CLIENTS: usize = 4;
const WINDOW: usize = 32;

fn request(n: u64, sent_by: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:bench@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {sent_by};branch=z9hG4bK-{n};rport\r\n\
         Max-Forwards: 70\r\nTo: <sip:bench@127.0.0.1>\r\n\
         From: <sip:load@127.0.0.1>;tag=ld{n}\r\nCall-ID: {n}@bench\r\n\
         CSeq: 1 OPTIONS\r\nUser-Agent: carillon-bench\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let workers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(workers, seconds))
}

async fn run(workers: usize, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::default();
    config.udp_workers = workers;
    let (layer, mut inbound) = TransportLayer::new(config);
    let server = layer.bind_udp("127.0.0.1:0".parse()?).await?;

    // The "core": answer every request with 200 OK.
    let core_layer = layer.clone();
    tokio::spawn(async move {
        while let Some(msg) = inbound.recv().await {
            let Some(req) = msg.message.as_request() else {
                continue;
            };
            let Ok(target) = routing::response_target_for(req, &msg.source, None) else {
                continue;
            };
            let Some(dest) = target.destination(Some(msg.local)) else {
                continue;
            };
            let resp = Response::from_request(req, 200);
            let _ = core_layer.send(&dest, resp.to_bytes()).await;
        }
    });

    let done = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let sock = UdpSocket::bind("127.0.0.1:0").await?;
        let sent_by = sock.local_addr()?.to_string();
        let (done, answered) = (done.clone(), answered.clone());
        clients.push(tokio::spawn(async move {
            let mut n = (c as u64) << 40;
            for _ in 0..WINDOW {
                n += 1;
                let _ = sock.send_to(&request(n, &sent_by), server).await;
            }
            let mut buf = vec![0u8; 4096];
            while !done.load(Ordering::Relaxed) {
                // A lost datagram shrinks the window; refill it on a quiet spell.
                match tokio::time::timeout(Duration::from_millis(50), sock.recv_from(&mut buf))
                    .await
                {
                    Ok(Ok(_)) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                        let _ = sock.send_to(&request(n, &sent_by), server).await;
                    }
                    Ok(Err(_)) => {}
                    Err(_) => {
                        for _ in 0..WINDOW {
                            n += 1;
                            let _ = sock.send_to(&request(n, &sent_by), server).await;
                        }
                    }
                }
            }
        }));
    }
    // Warm up, then measure.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start_count = answered.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let count = answered.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    let stats = layer.stats();
    println!(
        "workers={workers} clients={CLIENTS} window={WINDOW}: {:.0} transactions/s \
         ({:.0} datagrams/s through the server), parse_errors={}",
        count as f64 / elapsed,
        2.0 * count as f64 / elapsed,
        stats.parse_errors
    );
    layer
        .shutdown(std::future::ready(()), Duration::from_millis(100))
        .await;
    Ok(())
}
