//! `check_request` for a source already tracked, and `is_banned`, allocate nothing.
//!
//! A counting global allocator is the only way to observe this, and it needs `unsafe impl
//! GlobalAlloc`: the exception to the workspace's `unsafe_code = "deny"` is confined to this
//! test binary.

#![allow(unsafe_code, clippy::unwrap_used)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{guard, ip, ms, t0};
use sip_abuse::{AbuseConfig, BanTarget, Verdict};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// const-initialised thread-local that itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn checking_known_sources_and_bans_does_not_allocate() {
    let config = AbuseConfig {
        max_tracked_sources: 1_000,
        ..AbuseConfig::default()
    };
    let mut g = guard(config);
    let start = t0();
    // Warm up: 1000 sources tracked (the table is full), a few bans.
    for n in 0..1_000 {
        let _ = g.check_request(start, ip(n), Some("Linphone/5.2"));
    }
    g.ban(
        start,
        BanTarget::Source(ip(5_000)),
        std::time::Duration::from_secs(60),
    );
    for i in 0..5 {
        g.auth_failed(start, ip(1), &format!("u{i}"));
        g.auth_failed(start, ip(2), "alice");
    }

    let before = allocations();
    let mut allowed = 0;
    for round in 1..=50u64 {
        let now = start + ms(round * 10);
        for n in 0..1_000 {
            allowed += u32::from(
                g.check_request(now, ip(n), Some("Linphone/5.2"))
                    .is_allowed(),
            );
        }
        assert_eq!(g.check_request(now, ip(5_000), None), Verdict::Drop);
        assert!(g.is_banned(now, ip(2), Some("alice")));
        assert!(!g.is_banned(now, ip(3), Some("alice")));
    }
    // New sources once the table is full reuse evicted entries in place.
    for n in 10_000..12_000 {
        let _ = g.check_request(start + ms(600), ip(n), None);
    }
    let after = allocations();
    assert_eq!(allowed, 50_000);
    assert_eq!(after - before, 0, "the hot path allocated");

    // The counter works: listing bans allocates.
    assert_eq!(g.bans(start + ms(700)).len(), 2);
    assert!(allocations() > after);
}
