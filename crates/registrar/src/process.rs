//! Deciding what a REGISTER does: RFC 3261 §10.3 steps 6 and 7, with RFC 3327 (Path), RFC
//! 5626 (outbound) and RFC 5627 (instance IDs).

use sip_message::header::{Contact, Path, Supported, Via};
use sip_message::{HeaderName, Headers, Request, Uri};

use crate::{Binding, Decision, RegisterContext, RegistrarConfig, Rejection, uri_equal};

/// RFC 3261 §20.10: a malformed `expires` is taken as 3600 seconds.
const MALFORMED_EXPIRES: u32 = 3600;

/// RFC 3261 §10.3 step 7 allows `423` only for intervals shorter than one hour.
const BRIEF_LIMIT: u32 = 3600;

/// Decides what `request`, a REGISTER for `ctx.aor` that the server has authenticated, does
/// to `current`, the bindings the store holds for that address of record (expired ones may
/// be included; they are ignored and left out of the new set).
///
/// The steps, in order (each may answer and stop):
///
/// 1. No Contact: [`Decision::Query`] (§10.3 step 6).
/// 2. `Contact: *` must be the only Contact and come with `Expires: 0`, else `400`. It removes
///    every binding, unless one has the request's Call-ID and a CSeq not lower than the
///    request's: then "the update MUST be aborted and the request fails" (§10.3 step 6),
///    answered `500 Out of order REGISTER` like the same case in step 7.
/// 3. Path without `Supported: path`: `421` with `Require: path` unless
///    [`RegistrarConfig::accept_path_without_support`] (RFC 3327 §5.3).
/// 4. For each Contact (§10.3 step 7): the interval is its `expires` parameter, else the
///    Expires header, else the default; a malformed value counts as 3600 (§20.10) and one
///    too large for 32 bits as 2³²−1. Between 1 and the minimum (and under an hour): `423`
///    with `Min-Expires`. Above the maximum: shortened. A malformed `q` is `400`.
/// 5. Outbound (RFC 5626 §6), when [`RegistrarConfig::outbound`] and the request says
///    `Supported: outbound`: a Contact with `+sip.instance` and `reg-id` registers a flow
///    if we are the first hop (one Via) or the first Path URI carries `ob`; otherwise the
///    answer is `439 First Hop Lacks Outbound Support`. Without `Supported: outbound`, or
///    without an instance, `reg-id` is ignored. More than one Contact with a non-zero
///    interval when one of them carries a `reg-id` is `400`.
/// 6. Each Contact is matched to an existing binding: by instance ID and reg-id when it has
///    a `+sip.instance` (so a new flow or a new contact address of the same instance
///    replaces the old binding, RFC 5626 §6 / RFC 5627), otherwise by URI equality
///    (§19.1.4, [`uri_equal`]). A match with the same Call-ID and a CSeq not higher than
///    the binding's aborts the request: `500 Out of order REGISTER` (§10.3 step 7). Interval
///    0 removes the match; otherwise it is refreshed (its `created_at` kept) or added.
///    Two Contacts of one request that match each other: the last wins.
/// 7. If that leaves more than [`RegistrarConfig::max_contacts`] bindings and more than
///    before: `403 Too many registered contacts`.
///
/// All or nothing: on any rejection nothing changes (§10.3 step 7).
pub fn process(
    config: &RegistrarConfig,
    request: &Request,
    ctx: &RegisterContext<'_>,
    current: &[Binding],
) -> Decision {
    match decide(config, request, ctx, current) {
        Ok(d) => d,
        Err(r) => Decision::Reject(r),
    }
}

fn bad_request(reason: &'static str) -> Rejection {
    Rejection::new(400, reason)
}

fn out_of_order() -> Rejection {
    Rejection::new(500, "Out of order REGISTER")
}

/// One Contact of the request, decoded and checked.
struct Wanted<'r> {
    uri: Uri<'r>,
    params: &'r str,
    expires: u32,
    q: Option<u16>,
    instance: Option<&'r str>,
    reg_id: Option<u32>,
}

/// The facts about the request as a whole that steps 3 to 6 need.
pub(crate) struct RequestFacts<'r> {
    pub(crate) path: Vec<&'r str>,
    pub(crate) echo_path: bool,
    /// Whether `reg-id` registers flows (RFC 5626 applies to this request).
    pub(crate) outbound: bool,
    /// Whether a Contact with `reg-id` must be refused with 439.
    outbound_refused: bool,
}

pub(crate) fn supports(headers: &Headers, tag: &str) -> bool {
    headers
        .typed_all::<Supported<'_>>()
        .filter_map(Result::ok)
        .any(|s| s.as_str().eq_ignore_ascii_case(tag))
}

