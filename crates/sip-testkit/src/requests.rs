//! Building the requests and responses tests need.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use sip_message::{HeaderName, Method, Request, Response};
use sip_transaction::Transport;

/// `192.0.2.<host>:5060`: the address of a test node (TEST-NET-1, RFC 5737). By convention
/// Alice is host 1 and Bob host 2.
pub fn addr(host: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)), 5060)
}

/// A request from Alice to Bob as a UAC would send it, with every field a test may want to
/// change.
///
/// The defaults: Request-URI `sip:bob@192.0.2.2`, `Via: SIP/2.0/UDP 192.0.2.1:5060;
/// branch=z9hG4bK-1;rport` (no branch and no `rport` with [`RequestSpec::no_branch`]), `Max-Forwards: 70`, `From: <sip:alice@example.com>;tag=alice-tag`,
/// `To: <sip:bob@example.com>`, `Call-ID: call-1@192.0.2.1`, `CSeq: 1 <method>`, no body.
///
/// ```
/// use sip_message::{Method, HeaderName};
/// use sip_testkit::RequestSpec;
/// use sip_transaction::Transport;
///
/// let bye = RequestSpec::new(Method::Bye)
///     .via(Transport::Tcp, "192.0.2.1:5060", "z9hG4bK-bye")
///     .to_tag("bob-tag")
///     .cseq(2)
///     .build();
/// assert_eq!(bye.cseq()?.seq(), 2);
/// assert_eq!(bye.to()?.tag(), Some("bob-tag"));
/// assert_eq!(bye.headers().get(HeaderName::Via),
///     Some(&b"SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-bye;rport"[..]));
/// # Ok::<(), sip_message::HeaderError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    method: Method,
    uri: String,
    transport: Transport,
    sent_by: String,
    branch: Option<String>,
    from: String,
    from_tag: String,
    to: String,
    to_tag: Option<String>,
    call_id: String,
    cseq: u32,
    body: Option<(String, String)>,
}

impl RequestSpec {
    /// A `method` request with the defaults.
    pub fn new(method: Method) -> Self {
        RequestSpec {
            method,
            uri: "sip:bob@192.0.2.2".to_owned(),
            transport: Transport::Udp,
            sent_by: "192.0.2.1:5060".to_owned(),
            branch: Some("z9hG4bK-1".to_owned()),
            from: "<sip:alice@example.com>".to_owned(),
            from_tag: "alice-tag".to_owned(),
            to: "<sip:bob@example.com>".to_owned(),
            to_tag: None,
            call_id: "call-1@192.0.2.1".to_owned(),
            cseq: 1,
            body: None,
        }
    }

    /// The Request-URI.
    pub fn uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = uri.into();
        self
    }

    /// The top Via: transport, sent-by and branch.
    pub fn via(mut self, transport: Transport, sent_by: impl Into<String>, branch: &str) -> Self {
        self.transport = transport;
        self.sent_by = sent_by.into();
        self.branch = Some(branch.to_owned());
        self
    }

    /// The Via branch.
    pub fn branch(mut self, branch: &str) -> Self {
        self.branch = Some(branch.to_owned());
        self
    }

    /// A Via without a branch, as an RFC 2543 element sends.
    pub fn no_branch(mut self) -> Self {
        self.branch = None;
        self
    }

    /// The From address and tag.
    pub fn from(mut self, addr: impl Into<String>, tag: impl Into<String>) -> Self {
        self.from = addr.into();
        self.from_tag = tag.into();
        self
    }

    /// The To address.
    pub fn to(mut self, addr: impl Into<String>) -> Self {
        self.to = addr.into();
        self
    }

    /// A To tag (a request inside a dialog).
    pub fn to_tag(mut self, tag: impl Into<String>) -> Self {
        self.to_tag = Some(tag.into());
        self
    }

    /// The Call-ID.
    pub fn call_id(mut self, call_id: impl Into<String>) -> Self {
        self.call_id = call_id.into();
        self
    }

    /// The CSeq number.
    pub fn cseq(mut self, cseq: u32) -> Self {
        self.cseq = cseq;
        self
    }

    /// A body of this content type.
    pub fn body(mut self, content_type: impl Into<String>, body: impl Into<String>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    /// The request.
    pub fn build(&self) -> Request {
        let b = Request::builder(self.method.clone(), self.uri.clone());
        let b = match &self.branch {
            Some(branch) => b.via(self.transport.as_str(), &self.sent_by, branch),
            None => b.header(
                HeaderName::Via,
                format!("SIP/2.0/{} {}", self.transport, self.sent_by),
            ),
        };
        let b = b.max_forwards(70).from(&self.from, &self.from_tag);
        let b = match &self.to_tag {
            Some(tag) => b.to_with_tag(&self.to, tag),
            None => b.to(&self.to),
        };
        let b = b.call_id(&self.call_id).cseq(self.cseq);
        match &self.body {
            Some((content_type, body)) => b.body(content_type, body.clone()),
            None => b,
        }
        .build()
    }
}

/// A response to `request` with this status and, if given, a To tag.
pub fn response(request: &Request, status: u16, to_tag: Option<&str>) -> Response {
    let mut r = Response::from_request(request, status);
    if let Some(tag) = to_tag {
        r.set_to_tag(tag);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let r = RequestSpec::new(Method::Invite).build();
        let text = String::from_utf8_lossy(&r.to_bytes()).into_owned();
        assert!(
            text.starts_with("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"),
            "{text}"
        );
        for line in [
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport",
            "Max-Forwards: 70",
            "From: <sip:alice@example.com>;tag=alice-tag",
            "To: <sip:bob@example.com>",
            "Call-ID: call-1@192.0.2.1",
            "CSeq: 1 INVITE",
            "Content-Length: 0",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line} in {text}");
        }
    }

    #[test]
    fn rfc2543_via_and_body() {
        let r = RequestSpec::new(Method::Message)
            .no_branch()
            .body("text/plain", "hi")
            .build();
        assert_eq!(
            r.headers().get(HeaderName::Via),
            Some(&b"SIP/2.0/UDP 192.0.2.1:5060"[..])
        );
        assert_eq!(r.body().as_ref(), b"hi");
        let ok = response(&r, 200, Some("b"));
        assert_eq!(
            ok.to().map(|t| t.tag().map(str::to_owned)),
            Ok(Some("b".to_owned()))
        );
    }

    #[test]
    fn test_addresses() {
        assert_eq!(addr(1).to_string(), "192.0.2.1:5060");
        assert_eq!(addr(10).to_string(), "192.0.2.10:5060");
    }
}
