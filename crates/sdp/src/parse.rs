//! The parser: liberal about line order, line endings and unknown lines,
//! strict about the shape of the lines it models.

use std::str::FromStr;

use bytes::Bytes;

use crate::attributes::Attribute;
use crate::error::ParseError;
use crate::model::{
    Bandwidth, Connection, LineEnding, LineKind, MediaDescription, Origin, RepeatTime,
    SessionDescription, TimeDescription, TimeUnit, TypedTime, UnknownLine, ZoneAdjustment,
};

impl SessionDescription {
    /// Parses a session description.
    ///
    /// Accepts CRLF or bare LF line ends (the first one seen is remembered
    /// for printing), lines in any order, and unknown line types (kept as
    /// [`UnknownLine`]s). Blank lines are skipped. `v=`, `o=` and `s=` are
    /// required; a body without `t=` is accepted.
    pub fn parse(input: &[u8]) -> Result<Self, ParseError> {
        let mut parser = Parser::new();
        let mut rest = input;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let (raw, terminated) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let (line, tail) = rest.split_at(i);
                    rest = tail.get(1..).unwrap_or_default();
                    (line, true)
                }
                None => (std::mem::take(&mut rest), false),
            };
            let (raw, had_cr) = match raw.strip_suffix(b"\r") {
                Some(stripped) => (stripped, true),
                None => (raw, false),
            };
            if terminated && parser.line_ending.is_none() {
                parser.line_ending = Some(if had_cr {
                    LineEnding::CrLf
                } else {
                    LineEnding::Lf
                });
            }
            if raw.is_empty() {
                continue;
            }
            // RFC 8866 §9 byte-string excludes CR and LF: a CR left inside the line could
            // not be printed back as the same line.
            if raw.contains(&b'\r') {
                return Err(ParseError::MalformedLine { line: number });
            }
            parser.unterminated = !terminated;
            let text =
                std::str::from_utf8(raw).map_err(|_| ParseError::InvalidUtf8 { line: number })?;
            let mut chars = text.chars();
            let (kind, value) = match (chars.next(), chars.next()) {
                (Some(kind), Some('=')) if kind.is_ascii_alphabetic() => (kind, chars.as_str()),
                _ => return Err(ParseError::MalformedLine { line: number }),
            };
            parser.line(kind, value).map_err(|e| e.at(number, kind))?;
        }
        parser.finish()
    }
}

impl FromStr for SessionDescription {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionDescription::parse(s.as_bytes())
    }
}

impl TryFrom<&[u8]> for SessionDescription {
    type Error = ParseError;

    fn try_from(input: &[u8]) -> Result<Self, Self::Error> {
        SessionDescription::parse(input)
    }
}

impl TryFrom<Bytes> for SessionDescription {
    type Error = ParseError;

    fn try_from(input: Bytes) -> Result<Self, Self::Error> {
        SessionDescription::parse(&input)
    }
}

impl TryFrom<&Bytes> for SessionDescription {
    type Error = ParseError;

    fn try_from(input: &Bytes) -> Result<Self, Self::Error> {
        SessionDescription::parse(input)
    }
}

/// An error found inside one line, before the line number is attached.
enum LineError {
    Field(&'static str),
    Duplicate,
}

impl LineError {
    fn at(self, line: usize, kind: char) -> ParseError {
        match self {
            LineError::Field(reason) => ParseError::InvalidField { line, kind, reason },
            LineError::Duplicate => ParseError::Duplicate { line, kind },
        }
    }
}

impl From<&'static str> for LineError {
    fn from(reason: &'static str) -> Self {
        LineError::Field(reason)
    }
}

struct Parser {
    session: SessionDescription,
    seen_version: bool,
    seen_origin: bool,
    seen_name: bool,
    /// `r=` lines only belong to a `t=` they directly follow.
    after_time: bool,
    media: Option<MediaDescription>,
    line_ending: Option<LineEnding>,
    unterminated: bool,
}

impl Parser {
    fn new() -> Self {
        let placeholder = Origin {
            username: String::new(),
            session_id: String::new(),
            session_version: 0,
            net_type: String::new(),
            addr_type: String::new(),
            unicast_address: String::new(),
        };
        let mut session = SessionDescription::new(placeholder, "");
        session.times.clear();
        Parser {
            session,
            seen_version: false,
            seen_origin: false,
            seen_name: false,
            after_time: false,
            media: None,
            line_ending: None,
            unterminated: false,
        }
    }

    fn line(&mut self, kind: char, value: &str) -> Result<(), LineError> {
        let after_time = std::mem::take(&mut self.after_time);
        if kind == 'm' {
            let media = parse_media(value)?;
            if let Some(done) = self.media.replace(media) {
                self.session.media.push(done);
            }
            return Ok(());
        }
        match self.media.as_mut() {
            Some(media) => media_line(media, kind, value),
            None => self.session_line(kind, value, after_time),
        }
    }

