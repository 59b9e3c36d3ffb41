//! Real-world offers print back byte for byte and parse to the expected
//! values.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sdp::{
    Attribute, Attributes, Direction, LineEnding, Rtcp, RtpMap, SessionDescription, Setup,
    TimeUnit, TypedTime, UnknownLine,
};

const ALL: [(&str, &str); 7] = [
    ("pjsip", PJSIP_OFFER),
    ("pjsip hold", PJSIP_HOLD_REOFFER),
    ("webrtc", WEBRTC_OFFER),
    ("linphone", LINPHONE_OFFER),
    ("rejected stream", REJECTED_STREAM_OFFER),
    ("full session", FULL_SESSION),
    ("sdes", SDES_OFFER),
];

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text.as_bytes()).unwrap()
}

#[test]
fn every_fixture_round_trips_exactly_with_crlf() {
    for (name, fixture) in ALL {
        let wire = crlf(fixture);
        let sdp = parse(&wire);
        assert_eq!(sdp.line_ending, LineEnding::CrLf, "{name}");
        assert_eq!(sdp.to_string(), wire, "{name}");
        assert_eq!(sdp.to_bytes(), wire.as_bytes(), "{name}");
    }
}

#[test]
fn every_fixture_round_trips_exactly_with_bare_lf() {
    for (name, fixture) in ALL {
        let sdp = parse(fixture);
        assert_eq!(sdp.line_ending, LineEnding::Lf, "{name}");
        assert_eq!(sdp.to_string(), fixture, "{name}");
    }
}

#[test]
fn crlf_and_lf_versions_have_equal_content_apart_from_line_ending() {
    for (name, fixture) in ALL {
        let mut lf = parse(fixture);
        lf.line_ending = LineEnding::CrLf;
        assert_eq!(lf, parse(&crlf(fixture)), "{name}");
    }
}

#[test]
fn parse_accepts_bytes_and_str_entry_points() {
    let wire = crlf(PJSIP_OFFER);
    let from_bytes = SessionDescription::try_from(bytes::Bytes::from(wire.clone())).unwrap();
    let from_str: SessionDescription = wire.parse().unwrap();
    assert_eq!(from_bytes, from_str);
}

#[test]
fn pjsip_offer_exposes_origin_codecs_and_rtcp() {
    let sdp = parse(&crlf(PJSIP_OFFER));
    assert_eq!(sdp.version, 0);
    assert_eq!(sdp.origin.username, "-");
    assert_eq!(sdp.origin.session_id, "3914409183");
    assert_eq!(sdp.origin.session_version, 3914409183);
    assert_eq!(sdp.origin.unicast_address, "192.0.2.20");
    assert_eq!(sdp.session_name, "pjmedia");
    assert_eq!(sdp.bandwidths[0].bw_type, "AS");
    assert_eq!(sdp.bandwidths[0].bandwidth, 84);
    assert_eq!(sdp.attribute_value("X-nat"), Some("0"));

    let audio = &sdp.media[0];
    assert_eq!(audio.media, "audio");
    assert_eq!(audio.port, 4000);
    assert_eq!(audio.proto, "RTP/AVP");
    assert_eq!(audio.formats, ["0", "8", "101"]);
    assert_eq!(audio.payload_types().collect::<Vec<_>>(), [0, 8, 101]);
    assert_eq!(audio.connections[0].address, "192.0.2.20");
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    assert_eq!(
        audio.rtpmap(101),
        Some(RtpMap {
            payload_type: 101,
            encoding_name: "telephone-event".into(),
            clock_rate: 8000,
            channels: None
        })
    );
    assert_eq!(audio.fmtp("101").unwrap().params, "0-16");
    assert_eq!(
        audio.rtcp(),
        Some(Rtcp {
            port: 4001,
            address: Some(("IN".into(), "IP4".into(), "192.0.2.20".into()))
        })
    );
    assert_eq!(audio.rtpmaps().len(), 3);
}

