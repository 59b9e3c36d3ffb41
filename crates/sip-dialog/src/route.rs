//! Route sets and next hops (RFC 3261 §12.1, §12.2.1.1, §16.12.1.2): which Request-URI and
//! Route headers an in-dialog request carries, and where it is sent.

use std::net::{IpAddr, SocketAddr};

use sip_message::header::{NameAddr, RecordRoute};
use sip_message::{Headers, Host, Scheme, Uri};
use sip_transaction::{Peer, Transport};

/// Turns the URI of a next hop (the first Route, or the remote target) into an address.
///
/// The layer is sans-IO, so it cannot run RFC 3263 DNS lookups itself: a driver that needs
/// them implements this trait over its resolver's cache. When it returns `None`, the layer
/// falls back to the address the dialog was established with (the source of the request or
/// response that created it, or the destination of the initial request).
pub trait NextHop: Send {
    /// The address for `uri`, if known.
    fn next_hop(&mut self, uri: &Uri<'_>) -> Option<Peer>;
}

/// The default [`NextHop`]: SIP URIs whose host is an IP address. The port defaults to 5060
/// (5061 for `sips:` and TLS), the transport comes from `;transport=` (UDP when absent, TLS
/// for `sips:`). Domain names are not resolved.
///
/// ```
/// use sip_dialog::{IpLiteral, NextHop};
/// use sip_message::Uri;
/// use sip_transaction::Transport;
/// let peer = IpLiteral.next_hop(&Uri::parse("sip:192.0.2.7;transport=tcp;lr").unwrap()).unwrap();
/// assert_eq!((peer.addr.to_string().as_str(), peer.transport), ("192.0.2.7:5060", Transport::Tcp));
/// assert!(IpLiteral.next_hop(&Uri::parse("sip:proxy.example.com").unwrap()).is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct IpLiteral;

impl NextHop for IpLiteral {
    fn next_hop(&mut self, uri: &Uri<'_>) -> Option<Peer> {
        let ip: IpAddr = match uri.host()? {
            Host::Ipv4(a) => a.into(),
            Host::Ipv6(a) => a.into(),
            Host::Domain(_) => return None,
        };
        let transport = match uri.params().get("transport").flatten() {
            Some(t) if t.eq_ignore_ascii_case("tcp") => Transport::Tcp,
            Some(t) if t.eq_ignore_ascii_case("tls") => Transport::Tls,
            Some(t) if t.eq_ignore_ascii_case("ws") => Transport::Ws,
            Some(t) if t.eq_ignore_ascii_case("wss") => Transport::Wss,
            Some(t) if t.eq_ignore_ascii_case("sctp") => Transport::Sctp,
            _ if uri.scheme() == Scheme::Sips => Transport::Tls,
            _ => Transport::Udp,
        };
        let default_port = if transport == Transport::Tls || transport == Transport::Wss {
            5061
        } else {
            5060
        };
        let port = uri.port().unwrap_or(default_port);
        Some(Peer::new(SocketAddr::new(ip, port), transport))
    }
}

/// Prints a name-addr as `["display" ]<uri>[;params]`, leaving out the `tag` parameter.
pub(crate) fn without_tag(na: &NameAddr<'_>) -> String {
    let mut s = String::new();
    if let Some(d) = na.display_name_raw() {
        s.push_str(d);
        s.push(' ');
    }
    s.push('<');
    s.push_str(na.uri().as_str());
    s.push('>');
    for (name, value) in na.params().iter() {
        if name.eq_ignore_ascii_case("tag") {
            continue;
        }
        s.push(';');
        s.push_str(name);
        if let Some(v) = value {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

/// The route set from the Record-Route headers of `headers` (RFC 3261 §12.1.1, §12.1.2):
/// in order for a UAS (or a subscriber creating its dialog from a NOTIFY), reversed for a UAC.
/// Each entry is printed as `<uri>[;params]`.
pub(crate) fn route_set(headers: &Headers, reverse: bool) -> Vec<Box<str>> {
    let mut set: Vec<Box<str>> = headers
        .typed_all::<RecordRoute<'_>>()
        .filter_map(Result::ok)
        .map(|rr| {
            let mut s = format!("<{}>", rr.uri().as_str());
            let params = rr.params().as_str();
            if !params.is_empty() {
                s.push(';');
                s.push_str(params);
            }
            s.into_boxed_str()
        })
        .collect();
    if reverse {
        set.reverse();
    }
    set
}

/// The URI inside a route entry (`<sip:p1;lr>` gives `sip:p1;lr`).
pub(crate) fn route_uri(entry: &str) -> &str {
    let start = entry.find('<').map_or(0, |i| i + 1);
    let end = entry[start..].find('>').map_or(entry.len(), |i| start + i);
    &entry[start..end]
}

/// Where an in-dialog request goes (RFC 3261 §12.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The Request-URI.
    pub(crate) request_uri: String,
    /// The Route header values, in order.
    pub(crate) routes: Vec<String>,
    /// The URI to resolve for the next hop.
    pub(crate) next_hop: String,
}

/// Computes the Request-URI, Route headers and next hop of a request from the route set and
/// the remote target.
///
/// - Empty route set: Request-URI = remote target, no Route.
/// - First route has `lr` (loose routing): Request-URI = remote target, Route = the route set.
/// - Otherwise (a strict router, RFC 2543): Request-URI = the first route's URI (without the
///   parameters a Request-URI may not carry, here none are stripped but `lr` is absent by
///   definition), Route = the rest of the set followed by the remote target.
///
/// The next hop is the first Route (or the Request-URI when there is none).
pub(crate) fn target(route_set: &[Box<str>], remote_target: &str) -> Target {
    let Some(first) = route_set.first() else {
        return Target {
            request_uri: remote_target.to_owned(),
            routes: Vec::new(),
            next_hop: remote_target.to_owned(),
        };
    };
    let first_uri = route_uri(first);
    let loose = Uri::parse(first_uri).is_ok_and(|u| u.params().contains("lr"));
    if loose {
        Target {
            request_uri: remote_target.to_owned(),
            routes: route_set.iter().map(|r| r.to_string()).collect(),
            next_hop: first_uri.to_owned(),
        }
    } else {
        let mut routes: Vec<String> = route_set[1..].iter().map(|r| r.to_string()).collect();
        routes.push(format!("<{remote_target}>"));
        Target {
            request_uri: first_uri.to_owned(),
            routes,
            next_hop: first_uri.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sip_message::HeaderName;

    fn set(entries: &[&str]) -> Vec<Box<str>> {
        entries.iter().map(|e| Box::from(*e)).collect()
    }

    #[test]
    fn loose_routing_keeps_the_remote_target() {
        let t = target(
            &set(&["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]),
            "sip:bob@192.0.2.2",
        );
        assert_eq!(t.request_uri, "sip:bob@192.0.2.2");
        assert_eq!(
            t.routes,
            ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
        );
        assert_eq!(t.next_hop, "sip:p1.example.com;lr");
    }

    #[test]
    fn strict_router_takes_the_request_uri() {
        // RFC 3261 §12.2.1.1 example: route set <sip:p1>, <sip:p2;lr>... with a strict first.
        let t = target(
            &set(&["<sip:p1.example.com>", "<sip:p2.example.com;lr>"]),
            "sip:bob@192.0.2.2",
        );
        assert_eq!(t.request_uri, "sip:p1.example.com");
        assert_eq!(t.routes, ["<sip:p2.example.com;lr>", "<sip:bob@192.0.2.2>"]);
        assert_eq!(t.next_hop, "sip:p1.example.com");
    }

    #[test]
    fn empty_route_set_goes_to_the_target() {
        let t = target(&[], "sip:bob@192.0.2.2:5070");
        assert_eq!(t.request_uri, "sip:bob@192.0.2.2:5070");
        assert!(t.routes.is_empty());
        assert_eq!(t.next_hop, "sip:bob@192.0.2.2:5070");
    }

    #[test]
    fn record_route_is_reversed_for_the_uac() {
        let mut h = Headers::new();
        h.push(
            HeaderName::RecordRoute,
            "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>;x=1",
        );
        h.push(HeaderName::RecordRoute, "<sip:p3.example.com;lr>");
        assert_eq!(
            route_set(&h, false),
            set(&[
                "<sip:p1.example.com;lr>",
                "<sip:p2.example.com;lr>;x=1",
                "<sip:p3.example.com;lr>"
            ])
        );
        assert_eq!(route_set(&h, true)[0].as_ref(), "<sip:p3.example.com;lr>");
    }

    #[test]
    fn tags_are_left_out() {
        let na = NameAddr::parse("\"Bob\" <sip:bob@example.com>;tag=abc;x=y").unwrap();
        assert_eq!(without_tag(&na), "\"Bob\" <sip:bob@example.com>;x=y");
    }
}
