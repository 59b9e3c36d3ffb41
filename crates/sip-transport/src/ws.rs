//! SIP over WebSocket (RFC 7118): the HTTP upgrade with the `sip` subprotocol required, an
//! Origin check, and one SIP message per text or binary frame.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage, Utf8Bytes};

use crate::conn::{ConnLoop, Event, Registered};
use crate::layer::Shared;

/// The subprotocol RFC 7118 registers.
pub const SUBPROTOCOL: &str = "sip";

type OriginHook = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;

/// Which Origins may open a SIP WebSocket. Browsers always send `Origin`; other clients
/// usually do not, and could forge it anyway, so the check protects against other web sites
/// driving a user's browser, not against arbitrary clients.
///
/// The default accepts every handshake. [`OriginPolicy::allow`] accepts listed origins
/// (compared without regard to ASCII case) and handshakes without an Origin;
/// [`OriginPolicy::require_origin`] refuses the latter too. A hook, when set, decides alone.
#[derive(Clone, Default)]
pub struct OriginPolicy {
    allowed: Option<Vec<String>>,
    require: bool,
    hook: Option<OriginHook>,
}

impl fmt::Debug for OriginPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginPolicy")
            .field("allowed", &self.allowed)
            .field("require", &self.require)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl OriginPolicy {
    /// Accepts any Origin, or none.
    pub fn any() -> Self {
        OriginPolicy::default()
    }

    /// Accepts these origins (such as `https://phone.example.com`) and handshakes without one.
    pub fn allow<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OriginPolicy {
            allowed: Some(origins.into_iter().map(Into::into).collect()),
            require: false,
            hook: None,
        }
    }

    /// Refuses handshakes that carry no Origin.
    #[must_use]
    pub fn require_origin(mut self, require: bool) -> Self {
        self.require = require;
        self
    }

    /// Decides with a function of the Origin header instead (`None` when absent).
    pub fn hook(f: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        OriginPolicy {
            allowed: None,
            require: false,
            hook: Some(Arc::new(f)),
        }
    }

    /// Whether a handshake with this Origin header is accepted.
    pub fn check(&self, origin: Option<&str>) -> bool {
        if let Some(h) = &self.hook {
            return h(origin);
        }
        match (origin, &self.allowed) {
            (None, _) => !self.require,
            (Some(_), None) => true,
            (Some(o), Some(list)) => list.iter().any(|a| a.eq_ignore_ascii_case(o.trim())),
        }
    }
}

fn refuse(status: StatusCode, why: &str) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(why.to_owned()));
    *r.status_mut() = status;
    r
}

/// Whether the handshake offers the `sip` subprotocol (the header may repeat and hold lists).
fn offers_sip(req: &Request) -> bool {
    req.headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

/// The upgrade's checks, as tungstenite's handshake callback.
struct Handshake<'a> {
    policy: &'a OriginPolicy,
}

impl Callback for Handshake<'_> {
    fn on_request(self, req: &Request, mut resp: Response) -> Result<Response, ErrorResponse> {
        if !offers_sip(req) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "the sip WebSocket subprotocol is required (RFC 7118)",
            ));
        }
        let origin = req.headers().get("Origin").and_then(|v| v.to_str().ok());
        if !self.policy.check(origin) {
            return Err(refuse(StatusCode::FORBIDDEN, "origin not allowed"));
        }
        resp.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        Ok(resp)
    }
}

/// Runs the server side of the upgrade: requires the `sip` subprotocol (400 otherwise) and an
/// accepted Origin (403 otherwise), and answers with `Sec-WebSocket-Protocol: sip`.
pub(crate) async fn accept<S>(
    stream: S,
    policy: &OriginPolicy,
    max_message: usize,
) -> Result<WebSocketStream<S>, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let callback = Handshake { policy };
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
}

/// A message to send: text when it is UTF-8 (as SIP almost always is), binary otherwise.
fn frame(data: Bytes) -> WsMessage {
    match Utf8Bytes::try_from(data.clone()) {
        Ok(t) => WsMessage::Text(t),
        Err(_) => WsMessage::Binary(data),
    }
}

/// Serves one WebSocket connection until it closes, idles out or the layer stops.
pub(crate) async fn run<S>(shared: Arc<Shared>, mut ws: WebSocketStream<S>, reg: Registered)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut lp = ConnLoop::new(&shared, reg);
    let write_timeout = shared.config.write_timeout;
    loop {
        let ev = tokio::select! {
            ev = lp.wait() => ev,
            m = ws.next() => match m {
                Some(Ok(WsMessage::Text(t))) => Event::Data(Bytes::from(t)),
                Some(Ok(WsMessage::Binary(b))) => Event::Data(b),
                // Pings are answered by tungstenite on the next read or write.
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
                    Event::Activity
                }
                Some(Ok(WsMessage::Close(_)) | Err(_)) | None => Event::Close,
            },
        };
        match ev {
            Event::Close => break,
            Event::Activity => lp.touch(),
            Event::Data(raw) => {
                lp.touch();
                if raw.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                if let Some(reply) = lp.deliver(&shared, raw).await {
                    if send(&mut ws, [reply], write_timeout).await.is_err() {
                        break;
                    }
                }
            }
            Event::Send(batch) => {
                lp.touch();
                if send(&mut ws, batch, write_timeout).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), ws.close(None)).await;
}

async fn send<S, I>(ws: &mut WebSocketStream<S>, batch: I, limit: Duration) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    I: IntoIterator<Item = Bytes>,
{
    let work = async {
        for data in batch {
            ws.feed(frame(data)).await?;
        }
        ws.flush().await
    };
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_policy() {
        assert!(OriginPolicy::any().check(Some("https://evil.example")));
        assert!(OriginPolicy::any().check(None));
        let p = OriginPolicy::allow(["https://phone.example.com"]);
        assert!(p.check(Some("https://PHONE.example.com")));
        assert!(!p.check(Some("https://evil.example")));
        assert!(p.check(None));
        assert!(!p.clone().require_origin(true).check(None));
        let h = OriginPolicy::hook(|o| o.is_some_and(|o| o.ends_with(".example.com")));
        assert!(h.check(Some("https://a.example.com")));
        assert!(!h.check(None));
    }
}