#[test]
fn webrtc_offer_exposes_bundle_ice_dtls_and_both_streams() {
    let sdp = parse(&crlf(WEBRTC_OFFER));
    assert_eq!(sdp.origin.session_id, "4611731400430051336");
    assert_eq!(sdp.attribute_value("group"), Some("BUNDLE 0 1"));
    // The space after the colon is part of the value and must survive.
    assert_eq!(sdp.attribute_value("msid-semantic"), Some(" WMS stream1"));
    assert_eq!(sdp.media.len(), 2);

    let audio = &sdp.media[0];
    assert_eq!(audio.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(audio.mid(), Some("0"));
    assert_eq!(audio.ice_ufrag(), Some("EsAw"));
    assert_eq!(audio.ice_pwd(), Some("P2uYro0UCOQ4zxjKXaWCBui1"));
    assert_eq!(audio.candidates().count(), 2);
    assert!(audio.candidates().nth(1).unwrap().contains("typ srflx"));
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    assert!(audio.rtcp_mux());
    let fp = audio.fingerprint().unwrap();
    assert_eq!(fp.hash_function, "sha-256");
    assert!(fp.fingerprint.starts_with("D2:FA:0E"));
    let opus = audio.rtpmap(111).unwrap();
    assert_eq!(
        (opus.encoding_name.as_str(), opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    assert_eq!(
        audio.fmtp("111").unwrap().parameter("useinbandfec"),
        Some("1")
    );

    let video = &sdp.media[1];
    assert_eq!(video.media, "video");
    assert_eq!(video.mid(), Some("1"));
    assert_eq!(video.formats, ["96", "97", "102", "103"]);
    assert_eq!(
        video.fmtp("102").unwrap().parameter("profile-level-id"),
        Some("42001f")
    );
    assert_eq!(video.attribute_values("rtcp-fb").count(), 3);
}

#[test]
fn linphone_offer_exposes_session_attributes_and_fmtp() {
    let sdp = parse(&crlf(LINPHONE_OFFER));
    assert_eq!(sdp.origin.username, "alice");
    assert_eq!(sdp.origin.session_version, 3314);
    assert_eq!(sdp.connection.as_ref().unwrap().address, "192.0.2.33");
    assert_eq!(
        sdp.attribute("rtcp-xr"),
        Some(&Attribute::new(
            "rtcp-xr",
            "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics"
        ))
    );
    let audio = &sdp.media[0];
    assert_eq!(audio.rtpmap(96).unwrap().encoding_name, "opus");
    assert_eq!(audio.fmtp("18").unwrap().parameter("annexb"), Some("yes"));
    assert_eq!(audio.rtpmap(18), None);
    assert_eq!(audio.direction(), None);
    assert_eq!(audio.fmtps().len(), 4);
}

#[test]
fn hold_reoffer_is_sendonly_with_bumped_version() {
    let before = parse(PJSIP_OFFER);
    let hold = parse(PJSIP_HOLD_REOFFER);
    assert_eq!(
        hold.origin.session_version,
        before.origin.session_version + 1
    );
    assert_eq!(hold.media[0].direction(), Some(Direction::SendOnly));
}

#[test]
fn rejected_stream_keeps_port_zero_and_format() {
    let sdp = parse(REJECTED_STREAM_OFFER);
    let video = &sdp.media[1];
    assert!(video.is_rejected());
    assert_eq!(video.formats, ["31"]);
    let audio = &sdp.media[0];
    assert_eq!(audio.ptime(), Some(20));
    assert_eq!(audio.maxptime(), Some(40));
}

#[test]
fn full_session_exposes_optional_lines_times_and_zones() {
    let sdp = parse(FULL_SESSION);
    assert_eq!(sdp.information.as_deref(), Some("SDP Offer #1"));
    assert_eq!(
        sdp.uri.as_deref(),
        Some("http://www.jdoe.example.com/home.html")
    );
    assert_eq!(sdp.emails.len(), 2);
    assert_eq!(sdp.phones, ["+1 617 555-6011"]);
    assert_eq!(sdp.bandwidths[0].bw_type, "CT");
    assert_eq!(sdp.times.len(), 2);
    let first = &sdp.times[0];
    assert_eq!((first.start, first.stop), (3724394400, 3724398000));
    assert_eq!(first.repeats.len(), 2);
    assert_eq!(first.repeats[0].interval, TypedTime::seconds(604800));
    let weekly = &first.repeats[1];
    assert_eq!(weekly.interval.unit, Some(TimeUnit::Days));
    assert_eq!(weekly.interval.as_seconds(), 604800);
    assert_eq!(weekly.offsets[1].as_seconds(), 90000);
    assert!(sdp.times[1].repeats.is_empty());
    assert_eq!(sdp.time_zones.len(), 2);
    assert_eq!(sdp.time_zones[0].offset.as_seconds(), -3600);
    assert_eq!(sdp.key.as_deref(), Some("prompt"));
    assert_eq!(sdp.direction(), Some(Direction::RecvOnly));

    assert_eq!(sdp.media[0].information.as_deref(), Some("voice"));
    let video = &sdp.media[2];
    assert_eq!(video.port_count, Some(2));
    assert_eq!(video.connections.len(), 2);
    assert_eq!(video.connections[1].addr_type, "IP6");
    assert_eq!(video.bandwidths[0].bandwidth, 512);
    assert_eq!(video.key.as_deref(), Some("clear:secret"));
}

#[test]
fn sdes_offer_exposes_crypto_lines() {
    let sdp = parse(&crlf(SDES_OFFER));
    let cryptos = sdp.media[0].cryptos();
    assert_eq!(cryptos.len(), 2);
    assert_eq!(cryptos[0].tag, 1);
    assert_eq!(cryptos[0].suite, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(
        cryptos[0].inline_key(),
        Some("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")
    );
    assert_eq!(cryptos[1].session_params, ["KDR=1", "UNENCRYPTED_SRTCP"]);
}

#[test]
fn unknown_line_types_are_kept_in_place() {
    let wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nx=session extension\r\nt=0 0\r\n\
                m=video 6000 RTP/AVP 96\r\ny=0100000001\r\na=rtpmap:96 PS/90000\r\nf=v/2/5/25/1/4000a/1/8/1\r\n";
    let sdp = parse(wire);
    assert_eq!(
        sdp.unknown_lines,
        [UnknownLine::new('x', "session extension")]
    );
    assert_eq!(
        sdp.media[0].unknown_lines,
        [
            UnknownLine::new('y', "0100000001"),
            UnknownLine::new('f', "v/2/5/25/1/4000a/1/8/1")
        ]
    );
    assert_eq!(sdp.to_string(), wire);
}

#[test]
fn out_of_order_lines_are_accepted_and_printed_in_input_order() {
    let wire = "v=0\r\ns=-\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\na=tool:x\r\nb=AS:64\r\n\
                m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\nc=IN IP4 192.0.2.2\r\nb=AS:64\r\ni=late info\r\n";
    let sdp = parse(wire);
    assert_eq!(sdp.connection.as_ref().unwrap().address, "192.0.2.1");
    assert_eq!(sdp.media[0].information.as_deref(), Some("late info"));
    assert_eq!(sdp.to_string(), wire);
}

#[test]
fn a_repeat_line_not_following_a_time_line_is_kept_as_unknown() {
    let wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=x\r\nr=7d 1h 0\r\n";
    let sdp = parse(wire);
    assert!(sdp.times[0].repeats.is_empty());
    assert_eq!(sdp.unknown_lines, [UnknownLine::new('r', "7d 1h 0")]);
    assert_eq!(sdp.to_string(), wire);
}

#[test]
fn second_single_valued_lines_are_kept_as_unknown() {
    let wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ni=one\r\ni=two\r\nc=IN IP4 192.0.2.1\r\n\
                c=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\ni=a\r\ni=b\r\nk=prompt\r\nk=clear:x\r\n";
    let sdp = parse(wire);
    assert_eq!(sdp.information.as_deref(), Some("one"));
    assert_eq!(sdp.unknown_lines.len(), 2);
    assert_eq!(sdp.media[0].unknown_lines.len(), 2);
    assert_eq!(sdp.to_string(), wire);
}

#[test]
fn missing_final_line_end_is_reproduced() {
    let wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0";
    assert_eq!(parse(wire).to_string(), wire);
}

#[test]
fn blank_lines_are_skipped() {
    let sdp = parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\r\ns=-\r\nt=0 0\r\n\r\n");
    assert_eq!(
        sdp.to_string(),
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
    );
}

#[test]
fn flag_and_empty_valued_attributes_stay_distinct() {
    let wire = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nt=0 0\r\na=flag\r\na=empty:\r\n";
    let sdp = parse(wire);
    assert_eq!(sdp.session_name, "");
    assert_eq!(sdp.attributes[0], Attribute::flag("flag"));
    assert_eq!(sdp.attributes[1], Attribute::new("empty", ""));
    assert_eq!(sdp.to_string(), wire);
}

#[test]
fn edited_description_prints_in_canonical_order() {
    // Input order is followed only while it still matches the content;
    // after adding a line the RFC order is used.
    let mut sdp = parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=x\r\nt=0 0\r\n");
    sdp.attributes.push(Attribute::flag("y"));
    assert_eq!(
        sdp.to_string(),
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=x\r\na=y\r\n"
    );
}

#[test]
fn attribute_edits_keep_direction_position() {
    let mut sdp = parse(&crlf(PJSIP_OFFER));
    sdp.media[0].set_direction(Direction::Inactive);
    sdp.origin.bump_version();
    let printed = sdp.to_string();
    assert!(printed.contains("a=rtcp:4001 IN IP4 192.0.2.20\r\na=inactive\r\na=rtpmap:0"));
    assert!(printed.contains("o=- 3914409183 3914409184 "));
    assert_eq!(sdp.media[0].remove_attributes("rtpmap"), 3);
}
