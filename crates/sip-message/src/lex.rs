//! Low-level scanning shared by the typed header and URI decoders.
//!
//! Header values are kept exactly as received, including line folding (CRLF followed by
//! whitespace). Rather than unfolding into a new buffer, every scanner here treats a fold as
//! ordinary linear whitespace, so decoding never allocates.

/// `token` characters of RFC 3261 §25.1: alphanumerics and `-.!%*_+`'~`.
pub(crate) const fn is_token(b: u8) -> bool {
    CLASS[b as usize] & TOKEN != 0
}

/// Characters that never appear unescaped in a URI: controls, space, `<>"` and DEL.
pub(crate) const fn is_uri_forbidden(b: u8) -> bool {
    CLASS[b as usize] & URI_BAD != 0
}

/// Whether every byte of `s` may appear in a host name (alphanumerics, `-`, `.`, `_`), and
/// whether all of them are digits or dots (a candidate IPv4 address). One table lookup and one
/// AND per byte, no branches.
pub(crate) fn host_class(s: &[u8]) -> (bool, bool) {
    let mut all = HOST | DIGIT_DOT;
    for &b in s {
        all &= CLASS[b as usize];
    }
    (all & HOST != 0, all & DIGIT_DOT != 0)
}

const TOKEN: u8 = 1;
const PARAM: u8 = 2;
const URI_BAD: u8 = 4;
const HOST: u8 = 8;
const DIGIT_DOT: u8 = 16;
/// TOKEN or PARAM, as one bit so that an AND over a string can test it.
const PCHAR: u8 = 32;

/// One table lookup per byte instead of a chain of comparisons on the hot path.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if matches!(b,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
        {
            t[i] |= TOKEN;
        }
        if matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$') {
            t[i] |= PARAM;
        }
        if t[i] & (TOKEN | PARAM) != 0 {
            t[i] |= PCHAR;
        }
        if b <= b' ' || matches!(b, b'<' | b'>' | b'"' | 0x7f) {
            t[i] |= URI_BAD;
        }
        if matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_') {
            t[i] |= HOST;
        }
        if matches!(b, b'0'..=b'9' | b'.') {
            t[i] |= DIGIT_DOT;
        }
        i += 1;
    }
    t
};

/// Position of the first `b` in `s`. Values and their parts are short, where a plain loop
/// beats both `str::find(char)` and memchr's set-up cost.
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// Whether every byte of a non-empty string is a token character.
pub(crate) fn is_token_str(s: &str) -> bool {
    !s.is_empty() && all_have(s.as_bytes(), TOKEN)
}

/// Whether a non-empty string consists of parameter characters (tokens and `[]/:&+$`).
pub(crate) fn is_param_str(s: &str) -> bool {
    !s.is_empty() && all_have(s.as_bytes(), PCHAR)
}

/// Whether any byte is one that never appears unescaped in a URI.
pub(crate) fn has_uri_forbidden(s: &[u8]) -> bool {
    let mut any = 0;
    for &b in s {
        any |= CLASS[b as usize];
    }
    any & URI_BAD != 0
}

/// Whether every byte has the class bit `bit`: an AND over table entries, no branch per byte.
fn all_have(s: &[u8], bit: u8) -> bool {
    let mut all = bit;
    for &b in s {
        all &= CLASS[b as usize];
    }
    all != 0
}

/// Linear whitespace as bytes: SP, HTAB, and the CR/LF of a fold.
pub(crate) const fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims linear whitespace (including folds) from both ends.
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut i, mut j) = (0, b.len());
    while i < j && is_lws(b[i]) {
        i += 1;
    }
    while j > i && is_lws(b[j - 1]) {
        j -= 1;
    }
    // Both ends sit next to ASCII whitespace or at the string's ends: char boundaries.
    &s[i..j]
}

/// Trims linear whitespace from the start.
pub(crate) fn trim_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_lws(c as u8))
}

/// Skips linear whitespace starting at `i` and returns the new index.
pub(crate) fn skip_lws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_lws(s[i]) {
        i += 1;
    }
    i
}

