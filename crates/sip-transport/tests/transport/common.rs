//! Helpers shared by the transport tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sip_message::framing::{Frame, next_frame};
use sip_message::{Message, Response};
use sip_transport::tls::{TlsVersions, client_config, root_store_from_pem};
use sip_transport::{Config, Inbound, TransportLayer, routing};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::Receiver;

/// Where every test listens: loopback, any port.
pub(crate) fn lo() -> SocketAddr {
    "127.0.0.1:0".parse().expect("loopback")
}

/// A test configuration: two UDP workers, short timeouts.
pub(crate) fn config() -> Config {
    let mut c = Config::default();
    c.udp_workers = 2;
    c.udp_socket_buffer = None;
    c.drain_idle = Duration::from_millis(100);
    c.handshake_timeout = Duration::from_secs(2);
    c.connect_timeout = Duration::from_secs(2);
    c
}

pub(crate) fn layer(c: Config) -> (TransportLayer, Receiver<Inbound>) {
    TransportLayer::new(c)
}

/// An OPTIONS request with `;rport` on its Via.
pub(crate) fn options(transport: &str, sent_by: &str, branch: &str) -> Bytes {
    Bytes::from(format!(
        "OPTIONS sip:carol@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {sent_by};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\nTo: <sip:carol@127.0.0.1>\r\n\
         From: <sip:alice@127.0.0.1>;tag=1928\r\nCall-ID: {branch}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ))
}

/// The next delivered message, within two seconds.
pub(crate) async fn next(rx: &mut Receiver<Inbound>) -> Inbound {
    tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("a message within 2 s")
        .expect("channel open")
}

/// Answers a delivered request with `status`, routed by RFC 3261 §18.2.2.
pub(crate) async fn answer(layer: &TransportLayer, inbound: &Inbound, status: u16) {
    let req = inbound.message.as_request().expect("a request");
    let target =
        routing::response_target_for(req, &inbound.source, inbound.connection).expect("target");
    let dest = target.destination(Some(inbound.local)).expect("routable");
    let resp = Response::from_request(req, status);
    layer.send(&dest, resp.to_bytes()).await.expect("sent");
}

/// Reads one framed SIP message from a stream (TCP or TLS), within two seconds.
pub(crate) async fn read_message<S: AsyncRead + Unpin>(s: &mut S, buf: &mut BytesMut) -> Message {
    let work = async {
        loop {
            if let Ok(Frame::Message { len }) = next_frame(buf, 65_535) {
                return Message::parse(buf.split_to(len).freeze()).expect("parses");
            }
            let n = s.read_buf(buf).await.expect("read");
            assert!(n > 0, "stream closed before a whole message");
        }
    };
    tokio::time::timeout(Duration::from_secs(2), work)
        .await
        .expect("a message within 2 s")
}

/// Whether the peer closes the stream within `within`.
pub(crate) async fn closes_within<S: AsyncRead + Unpin>(s: &mut S, within: Duration) -> bool {
    let mut b = [0u8; 256];
    let work = async {
        loop {
            match s.read(&mut b).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, work).await.is_ok()
}

pub(crate) fn status(m: &Message) -> u16 {
    m.as_response().expect("a response").status()
}

/// A test PKI: a CA and a server certificate for `localhost` and 127.0.0.1, in PEM files.
pub(crate) struct Pki {
    pub(crate) ca_pem: String,
    pub(crate) cert_file: PathBuf,
    pub(crate) key_file: PathBuf,
}

impl Pki {
    pub(crate) fn new(tag: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("Carillon test CA {tag}"));
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key"))
            .expect("ca cert");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf params")
            .signed_by(&leaf_key, &ca)
            .expect("leaf cert");
        let dir = std::env::temp_dir().join(format!(
            "sip-transport-test-{}-{tag}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cert_file = dir.join("cert.pem");
        let key_file = dir.join("key.pem");
        std::fs::write(&cert_file, leaf.pem()).expect("write cert");
        std::fs::write(&key_file, leaf_key.serialize_pem()).expect("write key");
        Pki {
            ca_pem: ca.pem(),
            cert_file,
            key_file,
        }
    }

    /// A client configuration trusting only this CA.
    pub(crate) fn client(&self, versions: TlsVersions) -> Arc<rustls::ClientConfig> {
        let roots = root_store_from_pem(self.ca_pem.as_bytes()).expect("roots");
        Arc::new(client_config(roots, versions).expect("client config"))
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        if let Some(dir) = self.cert_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
