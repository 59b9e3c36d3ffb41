//! Session and dialog headers: Session-Expires and Min-SE (RFC 4028), RAck (RFC 3262),
//! Replaces (RFC 3891) and Refer-Sub (RFC 4488).

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, lex};

use super::split_params;

/// Who refreshes a session (RFC 4028 §4 `refresher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `uac`: the caller of the request that set the interval.
    Uac,
    /// `uas`: the callee.
    Uas,
}

/// The Session-Expires header (RFC 4028 §4): `1800;refresher=uac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    delta: u32,
    refresher: Option<Refresher>,
    params: Params<'a>,
}

impl<'a> SessionExpires<'a> {
    /// The session interval, in seconds.
    pub fn delta_seconds(&self) -> u32 {
        self.delta
    }

    /// The `refresher` parameter.
    pub fn refresher(&self) -> Option<Refresher> {
        self.refresher
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

/// `delta-seconds *( SEMI param )`, the common shape of Session-Expires and Min-SE.
fn delta_and_params<'a>(
    value: &'a str,
    what: &'static str,
) -> Result<(u32, Params<'a>), HeaderError> {
    let (head, params) = split_params(value)?;
    if head.is_empty() {
        return Err(HeaderError::Empty);
    }
    let delta = lex::parse_u32(head).ok_or(HeaderError::Number(what))?;
    Ok((delta, params))
}

impl<'a> TypedHeader<'a> for SessionExpires<'a> {
    const NAME: HeaderName = HeaderName::SessionExpires;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (delta, params) = delta_and_params(value, "Session-Expires")?;
        let refresher = match params.get("refresher") {
            None => None,
            Some(Some(r)) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(Some(r)) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            Some(_) => return Err(HeaderError::Syntax("refresher is neither uac nor uas")),
        };
        Ok(SessionExpires {
            delta,
            refresher,
            params,
        })
    }
}

/// The Min-SE header (RFC 4028 §5): the smallest session interval accepted, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinSe<'a> {
    delta: u32,
    params: Params<'a>,
}

impl<'a> MinSe<'a> {
    /// The minimum interval, in seconds.
    pub fn delta_seconds(&self) -> u32 {
        self.delta
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for MinSe<'a> {
    const NAME: HeaderName = HeaderName::MinSe;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (delta, params) = delta_and_params(value, "Min-SE")?;
        Ok(MinSe { delta, params })
    }
}

/// The RAck header (RFC 3262 §7.2): `776656 1 INVITE`, acknowledging a reliable provisional
/// response by its RSeq and the CSeq of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RAck<'a> {
    rseq: u32,
    cseq: u32,
    method: &'a str,
}

impl<'a> RAck<'a> {
    /// The RSeq of the response acknowledged.
    pub fn rseq(&self) -> u32 {
        self.rseq
    }

    /// The CSeq sequence number of the request the response answered.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The CSeq method, case-sensitive as written.
    pub fn method(&self) -> &'a str {
        self.method
    }
}

impl<'a> TypedHeader<'a> for RAck<'a> {
    const NAME: HeaderName = HeaderName::RAck;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let mut parts = v.split(lex::is_lws_char).filter(|p| !p.is_empty());
        let (Some(rseq), Some(cseq), Some(method), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HeaderError::Syntax(
                "RAck needs a response number, a CSeq number and a method",
            ));
        };
        let rseq = lex::parse_u32(rseq).ok_or(HeaderError::Number("RAck response-num"))?;
        let cseq = lex::parse_u32(cseq).ok_or(HeaderError::Number("RAck CSeq-num"))?;
        if !lex::is_token_str(method) {
            return Err(HeaderError::Syntax("RAck method is not a token"));
        }
        Ok(RAck { rseq, cseq, method })
    }
}

/// The Replaces header (RFC 3891 §6.1): the dialog to replace,
/// `425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces<'a> {
    call_id: &'a str,
    to_tag: &'a str,
    from_tag: &'a str,
    params: Params<'a>,
}

impl<'a> Replaces<'a> {
    /// The Call-ID of the dialog.
    pub fn call_id(&self) -> &'a str {
        self.call_id
    }

    /// The `to-tag`: the local tag of the dialog at the recipient.
    pub fn to_tag(&self) -> &'a str {
        self.to_tag
    }

    /// The `from-tag`: the remote tag of the dialog at the recipient.
    pub fn from_tag(&self) -> &'a str {
        self.from_tag
    }

    /// Whether `early-only` is present: only an early dialog may be replaced.
    pub fn early_only(&self) -> bool {
        self.params.contains("early-only")
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for Replaces<'a> {
    const NAME: HeaderName = HeaderName::Replaces;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (call_id, params) = split_params(value)?;
        if call_id.is_empty() {
            return Err(HeaderError::Empty);
        }
        if call_id.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(HeaderError::Syntax(
                "Call-ID contains whitespace or control characters",
            ));
        }
        // Exactly one of each tag (RFC 3891 §6.1).
        let tag = |name: &str| {
            let mut all = params.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
            match (all.next(), all.next()) {
                (Some((_, Some(t))), None) if lex::is_token_str(t) => Ok(t),
                (None, _) => Err(HeaderError::Syntax("Replaces needs to-tag and from-tag")),
                _ => Err(HeaderError::Syntax("malformed or repeated Replaces tag")),
            }
        };
        Ok(Replaces {
            call_id,
            to_tag: tag("to-tag")?,
            from_tag: tag("from-tag")?,
            params,
        })
    }
}

