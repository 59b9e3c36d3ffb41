//! SDP offer/answer (RFC 3264): any description that parses is answered by several answerers,
//! and every answer must follow the rules of RFC 3264 §6 that `create_answer` documents, print
//! and parse back to itself, and agree with `negotiated_codecs` and the hold helpers. The
//! answer is then answered in turn, as a re-offer would be.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sdp::offer_answer::{
    Codec, LocalCapabilities, MediaCapability, NegotiationError, create_answer,
    effective_direction, is_legacy_hold, is_on_hold, negotiated_codecs, offered_codecs,
    resolve_payload_type,
};
use sdp::{Attributes, Connection, Direction, MediaDescription, Origin, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    for local in answerers() {
        let answer = check_answer(&offer, local);
        // The answer as a re-offer: the same rules hold when it is answered.
        check_answer(&answer, local);
    }
    check_hold_helpers(&offer);
});

/// Answers `offer` with `local`, checks every rule, and returns the answer as reparsed.
fn check_answer(offer: &SessionDescription, local: &LocalCapabilities) -> SessionDescription {
    let answer = create_answer(offer, local);
    let printed = answer.to_bytes();
    let ctx = || String::from_utf8_lossy(&printed).into_owned();
    let again = match SessionDescription::parse(&printed) {
        Ok(s) => s,
        Err(e) => panic!("printed answer does not parse: {e}\nanswer: {:?}", ctx()),
    };
    assert_eq!(
        again,
        answer,
        "reparsed answer differs\nanswer: {:?}",
        ctx()
    );
    assert_eq!(
        again.to_bytes(),
        printed,
        "printing the answer is no fixed point"
    );

    assert_eq!(
        again.media.len(),
        offer.media.len(),
        "RFC 3264 §6: one m= line per offered one\nanswer: {:?}",
        ctx()
    );
    assert_eq!(
        again.origin, local.origin,
        "the answer's o= is the local one"
    );
    if !offer.times.is_empty() {
        assert_eq!(
            again.times, offer.times,
            "RFC 3264 §6: t= copied from the offer"
        );
    }
    for (i, (o, a)) in offer.media.iter().zip(&again.media).enumerate() {
        check_stream(offer, o, a, local)
            .unwrap_or_else(|why| panic!("m= line {i}: {why}\nanswer: {:?}", ctx()));
    }
    check_negotiation(offer, &again, &ctx);
    again
}

/// The first capability that takes the offered media type and proto, as documented.
fn capability_for<'a>(
    local: &'a LocalCapabilities,
    offered: &MediaDescription,
) -> Option<&'a MediaCapability> {
    local.media.iter().find(|c| {
        c.media.eq_ignore_ascii_case(&offered.media)
            && (c.protos.is_empty()
                || c.protos
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&offered.proto)))
    })
}

fn check_stream(
    session: &SessionDescription,
    offered: &MediaDescription,
    answered: &MediaDescription,
    local: &LocalCapabilities,
) -> Result<(), String> {
    if answered.media != offered.media || answered.proto != offered.proto {
        return Err(format!(
            "media/proto changed: {} {} -> {} {}",
            offered.media, offered.proto, answered.media, answered.proto
        ));
    }
    if answered.mid() != offered.mid() {
        return Err(format!(
            "mid {:?} echoed as {:?}",
            offered.mid(),
            answered.mid()
        ));
    }
    let cap = capability_for(local, offered);
    if answered.port == 0 {
        // Rejected: exactly one format, no direction, nothing negotiated.
        if answered.formats.len() != 1 {
            return Err(format!(
                "rejected stream has formats {:?}",
                answered.formats
            ));
        }
        if answered.direction().is_some() {
            return Err("rejected stream carries a direction".into());
        }
        return Ok(());
    }
    if offered.port == 0 {
        return Err("a stream offered with port 0 was accepted".into());
    }
    let Some(cap) = cap else {
        return Err("accepted with no capability for its media type and proto".into());
    };
    if answered.port != cap.port {
        return Err(format!(
            "port {} is not the capability's {}",
            answered.port, cap.port
        ));
    }
    if offered.is_rtp() {
        check_rtp_stream(session, offered, answered, cap)?;
    } else {
        for f in &answered.formats {
            if !offered.formats.contains(f) {
                return Err(format!("format {f:?} was not offered"));
            }
            if !cap
                .codecs
                .iter()
                .any(|c| c.encoding_name.eq_ignore_ascii_case(f))
            {
                return Err(format!("format {f:?} is not supported locally"));
            }
        }
        if answered.formats.is_empty() {
            return Err("accepted non-RTP stream without formats".into());
        }
    }
    Ok(())
}

