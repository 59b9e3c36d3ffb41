//! The compact in-memory form of the bindings of one address of record.
//!
//! A server keeps every live binding in memory, so their size is the server's size: a
//! [`Binding`] as a struct is some 300 bytes plus one allocation per string (a dozen), while
//! the same binding packed is its string bytes plus a few bytes of lengths and numbers. Each
//! address of record is therefore one allocation, [`Packed`], decoded back into [`Binding`]s
//! when read (a lookup decodes a handful).
//!
//! Layout: the address of record (varint length, bytes), then each binding in lookup order:
//! `expires_at` as 8 little-endian bytes (liveness is read without decoding anything else),
//! the length of the rest as a varint, then the rest (see [`encode_rest`]).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::Binding;

/// The bindings of one address of record, packed in one allocation.
///
/// Hashes and compares as its address of record (its bytes), and borrows as them, so that a
/// `HashSet<Packed>` is a map from the address of record to its bindings without a separate
/// key allocation: look up with `set.get(aor.as_bytes())`.
pub(crate) struct Packed(Box<[u8]>);

impl Packed {
    /// Packs `bindings` (kept in the order given) under `aor`; their own `aor` fields are not
    /// kept (decoding gives them `aor`).
    pub(crate) fn new(aor: &str, bindings: &[Binding]) -> Packed {
        let mut out = Vec::with_capacity(aor.len() + 1 + bindings.len() * 128);
        put_bytes(&mut out, aor.as_bytes());
        let mut rest = Vec::with_capacity(128);
        for binding in bindings {
            rest.clear();
            encode_rest(&mut rest, aor, binding);
            out.extend_from_slice(&binding.expires_at.to_le_bytes());
            put_varint(&mut out, rest.len() as u64);
            out.extend_from_slice(&rest);
        }
        Packed(out.into_boxed_slice())
    }

    /// The address of record, as bytes (always UTF-8: it was a `&str`).
    /// The same bindings in a fresh allocation made by the calling thread.
    pub(crate) fn rehome(&self) -> Packed {
        Packed(self.0.to_vec().into_boxed_slice())
    }

    pub(crate) fn aor_bytes(&self) -> &[u8] {
        self.split().0
    }

    fn split(&self) -> (&[u8], &[u8]) {
        let mut reader = Reader(&self.0);
        match reader.bytes() {
            Some(aor) => (aor, reader.0),
            None => (&[], &[]),
        }
    }

    fn records(&self) -> Records<'_> {
        Records(self.split().1)
    }

    /// How many bindings it holds, live or not.
    pub(crate) fn len(&self) -> usize {
        self.records().count()
    }

    /// How many bindings are live at `now`.
    pub(crate) fn live_count(&self, now: u64) -> usize {
        self.records().filter(|r| r.expires_at > now).count()
    }

    /// Appends the bindings live at `now` to `out`, in stored order.
    pub(crate) fn decode_live(&self, now: u64, out: &mut Vec<Binding>) {
        let (aor, records) = self.split();
        let Ok(aor) = std::str::from_utf8(aor) else {
            return;
        };
        for record in Records(records).filter(|r| r.expires_at > now) {
            match decode_rest(aor, record.expires_at, record.rest) {
                Some(binding) => out.push(binding),
                // Only this module writes the bytes, so this cannot happen; skipping keeps a
                // reader from panicking if it ever did.
                None => debug_assert!(false, "undecodable packed binding of {aor}"),
            }
        }
    }

    /// The same address of record with only the bindings live at `now`, or `None` if none
    /// is.
    pub(crate) fn retain_live(&self, now: u64) -> Option<Packed> {
        let (aor, records) = self.split();
        let mut out = Vec::with_capacity(self.0.len());
        put_bytes(&mut out, aor);
        let mut any = false;
        for record in Records(records).filter(|r| r.expires_at > now) {
            out.extend_from_slice(record.whole);
            any = true;
        }
        any.then(|| Packed(out.into_boxed_slice()))
    }
}

