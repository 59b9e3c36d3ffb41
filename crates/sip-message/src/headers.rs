//! The header section: raw entries kept as ranges of the received buffer, decoded on demand.

use bytes::{BufMut, Bytes};

use crate::{HeaderError, HeaderName, lex};

/// A typed header: how to decode one header value (or one element of a comma-separated list)
/// into a structured view that borrows from the message.
pub trait TypedHeader<'a>: Sized {
    /// The header this type decodes.
    const NAME: HeaderName;
    /// Whether several values may share one header line, separated by commas (RFC 3261 §7.3.1).
    /// For such headers [`Headers::typed_all`] yields one item per element.
    const LIST: bool = false;
    /// Decodes one value (one element, for list headers).
    fn decode(value: &'a str) -> Result<Self, HeaderError>;
}

/// Where the bytes of a name or value live: in the received buffer or in a buffer of their own
/// (for headers added or changed after parsing).
#[derive(Debug, Clone)]
enum Slot {
    Buf(u32, u32),
    /// Index into `Headers::owned`.
    Own(u32),
    /// The canonical spelling of the entry's name (names of headers this crate added).
    Canonical,
}

#[derive(Debug, Clone)]
struct Entry {
    name: HeaderName,
    raw_name: Slot,
    value: Slot,
    /// The whole line as received, CRLF included, while the header is untouched, so that the
    /// printer reproduces it byte for byte.
    line: Option<(u32, u32)>,
}

/// The headers of a message, in order.
///
/// Parsing records where each name and value sits in the message buffer; nothing is copied
/// or decoded until asked for. Headers added later own their bytes.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    buf: Bytes,
    entries: Vec<Entry>,
    owned: Vec<Bytes>,
}

/// One header as stored: its name and raw value.
#[derive(Debug, Clone, Copy)]
pub struct HeaderRef<'a> {
    /// The recognised name, or [`HeaderName::Extension`].
    pub name: HeaderName,
    /// The name as spelled in the message (compact forms stay compact).
    pub raw_name: &'a [u8],
    /// The value with surrounding whitespace removed; folds inside it are kept.
    pub value: &'a [u8],
}

impl Headers {
    /// An empty header section.
    pub fn new() -> Self {
        Headers::default()
    }

    pub(crate) fn with_buffer(buf: Bytes, capacity: usize) -> Self {
        Headers {
            buf,
            entries: Vec::with_capacity(capacity),
            owned: Vec::new(),
        }
    }

    pub(crate) fn push_parsed(
        &mut self,
        name: HeaderName,
        n: (usize, usize),
        v: (usize, usize),
        line: (usize, usize),
    ) {
        // Offsets fit in u32: parse() refuses buffers of 4 GiB or more.
        let s = |x: usize| x as u32;
        self.entries.push(Entry {
            name,
            raw_name: Slot::Buf(s(n.0), s(n.1)),
            value: Slot::Buf(s(v.0), s(v.1)),
            line: Some((s(line.0), s(line.1))),
        });
    }

    /// Extends the last parsed header over a folded continuation line.
    /// `content` is the continuation line without its leading and trailing whitespace; an empty
    /// range (a blank continuation) extends only the line, so the value never starts or ends
    /// with a fold.
    pub(crate) fn extend_last(&mut self, content: (usize, usize), line_end: usize) -> bool {
        match self.entries.last_mut() {
            Some(Entry {
                value: Slot::Buf(s, e),
                line: Some((_, le)),
                ..
            }) => {
                if content.0 < content.1 {
                    if s == e {
                        *s = content.0 as u32;
                    }
                    *e = content.1 as u32;
                }
                *le = line_end as u32;
                true
            }
            _ => false,
        }
    }

    fn bytes<'s>(&'s self, slot: &'s Slot) -> &'s [u8] {
        match slot {
            Slot::Buf(a, b) => &self.buf[*a as usize..*b as usize],
            Slot::Own(i) => &self.owned[*i as usize],
            Slot::Canonical => b"",
        }
    }

    fn name_bytes<'s>(&'s self, e: &'s Entry) -> &'s [u8] {
        match e.raw_name {
            Slot::Canonical => e.name.as_str().as_bytes(),
            _ => self.bytes(&e.raw_name),
        }
    }

