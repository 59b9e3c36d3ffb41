//! RFC 3264 answer rules, hold detection and negotiated codecs.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sdp::offer_answer::{
    Codec, LocalCapabilities, MediaCapability, NegotiationError, answer_direction,
    bump_session_version, create_answer, effective_direction, is_legacy_hold, is_on_hold,
    negotiated_codecs, offered_codecs, resolve_payload_type, static_payload_type,
};
use sdp::{Attributes, Connection, Direction, Origin, SessionDescription};

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text.as_bytes()).unwrap()
}

fn local(media: Vec<MediaCapability>) -> LocalCapabilities {
    let mut caps = LocalCapabilities::new(
        Origin::new("7000", 1, "198.51.100.50"),
        Connection::new("198.51.100.50"),
    );
    caps.media = media;
    caps
}

fn g711_phone() -> LocalCapabilities {
    local(vec![
        MediaCapability::new(
            "audio",
            20000,
            vec![Codec::new("PCMA", 8000), Codec::new("PCMU", 8000)],
        )
        .with_telephone_event(),
    ])
}

fn audio_offer(media_lines: &str) -> SessionDescription {
    parse(&crlf(&format!(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n{media_lines}"
    )))
}

#[test]
fn answer_keeps_offer_payload_types_in_offer_order() {
    let answer = create_answer(&parse(PJSIP_OFFER), &g711_phone());
    let audio = &answer.media[0];
    assert_eq!(audio.port, 20000);
    assert_eq!(audio.proto, "RTP/AVP");
    assert_eq!(audio.formats, ["0", "8", "101"]);
    assert_eq!(audio.rtpmap(0).unwrap().encoding_name, "PCMU");
    assert_eq!(audio.fmtp("101").unwrap().params, "0-16");
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
}

#[test]
fn answer_is_a_well_formed_description_that_round_trips() {
    let answer = create_answer(&parse(PJSIP_OFFER), &g711_phone());
    let printed = answer.to_string();
    assert_eq!(
        printed,
        "v=0\r\no=- 7000 1 IN IP4 198.51.100.50\r\ns=-\r\nc=IN IP4 198.51.100.50\r\nt=0 0\r\n\
         m=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"
    );
    assert_eq!(parse(&printed), answer);
}

#[test]
fn dynamic_payload_types_map_by_rtpmap_and_keep_offer_numbers() {
    let caps = local(vec![MediaCapability::new(
        "audio",
        20000,
        vec![
            Codec::new("OPUS", 48000)
                .with_channels(2)
                .with_fmtp("useinbandfec=1"),
        ],
    )]);
    let answer = create_answer(&parse(LINPHONE_OFFER), &caps);
    let audio = &answer.media[0];
    assert_eq!(audio.formats, ["96"]);
    assert_eq!(audio.rtpmap(96).unwrap().encoding_name, "opus");
    assert_eq!(audio.fmtp("96").unwrap().params, "useinbandfec=1");
}

#[test]
fn codec_match_needs_same_clock_rate_and_channels() {
    let caps = local(vec![MediaCapability::new(
        "audio",
        20000,
        vec![Codec::new("speex", 16000), Codec::new("opus", 48000)],
    )]);
    let answer = create_answer(&parse(LINPHONE_OFFER), &caps);
    // opus is offered as stereo, so only speex/16000 (97) matches.
    assert_eq!(answer.media[0].formats, ["97"]);
}

#[test]
fn static_payload_types_without_rtpmap_resolve_by_rfc3551() {
    let offer = audio_offer("m=audio 5000 RTP/AVP 18 9 0\n");
    let codecs = offered_codecs(&offer.media[0]);
    let names: Vec<_> = codecs.iter().map(|c| c.encoding_name.as_str()).collect();
    assert_eq!(names, ["G729", "G722", "PCMU"]);
    let caps = local(vec![MediaCapability::new(
        "audio",
        20000,
        vec![Codec::new("g722", 8000)],
    )]);
    assert_eq!(create_answer(&offer, &caps).media[0].formats, ["9"]);
}

