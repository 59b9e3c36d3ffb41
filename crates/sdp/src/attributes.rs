//! `a=` lines: the raw [`Attribute`], typed views of common attributes, and
//! the [`Attributes`] trait that gives session and media sections the same
//! look-up helpers.
//!
//! Attributes are always stored raw; typed helpers parse on demand and return
//! `None` for a malformed value, so an odd attribute never makes a whole
//! description unreadable.

use std::fmt;

/// One `a=` line: `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Text before the first `:`.
    pub name: String,
    /// Text after the first `:`, verbatim; `None` for a flag attribute
    /// such as `a=sendrecv` (as opposed to `a=foo:`, which has `Some("")`).
    pub value: Option<String>,
}

impl Attribute {
    /// A `name:value` attribute.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// A flag attribute with no value.
    pub fn flag(name: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            value: None,
        }
    }

    /// `true` if the name matches, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for Attribute {
    /// Prints what follows `a=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

/// Media direction attributes (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`, the default when none is given.
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Parses an attribute name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| name.eq_ignore_ascii_case(d.as_str()))
    }

    /// Builds a direction from whether this side sends and receives.
    pub fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether this side sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this side receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other side: sendonly becomes recvonly
    /// and vice versa.
    pub fn reversed(self) -> Self {
        Direction::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// RTP payload type number.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding_name: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters; the channel count for audio.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let (pt, rest) = value.trim().split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding_name = parts.next().filter(|s| !s.is_empty())?.to_owned();
        let clock_rate = parts.next()?.trim().parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.trim().parse().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(RtpMap {
            payload_type: pt.parse().ok()?,
            encoding_name,
            clock_rate,
            channels,
        })
    }

    /// The attribute for this mapping.
    pub fn to_attribute(&self) -> Attribute {
        Attribute::new("rtpmap", self.to_string())
    }
}

impl fmt::Display for RtpMap {
    /// Prints the attribute value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding_name, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// `a=fmtp:<format> <parameters>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format the parameters apply to (a payload type for RTP).
    pub format: String,
    /// The parameters, verbatim.
    pub params: String,
}

impl Fmtp {
    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let (format, params) = value.split_once(' ').unwrap_or((value, ""));
        if format.is_empty() {
            return None;
        }
        Some(Fmtp {
            format: format.to_owned(),
            params: params.trim_start().to_owned(),
        })
    }

    /// Splits `key=value;key2=value2` style parameters. A parameter without
    /// `=` (like telephone-event's `0-16`) yields `(param, None)`.
    pub fn parameters(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (p, None),
            })
    }

    /// The value of one `key=value` parameter (key compared
    /// case-insensitively).
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v)
    }

    /// The attribute for these parameters.
    pub fn to_attribute(&self) -> Attribute {
        Attribute::new("fmtp", self.to_string())
    }
}

impl fmt::Display for Fmtp {
    /// Prints the attribute value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format, self.params)
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// Network type, address type and address, if given.
    pub address: Option<(String, String, String)>,
}

impl Rtcp {
    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split_ascii_whitespace();
        let port = parts.next()?.parse().ok()?;
        let address = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => None,
            (Some(n), Some(a), Some(addr)) => Some((n.to_owned(), a.to_owned(), addr.to_owned())),
            _ => return None,
        };
        Some(Rtcp { port, address })
    }
}

/// `a=setup` roles (RFC 4145).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this side opens the connection.
    Active,
    /// `passive`: this side accepts the connection.
    Passive,
    /// `actpass`: either, the answerer decides.
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    /// Parses the attribute value (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        [
            Setup::Active,
            Setup::Passive,
            Setup::ActPass,
            Setup::HoldConn,
        ]
        .into_iter()
        .find(|s| value.eq_ignore_ascii_case(s.as_str()))
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }
}

/// `a=fingerprint:<hash function> <fingerprint>` (RFC 8122).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function name such as `sha-256`.
    pub hash_function: String,
    /// Colon-separated hex bytes, verbatim.
    pub fingerprint: String,
}

