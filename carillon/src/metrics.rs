//! Counters kept by the server and the Prometheus text endpoint that serves them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The server's own counters. Shared between the driver and the HTTP endpoint.
#[derive(Debug, Default)]
pub struct Metrics {
    transactions: Mutex<BTreeMap<(String, u16), u64>>,
    /// Requests challenged with 401 or 407.
    pub challenges: AtomicU64,
    /// Digest responses that failed (wrong password, unknown user, replay, forged nonce).
    pub auth_failures: AtomicU64,
    /// Digest responses that verified with MD5.
    pub auth_md5: AtomicU64,
    /// Digest responses that verified with SHA-256.
    pub auth_sha256: AtomicU64,
    /// Successful REGISTER requests that changed bindings.
    pub register_updates: AtomicU64,
    /// Store commits that failed (the REGISTER got 500).
    pub store_failures: AtomicU64,
    /// Requests dropped by the abuse protection (banned sources).
    pub requests_dropped: AtomicU64,
    /// New requests refused with 503 for overload.
    pub overload_rejections: AtomicU64,
    /// MESSAGEs kept for unregistered users (each durable before its 202).
    pub messages_stored: AtomicU64,
    /// Kept MESSAGEs delivered (2xx from the recipient).
    pub messages_delivered: AtomicU64,
}

impl Metrics {
    /// Counts one finished server transaction: `method` answered with `status`.
    pub fn transaction(&self, method: &str, status: u16) {
        let class = status / 100;
        if let Ok(mut m) = self.transactions.lock() {
            *m.entry((method.to_owned(), class)).or_insert(0) += 1;
        }
    }

    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every counter, with the gauges given.
    pub fn render(&self, registered: usize, transport: &sip_transport::Stats, bans: u64) -> String {
        let mut s = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "carillon_registered_contacts",
            "gauge",
            "Live registered contacts (bindings).",
            registered as u64,
        );
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric(
            "carillon_auth_challenges_total",
            "counter",
            "Requests answered with a 401 or 407 challenge.",
            load(&self.challenges),
        );
        metric(
            "carillon_auth_failures_total",
            "counter",
            "Digest credentials that failed verification.",
            load(&self.auth_failures),
        );
        metric(
            "carillon_register_updates_total",
            "counter",
            "REGISTER requests that changed bindings (each durable before its 200 OK).",
            load(&self.register_updates),
        );
        metric(
            "carillon_store_failures_total",
            "counter",
            "Location store commits that failed.",
            load(&self.store_failures),
        );
        metric(
            "carillon_bans_total",
            "counter",
            "Bans issued by the abuse protection (rate limit, scanner, authentication).",
            bans,
        );
        metric(
            "carillon_requests_dropped_total",
            "counter",
            "Requests dropped without an answer because their source is banned.",
            load(&self.requests_dropped),
        );
        metric(
            "carillon_overload_rejections_total",
            "counter",
            "New requests answered 503 because the server was overloaded.",
            load(&self.overload_rejections),
        );
        metric(
            "carillon_overload_drops_total",
            "counter",
            "New requests dropped unparsed and unanswered because the server was far behind.",
            transport.shed,
        );
        metric(
            "carillon_messages_stored_total",
            "counter",
            "MESSAGE requests kept for unregistered users.",
            load(&self.messages_stored),
        );
        metric(
            "carillon_messages_delivered_total",
            "counter",
            "Kept MESSAGE requests delivered when their recipient registered.",
            load(&self.messages_delivered),
        );
        metric(
            "carillon_messages_received_total",
            "counter",
            "SIP messages received that parsed.",
            transport.received,
        );
        metric(
            "carillon_parse_errors_total",
            "counter",
            "SIP messages received that did not parse.",
            transport.parse_errors,
        );
        metric(
            "carillon_connections_accepted_total",
            "counter",
            "TCP, TLS and WebSocket connections accepted.",
            transport.accepted,
        );
        let _ = writeln!(
            s,
            "# HELP carillon_auth_successes_total Digest responses that verified, by algorithm.\n# TYPE carillon_auth_successes_total counter\ncarillon_auth_successes_total{{algorithm=\"MD5\"}} {}\ncarillon_auth_successes_total{{algorithm=\"SHA-256\"}} {}",
            load(&self.auth_md5),
            load(&self.auth_sha256)
        );
        let _ = writeln!(
            s,
            "# HELP carillon_transactions_total Server transactions by method and final status class.\n# TYPE carillon_transactions_total counter"
        );
        if let Ok(m) = self.transactions.lock() {
            for ((method, class), n) in m.iter() {
                let _ = writeln!(
                    s,
                    "carillon_transactions_total{{method=\"{method}\",class=\"{class}xx\"}} {n}"
                );
            }
        }
        s
    }
}

/// Serves `GET /metrics` on `addr` until the task is dropped. `render` makes the body.
pub async fn serve(
    listener: TcpListener,
    render: impl Fn() -> String + Send + Sync + Clone + 'static,
) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            continue;
        };
        let render = render.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let mut len = 0;
            // Read the request head only; the body of a GET is empty.
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                while len < buf.len() {
                    let n = sock.read(&mut buf[len..]).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    len += n;
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let head = String::from_utf8_lossy(&buf[..len]);
            let path = head.split_whitespace().nth(1).unwrap_or("");
            let (status, ctype, body) = if head.starts_with("GET ") && path == "/metrics" {
                ("200 OK", "text/plain; version=0.0.4", render())
            } else {
                ("404 Not Found", "text/plain", "see /metrics\n".to_owned())
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}

/// Binds the metrics endpoint.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_transactions_by_method_and_class() {
        let m = Metrics::default();
        m.transaction("REGISTER", 401);
        m.transaction("REGISTER", 200);
        m.transaction("REGISTER", 200);
        Metrics::inc(&m.auth_failures);
        let text = m.render(3, &sip_transport::Stats::default(), 0);
        assert!(text.contains("carillon_transactions_total{method=\"REGISTER\",class=\"2xx\"} 2"));
        assert!(text.contains("carillon_transactions_total{method=\"REGISTER\",class=\"4xx\"} 1"));
        assert!(text.contains("carillon_registered_contacts 3"));
        assert!(text.contains("carillon_auth_failures_total 1"));
    }
}
