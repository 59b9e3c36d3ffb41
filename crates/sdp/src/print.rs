//! The printer.
//!
//! A parsed description carries the order its lines came in; as long as the
//! content still has exactly the lines that order names, it is followed so
//! out-of-order input prints back unchanged. Otherwise lines are printed in
//! RFC 8866 order.

use std::fmt::{self, Display};

use bytes::Bytes;

use crate::model::{
    Bandwidth, Connection, Layout, LineKind, MediaDescription, Origin, RepeatTime,
    SessionDescription, TimeDescription, TypedTime, ZoneAdjustment,
};

const KINDS: usize = LineKind::Unknown as usize + 1;

impl SessionDescription {
    /// The printed description as bytes, ready to be a message body.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

impl Display for SessionDescription {
    /// Prints the whole description with its [`LineEnding`].
    ///
    /// [`LineEnding`]: crate::LineEnding
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = LineWriter {
            f,
            ending: self.line_ending.as_str(),
            first: true,
        };
        let canonical = session_canonical(self);
        let order = chosen(&self.layout, &canonical);
        let mut cursors = [0usize; KINDS];
        for &kind in order {
            write_session_line(&mut w, self, kind, next(&mut cursors, kind))?;
        }
        for media in &self.media {
            write_media(&mut w, media)?;
        }
        if !self.layout.unterminated && !w.first {
            w.f.write_str(w.ending)?;
        }
        Ok(())
    }
}

struct LineWriter<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    ending: &'static str,
    first: bool,
}

impl LineWriter<'_, '_> {
    /// Terminators go before each line rather than after, so that the last
    /// one can be left off when the input had none.
    fn line(&mut self, kind: char, value: impl Display) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.f.write_str(self.ending)?;
        }
        write!(self.f, "{kind}={value}")
    }
}

fn next(cursors: &mut [usize; KINDS], kind: LineKind) -> usize {
    let slot = &mut cursors[kind as usize];
    let index = *slot;
    *slot += 1;
    index
}

/// The recorded order if it names exactly the lines present, else canonical.
fn chosen<'a>(layout: &'a Layout, canonical: &'a [LineKind]) -> &'a [LineKind] {
    let mut counts = [0isize; KINDS];
    for &k in &layout.lines {
        counts[k as usize] += 1;
    }
    for &k in canonical {
        counts[k as usize] -= 1;
    }
    if !layout.lines.is_empty() && counts.iter().all(|&c| c == 0) {
        &layout.lines
    } else {
        canonical
    }
}

fn repeat(kind: LineKind, n: usize) -> impl Iterator<Item = LineKind> {
    std::iter::repeat_n(kind, n)
}

fn session_canonical(s: &SessionDescription) -> Vec<LineKind> {
    use LineKind::*;
    [Version, Origin, Name]
        .into_iter()
        .chain(repeat(Info, s.information.is_some().into()))
        .chain(repeat(Uri, s.uri.is_some().into()))
        .chain(repeat(Email, s.emails.len()))
        .chain(repeat(Phone, s.phones.len()))
        .chain(repeat(Connection, s.connection.is_some().into()))
        .chain(repeat(Bandwidth, s.bandwidths.len()))
        .chain(repeat(Time, s.times.len()))
        .chain(repeat(Zone, (!s.time_zones.is_empty()).into()))
        .chain(repeat(Key, s.key.is_some().into()))
        .chain(repeat(Attribute, s.attributes.len()))
        .chain(repeat(Unknown, s.unknown_lines.len()))
        .collect()
}

fn media_canonical(m: &MediaDescription) -> Vec<LineKind> {
    use LineKind::*;
    repeat(Info, m.information.is_some().into())
        .chain(repeat(Connection, m.connections.len()))
        .chain(repeat(Bandwidth, m.bandwidths.len()))
        .chain(repeat(Key, m.key.is_some().into()))
        .chain(repeat(Attribute, m.attributes.len()))
        .chain(repeat(Unknown, m.unknown_lines.len()))
        .collect()
}

