//! RFC 3264 offer/answer: building an answer from local capabilities,
//! direction and hold rules, payload type resolution, and reading the
//! negotiated codecs from an offer/answer pair.
//!
//! The answer covers media, codecs and direction. Transport details that
//! need local state (ICE candidates and credentials, DTLS fingerprint and
//! setup role, SDES keys, BUNDLE groups) are left for the caller to add to
//! the returned description.
//!
//! ```
//! use sdp::offer_answer::{create_answer, Codec, LocalCapabilities, MediaCapability};
//! use sdp::{Connection, Origin, SessionDescription};
//!
//! let offer = SessionDescription::parse(
//!     b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
//!       m=audio 5004 RTP/AVP 0 8\r\n",
//! )?;
//! let mut local = LocalCapabilities::new(Origin::new("42", 1, "198.51.100.7"), Connection::new("198.51.100.7"));
//! local.media.push(MediaCapability::new("audio", 6000, vec![Codec::new("PCMA", 8000)]));
//! let answer = create_answer(&offer, &local);
//! assert!(answer.to_string().contains("m=audio 6000 RTP/AVP 8\r\n"));
//! # Ok::<(), sdp::ParseError>(())
//! ```

use crate::attributes::{Attribute, Attributes, Direction, Fmtp, RtpMap};
use crate::model::{Connection, MediaDescription, Origin, SessionDescription};

/// A codec this side can handle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// Encoding name, matched ignoring ASCII case.
    pub encoding_name: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channel count; `None` means one.
    pub channels: Option<u16>,
    /// Format parameters to put in the answer (`a=fmtp`), if any.
    pub fmtp: Option<String>,
}

impl Codec {
    /// A mono codec with no format parameters.
    pub fn new(encoding_name: impl Into<String>, clock_rate: u32) -> Self {
        Codec {
            encoding_name: encoding_name.into(),
            clock_rate,
            channels: None,
            fmtp: None,
        }
    }

    /// Sets the channel count.
    pub fn with_channels(mut self, channels: u16) -> Self {
        self.channels = Some(channels);
        self
    }

    /// Sets the format parameters sent in the answer.
    pub fn with_fmtp(mut self, fmtp: impl Into<String>) -> Self {
        self.fmtp = Some(fmtp.into());
        self
    }

    /// Whether an offered mapping is this codec: same name (ignoring case),
    /// clock rate and channel count (absent counts as one).
    pub fn matches(&self, offered: &RtpMap) -> bool {
        offered
            .encoding_name
            .eq_ignore_ascii_case(&self.encoding_name)
            && offered.clock_rate == self.clock_rate
            && offered.channels.unwrap_or(1) == self.channels.unwrap_or(1)
    }
}

/// What this side accepts for one media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaCapability {
    /// Media type such as `audio`, matched ignoring ASCII case.
    pub media: String,
    /// Local port put in the answer for every accepted stream of this type.
    pub port: u16,
    /// Accepted transport protocols (ignoring ASCII case); empty accepts any.
    pub protos: Vec<String>,
    /// Supported codecs in preference order. For non-RTP protocols the
    /// encoding name is matched against the `m=` format token instead
    /// (for example `t38` on `udptl`).
    pub codecs: Vec<Codec>,
    /// Accept RFC 4733 `telephone-event` at the clock rate of an accepted
    /// codec.
    pub telephone_event: bool,
    /// Answer `a=rtcp-mux` when it is offered.
    pub rtcp_mux: bool,
    /// Local direction preference; the answer never exceeds it.
    pub direction: Direction,
}

impl MediaCapability {
    /// A capability accepting any protocol, sendrecv, without
    /// telephone-event or rtcp-mux.
    pub fn new(media: impl Into<String>, port: u16, codecs: Vec<Codec>) -> Self {
        MediaCapability {
            media: media.into(),
            port,
            protos: Vec::new(),
            codecs,
            telephone_event: false,
            rtcp_mux: false,
            direction: Direction::SendRecv,
        }
    }

    /// Enables telephone-event.
    pub fn with_telephone_event(mut self) -> Self {
        self.telephone_event = true;
        self
    }

    fn accepts(&self, offered: &MediaDescription) -> bool {
        self.media.eq_ignore_ascii_case(&offered.media)
            && (self.protos.is_empty()
                || self
                    .protos
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&offered.proto)))
    }
}

