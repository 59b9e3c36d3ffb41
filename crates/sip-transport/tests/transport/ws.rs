//! WebSocket (RFC 7118): request and response over WS and WSS, subprotocol and Origin checks.

use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_message::Message;
use sip_transport::tls::TlsVersions;
use sip_transport::{OriginPolicy, TlsServer, Transport};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use super::common::*;

async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    url: &str,
    protocol: Option<&'static str>,
    origin: Option<&'static str>,
) -> Result<WebSocketStream<S>, WsError> {
    let mut req = url.into_client_request().expect("request");
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
    }
    if let Some(o) = origin {
        req.headers_mut()
            .insert("Origin", HeaderValue::from_static(o));
    }
    tokio_tungstenite::client_async(req, stream)
        .await
        .map(|(ws, resp)| {
            assert_eq!(
                resp.headers().get("Sec-WebSocket-Protocol"),
                Some(&HeaderValue::from_static("sip"))
            );
            ws
        })
}

async fn connect(
    server: SocketAddr,
    protocol: Option<&'static str>,
    origin: Option<&'static str>,
) -> Result<WebSocketStream<TcpStream>, WsError> {
    let tcp = TcpStream::connect(server).await.expect("connect");
    handshake(tcp, &format!("ws://{server}/"), protocol, origin).await
}

fn http_status(e: &WsError) -> Option<u16> {
    match e {
        WsError::Http(resp) => Some(resp.status().as_u16()),
        _ => None,
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    layer: &sip_transport::TransportLayer,
    rx: &mut tokio::sync::mpsc::Receiver<sip_transport::Inbound>,
    transport: Transport,
) {
    let sent_by = "df7jal23ls0d.invalid";
    let req = options(transport.as_str(), sent_by, "ws1");
    ws.send(WsMessage::Text(
        String::from_utf8(req.to_vec()).expect("utf8").into(),
    ))
    .await
    .expect("send");
    let got = next(rx).await;
    assert_eq!(got.source.transport, transport);
    assert!(got.connection.is_some());
    answer(layer, &got, 200).await;
    let frame = tokio::time::timeout(std::time::Duration::from_secs(2), ws.next())
        .await
        .expect("a frame within 2 s")
        .expect("open")
        .expect("frame");
    let WsMessage::Text(text) = frame else {
        panic!("expected a text frame, got {frame:?}")
    };
    let resp = Message::parse(Bytes::from(text)).expect("parses");
    assert_eq!(status(&resp), 200);
}

#[tokio::test]
async fn websocket_request_and_response() {
    let (layer, mut rx) = layer(config());
    let server = layer.listen_ws(lo()).await.expect("listen");
    let mut ws = connect(server, Some("sip"), None).await.expect("upgrade");
    exchange(&mut ws, &layer, &mut rx, Transport::Ws).await;
}

#[tokio::test]
async fn secure_websocket_request_and_response() {
    let pki = Pki::new("wss");
    let tls = TlsServer::from_pem_files(&pki.cert_file, &pki.key_file, TlsVersions::default())
        .expect("server config");
    let (layer, mut rx) = layer(config());
    let server = layer.listen_wss(lo(), tls).await.expect("listen");
    let connector = tokio_rustls::TlsConnector::from(pki.client(TlsVersions::default()));
    let tcp = TcpStream::connect(server).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = connector.connect(name, tcp).await.expect("TLS");
    let mut ws = handshake(
        tls,
        &format!("wss://localhost:{}/", server.port()),
        Some("sip"),
        None,
    )
    .await
    .expect("upgrade");
    exchange(&mut ws, &layer, &mut rx, Transport::Wss).await;
    let conn = layer.connections();
    assert_eq!(conn.len(), 1);
    assert_eq!(conn[0].tls_version, Some("TLSv1_3"));
}

#[tokio::test]
async fn upgrade_without_sip_subprotocol_is_refused() {
    let (layer, _rx) = layer(config());
    let server = layer.listen_ws(lo()).await.expect("listen");
    let e = connect(server, None, None).await.expect_err("refused");
    assert_eq!(http_status(&e), Some(400), "{e:?}");
    let e = connect(server, Some("chat, xmpp"), None)
        .await
        .expect_err("refused");
    assert_eq!(http_status(&e), Some(400), "{e:?}");
    assert_eq!(layer.stats().handshake_failures, 2);
}

#[tokio::test]
async fn bad_origin_is_refused() {
    let mut c = config();
    c.ws_origins = OriginPolicy::allow(["https://phone.example.com"]);
    let (layer, mut rx) = layer(c);
    let server = layer.listen_ws(lo()).await.expect("listen");
    let e = connect(server, Some("sip"), Some("https://evil.example"))
        .await
        .expect_err("refused");
    assert_eq!(http_status(&e), Some(403), "{e:?}");
    let mut ws = connect(server, Some("sip"), Some("https://phone.example.com"))
        .await
        .expect("allowed origin");
    exchange(&mut ws, &layer, &mut rx, Transport::Ws).await;
}
