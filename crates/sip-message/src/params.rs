//! `;name=value` parameter lists, decoded lazily from their raw text.

use crate::{UriError, lex};

/// A parameter list such as `transport=tcp;lr` (the leading `;` removed), read on demand.
///
/// Values may be tokens or quoted strings; a quoted value is returned with its quotes, since
/// some parameters (Digest `nonce`, `+sip.instance`) must be compared or forwarded as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl<'a> Params<'a> {
    /// The empty list.
    pub const EMPTY: Params<'static> = Params { raw: "" };

    /// Wraps the raw text of a list, without its leading `;`.
    pub fn new(raw: &'a str) -> Self {
        Params { raw }
    }

    /// The list as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        lex::trim(self.raw).is_empty()
    }

    /// Iterates `(name, value)` pairs; names and values are trimmed of whitespace.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            rest: if self.is_empty() {
                None
            } else {
                Some(self.raw)
            },
            quoted: self.raw.as_bytes().contains(&b'"'),
        }
    }

    /// The value of the first parameter named `name` (case-insensitive): `Some(None)` for a
    /// parameter without value (`lr`), `None` if absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Like [`Params::get`] but with the quotes of a quoted value removed.
    pub fn get_unquoted(&self, name: &str) -> Option<Option<&'a str>> {
        self.get(name).map(|v| {
            v.map(|v| {
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v)
            })
        })
    }

    /// Whether a parameter named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Checks the list's grammar: every name a non-empty token, values tokens, quoted strings
    /// or (for IPv6 `received`/`maddr`) bracketed references.
    pub(crate) fn check(&self) -> Result<(), UriError> {
        // Iteration stops at an unclosed quote, so find one before trusting the iteration.
        if lex::check_balanced(self.raw.as_bytes()).is_err() {
            return Err(UriError::BadChar('"'));
        }
        for (n, v) in self.iter() {
            if !lex::is_param_str(n) {
                return Err(UriError::EmptyParam);
            }
            if let Some(v) = v {
                let ok = if v.starts_with('"') {
                    v.len() >= 2 && v.ends_with('"')
                } else {
                    lex::is_param_str(v)
                };
                if !ok {
                    return Err(UriError::BadChar(
                        v.chars()
                            .find(|c| !c.is_ascii_alphanumeric())
                            .unwrap_or('='),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Iterator returned by [`Params::iter`]. Stops at the first unbalanced quote.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    rest: Option<&'a str>,
    /// Whether the list has quoted strings; without them a plain byte search finds each `;`.
    quoted: bool,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest?;
        let found = if self.quoted {
            lex::find_top_level(s.as_bytes(), 0, b';')
        } else {
            Ok(lex::find_byte(s, b';'))
        };
        let end = match found {
            Ok(Some(e)) => e,
            Ok(None) => s.len(),
            Err(_) => {
                self.rest = None;
                return None;
            }
        };
        let item = &s[..end];
        self.rest = if end < s.len() {
            Some(&s[end + 1..])
        } else {
            None
        };
        Some(match lex::find_byte(item, b'=') {
            Some(eq) => (lex::trim(&item[..eq]), Some(lex::trim(&item[eq + 1..]))),
            None => (lex::trim(item), None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_with_quotes_and_flags() {
        let p = Params::new(r#"tag=abc; lr ;+sip.instance="<urn:uuid:1;2>";expires=60"#);
        let all: Vec<_> = p.iter().collect();
        assert_eq!(all.len(), 4);
        assert_eq!(p.get("Tag"), Some(Some("abc")));
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(
            p.get_unquoted("+sip.instance"),
            Some(Some("<urn:uuid:1;2>"))
        );
        assert_eq!(p.get("missing"), None);
        assert!(p.check().is_ok());
    }

    #[test]
    fn empty_parameter_names_fail_the_check() {
        assert!(Params::new(";;a").check().is_err());
        assert!(Params::new("=token").check().is_err());
        assert!(Params::new("a=").check().is_err());
        assert!(Params::EMPTY.check().is_ok());
    }
}