impl Borrow<[u8]> for Packed {
    fn borrow(&self) -> &[u8] {
        self.aor_bytes()
    }
}

// Hash and Eq must agree with those of the borrowed `[u8]` (the `Borrow` contract).
impl Hash for Packed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.aor_bytes().hash(state);
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.aor_bytes() == other.aor_bytes()
    }
}

impl Eq for Packed {}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packed")
            .field("aor", &String::from_utf8_lossy(self.aor_bytes()))
            .field("bindings", &self.len())
            .finish()
    }
}

/// One binding inside a [`Packed`]: its end, the encoded rest, and all of its bytes.
struct Record<'a> {
    expires_at: u64,
    rest: &'a [u8],
    whole: &'a [u8],
}

struct Records<'a>(&'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let start = self.0;
        let mut reader = Reader(start);
        let expires_at = reader.u64_le()?;
        let rest = reader.bytes()?;
        let whole = &start[..start.len() - reader.0.len()];
        self.0 = reader.0;
        Some(Record {
            expires_at,
            rest,
            whole,
        })
    }
}

/// Transports written as one byte; any other is written out in full.
const TRANSPORTS: [&str; 6] = ["udp", "tcp", "tls", "ws", "wss", "sctp"];
const TRANSPORT_NONE: u8 = 0;
const TRANSPORT_OTHER: u8 = 0xff;

const ADDR_NONE: u8 = 0;
const ADDR_V4: u8 = 4;
/// IPv6 without flow label and scope, the usual case.
const ADDR_V6: u8 = 6;
const ADDR_V6_FULL: u8 = 7;

/// Writes every field of `b` but `aor` and `expires_at`, in this order: uri (as the length
/// of its common start with `aor`, then the remainder: a contact usually repeats the user
/// and often the host), params, q, call_id, cseq, source, transport, local, path,
/// instance_id, reg_id, user_agent, and created_at and updated_at as differences from
/// expires_at (a few bytes instead of five).
fn encode_rest(out: &mut Vec<u8>, aor: &str, b: &Binding) {
    let mut shared = aor
        .bytes()
        .zip(b.uri.bytes())
        .take_while(|(x, y)| x == y)
        .count();
    // Both strings agree up to `shared`, so a boundary of one is a boundary of the other.
    while !b.uri.is_char_boundary(shared) {
        shared -= 1;
    }
    put_varint(out, shared as u64);
    put_bytes(out, &b.uri.as_bytes()[shared..]);
    put_bytes(out, b.params.as_bytes());
    put_varint(out, b.q.map_or(0, |q| u64::from(q) + 1));
    put_bytes(out, b.call_id.as_bytes());
    put_varint(out, u64::from(b.cseq));
    put_addr(out, b.source);
    match b.transport.as_deref() {
        None => out.push(TRANSPORT_NONE),
        Some(t) => match TRANSPORTS.iter().position(|known| *known == t) {
            Some(i) => out.push(i as u8 + 1),
            None => {
                out.push(TRANSPORT_OTHER);
                put_bytes(out, t.as_bytes());
            }
        },
    }
    put_addr(out, b.local);
    put_varint(out, b.path.len() as u64);
    for hop in &b.path {
        put_bytes(out, hop.as_bytes());
    }
    put_opt_bytes(out, b.instance_id.as_deref());
    put_varint(out, b.reg_id.map_or(0, |r| u64::from(r) + 1));
    put_opt_bytes(out, b.user_agent.as_deref());
    put_varint(out, zigzag(b.created_at.wrapping_sub(b.expires_at)));
    put_varint(out, zigzag(b.updated_at.wrapping_sub(b.expires_at)));
}

