//! TLS: round trips over TLS 1.3 and forced TLS 1.2 with an rcgen CA, certificate reload.

use sip_transport::tls::TlsVersions;
use sip_transport::{Destination, Peer, SendError, TlsServer, Transport, TransportLayer};

use super::common::*;

/// A TLS server with `server_versions`, a client trusting the CA with `client_versions`; one
/// request and its response. Returns the negotiated version as both ends saw it.
async fn round_trip(server_versions: TlsVersions, client_versions: TlsVersions) -> String {
    let pki = Pki::new("rt");
    let tls = TlsServer::from_pem_files(&pki.cert_file, &pki.key_file, server_versions)
        .expect("server config");
    let (server_layer, mut server_rx) = layer(config());
    let server = server_layer.listen_tls(lo(), tls).await.expect("listen");
    let mut c = config();
    c.tls_client = Some(pki.client(client_versions));
    let (client_layer, mut client_rx) = TransportLayer::new(c);
    let dest = Destination::peer(Peer::new(server, Transport::Tls)).server_name("localhost");
    let conn = client_layer
        .send(&dest, options("TLS", "client.invalid", "tls1"))
        .await
        .expect("sent")
        .expect("over a connection");
    let got = next(&mut server_rx).await;
    assert_eq!(got.source.transport, Transport::Tls);
    let server_conn = got.connection.expect("connection");
    let server_version = server_layer
        .connection_info(server_conn)
        .expect("open")
        .tls_version
        .expect("a TLS version");
    // The response travels back on the same TLS connection.
    answer(&server_layer, &got, 200).await;
    let resp = next(&mut client_rx).await;
    assert_eq!(status(&resp.message), 200);
    assert_eq!(resp.connection, Some(conn));
    let client_version = client_layer
        .connection_info(conn)
        .expect("open")
        .tls_version
        .expect("a TLS version");
    assert_eq!(server_version, client_version);
    client_version.to_owned()
}

#[tokio::test]
async fn tls13_round_trip() {
    let v = round_trip(TlsVersions::Tls12And13, TlsVersions::Tls12And13).await;
    assert_eq!(v, "TLSv1_3");
}

#[tokio::test]
async fn tls12_forced_round_trip() {
    let v = round_trip(TlsVersions::Tls12And13, TlsVersions::Tls12Only).await;
    assert_eq!(v, "TLSv1_2");
}

#[tokio::test]
async fn certificate_reload_without_restart() {
    let old = Pki::new("old");
    let new = Pki::new("new");
    let tls = TlsServer::from_pem_files(&old.cert_file, &old.key_file, TlsVersions::default())
        .expect("server config");
    let (server_layer, mut server_rx) = layer(config());
    let server = server_layer
        .listen_tls(lo(), tls.clone())
        .await
        .expect("listen");
    let client_trusting = |pki: &Pki| {
        let mut c = config();
        c.tls_client = Some(pki.client(TlsVersions::default()));
        TransportLayer::new(c).0
    };
    let dest = Destination::peer(Peer::new(server, Transport::Tls)).server_name("localhost");
    // A client that trusts only the new CA is refused before the reload...
    let before = client_trusting(&new)
        .send(&dest, options("TLS", "c.invalid", "r0"))
        .await;
    assert!(
        matches!(before, Err(SendError::TlsHandshake { .. })),
        "{before:?}"
    );
    tls.reload_pem_files(&new.cert_file, &new.key_file, TlsVersions::default())
        .expect("reload");
    // ...and accepted after it, on the same listener.
    client_trusting(&new)
        .send(&dest, options("TLS", "c.invalid", "r1"))
        .await
        .expect("accepted after reload");
    let got = next(&mut server_rx).await;
    assert_eq!(got.message.call_id().expect("call-id"), "r1@127.0.0.1");
    // A wrong name is refused too.
    let wrong = Destination::peer(Peer::new(server, Transport::Tls)).server_name("other.invalid");
    let r = client_trusting(&new)
        .send(&wrong, options("TLS", "c.invalid", "r2"))
        .await;
    assert!(matches!(r, Err(SendError::TlsHandshake { .. })), "{r:?}");
}

#[tokio::test]
async fn tls_without_client_config_is_refused() {
    let (layer, _rx) = layer(config());
    let dest = Destination::peer(Peer::new(
        "127.0.0.1:5061".parse().expect("a"),
        Transport::Tls,
    ));
    let r = layer.send(&dest, options("TLS", "c.invalid", "x")).await;
    assert!(matches!(r, Err(SendError::TlsNotConfigured)), "{r:?}");
}
