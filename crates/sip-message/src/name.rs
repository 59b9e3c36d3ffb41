//! Header names: the ones Carillon understands, their compact forms, and case-insensitive lookup.

use std::fmt;

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $canon:literal $(, $compact:literal)? ;)*) => {
        /// A header field name. Known names are matched case-insensitively and through their
        /// compact forms (RFC 3261 §7.3.3); anything else is [`HeaderName::Extension`], whose
        /// spelling is kept by the header entry itself.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HeaderName {
            $( $(#[$doc])* $variant, )*
            /// A header this crate has no name for; compare spellings with
            /// [`crate::Headers::get_by_name`].
            Extension,
        }

        impl HeaderName {
            /// The canonical spelling used when printing a header this crate created.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( HeaderName::$variant => $canon, )*
                    HeaderName::Extension => "",
                }
            }

            /// The compact form, if the name has one.
            pub const fn compact(self) -> Option<char> {
                match self {
                    $( $( HeaderName::$variant => Some($compact as char), )? )*
                    _ => None,
                }
            }

            #[cfg(test)]
            const ALL: &'static [(HeaderName, &'static str)] = &[
                $( (HeaderName::$variant, $canon), )*
            ];

            fn from_compact(c: u8) -> Option<HeaderName> {
                match c.to_ascii_lowercase() {
                    $( $( x if x == $compact => Some(HeaderName::$variant), )? )*
                    _ => None,
                }
            }
        }
    };
}

header_names! {
    /// `Accept`
    Accept => "Accept";
    /// `Accept-Contact` (RFC 3841)
    AcceptContact => "Accept-Contact", b'a';
    /// `Accept-Encoding`
    AcceptEncoding => "Accept-Encoding";
    /// `Accept-Language`
    AcceptLanguage => "Accept-Language";
    /// `Alert-Info`
    AlertInfo => "Alert-Info";
    /// `Allow`
    Allow => "Allow";
    /// `Allow-Events` (RFC 6665)
    AllowEvents => "Allow-Events", b'u';
    /// `Authentication-Info`
    AuthenticationInfo => "Authentication-Info";
    /// `Authorization`
    Authorization => "Authorization";
    /// `Call-ID`
    CallId => "Call-ID", b'i';
    /// `Call-Info`
    CallInfo => "Call-Info";
    /// `Contact`
    Contact => "Contact", b'm';
    /// `Content-Disposition`
    ContentDisposition => "Content-Disposition";
    /// `Content-Encoding`
    ContentEncoding => "Content-Encoding", b'e';
    /// `Content-Language`
    ContentLanguage => "Content-Language";
    /// `Content-Length`
    ContentLength => "Content-Length", b'l';
    /// `Content-Type`
    ContentType => "Content-Type", b'c';
    /// `CSeq`
    CSeq => "CSeq";
    /// `Date`
    Date => "Date";
    /// `Error-Info`
    ErrorInfo => "Error-Info";
    /// `Event` (RFC 6665)
    Event => "Event", b'o';
    /// `Expires`
    Expires => "Expires";
    /// `Flow-Timer` (RFC 5626)
    FlowTimer => "Flow-Timer";
    /// `From`
    From => "From", b'f';
    /// `Identity` (RFC 8224)
    Identity => "Identity", b'y';
    /// `In-Reply-To`
    InReplyTo => "In-Reply-To";
    /// `Max-Forwards`
    MaxForwards => "Max-Forwards";
    /// `MIME-Version`
    MimeVersion => "MIME-Version";
    /// `Min-Expires`
    MinExpires => "Min-Expires";
    /// `Min-SE` (RFC 4028)
    MinSe => "Min-SE";
    /// `Organization`
    Organization => "Organization";
    /// `P-Asserted-Identity` (RFC 3325)
    PAssertedIdentity => "P-Asserted-Identity";
    /// `P-Preferred-Identity` (RFC 3325)
    PPreferredIdentity => "P-Preferred-Identity";
    /// `Path` (RFC 3327)
    Path => "Path";
    /// `Priority`
    Priority => "Priority";
    /// `Privacy` (RFC 3323)
    Privacy => "Privacy";
    /// `Proxy-Authenticate`
    ProxyAuthenticate => "Proxy-Authenticate";
    /// `Proxy-Authorization`
    ProxyAuthorization => "Proxy-Authorization";
    /// `Proxy-Require`
    ProxyRequire => "Proxy-Require";
    /// `RAck` (RFC 3262)
    RAck => "RAck";
    /// `Reason` (RFC 3326)
    Reason => "Reason";
    /// `Record-Route`
    RecordRoute => "Record-Route";
    /// `Refer-Sub` (RFC 4488)
    ReferSub => "Refer-Sub";
    /// `Refer-To` (RFC 3515)
    ReferTo => "Refer-To", b'r';
    /// `Referred-By` (RFC 3892)
    ReferredBy => "Referred-By", b'b';
    /// `Reject-Contact` (RFC 3841)
    RejectContact => "Reject-Contact", b'j';
    /// `Replaces` (RFC 3891)
    Replaces => "Replaces";
    /// `Reply-To`
    ReplyTo => "Reply-To";
    /// `Request-Disposition` (RFC 3841)
    RequestDisposition => "Request-Disposition", b'd';
    /// `Require`
    Require => "Require";
    /// `Retry-After`
    RetryAfter => "Retry-After";
    /// `Route`
    Route => "Route";
    /// `RSeq` (RFC 3262)
    RSeq => "RSeq";
    /// `Security-Client` (RFC 3329)
    SecurityClient => "Security-Client";
    /// `Security-Server` (RFC 3329)
    SecurityServer => "Security-Server";
    /// `Security-Verify` (RFC 3329)
    SecurityVerify => "Security-Verify";
    /// `Server`
    Server => "Server";
    /// `Session-Expires` (RFC 4028)
    SessionExpires => "Session-Expires", b'x';
    /// `SIP-ETag` (RFC 3903)
    SipETag => "SIP-ETag";
    /// `SIP-If-Match` (RFC 3903)
    SipIfMatch => "SIP-If-Match";
    /// `Subject`
    Subject => "Subject", b's';
    /// `Subscription-State` (RFC 6665)
    SubscriptionState => "Subscription-State";
    /// `Supported`
    Supported => "Supported", b'k';
    /// `Timestamp`
    Timestamp => "Timestamp";
    /// `To`
    To => "To", b't';
    /// `Unsupported`
    Unsupported => "Unsupported";
    /// `User-Agent`
    UserAgent => "User-Agent";
    /// `Via`
    Via => "Via", b'v';
    /// `Warning`
    Warning => "Warning";
    /// `WWW-Authenticate`
    WwwAuthenticate => "WWW-Authenticate";
}

