//! User-Agent and Server (RFC 3261 §20.41, §20.35): product tokens and comments.

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, lex};

/// One element of a User-Agent or Server value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product<'a> {
    /// `name[/version]`, e.g. `SIPimp.org/0.2.5`.
    Named {
        /// The product name.
        name: &'a str,
        /// The version after `/`, if any.
        version: Option<&'a str>,
    },
    /// A comment: the text between the outer parentheses as written (nested comments and
    /// quoted-pairs kept), e.g. `curses` for `(curses)`.
    Comment(&'a str),
}

/// Reads the element starting at or after `pos`: its value and the index after it.
fn next_product(s: &str, pos: usize) -> Result<Option<(Product<'_>, usize)>, HeaderError> {
    let b = s.as_bytes();
    let i = lex::skip_lws(b, pos);
    if i >= b.len() {
        return Ok(None);
    }
    if b[i] == b'(' {
        let end = lex::comment_end(b, i).ok_or(HeaderError::Unbalanced("parenthesis"))?;
        // `end` is just past the closing ')', so the inner text is `i + 1 .. end - 1`.
        let inner = s.get(i + 1..end - 1).unwrap_or("");
        return Ok(Some((Product::Comment(inner), end)));
    }
    let (name, _) = lex::split_token(&s[i..]);
    if name.is_empty() {
        return Err(HeaderError::Syntax("product is not a token"));
    }
    let mut end = i + name.len();
    let mut version = None;
    let k = lex::skip_lws(b, end);
    if b.get(k) == Some(&b'/') {
        let k = lex::skip_lws(b, k + 1);
        let (v, _) = lex::split_token(&s[k..]);
        if v.is_empty() {
            return Err(HeaderError::Syntax("empty product version"));
        }
        version = Some(v);
        end = k + v.len();
    }
    match b.get(end) {
        None | Some(b'(') => {}
        Some(&c) if lex::is_lws(c) => {}
        Some(_) => return Err(HeaderError::Syntax("unexpected character after product")),
    }
    Ok(Some((Product::Named { name, version }, end)))
}

/// Iterator over the products and comments of a User-Agent or Server value.
#[derive(Debug, Clone)]
pub struct ProductIter<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Iterator for ProductIter<'a> {
    type Item = Product<'a>;

    fn next(&mut self) -> Option<Product<'a>> {
        match next_product(self.s, self.pos) {
            Ok(Some((p, end))) => {
                self.pos = end;
                Some(p)
            }
            _ => {
                self.pos = self.s.len();
                None
            }
        }
    }
}

/// Checks a whole value: at least one element, all well formed.
fn check_products(v: &str) -> Result<(), HeaderError> {
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    let mut pos = 0;
    while let Some((_, end)) = next_product(v, pos)? {
        pos = end;
    }
    Ok(())
}

macro_rules! product_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $ty<'a>(&'a str);

        impl<'a> $ty<'a> {
            /// The value as written.
            pub fn as_str(&self) -> &'a str {
                self.0
            }

            /// The products and comments, in order.
            pub fn products(&self) -> ProductIter<'a> {
                ProductIter { s: self.0, pos: 0 }
            }
        }

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;

            fn decode(value: &'a str) -> Result<Self, HeaderError> {
                let v = lex::trim(value);
                check_products(v)?;
                Ok($ty(v))
            }
        }
    };
}

product_header!(
    /// The User-Agent header: `SIPimp.org/0.2.5 (curses)`.
    UserAgent, UserAgent);
product_header!(
    /// The Server header: `HomeServer v2`.
    Server, Server);

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(name: &'a str, version: Option<&'a str>) -> Product<'a> {
        Product::Named { name, version }
    }

    #[test]
    fn products_and_comments_in_order() {
        // RFC 4475 §3.1.1.11 mpart01.
        let u = UserAgent::decode("SIPimp.org/0.2.5 (curses)").expect("valid");
        assert_eq!(u.as_str(), "SIPimp.org/0.2.5 (curses)");
        assert_eq!(
            u.products().collect::<Vec<_>>(),
            [
                named("SIPimp.org", Some("0.2.5")),
                Product::Comment("curses")
            ]
        );
        let s = Server::decode("HomeServer v2").expect("valid");
        assert_eq!(
            s.products().collect::<Vec<_>>(),
            [named("HomeServer", None), named("v2", None)]
        );
    }

    #[test]
    fn nested_comments_and_spaced_slash() {
        let u = UserAgent::decode(r"Foo / 1.0(Linux (x86\) 64); en)Bar").expect("valid");
        assert_eq!(
            u.products().collect::<Vec<_>>(),
            [
                named("Foo", Some("1.0")),
                Product::Comment(r"Linux (x86\) 64); en"),
                named("Bar", None)
            ]
        );
        let u = UserAgent::decode("(only a comment)").expect("valid");
        assert_eq!(
            u.products().collect::<Vec<_>>(),
            [Product::Comment("only a comment")]
        );
    }

    #[test]
    fn malformed_product_lists_are_rejected() {
        for bad in [
            "",
            "Foo/",
            "Foo/ (x)",
            "Foo (unclosed",
            "Foo (a (b)",
            "Foo)",
            "Foo,Bar",
            "/1.0",
            "Foo/1.0/2",
            "\"quoted\"",
        ] {
            assert!(UserAgent::decode(bad).is_err(), "{bad:?}");
            assert!(Server::decode(bad).is_err(), "{bad:?}");
        }
    }
}