/// Path and outbound applicability (steps 3 and 5), shared with the 200 OK builder.
pub(crate) fn request_facts<'r>(
    config: &RegistrarConfig,
    request: &'r Request,
) -> Result<RequestFacts<'r>, Rejection> {
    let headers = request.headers();
    let mut path = Vec::new();
    let mut first_path_ob = false;
    for p in headers.typed_all::<Path<'_>>() {
        let p = p.map_err(|_| bad_request("Malformed Path"))?;
        if path.is_empty() {
            first_path_ob = p.uri().params().contains("ob");
        }
        path.push(p.uri().as_str());
    }
    let path_supported = supports(headers, "path");
    if !path.is_empty() && !path_supported && !config.accept_path_without_support {
        return Err(
            Rejection::new(421, "Extension Required").with_header(HeaderName::Require, "path")
        );
    }
    let wants_outbound = config.outbound && supports(headers, "outbound");
    let first_hop = headers.typed_all::<Via<'_>>().count() <= 1;
    let flow_ok = first_hop || first_path_ob;
    Ok(RequestFacts {
        echo_path: !path.is_empty() && path_supported,
        path,
        outbound: wants_outbound && flow_ok,
        outbound_refused: wants_outbound && !flow_ok,
    })
}

/// `delta-seconds`: digits only; a value past 2³²−1 is taken as 2³²−1.
fn delta_seconds(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u32>().unwrap_or(u32::MAX))
}

/// The Expires header: `None` if absent, `Some(None)` if malformed.
fn expires_header(headers: &Headers) -> Option<Option<u32>> {
    let raw = headers.get(HeaderName::Expires)?;
    Some(std::str::from_utf8(raw).ok().and_then(delta_seconds))
}

/// The `+sip.instance` and effective `reg-id` of a Contact (step 5).
fn instance_and_reg_id<'r>(
    facts: &RequestFacts<'_>,
    params: sip_message::Params<'r>,
) -> Result<(Option<&'r str>, Option<u32>), Rejection> {
    let instance = params
        .get_unquoted("+sip.instance")
        .flatten()
        .filter(|i| !i.is_empty());
    let Some(reg_id) = params.get("reg-id") else {
        return Ok((instance, None));
    };
    if instance.is_none() || !(facts.outbound || facts.outbound_refused) {
        return Ok((instance, None));
    }
    if facts.outbound_refused {
        return Err(Rejection::new(439, "First Hop Lacks Outbound Support"));
    }
    // reg-id = 1*DIGIT, from 1 to 2^31-1 (RFC 5626 grammar).
    let reg_id = reg_id
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| (1..=0x7fff_ffff).contains(v))
        .ok_or_else(|| bad_request("Invalid reg-id"))?;
    Ok((instance, Some(reg_id)))
}

fn wanted<'r>(
    config: &RegistrarConfig,
    facts: &RequestFacts<'_>,
    header_expires: Option<Option<u32>>,
    contact: &Contact<'r>,
) -> Result<Wanted<'r>, Rejection> {
    let Some(addr) = contact.addr() else {
        return Err(bad_request("Invalid wildcard Contact"));
    };
    let params = addr.params();
    let requested = match params.get("expires") {
        Some(v) => v.and_then(delta_seconds).unwrap_or(MALFORMED_EXPIRES),
        None => match header_expires {
            Some(v) => v.unwrap_or(MALFORMED_EXPIRES),
            None => config.default_expires,
        },
    };
    if requested > 0 && requested < BRIEF_LIMIT && requested < config.min_expires {
        return Err(Rejection::new(423, "Interval Too Brief")
            .with_header(HeaderName::MinExpires, config.min_expires.to_string()));
    }
    let q = match contact.q() {
        None => None,
        Some(Ok(q)) => Some(q),
        Some(Err(_)) => return Err(bad_request("Invalid q-value")),
    };
    let (instance, reg_id) = instance_and_reg_id(facts, params)?;
    Ok(Wanted {
        uri: addr.uri(),
        params: params.as_str(),
        expires: requested.min(config.max_expires),
        q,
        instance,
        reg_id,
    })
}

