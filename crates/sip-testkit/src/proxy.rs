//! A stateless proxy to put between user agents.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use sip_message::{HeaderName, Message, Method, Uri};
use sip_transaction::{Peer, Transmit};

use crate::{Engine, EngineOutput, InputError};

/// A stateless proxy (RFC 3261 §16.11), just enough to put route sets and forks in a
/// scenario.
///
/// Made with [`StatelessProxy::new`] it record-routes dialog-creating requests (INVITE,
/// SUBSCRIBE, REFER) and loose-routes everything: it removes its own Route, pushes a Via,
/// and sends the request to the next Route or else to the Request-URI; responses go to the
/// second Via. Made with [`StatelessProxy::forking`] it sends every request received outside
/// a dialog to each target (without record-routing) and routes the rest as above.
/// Messages go out over the transport they came in on.
#[derive(Debug, Clone)]
pub struct StatelessProxy {
    addr: SocketAddr,
    fork: Vec<SocketAddr>,
    out: VecDeque<Transmit>,
}

impl StatelessProxy {
    /// A record-routing, loose-routing proxy at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        StatelessProxy {
            addr,
            fork: Vec::new(),
            out: VecDeque::new(),
        }
    }

    /// A proxy at `addr` that forks each request received outside a dialog to `targets`.
    pub fn forking(addr: SocketAddr, targets: Vec<SocketAddr>) -> Self {
        StatelessProxy {
            addr,
            fork: targets,
            out: VecDeque::new(),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    fn uri(&self) -> String {
        format!("sip:{};lr", self.addr)
    }

    /// Where to forward a message, and the bytes.
    fn forward(&self, msg: Message) -> Vec<(SocketAddr, Bytes)> {
        let initial = msg.to().is_ok_and(|t| t.tag().is_none());
        match msg {
            Message::Request(req) if initial && !self.fork.is_empty() => {
                let branch = req
                    .via()
                    .ok()
                    .and_then(|v| v.branch().map(str::to_owned))
                    .unwrap_or_default();
                let ours = self.addr.to_string();
                self.fork
                    .iter()
                    .enumerate()
                    .map(|(i, to)| {
                        let mut r = req.clone();
                        r.headers_mut().insert_first(
                            HeaderName::Via,
                            format!("SIP/2.0/UDP {ours};branch=z9hG4bKfk{i}{branch}"),
                        );
                        (*to, r.to_bytes())
                    })
                    .collect()
            }
            other => self.route(other).into_iter().collect(),
        }
    }

    fn route(&self, msg: Message) -> Option<(SocketAddr, Bytes)> {
        match msg {
            Message::Request(mut req) => {
                let ours = self.addr.to_string();
                let top_is_us = req
                    .headers()
                    .get(HeaderName::Route)
                    .is_some_and(|r| String::from_utf8_lossy(r).contains(&ours));
                if top_is_us {
                    req.headers_mut().remove_first(HeaderName::Route);
                }
                let initial = req.to().is_ok_and(|t| t.tag().is_none());
                let forming = matches!(
                    req.method(),
                    Method::Invite | Method::Subscribe | Method::Refer
                );
                if initial && forming && self.fork.is_empty() {
                    req.headers_mut()
                        .insert_first(HeaderName::RecordRoute, format!("<{}>", self.uri()));
                }
                let branch = req.via().ok()?.branch()?.to_owned();
                req.headers_mut().insert_first(
                    HeaderName::Via,
                    format!("SIP/2.0/UDP {ours};branch=z9hG4bKpx{branch}"),
                );
                let next = match req.headers().get(HeaderName::Route) {
                    Some(r) => {
                        let r = String::from_utf8_lossy(r).into_owned();
                        let uri = r.trim_start_matches('<').split('>').next()?.to_owned();
                        uri_addr(&uri)?
                    }
                    None => uri_addr(&String::from_utf8_lossy(req.uri_raw()))?,
                };
                Some((next, req.to_bytes()))
            }
            Message::Response(mut resp) => {
                resp.headers_mut().remove_first(HeaderName::Via);
                let via = resp.via().ok()?;
                let addr: SocketAddr = format!("{}:{}", via.host_str(), via.port().unwrap_or(5060))
                    .parse()
                    .ok()?;
                Some((addr, resp.to_bytes()))
            }
        }
    }
}

fn uri_addr(uri: &str) -> Option<SocketAddr> {
    let u = Uri::parse(uri).ok()?;
    format!("{}:{}", u.host_str(), u.port().unwrap_or(5060))
        .parse()
        .ok()
}

impl Engine for StatelessProxy {
    type Event = Infallible;

    fn handle_input(&mut self, _now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        let msg = Message::parse(bytes).map_err(InputError::Unparseable)?;
        let hops = self.forward(msg);
        if hops.is_empty() {
            return Err(InputError::Rejected(
                "the proxy found no next hop".to_owned(),
            ));
        }
        for (to, bytes) in hops {
            self.out.push_back(Transmit {
                destination: Peer::new(to, from.transport),
                bytes,
                key: None,
            });
        }
        Ok(())
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_output(&mut self) -> Option<EngineOutput<Infallible>> {
        self.poll_transmit().map(EngineOutput::Transmit)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }

    fn describe(event: &Infallible) -> String {
        match *event {}
    }
}
