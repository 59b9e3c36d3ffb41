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
        let Some(&first) = name.first() else {
            return HeaderName::Extension;
        };
        if name.len() == 1 {
            return HeaderName::from_compact(first).unwrap_or(HeaderName::Extension);
        }
        // Length and first letter pick at most a couple of candidates; one compare settles it.
        match (name.len(), first.to_ascii_lowercase()) {
            (2, b't') => {
                if name.eq_ignore_ascii_case(b"To") {
                    HeaderName::To
                } else {
                    HeaderName::Extension
                }
            }
            (3, b'v') => {
                if name.eq_ignore_ascii_case(b"Via") {
                    HeaderName::Via
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'c') => {
                if name.eq_ignore_ascii_case(b"CSeq") {
                    HeaderName::CSeq
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'd') => {
                if name.eq_ignore_ascii_case(b"Date") {
                    HeaderName::Date
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'f') => {
                if name.eq_ignore_ascii_case(b"From") {
                    HeaderName::From
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'p') => {
                if name.eq_ignore_ascii_case(b"Path") {
                    HeaderName::Path
                } else {
                    HeaderName::Extension
                }
            }
            (4, b'r') => {
                if name.eq_ignore_ascii_case(b"RAck") {
                    HeaderName::RAck
                } else if name.eq_ignore_ascii_case(b"RSeq") {
                    HeaderName::RSeq
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'a') => {
                if name.eq_ignore_ascii_case(b"Allow") {
                    HeaderName::Allow
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'e') => {
                if name.eq_ignore_ascii_case(b"Event") {
                    HeaderName::Event
                } else {
                    HeaderName::Extension
                }
            }
            (5, b'r') => {
                if name.eq_ignore_ascii_case(b"Route") {
                    HeaderName::Route
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'a') => {
                if name.eq_ignore_ascii_case(b"Accept") {
                    HeaderName::Accept
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'm') => {
                if name.eq_ignore_ascii_case(b"Min-SE") {
                    HeaderName::MinSe
                } else {
                    HeaderName::Extension
                }
            }
            (6, b'r') => {
                if name.eq_ignore_ascii_case(b"Reason") {
                    HeaderName::Reason
                } else {
                    HeaderName::Extension
                }
            }
            (6, b's') => {
                if name.eq_ignore_ascii_case(b"Server") {
                    HeaderName::Server
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'c') => {
                if name.eq_ignore_ascii_case(b"Call-ID") {
                    HeaderName::CallId
                } else if name.eq_ignore_ascii_case(b"Contact") {
                    HeaderName::Contact
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'e') => {
                if name.eq_ignore_ascii_case(b"Expires") {
                    HeaderName::Expires
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'p') => {
                if name.eq_ignore_ascii_case(b"Privacy") {
                    HeaderName::Privacy
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'r') => {
                if name.eq_ignore_ascii_case(b"Require") {
                    HeaderName::Require
                } else {
                    HeaderName::Extension
                }
            }
            (7, b's') => {
                if name.eq_ignore_ascii_case(b"Subject") {
                    HeaderName::Subject
                } else {
                    HeaderName::Extension
                }
            }
            (7, b'w') => {
                if name.eq_ignore_ascii_case(b"Warning") {
                    HeaderName::Warning
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'i') => {
                if name.eq_ignore_ascii_case(b"Identity") {
                    HeaderName::Identity
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'p') => {
                if name.eq_ignore_ascii_case(b"Priority") {
                    HeaderName::Priority
                } else {
                    HeaderName::Extension
                }
            }
            (8, b'r') => {
                if name.eq_ignore_ascii_case(b"Refer-To") {
                    HeaderName::ReferTo
                } else if name.eq_ignore_ascii_case(b"Replaces") {
                    HeaderName::Replaces
                } else if name.eq_ignore_ascii_case(b"Reply-To") {
                    HeaderName::ReplyTo
                } else {
                    HeaderName::Extension
                }
            }
            (8, b's') => {
                if name.eq_ignore_ascii_case(b"SIP-ETag") {
                    HeaderName::SipETag
                } else {
                    HeaderName::Extension
                }
            }
            (9, b'c') => {
                if name.eq_ignore_ascii_case(b"Call-Info") {
                    HeaderName::CallInfo
                } else {
                    HeaderName::Extension
                }
            }
            (9, b'r') => {
                if name.eq_ignore_ascii_case(b"Refer-Sub") {
                    HeaderName::ReferSub
                } else {
                    HeaderName::Extension
                }
            }
            (9, b's') => {
                if name.eq_ignore_ascii_case(b"Supported") {
                    HeaderName::Supported
                } else {
                    HeaderName::Extension
                }
            }
            (9, b't') => {
                if name.eq_ignore_ascii_case(b"Timestamp") {
                    HeaderName::Timestamp
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'a') => {
                if name.eq_ignore_ascii_case(b"Alert-Info") {
                    HeaderName::AlertInfo
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'e') => {
                if name.eq_ignore_ascii_case(b"Error-Info") {
                    HeaderName::ErrorInfo
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'f') => {
                if name.eq_ignore_ascii_case(b"Flow-Timer") {
                    HeaderName::FlowTimer
                } else {
                    HeaderName::Extension
                }
            }
            (10, b'u') => {
                if name.eq_ignore_ascii_case(b"User-Agent") {
                    HeaderName::UserAgent
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'i') => {
                if name.eq_ignore_ascii_case(b"In-Reply-To") {
                    HeaderName::InReplyTo
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'm') => {
                if name.eq_ignore_ascii_case(b"Min-Expires") {
                    HeaderName::MinExpires
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'r') => {
                if name.eq_ignore_ascii_case(b"Referred-By") {
                    HeaderName::ReferredBy
                } else if name.eq_ignore_ascii_case(b"Retry-After") {
                    HeaderName::RetryAfter
                } else {
                    HeaderName::Extension
                }
            }
            (11, b'u') => {
                if name.eq_ignore_ascii_case(b"Unsupported") {
                    HeaderName::Unsupported
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'a') => {
                if name.eq_ignore_ascii_case(b"Allow-Events") {
                    HeaderName::AllowEvents
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'c') => {
                if name.eq_ignore_ascii_case(b"Content-Type") {
                    HeaderName::ContentType
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'm') => {
                if name.eq_ignore_ascii_case(b"Max-Forwards") {
                    HeaderName::MaxForwards
                } else if name.eq_ignore_ascii_case(b"MIME-Version") {
                    HeaderName::MimeVersion
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'o') => {
                if name.eq_ignore_ascii_case(b"Organization") {
                    HeaderName::Organization
                } else {
                    HeaderName::Extension
                }
            }
            (12, b'r') => {
                if name.eq_ignore_ascii_case(b"Record-Route") {
                    HeaderName::RecordRoute
                } else {
                    HeaderName::Extension
                }
            }
            (12, b's') => {
                if name.eq_ignore_ascii_case(b"SIP-If-Match") {
                    HeaderName::SipIfMatch
                } else {
                    HeaderName::Extension
                }
            }
            (13, b'a') => {
                if name.eq_ignore_ascii_case(b"Authorization") {
                    HeaderName::Authorization
                } else {
                    HeaderName::Extension
                }
            }
            (13, b'p') => {
                if name.eq_ignore_ascii_case(b"Proxy-Require") {
                    HeaderName::ProxyRequire
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'a') => {
                if name.eq_ignore_ascii_case(b"Accept-Contact") {
                    HeaderName::AcceptContact
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'c') => {
                if name.eq_ignore_ascii_case(b"Content-Length") {
                    HeaderName::ContentLength
                } else {
                    HeaderName::Extension
                }
            }
            (14, b'r') => {
                if name.eq_ignore_ascii_case(b"Reject-Contact") {
                    HeaderName::RejectContact
                } else {
                    HeaderName::Extension
                }
            }
            (15, b'a') => {
                if name.eq_ignore_ascii_case(b"Accept-Encoding") {
                    HeaderName::AcceptEncoding
                } else if name.eq_ignore_ascii_case(b"Accept-Language") {
                    HeaderName::AcceptLanguage
                } else {
                    HeaderName::Extension
                }
            }
            (15, b's') => {
                if name.eq_ignore_ascii_case(b"Security-Client") {
                    HeaderName::SecurityClient
                } else if name.eq_ignore_ascii_case(b"Security-Server") {
                    HeaderName::SecurityServer
                } else if name.eq_ignore_ascii_case(b"Security-Verify") {
                    HeaderName::SecurityVerify
                } else if name.eq_ignore_ascii_case(b"Session-Expires") {
                    HeaderName::SessionExpires
                } else {
                    HeaderName::Extension
                }
            }
            (16, b'c') => {
                if name.eq_ignore_ascii_case(b"Content-Encoding") {
                    HeaderName::ContentEncoding
                } else if name.eq_ignore_ascii_case(b"Content-Language") {
                    HeaderName::ContentLanguage
                } else {
                    HeaderName::Extension
                }
            }
            (16, b'w') => {
                if name.eq_ignore_ascii_case(b"WWW-Authenticate") {
                    HeaderName::WwwAuthenticate
                } else {
                    HeaderName::Extension
                }
            }
            (18, b'p') => {
                if name.eq_ignore_ascii_case(b"Proxy-Authenticate") {
                    HeaderName::ProxyAuthenticate
                } else {
                    HeaderName::Extension
                }
            }
            (18, b's') => {
                if name.eq_ignore_ascii_case(b"Subscription-State") {
                    HeaderName::SubscriptionState
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'a') => {
                if name.eq_ignore_ascii_case(b"Authentication-Info") {
                    HeaderName::AuthenticationInfo
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'c') => {
                if name.eq_ignore_ascii_case(b"Content-Disposition") {
                    HeaderName::ContentDisposition
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'p') => {
                if name.eq_ignore_ascii_case(b"P-Asserted-Identity") {
                    HeaderName::PAssertedIdentity
                } else if name.eq_ignore_ascii_case(b"Proxy-Authorization") {
                    HeaderName::ProxyAuthorization
                } else {
                    HeaderName::Extension
                }
            }
            (19, b'r') => {
                if name.eq_ignore_ascii_case(b"Request-Disposition") {
                    HeaderName::RequestDisposition
                } else {
                    HeaderName::Extension
                }
            }
            (20, b'p') => {
                if name.eq_ignore_ascii_case(b"P-Preferred-Identity") {
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
