//! SIP messages: whatever parses must print and parse back to the same start line, headers and
//! body; validation, typed header decoding and stream framing must never panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_message::framing::{Frame, next_frame};
use sip_message::header::{self, NameAddr};
use sip_message::validate::{Policy, check_request, reject_invalid, reject_parse_error};
use sip_message::{HeaderName, Headers, Message, Uri};

fuzz_target!(|data: &[u8]| {
    check_framing(data);

    let msg = match Message::parse(Bytes::copy_from_slice(data)) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.to_string();
            let _ = reject_parse_error(data, &e);
            return;
        }
    };
    exercise(&msg);

    let printed = msg.to_bytes();
    let again = match Message::parse(printed.clone()) {
        Ok(m) => m,
        Err(e) => panic!(
            "printed message does not parse: {e}\nprinted: {:?}",
            String::from_utf8_lossy(&printed)
        ),
    };
    assert_same(&msg, &again, &printed);
    // Printing a reparsed message gives the same bytes again.
    assert_eq!(again.to_bytes(), printed, "printing is not a fixed point");

    check_edits(&msg);
});

/// `next_frame` on the whole input and with a limit below its size: never a length past the
/// end of the buffer.
fn check_framing(data: &[u8]) {
    for limit in [65536, data.len() / 2] {
        match next_frame(data, limit) {
            Ok(Frame::Incomplete) | Err(_) => {}
            Ok(Frame::Ping { len } | Frame::Pong { len }) => {
                assert!(
                    len <= data.len(),
                    "keep-alive of {len} octets in {}",
                    data.len()
                );
            }
            Ok(Frame::Message { len }) => {
                assert!(len <= data.len(), "frame of {len} octets in {}", data.len());
                assert!(len <= limit, "frame of {len} octets over the limit {limit}");
                let _ = Message::parse(Bytes::copy_from_slice(&data[..len]));
            }
        }
    }
}

/// Same start line, same header list (names as spelled and raw values, in order), same body.
fn assert_same(a: &Message, b: &Message, printed: &[u8]) {
    let ctx = || String::from_utf8_lossy(printed).into_owned();
    match (a, b) {
        (Message::Request(x), Message::Request(y)) => {
            assert_eq!(x.method(), y.method(), "method; printed {:?}", ctx());
            assert_eq!(x.uri_raw(), y.uri_raw(), "Request-URI; printed {:?}", ctx());
        }
        (Message::Response(x), Message::Response(y)) => {
            assert_eq!(x.status(), y.status(), "status; printed {:?}", ctx());
            assert_eq!(x.reason(), y.reason(), "reason phrase; printed {:?}", ctx());
        }
        _ => panic!("request/response kind changed; printed {:?}", ctx()),
    }
    let ha: Vec<_> = a
        .headers()
        .iter()
        .map(|h| (h.name, h.raw_name, h.value))
        .collect();
    let hb: Vec<_> = b
        .headers()
        .iter()
        .map(|h| (h.name, h.raw_name, h.value))
        .collect();
    assert_eq!(ha, hb, "headers; printed {:?}", ctx());
    assert_eq!(a.body(), b.body(), "body; printed {:?}", ctx());
}

/// Everything a server does with a parsed message before acting on it.
fn exercise(msg: &Message) {
    match msg.validate() {
        Ok(()) => {}
        Err(e) => {
            let _ = e.to_string();
            let r = reject_invalid(msg, &e);
            assert_eq!(
                r.is_some(),
                msg.is_request(),
                "requests are answered, responses dropped"
            );
        }
    }
    if let Some(req) = msg.as_request() {
        for proxy in [false, true] {
            let policy = Policy {
                proxy,
                accept: &["application/sdp", "text/plain"],
                ..Policy::default()
            };
            if let Err(r) = check_request(req, &policy) {
                assert!(
                    (400..=699).contains(&r.status),
                    "rejection with status {}",
                    r.status
                );
            }
        }
        if let Ok(uri) = req.uri() {
            touch_uri(&uri);
        }
    }
    let _ = msg
        .via()
        .map(|v| (v.branch(), v.received(), v.rport(), v.has_rfc3261_branch()));
    let _ = msg.from().map(|f| (f.tag(), f.uri()));
    let _ = msg.to().map(|t| t.tag());
    let _ = msg.call_id();
    let _ = msg.cseq().map(|c| (c.seq(), c.method()));

    let h = msg.headers();
    for raw in h.iter() {
        assert_eq!(
            HeaderName::from_bytes(raw.raw_name),
            raw.name,
            "name {:?} recognised differently",
            String::from_utf8_lossy(raw.raw_name)
        );
        if let Ok(name) = std::str::from_utf8(raw.raw_name) {
            assert!(
                h.get_by_name(name).is_some(),
                "header {name:?} not found by name"
            );
        }
    }
    decode_all(h);
}

