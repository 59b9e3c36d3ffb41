//! Generated descriptions survive print → parse unchanged, and printing a
//! parsed description reproduces its text.

#![allow(clippy::unwrap_used)]

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sdp::{
    Attribute, Bandwidth, Connection, LineEnding, MediaDescription, Origin, RepeatTime,
    SessionDescription, TimeDescription, TimeUnit, TypedTime, UnknownLine, ZoneAdjustment,
};

/// A token: no whitespace, as in o=, c=, m= fields.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.+/_#-]{1,12}"
}

/// Free text: anything but line ends, including spaces and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    "[^\r\n]{0,24}"
}

fn connection() -> impl Strategy<Value = Connection> {
    (token(), token(), token()).prop_map(|(net_type, addr_type, address)| Connection {
        net_type,
        addr_type,
        address,
    })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Z][A-Z0-9-]{0,5}", any::<u64>()).prop_map(|(t, b)| Bandwidth::new(t, b))
}

fn attribute() -> impl Strategy<Value = Attribute> {
    ("[A-Za-z0-9_-]{0,12}", option::of("[^\r\n]{0,30}"))
        .prop_map(|(name, value)| Attribute { name, value })
}

fn typed_time(signed: bool) -> impl Strategy<Value = TypedTime> {
    let units = prop_oneof![
        Just(None),
        Just(Some(TimeUnit::Days)),
        Just(Some(TimeUnit::Hours)),
        Just(Some(TimeUnit::Minutes)),
        Just(Some(TimeUnit::Seconds)),
    ];
    let low = if signed { -1_000_000i64 } else { 0 };
    (low..1_000_000i64, units).prop_map(|(value, unit)| TypedTime { value, unit })
}

fn time() -> impl Strategy<Value = TimeDescription> {
    let repeat = (
        typed_time(false),
        typed_time(false),
        vec(typed_time(false), 0..3),
    )
        .prop_map(|(interval, duration, offsets)| RepeatTime {
            interval,
            duration,
            offsets,
        });
    (any::<u64>(), any::<u64>(), vec(repeat, 0..3)).prop_map(|(start, stop, repeats)| {
        TimeDescription {
            start,
            stop,
            repeats,
        }
    })
}

/// Letters no parser rule claims, so they come back as unknown lines.
fn unknown_line() -> impl Strategy<Value = UnknownLine> {
    ("[fghjlqwxyFGH]", text()).prop_map(|(k, v)| UnknownLine::new(k.chars().next().unwrap(), v))
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            token(),
            any::<u16>(),
            option::of(any::<u16>()),
            token(),
            vec(token(), 0..6),
        ),
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..2),
        option::of(text()),
        vec(attribute(), 0..8),
        vec(unknown_line(), 0..2),
    )
        .prop_map(
            |((media, port, port_count, proto, formats), info, conns, bws, key, attrs, unknown)| {
                let mut m = MediaDescription::new(media, port, proto, formats);
                m.port_count = port_count;
                m.information = info;
                m.connections = conns;
                m.bandwidths = bws;
                m.key = key;
                m.attributes = attrs;
                m.unknown_lines = unknown;
                m
            },
        )
}

fn session() -> impl Strategy<Value = SessionDescription> {
    let origin = (token(), token(), any::<u64>(), token(), token(), token()).prop_map(
        |(username, session_id, session_version, net_type, addr_type, unicast_address)| Origin {
            username,
            session_id,
            session_version,
            net_type,
            addr_type,
            unicast_address,
        },
    );
    let zone =
        (any::<u64>(), typed_time(true)).prop_map(|(time, offset)| ZoneAdjustment { time, offset });
    (
        (
            any::<u32>(),
            origin,
            text(),
            option::of(text()),
            option::of(text()),
        ),
        (
            vec(text(), 0..2),
            vec(text(), 0..2),
            option::of(connection()),
            vec(bandwidth(), 0..2),
        ),
        (vec(time(), 0..3), vec(zone, 0..3), option::of(text())),
        (
            vec(attribute(), 0..6),
            vec(unknown_line(), 0..2),
            vec(media(), 0..4),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (version, origin, name, info, uri),
                (emails, phones, conn, bws),
                (times, zones, key),
                (attrs, unknown, media),
                lf,
            )| {
                let mut s = SessionDescription::new(origin, name);
                s.version = version;
                s.information = info;
                s.uri = uri;
                s.emails = emails;
                s.phones = phones;
                s.connection = conn;
                s.bandwidths = bws;
                s.times = times;
                s.time_zones = zones;
                s.key = key;
                s.attributes = attrs;
                s.unknown_lines = unknown;
                s.media = media;
                s.line_ending = if lf { LineEnding::Lf } else { LineEnding::CrLf };
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_description_survives_print_and_parse(sdp in session()) {
        let printed = sdp.to_string();
        let parsed = SessionDescription::parse(printed.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &sdp);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn shuffled_lines_print_back_in_their_input_order(sdp in session(), seed in any::<u64>()) {
        // Rotating the session-level lines between o= and the first m= gives
        // an out-of-order but parseable body; it must print back unchanged.
        let printed = sdp.to_string();
        let ending = sdp.line_ending.as_str();
        let mut lines: Vec<&str> = printed.split_terminator(ending).collect();
        let media_start = lines.iter().position(|l| l.starts_with("m=")).unwrap_or(lines.len());
        // Keep v= first and each t= with its r= lines by only rotating a
        // slice that holds no t= or r=.
        let movable: Vec<usize> = (1..media_start)
            .filter(|&i| !lines[i].starts_with("t=") && !lines[i].starts_with("r="))
            .collect();
        if movable.len() >= 2 {
            let a = movable[(seed as usize) % movable.len()];
            let b = movable[(seed as usize / 7) % movable.len()];
            lines.swap(a, b);
        }
        let mut shuffled = lines.join(ending);
        shuffled.push_str(ending);
        let parsed = SessionDescription::parse(shuffled.as_bytes()).unwrap();
        prop_assert_eq!(parsed.to_string(), shuffled);
    }
}
