//! Stateless nonces: the server remembers nothing about the nonces it hands out, yet can tell
//! its own from forged ones and knows how old each is.
//!
//! A nonce is `base64url(issued || instance || counter || tag)` without padding (43 characters):
//! `issued` is the Unix time of the challenge (8 bytes, big-endian); `instance` a random number
//! drawn when the [`NonceMinter`] is created (4 bytes), which says whether this very instance
//! minted the nonce, and so whether its replay table can know the nonce's history; `counter`
//! (4 bytes) makes two challenges of the same second differ, so that two clients never share
//! nonce-count state; `tag` is the first 16 bytes of
//! `HMAC-SHA256(secret, "carillon nonce" || issued || instance || counter || realm)`. Binding the
//! realm means a nonce of one realm is worthless in another.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const TAG_LEN: usize = 16;
const RAW_LEN: usize = 8 + 4 + 4 + TAG_LEN;
/// Base64 without padding of [`RAW_LEN`] bytes.
const ENCODED_LEN: usize = (RAW_LEN * 4).div_ceil(3);

const NONCE_LABEL: &[u8] = b"carillon nonce\0";
const OPAQUE_LABEL: &[u8] = b"carillon opaque\0";

/// What a genuine nonce says about itself. Ordered by issue time first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NonceId {
    /// Unix time (seconds) of the challenge that carried it.
    pub(crate) issued: u64,
    /// The minter instance that issued it.
    pub(crate) instance: u32,
    /// The minter's counter when it issued it.
    pub(crate) counter: u32,
}

/// Mints and checks nonces and opaque values with one secret.
pub(crate) struct NonceMinter {
    /// HMAC state already keyed with the secret; cloned for each use.
    keyed: HmacSha256,
    instance: u32,
    counter: AtomicU32,
}

impl NonceMinter {
    /// A minter keyed with `secret`, with a random instance number (OS randomness; if that
    /// fails, a fixed one: instances then merely look alike, which costs no security).
    pub(crate) fn new(secret: [u8; 32]) -> NonceMinter {
        NonceMinter::with_instance(secret, getrandom::u32().unwrap_or(0x5eed_cafe))
    }