macro_rules! decode {
    ($h:expr, $($ty:ty),* $(,)?) => {
        $(
            for item in $h.typed_all::<$ty>() {
                std::hint::black_box(format!("{item:?}"));
            }
            std::hint::black_box($h.typed::<$ty>().is_ok());
        )*
    };
}

/// Every typed header type exported by `sip_message::header`, over every header, plus the
/// accessors that compute on demand.
fn decode_all(h: &Headers) {
    use header::*;
    decode!(
        h,
        // header/mod.rs
        MaxForwards,
        ContentLength,
        Expires,
        MinExpires,
        RSeq,
        Allow,
        Supported,
        Require,
        ProxyRequire,
        Unsupported,
        CallId,
        // cseq.rs, via.rs
        CSeq,
        Via,
        // name_addr.rs
        From,
        To,
        Contact,
        Route,
        RecordRoute,
        Path,
        ReferTo,
        ReferredBy,
        PAssertedIdentity,
        // auth.rs
        Authorization,
        ProxyAuthorization,
        WwwAuthenticate,
        ProxyAuthenticate,
        AuthenticationInfo,
        // date.rs
        Date,
        // event.rs
        Event,
        AllowEvents,
        SubscriptionState,
        // media.rs
        ContentType,
        Accept,
        // misc.rs
        Organization,
        Priority,
        Privacy,
        Reason,
        RetryAfter,
        SipETag,
        SipIfMatch,
        Subject,
        Timestamp,
        Warning,
        // product.rs
        UserAgent,
        Server,
        // session.rs
        SessionExpires,
        MinSe,
        RAck,
        Replaces,
        ReferSub,
    );

    for v in h.typed_all::<Via>().flatten() {
        let _ = (
            v.transport(),
            v.host(),
            v.host_str(),
            v.port(),
            v.params().iter().count(),
        );
    }
    for c in h.typed_all::<Contact>().flatten() {
        let _ = (c.expires(), c.q());
        if let Some(a) = c.addr() {
            touch_name_addr(a);
        }
    }
    for f in h.typed_all::<From>().flatten() {
        touch_name_addr(&f.0);
    }
    for t in h.typed_all::<To>().flatten() {
        touch_name_addr(&t.0);
    }
    for r in h.typed_all::<Route>().flatten() {
        touch_name_addr(&r.0);
    }
    for r in h.typed_all::<ReferTo>().flatten() {
        touch_name_addr(&r.0);
    }
    for c in h.typed_all::<Authorization>().flatten() {
        let c = c.0;
        let _ = (
            c.scheme(),
            c.is_digest(),
            c.token68(),
            c.algorithm(),
            c.nc(),
            c.userhash(),
        );
        for p in c.params().iter() {
            let _ = (p.name(), p.raw_value(), p.is_quoted(), p.value());
        }
    }
    for c in h.typed_all::<WwwAuthenticate>().flatten() {
        let c = c.0;
        let _ = (
            c.scheme(),
            c.is_digest(),
            c.token68(),
            c.stale(),
            c.algorithm(),
            c.userhash(),
        );
        let _ = c.qop_options().count();
        for p in c.params().iter() {
            let _ = (p.name(), p.raw_value(), p.is_quoted(), p.value());
        }
    }
    for a in h.typed_all::<AuthenticationInfo>().flatten() {
        let _ = (a.nextnonce(), a.qop(), a.rspauth(), a.cnonce(), a.nc());
    }
    for d in h.typed_all::<Date>().flatten() {
        let _ = d.unix_time();
    }
    for e in h.typed_all::<Event>().flatten() {
        let _ = (e.package(), e.id(), e.event_type().templates().count());
    }
    for s in h.typed_all::<SubscriptionState>().flatten() {
        let _ = (s.state(), s.reason(), s.expires(), s.retry_after());
    }
    for c in h.typed_all::<ContentType>().flatten() {
        let _ = (c.type_(), c.subtype(), c.charset(), c.boundary());
    }
    for a in h.typed_all::<Accept>().flatten() {
        let _ = (
            a.type_(),
            a.subtype(),
            a.q(),
            a.matches("application", "sdp"),
        );
    }
    for u in h.typed_all::<UserAgent>().flatten() {
        let _ = u.products().count();
    }
    for s in h.typed_all::<Server>().flatten() {
        let _ = s.products().count();
    }
}

