use super::*;

fn via(s: &str) -> Via<'_> {
    Via::decode(s).expect("valid Via")
}

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn udp(s: &str) -> Peer {
    Peer::udp(sa(s))
}

#[test]
fn forbidden_addresses_are_refused() {
    for a in [
        "255.255.255.255:5060",
        "224.0.0.1:5060",
        "0.0.0.0:5060",
        "[::]:5060",
        "[ff02::1]:5060",
        "[::ffff:224.0.0.1]:5060",
        "127.0.0.1:0",
    ] {
        assert!(check_destination(sa(a)).is_err(), "{a} must be refused");
    }
    assert!(check_destination(sa("127.0.0.1:5060")).is_ok());
    assert!(check_destination(sa("[::1]:5060")).is_ok());
}

#[test]
fn udp_without_rport_goes_to_received_and_sent_by_port() {
    let v = via("SIP/2.0/UDP pc33.example.com:5066;branch=z9hG4bK1;received=127.0.0.7");
    let t = response_target(&v, &udp("127.0.0.7:40000"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("127.0.0.7:5066")));
    // No port in sent-by: 5060.
    let v = via("SIP/2.0/UDP 127.0.0.7;branch=z9hG4bK1");
    let t = response_target(&v, &udp("127.0.0.7:40000"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("127.0.0.7:5060")));
}

#[test]
fn udp_with_rport_goes_to_source_port() {
    // Filled by add_received.
    let v = via("SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1;received=127.0.0.9;rport=40001");
    let t = response_target(&v, &udp("127.0.0.9:40001"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("127.0.0.9:40001")));
    // Still empty: the source port.
    let v = via("SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1;rport");
    let t = response_target(&v, &udp("127.0.0.9:40002"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("127.0.0.9:40002")));
}

#[test]
fn maddr_wins_over_received_and_rport() {
    let v = via("SIP/2.0/UDP h.example.com:5070;branch=z9hG4bK1;maddr=127.0.0.20;rport");
    let t = response_target(&v, &udp("127.0.0.9:40002"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("127.0.0.20:5070")));
    let v = via("SIP/2.0/UDP h.example.com;branch=z9hG4bK1;maddr=relay.example.com");
    let t = response_target(&v, &udp("127.0.0.9:40002"), None).expect("target");
    assert_eq!(
        t,
        ResponseTarget::Resolve {
            host: "relay.example.com".into(),
            port: 5060,
            transport: Transport::Udp
        }
    );
    // A multicast maddr is computed, then refused when sending.
    let v = via("SIP/2.0/UDP h;branch=z9hG4bK1;maddr=224.0.0.1");
    let ResponseTarget::Peer(p) = response_target(&v, &udp("127.0.0.9:1"), None).expect("t") else {
        panic!("expected a peer")
    };
    assert!(check_destination(p.addr).is_err());
}

#[test]
fn reliable_uses_connection_then_received_and_sent_by_port() {
    let id = ConnectionId(7);
    let src = Peer::tcp(sa("127.0.0.5:50123"));
    let v = via("SIP/2.0/TCP client.example.com:5062;branch=z9hG4bK1;received=127.0.0.5;rport");
    let t = response_target(&v, &src, Some(id)).expect("target");
    assert_eq!(
        t,
        ResponseTarget::Connection {
            id,
            fallback: Some(Peer::tcp(sa("127.0.0.5:5062")))
        }
    );
    // TLS without a port in sent-by falls back to 5061.
    let src = Peer::new(sa("127.0.0.5:50123"), Transport::Tls);
    let v = via("SIP/2.0/TLS client.example.com;branch=z9hG4bK1");
    let t = response_target(&v, &src, Some(id)).expect("target");
    assert_eq!(
        t,
        ResponseTarget::Connection {
            id,
            fallback: Some(Peer::new(sa("127.0.0.5:5061"), Transport::Tls))
        }
    );
    // WebSocket: the connection or nothing.
    let src = Peer::new(sa("127.0.0.5:50123"), Transport::Ws);
    let v = via("SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK1");
    let t = response_target(&v, &src, Some(id)).expect("target");
    assert_eq!(t, ResponseTarget::Connection { id, fallback: None });
    // A reliable request we hold no connection for: connect to received:sent-by.
    let src = Peer::tcp(sa("127.0.0.5:50123"));
    let v = via("SIP/2.0/TCP 127.0.0.5:5070;branch=z9hG4bK1");
    let t = response_target(&v, &src, None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(Peer::tcp(sa("127.0.0.5:5070"))));
}

