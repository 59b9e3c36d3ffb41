//! Ordering rules: numeric hosts, ports, transport parameters, maddr, NAPTR, SRV, address
//! families, and errors.

use super::*;

// ---- numeric hosts, explicit ports, transport parameters (RFC 3263 §4.1, §4.2) ----

#[test]
fn numeric_ipv4_is_used_directly_with_udp_5060() {
    let dns = StaticDns::new();
    assert_eq!(
        run(&dns, "sip:alice@127.0.0.5"),
        Ok(vec![p(Udp, "127.0.0.5:5060")])
    );
    assert!(dns.queries().is_empty());
}

#[test]
fn numeric_with_port_and_transport() {
    let dns = StaticDns::new();
    assert_eq!(
        run(&dns, "sip:127.0.0.5:5080;transport=TCP"),
        Ok(vec![p(Tcp, "127.0.0.5:5080")])
    );
}

#[test]
fn numeric_sips_defaults_to_tls_5061() {
    let dns = StaticDns::new();
    assert_eq!(
        run(&dns, "sips:bob@127.0.0.5"),
        Ok(vec![p(Tls, "127.0.0.5:5061")])
    );
    // sips with transport=tcp means TLS over TCP.
    assert_eq!(
        run(&dns, "sips:bob@127.0.0.5:6000;transport=tcp"),
        Ok(vec![p(Tls, "127.0.0.5:6000")])
    );
}

#[test]
fn numeric_ipv6() {
    let dns = StaticDns::new();
    assert_eq!(run(&dns, "sip:[::1]:5070"), Ok(vec![p(Udp, "[::1]:5070")]));
    assert_eq!(run(&dns, "sips:[::1]"), Ok(vec![p(Tls, "[::1]:5061")]));
}

#[test]
fn explicit_port_skips_naptr_and_srv() {
    let dns = StaticDns::new()
        .naptr(
            "example.test",
            10,
            10,
            "S",
            "SIP+D2T",
            "_sip._tcp.example.test",
        )
        .srv("_sip._tcp.example.test", 0, 0, 5099, "other.example.test")
        .a("example.test", v4(7));
    assert_eq!(
        run(&dns, "sip:alice@Example.Test:5070"),
        Ok(vec![p(Udp, "127.0.0.7:5070")])
    );
    assert_eq!(asked(&dns), ["example.test A", "example.test AAAA"]);
    assert_eq!(
        run(&dns, "sips:alice@example.test:5071"),
        Ok(vec![p(Tls, "127.0.0.7:5071")])
    );
}

#[test]
fn transport_param_queries_that_transports_srv_only() {
    let dns = StaticDns::new()
        .srv("_sip._tcp.example.test", 0, 0, 5070, "pbx.example.test")
        .a("pbx.example.test", v4(8));
    assert_eq!(
        run(&dns, "sip:example.test;transport=tcp"),
        Ok(vec![p(Tcp, "127.0.0.8:5070")])
    );
    assert_eq!(
        asked(&dns),
        [
            "_sip._tcp.example.test SRV",
            "pbx.example.test A",
            "pbx.example.test AAAA"
        ]
    );
}

#[test]
fn transport_param_without_srv_uses_address_and_default_port() {
    let dns = StaticDns::new().a("example.test", v4(9));
    assert_eq!(
        run(&dns, "sip:example.test;transport=tcp"),
        Ok(vec![p(Tcp, "127.0.0.9:5060")])
    );
    assert_eq!(
        run(&dns, "sip:example.test;transport=tls"),
        Ok(vec![p(Tls, "127.0.0.9:5061")])
    );
    assert!(dns.was_asked("_sips._tcp.example.test", RecordType::Srv));
}

#[test]
fn sips_with_transport_tcp_uses_sips_srv() {
    let dns = StaticDns::new()
        .srv("_sips._tcp.example.test", 0, 0, 5081, "tls.example.test")
        .a("tls.example.test", v4(10));
    assert_eq!(
        run(&dns, "sips:example.test;transport=tcp"),
        Ok(vec![p(Tls, "127.0.0.10:5081")])
    );
}

