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
        if name.len() == 1 {
            return HeaderName::from_compact(name[0]).unwrap_or(HeaderName::Extension);
        }
        // Lower-case into a stack buffer, then let the compiler build the search: a match on
        // byte strings becomes a switch on length followed by word compares.
        let mut lower = [0u8; MAX_NAME];
        let Some(dst) = lower.get_mut(..name.len()) else {
            return HeaderName::Extension;
        };
        for (d, s) in dst.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        match &*dst {
            b"accept" => HeaderName::Accept,
            b"accept-contact" => HeaderName::AcceptContact,
            b"accept-encoding" => HeaderName::AcceptEncoding,
            b"accept-language" => HeaderName::AcceptLanguage,
            b"alert-info" => HeaderName::AlertInfo,
            b"allow" => HeaderName::Allow,
            b"allow-events" => HeaderName::AllowEvents,
            b"authentication-info" => HeaderName::AuthenticationInfo,
            b"authorization" => HeaderName::Authorization,
            b"call-id" => HeaderName::CallId,
            b"call-info" => HeaderName::CallInfo,
            b"contact" => HeaderName::Contact,
            b"content-disposition" => HeaderName::ContentDisposition,
            b"content-encoding" => HeaderName::ContentEncoding,
            b"content-language" => HeaderName::ContentLanguage,
            b"content-length" => HeaderName::ContentLength,
            b"content-type" => HeaderName::ContentType,
            b"cseq" => HeaderName::CSeq,
            b"date" => HeaderName::Date,
            b"error-info" => HeaderName::ErrorInfo,
            b"event" => HeaderName::Event,
            b"expires" => HeaderName::Expires,
            b"flow-timer" => HeaderName::FlowTimer,
            b"from" => HeaderName::From,
            b"identity" => HeaderName::Identity,
            b"in-reply-to" => HeaderName::InReplyTo,
            b"max-forwards" => HeaderName::MaxForwards,
            b"mime-version" => HeaderName::MimeVersion,
            b"min-expires" => HeaderName::MinExpires,
            b"min-se" => HeaderName::MinSe,
            b"organization" => HeaderName::Organization,
            b"p-asserted-identity" => HeaderName::PAssertedIdentity,
            b"p-preferred-identity" => HeaderName::PPreferredIdentity,
            b"path" => HeaderName::Path,
            b"priority" => HeaderName::Priority,
            b"privacy" => HeaderName::Privacy,
            b"proxy-authenticate" => HeaderName::ProxyAuthenticate,
            b"proxy-authorization" => HeaderName::ProxyAuthorization,
            b"proxy-require" => HeaderName::ProxyRequire,
            b"rack" => HeaderName::RAck,
            b"reason" => HeaderName::Reason,
            b"record-route" => HeaderName::RecordRoute,
            b"refer-sub" => HeaderName::ReferSub,
            b"refer-to" => HeaderName::ReferTo,
            b"referred-by" => HeaderName::ReferredBy,
            b"reject-contact" => HeaderName::RejectContact,
            b"replaces" => HeaderName::Replaces,
            b"reply-to" => HeaderName::ReplyTo,
            b"request-disposition" => HeaderName::RequestDisposition,
            b"require" => HeaderName::Require,
            b"retry-after" => HeaderName::RetryAfter,
            b"route" => HeaderName::Route,
            b"rseq" => HeaderName::RSeq,
            b"security-client" => HeaderName::SecurityClient,
            b"security-server" => HeaderName::SecurityServer,
            b"security-verify" => HeaderName::SecurityVerify,
            b"server" => HeaderName::Server,
            b"session-expires" => HeaderName::SessionExpires,
            b"sip-etag" => HeaderName::SipETag,
            b"sip-if-match" => HeaderName::SipIfMatch,
            b"subject" => HeaderName::Subject,
            b"subscription-state" => HeaderName::SubscriptionState,
            b"supported" => HeaderName::Supported,
            b"timestamp" => HeaderName::Timestamp,
            b"to" => HeaderName::To,
            b"unsupported" => HeaderName::Unsupported,
            b"user-agent" => HeaderName::UserAgent,
            b"via" => HeaderName::Via,
            b"warning" => HeaderName::Warning,
            b"www-authenticate" => HeaderName::WwwAuthenticate,
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