    fn view<'s>(&'s self, e: &'s Entry) -> HeaderRef<'s> {
        HeaderRef {
            name: e.name,
            raw_name: self.name_bytes(e),
            value: self.bytes(&e.value),
        }
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All headers in order.
    pub fn iter(&self) -> impl Iterator<Item = HeaderRef<'_>> + '_ {
        self.entries.iter().map(|e| self.view(e))
    }

    /// The raw value of the first header with this name.
    pub fn get(&self, name: HeaderName) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| self.bytes(&e.value))
    }

    /// The raw values of every header line with this name, in order.
    pub fn get_all(&self, name: HeaderName) -> impl Iterator<Item = &[u8]> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.name == name)
            .map(|e| self.bytes(&e.value))
    }

    /// The raw value of the first header spelled `name` (case-insensitive; known names also
    /// match their compact form). Use this for extension headers.
    pub fn get_by_name(&self, name: &str) -> Option<&[u8]> {
        let known = HeaderName::from_bytes(name.as_bytes());
        self.entries
            .iter()
            .find(|e| {
                if known == HeaderName::Extension {
                    e.name == HeaderName::Extension
                        && self.name_bytes(e).eq_ignore_ascii_case(name.as_bytes())
                } else {
                    e.name == known
                }
            })
            .map(|e| self.bytes(&e.value))
    }

    /// Number of header lines with this name.
    pub fn count(&self, name: HeaderName) -> usize {
        self.entries.iter().filter(|e| e.name == name).count()
    }

    /// Whether a header with this name is present.
    pub fn contains(&self, name: HeaderName) -> bool {
        self.entries.iter().any(|e| e.name == name)
    }

    /// Decodes the first value of header `H` (the first element, for list headers).
    pub fn typed<'s, H: TypedHeader<'s>>(&'s self) -> Result<H, HeaderError> {
        self.typed_all::<H>()
            .next()
            .unwrap_or(Err(HeaderError::Missing))
    }

    /// Decodes every value of header `H` across all its lines, splitting comma lists.
    pub fn typed_all<'s, H: TypedHeader<'s>>(&'s self) -> TypedIter<'s, H> {
        TypedIter {
            headers: self,
            next_entry: 0,
            split: None,
            _h: std::marker::PhantomData,
        }
    }

    /// The first value as text, for headers whose value is a plain string (Call-ID, Subject).
    pub fn get_str(&self, name: HeaderName) -> Option<Result<&str, HeaderError>> {
        self.get(name)
            .map(|v| std::str::from_utf8(v).map_err(|_| HeaderError::NotUtf8))
    }

    /// Appends a header.
    pub fn push(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let e = self.owned(name, None, value.into());
        self.entries.push(e);
    }

    /// Appends an extension header spelled `name`.
    pub fn push_named(&mut self, name: &str, value: impl Into<Bytes>) {
        let known = HeaderName::from_bytes(name.as_bytes());
        let e = self.owned(known, Some(name), value.into());
        self.entries.push(e);
    }

    /// Inserts a header before every other header with the same name (a proxy's Via and
    /// Record-Route go on top), or at the end if there is none.
    pub fn insert_first(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let at = self
            .entries
            .iter()
            .position(|e| e.name == name)
            .unwrap_or(self.entries.len());
        let e = self.owned(name, None, value.into());
        self.entries.insert(at, e);
    }

    /// Removes every header with this name; returns how many lines were removed.
    pub fn remove(&mut self, name: HeaderName) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.name != name);
        before - self.entries.len()
    }

    /// Removes the first line with this name and returns its raw value.
    pub fn remove_first(&mut self, name: HeaderName) -> Option<Bytes> {
        let at = self.entries.iter().position(|e| e.name == name)?;
        let e = self.entries.remove(at);
        Some(match e.value {
            Slot::Buf(a, b) => self.buf.slice(a as usize..b as usize),
            Slot::Own(i) => self.owned[i as usize].clone(),
            Slot::Canonical => Bytes::new(),
        })
    }

    /// Replaces every line with this name by a single line holding `value`, at the position of
    /// the first one (or at the end).
    pub fn set(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let at = self.entries.iter().position(|e| e.name == name);
        self.remove(name);
        let e = self.owned(name, None, value.into());
        match at {
            Some(i) => self.entries.insert(i.min(self.entries.len()), e),
            None => self.entries.push(e),
        }
    }

    fn owned(&mut self, name: HeaderName, spelled: Option<&str>, value: Bytes) -> Entry {
        // A CR or LF in a value would end the header line and let the caller's data inject
        // headers of its own; they become spaces.
        let value = if value.iter().any(|&b| b == b'\r' || b == b'\n') {
            Bytes::from(
                value
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect::<Vec<u8>>(),
            )
        } else {
            value
        };
        let raw_name = match spelled {
            Some(n) if n != name.as_str() => {
                self.owned.push(Bytes::copy_from_slice(n.as_bytes()));
                Slot::Own(self.owned.len() as u32 - 1)
            }
            _ => Slot::Canonical,
        };
        self.owned.push(value);
        Entry {
            name,
            raw_name,
            value: Slot::Own(self.owned.len() as u32 - 1),
            line: None,
        }
    }

    /// Writes the header lines: untouched lines exactly as received, others as `Name: value`.
    pub fn write_to(&self, out: &mut impl BufMut) {
        for e in &self.entries {
            match e.line {
                Some((a, b)) => out.put_slice(&self.buf[a as usize..b as usize]),
                None => {
                    out.put_slice(self.name_bytes(e));
                    out.put_slice(b": ");
                    out.put_slice(self.bytes(&e.value));
                    out.put_slice(b"\r\n");
                }
            }
        }
    }

    /// Bytes [`Headers::write_to`] will write.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(|e| match e.line {
                Some((a, b)) => (b - a) as usize,
                None => self.name_bytes(e).len() + self.bytes(&e.value).len() + 4,
            })
            .sum()
    }
}

/// Iterator over the decoded values of one header, returned by [`Headers::typed_all`].
pub struct TypedIter<'s, H> {
    headers: &'s Headers,
    next_entry: usize,
    split: Option<lex::CommaSplit<'s>>,
    _h: std::marker::PhantomData<H>,
}

impl<'s, H: TypedHeader<'s>> Iterator for TypedIter<'s, H> {
    type Item = Result<H, HeaderError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(split) = &mut self.split {
                match split.next() {
                    Some(Ok(v)) => return Some(H::decode(v)),
                    Some(Err(u)) => return Some(Err(u.into())),
                    None => self.split = None,
                }
            }
            let entries = &self.headers.entries;
            let i = (self.next_entry..entries.len()).find(|&i| entries[i].name == H::NAME)?;
            self.next_entry = i + 1;
            let raw = self.headers.bytes(&entries[i].value);
            let Ok(text) = std::str::from_utf8(raw) else {
                return Some(Err(HeaderError::NotUtf8));
            };
            if H::LIST {
                self.split = Some(lex::split_commas(text));
            } else {
                return Some(H::decode(text));
            }
        }
    }
}