impl Fingerprint {
    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split_ascii_whitespace();
        let hash_function = parts.next()?.to_owned();
        let fingerprint = parts.next()?.to_owned();
        if parts.next().is_some() {
            return None;
        }
        Some(Fingerprint {
            hash_function,
            fingerprint,
        })
    }
}

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]`
/// (RFC 4568, SDES-SRTP).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Crypto {
    /// Identifies this line among several offered ones.
    pub tag: u32,
    /// Suite name such as `AES_CM_128_HMAC_SHA1_80`.
    pub suite: String,
    /// Key parameters (`inline:<key||salt>[|lifetime][|MKI:length]`,
    /// several separated by `;`), verbatim.
    pub key_params: String,
    /// Optional session parameters such as `KDR=1` or `UNENCRYPTED_SRTCP`.
    pub session_params: Vec<String>,
}

impl Crypto {
    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split_ascii_whitespace();
        let tag = parts.next()?.parse().ok()?;
        let suite = parts.next()?.to_owned();
        let key_params = parts.next()?.to_owned();
        Some(Crypto {
            tag,
            suite,
            key_params,
            session_params: parts.map(str::to_owned).collect(),
        })
    }

    /// The base64 key and salt of the first `inline:` key parameter.
    pub fn inline_key(&self) -> Option<&str> {
        let first = self.key_params.split(';').next()?;
        let (method, info) = first.split_once(':')?;
        if !method.eq_ignore_ascii_case("inline") {
            return None;
        }
        info.split('|').next()
    }
}

/// Attribute look-ups shared by [`SessionDescription`] and
/// [`MediaDescription`]; import it to call the helpers.
///
/// Names are compared ignoring ASCII case. Single-valued helpers use the
/// first matching line.
///
/// [`SessionDescription`]: crate::SessionDescription
/// [`MediaDescription`]: crate::MediaDescription
pub trait Attributes {
    /// The `a=` lines in order.
    fn attributes(&self) -> &[Attribute];

    /// The `a=` lines, for editing.
    fn attributes_mut(&mut self) -> &mut Vec<Attribute>;

    /// The first attribute named `name`.
    fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes().iter().find(|a| a.is(name))
    }

    /// The value of the first attribute named `name` (empty for a flag).
    fn attribute_value(&self, name: &str) -> Option<&str> {
        self.attribute(name)
            .map(|a| a.value.as_deref().unwrap_or(""))
    }

    /// The values of every attribute named `name`.
    fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.attributes()
            .iter()
            .filter(move |a| a.is(name))
            .map(|a| a.value.as_deref().unwrap_or(""))
    }

    /// Whether an attribute named `name` is present.
    fn has_attribute(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// Appends an attribute.
    fn push_attribute(&mut self, attribute: Attribute) {
        self.attributes_mut().push(attribute);
    }

    /// Removes every attribute named `name`; returns how many were removed.
    fn remove_attributes(&mut self, name: &str) -> usize {
        let attrs = self.attributes_mut();
        let before = attrs.len();
        attrs.retain(|a| !a.is(name));
        before - attrs.len()
    }

    /// The explicit direction attribute, if any.
    fn direction(&self) -> Option<Direction> {
        self.attributes()
            .iter()
            .find_map(|a| a.value.is_none().then(|| Direction::from_name(&a.name))?)
    }

    /// Replaces any direction attributes with `direction`, keeping the
    /// position of the first one (or appending).
    fn set_direction(&mut self, direction: Direction) {
        let attrs = self.attributes_mut();
        let is_dir = |a: &Attribute| a.value.is_none() && Direction::from_name(&a.name).is_some();
        let position = attrs.iter().position(is_dir);
        attrs.retain(|a| !is_dir(a));
        let new = Attribute::flag(direction.as_str());
        match position {
            Some(p) if p <= attrs.len() => attrs.insert(p, new),
            _ => attrs.push(new),
        }
    }

    /// Every well-formed `a=rtpmap`.
    fn rtpmaps(&self) -> Vec<RtpMap> {
        self.attribute_values("rtpmap")
            .filter_map(RtpMap::parse)
            .collect()
    }

    /// The `a=rtpmap` for one payload type.
    fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.attribute_values("rtpmap")
            .filter_map(RtpMap::parse)
            .find(|m| m.payload_type == payload_type)
    }

    /// Every well-formed `a=fmtp`.
    fn fmtps(&self) -> Vec<Fmtp> {
        self.attribute_values("fmtp")
            .filter_map(Fmtp::parse)
            .collect()
    }

    /// The `a=fmtp` for one format (a payload type number for RTP).
    fn fmtp(&self, format: &str) -> Option<Fmtp> {
        self.attribute_values("fmtp")
            .filter_map(Fmtp::parse)
            .find(|f| f.format == format)
    }

    /// `a=ptime` in milliseconds.
    fn ptime(&self) -> Option<u32> {
        self.attribute_value("ptime")?.trim().parse().ok()
    }

    /// `a=maxptime` in milliseconds.
    fn maxptime(&self) -> Option<u32> {
        self.attribute_value("maxptime")?.trim().parse().ok()
    }

    /// `a=rtcp`
    fn rtcp(&self) -> Option<Rtcp> {
        Rtcp::parse(self.attribute_value("rtcp")?)
    }

    /// Whether `a=rtcp-mux` is present.
    fn rtcp_mux(&self) -> bool {
        self.has_attribute("rtcp-mux")
    }

    /// `a=mid`
    fn mid(&self) -> Option<&str> {
        self.attribute_value("mid")
    }

    /// `a=setup`
    fn setup(&self) -> Option<Setup> {
        Setup::parse(self.attribute_value("setup")?)
    }

    /// The first well-formed `a=fingerprint`.
    fn fingerprint(&self) -> Option<Fingerprint> {
        self.fingerprints().into_iter().next()
    }

    /// Every well-formed `a=fingerprint`.
    fn fingerprints(&self) -> Vec<Fingerprint> {
        self.attribute_values("fingerprint")
            .filter_map(Fingerprint::parse)
            .collect()
    }

    /// Every well-formed `a=crypto`.
    fn cryptos(&self) -> Vec<Crypto> {
        self.attribute_values("crypto")
            .filter_map(Crypto::parse)
            .collect()
    }

    /// `a=ice-ufrag`, verbatim.
    fn ice_ufrag(&self) -> Option<&str> {
        self.attribute_value("ice-ufrag")
    }

    /// `a=ice-pwd`, verbatim.
    fn ice_pwd(&self) -> Option<&str> {
        self.attribute_value("ice-pwd")
    }

    /// Every `a=candidate` value, verbatim.
    fn candidates(&self) -> impl Iterator<Item = &str> {
        self.attribute_values("candidate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_parses_audio_with_channels_and_prints_back() {
        let m = RtpMap::parse("111 opus/48000/2");
        assert_eq!(
            m,
            Some(RtpMap {
                payload_type: 111,
                encoding_name: "opus".into(),
                clock_rate: 48000,
                channels: Some(2),
            })
        );
        assert_eq!(
            m.map(|m| m.to_string()).as_deref(),
            Some("111 opus/48000/2")
        );
    }

    #[test]
    fn rtpmap_rejects_missing_clock_rate_and_bad_payload_type() {
        assert_eq!(RtpMap::parse("0 PCMU"), None);
        assert_eq!(RtpMap::parse("300 PCMU/8000"), None);
        assert_eq!(RtpMap::parse("x PCMU/8000"), None);
        assert_eq!(RtpMap::parse(""), None);
    }

    #[test]
    fn fmtp_splits_parameters_and_flags() {
        let f = Fmtp::parse("111 minptime=10;useinbandfec=1").expect("valid fmtp");
        assert_eq!(f.format, "111");
        assert_eq!(f.parameter("useinbandfec"), Some("1"));
        assert_eq!(f.parameter("MINPTIME"), Some("10"));
        let te = Fmtp::parse("101 0-16").expect("valid fmtp");
        assert_eq!(te.parameters().collect::<Vec<_>>(), vec![("0-16", None)]);
    }

    #[test]
    fn direction_reversal_swaps_send_and_receive() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::RecvOnly.reversed(), Direction::SendOnly);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
        assert_eq!(Direction::SendRecv.reversed(), Direction::SendRecv);
    }

    #[test]
    fn crypto_parses_suite_key_and_session_params() {
        let c = Crypto::parse(
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 KDR=1",
        )
        .expect("valid crypto");
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, "AES_CM_128_HMAC_SHA1_80");
        assert_eq!(
            c.inline_key(),
            Some("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")
        );
        assert_eq!(c.session_params, vec!["KDR=1".to_owned()]);
    }

    #[test]
    fn rtcp_parses_port_with_and_without_address() {
        assert_eq!(
            Rtcp::parse("4001"),
            Some(Rtcp {
                port: 4001,
                address: None
            })
        );
        let r = Rtcp::parse("53020 IN IP4 126.16.64.4").expect("valid rtcp");
        assert_eq!(r.address.map(|a| a.2).as_deref(), Some("126.16.64.4"));
        assert_eq!(Rtcp::parse("53020 IN"), None);
    }

    #[test]
    fn setup_and_fingerprint_parse() {
        assert_eq!(Setup::parse("ACTPASS"), Some(Setup::ActPass));
        assert_eq!(Setup::parse("bogus"), None);
        let f = Fingerprint::parse("sha-256 AB:CD").expect("valid fingerprint");
        assert_eq!(f.hash_function, "sha-256");
        assert_eq!(Fingerprint::parse("sha-256"), None);
    }
}
