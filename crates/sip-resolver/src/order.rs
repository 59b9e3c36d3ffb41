//! The ordering rules: NAPTR (RFC 3403 §4.1, RFC 3263 §4.1) and SRV (RFC 2782), with the
//! randomness of SRV weights injected so that tests are deterministic.

use sip_transaction::Transport;

use crate::dns::{Naptr, Srv, normalize_name};

/// The source of randomness for SRV weighting.
///
/// [`SplitMix64`] is the default; tests use [`SequenceRng`] to pin every choice.
pub trait WeightRng {
    /// A uniformly distributed number in `0..=max`.
    fn pick(&mut self, max: u32) -> u32;
}

/// A small, fast, non-cryptographic generator (Steele, Lea and Flood's SplitMix64). SRV
/// weighting only spreads load, so it needs no more.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator seeded from the process's per-instance hash keys (no clock is read).
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5eed);
        SplitMix64::new(h.finish())
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl WeightRng for SplitMix64 {
    fn pick(&mut self, max: u32) -> u32 {
        // Lemire's multiply-shift: maps 64 random bits onto 0..=max with negligible bias.
        let range = u64::from(max) + 1;
        ((u128::from(self.next_u64()) * u128::from(range)) >> 64) as u32
    }
}

/// A generator that replays a fixed list of values (each reduced into range), cycling; for
/// tests that must know which SRV record a weighted draw selects.
#[derive(Debug, Clone)]
pub struct SequenceRng {
    values: Vec<u32>,
    next: usize,
}

impl SequenceRng {
    /// Replays `values` in order, starting over at the end. An empty list always yields 0.
    pub fn new(values: impl Into<Vec<u32>>) -> Self {
        SequenceRng {
            values: values.into(),
            next: 0,
        }
    }
}

impl WeightRng for SequenceRng {
    fn pick(&mut self, max: u32) -> u32 {
        let Some(&v) = self.values.get(self.next) else {
            return 0;
        };
        self.next = (self.next + 1) % self.values.len();
        if max == u32::MAX { v } else { v % (max + 1) }
    }
}

/// Orders SRV records as RFC 2782 prescribes: ascending priority; within one priority, repeated
/// weighted random draws, records of weight 0 placed first in each draw's running sum (so they
/// are chosen only when the draw is 0 or all weights are 0). Records whose target is `.` are
/// kept: the caller decides what "service not available" means.
pub fn order_srv(records: &[Srv], rng: &mut impl WeightRng) -> Vec<Srv> {
    let mut sorted: Vec<Srv> = records.to_vec();
    // Stable: equal-priority records keep the server's order before weighting.
    sorted.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(sorted.len());
    let mut rest = sorted.as_slice();
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|r| r.priority == first.priority)
            .count();
        let (group, tail) = rest.split_at(n);
        weighted_shuffle(group, rng, &mut out);
        rest = tail;
    }
    out
}

/// The RFC 2782 selection within one priority, appending to `out`.
fn weighted_shuffle(group: &[Srv], rng: &mut impl WeightRng, out: &mut Vec<Srv>) {
    // Zero weights first, the others after, each in server order.
    let mut pool: Vec<&Srv> = group.iter().filter(|r| r.weight == 0).collect();
    pool.extend(group.iter().filter(|r| r.weight != 0));
    while !pool.is_empty() {
        let total: u32 = pool.iter().map(|r| u32::from(r.weight)).sum();
        let draw = rng.pick(total);
        let mut running = 0u32;
        let mut chosen = pool.len() - 1;
        for (i, r) in pool.iter().enumerate() {
            running += u32::from(r.weight);
            if running >= draw {
                chosen = i;
                break;
            }
        }
        out.push(pool.remove(chosen).clone());
    }
}

/// What a usable NAPTR record leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NaptrStep {
    /// Flag `S`: query SRV at `name`, use `transport`.
    Srv { name: String, transport: Transport },
    /// Flag `A`: query addresses of `name`, use `transport` on its default port.
    Host { name: String, transport: Transport },
}

/// Maps a NAPTR service field to a transport (RFC 3263 §4.1, RFC 4168, RFC 7118). `None` for
/// services that are not SIP, or that a `sips` URI must not use (RFC 3263 §4.1: a client
/// resolving a SIPS URI discards every service without `SIPS`).
pub fn naptr_transport(services: &str, sips: bool) -> Option<Transport> {
    let s = services.to_ascii_uppercase();
    let t = match s.as_str() {
        "SIP+D2U" => Transport::Udp,
        "SIP+D2T" => Transport::Tcp,
        "SIP+D2S" => Transport::Sctp,
        "SIP+D2W" => Transport::Ws,
        "SIPS+D2T" => Transport::Tls,
        "SIPS+D2W" => Transport::Wss,
        _ => return None,
    };
    if sips && !s.starts_with("SIPS+") {
        return None;
    }
    Some(t)
}