    fn session_line(&mut self, kind: char, value: &str, after_time: bool) -> Result<(), LineError> {
        let s = &mut self.session;
        let line_kind = match kind {
            'v' => {
                if std::mem::replace(&mut self.seen_version, true) {
                    return Err(LineError::Duplicate);
                }
                s.version = value
                    .trim()
                    .parse()
                    .map_err(|_| "version is not a number")?;
                LineKind::Version
            }
            'o' => {
                if std::mem::replace(&mut self.seen_origin, true) {
                    return Err(LineError::Duplicate);
                }
                s.origin = parse_origin(value)?;
                LineKind::Origin
            }
            's' => {
                if std::mem::replace(&mut self.seen_name, true) {
                    return Err(LineError::Duplicate);
                }
                value.clone_into(&mut s.session_name);
                LineKind::Name
            }
            'i' if s.information.is_none() => {
                s.information = Some(value.to_owned());
                LineKind::Info
            }
            'u' if s.uri.is_none() => {
                s.uri = Some(value.to_owned());
                LineKind::Uri
            }
            'e' => {
                s.emails.push(value.to_owned());
                LineKind::Email
            }
            'p' => {
                s.phones.push(value.to_owned());
                LineKind::Phone
            }
            'c' if s.connection.is_none() => {
                s.connection = Some(parse_connection(value)?);
                LineKind::Connection
            }
            'b' => {
                s.bandwidths.push(parse_bandwidth(value)?);
                LineKind::Bandwidth
            }
            't' => {
                s.times.push(parse_time(value)?);
                self.after_time = true;
                LineKind::Time
            }
            'r' if after_time => {
                let repeat = parse_repeat(value)?;
                if let Some(time) = s.times.last_mut() {
                    time.repeats.push(repeat);
                }
                self.after_time = true;
                // Printed together with its t= line, so it takes no slot.
                return Ok(());
            }
            'z' if s.time_zones.is_empty() => {
                s.time_zones = parse_zone(value)?;
                LineKind::Zone
            }
            'k' if s.key.is_none() => {
                s.key = Some(value.to_owned());
                LineKind::Key
            }
            'a' => {
                s.attributes.push(parse_attribute(value));
                LineKind::Attribute
            }
            _ => {
                s.unknown_lines.push(UnknownLine::new(kind, value));
                LineKind::Unknown
            }
        };
        s.layout.lines.push(line_kind);
        Ok(())
    }

    fn finish(mut self) -> Result<SessionDescription, ParseError> {
        for (seen, kind) in [
            (self.seen_version, 'v'),
            (self.seen_origin, 'o'),
            (self.seen_name, 's'),
        ] {
            if !seen {
                return Err(ParseError::Missing { kind });
            }
        }
        if let Some(done) = self.media.take() {
            self.session.media.push(done);
        }
        self.session.line_ending = self.line_ending.unwrap_or_default();
        self.session.layout.unterminated = self.unterminated;
        Ok(self.session)
    }
}

fn media_line(m: &mut MediaDescription, kind: char, value: &str) -> Result<(), LineError> {
    let line_kind = match kind {
        'i' if m.information.is_none() => {
            m.information = Some(value.to_owned());
            LineKind::Info
        }
        'c' => {
            m.connections.push(parse_connection(value)?);
            LineKind::Connection
        }
        'b' => {
            m.bandwidths.push(parse_bandwidth(value)?);
            LineKind::Bandwidth
        }
        'k' if m.key.is_none() => {
            m.key = Some(value.to_owned());
            LineKind::Key
        }
        'a' => {
            m.attributes.push(parse_attribute(value));
            LineKind::Attribute
        }
        _ => {
            m.unknown_lines.push(UnknownLine::new(kind, value));
            LineKind::Unknown
        }
    };
    m.layout.lines.push(line_kind);
    Ok(())
}

fn parse_attribute(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((name, v)) => Attribute::new(name, v),
        None => Attribute::flag(value),
    }
}

fn parse_origin(value: &str) -> Result<Origin, &'static str> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [username, session_id, version, net_type, addr_type, address] = fields[..] else {
        return Err("expected <username> <sess-id> <sess-version> <nettype> <addrtype> <address>");
    };
    Ok(Origin {
        username: username.to_owned(),
        session_id: session_id.to_owned(),
        session_version: version
            .parse()
            .map_err(|_| "sess-version is not a number")?,
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        unicast_address: address.to_owned(),
    })
}

