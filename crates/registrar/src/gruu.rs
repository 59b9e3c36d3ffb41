//! Globally Routable User Agent URIs (RFC 5627).
//!
//! A **public GRUU** is the address of record with `;gr=` and the instance ID without its
//! angle brackets: `sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6`.
//! Anyone may compute it; it reveals the AOR, as RFC 5627 intends for public GRUUs.
//!
//! A **temporary GRUU** must not reveal the AOR, must not be forgeable, and the proxy must be
//! able to route it. Rather than keep a table, the registrar seals `(AOR, instance)` into the
//! user part with a key only it knows: `sip:tgruu.<token>@domain;gr`, where the token is
//! base64url of `iv (16) | ciphertext | tag (16)`:
//!
//! - `iv = HMAC-SHA256(key, "iv" | aor | 0 | instance | 0 | call-id)[..16]`, so the same
//!   registration (same Call-ID) keeps its temp-gruu and a new Call-ID gets a new one;
//! - `ciphertext = (aor | 0 | instance) XOR HMAC-SHA256(key, "ks" | iv | counter)...`, a
//!   counter-mode stream from HMAC used as a pseudorandom function;
//! - `tag = HMAC-SHA256(key, "tag" | iv | ciphertext)[..16]`, checked before decrypting.
//!
//! Every temp-gruu issued for an instance stays resolvable as long as the key is unchanged;
//! the proxy must still check that the instance has a live binding (a GRUU whose instance is
//! not registered is answered 480, RFC 5627). That is looser than RFC 5627 asks: after an
//! instance's bindings all expire and it registers again, its old temp-gruus work again.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sip_message::Uri;

use crate::escape;

type HmacSha256 = Hmac<Sha256>;

const TEMP_PREFIX: &str = "tgruu.";
const IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// What a GRUU stands for: the binding(s) of one instance of one address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gruu {
    /// The address of record, canonical (as [`crate::aor_from_uri`] gives it).
    pub aor: String,
    /// The instance ID as stored in [`crate::Binding::instance_id`] (`<urn:uuid:...>`).
    pub instance: String,
    /// Whether it was a temporary GRUU (else public).
    pub temporary: bool,
}

/// The public GRUU of `instance` (as stored, `<urn:...>`) under `aor` (canonical).
pub(crate) fn public_gruu(aor: &str, instance: &str) -> String {
    let bare = strip_brackets(instance);
    let mut out = String::with_capacity(aor.len() + bare.len() + 4);
    out.push_str(aor);
    out.push_str(";gr=");
    escape::push_param(bare.as_bytes(), &mut out);
    out
}

/// The temporary GRUU of `instance` under `aor` for the registration `call_id`.
pub(crate) fn temporary_gruu(key: &[u8; 32], aor: &str, instance: &str, call_id: &str) -> String {
    let plain = [aor.as_bytes(), &[0], instance.as_bytes()].concat();
    let iv_full = mac(
        key,
        &[
            b"iv",
            aor.as_bytes(),
            &[0],
            instance.as_bytes(),
            &[0],
            call_id.as_bytes(),
        ],
    );
    let iv = &iv_full[..IV_LEN];
    let mut sealed = Vec::with_capacity(IV_LEN + plain.len() + TAG_LEN);
    sealed.extend_from_slice(iv);
    sealed.extend_from_slice(&plain);
    apply_keystream(key, iv, &mut sealed[IV_LEN..]);
    let tag = mac(key, &[b"tag", &sealed]);
    sealed.extend_from_slice(&tag[..TAG_LEN]);
    let domain = aor
        .rsplit_once('@')
        .map_or_else(|| aor.trim_start_matches("sip:"), |(_, d)| d);
    format!(
        "sip:{TEMP_PREFIX}{}@{domain};gr",
        URL_SAFE_NO_PAD.encode(sealed)
    )
}