/// Keeps the NAPTR records RFC 3263 can use, in processing order (ascending order, then
/// preference): SIP services of a supported transport, with an empty regexp and flag `S` or
/// `A`. Records with other flags (non-terminal rewrites) are not followed.
///
/// All usable orders are kept rather than only the first matching one (RFC 3403 §4.1 stops at
/// the first), so that RFC 3263 §4.3 failover can move on to the domain's next transport.
pub(crate) fn usable_naptr(
    records: &[Naptr],
    sips: bool,
    supports: impl Fn(Transport) -> bool,
) -> Vec<NaptrStep> {
    let mut kept: Vec<(&Naptr, Transport)> = records
        .iter()
        .filter(|r| r.regexp.is_empty())
        .filter_map(|r| naptr_transport(&r.services, sips).map(|t| (r, t)))
        .filter(|(_, t)| supports(*t))
        .collect();
    kept.sort_by_key(|(r, _)| (r.order, r.preference));
    let mut steps: Vec<NaptrStep> = Vec::with_capacity(kept.len());
    for (r, transport) in kept {
        let name = normalize_name(&r.replacement);
        let step = if r.flags.eq_ignore_ascii_case("s") {
            NaptrStep::Srv { name, transport }
        } else if r.flags.eq_ignore_ascii_case("a") {
            NaptrStep::Host { name, transport }
        } else {
            continue;
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: target.into(),
        }
    }

    fn targets(v: &[Srv]) -> Vec<&str> {
        v.iter().map(|r| r.target.as_str()).collect()
    }

    #[test]
    fn srv_priority_ascending() {
        let recs = [srv(20, 0, "c"), srv(10, 0, "a"), srv(15, 0, "b")];
        let out = order_srv(&recs, &mut SequenceRng::new([0]));
        assert_eq!(targets(&out), ["a", "b", "c"]);
    }

    #[test]
    fn srv_weighted_draw_follows_running_sum() {
        // Weights 10, 30, 60: running sums 10, 40, 100.
        let recs = [srv(1, 10, "a"), srv(1, 30, "b"), srv(1, 60, "c")];
        // Draw 50 of 0..=100 hits c; then sums a=10, b=40: draw 11 hits b; then a.
        let out = order_srv(&recs, &mut SequenceRng::new([50, 11, 0]));
        assert_eq!(targets(&out), ["c", "b", "a"]);
        // Draw 10 hits a exactly at its running sum.
        let out = order_srv(&recs, &mut SequenceRng::new([10, 0, 0]));
        assert_eq!(targets(&out), ["a", "b", "c"]);
    }

    #[test]
    fn srv_zero_weight_placed_first_in_running_sum() {
        let recs = [srv(1, 5, "heavy"), srv(1, 0, "zero")];
        // A draw of 0 selects the zero-weight record, which sits first.
        let out = order_srv(&recs, &mut SequenceRng::new([0, 0]));
        assert_eq!(targets(&out), ["zero", "heavy"]);
        // Any other draw selects the weighted one.
        let out = order_srv(&recs, &mut SequenceRng::new([3, 0]));
        assert_eq!(targets(&out), ["heavy", "zero"]);
    }

    #[test]
    fn srv_weights_only_mix_within_a_priority() {
        let recs = [
            srv(2, 100, "late"),
            srv(1, 1, "early1"),
            srv(1, 1, "early2"),
        ];
        let out = order_srv(&recs, &mut SequenceRng::new([2, 0, 0]));
        assert_eq!(targets(&out), ["early2", "early1", "late"]);
    }

    #[test]
    fn splitmix_picks_in_range_and_respects_weights() {
        let mut rng = SplitMix64::new(7);
        for max in [0, 1, 5, 100, u32::MAX] {
            for _ in 0..100 {
                assert!(rng.pick(max) <= max);
            }
        }
        // A 90/10 split lands the heavy record first most of the time.
        let recs = [srv(1, 90, "heavy"), srv(1, 10, "light")];
        let heavy_first = (0..1000)
            .filter(|_| order_srv(&recs, &mut rng)[0].target == "heavy")
            .count();
        assert!((800..=980).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn naptr_services() {
        assert_eq!(naptr_transport("SIP+D2U", false), Some(Transport::Udp));
        assert_eq!(naptr_transport("sip+d2t", false), Some(Transport::Tcp));
        assert_eq!(naptr_transport("SIPS+D2T", false), Some(Transport::Tls));
        assert_eq!(naptr_transport("SIP+D2W", false), Some(Transport::Ws));
        assert_eq!(naptr_transport("SIPS+D2W", false), Some(Transport::Wss));
        assert_eq!(naptr_transport("SIP+D2S", false), Some(Transport::Sctp));
        assert_eq!(naptr_transport("SIP+D2U", true), None);
        assert_eq!(naptr_transport("SIPS+D2T", true), Some(Transport::Tls));
        assert_eq!(naptr_transport("E2U+sip", false), None);
    }
}
