//! The session description data model.

use crate::attributes::{Attribute, Attributes};

/// Line terminator used when printing.
///
/// RFC 8866 mandates CRLF, but bare LF is accepted on input; the parser
/// records which one it saw so that printing reproduces the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEnding {
    /// `\r\n`, as the RFC requires.
    #[default]
    CrLf,
    /// A bare `\n`.
    Lf,
}

impl LineEnding {
    /// The terminator as a string.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::CrLf => "\r\n",
            LineEnding::Lf => "\n",
        }
    }
}

/// The kind of each line in the order it was read, so that printing can
/// reproduce out-of-order input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Version,
    Origin,
    Name,
    Info,
    Uri,
    Email,
    Phone,
    Connection,
    Bandwidth,
    Time,
    Zone,
    Key,
    Attribute,
    Unknown,
}

/// Presentation details recorded by the parser.
///
/// Equality deliberately ignores this: two descriptions with the same content
/// are equal even if one of them was read with lines out of order.
#[derive(Debug, Clone, Default, Eq)]
pub(crate) struct Layout {
    /// Line kinds in input order; empty means "print in canonical order".
    pub(crate) lines: Vec<LineKind>,
    /// `false` when the input's last line had no terminator.
    pub(crate) unterminated: bool,
}

impl PartialEq for Layout {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

/// A line that has no typed home: an unknown type letter (RFC 8866 §5 says
/// to ignore these), or a known type in a place where it cannot be stored,
/// such as a second `i=` or an `r=` that does not follow a `t=`.
///
/// Kept so that printing reproduces the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownLine {
    /// The type letter before `=`.
    pub kind: char,
    /// Everything after `=`, verbatim.
    pub value: String,
}

impl UnknownLine {
    /// Creates an unknown line `kind=value`.
    pub fn new(kind: char, value: impl Into<String>) -> Self {
        UnknownLine {
            kind,
            value: value.into(),
        }
    }
}

/// The `o=` line: who created the session and which version this is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Login of the originating user, or `-`.
    pub username: String,
    /// Session identifier; kept as a string because implementations use
    /// numbers wider than 64 bits and it is only ever compared.
    pub session_id: String,
    /// Version number, increased on every modified offer.
    pub session_version: u64,
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Address or host name of the originator.
    pub unicast_address: String,
}

impl Origin {
    /// Creates an origin with `-` as username, network type `IN` and an
    /// address type guessed from `address` (IP6 if it contains a colon).
    pub fn new(session_id: impl Into<String>, session_version: u64, address: &str) -> Self {
        Origin {
            username: "-".to_owned(),
            session_id: session_id.into(),
            session_version,
            net_type: "IN".to_owned(),
            addr_type: addr_type_for(address).to_owned(),
            unicast_address: address.to_owned(),
        }
    }

    /// Increments the session version, as required for a modified re-offer
    /// (RFC 3264 §8). Wraps rather than panicking at `u64::MAX`.
    pub fn bump_version(&mut self) {
        self.session_version = self.session_version.wrapping_add(1);
    }
}

/// The `c=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, normally `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The connection address, verbatim; multicast addresses keep their
    /// `/ttl/count` suffix here.
    pub address: String,
}

impl Connection {
    /// Creates an `IN` connection with the address type guessed from
    /// `address` (IP6 if it contains a colon).
    pub fn new(address: &str) -> Self {
        Connection {
            net_type: "IN".to_owned(),
            addr_type: addr_type_for(address).to_owned(),
            address: address.to_owned(),
        }
    }

    /// The address without any multicast `/ttl/count` suffix.
    pub fn host(&self) -> &str {
        self.address.split('/').next().unwrap_or(&self.address)
    }

    /// `true` for `0.0.0.0`, the RFC 2543 way of putting a stream on hold.
    pub fn is_unspecified_ip4(&self) -> bool {
        self.host() == "0.0.0.0"
    }
}

fn addr_type_for(address: &str) -> &'static str {
    if address.contains(':') { "IP6" } else { "IP4" }
}

/// A `b=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// Bandwidth type such as `AS`, `CT`, `TIAS`.
    pub bw_type: String,
    /// The value; its unit depends on the type (kbit/s for `AS`).
    pub bandwidth: u64,
}

impl Bandwidth {
    /// Creates a `b=` line.
    pub fn new(bw_type: impl Into<String>, bandwidth: u64) -> Self {
        Bandwidth {
            bw_type: bw_type.into(),
            bandwidth,
        }
    }
}

/// Unit suffix of a typed time (RFC 8866 §5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `d`
    Days,
    /// `h`
    Hours,
    /// `m`
    Minutes,
    /// `s`
    Seconds,
}

impl TimeUnit {
    /// Seconds in one unit.
    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Days => 86_400,
            TimeUnit::Hours => 3_600,
            TimeUnit::Minutes => 60,
            TimeUnit::Seconds => 1,
        }
    }

    /// The suffix letter.
    pub fn as_char(self) -> char {
        match self {
            TimeUnit::Days => 'd',
            TimeUnit::Hours => 'h',
            TimeUnit::Minutes => 'm',
            TimeUnit::Seconds => 's',
        }
    }
}

