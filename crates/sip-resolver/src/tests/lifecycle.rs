//! Caching on a fake clock, failover and blacklisting, and the async driver.

use super::*;

// ---- caching on a fake clock ----

#[test]
fn cached_answers_are_reused_until_their_ttl() {
    let dns = three_transport_zone();
    let mut loc = locator();
    let t0 = Instant::now();
    let first = run_with(&dns, &mut loc, "sip:example.test", t0);
    let n = dns.queries().len();
    // NAPTR, three SRV, and A + AAAA for three hosts.
    assert_eq!(n, 10);
    // Within every TTL: the same answer, no query at all.
    dns.clear_log();
    let second = run_with(
        &dns,
        &mut loc,
        "sip:example.test",
        t0 + Duration::from_secs(29),
    );
    assert_eq!(first, second);
    assert!(dns.queries().is_empty());
    // The AAAA absences were cached for the default 30 s; the records for 300 s.
    let third = run_with(
        &dns,
        &mut loc,
        "sip:example.test",
        t0 + Duration::from_secs(100),
    );
    assert_eq!(first, third);
    assert!(
        dns.queries()
            .iter()
            .all(|q| q.record_type() == RecordType::Aaaa)
    );
    assert_eq!(dns.queries().len(), 3);
    // At the TTL everything is asked again.
    dns.clear_log();
    let fourth = run_with(
        &dns,
        &mut loc,
        "sip:example.test",
        t0 + Duration::from_secs(300),
    );
    assert_eq!(first, fourth);
    assert_eq!(dns.queries().len(), n);
}

#[test]
fn shortest_ttl_of_a_set_wins_and_stages_expire_independently() {
    let dns = StaticDns::new()
        .ttl(Duration::from_secs(60))
        .srv("_sip._udp.example.test", 0, 0, 5060, "h.example.test")
        .ttl(Duration::from_secs(10))
        .a("h.example.test", v4(80));
    let mut loc = locator();
    let t0 = Instant::now();
    run_with(&dns, &mut loc, "sip:example.test;transport=udp", t0).expect("resolves");
    dns.clear_log();
    run_with(
        &dns,
        &mut loc,
        "sip:example.test;transport=udp",
        t0 + Duration::from_secs(10),
    )
    .expect("resolves");
    // The SRV is still cached; only the addresses (and the never-found AAAA: 30 s negative
    // default is still running, so not even that) are asked again.
    assert_eq!(asked(&dns), ["h.example.test A"]);
}

#[test]
fn negative_answers_are_cached_for_their_ttl() {
    let dns = StaticDns::new()
        .set(
            Query::new("example.test", RecordType::Naptr),
            Answer::NotFound {
                negative_ttl: Some(Duration::from_secs(5)),
            },
        )
        .a("example.test", v4(81));
    let mut loc = locator();
    let t0 = Instant::now();
    run_with(&dns, &mut loc, "sip:example.test", t0).expect("resolves");
    dns.clear_log();
    run_with(
        &dns,
        &mut loc,
        "sip:example.test",
        t0 + Duration::from_secs(4),
    )
    .expect("resolves");
    assert!(dns.queries().is_empty());
    // NAPTR's 5 s ran out; the SRV absences (30 s default) did not.
    run_with(
        &dns,
        &mut loc,
        "sip:example.test",
        t0 + Duration::from_secs(5),
    )
    .expect("resolves");
    assert_eq!(asked(&dns), ["example.test NAPTR"]);
}

#[test]
fn failures_are_not_cached() {
    let dns = StaticDns::new().set(
        Query::new("example.test", RecordType::A),
        Answer::Failed(LookupError::ServerFailure("SERVFAIL".into())),
    );
    let mut loc = locator();
    let t0 = Instant::now();
    assert!(run_with(&dns, &mut loc, "sip:example.test:5060", t0).is_err());
    dns.clear_log();
    assert!(run_with(&dns, &mut loc, "sip:example.test:5060", t0).is_err());
    assert_eq!(asked(&dns), ["example.test A"]);
}