/// Finds the end of the quoted string that starts at `start` (which must index a `"`), honouring
/// backslash quoted-pairs. Returns the index just past the closing quote.
pub(crate) fn quoted_end(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Finds the first occurrence of `needle` in `s` at nesting depth zero: outside quoted strings
/// and outside `<...>`. Used to split comma lists and parameter lists without misreading commas
/// or semicolons that belong to a display name or a bracketed URI.
pub(crate) fn find_top_level(
    s: &[u8],
    from: usize,
    needle: u8,
) -> Result<Option<usize>, Unbalanced> {
    // Fast path: until a quote or bracket appears, the first needle is the answer.
    let tail = s.get(from..).unwrap_or_default();
    let mut i = match memchr::memchr3(needle, b'"', b'<', tail) {
        None => return Ok(None),
        Some(p) if tail[p] == needle => return Ok(Some(from + p)),
        Some(p) => from + p,
    };
    let mut in_angle = false;
    while i < s.len() {
        let b = s[i];
        if b == b'"' {
            i = quoted_end(s, i).ok_or(Unbalanced::Quote)?;
            continue;
        }
        if in_angle {
            if b == b'>' {
                in_angle = false;
            }
        } else if b == needle {
            return Ok(Some(i));
        } else if b == b'<' {
            in_angle = true;
        }
        i += 1;
    }
    if in_angle {
        return Err(Unbalanced::Angle);
    }
    Ok(None)
}

/// What was left open when a scan ran off the end of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unbalanced {
    /// A `"` without its closing quote.
    Quote,
    /// A `<` without its closing `>`.
    Angle,
}

/// Splits a header value into its comma-separated elements (RFC 3261 §7.3.1), honouring quotes
/// and angle brackets. Elements are trimmed; empty elements are reported as empty strings so
/// that callers can reject `a,,b` where the grammar forbids it.
pub(crate) fn split_commas(s: &str) -> CommaSplit<'_> {
    CommaSplit {
        s,
        pos: 0,
        done: false,
    }
}