fn write_opt(w: &mut LineWriter<'_, '_>, kind: char, value: Option<impl Display>) -> fmt::Result {
    match value {
        Some(v) => w.line(kind, v),
        None => Ok(()),
    }
}

fn write_session_line(
    w: &mut LineWriter<'_, '_>,
    s: &SessionDescription,
    kind: LineKind,
    index: usize,
) -> fmt::Result {
    match kind {
        LineKind::Version => w.line('v', s.version),
        LineKind::Origin => w.line('o', &s.origin),
        LineKind::Name => w.line('s', &s.session_name),
        LineKind::Info => write_opt(w, 'i', s.information.as_ref()),
        LineKind::Uri => write_opt(w, 'u', s.uri.as_ref()),
        LineKind::Email => write_opt(w, 'e', s.emails.get(index)),
        LineKind::Phone => write_opt(w, 'p', s.phones.get(index)),
        LineKind::Connection => write_opt(w, 'c', s.connection.as_ref()),
        LineKind::Bandwidth => write_opt(w, 'b', s.bandwidths.get(index)),
        LineKind::Time => match s.times.get(index) {
            Some(t) => {
                w.line('t', t)?;
                t.repeats.iter().try_for_each(|r| w.line('r', r))
            }
            None => Ok(()),
        },
        LineKind::Zone if !s.time_zones.is_empty() => w.line('z', Spaced(&s.time_zones)),
        LineKind::Zone => Ok(()),
        LineKind::Key => write_opt(w, 'k', s.key.as_ref()),
        LineKind::Attribute => write_opt(w, 'a', s.attributes.get(index)),
        LineKind::Unknown => match s.unknown_lines.get(index) {
            Some(u) => w.line(u.kind, &u.value),
            None => Ok(()),
        },
    }
}

fn write_media(w: &mut LineWriter<'_, '_>, m: &MediaDescription) -> fmt::Result {
    w.line('m', MediaLine(m))?;
    let canonical = media_canonical(m);
    let order = chosen(&m.layout, &canonical);
    let mut cursors = [0usize; KINDS];
    for &kind in order {
        let index = next(&mut cursors, kind);
        match kind {
            LineKind::Info => write_opt(w, 'i', m.information.as_ref())?,
            LineKind::Connection => write_opt(w, 'c', m.connections.get(index))?,
            LineKind::Bandwidth => write_opt(w, 'b', m.bandwidths.get(index))?,
            LineKind::Key => write_opt(w, 'k', m.key.as_ref())?,
            LineKind::Attribute => write_opt(w, 'a', m.attributes.get(index))?,
            LineKind::Unknown => {
                if let Some(u) = m.unknown_lines.get(index) {
                    w.line(u.kind, &u.value)?;
                }
            }
            // Session-only kinds never end up in a media layout.
            _ => {}
        }
    }
    Ok(())
}

struct MediaLine<'a>(&'a MediaDescription);

impl Display for MediaLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{} {}", m.media, m.port)?;
        if let Some(count) = m.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", m.proto)?;
        m.formats.iter().try_for_each(|fmt| write!(f, " {fmt}"))
    }
}

/// Prints items separated by single spaces.
struct Spaced<'a, T>(&'a [T]);

impl<T: Display> Display for Spaced<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            item.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for Origin {
    /// Prints what follows `o=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.addr_type,
            self.unicast_address
        )
    }
}

impl Display for Connection {
    /// Prints what follows `c=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

impl Display for Bandwidth {
    /// Prints what follows `b=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bw_type, self.bandwidth)
    }
}

impl Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        match self.unit {
            Some(unit) => write!(f, "{}", unit.as_char()),
            None => Ok(()),
        }
    }
}

impl Display for TimeDescription {
    /// Prints what follows `t=` (the `r=` lines are separate lines).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}

impl Display for RepeatTime {
    /// Prints what follows `r=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.interval, self.duration)?;
        self.offsets.iter().try_for_each(|o| write!(f, " {o}"))
    }
}

impl Display for ZoneAdjustment {
    /// Prints one `<adjustment time> <offset>` pair of a `z=` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.time, self.offset)
    }
}
