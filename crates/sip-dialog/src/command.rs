//! The values the application hands to commands: bodies, answers, initial requests and
//! NOTIFY states.

use bytes::Bytes;
use sip_message::HeaderName;
use sip_transaction::Peer;

/// A message body with its Content-Type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    content_type: String,
    bytes: Bytes,
}

impl Body {
    /// A body of this Content-Type.
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Body {
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// An `application/sdp` body.
    pub fn sdp(bytes: impl Into<Bytes>) -> Self {
        Body::new("application/sdp", bytes)
    }

    /// The Content-Type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

/// Extra header lines an application adds to a request or a response.
pub(crate) type ExtraHeaders = Vec<(HeaderName, String)>;

/// How the application answers a request, for
/// [`DialogLayer::answer`](crate::DialogLayer::answer). The layer builds the response from the
/// request (Via, From, To with its tag, Call-ID, CSeq, Record-Route), and adds Contact,
/// Allow, Supported, Require, RSeq, Session-Expires and Expires where they belong.
///
/// ```
/// use sip_dialog::{Answer, Body};
/// let ringing = Answer::new(180).reliable();
/// let ok = Answer::new(200).body(Body::sdp("v=0\r\n"));
/// assert_eq!((ringing.status(), ok.status()), (180, 200));
/// ```
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
    pub(crate) body: Option<Body>,
    pub(crate) headers: ExtraHeaders,
    pub(crate) reliable: bool,
    pub(crate) expires: Option<u32>,
}

impl Answer {
    /// An answer with this status and the standard reason phrase.
    pub fn new(status: u16) -> Self {
        Answer {
            status,
            reason: None,
            body: None,
            headers: Vec::new(),
            reliable: false,
            expires: None,
        }
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Sets the reason phrase.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a header line.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends this provisional response reliably (RFC 3262: `Require: 100rel`, RSeq,
    /// retransmitted until PRACKed). Only for 101-199 to an INVITE that offered `100rel`.
    pub fn reliable(mut self) -> Self {
        self.reliable = true;
        self
    }

    /// For a `2xx` to SUBSCRIBE: the granted duration in seconds (at most what was asked;
    /// without it the layer grants what was asked, or the configured default).
    pub fn expires(mut self, seconds: u32) -> Self {
        self.expires = Some(seconds);
        self
    }
}

/// A request that starts something outside any dialog: an INVITE, a SUBSCRIBE, an
/// out-of-dialog REFER. The layer adds Via, Max-Forwards, the From tag, Call-ID, CSeq,
/// Contact, Supported and Allow.
///
/// ```
/// use sip_dialog::InitialRequest;
/// use sip_transaction::Peer;
/// let req = InitialRequest::new(
///     "sip:bob@192.0.2.2",
///     "<sip:alice@example.com>",
///     "<sip:bob@example.com>",
///     Peer::udp("192.0.2.2:5060".parse().unwrap()),
/// )
/// .route("<sip:192.0.2.9;lr>");
/// assert_eq!(req.uri(), "sip:bob@192.0.2.2");
/// ```
#[derive(Debug, Clone)]
pub struct InitialRequest {
    pub(crate) uri: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) destination: Peer,
    pub(crate) call_id: Option<String>,
    pub(crate) route: Vec<String>,
    pub(crate) body: Option<Body>,
    pub(crate) headers: ExtraHeaders,
    pub(crate) require_100rel: bool,
    pub(crate) session_expires: Option<u32>,
}

impl InitialRequest {
    /// A request for `uri` from `from` to `to` (name-addrs such as `"Alice" <sip:a@x>`,
    /// without tags), sent to `destination` (an outbound proxy or the resolved target).
    pub fn new(
        uri: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
        destination: Peer,
    ) -> Self {
        InitialRequest {
            uri: uri.into(),
            from: from.into(),
            to: to.into(),
            destination,
            call_id: None,
            route: Vec::new(),
            body: None,
            headers: Vec::new(),
            require_100rel: false,
            session_expires: None,
        }
    }

    /// The Request-URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Uses this Call-ID instead of a generated one.
    pub fn call_id(mut self, call_id: impl Into<String>) -> Self {
        self.call_id = Some(call_id.into());
        self
    }

    /// Appends a preloaded Route (a name-addr such as `<sip:proxy.example.com;lr>`).
    pub fn route(mut self, route: impl Into<String>) -> Self {
        self.route.push(route.into());
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a header line.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// INVITE only: require reliable provisional responses (`Require: 100rel`) instead of
    /// merely supporting them.
    pub fn require_100rel(mut self) -> Self {
        self.require_100rel = true;
        self
    }

    /// INVITE only: the session interval to ask for instead of the configured one
    /// (RFC 4028).
    pub fn session_expires(mut self, seconds: u32) -> Self {
        self.session_expires = Some(seconds);
        self
    }
}

/// The state a notifier reports in a NOTIFY (RFC 6665 §8.2.3), for
/// [`DialogLayer::notify`](crate::DialogLayer::notify). The layer writes the `expires`
/// parameter from the time the subscription has left.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyState {
    /// `active;expires=...`
    Active,
    /// `pending;expires=...`
    Pending,
    /// `terminated;reason=...`: the subscription ends with this NOTIFY.
    Terminated {
        /// The reason token (`noresource`, `rejected`, `deactivated`, `timeout`...).
        reason: Option<String>,
    },
}