/// Everything needed to answer an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCapabilities {
    /// The answer's `o=` line.
    pub origin: Origin,
    /// The answer's `s=` line.
    pub session_name: String,
    /// The answer's session-level `c=` line.
    pub connection: Option<Connection>,
    /// Supported media; the first one accepting an offered stream is used.
    pub media: Vec<MediaCapability>,
}

impl LocalCapabilities {
    /// Capabilities with session name `-` and no media yet.
    pub fn new(origin: Origin, connection: Connection) -> Self {
        LocalCapabilities {
            origin,
            session_name: "-".to_owned(),
            connection: Some(connection),
            media: Vec::new(),
        }
    }
}

/// Error from [`negotiated_codecs`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// RFC 3264 §6 requires the answer to have as many `m=` lines as the offer.
    #[error("offer has {offer} m= lines but answer has {answer}")]
    MediaCountMismatch {
        /// `m=` lines in the offer.
        offer: usize,
        /// `m=` lines in the answer.
        answer: usize,
    },
}

/// One codec both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NegotiatedCodec {
    /// Encoding name as the answer wrote it.
    pub encoding_name: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channel count, if given.
    pub channels: Option<u16>,
    /// Payload type in the offer (what the offerer expects to receive).
    pub offer_payload_type: u8,
    /// Payload type in the answer (what the answerer expects to receive).
    pub answer_payload_type: u8,
    /// The offer's `a=fmtp` parameters for it.
    pub offer_fmtp: Option<String>,
    /// The answer's `a=fmtp` parameters for it.
    pub answer_fmtp: Option<String>,
}

/// The outcome for one `m=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Position of the `m=` line.
    pub index: usize,
    /// Media type.
    pub media: String,
    /// `false` if either side set the port to 0.
    pub accepted: bool,
    /// Direction from the answerer's point of view.
    pub direction: Direction,
    /// Agreed codecs in the answer's order; empty if not accepted.
    pub codecs: Vec<NegotiatedCodec>,
}

/// The RFC 3551 static payload type table (audio and video).
pub fn static_payload_type(payload_type: u8) -> Option<RtpMap> {
    let (name, clock_rate, channels) = match payload_type {
        0 => ("PCMU", 8000, None),
        3 => ("GSM", 8000, None),
        4 => ("G723", 8000, None),
        5 => ("DVI4", 8000, None),
        6 => ("DVI4", 16000, None),
        7 => ("LPC", 8000, None),
        8 => ("PCMA", 8000, None),
        9 => ("G722", 8000, None),
        10 => ("L16", 44100, Some(2)),
        11 => ("L16", 44100, None),
        12 => ("QCELP", 8000, None),
        13 => ("CN", 8000, None),
        14 => ("MPA", 90000, None),
        15 => ("G728", 8000, None),
        16 => ("DVI4", 11025, None),
        17 => ("DVI4", 22050, None),
        18 => ("G729", 8000, None),
        25 => ("CelB", 90000, None),
        26 => ("JPEG", 90000, None),
        28 => ("nv", 90000, None),
        31 => ("H261", 90000, None),
        32 => ("MPV", 90000, None),
        33 => ("MP2T", 90000, None),
        34 => ("H263", 90000, None),
        _ => return None,
    };
    Some(RtpMap {
        payload_type,
        encoding_name: name.to_owned(),
        clock_rate,
        channels,
    })
}

/// What a payload type of `media` stands for: its `a=rtpmap` if present
/// (which may remap a static number), otherwise the RFC 3551 table.
/// Dynamic types without `a=rtpmap` are unknown.
pub fn resolve_payload_type(media: &MediaDescription, payload_type: u8) -> Option<RtpMap> {
    media
        .rtpmap(payload_type)
        .or_else(|| static_payload_type(payload_type))
}

/// The resolvable codecs of an RTP `m=` line in `m=` order.
pub fn offered_codecs(media: &MediaDescription) -> Vec<RtpMap> {
    media
        .payload_types()
        .filter_map(|pt| resolve_payload_type(media, pt))
        .collect()
}