fn touch_name_addr(a: &NameAddr<'_>) {
    let _ = (
        a.display_name_raw(),
        a.display_name(),
        a.tag(),
        a.is_bracketed(),
    );
    touch_uri(&a.uri());
}

fn touch_uri(u: &Uri<'_>) {
    let _ = (
        u.user_unescaped(),
        u.host(),
        u.port(),
        u.params().iter().count(),
    );
    let canonical = u.to_canonical_string();
    assert!(
        Uri::parse(&canonical).is_ok(),
        "canonical form {canonical:?} of {:?} does not parse",
        u.as_str()
    );
}

/// Edits a proxy or UA makes, then a print and a parse: the edits must come out as made.
fn check_edits(msg: &Message) {
    // The edits add up to three lines; a message already at the parser's header limit would
    // then be refused on reparse by design (the limit), not by a bug.
    if msg.headers().len() + 3 > sip_message::ParseLimits::default().max_headers {
        return;
    }
    let mut m = msg.clone();
    let before = m.headers().len();
    // A value copied from another header (folds included) must stay on one line.
    let copied = m
        .headers()
        .iter()
        .next()
        .map(|h| Bytes::copy_from_slice(h.value));
    m.headers_mut().insert_first(
        HeaderName::Via,
        "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfuzz",
    );
    if let Some(v) = &copied {
        m.headers_mut().push_named("X-Copied", v.clone());
    }
    let body = Bytes::from_static(b"v=0\r\n");
    match &mut m {
        Message::Request(r) => r.set_body(body.clone()),
        Message::Response(r) => r.set_body(body.clone()),
    }
    let printed = m.to_bytes();
    let again = match Message::parse(printed.clone()) {
        Ok(x) => x,
        Err(e) => panic!(
            "edited message does not parse: {e}\nprinted: {:?}",
            String::from_utf8_lossy(&printed)
        ),
    };
    assert_eq!(again.body(), &body, "body after set_body");
    assert_eq!(
        again.headers().get(HeaderName::Via),
        Some(&b"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfuzz"[..]),
        "inserted Via is not on top"
    );
    if let Some(v) = &copied {
        // CR and LF become spaces; the parser then trims the value as usual.
        let spaced: Vec<u8> = v
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        let expected = trim_lws(&spaced);
        let got = again
            .headers()
            .iter()
            .filter(|h| h.raw_name.eq_ignore_ascii_case(b"X-Copied"))
            .last()
            .map(|h| h.value);
        assert_eq!(
            got,
            Some(expected),
            "copied value changed; printed {:?}",
            String::from_utf8_lossy(&printed)
        );
    }
    let cl_lines = msg.headers().count(HeaderName::ContentLength);
    let expected_len = before + 1 + usize::from(copied.is_some()) + 1 - cl_lines;
    assert_eq!(
        again.headers().len(),
        expected_len,
        "header count after edits; printed {:?}",
        String::from_utf8_lossy(&printed)
    );
}

fn trim_lws(v: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}