fn decide(
    config: &RegistrarConfig,
    request: &Request,
    ctx: &RegisterContext<'_>,
    current: &[Binding],
) -> Result<Decision, Rejection> {
    let headers = request.headers();
    let call_id = request
        .call_id()
        .map_err(|_| bad_request("Missing or malformed Call-ID"))?;
    let cseq = request
        .cseq()
        .map_err(|_| bad_request("Missing or malformed CSeq"))?
        .seq();
    let contacts = headers
        .typed_all::<Contact<'_>>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad_request("Malformed Contact"))?;
    if contacts.is_empty() {
        return Ok(Decision::Query);
    }
    let live: Vec<&Binding> = current.iter().filter(|b| b.is_live(ctx.now)).collect();
    let header_expires = expires_header(headers);

    if contacts.iter().any(|c| matches!(c, Contact::Wildcard)) {
        if contacts.len() != 1 || header_expires != Some(Some(0)) {
            return Err(bad_request(
                "Contact * must be alone and come with Expires: 0",
            ));
        }
        // §10.3 step 6: a binding of this Call-ID is removed only if the request's CSeq
        // is higher; otherwise the whole update is aborted.
        if live.iter().any(|b| b.call_id == call_id && cseq <= b.cseq) {
            return Err(out_of_order());
        }
        return Ok(Decision::Update {
            bindings: Vec::new(),
        });
    }

    let facts = request_facts(config, request)?;
    let wanted = contacts
        .iter()
        .map(|c| wanted(config, &facts, header_expires, c))
        .collect::<Result<Vec<_>, _>>()?;
    let active = wanted.iter().filter(|w| w.expires > 0);
    if active.clone().count() > 1 && active.clone().any(|w| w.reg_id.is_some()) {
        // RFC 5626 §6: a registration with reg-id registers one flow of one instance.
        return Err(bad_request(
            "Only one Contact with a non-zero expiration may carry reg-id",
        ));
    }

    let keyed_by_instance = config.outbound || config.gruu;
    let user_agent = headers
        .get(HeaderName::UserAgent)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_owned);
    let template = Binding {
        aor: ctx.aor.to_owned(),
        uri: String::new(),
        params: String::new(),
        q: None,
        expires_at: 0,
        call_id: call_id.to_owned(),
        cseq,
        source: ctx.source,
        transport: (!ctx.transport.is_empty()).then(|| ctx.transport.to_ascii_lowercase()),
        local: ctx.local,
        path: facts.path.iter().map(|p| (*p).to_owned()).collect(),
        instance_id: None,
        reg_id: None,
        user_agent,
        created_at: ctx.now,
        updated_at: ctx.now,
    };

    let mut slots: Vec<Slot> = live
        .iter()
        .map(|b| Slot {
            binding: (*b).clone(),
            touched: false,
            removed: false,
        })
        .collect();
    for w in &wanted {
        match find(&slots, w, keyed_by_instance) {
            Some(i) => {
                let slot = &mut slots[i];
                // §10.3 step 7: same Call-ID and a CSeq not higher than the stored one: the
                // request is out of order, abort it. A binding this request already
                // touched carries the request's own CSeq, so it is not compared again.
                if !slot.touched && slot.binding.call_id == call_id && cseq <= slot.binding.cseq {
                    return Err(out_of_order());
                }
                if w.expires == 0 {
                    slot.removed = true;
                } else {
                    let created_at = slot.binding.created_at;
                    slot.binding = binding(&template, w, ctx.now, created_at);
                    slot.removed = false;
                }
                slot.touched = true;
            }
            None if w.expires > 0 => slots.push(Slot {
                binding: binding(&template, w, ctx.now, ctx.now),
                touched: true,
                removed: false,
            }),
            None => {}
        }
    }

    let bindings: Vec<Binding> = slots
        .into_iter()
        .filter(|s| !s.removed)
        .map(|s| s.binding)
        .collect();
    if bindings.len() > config.max_contacts && bindings.len() > live.len() {
        return Err(Rejection::new(403, "Too many registered contacts"));
    }
    Ok(Decision::Update { bindings })
}

struct Slot {
    binding: Binding,
    /// Already matched or added by a Contact of this request.
    touched: bool,
    removed: bool,
}

fn find(slots: &[Slot], w: &Wanted<'_>, keyed_by_instance: bool) -> Option<usize> {
    let same_uri = |b: &Binding| match Uri::parse(&b.uri) {
        Ok(stored) => uri_equal(&stored, &w.uri),
        Err(_) => b.uri == w.uri.as_str(),
    };
    match w.instance {
        Some(instance) if keyed_by_instance => slots
            .iter()
            .position(|s| {
                s.binding.instance_id.as_deref() == Some(instance) && s.binding.reg_id == w.reg_id
            })
            // A UA that starts sending an instance ID refreshes its earlier binding.
            .or_else(|| {
                slots
                    .iter()
                    .position(|s| s.binding.instance_id.is_none() && same_uri(&s.binding))
            }),
        _ => slots.iter().position(|s| same_uri(&s.binding)),
    }
}

fn binding(template: &Binding, w: &Wanted<'_>, now: u64, created_at: u64) -> Binding {
    let mut b = template.clone();
    b.uri = w.uri.as_str().to_owned();
    b.params = if w.params.trim().is_empty() {
        String::new()
    } else {
        format!(";{}", w.params)
    };
    b.q = w.q;
    b.expires_at = now.saturating_add(u64::from(w.expires));
    b.instance_id = w.instance.map(str::to_owned);
    b.reg_id = w.reg_id;
    b.created_at = created_at;
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_seconds_saturates_and_refuses_non_digits() {
        assert_eq!(delta_seconds("3600"), Some(3600));
        assert_eq!(delta_seconds(" 0 "), Some(0));
        assert_eq!(delta_seconds("99999999999"), Some(u32::MAX));
        assert_eq!(delta_seconds("-1"), None);
        assert_eq!(delta_seconds("1h"), None);
        assert_eq!(delta_seconds(""), None);
    }
}