#[test]
fn bad_transport_params_are_refused() {
    let dns = StaticDns::new();
    assert_eq!(
        run(&dns, "sips:example.test;transport=udp"),
        Err(ResolveError::InsecureTransport("udp".into()))
    );
    assert_eq!(
        run(&dns, "sip:example.test;transport=sctp"),
        Err(ResolveError::UnsupportedTransport("sctp".into()))
    );
    assert_eq!(
        run(&dns, "sip:example.test;transport=carrier-pigeon"),
        Err(ResolveError::UnsupportedTransport("carrier-pigeon".into()))
    );
    assert_eq!(
        run(&dns, "tel:+15551234"),
        Err(ResolveError::UnsupportedScheme)
    );
    assert!(dns.queries().is_empty());
}

#[test]
fn websocket_transport_uses_addresses_on_http_ports() {
    let config = Config {
        transports: vec![Udp, Tcp, Tls, Transport::Ws, Wss],
        ..Config::default()
    };
    let dns = StaticDns::new().a("ws.example.test", v4(11));
    let mut loc = locator_with(config);
    let now = Instant::now();
    assert_eq!(
        run_with(&dns, &mut loc, "sip:ws.example.test;transport=ws", now),
        Ok(vec![p(Transport::Ws, "127.0.0.11:80")])
    );
    assert_eq!(
        run_with(&dns, &mut loc, "sips:ws.example.test;transport=ws", now),
        Ok(vec![p(Wss, "127.0.0.11:443")])
    );
    assert!(
        !dns.queries()
            .iter()
            .any(|q| q.record_type() == RecordType::Srv)
    );
}

#[test]
fn no_supported_transport_for_numeric_sips() {
    let config = Config {
        transports: vec![Udp, Tcp],
        ..Config::default()
    };
    let dns = StaticDns::new();
    assert_eq!(
        run_with(
            &dns,
            &mut locator_with(config),
            "sips:127.0.0.1",
            Instant::now()
        ),
        Err(ResolveError::NoSupportedTransport)
    );
}

// ---- maddr ----

#[test]
fn maddr_overrides_the_host() {
    let dns = StaticDns::new().a("relay.example.test", v4(12));
    assert_eq!(
        run(&dns, "sip:alice@example.test;maddr=127.0.0.9"),
        Ok(vec![p(Udp, "127.0.0.9:5060")])
    );
    assert_eq!(
        run(
            &dns,
            "sip:alice@example.test:5080;maddr=[::1];transport=tcp"
        ),
        Ok(vec![p(Tcp, "[::1]:5080")])
    );
    // A maddr domain goes through the whole procedure in place of the host.
    assert_eq!(
        run(&dns, "sip:alice@example.test;maddr=relay.example.test"),
        Ok(vec![p(Udp, "127.0.0.12:5060")])
    );
    assert!(dns.was_asked("relay.example.test", RecordType::Naptr));
    assert!(!dns.was_asked("example.test", RecordType::Naptr));
    assert_eq!(
        run(&dns, "sip:alice@example.test;maddr"),
        Err(ResolveError::BadMaddr)
    );
}

// ---- NAPTR (RFC 3263 §4.1) ----

#[test]
fn naptr_sorted_by_order_then_preference() {
    let dns = three_transport_zone();
    assert_eq!(
        run(&dns, "sip:alice@example.test"),
        Ok(vec![
            p(Tls, "127.0.0.23:5061"),
            p(Tcp, "127.0.0.22:5060"),
            p(Udp, "127.0.0.21:5060"),
        ])
    );
    // NAPTR first, then every SRV of the stage together, then every address.
    let q = asked(&dns);
    assert_eq!(q[0], "example.test NAPTR");
    assert_eq!(
        q[1..4],
        [
            "_sips._tcp.example.test SRV",
            "_sip._tcp.example.test SRV",
            "_sip._udp.example.test SRV"
        ]
    );
    assert!(!dns.was_asked("_sip._udp.example.test", RecordType::Naptr));
}

#[test]
fn naptr_filtered_by_supported_transports() {
    let config = Config {
        transports: vec![Udp, Tcp],
        ..Config::default()
    };
    let dns = three_transport_zone();
    assert_eq!(
        run_with(
            &dns,
            &mut locator_with(config),
            "sip:example.test",
            Instant::now()
        ),
        Ok(vec![p(Tcp, "127.0.0.22:5060"), p(Udp, "127.0.0.21:5060")])
    );
    assert!(!dns.was_asked("_sips._tcp.example.test", RecordType::Srv));
}