#[test]
fn unknown_transport_is_an_error() {
    let v = via("SIP/2.0/FOO 127.0.0.1;branch=z9hG4bK1");
    assert_eq!(
        response_target(&v, &udp("127.0.0.1:1"), None),
        Err(RouteError::UnknownTransport("FOO".into()))
    );
}

#[test]
fn destination_from_target() {
    let id = ConnectionId(3);
    let fb = Peer::tcp(sa("127.0.0.1:5060"));
    let t = ResponseTarget::Connection {
        id,
        fallback: Some(fb),
    };
    let d = t.destination(None).expect("destination");
    assert_eq!(d.connection_id(), Some(id));
    assert_eq!(d.peer_addr(), Some(fb));
}

fn top_via(h: &Headers) -> String {
    String::from_utf8(h.get(HeaderName::Via).expect("via").to_vec()).expect("utf8")
}

fn headers_with_via(v: &str) -> Headers {
    let mut h = Headers::new();
    h.push(HeaderName::Via, v.to_owned());
    h.push(
        HeaderName::Via,
        "SIP/2.0/UDP second;branch=z9hG4bK2".to_owned(),
    );
    h
}

#[test]
fn received_added_when_sent_by_differs() {
    let mut h = headers_with_via("SIP/2.0/UDP bob.example.com:5060;branch=z9hG4bK1");
    assert_eq!(add_received(&mut h, sa("127.0.0.3:5060")), Ok(true));
    assert_eq!(
        top_via(&h),
        "SIP/2.0/UDP bob.example.com:5060;branch=z9hG4bK1;received=127.0.0.3"
    );
    assert_eq!(h.count(HeaderName::Via), 2);
}

#[test]
fn nothing_added_when_sent_by_matches_without_rport() {
    let mut h = headers_with_via("SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK1");
    assert_eq!(add_received(&mut h, sa("127.0.0.3:41000")), Ok(false));
    assert_eq!(top_via(&h), "SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK1");
}

#[test]
fn rport_filled_and_received_added_even_when_equal() {
    let mut h = headers_with_via("SIP/2.0/UDP 127.0.0.3:5060;rport;branch=z9hG4bK1");
    assert_eq!(add_received(&mut h, sa("127.0.0.3:41000")), Ok(true));
    assert_eq!(
        top_via(&h),
        "SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bK1;received=127.0.0.3;rport=41000"
    );
}

#[test]
fn only_the_first_element_of_a_combined_line_changes() {
    let mut h = Headers::new();
    h.push(
        HeaderName::Via,
        "SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport, SIP/2.0/UDP b;branch=z9hG4bK2".to_owned(),
    );
    assert_eq!(add_received(&mut h, sa("[::1]:41000")), Ok(true));
    assert_eq!(
        top_via(&h),
        "SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=::1;rport=41000, SIP/2.0/UDP b;branch=z9hG4bK2"
    );
    let v = via("SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=::1;rport=41000");
    let t = response_target(&v, &udp("[::1]:41000"), None).expect("target");
    assert_eq!(t, ResponseTarget::Peer(udp("[::1]:41000")));
}

#[test]
fn no_via_is_an_error() {
    let mut h = Headers::new();
    assert_eq!(
        add_received(&mut h, sa("127.0.0.1:1")),
        Err(RouteError::NoVia)
    );
}