#[test]
fn housekeeping_purges_expired_entries() {
    let dns = StaticDns::new()
        .ttl(Duration::from_secs(10))
        .a("example.test", v4(82));
    let mut loc = locator();
    let t0 = Instant::now();
    let uri = Uri::parse("sip:example.test:5060").expect("parses");
    let mut targets = dns.resolve(&mut loc, &uri, t0).expect("resolves");
    assert_eq!(loc.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    loc.next_target(&mut targets, t0);
    loc.report_failure(
        &mut targets,
        Failure::Transport,
        t0 + Duration::from_secs(1),
    );
    loc.handle_timeout(t0 + Duration::from_secs(30));
    assert_eq!(loc.cache().len(), 0);
    assert_eq!(loc.poll_timeout(), Some(t0 + Duration::from_secs(61)));
    loc.handle_timeout(t0 + Duration::from_secs(61));
    assert!(loc.blacklist().is_empty());
    assert_eq!(loc.poll_timeout(), None);
}

// ---- failover and blacklist (RFC 3263 §4.3) ----

#[test]
fn failover_moves_to_the_next_target_and_blacklists() {
    let dns = three_transport_zone();
    let mut loc = locator();
    let t0 = Instant::now();
    let uri = Uri::parse("sip:alice@example.test").expect("parses");
    let mut targets = dns.resolve(&mut loc, &uri, t0).expect("resolves");
    let addr = |t: Option<Target>| t.map(|t| t.addr());
    let a = |s: &str| Some(s.parse::<SocketAddr>().expect("addr"));
    assert_eq!(
        addr(loc.next_target(&mut targets, t0)),
        a("127.0.0.23:5061")
    );
    let next = loc.report_failure(&mut targets, Failure::Transport, t0);
    assert_eq!(addr(next), a("127.0.0.22:5060"));
    let f503 = Failure::ServiceUnavailable {
        retry_after: Some(Duration::from_secs(120)),
    };
    assert_eq!(
        addr(loc.report_failure(&mut targets, f503, t0)),
        a("127.0.0.21:5060")
    );
    assert_eq!(loc.report_failure(&mut targets, Failure::Timeout, t0), None);

    // The next request (from the cache) skips the blacklisted targets...
    let later = t0 + Duration::from_secs(30);
    let mut again = dns.resolve(&mut loc, &uri, later).expect("resolves");
    assert_eq!(again.len(), 3);
    assert_eq!(loc.next_target(&mut again, later), None);
    // ...until each one's time runs out: 60 s by default, 120 s for the Retry-After.
    let t60 = t0 + Duration::from_secs(60);
    let mut again = dns.resolve(&mut loc, &uri, t60).expect("resolves");
    assert_eq!(addr(loc.next_target(&mut again, t60)), a("127.0.0.23:5061"));
    assert_eq!(addr(loc.next_target(&mut again, t60)), a("127.0.0.21:5060"));
    assert_eq!(loc.next_target(&mut again, t60), None);
}

#[test]
fn blacklist_duration_is_configurable() {
    let config = Config {
        blacklist_duration: Duration::from_secs(5),
        ..Config::default()
    };
    let mut loc = locator_with(config);
    let dns = StaticDns::new();
    let uri = Uri::parse("sip:127.0.0.1").expect("parses");
    let t0 = Instant::now();
    let mut targets = dns.resolve(&mut loc, &uri, t0).expect("resolves");
    loc.next_target(&mut targets, t0);
    assert_eq!(loc.report_failure(&mut targets, Failure::Timeout, t0), None);
    let mut again = dns.resolve(&mut loc, &uri, t0).expect("resolves");
    assert_eq!(
        loc.next_target(&mut again, t0 + Duration::from_secs(4)),
        None
    );
    again.rewind();
    assert!(
        loc.next_target(&mut again, t0 + Duration::from_secs(5))
            .is_some()
    );
}

// ---- the async driver over the same fake ----

#[test]
fn driver_matches_the_synchronous_run_and_fails_over() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dns = three_transport_zone();
    let want = run(&dns, "sip:alice@example.test");
    let resolver = Resolver::with_locator(dns, locator());
    let uri = Uri::parse("sip:alice@example.test").expect("parses");
    let mut targets = rt.block_on(resolver.resolve(&uri)).expect("resolves");
    assert_eq!(Ok(pairs(&targets)), want);
    let first = resolver.next_target(&mut targets).expect("first");
    assert_eq!(first.transport(), Tls);
    assert_eq!(first.host.as_deref(), Some("tls.example.test"));
    let second = resolver.report_failure(&mut targets, Failure::Timeout);
    assert_eq!(second.map(|t| t.transport()), Some(Tcp));
    assert_eq!(resolver.with_locator_mut(|l| l.blacklist().len()), 1);
    resolver.lookup().clear_log();
    rt.block_on(resolver.resolve(&uri))
        .expect("resolves from cache");
    assert!(resolver.lookup().queries().is_empty());
    resolver.purge();
}