#[test]
fn sips_uri_keeps_only_sips_services() {
    let dns = three_transport_zone();
    assert_eq!(
        run(&dns, "sips:alice@example.test"),
        Ok(vec![p(Tls, "127.0.0.23:5061")])
    );
}

#[test]
fn naptr_websocket_services() {
    let config = Config {
        transports: vec![Udp, Transport::Ws, Wss],
        ..Config::default()
    };
    let dns = StaticDns::new()
        .naptr(
            "example.test",
            10,
            10,
            "S",
            "SIPS+D2W",
            "_sips._ws.example.test",
        )
        .naptr(
            "example.test",
            10,
            20,
            "S",
            "SIP+D2W",
            "_sip._ws.example.test",
        )
        .naptr(
            "example.test",
            10,
            30,
            "S",
            "SIP+D2U",
            "_sip._udp.example.test",
        )
        .srv("_sips._ws.example.test", 0, 0, 443, "ws.example.test")
        .srv("_sip._ws.example.test", 0, 0, 80, "ws.example.test")
        .srv("_sip._udp.example.test", 0, 0, 5060, "ws.example.test")
        .a("ws.example.test", v4(30));
    let mut loc = locator_with(config);
    let now = Instant::now();
    assert_eq!(
        run_with(&dns, &mut loc, "sip:example.test", now),
        Ok(vec![
            p(Wss, "127.0.0.30:443"),
            p(Transport::Ws, "127.0.0.30:80"),
            p(Udp, "127.0.0.30:5060"),
        ])
    );
    assert_eq!(
        run_with(&dns, &mut loc, "sips:example.test", now),
        Ok(vec![p(Wss, "127.0.0.30:443")])
    );
}

#[test]
fn naptr_ignores_foreign_services_regexps_and_flags() {
    let dns = StaticDns::new()
        .naptr("example.test", 1, 1, "U", "E2U+sip", "ignored.example.test")
        .naptr(
            "example.test",
            2,
            1,
            "",
            "SIP+D2U",
            "nonterminal.example.test",
        )
        .naptr("example.test", 3, 1, "A", "SIP+D2T", "host.example.test")
        .a("host.example.test", v4(31));
    // Only the A-flag record is usable: straight to addresses on TCP's default port.
    assert_eq!(
        run(&dns, "sip:example.test"),
        Ok(vec![p(Tcp, "127.0.0.31:5060")])
    );
    assert!(!dns.was_asked("nonterminal.example.test", RecordType::Srv));
}

#[test]
fn unusable_naptr_falls_back_to_srv() {
    let config = Config {
        transports: vec![Udp, Tcp],
        ..Config::default()
    };
    let dns = StaticDns::new()
        .naptr(
            "example.test",
            10,
            10,
            "S",
            "SIPS+D2T",
            "_sips._tcp.example.test",
        )
        .srv("_sip._tcp.example.test", 0, 0, 5060, "tcp.example.test")
        .a("tcp.example.test", v4(32));
    assert_eq!(
        run_with(
            &dns,
            &mut locator_with(config),
            "sip:example.test",
            Instant::now()
        ),
        Ok(vec![p(Tcp, "127.0.0.32:5060")])
    );
}

#[test]
fn naptr_pointing_at_missing_srv_does_not_fall_back() {
    let dns = StaticDns::new()
        .naptr(
            "example.test",
            10,
            10,
            "S",
            "SIP+D2U",
            "_sip._udp.example.test",
        )
        .a("example.test", v4(33));
    assert_eq!(
        run(&dns, "sip:example.test"),
        Err(ResolveError::NotFound("example.test".into()))
    );
}

// ---- SRV fallback and RFC 2782 ordering ----

#[test]
fn without_naptr_srv_for_udp_tcp_tls_in_that_order() {
    let dns = StaticDns::new()
        .srv("_sips._tcp.example.test", 0, 0, 5061, "c.example.test")
        .srv("_sip._tcp.example.test", 0, 0, 5060, "b.example.test")
        .srv("_sip._udp.example.test", 0, 0, 5060, "a.example.test")
        .a("a.example.test", v4(41))
        .a("b.example.test", v4(42))
        .a("c.example.test", v4(43));
    assert_eq!(
        run(&dns, "sip:example.test"),
        Ok(vec![
            p(Udp, "127.0.0.41:5060"),
            p(Tcp, "127.0.0.42:5060"),
            p(Tls, "127.0.0.43:5061"),
        ])
    );
    assert_eq!(
        asked(&dns)[..4],
        [
            "example.test NAPTR",
            "_sip._udp.example.test SRV",
            "_sip._tcp.example.test SRV",
            "_sips._tcp.example.test SRV",
        ]
    );
    // sips: only _sips._tcp.
    dns.clear_log();
    assert_eq!(
        run(&dns, "sips:example.test"),
        Ok(vec![p(Tls, "127.0.0.43:5061")])
    );
    assert!(!dns.was_asked("_sip._udp.example.test", RecordType::Srv));
}

