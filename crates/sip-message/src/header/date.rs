//! Time headers: Date (RFC 3261 §20.17), an RFC 1123 date always in GMT, and Timestamp
//! (RFC 3261 §20.38).

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, lex};

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// `Mon`
    Mon,
    /// `Tue`
    Tue,
    /// `Wed`
    Wed,
    /// `Thu`
    Thu,
    /// `Fri`
    Fri,
    /// `Sat`
    Sat,
    /// `Sun`
    Sun,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("Mon", Weekday::Mon),
    ("Tue", Weekday::Tue),
    ("Wed", Weekday::Wed),
    ("Thu", Weekday::Thu),
    ("Fri", Weekday::Fri),
    ("Sat", Weekday::Sat),
    ("Sun", Weekday::Sun),
];

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Date: Sat, 13 Nov 2010 23:29:00 GMT`
///
/// The fields are checked for range (a 30 February or a 25th hour is an error) and the zone
/// must be `GMT` (RFC 4475 baddate uses `EST`). The weekday is kept as written and not
/// checked against the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    weekday: Weekday,
    day: u8,
    month: u8,
    year: u16,
    hour: u8,
    minute: u8,
    second: u8,
}

impl Date {
    /// The day of the week as written.
    pub fn weekday(&self) -> Weekday {
        self.weekday
    }

    /// Day of the month, 1 to 31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Month, 1 (January) to 12 (December).
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Year, four digits.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// Hour, 0 to 23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// Minute, 0 to 59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// Second, 0 to 60 (60 for a leap second).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before it; leap seconds not counted).
    pub fn unix_time(&self) -> i64 {
        // Days from civil, Howard Hinnant's algorithm, years starting in March.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

fn digits<const N: usize>(s: &str, min_len: usize) -> Option<u16> {
    if s.len() < min_len || s.len() > N || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(month: u8, year: u16) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse_time(s: &str) -> Option<(u8, u8, u8)> {
    let mut it = s.split(':');
    let mut next = |max: u16| -> Option<u8> {
        let v = digits::<2>(it.next()?, 2)?;
        if v > max {
            return None;
        }
        u8::try_from(v).ok()
    };
    let t = (next(23)?, next(59)?, next(60)?);
    if it.next().is_some() {
        return None;
    }
    Some(t)
}

impl<'a> TypedHeader<'a> for Date {
    const NAME: HeaderName = HeaderName::Date;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let (wk, rest) = v
            .split_once(',')
            .ok_or(HeaderError::Syntax("Date has no ',' after the weekday"))?;
        let weekday = WEEKDAYS
            .iter()
            .find(|(n, _)| wk.eq_ignore_ascii_case(n))
            .map(|(_, w)| *w)
            .ok_or(HeaderError::Syntax("Date weekday is not Mon..Sun"))?;
        let mut parts = rest.split(lex::is_lws_char).filter(|p| !p.is_empty());
        let (Some(day), Some(month), Some(year), Some(time), Some(zone), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HeaderError::Syntax(
                "Date is not 'wkday, DD Mon YYYY HH:MM:SS GMT'",
            ));
        };
        if !zone.eq_ignore_ascii_case("GMT") {
            return Err(HeaderError::Syntax("Date zone is not GMT"));
        }
        let month = MONTHS
            .iter()
            .position(|m| month.eq_ignore_ascii_case(m))
            .and_then(|i| u8::try_from(i + 1).ok())
            .ok_or(HeaderError::Syntax("Date month is not Jan..Dec"))?;
        let year = digits::<4>(year, 4).ok_or(HeaderError::Number("Date year"))?;
        let day = digits::<2>(day, 1)
            .and_then(|d| u8::try_from(d).ok())
            .filter(|d| (1..=days_in_month(month, year)).contains(d))
            .ok_or(HeaderError::Number("Date day"))?;
        let (hour, minute, second) =
            parse_time(time).ok_or(HeaderError::Syntax("Date time is not HH:MM:SS"))?;
        Ok(Date {
            weekday,
            day,
            month,
            year,
            hour,
            minute,
            second,
        })
    }
}

/// The Timestamp header (RFC 3261 §20.38): `54` or `54.78 0.25` (time, then delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp<'a> {
    value: &'a str,
    delay: Option<&'a str>,
}

impl<'a> Timestamp<'a> {
    /// The timestamp as written, in the sender's units.
    pub fn value(&self) -> &'a str {
        self.value
    }

    /// The timestamp as a number.
    pub fn value_f64(&self) -> f64 {
        decimal_f64(self.value)
    }

    /// The delay added by the answering UAS, as written.
    pub fn delay(&self) -> Option<&'a str> {
        self.delay
    }

    /// The delay as a number, in seconds.
    pub fn delay_f64(&self) -> Option<f64> {
        self.delay.map(decimal_f64)
    }
}

/// `*DIGIT ["." *DIGIT]` with at least one digit, and at least one before the dot if
/// `int_required`.
fn is_decimal(s: &str, int_required: bool) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (!int.is_empty() || (!int_required && !frac.is_empty()))
}

fn decimal_f64(s: &str) -> f64 {
    // `1.` and `.5` are valid here and for `str::parse`; the fallback is never used for values
    // that passed `is_decimal`.
    s.parse().unwrap_or(0.0)
}

impl<'a> TypedHeader<'a> for Timestamp<'a> {
    const NAME: HeaderName = HeaderName::Timestamp;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let v = lex::trim(value);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let mut parts = v.split(lex::is_lws_char).filter(|p| !p.is_empty());
        let (Some(value), delay, None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(HeaderError::Syntax(
                "Timestamp has more than a time and a delay",
            ));
        };
        if !is_decimal(value, true) {
            return Err(HeaderError::Number("Timestamp"));
        }
        if delay.is_some_and(|d| !is_decimal(d, false)) {
            return Err(HeaderError::Number("Timestamp delay"));
        }
        Ok(Timestamp { value, delay })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_1123_date_fields() {
        let d = Date::decode("Sat, 13 Nov 2010 23:29:00 GMT").expect("valid");
        assert_eq!(d.weekday(), Weekday::Sat);
        assert_eq!((d.day(), d.month(), d.year()), (13, 11, 2010));
        assert_eq!((d.hour(), d.minute(), d.second()), (23, 29, 0));
        assert_eq!(d.unix_time(), 1_289_690_940);
        // RFC 4475 §3.1.1.1 dblreq, among others.
        let d = Date::decode("Sat, 15 Oct 2005 04:44:56 GMT").expect("valid");
        assert_eq!(d.unix_time(), 1_129_351_496);
    }

    #[test]
    fn leap_days_and_epoch() {
        let d = Date::decode("Thu, 01 Jan 1970 00:00:00 GMT").expect("valid");
        assert_eq!(d.unix_time(), 0);
        let d = Date::decode("Tue, 29 Feb 2000 12:00:00 GMT").expect("valid");
        assert_eq!(d.month(), 2);
        assert!(Date::decode("Thu, 29 Feb 1900 12:00:00 GMT").is_err());
        assert!(Date::decode("Mon, 29 Feb 2010 12:00:00 GMT").is_err());
    }

    #[test]
    fn non_gmt_zone_is_rejected() {
        // RFC 4475 §3.1.2.12 baddate.
        assert_eq!(
            Date::decode("Fri, 01 Jan 2010 16:00:00 EST"),
            Err(HeaderError::Syntax("Date zone is not GMT"))
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "Sat 13 Nov 2010 23:29:00 GMT",
            "Sun, 13 Nov 2010 23:29:00",
            "Xyz, 13 Nov 2010 23:29:00 GMT",
            "Sat, 13 Foo 2010 23:29:00 GMT",
            "Sat, 32 Jan 2010 23:29:00 GMT",
            "Sat, 00 Jan 2010 23:29:00 GMT",
            "Sat, 31 Apr 2010 23:29:00 GMT",
            "Sat, 13 Nov 10 23:29:00 GMT",
            "Sat, 13 Nov 20100 23:29:00 GMT",
            "Sat, 13 Nov 2010 24:00:00 GMT",
            "Sat, 13 Nov 2010 23:60:00 GMT",
            "Sat, 13 Nov 2010 23:59:61 GMT",
            "Sat, 13 Nov 2010 23:59 GMT",
            "Sat, 13 Nov 2010 23:59:00:00 GMT",
            "Sat, 13 Nov 2010 +3:59:00 GMT",
            "Sat, 13 Nov 2010 23:29:00 GMT extra",
            "Sat, 1x Nov 2010 23:29:00 GMT",
        ] {
            assert!(Date::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timestamp_with_and_without_delay() {
        let t = Timestamp::decode("54").expect("valid");
        assert_eq!((t.value(), t.delay()), ("54", None));
        let t = Timestamp::decode("54.78  .25").expect("valid");
        assert_eq!(t.value(), "54.78");
        assert_eq!(t.delay(), Some(".25"));
        assert!((t.value_f64() - 54.78).abs() < 1e-9);
        assert_eq!(t.delay_f64(), Some(0.25));
        assert_eq!(Timestamp::decode("1.").map(|t| t.value_f64()), Ok(1.0));
        for bad in ["", ".5", "a", "1.2.3", "1 2 3", "1 .", "1 x", "-1", "1e5"] {
            assert!(Timestamp::decode(bad).is_err(), "{bad:?}");
        }
    }
}