fn decode_rest(aor: &str, expires_at: u64, rest: &[u8]) -> Option<Binding> {
    let mut r = Reader(rest);
    let shared = aor.get(..usize::try_from(r.varint()?).ok()?)?;
    let tail = std::str::from_utf8(r.bytes()?).ok()?;
    let mut uri = String::with_capacity(shared.len() + tail.len());
    uri.push_str(shared);
    uri.push_str(tail);
    let params = r.string()?;
    let q = r.opt_num()?.map(u16::try_from).transpose().ok()?;
    let call_id = r.string()?;
    let cseq = u32::try_from(r.varint()?).ok()?;
    let source = r.addr()?;
    let transport = match r.byte()? {
        TRANSPORT_NONE => None,
        TRANSPORT_OTHER => Some(r.string()?),
        code => Some((*TRANSPORTS.get(usize::from(code) - 1)?).to_owned()),
    };
    let local = r.addr()?;
    let hops = usize::try_from(r.varint()?).ok()?;
    // Bounded by the bytes left, so that a bad count cannot reserve much.
    let mut path = Vec::with_capacity(hops.min(r.0.len()));
    for _ in 0..hops {
        path.push(r.string()?);
    }
    let instance_id = r.opt_string()?;
    let reg_id = r.opt_num()?.map(u32::try_from).transpose().ok()?;
    let user_agent = r.opt_string()?;
    let created_at = expires_at.wrapping_add(unzigzag(r.varint()?));
    let updated_at = expires_at.wrapping_add(unzigzag(r.varint()?));
    r.0.is_empty().then(|| Binding {
        aor: aor.to_owned(),
        uri,
        params,
        q,
        expires_at,
        call_id,
        cseq,
        source,
        transport,
        local,
        path,
        instance_id,
        reg_id,
        user_agent,
        created_at,
        updated_at,
    })
}

/// Maps a wrapped difference to a small number when it is small either way.
fn zigzag(d: u64) -> u64 {
    (d << 1) ^ (((d as i64) >> 63) as u64)
}

fn unzigzag(z: u64) -> u64 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `None` as 0, a string as its length plus one, then its bytes.
fn put_opt_bytes(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            put_varint(out, s.len() as u64 + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn put_addr(out: &mut Vec<u8>, addr: Option<SocketAddr>) {
    match addr {
        None => out.push(ADDR_NONE),
        Some(SocketAddr::V4(a)) => {
            out.push(ADDR_V4);
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_le_bytes());
        }
        Some(SocketAddr::V6(a)) => {
            let full = a.flowinfo() != 0 || a.scope_id() != 0;
            out.push(if full { ADDR_V6_FULL } else { ADDR_V6 });
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_le_bytes());
            if full {
                out.extend_from_slice(&a.flowinfo().to_le_bytes());
                out.extend_from_slice(&a.scope_id().to_le_bytes());
            }
        }
    }
}

/// Reads what the `put_` functions wrote; `None` when the bytes run out or do not fit.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u64_le(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.take(n)
    }

    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }

    /// `Some(None)` for an absent value, `None` when the bytes are bad.
    fn opt_num(&mut self) -> Option<Option<u64>> {
        Some(self.varint()?.checked_sub(1))
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        let Some(n) = self.opt_num()? else {
            return Some(None);
        };
        let bytes = self.take(usize::try_from(n).ok()?)?;
        std::str::from_utf8(bytes).ok().map(|s| Some(s.to_owned()))
    }

    fn addr(&mut self) -> Option<Option<SocketAddr>> {
        Some(match self.byte()? {
            ADDR_NONE => None,
            ADDR_V4 => {
                let ip = Ipv4Addr::from(self.array::<4>()?);
                let port = u16::from_le_bytes(self.array()?);
                Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
            }
            kind @ (ADDR_V6 | ADDR_V6_FULL) => {
                let ip = Ipv6Addr::from(self.array::<16>()?);
                let port = u16::from_le_bytes(self.array()?);
                let (flowinfo, scope_id) = if kind == ADDR_V6_FULL {
                    (
                        u32::from_le_bytes(self.array()?),
                        u32::from_le_bytes(self.array()?),
                    )
                } else {
                    (0, 0)
                };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip, port, flowinfo, scope_id,
                )))
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
#[path = "packed_tests.rs"]
mod tests;