fn parse_connection(value: &str) -> Result<Connection, &'static str> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [net_type, addr_type, address] = fields[..] else {
        return Err("expected <nettype> <addrtype> <connection-address>");
    };
    Ok(Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_bandwidth(value: &str) -> Result<Bandwidth, &'static str> {
    let (bw_type, bandwidth) = value
        .split_once(':')
        .ok_or("expected <bwtype>:<bandwidth>")?;
    Ok(Bandwidth {
        bw_type: bw_type.to_owned(),
        bandwidth: bandwidth
            .trim()
            .parse()
            .map_err(|_| "bandwidth is not a number")?,
    })
}

fn parse_time(value: &str) -> Result<TimeDescription, &'static str> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [start, stop] = fields[..] else {
        return Err("expected <start-time> <stop-time>");
    };
    Ok(TimeDescription {
        start: start.parse().map_err(|_| "start time is not a number")?,
        stop: stop.parse().map_err(|_| "stop time is not a number")?,
        repeats: Vec::new(),
    })
}

fn parse_typed_time(token: &str) -> Option<TypedTime> {
    let units = [
        ('d', TimeUnit::Days),
        ('h', TimeUnit::Hours),
        ('m', TimeUnit::Minutes),
        ('s', TimeUnit::Seconds),
    ];
    let (number, unit) = units
        .iter()
        .find_map(|&(c, u)| token.strip_suffix(c).map(|n| (n, Some(u))))
        .unwrap_or((token, None));
    // i64's parser would also take a leading '+', which would not print back.
    let digits = number.strip_prefix('-').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(TypedTime {
        value: number.parse().ok()?,
        unit,
    })
}

fn parse_repeat(value: &str) -> Result<RepeatTime, &'static str> {
    let mut times = value.split_ascii_whitespace().map(parse_typed_time);
    let mut next = |missing| times.next().ok_or(missing)?.ok_or("invalid typed time");
    let interval = next("missing repeat interval")?;
    let duration = next("missing active duration")?;
    let offsets = times
        .collect::<Option<Vec<_>>>()
        .ok_or("invalid typed time")?;
    Ok(RepeatTime {
        interval,
        duration,
        offsets,
    })
}

fn parse_zone(value: &str) -> Result<Vec<ZoneAdjustment>, &'static str> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    if fields.is_empty() || fields.len() % 2 != 0 {
        return Err("expected pairs of <adjustment time> <offset>");
    }
    fields
        .chunks_exact(2)
        .map(|pair| match pair {
            [time, offset] => Ok(ZoneAdjustment {
                time: time
                    .parse()
                    .map_err(|_| "adjustment time is not a number")?,
                offset: parse_typed_time(offset).ok_or("invalid offset")?,
            }),
            _ => Err("expected pairs of <adjustment time> <offset>"),
        })
        .collect()
}

fn parse_media(value: &str) -> Result<MediaDescription, &'static str> {
    let mut fields = value.split_ascii_whitespace();
    let media = fields.next().ok_or("missing media type")?;
    let port_field = fields.next().ok_or("missing port")?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((port, count)) => (
            port,
            Some(count.parse().map_err(|_| "port count is not a number")?),
        ),
        None => (port_field, None),
    };
    let port = port.parse().map_err(|_| "port is not a number")?;
    let proto = fields.next().ok_or("missing proto")?;
    let mut m = MediaDescription::new(media, port, proto, fields.map(str::to_owned).collect());
    m.port_count = port_count;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_time_accepts_units_and_negative_offsets() {
        assert_eq!(
            parse_typed_time("-1h"),
            Some(TypedTime {
                value: -1,
                unit: Some(TimeUnit::Hours)
            })
        );
        assert_eq!(parse_typed_time("604800"), Some(TypedTime::seconds(604800)));
        assert_eq!(parse_typed_time("+5"), None);
        assert_eq!(parse_typed_time("h"), None);
        assert_eq!(parse_typed_time("-"), None);
    }

    #[test]
    fn media_line_with_port_count_is_split() {
        let m = parse_media("video 49170/2 RTP/AVP 31").ok();
        assert_eq!(m.as_ref().map(|m| m.port), Some(49170));
        assert_eq!(m.as_ref().and_then(|m| m.port_count), Some(2));
    }

    #[test]
    fn media_line_errors_name_the_field() {
        assert_eq!(
            parse_media("audio x RTP/AVP 0").err(),
            Some("port is not a number")
        );
        assert_eq!(
            parse_media("audio 70000 RTP/AVP 0").err(),
            Some("port is not a number")
        );
        assert_eq!(
            parse_media("audio 1/x RTP/AVP 0").err(),
            Some("port count is not a number")
        );
        assert_eq!(parse_media("audio 1").err(), Some("missing proto"));
        assert_eq!(parse_media("").err(), Some("missing media type"));
    }

    #[test]
    fn zone_requires_pairs() {
        assert!(parse_zone("2882844526 -1h 2898848070 0").is_ok());
        assert!(parse_zone("2882844526").is_err());
        assert!(parse_zone("").is_err());
    }
}
