//! The CSeq header (RFC 3261 §20.16).

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, lex};

/// `CSeq: 4711 INVITE`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    seq: u32,
    method: &'a str,
}

impl<'a> CSeq<'a> {
    /// The sequence number (at most 2**32-1, RFC 3261 §8.1.1.5).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The method, case-sensitive as written.
    pub fn method(&self) -> &'a str {
        self.method
    }
}

impl<'a> TypedHeader<'a> for CSeq<'a> {
    const NAME: HeaderName = HeaderName::CSeq;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        let sp = v
            .bytes()
            .position(lex::is_lws)
            .ok_or(HeaderError::Syntax("CSeq needs a number and a method"))?;
        let seq = lex::parse_u32(&v[..sp]).ok_or(HeaderError::Number("CSeq sequence"))?;
        let method = lex::trim(&v[sp..]);
        if !lex::is_token_str(method) {
            return Err(HeaderError::Syntax("CSeq method is not a token"));
        }
        Ok(CSeq { seq, method })
    }
}