    pub(crate) fn with_instance(secret: [u8; 32], instance: u32) -> NonceMinter {
        // HMAC pads keys shorter than the hash's 64-byte block with zeros (RFC 2104 §2), so
        // this is HMAC keyed with the 32-byte secret, through the infallible constructor.
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&secret);
        NonceMinter {
            keyed: <HmacSha256 as KeyInit>::new(&key.into()),
            instance,
            counter: AtomicU32::new(0),
        }
    }

    fn nonce_mac(&self, id: NonceId, realm: &str) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(NONCE_LABEL);
        mac.update(&id.issued.to_be_bytes());
        mac.update(&id.instance.to_be_bytes());
        mac.update(&id.counter.to_be_bytes());
        mac.update(realm.as_bytes());
        mac
    }

    /// A fresh nonce for `realm`, issued at `now`.
    pub(crate) fn mint(&self, now: u64, realm: &str) -> String {
        let id = NonceId {
            issued: now,
            instance: self.instance,
            counter: self.counter.fetch_add(1, Ordering::Relaxed),
        };
        let tag = self.nonce_mac(id, realm).finalize().into_bytes();
        let mut raw = [0u8; RAW_LEN];
        raw[..8].copy_from_slice(&id.issued.to_be_bytes());
        raw[8..12].copy_from_slice(&id.instance.to_be_bytes());
        raw[12..16].copy_from_slice(&id.counter.to_be_bytes());
        raw[16..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks that `nonce` was minted with this secret for `realm`, and reads it. `None` for
    /// anything else: garbage, a forgery, another realm's nonce, another secret's nonce.
    pub(crate) fn open(&self, nonce: &str, realm: &str) -> Option<NonceId> {
        if nonce.len() != ENCODED_LEN {
            return None;
        }
        let mut raw = [0u8; RAW_LEN];
        let n = URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw).ok()?;
        if n != RAW_LEN {
            return None;
        }
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&raw[..8]);
        let mut instance = [0u8; 4];
        instance.copy_from_slice(&raw[8..12]);
        let mut counter = [0u8; 4];
        counter.copy_from_slice(&raw[12..16]);
        let id = NonceId {
            issued: u64::from_be_bytes(issued),
            instance: u32::from_be_bytes(instance),
            counter: u32::from_be_bytes(counter),
        };
        // verify_truncated_left compares in constant time.
        self.nonce_mac(id, realm)
            .verify_truncated_left(&raw[16..])
            .ok()?;
        Some(id)
    }

    /// Whether this instance minted the (genuine) nonce `id`, as opposed to another node sharing
    /// the secret or this process before a restart.
    pub(crate) fn minted_here(&self, id: NonceId) -> bool {
        id.instance == self.instance
    }

    /// The `opaque` value for `realm`: constant per realm and secret, so it needs no state
    /// either. It carries no meaning; checking it only catches clients that mix up challenges.
    pub(crate) fn opaque(&self, realm: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(OPAQUE_LABEL);
        mac.update(realm.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minter() -> NonceMinter {
        NonceMinter::new([7; 32])
    }

    #[test]
    fn minted_nonce_opens_with_its_issue_time() {
        let m = minter();
        let n = m.mint(1_700_000_000, "example.com");
        assert_eq!(n.len(), ENCODED_LEN);
        let id = m.open(&n, "example.com").expect("genuine");
        assert_eq!(id.issued, 1_700_000_000);
    }

    #[test]
    fn padded_key_is_the_same_hmac_as_the_plain_key() {
        let m = minter();
        let mut plain = <HmacSha256 as Mac>::new_from_slice(&[7; 32]).expect("any length");
        plain.update(OPAQUE_LABEL);
        plain.update(b"r");
        let expected = URL_SAFE_NO_PAD.encode(&plain.finalize().into_bytes()[..12]);
        assert_eq!(m.opaque("r"), expected);
    }

    #[test]
    fn only_the_minting_instance_claims_a_nonce() {
        let a = NonceMinter::with_instance([7; 32], 1);
        let b = NonceMinter::with_instance([7; 32], 2);
        let id = b.open(&a.mint(5, "r"), "r").expect("same secret");
        assert!(a.minted_here(id));
        assert!(!b.minted_here(id));
    }

    #[test]
    fn nonces_of_the_same_second_differ() {
        let m = minter();
        let a = m.mint(5, "r");
        let b = m.mint(5, "r");
        assert_ne!(a, b);
        assert_ne!(m.open(&a, "r"), m.open(&b, "r"));
    }

    #[test]
    fn nonce_of_another_realm_does_not_open() {
        let m = minter();
        let n = m.mint(5, "a.example.com");
        assert_eq!(m.open(&n, "b.example.com"), None);
    }

    #[test]
    fn nonce_of_another_secret_does_not_open() {
        let n = NonceMinter::new([8; 32]).mint(5, "r");
        assert_eq!(minter().open(&n, "r"), None);
    }

    #[test]
    fn altered_nonce_does_not_open() {
        let m = minter();
        let n = m.mint(1_000, "r");
        let mut raw = URL_SAFE_NO_PAD.decode(&n).expect("base64");
        raw[7] ^= 1;
        assert_eq!(m.open(&URL_SAFE_NO_PAD.encode(&raw), "r"), None);
        let mut raw = URL_SAFE_NO_PAD.decode(&n).expect("base64");
        raw[RAW_LEN - 1] ^= 0x80;
        assert_eq!(m.open(&URL_SAFE_NO_PAD.encode(&raw), "r"), None);
    }

    #[test]
    fn garbage_does_not_open() {
        let m = minter();
        for bad in [
            "",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            &"A".repeat(ENCODED_LEN),
            &"*".repeat(ENCODED_LEN),
            &"A".repeat(ENCODED_LEN + 1),
        ] {
            assert_eq!(m.open(bad, "r"), None, "{bad:?}");
        }
    }

    #[test]
    fn opaque_depends_on_realm_only() {
        let m = minter();
        assert_eq!(m.opaque("r"), m.opaque("r"));
        assert_ne!(m.opaque("r"), m.opaque("s"));
    }
}
