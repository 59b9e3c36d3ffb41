//! Matching messages to transactions (RFC 3261 §17.1.3, §17.2.3).
//!
//! Each rule is written as a key: a string built from the fields the rule compares, so that
//! matching is one hash lookup. Keys are built into a scratch buffer owned by the layer, so a
//! lookup allocates nothing; only a new transaction stores its key.

use std::fmt::Write as _;

use sip_message::header::{CSeq, From, To, Via};
use sip_message::{HeaderError, HeaderName, Headers, Request};

use crate::PeerError;

/// The key of a client transaction (§17.1.3): the branch of the top Via and the CSeq method.
/// The method keeps a CANCEL's transaction apart from the INVITE's, which has the same branch.
pub(crate) fn client_key(buf: &mut String, branch: &str, method: &str) {
    buf.clear();
    buf.push_str(branch);
    buf.push('\0');
    buf.push_str(method);
}

/// The top Via and CSeq of a request, which every request needs to be matched; checks that
/// the CSeq method is the request method.
pub(crate) fn request_ids(req: &Request) -> Result<(Via<'_>, CSeq<'_>), PeerError> {
    let via = req.via().map_err(PeerError::header(HeaderName::Via))?;
    let cseq = req.cseq().map_err(PeerError::header(HeaderName::CSeq))?;
    if cseq.method() != req.method().as_str() {
        return Err(PeerError::CSeqMethodMismatch);
    }
    Ok((via, cseq))
}

/// The key of a server transaction for a request whose top Via carries an RFC 3261 branch
/// (§17.2.3): the branch, the sent-by host (case-insensitive) and port, and the method, where
/// the caller passes `INVITE` for an ACK.
pub(crate) fn rfc3261_key(buf: &mut String, via: &Via<'_>, branch: &str, method: &str) {
    buf.clear();
    buf.push('1');
    buf.push_str(branch);
    buf.push('\0');
    buf.extend(via.host_str().chars().map(|c| c.to_ascii_lowercase()));
    buf.push('\0');
    if let Some(port) = via.port() {
        let _ = write!(buf, "{port}");
    }
    buf.push('\0');
    buf.push_str(method);
}

/// The key of a server transaction for a request from an RFC 2543 element, whose branch (if
/// any) lacks the magic cookie (§17.2.3): Request-URI, To tag, From tag, Call-ID, CSeq number,
/// the whole top Via, and the method (`INVITE` for an ACK). `to_tag` is passed by the caller:
/// the request's own for most requests, and for an ACK the tag of the response it
/// acknowledges, which the INVITE did not carry.
pub(crate) fn rfc2543_key(
    buf: &mut String,
    req: &Request,
    via: &Via<'_>,
    cseq: &CSeq<'_>,
    method: &str,
    to_tag: Option<&str>,
) -> Result<(), PeerError> {
    let from = req.from().map_err(PeerError::header(HeaderName::From))?;
    let call_id = req
        .call_id()
        .map_err(PeerError::header(HeaderName::CallId))?;
    buf.clear();
    buf.push('0');
    buf.push_str(&String::from_utf8_lossy(req.uri_raw()));
    buf.push('\0');
    buf.push_str(to_tag.unwrap_or(""));
    buf.push('\0');
    buf.push_str(from.tag().unwrap_or(""));
    buf.push('\0');
    buf.push_str(call_id);
    let _ = write!(buf, "\0{}\0{}\0", cseq.seq(), via.transport());
    buf.extend(via.host_str().chars().map(|c| c.to_ascii_lowercase()));
    if let Some(port) = via.port() {
        let _ = write!(buf, ":{port}");
    }
    buf.push(';');
    buf.push_str(via.params().as_str());
    buf.push('\0');
    buf.push_str(method);
    Ok(())
}

/// The To tag of a request, for RFC 2543 matching.
pub(crate) fn to_tag(req: &Request) -> Result<Option<&str>, PeerError> {
    Ok(req.to().map_err(PeerError::header(HeaderName::To))?.tag())
}