/// A time value with an optional unit, as used in `r=` and `z=` lines.
///
/// The unit is kept as written so that `1d` prints back as `1d` and not as
/// `86400`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypedTime {
    /// The number as written (may be negative in `z=` offsets).
    pub value: i64,
    /// The unit suffix; `None` means seconds without a suffix.
    pub unit: Option<TimeUnit>,
}

impl TypedTime {
    /// A value in plain seconds.
    pub fn seconds(value: i64) -> Self {
        TypedTime { value, unit: None }
    }

    /// The value converted to seconds (saturating).
    pub fn as_seconds(&self) -> i64 {
        self.value
            .saturating_mul(self.unit.map_or(1, TimeUnit::seconds))
    }
}

/// An `r=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepeatTime {
    /// How often the session repeats.
    pub interval: TypedTime,
    /// How long each repetition lasts.
    pub duration: TypedTime,
    /// Offsets of each repetition from the start time.
    pub offsets: Vec<TypedTime>,
}

/// A `t=` line with the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TimeDescription {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
    /// Repeat times attached to this `t=` line.
    pub repeats: Vec<RepeatTime>,
}

/// One adjustment pair of a `z=` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZoneAdjustment {
    /// NTP time at which the adjustment takes effect.
    pub time: u64,
    /// Offset applied from then on.
    pub offset: TypedTime,
}

/// A complete session description.
///
/// Parse with [`SessionDescription::parse`] and print with `Display`
/// (`to_string()`) or [`SessionDescription::to_bytes`]. A parsed description
/// remembers its line order and line ending, so well-formed input prints back
/// byte for byte; after structural changes (adding or removing lines) it is
/// printed in RFC 8866 order instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `v=`, always 0 in practice.
    pub version: u32,
    /// `o=`
    pub origin: Origin,
    /// `s=`, verbatim (may be a single space or, liberally, empty).
    pub session_name: String,
    /// `i=`
    pub information: Option<String>,
    /// `u=`
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` lines.
    pub times: Vec<TimeDescription>,
    /// The `z=` line's adjustments; empty when there is no `z=` line.
    pub time_zones: Vec<ZoneAdjustment>,
    /// `k=`, verbatim.
    pub key: Option<String>,
    /// Session-level `a=` lines in order.
    pub attributes: Vec<Attribute>,
    /// Session-level lines with no typed home, see [`UnknownLine`].
    pub unknown_lines: Vec<UnknownLine>,
    /// `m=` sections in order.
    pub media: Vec<MediaDescription>,
    /// Terminator used when printing.
    pub line_ending: LineEnding,
    pub(crate) layout: Layout,
}

impl SessionDescription {
    /// Creates a minimal description: `v=0`, the given origin and name, and
    /// one unbounded `t=0 0`.
    pub fn new(origin: Origin, session_name: impl Into<String>) -> Self {
        SessionDescription {
            version: 0,
            origin,
            session_name: session_name.into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![TimeDescription::default()],
            time_zones: Vec::new(),
            key: None,
            attributes: Vec::new(),
            unknown_lines: Vec::new(),
            media: Vec::new(),
            line_ending: LineEnding::CrLf,
            layout: Layout::default(),
        }
    }

    /// The connection that applies to `media`: its own first `c=` line, or
    /// the session-level one.
    pub fn connection_for<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }
}

impl Attributes for SessionDescription {
    fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    fn attributes_mut(&mut self) -> &mut Vec<Attribute> {
        &mut self.attributes
    }
}

/// An `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `application`, ...
    pub media: String,
    /// Transport port; 0 marks a rejected or disabled stream.
    pub port: u16,
    /// The `/<number of ports>` suffix, if present.
    pub port_count: Option<u16>,
    /// Transport protocol such as `RTP/AVP` or `UDP/TLS/RTP/SAVPF`.
    pub proto: String,
    /// Media formats; RTP payload type numbers for RTP protocols.
    pub formats: Vec<String>,
    /// `i=`
    pub information: Option<String>,
    /// `c=` lines (several are allowed at media level).
    pub connections: Vec<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=`, verbatim.
    pub key: Option<String>,
    /// `a=` lines in order.
    pub attributes: Vec<Attribute>,
    /// Lines with no typed home, see [`UnknownLine`].
    pub unknown_lines: Vec<UnknownLine>,
    pub(crate) layout: Layout,
}

impl MediaDescription {
    /// Creates an `m=` section with no other lines.
    pub fn new(
        media: impl Into<String>,
        port: u16,
        proto: impl Into<String>,
        formats: Vec<String>,
    ) -> Self {
        MediaDescription {
            media: media.into(),
            port,
            port_count: None,
            proto: proto.into(),
            formats,
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
            unknown_lines: Vec::new(),
            layout: Layout::default(),
        }
    }

    /// `true` when the port is 0, which marks a rejected or disabled stream.
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// `true` when the protocol carries RTP (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, ...).
    pub fn is_rtp(&self) -> bool {
        self.proto
            .split('/')
            .any(|part| part.eq_ignore_ascii_case("RTP"))
    }

    /// Formats that are RTP payload type numbers, in `m=` order; others are
    /// skipped.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }
}

impl Attributes for MediaDescription {
    fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    fn attributes_mut(&mut self) -> &mut Vec<Attribute> {
        &mut self.attributes
    }
}