fn check_rtp_stream(
    session: &SessionDescription,
    offered: &MediaDescription,
    answered: &MediaDescription,
    cap: &MediaCapability,
) -> Result<(), String> {
    // Payload numbers are the offerer's, in its order (duplicates included).
    let offered_pts: Vec<u8> = offered.payload_types().collect();
    let answered_pts: Vec<u8> = answered.payload_types().collect();
    if answered_pts.len() != answered.formats.len() {
        return Err(format!("non-numeric RTP formats {:?}", answered.formats));
    }
    let mut rest = offered_pts.iter();
    if !answered_pts.iter().all(|pt| rest.any(|o| o == pt)) {
        return Err(format!(
            "payload types {answered_pts:?} not a subsequence of {offered_pts:?}"
        ));
    }
    let mut rates = Vec::new();
    let mut events = Vec::new();
    for &pt in &answered_pts {
        let Some(map) = answered.rtpmap(pt) else {
            return Err(format!("payload type {pt} has no a=rtpmap"));
        };
        if resolve_payload_type(offered, pt).as_ref() != Some(&map) {
            return Err(format!(
                "payload type {pt} is {map} but was offered as {:?}",
                resolve_payload_type(offered, pt)
            ));
        }
        if map.encoding_name.eq_ignore_ascii_case("telephone-event") {
            events.push(map.clock_rate);
            continue;
        }
        let Some(codec) = cap.codecs.iter().find(|c| c.matches(&map)) else {
            return Err(format!("codec {map} is not supported locally"));
        };
        let fmtp = answered.fmtp(&pt.to_string()).map(|f| f.params);
        if codec.fmtp.is_some() && fmtp.is_none() {
            return Err(format!("codec {map} lost its local a=fmtp"));
        }
        rates.push(map.clock_rate);
    }
    if rates.is_empty() {
        return Err("accepted RTP stream has no codec besides telephone-event".into());
    }
    if !events.is_empty() && !cap.telephone_event {
        return Err("telephone-event accepted without the capability".into());
    }
    if let Some(rate) = events.iter().find(|r| !rates.contains(r)) {
        return Err(format!(
            "telephone-event/{rate} has no codec at its clock rate"
        ));
    }
    if answered.rtcp_mux() && !(cap.rtcp_mux && offered.rtcp_mux()) {
        return Err("a=rtcp-mux answered without being offered and supported".into());
    }
    if cap.rtcp_mux && offered.rtcp_mux() && !answered.rtcp_mux() {
        return Err("offered and supported a=rtcp-mux not answered".into());
    }
    // RFC 3264 §6.1, written out again here rather than calling `answer_direction`.
    let Some(dir) = answered.direction() else {
        return Err("accepted RTP stream without a direction attribute".into());
    };
    let offered_dir = effective_direction(session, offered);
    let offerer_receives = offered_dir.receives() && !is_legacy_hold(session, offered);
    let expected = (
        offerer_receives && cap.direction.sends(),
        offered_dir.sends() && cap.direction.receives(),
    );
    if (dir.sends(), dir.receives()) != expected {
        return Err(format!(
            "direction {dir:?} for offered {offered_dir:?} (receives: {offerer_receives}) and local {:?}",
            cap.direction
        ));
    }
    if is_on_hold(session, offered) && dir.sends() {
        return Err("the answerer sends to an offerer that put the stream on hold".into());
    }
    Ok(())
}

fn check_negotiation(
    offer: &SessionDescription,
    answer: &SessionDescription,
    ctx: &dyn Fn() -> String,
) {
    let negotiated = match negotiated_codecs(offer, answer) {
        Ok(n) => n,
        Err(e) => panic!(
            "negotiated_codecs refuses a create_answer pair: {e}\nanswer: {:?}",
            ctx()
        ),
    };
    assert_eq!(negotiated.len(), offer.media.len());
    for (i, n) in negotiated.iter().enumerate() {
        let (o, a) = (&offer.media[i], &answer.media[i]);
        assert_eq!(n.index, i);
        assert_eq!(
            n.accepted,
            o.port != 0 && a.port != 0,
            "m= line {i} accepted flag"
        );
        assert_eq!(
            n.direction,
            effective_direction(answer, a),
            "m= line {i} direction"
        );
        if !n.accepted || !a.is_rtp() {
            assert!(
                n.codecs.is_empty(),
                "m= line {i}: codecs on a rejected or non-RTP stream"
            );
            continue;
        }
        // Every answered codec is a copy of an offered one, under the same number.
        let answered = offered_codecs(a);
        assert_eq!(
            n.codecs.len(),
            answered.len(),
            "m= line {i}: agreed {:?} of answered {answered:?}\nanswer: {:?}",
            n.codecs,
            ctx()
        );
        for c in &n.codecs {
            assert_eq!(
                c.offer_payload_type, c.answer_payload_type,
                "m= line {i}: {c:?} changed payload type"
            );
        }
    }
    if let Some(shorter) = answer.media.len().checked_sub(1) {
        let mut cut = answer.clone();
        cut.media.truncate(shorter);
        assert_eq!(
            negotiated_codecs(offer, &cut),
            Err(NegotiationError::MediaCountMismatch {
                offer: offer.media.len(),
                answer: shorter
            })
        );
    }
}

