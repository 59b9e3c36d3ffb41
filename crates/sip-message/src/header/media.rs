//! Media types: Content-Type (RFC 3261 §20.15) and Accept (RFC 3261 §20.1).

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, lex};

use super::name_addr::parse_qvalue;
use super::split_params;

/// `m-type SLASH m-subtype *(SEMI m-parameter)`, where SLASH allows whitespace around it.
/// Returns the head as written, the type, the subtype and the parameters.
fn parse_media(value: &str) -> Result<(&str, &str, &str, Params<'_>), HeaderError> {
    let (head, params) = split_params(value)?;
    if head.is_empty() {
        return Err(HeaderError::Empty);
    }
    let slash = head
        .find('/')
        .ok_or(HeaderError::Syntax("media type has no '/'"))?;
    let ty = lex::trim(&head[..slash]);
    let sub = lex::trim(&head[slash + 1..]);
    if !lex::is_token_str(ty) || !lex::is_token_str(sub) {
        return Err(HeaderError::Syntax("media type or subtype is not a token"));
    }
    Ok((head, ty, sub, params))
}

/// The Content-Type header: `application/sdp` or `multipart/mixed;boundary=7a9cbec02ceef655`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    media_type: &'a str,
    ty: &'a str,
    subtype: &'a str,
    params: Params<'a>,
}

impl<'a> ContentType<'a> {
    /// `type/subtype` as written, without parameters.
    pub fn media_type(&self) -> &'a str {
        self.media_type
    }

    /// The top-level type (`application`).
    pub fn type_(&self) -> &'a str {
        self.ty
    }

    /// The subtype (`sdp`).
    pub fn subtype(&self) -> &'a str {
        self.subtype
    }

    /// Whether this is `ty/subtype`, compared case-insensitively (RFC 2045 §5.1).
    pub fn is(&self, ty: &str, subtype: &str) -> bool {
        self.ty.eq_ignore_ascii_case(ty) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The value of the parameter named `name`, without quotes.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.get_unquoted(name).flatten()
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<&'a str> {
        self.param("charset")
    }

    /// The `boundary` parameter of a multipart body.
    pub fn boundary(&self) -> Option<&'a str> {
        self.param("boundary")
    }
}

impl<'a> TypedHeader<'a> for ContentType<'a> {
    const NAME: HeaderName = HeaderName::ContentType;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (media_type, ty, subtype, params) = parse_media(value)?;
        Ok(ContentType {
            media_type,
            ty,
            subtype,
            params,
        })
    }
}

/// One media range of Accept: `application/sdp`, `text/*;q=0.5` or `*/*`.
///
/// An empty Accept header (allowed: it means no body is acceptable) has no media range, and
/// decoding it gives [`HeaderError::Empty`]; check the raw value for that case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept<'a> {
    range: &'a str,
    ty: &'a str,
    subtype: &'a str,
    q: Option<u16>,
    params: Params<'a>,
}

impl<'a> Accept<'a> {
    /// `type/subtype` as written, wildcards included.
    pub fn media_range(&self) -> &'a str {
        self.range
    }

    /// The type, or `*`.
    pub fn type_(&self) -> &'a str {
        self.ty
    }

    /// The subtype, or `*`.
    pub fn subtype(&self) -> &'a str {
        self.subtype
    }

    /// The `q` parameter in thousandths (q=0.5 gives 500); absent means 1000.
    pub fn q(&self) -> Option<u16> {
        self.q
    }

    /// All parameters, media parameters and accept parameters alike.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// Whether this range covers `ty/subtype` (case-insensitive, honouring `*`).
    pub fn matches(&self, ty: &str, subtype: &str) -> bool {
        (self.ty == "*" || self.ty.eq_ignore_ascii_case(ty))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }
}

impl<'a> TypedHeader<'a> for Accept<'a> {
    const NAME: HeaderName = HeaderName::Accept;
    const LIST: bool = true;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (range, ty, subtype, params) = parse_media(value)?;
        if ty == "*" && subtype != "*" {
            return Err(HeaderError::Syntax("media range */subtype is not allowed"));
        }
        let q = match params.get("q") {
            None => None,
            Some(v) => Some(v.and_then(parse_qvalue).ok_or(HeaderError::Number("q"))?),
        };
        Ok(Accept {
            range,
            ty,
            subtype,
            q,
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parts_and_boundary() {
        let c = ContentType::decode("multipart/mixed;boundary=7a9cbec02ceef655").expect("valid");
        assert_eq!(c.media_type(), "multipart/mixed");
        assert_eq!(c.type_(), "multipart");
        assert_eq!(c.subtype(), "mixed");
        assert_eq!(c.boundary(), Some("7a9cbec02ceef655"));
        assert!(c.is("Multipart", "MIXED"));
        let c = ContentType::decode(r#"text/plain; charset="UTF-8""#).expect("valid");
        assert_eq!(c.charset(), Some("UTF-8"));
        assert_eq!(c.boundary(), None);
        let c = ContentType::decode("application / sdp").expect("valid");
        assert_eq!(c.media_type(), "application / sdp");
        assert!(c.is("application", "sdp"));
    }

    #[test]
    fn malformed_content_types_are_rejected() {
        for bad in [
            "",
            "application",
            "application/",
            "/sdp",
            "application/sdp;",
            "application/sdp;charset=\"utf-8",
            "application/sdp;=x",
            "text/plain html",
            "text/pl@in",
            "a/b/c",
        ] {
            assert!(ContentType::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accept_ranges_with_wildcards_and_q() {
        let a = Accept::decode("*/*").expect("valid");
        assert!(a.matches("application", "sdp"));
        assert_eq!(a.q(), None);
        let a = Accept::decode("text/*;q=0.5").expect("valid");
        assert!(a.matches("TEXT", "plain"));
        assert!(!a.matches("application", "plain"));
        assert_eq!(a.q(), Some(500));
        let a = Accept::decode("application/sdp;level=1").expect("valid");
        assert_eq!(a.media_range(), "application/sdp");
        assert_eq!(a.params().get("level"), Some(Some("1")));
        assert!(!a.matches("application", "pkcs7-mime"));
    }

    #[test]
    fn malformed_accept_ranges_are_rejected() {
        for bad in [
            "",
            "*/sdp",
            "text",
            "text/*;q=2",
            "text/*;q",
            "text/*;q=0.1234",
        ] {
            assert!(Accept::decode(bad).is_err(), "{bad:?}");
        }
    }
}
