//! PROTOS c07-sip: all 4527 malformed INVITEs parse or are rejected, never panic, in bounded
//! time and memory, and every case of a MUST_FAIL group (other than its listed exceptions) is
//! rejected.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The counting allocator below needs unsafe; it only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

mod common;
use common::{Outcome, outcome, protos_cases, protos_groups};

/// Counts the bytes live and the peak, so the test can bound what one parse allocates.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn every_protos_case_is_parsed_or_rejected_within_bounds() {
    let cases = protos_cases();
    assert_eq!(cases.len(), 4527);
    let groups = protos_groups();
    assert_eq!(
        groups
            .iter()
            .map(|g| g.cases.clone().count())
            .sum::<usize>(),
        4527
    );

    let mut accepted = 0;
    let mut rejected = 0;
    let mut slowest = (Duration::ZERO, 0);
    let mut worst_ratio = (0.0f64, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let group = groups
            .iter()
            .find(|g| g.cases.contains(&case.number))
            .expect("every case has a group");
        for (which, bytes) in [("invite", &case.invite), ("teardown", &case.teardown)] {
            let input = Bytes::from(bytes.clone());
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let t = Instant::now();
            let got = std::panic::catch_unwind(|| outcome(input.clone(), false));
            let took = t.elapsed();
            let extra = PEAK.load(Ordering::Relaxed).saturating_sub(base);
            let Ok(got) = got else {
                failures.push(format!("case {} {which}: panicked", case.number));
                continue;
            };
            if took > slowest.0 {
                slowest = (took, case.number);
            }
            let ratio = extra as f64 / bytes.len().max(1) as f64;
            if ratio > worst_ratio.0 {
                worst_ratio = (ratio, case.number);
            }
            // What one message may cost: a few copies of itself plus fixed overhead.
            if extra > 8 * bytes.len() + 64 * 1024 {
                failures.push(format!(
                    "case {} {which}: {extra} bytes allocated for {} input",
                    case.number,
                    bytes.len()
                ));
            }
            if which != "invite" {
                continue;
            }
            match got {
                Outcome::Accept => accepted += 1,
                _ => rejected += 1,
            }
            let must_fail = group.must_fail && !group.exceptions.contains(&case.number);
            if must_fail && got == Outcome::Accept {
                failures.push(format!(
                    "case {} ({}): must be rejected but was accepted",
                    case.number, group.name
                ));
            }
            if case.number == 0 && got != Outcome::Accept {
                failures.push(format!(
                    "case 0 (the valid reference) was not accepted: {got:?}"
                ));
            }
        }
    }
    eprintln!(
        "PROTOS c07-sip: {} cases, {accepted} accepted, {rejected} rejected; slowest {:?} (case {}); \
         worst allocation {:.1}x input (case {})",
        cases.len(),
        slowest.0,
        slowest.1,
        worst_ratio.0,
        worst_ratio.1
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Debug builds on a loaded 2-core machine: generous, but catches quadratic blow-ups.
    assert!(
        slowest.0 < Duration::from_millis(500),
        "case {} took {:?}",
        slowest.1,
        slowest.0
    );
}