/// The direction that applies to `media`: its own attribute, else the
/// session-level one, else sendrecv (RFC 3264 §5.1).
pub fn effective_direction(session: &SessionDescription, media: &MediaDescription) -> Direction {
    media
        .direction()
        .or_else(|| session.direction())
        .unwrap_or(Direction::SendRecv)
}

/// Whether `media` uses the RFC 2543 hold style: connection address
/// `0.0.0.0`.
///
/// Streams using ICE are never counted: trickle ICE offers (RFC 8840) use
/// `c=IN IP4 0.0.0.0` as a placeholder before any candidate is known.
pub fn is_legacy_hold(session: &SessionDescription, media: &MediaDescription) -> bool {
    let uses_ice = media.ice_ufrag().is_some() || session.ice_ufrag().is_some();
    !uses_ice
        && session
            .connection_for(media)
            .is_some_and(Connection::is_unspecified_ip4)
}

/// Whether the sender of this description has put `media` on hold: it does
/// not want to receive (sendonly or inactive), or it uses the legacy
/// `c=0.0.0.0` form.
pub fn is_on_hold(session: &SessionDescription, media: &MediaDescription) -> bool {
    !effective_direction(session, media).receives() || is_legacy_hold(session, media)
}

/// The answer's direction for an offered one (RFC 3264 §6.1): the answerer
/// sends only if the offerer receives, receives only if the offerer sends,
/// and never does more than `local` allows. So sendonly gets recvonly,
/// recvonly gets sendonly, inactive gets inactive, and sendrecv gets `local`.
pub fn answer_direction(offered: Direction, local: Direction) -> Direction {
    Direction::from_flags(
        offered.receives() && local.sends(),
        offered.sends() && local.receives(),
    )
}

/// Increments the `o=` session version, as a modified re-offer must.
pub fn bump_session_version(session: &mut SessionDescription) {
    session.origin.bump_version();
}

/// Builds the answer to `offer`.
///
/// Every offered `m=` line gets one in the answer, in order. A stream is
/// rejected (port 0, same media type and proto, the first offered format)
/// when it was offered with port 0, when no capability takes its media type
/// and proto, or when no codec is common. Accepted streams keep the
/// offerer's payload type numbers, in the offerer's order, with an
/// `a=rtpmap` for each and the local `a=fmtp` where given. `a=mid` is
/// echoed on every stream. The `t=` lines are copied from the offer, as
/// RFC 3264 §6 requires.
pub fn create_answer(offer: &SessionDescription, local: &LocalCapabilities) -> SessionDescription {
    let mut answer = SessionDescription::new(local.origin.clone(), local.session_name.clone());
    answer.connection = local.connection.clone();
    if !offer.times.is_empty() {
        answer.times = offer.times.clone();
    }
    answer.media = offer
        .media
        .iter()
        .map(|m| {
            let cap = local.media.iter().find(|c| c.accepts(m));
            match cap.filter(|_| m.port != 0) {
                Some(cap) if m.is_rtp() => answer_rtp(offer, m, cap),
                Some(cap) => answer_other(m, cap),
                None => None,
            }
            .unwrap_or_else(|| rejected(m))
        })
        .collect();
    answer
}

fn echo_mid(offered: &MediaDescription, answer: &mut MediaDescription) {
    if let Some(mid) = offered.mid() {
        answer.push_attribute(Attribute::new("mid", mid));
    }
}

fn rejected(offered: &MediaDescription) -> MediaDescription {
    let format = offered
        .formats
        .first()
        .cloned()
        .unwrap_or_else(|| "0".to_owned());
    let mut m = MediaDescription::new(
        offered.media.clone(),
        0,
        offered.proto.clone(),
        vec![format],
    );
    echo_mid(offered, &mut m);
    m
}

fn is_telephone_event(map: &RtpMap) -> bool {
    map.encoding_name.eq_ignore_ascii_case("telephone-event")
}

