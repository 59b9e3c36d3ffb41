//! The answers to a REGISTER: the `200 OK` of RFC 3261 §10.3 step 8 and the rejections.

use sha2::{Digest, Sha256};
use sip_message::header::Contact;
use sip_message::{HeaderName, Params, Request, Response};

use crate::gruu::{public_gruu, temporary_gruu};
use crate::process::{request_facts, supports};
use crate::{Binding, RegistrarConfig, Rejection};

/// Contact parameters the registrar writes itself, dropped from the stored ones.
const REWRITTEN: [&str; 4] = ["expires", "q", "pub-gruu", "temp-gruu"];

/// The `200 OK` to `request`, listing `bindings` (the set just stored, or the current one
/// for a query); bindings not live at `now` are left out.
///
/// - one Contact per binding: `<uri>` as registered, its other parameters as received,
///   `;expires=` the seconds left (§10.3 step 8), `;q=` if it had one;
/// - when [`RegistrarConfig::gruu`] and the REGISTER says `Supported: gruu`, each binding
///   with an instance ID also gets `pub-gruu` and, with a key, `temp-gruu` (RFC 5627);
/// - `Require: outbound` when a Contact of this request registered a flow (RFC 5626 §6);
/// - the request's Path headers, in order, when it said `Supported: path` (RFC 3327 §5.3);
/// - `Supported` with the extensions this registrar applies, and `Date` (§10.3 step 8);
/// - a To tag: the first 16 hex digits of SHA-256 over Call-ID, From tag and CSeq, so
///   the same request always gets the same tag without the caller keeping state.
pub fn ok_response(
    config: &RegistrarConfig,
    request: &Request,
    bindings: &[Binding],
    now: u64,
) -> Response {
    let mut r = base(request, 200);
    let gruu = config.gruu && supports(request.headers(), "gruu");
    for b in bindings.iter().filter(|b| b.is_live(now)) {
        r.headers_mut()
            .push(HeaderName::Contact, contact_value(config, b, now, gruu));
    }
    if let Ok(facts) = request_facts(config, request) {
        let flow = facts.outbound
            && request
                .headers()
                .typed_all::<Contact<'_>>()
                .filter_map(Result::ok)
                .filter_map(|c| c.addr().map(|a| a.params()))
                .any(|p| p.contains("+sip.instance") && p.contains("reg-id"));
        if flow {
            r.headers_mut().push(HeaderName::Require, "outbound");
        }
        if facts.echo_path {
            for value in request.headers().get_all(HeaderName::Path) {
                r.headers_mut().push(HeaderName::Path, value.to_vec());
            }
        }
    }
    let mut supported = vec!["path"];
    if config.outbound {
        supported.push("outbound");
    }
    if config.gruu {
        supported.push("gruu");
    }
    r.headers_mut()
        .push(HeaderName::Supported, supported.join(", "));
    r.headers_mut().push(HeaderName::Date, http_date(now));
    finish(r)
}

/// The error answer to `request` described by `rejection` (from [`crate::Decision::Reject`]):
/// its status, reason phrase and headers, and a To tag as in [`ok_response`].
pub fn reject_response(request: &Request, rejection: &Rejection) -> Response {
    let mut r = base(request, rejection.status);
    r.set_reason(rejection.reason);
    for (name, value) in &rejection.headers {
        r.headers_mut().push(*name, value.clone());
    }
    finish(r)
}

fn base(request: &Request, status: u16) -> Response {
    let mut r = Response::from_request(request, status);
    r.set_to_tag(&to_tag(request));
    // Content-Length goes last again once the other headers are in.
    r.headers_mut().remove(HeaderName::ContentLength);
    r
}

fn finish(mut r: Response) -> Response {
    r.headers_mut().push(HeaderName::ContentLength, "0");
    r
}

fn to_tag(request: &Request) -> String {
    let mut h = Sha256::new();
    h.update(request.call_id().unwrap_or_default());
    h.update([0]);
    h.update(
        request
            .from()
            .ok()
            .and_then(|f| f.tag())
            .unwrap_or_default(),
    );
    h.update([0]);
    h.update(
        request
            .cseq()
            .map(|c| c.seq())
            .unwrap_or_default()
            .to_be_bytes(),
    );
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn contact_value(config: &RegistrarConfig, b: &Binding, now: u64, gruu: bool) -> String {
    let mut v = format!("<{}>", b.uri);
    let stored = Params::new(b.params.strip_prefix(';').unwrap_or(&b.params));
    for (name, value) in stored.iter() {
        if name.is_empty() || REWRITTEN.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            continue;
        }
        v.push(';');
        v.push_str(name);
        if let Some(value) = value {
            v.push('=');
            v.push_str(value);
        }
    }
    v.push_str(&format!(";expires={}", b.expires_at.saturating_sub(now)));
    if let Some(q) = b.q {
        v.push_str(";q=");
        v.push_str(&format_q(q));
    }
    if let (true, Some(instance)) = (gruu, b.instance_id.as_deref()) {
        v.push_str(&format!(";pub-gruu=\"{}\"", public_gruu(&b.aor, instance)));
        if let Some(key) = &config.gruu_secret {
            let t = temporary_gruu(key, &b.aor, instance, &b.call_id);
            v.push_str(&format!(";temp-gruu=\"{t}\""));
        }
    }
    v
}

/// A q-value in thousandths as the shortest `qvalue`: 1000 is `1`, 500 is `0.5`.
fn format_q(q: u16) -> String {
    if q >= 1000 {
        return "1".to_owned();
    }
    let s = format!("0.{q:03}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `Sat, 13 Nov 2010 23:29:00 GMT` for `unix` seconds (RFC 3261 §20.17, RFC 1123 form).
fn http_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // 1970-01-01 was a Thursday (index 3 counting from Monday).
    let weekday = DAYS[usize::try_from((days + 3) % 7).unwrap_or(0)];
    // Civil date from a day count (Howard Hinnant's algorithm, years starting in March).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{weekday}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        MONTHS[usize::try_from(month - 1).unwrap_or(0)],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc1123_gmt() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_289_690_940), "Sat, 13 Nov 2010 23:29:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(4_102_444_799), "Thu, 31 Dec 2099 23:59:59 GMT");
    }

    #[test]
    fn qvalues_print_short() {
        assert_eq!(format_q(1000), "1");
        assert_eq!(format_q(500), "0.5");
        assert_eq!(format_q(50), "0.05");
        assert_eq!(format_q(123), "0.123");
        assert_eq!(format_q(0), "0");
    }
}
