//! `%HH` escaping for the parts of SIP URIs the registrar writes (RFC 3261 §25.1).

use std::borrow::Cow;

/// Decodes `%HH` escapes; `None` if an escape is malformed.
pub(crate) fn percent_decode(s: &str) -> Option<Cow<'_, [u8]>> {
    let b = s.as_bytes();
    if !b.contains(&b'%') {
        return Some(Cow::Borrowed(b));
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex_value(*b.get(i + 1)?)?;
            let lo = hex_value(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(Cow::Owned(out))
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `unreserved = alphanum / mark`
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Appends `bytes` as a `user` (`unreserved / escaped / user-unreserved`), escaping every
/// other byte as `%HH` with uppercase digits, so equal users print equal.
pub(crate) fn push_user(bytes: &[u8], out: &mut String) {
    push_escaped(bytes, out, |b| {
        is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/')
    });
}

/// Appends `bytes` as a URI parameter value (`paramchar`).
pub(crate) fn push_param(bytes: &[u8], out: &mut String) {
    push_escaped(bytes, out, |b| {
        is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
    });
}

fn push_escaped(bytes: &[u8], out: &mut String, keep: impl Fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_escaping_is_canonical() {
        let mut s = String::new();
        push_user(b"a b:c@d%+1;x", &mut s);
        assert_eq!(s, "a%20b%3Ac%40d%25+1;x");
        assert_eq!(percent_decode(&s).as_deref(), Some(&b"a b:c@d%+1;x"[..]));
    }

    #[test]
    fn malformed_escapes_do_not_decode() {
        assert!(percent_decode("a%2").is_none());
        assert!(percent_decode("a%zz").is_none());
        assert_eq!(percent_decode("%41%62").as_deref(), Some(&b"Ab"[..]));
    }
}