#[test]
fn without_naptr_or_srv_addresses_on_default_port() {
    let dns = StaticDns::new()
        .a("example.test", v4(44))
        .aaaa("example.test", Ipv6Addr::LOCALHOST);
    assert_eq!(
        run(&dns, "sip:example.test"),
        Ok(vec![p(Udp, "127.0.0.44:5060"), p(Udp, "[::1]:5060")])
    );
    assert_eq!(
        run(&dns, "sips:example.test"),
        Ok(vec![p(Tls, "127.0.0.44:5061"), p(Tls, "[::1]:5061")])
    );
}

#[test]
fn srv_priority_then_weight_with_fixed_rng() {
    let dns = StaticDns::new()
        .srv("_sip._udp.example.test", 20, 0, 5060, "backup.example.test")
        .srv("_sip._udp.example.test", 10, 10, 5060, "light.example.test")
        .srv("_sip._udp.example.test", 10, 90, 5062, "heavy.example.test")
        .a("backup.example.test", v4(50))
        .a("light.example.test", v4(51))
        .a("heavy.example.test", v4(52));
    let now = Instant::now();
    // Running sums light=10, heavy=100: a draw of 5 picks light, 50 picks heavy.
    let mut loc = Locator::with_rng(Config::default(), SequenceRng::new([5, 0, 0]));
    assert_eq!(
        run_with(&dns, &mut loc, "sip:example.test;transport=udp", now),
        Ok(vec![
            p(Udp, "127.0.0.51:5060"),
            p(Udp, "127.0.0.52:5062"),
            p(Udp, "127.0.0.50:5060"),
        ])
    );
    let mut loc = Locator::with_rng(Config::default(), SequenceRng::new([50, 0, 0]));
    assert_eq!(
        run_with(&dns, &mut loc, "sip:example.test;transport=udp", now),
        Ok(vec![
            p(Udp, "127.0.0.52:5062"),
            p(Udp, "127.0.0.51:5060"),
            p(Udp, "127.0.0.50:5060"),
        ])
    );
}

#[test]
fn srv_dot_target_means_not_available() {
    let dns = StaticDns::new()
        .srv("_sip._udp.example.test", 0, 0, 0, ".")
        .a("example.test", v4(53));
    assert_eq!(
        run(&dns, "sip:example.test;transport=udp"),
        Err(ResolveError::NotFound("example.test".into()))
    );
}

#[test]
fn duplicate_targets_are_listed_once() {
    let dns = StaticDns::new()
        .srv("_sip._udp.example.test", 0, 0, 5060, "a.example.test")
        .srv("_sip._udp.example.test", 1, 0, 5060, "A.example.test.")
        .a("a.example.test", v4(54));
    assert_eq!(
        run(&dns, "sip:example.test;transport=udp"),
        Ok(vec![p(Udp, "127.0.0.54:5060")])
    );
    assert_eq!(
        dns.queries()
            .iter()
            .filter(|q| q.record_type() == RecordType::A)
            .count(),
        1
    );
}

// ---- address families ----

fn dual_stack_zone() -> StaticDns {
    StaticDns::new()
        .srv("_sip._tcp.example.test", 0, 0, 5060, "h1.example.test")
        .srv("_sip._tcp.example.test", 1, 0, 5070, "h2.example.test")
        .a("h1.example.test", v4(61))
        .aaaa("h1.example.test", Ipv6Addr::LOCALHOST)
        .aaaa("h2.example.test", Ipv6Addr::LOCALHOST)
}

#[test]
fn ipv4_then_ipv6_per_host_in_srv_order() {
    assert_eq!(
        run(&dual_stack_zone(), "sip:example.test;transport=tcp"),
        Ok(vec![
            p(Tcp, "127.0.0.61:5060"),
            p(Tcp, "[::1]:5060"),
            p(Tcp, "[::1]:5070"),
        ])
    );
}