#[test]
fn rtpmap_overrides_the_static_table_and_unknown_dynamic_types_are_skipped() {
    let offer = audio_offer("m=audio 5000 RTP/AVP 3 97 2\na=rtpmap:3 PCMA/8000\n");
    let m = &offer.media[0];
    assert_eq!(resolve_payload_type(m, 3).unwrap().encoding_name, "PCMA");
    assert_eq!(resolve_payload_type(m, 97), None);
    assert_eq!(resolve_payload_type(m, 2), None);
    assert_eq!(static_payload_type(8).unwrap().encoding_name, "PCMA");
    assert_eq!(static_payload_type(10).unwrap().channels, Some(2));
    assert_eq!(offered_codecs(m).len(), 1);
}

#[test]
fn telephone_event_is_accepted_only_at_an_accepted_codec_rate() {
    let caps = local(vec![
        MediaCapability::new(
            "audio",
            20000,
            vec![
                Codec::new("opus", 48000).with_channels(2),
                Codec::new("PCMU", 8000),
            ],
        )
        .with_telephone_event(),
    ]);
    let answer = create_answer(&parse(LINPHONE_OFFER), &caps);
    // 99 (16000) has no accepted codec at its rate.
    assert_eq!(answer.media[0].formats, ["96", "0", "101", "100"]);
}

#[test]
fn telephone_event_is_dropped_when_not_supported_locally() {
    let caps = local(vec![MediaCapability::new(
        "audio",
        20000,
        vec![Codec::new("PCMU", 8000)],
    )]);
    let answer = create_answer(&parse(PJSIP_OFFER), &caps);
    assert_eq!(answer.media[0].formats, ["0"]);
    assert_eq!(answer.media[0].rtpmap(101), None);
}

#[test]
fn no_common_codec_rejects_the_stream_with_port_zero() {
    let caps = local(vec![
        MediaCapability::new("audio", 20000, vec![Codec::new("G729", 8000)]).with_telephone_event(),
    ]);
    let answer = create_answer(&parse(PJSIP_OFFER), &caps);
    let audio = &answer.media[0];
    assert_eq!(audio.port, 0);
    assert_eq!(audio.media, "audio");
    assert_eq!(audio.proto, "RTP/AVP");
    assert_eq!(audio.formats, ["0"]);
    assert!(audio.attributes.is_empty());
}

#[test]
fn offered_port_zero_stays_rejected_in_same_position() {
    let caps = local(vec![
        MediaCapability::new("audio", 20000, vec![Codec::new("PCMU", 8000)]),
        MediaCapability::new("video", 20002, vec![Codec::new("H261", 90000)]),
    ]);
    let answer = create_answer(&parse(REJECTED_STREAM_OFFER), &caps);
    assert_eq!(answer.media.len(), 2);
    assert_eq!(answer.media[0].port, 20000);
    let video = &answer.media[1];
    assert_eq!(
        (video.media.as_str(), video.port, video.proto.as_str()),
        ("video", 0, "RTP/AVP")
    );
    assert_eq!(video.formats, ["31"]);
}

