//! Building requests and responses with canonical output: canonical header names, `Name: value`
//! lines, and a Content-Length that matches the body.

use bytes::Bytes;

use crate::{HeaderName, Method, Request, Response};

/// Builds a [`Request`] header by header.
///
/// ```
/// use sip_message::{HeaderName, Method, Request};
/// let req = Request::builder(Method::Options, "sip:bob@127.0.0.1")
///     .via("UDP", "127.0.0.1:5062", "z9hG4bK-1")
///     .max_forwards(70)
///     .from("<sip:alice@127.0.0.1>", "a1")
///     .to("<sip:bob@127.0.0.1>")
///     .call_id("c1@127.0.0.1")
///     .cseq(1)
///     .build();
/// assert!(req.to_bytes().starts_with(b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP"));
/// assert!(req.to_bytes().ends_with(b"Content-Length: 0\r\n\r\n"));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestBuilder {
    req: Request,
}

impl Request {
    /// Starts building a request.
    pub fn builder(method: Method, uri: impl Into<Bytes>) -> RequestBuilder {
        RequestBuilder {
            req: Request::new(method, uri),
        }
    }
}

impl RequestBuilder {
    /// Appends a header.
    pub fn header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.req.headers.push(name, value);
        self
    }

    /// Appends a header by spelling (for extension headers).
    pub fn header_named(mut self, name: &str, value: impl Into<Bytes>) -> Self {
        self.req.headers.push_named(name, value);
        self
    }

    /// Appends `Via: SIP/2.0/<transport> <sent_by>;branch=<branch>;rport`.
    pub fn via(self, transport: &str, sent_by: &str, branch: &str) -> Self {
        self.header(
            HeaderName::Via,
            format!("SIP/2.0/{transport} {sent_by};branch={branch};rport"),
        )
    }

    /// Appends `From: <addr>;tag=<tag>`; `addr` is a name-addr such as `"Alice" <sip:a@x>`.
    pub fn from(self, addr: &str, tag: &str) -> Self {
        self.header(HeaderName::From, format!("{addr};tag={tag}"))
    }

    /// Appends `To: <addr>`.
    pub fn to(self, addr: &str) -> Self {
        self.header(HeaderName::To, addr.to_owned())
    }

    /// Appends `To: <addr>;tag=<tag>` (in-dialog requests).
    pub fn to_with_tag(self, addr: &str, tag: &str) -> Self {
        self.header(HeaderName::To, format!("{addr};tag={tag}"))
    }

    /// Appends `Call-ID`.
    pub fn call_id(self, id: &str) -> Self {
        self.header(HeaderName::CallId, id.to_owned())
    }

    /// Appends `CSeq: <seq> <method of this request>`.
    pub fn cseq(self, seq: u32) -> Self {
        let v = format!("{seq} {}", self.req.method);
        self.header(HeaderName::CSeq, v)
    }

    /// Appends `Max-Forwards`.
    pub fn max_forwards(self, hops: u8) -> Self {
        self.header(HeaderName::MaxForwards, hops.to_string())
    }

    /// Appends `Contact`.
    pub fn contact(self, addr: &str) -> Self {
        self.header(HeaderName::Contact, addr.to_owned())
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.req
            .headers
            .set(HeaderName::ContentType, content_type.to_owned());
        self.req.set_body(body);
        self
    }

    /// Finishes the request, adding `Content-Length` if the body did not.
    pub fn build(mut self) -> Request {
        if !self.req.headers.contains(HeaderName::ContentLength) {
            self.req
                .headers
                .push(HeaderName::ContentLength, self.req.body.len().to_string());
        }
        self.req
    }
}

impl Response {
    /// A response to `req` as RFC 3261 §8.2.6.2 builds it: the Vias, From, To, Call-ID and CSeq
    /// copied, Record-Route copied for responses that can create a dialog (§12.1.1), and an
    /// empty body. Add a To tag with [`Response::set_to_tag`] when answering outside a dialog.
    pub fn from_request(req: &Request, status: u16) -> Response {
        let mut r = Response::new(status);
        let dialog_forming = matches!(
            req.method(),
            Method::Invite | Method::Subscribe | Method::Refer | Method::Notify
        ) && (101..300).contains(&status);
        for h in req.headers.iter() {
            let copy = match h.name {
                HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq => true,
                HeaderName::RecordRoute => dialog_forming,
                _ => false,
            };
            if copy {
                r.headers.push(h.name, Bytes::copy_from_slice(h.value));
            }
        }
        r.headers.push(HeaderName::ContentLength, "0");
        r
    }

    /// Adds `;tag=<tag>` to the To header unless it already has a tag.
    pub fn set_to_tag(&mut self, tag: &str) {
        let has_tag = self.to().is_ok_and(|t| t.tag().is_some());
        if has_tag {
            return;
        }
        if let Some(v) = self.headers.get(HeaderName::To) {
            let mut nv = v.to_vec();
            nv.extend_from_slice(b";tag=");
            nv.extend_from_slice(tag.as_bytes());
            self.headers.set(HeaderName::To, nv);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Message;

    fn invite() -> Request {
        Request::builder(Method::Invite, "sip:bob@127.0.0.1")
            .via("UDP", "127.0.0.1:5062", "z9hG4bK-inv1")
            .max_forwards(70)
            .from("\"Alice\" <sip:alice@127.0.0.1>", "fa1")
            .to("<sip:bob@127.0.0.1>")
            .call_id("call-1@127.0.0.1")
            .cseq(7)
            .header(HeaderName::RecordRoute, "<sip:127.0.0.1:5060;lr>")
            .contact("<sip:alice@127.0.0.1:5062>")
            .body("application/sdp", "v=0\r\n")
            .build()
    }

    #[test]
    fn built_request_parses_back_and_validates() {
        let bytes = invite().to_bytes();
        let m = Message::parse(bytes.clone()).unwrap();
        m.validate().unwrap();
        assert_eq!(m.cseq().unwrap().method(), "INVITE");
        assert_eq!(m.from().unwrap().tag(), Some("fa1"));
        assert_eq!(m.body().as_ref(), b"v=0\r\n");
        assert_eq!(m.headers().get(HeaderName::ContentLength), Some(&b"5"[..]));
        assert_eq!(m.to_bytes(), bytes, "printing a parsed message is stable");
    }

    #[test]
    fn response_copies_the_transaction_headers() {
        let req = invite();
        let mut resp = Response::from_request(&req, 180);
        resp.set_to_tag("tb1");
        let m = Message::parse(resp.to_bytes()).unwrap();
        m.validate().unwrap();
        assert_eq!(m.as_response().unwrap().status(), 180);
        assert_eq!(m.to().unwrap().tag(), Some("tb1"));
        assert_eq!(m.via().unwrap().branch(), Some("z9hG4bK-inv1"));
        assert!(m.headers().contains(HeaderName::RecordRoute));
        let r404 = Response::from_request(&req, 404);
        assert!(!r404.headers().contains(HeaderName::RecordRoute));
        assert!(r404.to_bytes().starts_with(b"SIP/2.0 404 Not Found\r\n"));
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        let req = Request::builder(Method::Message, "sip:bob@127.0.0.1")
            .header_named("Subject", "hi\r\nEvil: yes")
            .build();
        let m = Message::parse(req.to_bytes()).unwrap();
        assert!(m.headers().get_by_name("Evil").is_none());
    }
}