/// What `uri` stands for if it is a GRUU this registrar handed out: a public GRUU
/// (`;gr=<instance>`) or, when `config` has a [`crate::RegistrarConfig::gruu_secret`], a
/// temporary one (`;gr` without value, user sealed with that key). `None` for any other URI,
/// for a temp-gruu whose seal does not verify, or for one of another domain.
///
/// It says nothing about whether the instance is still registered: look it up.
pub fn resolve_gruu(config: &crate::RegistrarConfig, uri: &Uri<'_>) -> Option<Gruu> {
    if !uri.is_sip() {
        return None;
    }
    match uri.params().get("gr")? {
        Some(value) => {
            let aor = crate::aor_from_uri(uri)?;
            let instance = escape::percent_decode(value)?;
            let instance = std::str::from_utf8(&instance).ok()?;
            if instance.is_empty() {
                return None;
            }
            Some(Gruu {
                aor,
                instance: format!("<{instance}>"),
                temporary: false,
            })
        }
        None => {
            let key = config.gruu_secret.as_ref()?;
            let token = uri.user()?.strip_prefix(TEMP_PREFIX)?;
            let sealed = URL_SAFE_NO_PAD.decode(token).ok()?;
            if sealed.len() < IV_LEN + TAG_LEN + 1 {
                return None;
            }
            let (body, tag) = sealed.split_at(sealed.len() - TAG_LEN);
            let mut check = HmacSha256::new_from_slice(key).ok()?;
            check.update(b"tag");
            check.update(body);
            check.verify_truncated_left(tag).ok()?;
            let (iv, cipher) = body.split_at(IV_LEN);
            let mut plain = cipher.to_vec();
            apply_keystream(key, iv, &mut plain);
            let nul = plain.iter().position(|&b| b == 0)?;
            let aor = std::str::from_utf8(&plain[..nul]).ok()?;
            let instance = std::str::from_utf8(&plain[nul + 1..]).ok()?;
            let host = crate::aor_from_uri(uri)?;
            let domain = host.rsplit_once('@').map_or(host.as_str(), |(_, d)| d);
            if !aor.ends_with(&format!("@{domain}")) && aor != format!("sip:{domain}") {
                return None;
            }
            Some(Gruu {
                aor: aor.to_owned(),
                instance: instance.to_owned(),
                temporary: true,
            })
        }
    }
}

fn strip_brackets(instance: &str) -> &str {
    instance
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(instance)
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; a zero block is never reached.
    let Ok(mut m) = HmacSha256::new_from_slice(key) else {
        return [0; 32];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

fn apply_keystream(key: &[u8; 32], iv: &[u8], data: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(data.chunks_mut(32)) {
        let block = mac(key, &[b"ks", iv, &counter.to_be_bytes()]);
        for (d, k) in chunk.iter_mut().zip(block) {
            *d ^= k;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::RegistrarConfig;

    const INSTANCE: &str = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";

    fn config() -> RegistrarConfig {
        RegistrarConfig {
            gruu_secret: Some([7; 32]),
            ..RegistrarConfig::default()
        }
    }

    #[test]
    fn public_gruu_round_trips() {
        let g = public_gruu("sip:alice@example.com", INSTANCE);
        assert_eq!(
            g,
            "sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
        );
        let r = resolve_gruu(&config(), &Uri::parse(&g).unwrap()).unwrap();
        assert_eq!(r.aor, "sip:alice@example.com");
        assert_eq!(r.instance, INSTANCE);
        assert!(!r.temporary);
    }

    #[test]
    fn temporary_gruu_round_trips_and_hides_the_aor() {
        let c = config();
        let t = temporary_gruu(&[7; 32], "sip:alice@example.com", INSTANCE, "call-1");
        assert!(t.starts_with("sip:tgruu.") && t.ends_with("@example.com;gr"));
        assert!(!t.contains("alice"));
        let r = resolve_gruu(&c, &Uri::parse(&t).unwrap()).unwrap();
        assert_eq!(r.aor, "sip:alice@example.com");
        assert_eq!(r.instance, INSTANCE);
        assert!(r.temporary);
    }

    #[test]
    fn temporary_gruu_changes_with_the_call_id_only() {
        let a = temporary_gruu(&[7; 32], "sip:alice@example.com", INSTANCE, "call-1");
        let b = temporary_gruu(&[7; 32], "sip:alice@example.com", INSTANCE, "call-1");
        let c = temporary_gruu(&[7; 32], "sip:alice@example.com", INSTANCE, "call-2");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn forged_or_foreign_temporary_gruus_do_not_resolve() {
        let t = temporary_gruu(&[7; 32], "sip:alice@example.com", INSTANCE, "call-1");
        let mut other_key = config();
        other_key.gruu_secret = Some([8; 32]);
        assert!(resolve_gruu(&other_key, &Uri::parse(&t).unwrap()).is_none());
        assert!(resolve_gruu(&RegistrarConfig::default(), &Uri::parse(&t).unwrap()).is_none());
        let moved = t.replace("@example.com", "@example.org");
        assert!(resolve_gruu(&config(), &Uri::parse(&moved).unwrap()).is_none());
        // Flip one character of the token.
        let i = "sip:tgruu.".len() + 3;
        let mut bytes = t.into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(resolve_gruu(&config(), &Uri::parse(&flipped).unwrap()).is_none());
    }

    #[test]
    fn plain_uris_are_not_gruus() {
        let u = Uri::parse("sip:alice@example.com").unwrap();
        assert!(resolve_gruu(&config(), &u).is_none());
    }
}