/// Iterator returned by [`split_commas`].
pub(crate) struct CommaSplit<'a> {
    s: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for CommaSplit<'a> {
    type Item = Result<&'a str, Unbalanced>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = self.s.as_bytes();
        match find_top_level(bytes, self.pos, b',') {
            Ok(Some(end)) => {
                let item = trim(&self.s[self.pos..end]);
                self.pos = end + 1;
                Some(Ok(item))
            }
            Ok(None) => {
                self.done = true;
                Some(Ok(trim(&self.s[self.pos..])))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Removes the backslash of each quoted-pair from the inside of a quoted string.
pub(crate) fn unquote(inner: &str) -> std::borrow::Cow<'_, str> {
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Parses an unsigned decimal that must fit in `u32` (RFC 3261 caps CSeq, Expires and friends at
/// 2**32-1). Leading zeros are allowed, as in RFC 4475 wsinv.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        v = v * 10 + u64::from(b - b'0');
        if v > u64::from(u32::MAX) {
            return None;
        }
    }
    u32::try_from(v).ok()
}

/// Decodes `%HH` escapes. Returns `None` when an escape is malformed. Works on bytes because an
/// escape may produce a NUL or a byte that is not UTF-8 on its own (RFC 4475 escnull).
pub(crate) fn percent_decode(s: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
    let b = s.as_bytes();
    if !b.contains(&b'%') {
        return Some(std::borrow::Cow::Borrowed(b));
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

const fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether `c` is linear whitespace (see [`is_lws`]).
pub(crate) fn is_lws_char(c: char) -> bool {
    c.is_ascii() && is_lws(c as u8)
}

/// Index of the first linear whitespace character in `s`.
pub(crate) fn find_lws(s: &str) -> Option<usize> {
    s.find(is_lws_char)
}

/// Splits `s` after its leading run of token characters: `("text", "/plain")` for
/// `"text/plain"`. The first part is empty when `s` does not start with a token character.
pub(crate) fn split_token(s: &str) -> (&str, &str) {
    let end = s.bytes().position(|b| !is_token(b)).unwrap_or(s.len());
    s.split_at(end)
}

/// Finds the end of the comment (RFC 3261 §25.1 `comment`) that starts at `start` (which must
/// index a `(`): comments nest and honour backslash quoted-pairs. Returns the index just past
/// the closing parenthesis.
pub(crate) fn comment_end(s: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Checks that every quoted string is closed and every `<` has its `>`, scanning as
/// [`find_top_level`] does. [`crate::Params`] iteration stops silently at an unclosed quote, so
/// decoders call this first to report the imbalance instead.
pub(crate) fn check_balanced(s: &[u8]) -> Result<(), Unbalanced> {
    let mut i = 0;
    let mut in_angle = false;
    while i < s.len() {
        match s[i] {
            b'"' => {
                i = quoted_end(s, i).ok_or(Unbalanced::Quote)?;
                continue;
            }
            b'<' if !in_angle => in_angle = true,
            b'>' if in_angle => in_angle = false,
            _ => {}
        }
        i += 1;
    }
    if in_angle {
        Err(Unbalanced::Angle)
    } else {
        Ok(())
    }
}

/// The inside of a quoted string with its quoted-pairs resolved, or the text itself when it is
/// not quoted (a token value).
pub(crate) fn dequote(s: &str) -> std::borrow::Cow<'_, str> {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => unquote(inner),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// Whether `s` is exactly one well-formed quoted string (`"..."` with its quotes).
pub(crate) fn is_quoted_string(s: &str) -> bool {
    s.starts_with('"') && quoted_end(s.as_bytes(), 0) == Some(s.len())
}

/// Parses one to eight hexadecimal digits into a `u32` (Digest `nc`, RFC 7616 §3.4).
pub(crate) fn parse_hex_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    s.bytes()
        .try_fold(0u32, |v, b| Some(v << 4 | u32::from(hex(b)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_split_ignores_commas_in_quotes_and_brackets() {
        let v: Vec<_> = split_commas(r#""A, B" <sip:a@x;p=1,2>, <sip:b@y> , c"#)
            .collect::<Result<_, _>>()
            .expect("balanced");
        assert_eq!(v, vec![r#""A, B" <sip:a@x;p=1,2>"#, "<sip:b@y>", "c"]);
    }

    #[test]
    fn comma_split_reports_unterminated_quote() {
        let r: Result<Vec<_>, _> = split_commas(r#""abc <sip:x>"#).collect();
        assert_eq!(r, Err(Unbalanced::Quote));
    }

    #[test]
    fn u32_parse_rejects_overflow_and_signs() {
        assert_eq!(parse_u32("0068"), Some(68));
        assert_eq!(parse_u32("4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u32(""), None);
    }

    #[test]
    fn percent_decode_keeps_nul_bytes() {
        assert_eq!(percent_decode("a%00b").expect("valid").as_ref(), b"a\0b");
        assert!(percent_decode("a%0").is_none());
        assert!(percent_decode("a%zz").is_none());
    }

    #[test]
    fn unquote_removes_quoted_pairs() {
        assert_eq!(unquote(r#"a\"b\\c"#), r#"a"b\c"#);
    }

    #[test]
    fn comments_nest_and_honour_quoted_pairs() {
        assert_eq!(comment_end(b"(a (b) c) x", 0), Some(9));
        assert_eq!(comment_end(br"(a \) b) x", 0), Some(8));
        assert_eq!(comment_end(b"(a (b c", 0), None);
        assert_eq!(comment_end(b"(a \\", 0), None);
    }

    #[test]
    fn balance_check_finds_open_quotes_and_brackets() {
        assert_eq!(check_balanced(br#"a="x;y";b=<c>"#), Ok(()));
        assert_eq!(check_balanced(br#"a="x"#), Err(Unbalanced::Quote));
        assert_eq!(check_balanced(b"a=<x"), Err(Unbalanced::Angle));
    }

    #[test]
    fn dequote_and_quoted_string_shapes() {
        assert_eq!(dequote(r#""a\"b""#), r#"a"b"#);
        assert_eq!(dequote("token"), "token");
        assert_eq!(dequote("\""), "\"");
        assert!(is_quoted_string(r#""a\"b""#));
        assert!(!is_quoted_string(r#""a"b""#));
        assert!(!is_quoted_string("\""));
    }

    #[test]
    fn hex_parse_takes_up_to_eight_digits() {
        assert_eq!(parse_hex_u32("00000001"), Some(1));
        assert_eq!(parse_hex_u32("FFFFFFFF"), Some(u32::MAX));
        assert_eq!(parse_hex_u32("100000000"), None);
        assert_eq!(parse_hex_u32("0000000g"), None);
        assert_eq!(parse_hex_u32(""), None);
    }
}