fn answer_rtp(
    session: &SessionDescription,
    offered: &MediaDescription,
    cap: &MediaCapability,
) -> Option<MediaDescription> {
    let codecs = offered_codecs(offered);
    let local_for = |map: &RtpMap| cap.codecs.iter().find(|c| c.matches(map));
    let accepted_rates: Vec<u32> = codecs
        .iter()
        .filter(|map| !is_telephone_event(map) && local_for(map).is_some())
        .map(|map| map.clock_rate)
        .collect();
    if accepted_rates.is_empty() {
        return None;
    }
    let mut m = MediaDescription::new(
        offered.media.clone(),
        cap.port,
        offered.proto.clone(),
        Vec::new(),
    );
    echo_mid(offered, &mut m);
    for map in &codecs {
        let fmtp = if is_telephone_event(map) {
            if !cap.telephone_event || !accepted_rates.contains(&map.clock_rate) {
                continue;
            }
            // Echoing the offered event list keeps to events both sides know.
            offered
                .fmtp(&map.payload_type.to_string())
                .map(|f| f.params)
        } else {
            match local_for(map) {
                Some(codec) => codec.fmtp.clone(),
                None => continue,
            }
        };
        m.formats.push(map.payload_type.to_string());
        m.push_attribute(map.to_attribute());
        if let Some(params) = fmtp {
            let fmtp = Fmtp {
                format: map.payload_type.to_string(),
                params,
            };
            m.push_attribute(fmtp.to_attribute());
        }
    }
    if cap.rtcp_mux && offered.rtcp_mux() {
        m.push_attribute(Attribute::flag("rtcp-mux"));
    }
    let mut offered_dir = effective_direction(session, offered);
    if is_legacy_hold(session, offered) {
        // A 0.0.0.0 offerer cannot be sent to, whatever its attribute says.
        offered_dir = Direction::from_flags(offered_dir.sends(), false);
    }
    m.set_direction(answer_direction(offered_dir, cap.direction));
    Some(m)
}

fn answer_other(offered: &MediaDescription, cap: &MediaCapability) -> Option<MediaDescription> {
    let formats: Vec<String> = offered
        .formats
        .iter()
        .filter(|f| {
            cap.codecs
                .iter()
                .any(|c| c.encoding_name.eq_ignore_ascii_case(f))
        })
        .cloned()
        .collect();
    if formats.is_empty() {
        return None;
    }
    let mut m = MediaDescription::new(
        offered.media.clone(),
        cap.port,
        offered.proto.clone(),
        formats,
    );
    echo_mid(offered, &mut m);
    Some(m)
}

fn same_codec(a: &RtpMap, b: &RtpMap) -> bool {
    a.encoding_name.eq_ignore_ascii_case(&b.encoding_name)
        && a.clock_rate == b.clock_rate
        && a.channels.unwrap_or(1) == b.channels.unwrap_or(1)
}

/// Reads the agreed codecs of every stream from an offer and its answer.
///
/// A codec is agreed when it appears in the answer and an equivalent one
/// (same name, clock rate and channels) appears in the offer, preferring the
/// offer's entry with the same payload type number.
pub fn negotiated_codecs(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Vec<NegotiatedMedia>, NegotiationError> {
    if offer.media.len() != answer.media.len() {
        return Err(NegotiationError::MediaCountMismatch {
            offer: offer.media.len(),
            answer: answer.media.len(),
        });
    }
    let streams = offer.media.iter().zip(&answer.media).enumerate();
    Ok(streams
        .map(|(index, (o, a))| {
            let accepted = o.port != 0 && a.port != 0;
            let codecs = if accepted && a.is_rtp() {
                agreed(o, a)
            } else {
                Vec::new()
            };
            NegotiatedMedia {
                index,
                media: a.media.clone(),
                accepted,
                direction: effective_direction(answer, a),
                codecs,
            }
        })
        .collect())
}

fn agreed(offered: &MediaDescription, answered: &MediaDescription) -> Vec<NegotiatedCodec> {
    let offer_codecs = offered_codecs(offered);
    offered_codecs(answered)
        .into_iter()
        .filter_map(|a| {
            let o = offer_codecs
                .iter()
                .filter(|o| same_codec(o, &a))
                .min_by_key(|o| o.payload_type != a.payload_type)?;
            Some(NegotiatedCodec {
                offer_fmtp: offered.fmtp(&o.payload_type.to_string()).map(|f| f.params),
                answer_fmtp: answered.fmtp(&a.payload_type.to_string()).map(|f| f.params),
                offer_payload_type: o.payload_type,
                answer_payload_type: a.payload_type,
                encoding_name: a.encoding_name,
                clock_rate: a.clock_rate,
                channels: a.channels,
            })
        })
        .collect()
}