#[test]
fn unsupported_media_type_is_rejected_and_order_is_kept() {
    let answer = create_answer(&parse(WEBRTC_OFFER), &g711_phone());
    assert_eq!(answer.media.len(), 2);
    assert_eq!(answer.media[0].media, "audio");
    assert_eq!(answer.media[0].formats, ["0", "8", "126"]);
    assert_eq!(answer.media[0].mid(), Some("0"));
    let video = &answer.media[1];
    assert_eq!(video.media, "video");
    assert_eq!(video.port, 0);
    assert_eq!(video.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(video.formats, ["96"]);
    assert_eq!(video.mid(), Some("1"));
}

#[test]
fn unsupported_proto_is_rejected() {
    let mut caps = g711_phone();
    caps.media[0].protos = vec!["RTP/AVP".into()];
    let answer = create_answer(&parse(SDES_OFFER), &caps);
    assert_eq!(answer.media[0].port, 0);
    caps.media[0].protos.push("rtp/savp".into());
    assert_eq!(
        create_answer(&parse(SDES_OFFER), &caps).media[0].port,
        20000
    );
}

#[test]
fn rtcp_mux_is_answered_only_when_offered_and_supported() {
    let mut caps = g711_phone();
    assert!(!create_answer(&parse(WEBRTC_OFFER), &caps).media[0].rtcp_mux());
    caps.media[0].rtcp_mux = true;
    assert!(create_answer(&parse(WEBRTC_OFFER), &caps).media[0].rtcp_mux());
    assert!(!create_answer(&parse(PJSIP_OFFER), &caps).media[0].rtcp_mux());
}

#[test]
fn non_rtp_streams_match_formats_by_name() {
    let offer = audio_offer("m=image 6000 udptl t38\nm=image 6002 udptl other\n");
    let caps = local(vec![MediaCapability::new(
        "image",
        30000,
        vec![Codec::new("T38", 0)],
    )]);
    let answer = create_answer(&offer, &caps);
    assert_eq!(answer.media[0].port, 30000);
    assert_eq!(answer.media[0].formats, ["t38"]);
    assert_eq!(answer.media[1].port, 0);
}

#[test]
fn answer_copies_offer_time_lines() {
    let answer = create_answer(&parse(FULL_SESSION), &g711_phone());
    assert_eq!(answer.times, parse(FULL_SESSION).times);
}

#[test]
fn direction_rules_follow_rfc3264() {
    use Direction::*;
    assert_eq!(answer_direction(SendOnly, SendRecv), RecvOnly);
    assert_eq!(answer_direction(RecvOnly, SendRecv), SendOnly);
    assert_eq!(answer_direction(Inactive, SendRecv), Inactive);
    assert_eq!(answer_direction(SendRecv, SendRecv), SendRecv);
    assert_eq!(answer_direction(SendRecv, RecvOnly), RecvOnly);
    assert_eq!(answer_direction(SendRecv, Inactive), Inactive);
    assert_eq!(answer_direction(SendOnly, SendOnly), Inactive);
    assert_eq!(answer_direction(RecvOnly, RecvOnly), Inactive);
}

#[test]
fn sendonly_hold_offer_is_answered_recvonly() {
    let offer = parse(PJSIP_HOLD_REOFFER);
    assert!(is_on_hold(&offer, &offer.media[0]));
    let answer = create_answer(&offer, &g711_phone());
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));
}

#[test]
fn recvonly_and_inactive_offers_get_sendonly_and_inactive() {
    for (offered, expected) in [
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let offer = audio_offer(&format!("m=audio 5000 RTP/AVP 0\na={offered}\n"));
        let answer = create_answer(&offer, &g711_phone());
        assert_eq!(answer.media[0].direction(), Some(expected), "{offered}");
    }
}

#[test]
fn local_direction_preference_limits_a_sendrecv_offer() {
    let mut caps = g711_phone();
    caps.media[0].direction = Direction::RecvOnly;
    let answer = create_answer(&parse(PJSIP_OFFER), &caps);
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));
}

#[test]
fn session_level_direction_applies_when_media_has_none() {
    let offer = parse(&crlf(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=inactive\n\
         m=audio 5000 RTP/AVP 0\nm=audio 5002 RTP/AVP 0\na=sendonly\n",
    ));
    assert_eq!(
        effective_direction(&offer, &offer.media[0]),
        Direction::Inactive
    );
    assert_eq!(
        effective_direction(&offer, &offer.media[1]),
        Direction::SendOnly
    );
    let answer = create_answer(&offer, &g711_phone());
    assert_eq!(answer.media[0].direction(), Some(Direction::Inactive));
    assert_eq!(answer.media[1].direction(), Some(Direction::RecvOnly));
}

#[test]
fn legacy_zero_address_hold_is_detected_and_answered_without_sending() {
    let offer = parse(&crlf(
        "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5000 RTP/AVP 0\n",
    ));
    assert!(is_legacy_hold(&offer, &offer.media[0]));
    assert!(is_on_hold(&offer, &offer.media[0]));
    let answer = create_answer(&offer, &g711_phone());
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));
}