/// The Refer-Sub header (RFC 4488 §4): `false` asks the recipient of a REFER not to create
/// an implicit subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferSub<'a> {
    value: bool,
    params: Params<'a>,
}

impl<'a> ReferSub<'a> {
    /// The value: `true` or `false` (case-insensitive).
    pub fn value(&self) -> bool {
        self.value
    }

    /// The extension parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for ReferSub<'a> {
    const NAME: HeaderName = HeaderName::ReferSub;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (head, params) = split_params(value)?;
        let value = if head.eq_ignore_ascii_case("true") {
            true
        } else if head.eq_ignore_ascii_case("false") {
            false
        } else if head.is_empty() {
            return Err(HeaderError::Empty);
        } else {
            return Err(HeaderError::Syntax("Refer-Sub is neither true nor false"));
        };
        Ok(ReferSub { value, params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expires_with_refresher() {
        let s = SessionExpires::decode("4000;refresher=uac").expect("valid");
        assert_eq!(s.delta_seconds(), 4000);
        assert_eq!(s.refresher(), Some(Refresher::Uac));
        let s = SessionExpires::decode(" 1800 ; refresher = UAS ; x=y").expect("valid");
        assert_eq!(s.refresher(), Some(Refresher::Uas));
        assert_eq!(s.params().get("x"), Some(Some("y")));
        let s = SessionExpires::decode("90").expect("valid");
        assert_eq!(s.refresher(), None);
    }

    #[test]
    fn malformed_session_expires_are_rejected() {
        for bad in [
            "",
            "abc",
            "-1",
            "4294967296",
            "1800;refresher=proxy",
            "1800;refresher",
            "1800;",
            "1800;;refresher=uac",
            "18 00",
        ] {
            assert!(SessionExpires::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn min_se_number_and_params() {
        let m = MinSe::decode("90;x").expect("valid");
        assert_eq!(m.delta_seconds(), 90);
        assert!(m.params().contains("x"));
        assert_eq!(
            MinSe::decode("4294967295").map(|m| m.delta_seconds()),
            Ok(u32::MAX)
        );
        assert!(MinSe::decode("4294967296").is_err());
        assert!(MinSe::decode("").is_err());
        assert!(MinSe::decode("1.5").is_err());
    }

    #[test]
    fn rack_has_three_parts() {
        let r = RAck::decode("776656 1 INVITE").expect("valid");
        assert_eq!((r.rseq(), r.cseq(), r.method()), (776656, 1, "INVITE"));
        let r = RAck::decode(" 1\t 2\r\n INVITE ").expect("folded");
        assert_eq!(r.cseq(), 2);
        for bad in [
            "",
            "1 INVITE",
            "1 2",
            "x 2 INVITE",
            "1 4294967296 INVITE",
            "1 2 INVITE extra",
            "1 2 INV/ITE",
        ] {
            assert!(RAck::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn replaces_dialog_identifiers() {
        let r = Replaces::decode("425928@bobster.example.org;to-tag=7743;from-tag=6472")
            .expect("valid");
        assert_eq!(r.call_id(), "425928@bobster.example.org");
        assert_eq!(r.to_tag(), "7743");
        assert_eq!(r.from_tag(), "6472");
        assert!(!r.early_only());
        let r =
            Replaces::decode("98732@sip.example.com ;from-tag=r33th4x0r ;to-tag=ff87ff;early-only")
                .expect("valid");
        assert_eq!(r.from_tag(), "r33th4x0r");
        assert!(r.early_only());
    }

    #[test]
    fn malformed_replaces_are_rejected() {
        for bad in [
            "",
            ";to-tag=1;from-tag=2",
            "abc;to-tag=1",
            "abc;from-tag=2",
            "abc;to-tag=1;from-tag=2;to-tag=3",
            "abc;to-tag;from-tag=2",
            "a b;to-tag=1;from-tag=2",
            "abc;to-tag=\"1\";from-tag=2",
        ] {
            assert!(Replaces::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refer_sub_booleans() {
        assert_eq!(ReferSub::decode("false").map(|r| r.value()), Ok(false));
        assert_eq!(ReferSub::decode(" TRUE ;x=1").map(|r| r.value()), Ok(true));
        assert!(ReferSub::decode("").is_err());
        assert!(ReferSub::decode("yes").is_err());
        assert!(ReferSub::decode("true;").is_err());
    }
}