/// `is_on_hold` against its definition: not receiving, or `c=0.0.0.0` without ICE.
fn check_hold_helpers(sdp: &SessionDescription) {
    for m in &sdp.media {
        let dir = m
            .direction()
            .or(sdp.direction())
            .unwrap_or(Direction::SendRecv);
        assert_eq!(effective_direction(sdp, m), dir);
        let ice = m.ice_ufrag().is_some() || sdp.ice_ufrag().is_some();
        let zero = sdp.connection_for(m).is_some_and(|c| c.host() == "0.0.0.0");
        assert_eq!(is_legacy_hold(sdp, m), !ice && zero);
        assert_eq!(is_on_hold(sdp, m), !dir.receives() || (!ice && zero));
    }
}

/// The answering sides: each takes a different path through `create_answer`.
fn answerers() -> &'static [LocalCapabilities] {
    static LOCAL: OnceLock<Vec<LocalCapabilities>> = OnceLock::new();
    LOCAL.get_or_init(|| {
        vec![
            softphone(),
            announcer(),
            LocalCapabilities::new(Origin::new("0", 0, "::1"), Connection::new("::1")),
            picky_gateway(),
        ]
    })
}

/// Audio and video softphone that also takes T.38 fax.
fn softphone() -> LocalCapabilities {
    let mut local = LocalCapabilities::new(
        Origin::new("4242", 1, "127.0.0.1"),
        Connection::new("127.0.0.1"),
    );
    let mut audio = MediaCapability::new(
        "audio",
        40000,
        vec![
            Codec::new("opus", 48000)
                .with_channels(2)
                .with_fmtp("minptime=10;useinbandfec=1"),
            Codec::new("G722", 8000),
            Codec::new("PCMU", 8000),
            Codec::new("PCMA", 8000),
        ],
    )
    .with_telephone_event();
    audio.rtcp_mux = true;
    local.media.push(audio);
    let mut video = MediaCapability::new(
        "video",
        40002,
        vec![
            Codec::new("VP8", 90000),
            Codec::new("H264", 90000).with_fmtp("packetization-mode=1;profile-level-id=42e01f"),
        ],
    );
    video.protos = vec![
        "RTP/AVP".into(),
        "RTP/AVPF".into(),
        "UDP/TLS/RTP/SAVPF".into(),
    ];
    video.direction = Direction::RecvOnly;
    local.media.push(video);
    local.media.push(MediaCapability::new(
        "image",
        40004,
        vec![Codec::new("t38", 0)],
    ));
    local
}

/// A music-on-hold or announcement server: sends only, plain RTP/AVP, G.711 and wideband
/// L16 stereo, no telephone-event.
fn announcer() -> LocalCapabilities {
    let mut local = LocalCapabilities::new(
        Origin::new("18446744073709551615", u64::MAX, "192.0.2.9"),
        Connection::new("192.0.2.9"),
    );
    let mut audio = MediaCapability::new(
        "AUDIO",
        1,
        vec![
            Codec::new("pcma", 8000),
            Codec::new("L16", 44100).with_channels(2),
        ],
    );
    audio.protos = vec!["rtp/avp".into()];
    audio.direction = Direction::SendOnly;
    local.media.push(audio);
    local
}

/// A gateway that is inactive by policy, takes telephone-event and G.729 only, and whose first
/// audio capability is restricted to SRTP so that plain RTP falls to the second one.
fn picky_gateway() -> LocalCapabilities {
    let mut local = LocalCapabilities::new(
        Origin::new("gw", 7, "2001:db8::7"),
        Connection::new("2001:db8::7"),
    );
    local.session_name = "gateway".into();
    let mut srtp = MediaCapability::new(
        "audio",
        65535,
        vec![Codec::new("G729", 8000).with_fmtp("annexb=no")],
    )
    .with_telephone_event();
    srtp.protos = vec!["RTP/SAVP".into(), "RTP/SAVPF".into()];
    local.media.push(srtp);
    let mut plain = MediaCapability::new(
        "audio",
        5004,
        vec![
            Codec::new("G729", 8000),
            Codec::new("telephone-event", 16000),
        ],
    )
    .with_telephone_event();
    plain.direction = Direction::Inactive;
    plain.rtcp_mux = true;
    local.media.push(plain);
    local.media.push(MediaCapability::new(
        "application",
        5060,
        vec![Codec::new("webrtc-datachannel", 0), Codec::new("*", 0)],
    ));
    local
}