impl HeaderName {
    /// Looks a name up case-insensitively, including compact forms. Unknown names give
    /// [`HeaderName::Extension`].
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        if !name.iter().all(|&b| crate::lex::is_token(b)) {
            return HeaderName::Extension;
        }
        HeaderName::from_token(name)
    }

    /// [`HeaderName::from_bytes`] for a name already known to be a token (the parser checks).
    pub(crate) fn from_token(name: &[u8]) -> HeaderName {
        let Some(&first) = name.first() else {
            return HeaderName::Extension;
        };
        if name.len() == 1 {
            return HeaderName::from_compact(first).unwrap_or(HeaderName::Extension);
        }
        // Known names are letters and '-'. For token bytes, OR 0x20 lower-cases letters and maps
        // no other token byte onto a letter or '-', so comparing the OR-ed bytes with the
        // lower-case spelling is an exact case-insensitive compare, without per-byte branches.
        let mut lower = [0u8; MAX_NAME];
        let Some(dst) = lower.get_mut(..name.len()) else {
            return HeaderName::Extension;
        };
        for (d, &b) in dst.iter_mut().zip(name) {
            *d = b | 0x20;
        }
        // Length and first letter pick at most a couple of candidates; one compare settles it.
        match (name.len(), lower[0]) {
            (2, b't') => {
                if lower[..2] == *b"to" {
                    HeaderName::To
                } else {
                    HeaderName::Extension
                }
            }
            (3, b'v') => {
                if lower[..3] == *b"via" {
                    HeaderName::Via
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'c') => {
                if lower[..4] == *b"cseq" {
                    HeaderName::CSeq
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'd') => {
                if lower[..4] == *b"date" {
                    HeaderName::Date
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'f') => {
                if lower[..4] == *b"from" {
                    HeaderName::From
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'p') => {
                if lower[..4] == *b"path" {
                    HeaderName::Path
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'r') => {
                if lower[..4] == *b"rack" {
                    HeaderName::RAck
                } else if lower[..4] == *b"rseq" {
                    HeaderName::RSeq
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'a') => {
                if lower[..5] == *b"allow" {
                    HeaderName::Allow
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'e') => {
                if lower[..5] == *b"event" {
                    HeaderName::Event
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'r') => {
                if lower[..5] == *b"route" {
                    HeaderName::Route
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'a') => {
                if lower[..6] == *b"accept" {
                    HeaderName::Accept
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'm') => {
                if lower[..6] == *b"min-se" {
                    HeaderName::MinSe
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'r') => {
                if lower[..6] == *b"reason" {
                    HeaderName::Reason
                } else {
                    HeaderName::Extension
                }
            }
            (6, b's') => {
                if lower[..6] == *b"server" {
                    HeaderName::Server
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'c') => {
                if lower[..7] == *b"call-id" {
                    HeaderName::CallId
                } else if lower[..7] == *b"contact" {
                    HeaderName::Contact
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'e') => {
                if lower[..7] == *b"expires" {
                    HeaderName::Expires
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'p') => {
                if lower[..7] == *b"privacy" {
                    HeaderName::Privacy
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'r') => {
                if lower[..7] == *b"require" {
                    HeaderName::Require
                } else {
                    HeaderName::Extension
                }
            }
            (7, b's') => {
                if lower[..7] == *b"subject" {
                    HeaderName::Subject
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'w') => {
                if lower[..7] == *b"warning" {
                    HeaderName::Warning
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'i') => {
                if lower[..8] == *b"identity" {
                    HeaderName::Identity
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'p') => {
                if lower[..8] == *b"priority" {
                    HeaderName::Priority
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'r') => {
                if lower[..8] == *b"refer-to" {
                    HeaderName::ReferTo
                } else if lower[..8] == *b"replaces" {
                    HeaderName::Replaces
                } else if lower[..8] == *b"reply-to" {
                    HeaderName::ReplyTo
                } else {
                    HeaderName::Extension
                }
            }
            (8, b's') => {
                if lower[..8] == *b"sip-etag" {
                    HeaderName::SipETag
                } else {
                    HeaderName::Extension
                }
            }
            (9, b'c') => {
                if lower[..9] == *b"call-info" {
                    HeaderName::CallInfo
                } else {
                    HeaderName::Extension
                }
            }
            (9, b'r') => {
                if lower[..9] == *b"refer-sub" {
                    HeaderName::ReferSub
                } else {
                    HeaderName::Extension
                }
            }
            (9, b's') => {
                if lower[..9] == *b"supported" {
                    HeaderName::Supported
                } else {
                    HeaderName::Extension
                }
            }
            (9, b't') => {
                if lower[..9] == *b"timestamp" {
                    HeaderName::Timestamp
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'a') => {
                if lower[..10] == *b"alert-info" {
                    HeaderName::AlertInfo
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'e') => {
                if lower[..10] == *b"error-info" {
                    HeaderName::ErrorInfo
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'f') => {
                if lower[..10] == *b"flow-timer" {
                    HeaderName::FlowTimer
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'u') => {
                if lower[..10] == *b"user-agent" {
                    HeaderName::UserAgent
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'i') => {
                if lower[..11] == *b"in-reply-to" {
                    HeaderName::InReplyTo
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'm') => {
                if lower[..11] == *b"min-expires" {
                    HeaderName::MinExpires
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'r') => {
                if lower[..11] == *b"referred-by" {
                    HeaderName::ReferredBy
                } else if lower[..11] == *b"retry-after" {
                    HeaderName::RetryAfter
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'u') => {
                if lower[..11] == *b"unsupported" {
                    HeaderName::Unsupported
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'a') => {
                if lower[..12] == *b"allow-events" {
                    HeaderName::AllowEvents
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'c') => {
                if lower[..12] == *b"content-type" {
                    HeaderName::ContentType
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'm') => {
                if lower[..12] == *b"max-forwards" {
                    HeaderName::MaxForwards
                } else if lower[..12] == *b"mime-version" {
                    HeaderName::MimeVersion
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'o') => {
                if lower[..12] == *b"organization" {
                    HeaderName::Organization
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'r') => {
                if lower[..12] == *b"record-route" {
                    HeaderName::RecordRoute
                } else {
                    HeaderName::Extension
                }
            }
            (12, b's') => {
                if lower[..12] == *b"sip-if-match" {
                    HeaderName::SipIfMatch
                } else {
                    HeaderName::Extension
                }
            }
            (13, b'a') => {
                if lower[..13] == *b"authorization" {
                    HeaderName::Authorization
                } else {
                    HeaderName::Extension
                }
            }
            (13, b'p') => {
                if lower[..13] == *b"proxy-require" {
                    HeaderName::ProxyRequire
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'a') => {
                if lower[..14] == *b"accept-contact" {
                    HeaderName::AcceptContact
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'c') => {
                if lower[..14] == *b"content-length" {
                    HeaderName::ContentLength
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'r') => {
                if lower[..14] == *b"reject-contact" {
                    HeaderName::RejectContact
                } else {
                    HeaderName::Extension
                }
            }
            (15, b'a') => {
                if lower[..15] == *b"accept-encoding" {
                    HeaderName::AcceptEncoding
                } else if lower[..15] == *b"accept-language" {
                    HeaderName::AcceptLanguage
                } else {
                    HeaderName::Extension
                }
            }
            (15, b's') => {
                if lower[..15] == *b"security-client" {
                    HeaderName::SecurityClient
                } else if lower[..15] == *b"security-server" {
                    HeaderName::SecurityServer
                } else if lower[..15] == *b"security-verify" {
                    HeaderName::SecurityVerify
                } else if lower[..15] == *b"session-expires" {
                    HeaderName::SessionExpires
                } else {
                    HeaderName::Extension
                }
            }
            (16, b'c') => {
                if lower[..16] == *b"content-encoding" {
                    HeaderName::ContentEncoding
                } else if lower[..16] == *b"content-language" {
                    HeaderName::ContentLanguage
                } else {
                    HeaderName::Extension
                }
            }
            (16, b'w') => {
                if lower[..16] == *b"www-authenticate" {
                    HeaderName::WwwAuthenticate
                } else {
                    HeaderName::Extension
                }
            }
            (18, b'p') => {
                if lower[..18] == *b"proxy-authenticate" {
                    HeaderName::ProxyAuthenticate
                } else {
                    HeaderName::Extension
                }
            }
            (18, b's') => {
                if lower[..18] == *b"subscription-state" {
                    HeaderName::SubscriptionState
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'a') => {
                if lower[..19] == *b"authentication-info" {
                    HeaderName::AuthenticationInfo
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'c') => {
                if lower[..19] == *b"content-disposition" {
                    HeaderName::ContentDisposition
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'p') => {
                if lower[..19] == *b"p-asserted-identity" {
                    HeaderName::PAssertedIdentity
                } else if lower[..19] == *b"proxy-authorization" {
                    HeaderName::ProxyAuthorization
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'r') => {
                if lower[..19] == *b"request-disposition" {
                    HeaderName::RequestDisposition
                } else {
                    HeaderName::Extension
                }
            }
            (20, b'p') => {
                if lower[..20] == *b"p-preferred-identity" {
                    HeaderName::PPreferredIdentity
                } else {
                    HeaderName::Extension
                }
            }
            _ => HeaderName::Extension,
        }
    }

    /// Whether `spelling` names this header (case-insensitive, compact form included).
    pub fn matches(self, spelling: &[u8]) -> bool {
        HeaderName::from_bytes(spelling) == self
    }
}

/// Longer than any known name.
const MAX_NAME: usize = 24;

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_case_insensitively_and_by_compact_form() {
        assert_eq!(HeaderName::from_bytes(b"via"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"V"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"cAlL-iD"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"l"), HeaderName::ContentLength);
        assert_eq!(
            HeaderName::from_bytes(b"www-authenticate"),
            HeaderName::WwwAuthenticate
        );
        assert_eq!(HeaderName::from_bytes(b"X-Custom"), HeaderName::Extension);
        assert_eq!(HeaderName::from_bytes(b"C%6Fntact"), HeaderName::Extension);
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::Extension);
        // Bytes that lower-case onto a known name by OR 0x20 but are not token characters.
        assert_eq!(HeaderName::from_bytes(b"Call\rID"), HeaderName::Extension);
        assert_eq!(HeaderName::from_bytes(b"Call\x0dID"), HeaderName::Extension);
    }

    #[test]
    fn every_known_name_round_trips_through_lookup() {
        for (n, s) in HeaderName::ALL {
            assert_eq!(HeaderName::from_bytes(s.as_bytes()), *n, "{s}");
            if let Some(c) = n.compact() {
                assert_eq!(HeaderName::from_bytes(&[c as u8]), *n);
            }
        }
    }
}
