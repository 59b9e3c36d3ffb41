//! SDP: whatever parses must print and parse back to an equal model, and answering it as an
//! offer must give one m= line per offered one and a description that prints and parses.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sdp::offer_answer::{
    Codec, LocalCapabilities, MediaCapability, create_answer, negotiated_codecs,
};
use sdp::{Attributes, Connection, Direction, Origin, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse(data) else {
        return;
    };
    touch(&offer);

    let printed = offer.to_bytes();
    let again = match SessionDescription::parse(&printed) {
        Ok(s) => s,
        Err(e) => panic!(
            "printed description does not parse: {e}\nprinted: {:?}",
            String::from_utf8_lossy(&printed)
        ),
    };
    check_same(&offer, &again, &printed);

    answer(&offer);
});

fn check_same(offer: &SessionDescription, again: &SessionDescription, printed: &[u8]) {
    assert_eq!(
        again,
        offer,
        "reparsed model differs\nprinted: {:?}",
        String::from_utf8_lossy(printed)
    );
    // Printing is a fixed point: the reparsed description prints the same bytes.
    assert_eq!(
        again.to_bytes(),
        printed,
        "printing the reparsed description changes it"
    );
}

fn answer(offer: &SessionDescription) {
    let answer = create_answer(offer, local());
    assert_eq!(
        answer.media.len(),
        offer.media.len(),
        "RFC 3264 §6: the answer needs one m= line per offered m= line"
    );
    let answer_printed = answer.to_bytes();
    let answer_again = match SessionDescription::parse(&answer_printed) {
        Ok(s) => s,
        Err(e) => panic!(
            "printed answer does not parse: {e}\nanswer: {:?}",
            String::from_utf8_lossy(&answer_printed)
        ),
    };
    assert_eq!(
        answer_again.media.len(),
        offer.media.len(),
        "reparsed answer lost m= lines\nanswer: {:?}",
        String::from_utf8_lossy(&answer_printed)
    );
    assert_eq!(
        answer_again,
        answer,
        "reparsed answer differs\nanswer: {:?}",
        String::from_utf8_lossy(&answer_printed)
    );
    let negotiated = negotiated_codecs(offer, &answer).expect("same number of m= lines");
    assert_eq!(negotiated.len(), offer.media.len());
}

/// The answering side: an audio and video softphone that also takes T.38 fax.
fn local() -> &'static LocalCapabilities {
    static LOCAL: OnceLock<LocalCapabilities> = OnceLock::new();
    LOCAL.get_or_init(|| {
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
    })
}

/// Runs the typed attribute helpers over every section.
fn touch(sdp: &SessionDescription) {
    touch_attributes(sdp);
    let _ = sdp.to_string();
    for m in &sdp.media {
        touch_attributes(m);
        let _ = m.is_rtp();
        let _ = m.is_rejected();
        let _ = sdp
            .connection_for(m)
            .map(|c| (c.host().len(), c.is_unspecified_ip4()));
        let _ = sdp::offer_answer::offered_codecs(m);
        let _ = sdp::offer_answer::effective_direction(sdp, m);
        let _ = sdp::offer_answer::is_on_hold(sdp, m);
        for pt in m.payload_types() {
            let _ = sdp::offer_answer::resolve_payload_type(m, pt);
        }
    }
    for t in &sdp.times {
        let _ = format!("{t:?}");
    }
    let mut bumped = sdp.clone();
    sdp::offer_answer::bump_session_version(&mut bumped);
}

fn touch_attributes(a: &impl Attributes) {
    let _ = a.direction();
    for map in a.rtpmaps() {
        let _ = map.to_attribute().to_string();
    }
    for fmtp in a.fmtps() {
        let _ = fmtp.parameters().count();
        let _ = fmtp.to_attribute().to_string();
    }
    let _ = a.ptime();
    let _ = a.maxptime();
    let _ = a.rtcp();
    let _ = a.rtcp_mux();
    let _ = a.mid();
    let _ = a.setup().map(|s| s.as_str());
    let _ = a.fingerprints();
    for c in a.cryptos() {
        let _ = c.inline_key();
    }
    let _ = a.ice_ufrag();
    let _ = a.ice_pwd();
    let _ = a.candidates().count();
}