#[test]
fn ip_strategies() {
    let now = Instant::now();
    let cases = [
        (
            IpStrategy::Ipv6ThenIpv4,
            vec![
                p(Tcp, "[::1]:5060"),
                p(Tcp, "127.0.0.61:5060"),
                p(Tcp, "[::1]:5070"),
            ],
        ),
        (
            IpStrategy::Ipv6Only,
            vec![p(Tcp, "[::1]:5060"), p(Tcp, "[::1]:5070")],
        ),
        (IpStrategy::Ipv4Only, vec![p(Tcp, "127.0.0.61:5060")]),
    ];
    for (ip_strategy, want) in cases {
        let dns = dual_stack_zone();
        let config = Config {
            ip_strategy,
            ..Config::default()
        };
        let got = run_with(
            &dns,
            &mut locator_with(config),
            "sip:example.test;transport=tcp",
            now,
        );
        assert_eq!(got, Ok(want), "{ip_strategy:?}");
        if ip_strategy == IpStrategy::Ipv4Only {
            assert!(!dns.was_asked("h1.example.test", RecordType::Aaaa));
        }
    }
}

// ---- errors ----

#[test]
fn nothing_found_and_lookup_failures() {
    assert_eq!(
        run(&StaticDns::new(), "sip:nowhere.test"),
        Err(ResolveError::NotFound("nowhere.test".into()))
    );
    let timeout = Answer::Failed(LookupError::Timeout);
    let dns = StaticDns::new()
        .set(Query::new("example.test", RecordType::A), timeout.clone())
        .set(
            Query::new("example.test", RecordType::Aaaa),
            timeout.clone(),
        );
    assert_eq!(
        run(&dns, "sip:example.test:5060"),
        Err(ResolveError::Lookup {
            domain: "example.test".into(),
            error: LookupError::Timeout
        })
    );
    // A failing NAPTR (common with broken middleboxes) still falls back to SRV and addresses.
    let dns = StaticDns::new()
        .set(Query::new("example.test", RecordType::Naptr), timeout)
        .a("example.test", v4(70));
    assert_eq!(
        run(&dns, "sip:example.test"),
        Ok(vec![p(Udp, "127.0.0.70:5060")])
    );
}

#[test]
fn answer_of_the_wrong_type_counts_as_failure() {
    let dns = StaticDns::new().set(
        Query::new("example.test", RecordType::A),
        Answer::records(
            RecordSet::Aaaa(vec![Ipv6Addr::LOCALHOST]),
            Duration::from_secs(60),
        ),
    );
    let mut loc = locator();
    let got = run_with(&dns, &mut loc, "sip:example.test:5060", Instant::now());
    assert!(matches!(got, Err(ResolveError::Lookup { .. })), "{got:?}");
    assert!(
        loc.cache()
            .get(&Query::new("example.test", RecordType::A), Instant::now())
            .is_none()
    );
}

#[test]
fn resolution_ignores_unasked_answers_and_repeats_done() {
    let mut loc = locator();
    let uri = Uri::parse("sip:example.test:5060").expect("parses");
    let mut res = loc.start(&uri).expect("starts");
    let now = Instant::now();
    assert_eq!(res.domain(), "example.test");
    let Output::Query(a) = res.poll_output(&mut loc, now) else {
        panic!("expected a query")
    };
    let Output::Query(aaaa) = res.poll_output(&mut loc, now) else {
        panic!("expected a query")
    };
    assert_eq!(res.poll_output(&mut loc, now), Output::Wait);
    let stray = Query::new("stray.test", RecordType::A);
    let rec = Answer::records(RecordSet::A(vec![v4(1)]), Duration::from_secs(9));
    res.handle_answer(&mut loc, &stray, rec.clone(), now);
    assert!(loc.cache().is_empty());
    res.handle_answer(&mut loc, &a, rec, now);
    assert_eq!(res.poll_output(&mut loc, now), Output::Wait);
    res.handle_answer(
        &mut loc,
        &aaaa,
        Answer::NotFound { negative_ttl: None },
        now,
    );
    let done = res.poll_output(&mut loc, now);
    assert!(matches!(&done, Output::Done(Ok(t)) if t.len() == 1));
    assert!(res.is_done());
    assert_eq!(res.poll_output(&mut loc, now), done);
}