#[test]
fn trickle_ice_placeholder_address_is_not_hold() {
    let offer = parse(&crlf(
        "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\n\
         c=IN IP4 0.0.0.0\na=ice-ufrag:EsAw\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n\
         a=rtpmap:111 opus/48000/2\na=sendrecv\n",
    ));
    assert!(!is_legacy_hold(&offer, &offer.media[0]));
    assert!(!is_on_hold(&offer, &offer.media[0]));
}

#[test]
fn media_level_connection_overrides_session_level_for_hold() {
    let offer = parse(&crlf(
        "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\n\
         m=audio 5000 RTP/AVP 0\nc=IN IP4 192.0.2.1\n",
    ));
    assert!(!is_on_hold(&offer, &offer.media[0]));
}

#[test]
fn active_offers_are_not_on_hold() {
    for fixture in [PJSIP_OFFER, WEBRTC_OFFER, LINPHONE_OFFER] {
        let offer = parse(fixture);
        assert!(!is_on_hold(&offer, &offer.media[0]));
    }
    let offer = audio_offer("m=audio 5000 RTP/AVP 0\na=recvonly\n");
    assert!(!is_on_hold(&offer, &offer.media[0]));
}

#[test]
fn bumping_session_version_prepares_a_reoffer() {
    let mut offer = parse(PJSIP_OFFER);
    bump_session_version(&mut offer);
    offer.media[0].set_direction(Direction::SendOnly);
    assert_eq!(offer.to_string(), PJSIP_HOLD_REOFFER);
}

#[test]
fn negotiated_codecs_pair_offer_and_answer_payload_types() {
    let offer = parse(PJSIP_OFFER);
    let answer = parse(&crlf(
        "v=0\no=- 9 9 IN IP4 198.51.100.2\ns=-\nc=IN IP4 198.51.100.2\nt=0 0\n\
         m=audio 30000 RTP/AVP 8 96\na=rtpmap:96 telephone-event/8000\na=fmtp:96 0-15\na=recvonly\n",
    ));
    let result = negotiated_codecs(&offer, &answer).unwrap();
    assert_eq!(result.len(), 1);
    let stream = &result[0];
    assert!(stream.accepted);
    assert_eq!(stream.direction, Direction::RecvOnly);
    let summary: Vec<_> = stream
        .codecs
        .iter()
        .map(|c| {
            (
                c.encoding_name.as_str(),
                c.offer_payload_type,
                c.answer_payload_type,
            )
        })
        .collect();
    assert_eq!(summary, [("PCMA", 8, 8), ("telephone-event", 101, 96)]);
    assert_eq!(stream.codecs[1].offer_fmtp.as_deref(), Some("0-16"));
    assert_eq!(stream.codecs[1].answer_fmtp.as_deref(), Some("0-15"));
}

#[test]
fn negotiated_codecs_of_a_built_answer_match_what_was_chosen() {
    let offer = parse(WEBRTC_OFFER);
    let answer = create_answer(&offer, &g711_phone());
    let result = negotiated_codecs(&offer, &answer).unwrap();
    let audio: Vec<_> = result[0]
        .codecs
        .iter()
        .map(|c| c.offer_payload_type)
        .collect();
    assert_eq!(audio, [0, 8, 126]);
    assert!(!result[1].accepted);
    assert!(result[1].codecs.is_empty());
}

#[test]
fn negotiated_codecs_require_equal_media_counts() {
    let offer = parse(WEBRTC_OFFER);
    let mut answer = create_answer(&offer, &g711_phone());
    answer.media.pop();
    assert_eq!(
        negotiated_codecs(&offer, &answer),
        Err(NegotiationError::MediaCountMismatch {
            offer: 2,
            answer: 1
        })
    );
}

#[test]
fn empty_offer_gets_an_empty_answer() {
    let offer = parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n");
    let answer = create_answer(&offer, &g711_phone());
    assert!(answer.media.is_empty());
}
