//! Checks a server applies before acting on a message, and the one mapping from every failure
//! to the response it deserves (RFC 3261 §8.2, §16.3; RFC 4475).

use crate::header::BRANCH_MAGIC;
use crate::header::{
    CSeq, CallId, Contact, Expires, From, MaxForwards, ProxyRequire, RecordRoute, Require, Route,
    To, Via,
};
use crate::headers::TypedHeader;
use crate::{
    HeaderError, HeaderName, Headers, Message, Method, ParseError, Request, Scheme, ValidationError,
};

impl Message {
    /// Decodes the headers every element relies on and checks their consistency: Via, From,
    /// To, Call-ID and CSeq present (once each, but Via), well formed, CSeq method equal to the
    /// request method, Max-Forwards, Expires, Contact, Route, Record-Route, Require and
    /// Proxy-Require well formed when present, and a Request-URI that parses and carries no
    /// `?headers` (RFC 4475 escruri).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let h = self.headers();
        for name in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
        ] {
            if !h.contains(name) {
                return Err(ValidationError::Missing(name));
            }
        }
        for name in [
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
            HeaderName::MaxForwards,
        ] {
            if h.count(name) > 1 {
                return Err(ValidationError::Duplicate(name));
            }
        }
        // Whether the sender is an RFC 3261 client (magic cookie in the top branch).
        let mut rfc3261 = None;
        for via in h.typed_all::<Via<'_>>() {
            let via = via.map_err(|source| ValidationError::Header {
                name: HeaderName::Via,
                source,
            })?;
            via.check_params()
                .map_err(|source| ValidationError::Header {
                    name: HeaderName::Via,
                    source,
                })?;
            single_param(via.params(), "branch", HeaderName::Via)?;
            rfc3261
                .get_or_insert_with(|| via.branch().is_some_and(|b| b.starts_with(BRANCH_MAGIC)));
        }
        let from = h
            .typed::<From<'_>>()
            .map_err(|source| ValidationError::Header {
                name: HeaderName::From,
                source,
            })?;
        let to = h
            .typed::<To<'_>>()
            .map_err(|source| ValidationError::Header {
                name: HeaderName::To,
                source,
            })?;
        for (name, na) in [(HeaderName::From, &from.0), (HeaderName::To, &to.0)] {
            na.check_params()
                .map_err(|source| ValidationError::Header { name, source })?;
        }
        single_param(from.params(), "tag", HeaderName::From)?;
        single_param(to.params(), "tag", HeaderName::To)?;
        // RFC 3261 §8.1.1.3 makes the From tag mandatory; only an RFC 2543 client (no magic
        // cookie in its branch) may omit it (RFC 4475 inv2543).
        if rfc3261 == Some(true) && from.tag().is_none_or(str::is_empty) {
            return Err(ValidationError::Header {
                name: HeaderName::From,
                source: HeaderError::Syntax("missing tag"),
            });
        }
        all::<CallId<'_>>(h)?;
        let cseq = h
            .typed::<CSeq<'_>>()
            .map_err(|source| ValidationError::Header {
                name: HeaderName::CSeq,
                source,
            })?;
        all::<MaxForwards>(h)?;
        all::<Expires>(h)?;
        all::<Require<'_>>(h)?;
        all::<ProxyRequire<'_>>(h)?;
        name_addrs::<Route<'_>>(h)?;
        name_addrs::<RecordRoute<'_>>(h)?;
        for c in h.typed_all::<Contact<'_>>() {
            let c = c
                .and_then(|c| c.addr().map_or(Ok(()), |a| a.check_params()).map(|()| c))
                .map_err(|source| ValidationError::Header {
                    name: HeaderName::Contact,
                    source,
                })?;
            if let Some(Err(source)) = c.expires() {
                return Err(ValidationError::Header {
                    name: HeaderName::Contact,
                    source,
                });
            }
            if let Some(Err(source)) = c.q() {
                return Err(ValidationError::Header {
                    name: HeaderName::Contact,
                    source,
                });
            }
        }
        if let Some(date) = h.get(HeaderName::Date) {
            // rfc1123-date always ends in GMT (RFC 3261 §20.17, RFC 4475 baddate).
            if !date.trim_ascii().ends_with(b" GMT") {
                return Err(ValidationError::Header {
                    name: HeaderName::Date,
                    source: crate::HeaderError::Syntax("date is not in GMT"),
                });
            }
        }
        if let Message::Request(req) = self {
            let uri = req.uri().map_err(ValidationError::RequestUri)?;
            if uri.headers().is_some() {
                return Err(ValidationError::RequestUri(crate::UriError::BadChar('?')));
            }
            if cseq.method() != req.method().as_str() {
                return Err(ValidationError::CSeqMismatch {
                    method: req.method().as_str().to_owned(),
                    cseq: cseq.method().to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// A parameter whose meaning depends on there being one value (a tag, a branch) appears at most
/// once.
fn single_param(
    p: crate::Params<'_>,
    name: &str,
    header: HeaderName,
) -> Result<(), ValidationError> {
    if p.iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .count()
        > 1
    {
        return Err(ValidationError::Header {
            name: header,
            source: HeaderError::Syntax("parameter repeated"),
        });
    }
    Ok(())
}

/// Decodes every value of a name-addr list header and checks its parameters.
fn name_addrs<'a, H>(h: &'a Headers) -> Result<(), ValidationError>
where
    H: TypedHeader<'a> + std::ops::Deref<Target = crate::header::NameAddr<'a>>,
{
    for v in h.typed_all::<H>() {
        v.and_then(|v| v.check_params())
            .map_err(|source| ValidationError::Header {
                name: H::NAME,
                source,
            })?;
    }
    Ok(())
}

fn all<'a, H: TypedHeader<'a>>(h: &'a Headers) -> Result<(), ValidationError> {
    for v in h.typed_all::<H>() {
        v.map_err(|source| ValidationError::Header {
            name: H::NAME,
            source,
        })?;
    }
    Ok(())
}

/// The answer to a request that cannot be processed: a status code, its reason phrase, a
/// human-readable detail for the `Warning` header or the log, and the extra header RFC 3261 asks
/// for with some codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: &'static str,
    /// What exactly was wrong.
    pub detail: String,
    /// An extra header to include: Unsupported for 420, Allow for 405/501, Accept for 415/406.
    pub extra: Option<(HeaderName, String)>,
}

impl Rejection {
    fn new(status: u16, detail: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: crate::status::reason_phrase(status),
            detail: detail.into(),
            extra: None,
        }
    }
}

/// What to do with a message that failed to parse. `None` means drop it silently: it was a
/// response (RFC 4475 scalarlg, bigcode), or there is nothing to answer.
pub fn reject_parse_error(raw: &[u8], err: &ParseError) -> Option<Rejection> {
    let start = raw
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .map_or(&raw[..0], |i| &raw[i..]);
    if start.len() >= 4 && start[..4].eq_ignore_ascii_case(b"SIP/") {
        return None;
    }
    match err {
        ParseError::Empty => None,
        ParseError::UnsupportedVersion(_) => Some(Rejection::new(505, err.to_string())),
        ParseError::TooLarge { .. } => Some(Rejection::new(513, err.to_string())),
        _ => Some(Rejection::new(400, err.to_string())),
    }
}

/// What to do with a message that parsed but failed [`Message::validate`]. `None` for
/// responses, which are dropped.
pub fn reject_invalid(msg: &Message, err: &ValidationError) -> Option<Rejection> {
    match msg {
        Message::Response(_) => None,
        Message::Request(req) => {
            if let ValidationError::CSeqMismatch { .. } = err {
                // An unknown method is the better answer when there is one (RFC 4475 mismatch02).
                if matches!(req.method(), Method::Extension(_)) {
                    return Some(Rejection::new(501, err.to_string()));
                }
            }
            Some(Rejection::new(400, err.to_string()))
        }
    }
}

/// What an element accepts, for [`check_request`].
#[derive(Debug, Clone)]
pub struct Policy<'p> {
    /// Methods it implements; others get 501 with Allow.
    pub methods: &'p [&'p str],
    /// Option tags it supports; a Require (or, for a proxy, Proxy-Require) naming others gets 420.
    pub supported: &'p [&'p str],
    /// URI schemes it serves in the Request-URI; others get 416.
    pub schemes: &'p [Scheme],
    /// Body types it understands (for a UAS); others get 415. Empty: any.
    pub accept: &'p [&'p str],
    /// Whether it acts as a proxy: Proxy-Require is checked instead of Require, and
    /// Max-Forwards 0 on a request it would forward gets 483.
    pub proxy: bool,
}