/// The key that ties an ACK for a 2xx to the INVITE server transaction that sent the 2xx:
/// Call-ID, CSeq number, From tag and To tag (the dialog plus the CSeq, RFC 3261 §12, §13.2.2.4).
/// The ACK for a 2xx is a transaction of its own with a new branch, so this is how a TU learns
/// which INVITE it acknowledges.
pub(crate) fn ack_key(
    buf: &mut String,
    call_id: &str,
    seq: u32,
    from_tag: Option<&str>,
    to_tag: Option<&str>,
) {
    buf.clear();
    buf.push_str(call_id);
    let _ = write!(buf, "\0{seq}\0");
    buf.push_str(from_tag.unwrap_or(""));
    buf.push('\0');
    buf.push_str(to_tag.unwrap_or(""));
}

/// [`ack_key`] for a message (the 2xx when it is sent, the ACK when it arrives).
pub(crate) fn ack_key_of(buf: &mut String, headers: &Headers) -> Result<(), HeaderError> {
    let call_id = headers
        .get_str(HeaderName::CallId)
        .ok_or(HeaderError::Missing)??
        .trim();
    let seq = headers.typed::<CSeq<'_>>()?.seq();
    let from = headers.typed::<From<'_>>()?;
    let to = headers.typed::<To<'_>>()?;
    ack_key(buf, call_id, seq, from.tag(), to.tag());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sip_message::Method;

    fn req(via: &str, method: Method) -> Request {
        Request::builder(method, "sip:bob@example.com")
            .header(HeaderName::Via, via.to_owned())
            .from("<sip:alice@example.com>", "f1")
            .to("<sip:bob@example.com>")
            .call_id("cid")
            .cseq(1)
            .build()
    }

    fn key3261(r: &Request, method: &str) -> String {
        let mut buf = String::new();
        let via = r.via().unwrap();
        rfc3261_key(&mut buf, &via, via.branch().unwrap(), method);
        buf
    }

    #[test]
    fn sent_by_host_is_case_insensitive_branch_is_not() {
        let a = req(
            "SIP/2.0/UDP Host.Example.com:5060;branch=z9hG4bKabc",
            Method::Invite,
        );
        let b = req(
            "SIP/2.0/UDP host.example.COM:5060;branch=z9hG4bKabc",
            Method::Invite,
        );
        let c = req(
            "SIP/2.0/UDP host.example.com:5060;branch=z9hG4bKABC",
            Method::Invite,
        );
        let d = req(
            "SIP/2.0/UDP host.example.com;branch=z9hG4bKabc",
            Method::Invite,
        );
        assert_eq!(key3261(&a, "INVITE"), key3261(&b, "INVITE"));
        assert_ne!(key3261(&a, "INVITE"), key3261(&c, "INVITE"));
        assert_ne!(
            key3261(&a, "INVITE"),
            key3261(&d, "INVITE"),
            "port is part of sent-by"
        );
        assert_ne!(key3261(&a, "INVITE"), key3261(&a, "CANCEL"));
    }

    #[test]
    fn cseq_method_must_match() {
        let mut r = req("SIP/2.0/UDP h;branch=z9hG4bKx", Method::Options);
        assert!(request_ids(&r).is_ok());
        r.headers_mut().set(HeaderName::CSeq, "1 INVITE");
        assert_eq!(request_ids(&r).unwrap_err(), PeerError::CSeqMethodMismatch);
        r.headers_mut().remove(HeaderName::Via);
        assert!(matches!(
            request_ids(&r),
            Err(PeerError::Header {
                name: HeaderName::Via,
                ..
            })
        ));
    }

    #[test]
    fn rfc2543_key_uses_dialog_fields() {
        let a = req("SIP/2.0/UDP h:5060", Method::Invite);
        let (via, cseq) = request_ids(&a).unwrap();
        let mut k1 = String::new();
        rfc2543_key(&mut k1, &a, &via, &cseq, "INVITE", None).unwrap();
        let mut k2 = String::new();
        rfc2543_key(&mut k2, &a, &via, &cseq, "INVITE", Some("t")).unwrap();
        assert_ne!(k1, k2);
        let mut b = a.clone();
        b.headers_mut().set(HeaderName::CallId, "other");
        let (via, cseq) = request_ids(&b).unwrap();
        let mut k3 = String::new();
        rfc2543_key(&mut k3, &b, &via, &cseq, "INVITE", None).unwrap();
        assert_ne!(k1, k3);
    }
}
