//! Requests, responses, methods.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::header::{CSeq, From, To, Via};
use crate::{HeaderError, HeaderName, Headers, Uri, UriError};

/// A SIP method. Methods are case-sensitive (RFC 3261 §7.1): `invite` is an extension method,
/// not INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// RFC 3261
    Invite,
    /// RFC 3261
    Ack,
    /// RFC 3261
    Bye,
    /// RFC 3261
    Cancel,
    /// RFC 3261
    Register,
    /// RFC 3261
    Options,
    /// RFC 6086
    Info,
    /// RFC 3311
    Update,
    /// RFC 3262
    Prack,
    /// RFC 6665
    Subscribe,
    /// RFC 6665
    Notify,
    /// RFC 3903
    Publish,
    /// RFC 3428
    Message,
    /// RFC 3515
    Refer,
    /// Any other token.
    Extension(Box<str>),
}

impl Method {
    /// Reads a method token. Returns `None` if `s` is not a token.
    pub fn from_bytes(s: &[u8]) -> Option<Method> {
        Some(match s {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"INFO" => Method::Info,
            b"UPDATE" => Method::Update,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"MESSAGE" => Method::Message,
            b"REFER" => Method::Refer,
            _ => {
                if s.is_empty() || !s.iter().all(|&b| crate::lex::is_token(b)) {
                    return None;
                }
                // Token characters are ASCII, so this cannot fail.
                let text = std::str::from_utf8(s).ok()?;
                Method::Extension(text.into())
            }
        })
    }

    /// The method as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Publish => "PUBLISH",
            Method::Message => "MESSAGE",
            Method::Refer => "REFER",
            Method::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! common_accessors {
    () => {
        /// The headers.
        pub fn headers(&self) -> &Headers {
            &self.headers
        }

        /// The headers, for changing them.
        pub fn headers_mut(&mut self) -> &mut Headers {
            &mut self.headers
        }

        /// The body (empty if there is none).
        pub fn body(&self) -> &Bytes {
            &self.body
        }

        /// Replaces the body and sets Content-Length to match.
        pub fn set_body(&mut self, body: impl Into<Bytes>) {
            self.body = body.into();
            self.headers
                .set(HeaderName::ContentLength, self.body.len().to_string());
        }

        /// The topmost Via.
        pub fn via(&self) -> Result<Via<'_>, HeaderError> {
            self.headers.typed()
        }

        /// The From header.
        pub fn from(&self) -> Result<From<'_>, HeaderError> {
            self.headers.typed()
        }

        /// The To header.
        pub fn to(&self) -> Result<To<'_>, HeaderError> {
            self.headers.typed()
        }

        /// The Call-ID, trimmed.
        pub fn call_id(&self) -> Result<&str, HeaderError> {
            let v = self
                .headers
                .get_str(HeaderName::CallId)
                .ok_or(HeaderError::Missing)??;
            let v = crate::lex::trim(v);
            if v.is_empty() {
                return Err(HeaderError::Empty);
            }
            Ok(v)
        }

        /// The CSeq.
        pub fn cseq(&self) -> Result<CSeq<'_>, HeaderError> {
            self.headers.typed()
        }
    };
}

/// A SIP request.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) uri: Bytes,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
}

impl Request {
    /// A request with no headers and no body. `uri` is taken as written.
    pub fn new(method: Method, uri: impl Into<Bytes>) -> Self {
        Request {
            method,
            uri: uri.into(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI exactly as received.
    pub fn uri_raw(&self) -> &[u8] {
        &self.uri
    }

    /// The Request-URI, decoded.
    pub fn uri(&self) -> Result<Uri<'_>, UriError> {
        let s = std::str::from_utf8(&self.uri).map_err(|_| UriError::BadChar('\u{fffd}'))?;
        Uri::parse(s)
    }

    /// Replaces the Request-URI (a proxy retargeting the request).
    pub fn set_uri(&mut self, uri: impl Into<Bytes>) {
        self.uri = uri.into();
    }

    common_accessors!();

    /// Prints the request. Untouched headers come out byte for byte as received.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(
            self.method.as_str().len()
                + self.uri.len()
                + 12
                + self.headers.encoded_len()
                + 2
                + self.body.len(),
        );
        out.put_slice(self.method.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(&self.uri);
        out.put_slice(b" SIP/2.0\r\n");
        self.headers.write_to(&mut out);
        out.put_slice(b"\r\n");
        out.put_slice(&self.body);
        out.freeze()
    }
}

/// A SIP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) reason: Bytes,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
}

impl Response {
    /// A response with this status, the standard reason phrase, no headers and no body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            reason: Bytes::from_static(crate::status::reason_phrase(status).as_bytes()),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The status code (100..=699).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as received (it may be empty, RFC 4475 noreason).
    pub fn reason(&self) -> &[u8] {
        &self.reason
    }

    /// Sets the reason phrase.
    pub fn set_reason(&mut self, reason: impl Into<Bytes>) {
        self.reason = reason.into();
    }

    common_accessors!();

    /// Prints the response. Untouched headers come out byte for byte as received.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(
            14 + self.reason.len() + self.headers.encoded_len() + 2 + self.body.len(),
        );
        out.put_slice(b"SIP/2.0 ");
        let mut code = itoa_u16(self.status);
        out.put_slice(code.as_mut());
        out.put_u8(b' ');
        out.put_slice(&self.reason);
        out.put_slice(b"\r\n");
        self.headers.write_to(&mut out);
        out.put_slice(b"\r\n");
        out.put_slice(&self.body);
        out.freeze()
    }
}

fn itoa_u16(v: u16) -> [u8; 3] {
    let v = v.min(999);
    [
        b'0' + (v / 100) as u8,
        b'0' + (v / 10 % 10) as u8,
        b'0' + (v % 10) as u8,
    ]
}

/// A request or a response.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The headers, for changing them.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// The topmost Via.
    pub fn via(&self) -> Result<Via<'_>, HeaderError> {
        self.headers().typed()
    }

    /// The From header.
    pub fn from(&self) -> Result<From<'_>, HeaderError> {
        self.headers().typed()
    }

    /// The To header.
    pub fn to(&self) -> Result<To<'_>, HeaderError> {
        self.headers().typed()
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, HeaderError> {
        match self {
            Message::Request(r) => r.call_id(),
            Message::Response(r) => r.call_id(),
        }
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq<'_>, HeaderError> {
        self.headers().typed()
    }

    /// Prints the message.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

impl std::convert::From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl std::convert::From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}