impl Default for Policy<'_> {
    fn default() -> Self {
        Policy {
            methods: &[
                "INVITE",
                "ACK",
                "BYE",
                "CANCEL",
                "REGISTER",
                "OPTIONS",
                "INFO",
                "UPDATE",
                "PRACK",
                "SUBSCRIBE",
                "NOTIFY",
                "PUBLISH",
                "MESSAGE",
                "REFER",
            ],
            supported: &[
                "path",
                "outbound",
                "gruu",
                "100rel",
                "timer",
                "replaces",
                "norefersub",
            ],
            schemes: &[Scheme::Sip, Scheme::Sips, Scheme::Tel],
            accept: &[],
            proxy: false,
        }
    }
}

/// Runs every check of RFC 3261 §8.2 (UAS) or §16.3 (proxy) in order: URI scheme (416),
/// method (501), header validity (400), extensions (420), Max-Forwards (483, proxy), body type
/// (415) and Accept (406). The first failure wins.
pub fn check_request(req: &Request, policy: &Policy<'_>) -> Result<(), Rejection> {
    if let Ok(uri) = req.uri() {
        if !policy.schemes.contains(&uri.scheme()) {
            return Err(Rejection::new(
                416,
                format!("Request-URI scheme of {uri} is not supported"),
            ));
        }
    }
    if !policy.methods.contains(&req.method().as_str()) {
        let mut r = Rejection::new(501, format!("method {} is not implemented", req.method()));
        r.extra = Some((HeaderName::Allow, policy.methods.join(", ")));
        return Err(r);
    }
    let msg = Message::Request(req.clone());
    if let Err(e) = msg.validate() {
        return Err(reject_invalid(&msg, &e).unwrap_or_else(|| Rejection::new(400, e.to_string())));
    }
    let h = req.headers();
    if *req.method() == Method::Register {
        // The address of record must be a SIP or SIPS URI (RFC 3261 §10.3 step 5, RFC 4475 unksm2).
        let aor_ok = req.to().is_ok_and(|t| t.uri().is_sip())
            && req
                .from()
                .is_ok_and(|f| f.uri().is_sip() || f.uri().scheme() == Scheme::Tel);
        if !aor_ok {
            return Err(Rejection::new(
                400,
                "To and From of a REGISTER must be SIP URIs",
            ));
        }
    }
    let mut unsupported = Vec::new();
    let tags: Vec<&str> = if policy.proxy {
        h.typed_all::<ProxyRequire<'_>>()
            .filter_map(Result::ok)
            .map(|t| t.0)
            .collect()
    } else {
        h.typed_all::<Require<'_>>()
            .filter_map(Result::ok)
            .map(|t| t.0)
            .collect()
    };
    for t in tags {
        if !policy.supported.iter().any(|s| s.eq_ignore_ascii_case(t)) && !unsupported.contains(&t)
        {
            unsupported.push(t);
        }
    }
    // CANCEL and ACK never carry a Require that can be refused (RFC 3261 §8.2.2.3).
    if !unsupported.is_empty() && !matches!(req.method(), Method::Ack | Method::Cancel) {
        let mut r = Rejection::new(
            420,
            format!("unsupported extensions: {}", unsupported.join(", ")),
        );
        r.extra = Some((HeaderName::Unsupported, unsupported.join(", ")));
        return Err(r);
    }
    if policy.proxy {
        if let Ok(MaxForwards(0)) = h.typed::<MaxForwards>() {
            if !matches!(req.method(), Method::Options | Method::Register) {
                return Err(Rejection::new(483, "Max-Forwards reached 0"));
            }
        }
    }
    if !policy.proxy && !policy.accept.is_empty() && !req.body().is_empty() {
        let ct = h
            .get_str(HeaderName::ContentType)
            .and_then(Result::ok)
            .map(media_type)
            .unwrap_or("");
        if !policy.accept.iter().any(|a| a.eq_ignore_ascii_case(ct)) {
            let mut r = Rejection::new(415, format!("body type {ct:?} is not supported"));
            r.extra = Some((HeaderName::Accept, policy.accept.join(", ")));
            return Err(r);
        }
    }
    if !policy.proxy && *req.method() == Method::Invite && !policy.accept.is_empty() {
        if let Some(Ok(accept)) = h.get_str(HeaderName::Accept) {
            let wanted: Vec<&str> = accept.split(',').map(media_type).collect();
            let acceptable = wanted
                .iter()
                .any(|w| *w == "*/*" || policy.accept.iter().any(|a| a.eq_ignore_ascii_case(w)));
            if !wanted.iter().all(|w| w.is_empty()) && !acceptable {
                let mut r = Rejection::new(
                    406,
                    format!("none of the accepted types {accept:?} can be produced"),
                );
                r.extra = Some((HeaderName::Accept, policy.accept.join(", ")));
                return Err(r);
            }
        }
    }
    Ok(())
}

/// `type/subtype` of a media-range, without parameters and whitespace.
fn media_type(s: &str) -> &str {
    crate::lex::trim(s.split(';').next().unwrap_or(""))
}
