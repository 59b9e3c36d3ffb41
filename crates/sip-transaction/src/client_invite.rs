//! The INVITE client transaction (RFC 3261 §17.1.1, corrected by RFC 6026 §7.2), and the
//! requests built from an INVITE: the ACK for a non-2xx final response (§17.1.1.3) and CANCEL
//! (§9.1).

use std::time::Duration;

use bytes::Bytes;
use sip_message::{HeaderName, Method, Request, Response};

use crate::ctx::Ctx;
use crate::timers::TimerTable;
use crate::{ApiError, ClientKey, Event, Peer, Timer, TransactionState};

/// An INVITE client transaction.
///
/// ```text
///                                |INVITE from TU
///              Timer A fires     |INVITE sent
///              Reset A,          V                      Timer B fires
///              INVITE sent +-----------+                inform TU
///                +---------|           |-------------------------+
///                |         |  Calling  |                         |
///                +-------->|           |------------+            |
///                          +-----------+ 2xx        |            |
///                             |  |       2xx to TU  |            |
///                             |  |1xx               |            |
///     300-699 +---------------+  |1xx to TU         |            |
///    ACK sent |                  |                  |            |
/// resp. to TU |  1xx             V                  |            |
///             |  1xx to TU +-----------+            |            |
///             |  +---------|           |            |            |
///             |  |         |Proceeding |----------->|            |
///             |  +-------->|           | 2xx        |            |
///             |            +-----------+ 2xx to TU  |            |
///             |       300-699    |                  |            |
///             |       ACK sent,  |                  |            |
///             |       resp. to TU|                  |            |
///             |                  V                  V            |
///             |  300-699   +-----------+      +-----------+      |
///             |  ACK sent  |           |      |           |---+  |
///             |  +---------| Completed |      | Accepted  |   |2xx
///             |  |         |           |      |           |<--+2xx to TU
///             |  +-------->+-----------+      +-----------+      |
///             |              ^   |                  |            |
///             +--------------+   |Timer D fires     |Timer M fires
///                                |-                 |-           |
///                                V                  V            |
///                          +------------------------------+      |
///                          |          Terminated          |<-----+
///                          +------------------------------+
///
///    Transport Err. in any other state: inform TU, go to Terminated.
/// ```
///
/// Timer A runs on unreliable transports only; Timer D is zero on reliable ones (the machine
/// goes straight to Terminated). Every 2xx goes to the TU, which sends the ACK (RFC 6026).
pub(crate) struct ClientInvite {
    state: State,
    timers: TimerTable,
    /// The INVITE, kept to build the ACK for a non-2xx final response; dropped at the final
    /// response, since Timer M or D keeps the transaction 32 s longer.
    request: Option<Request>,
    peer: Peer,
}

enum State {
    /// The INVITE was sent and nothing came back yet.
    Calling {
        /// The INVITE as sent, for Timer A retransmissions.
        wire: Bytes,
        /// The current Timer A interval.
        interval: Duration,
    },
    /// A provisional response came back.
    Proceeding,
    /// A 2xx came back (RFC 6026): more 2xx responses (retransmissions, forks) go to the TU.
    Accepted,
    /// A 300-699 came back and was acknowledged.
    Completed {
        /// The ACK as sent, resent for each retransmission of the final response.
        ack: Bytes,
    },
    Terminated,
}

impl ClientInvite {
    /// Sends the INVITE and arms Timers A (unreliable only) and B.
    pub(crate) fn start(ctx: &mut Ctx<'_, ClientKey>, request: Request, peer: Peer) -> Self {
        let wire = request.to_bytes();
        ctx.transmit(peer, wire.clone());
        let mut timers = TimerTable::default();
        ctx.arm(&mut timers, Timer::B, ctx.config.timeout());
        if !peer.reliable {
            ctx.arm(&mut timers, Timer::A, ctx.config.t1);
        }
        ClientInvite {
            state: State::Calling {
                wire,
                interval: ctx.config.t1,
            },
            timers,
            request: Some(request),
            peer,
        }
    }

    pub(crate) fn timers(&self) -> &TimerTable {
        &self.timers
    }

    pub(crate) fn timers_mut(&mut self) -> &mut TimerTable {
        &mut self.timers
    }

    pub(crate) fn state(&self) -> Option<TransactionState> {
        Some(match self.state {
            State::Calling { .. } => TransactionState::Calling,
            State::Proceeding => TransactionState::Proceeding,
            State::Accepted => TransactionState::Accepted,
            State::Completed { .. } => TransactionState::Completed,
            State::Terminated => return None,
        })
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientKey>, response: Response) {
        let status = response.status();
        let key = ctx.key;
        self.state = match std::mem::replace(&mut self.state, State::Terminated) {
            State::Calling { .. } | State::Proceeding => {
                self.timers.clear(Timer::A);
                self.timers.clear(Timer::B);
                match status {
                    100..=199 => {
                        ctx.event(Event::Response { key, response });
                        State::Proceeding
                    }
                    200..=299 => {
                        self.request = None;
                        ctx.event(Event::Response { key, response });
                        ctx.arm(&mut self.timers, Timer::M, ctx.config.timeout());
                        State::Accepted
                    }
                    _ => {
                        let Some(request) = self.request.take() else {
                            return; // Unreachable: only a final response takes it.
                        };
                        let ack = build_ack(&request, &response).to_bytes();
                        ctx.transmit(self.peer, ack.clone());
                        ctx.event(Event::Response { key, response });
                        if self.peer.reliable {
                            State::Terminated
                        } else {
                            ctx.arm(&mut self.timers, Timer::D, ctx.config.timer_d);
                            State::Completed { ack }
                        }
                    }
                }
            }
            State::Accepted => {
                if (200..=299).contains(&status) {
                    ctx.event(Event::Response { key, response });
                }
                State::Accepted
            }
            State::Completed { ack } => {
                if status >= 300 {
                    ctx.transmit(self.peer, ack.clone());
                }
                State::Completed { ack }
            }
            State::Terminated => State::Terminated,
        };
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientKey>, timer: Timer) {
        match (&mut self.state, timer) {
            (State::Calling { wire, interval }, Timer::A) => {
                ctx.transmit(self.peer, wire.clone());
                // Timer A doubles without the T2 cap (§17.1.1.2); Timer B ends it.
                *interval *= 2;
                let next = *interval;
                ctx.arm(&mut self.timers, Timer::A, next);
            }
            (State::Calling { .. }, Timer::B) => {
                ctx.event(Event::Timeout {
                    key: ctx.key.into(),
                    timer,
                });
                self.state = State::Terminated;
            }
            (State::Completed { .. }, Timer::D) | (State::Accepted, Timer::M) => {
                self.state = State::Terminated;
            }
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientKey>) {
        if !self.is_terminated() {
            ctx.event(Event::TransportError {
                key: ctx.key.into(),
            });
            self.state = State::Terminated;
        }
    }
}

/// The top Via of `req`, printed as one value (a Via line may hold several).
fn top_via(req: &Request) -> Option<String> {
    let via = req.via().ok()?;
    let mut s = format!("SIP/2.0/{} {}", via.transport(), via.host_str());
    if let Some(port) = via.port() {
        s.push(':');
        s.push_str(&port.to_string());
    }
    let params = via.params().as_str();
    if !params.is_empty() {
        s.push(';');
        s.push_str(params);
    }
    Some(s)
}

/// Builds a request that shares the transaction identity of `orig` (RFC 3261 §9.1 CANCEL and
/// §17.1.1.3 ACK): same Request-URI, Call-ID, From, CSeq number, a single Via equal to the
/// top Via of `orig`, its Route set and Max-Forwards; `to` replaces the To header.
fn sibling(orig: &Request, method: Method, to: Option<&[u8]>) -> Request {
    let mut req = Request::new(method.clone(), Bytes::copy_from_slice(orig.uri_raw()));
    let via = top_via(orig);
    let mut via_done = false;
    for h in orig.headers().iter() {
        let value: Bytes = match h.name {
            HeaderName::Via if !via_done => {
                via_done = true;
                match &via {
                    Some(v) => Bytes::copy_from_slice(v.as_bytes()),
                    None => Bytes::copy_from_slice(h.value),
                }
            }
            HeaderName::To => Bytes::copy_from_slice(to.unwrap_or(h.value)),
            HeaderName::CSeq => {
                let seq = orig.cseq().map(|c| c.seq()).unwrap_or(0);
                Bytes::from(format!("{seq} {method}"))
            }
            HeaderName::From | HeaderName::CallId | HeaderName::Route | HeaderName::MaxForwards => {
                Bytes::copy_from_slice(h.value)
            }
            _ => continue,
        };
        req.headers_mut().push(h.name, value);
    }
    req.headers_mut().push(HeaderName::ContentLength, "0");
    req
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): the INVITE's identity with the
/// To header of the response.
pub(crate) fn build_ack(invite: &Request, response: &Response) -> Request {
    let to = response.headers().get(HeaderName::To);
    sibling(invite, Method::Ack, to)
}

/// Builds the CANCEL for a request (RFC 3261 §9.1): same Request-URI, Call-ID, To, From and
/// CSeq number (method CANCEL), a single Via equal to the request's top Via (so it carries the
/// same branch and matches the INVITE's server transaction), the same Route headers and
/// Max-Forwards, no body. Start it with
/// [`TransactionLayer::start_client`](crate::TransactionLayer::start_client), to the same
/// destination as the request.
///
/// ```
/// use sip_message::{Method, Request};
/// let invite = Request::builder(Method::Invite, "sip:bob@example.com")
///     .via("UDP", "192.0.2.1:5060", "z9hG4bK-1")
///     .from("<sip:alice@example.com>", "a")
///     .to("<sip:bob@example.com>")
///     .call_id("c1")
///     .cseq(4)
///     .build();
/// let cancel = sip_transaction::build_cancel(&invite).unwrap();
/// assert_eq!(cancel.method(), &Method::Cancel);
/// assert_eq!(cancel.via().unwrap().branch(), Some("z9hG4bK-1"));
/// assert_eq!(cancel.cseq().unwrap().seq(), 4);
/// assert_eq!(cancel.cseq().unwrap().method(), "CANCEL");
/// ```
pub fn build_cancel(request: &Request) -> Result<Request, ApiError> {
    if matches!(request.method(), Method::Ack | Method::Cancel) {
        return Err(ApiError::InvalidRequest(
            "ACK and CANCEL cannot be cancelled",
        ));
    }
    if request.via().is_err() {
        return Err(ApiError::InvalidRequest("missing or malformed top Via"));
    }
    if request.cseq().is_err() {
        return Err(ApiError::InvalidRequest("missing or malformed CSeq"));
    }
    Ok(sibling(request, Method::Cancel, None))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sip_message::Message;

    fn invite() -> Request {
        Request::builder(Method::Invite, "sip:bob@192.0.2.2")
            .via("UDP", "192.0.2.1:5060", "z9hG4bK-inv")
            .header(HeaderName::Via, "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-down")
            .max_forwards(70)
            .header(HeaderName::Route, "<sip:p1.example.com;lr>")
            .header(HeaderName::Route, "<sip:p2.example.com;lr>")
            .from("<sip:alice@example.com>", "fa")
            .to("<sip:bob@example.com>")
            .call_id("cid-1")
            .cseq(12)
            .contact("<sip:alice@192.0.2.1>")
            .body("application/sdp", "v=0\r\n")
            .build()
    }

    #[test]
    fn ack_follows_17_1_1_3() {
        let inv = invite();
        let mut resp = Response::from_request(&inv, 486);
        resp.set_to_tag("tt");
        let ack = build_ack(&inv, &resp);
        let m = Message::parse(ack.to_bytes()).unwrap();
        let a = m.as_request().unwrap();
        assert_eq!(a.method(), &Method::Ack);
        assert_eq!(a.uri_raw(), b"sip:bob@192.0.2.2");
        assert_eq!(a.headers().count(HeaderName::Via), 1);
        assert_eq!(a.via().unwrap().branch(), Some("z9hG4bK-inv"));
        assert_eq!(a.via().unwrap().port(), Some(5060));
        assert_eq!(a.to().unwrap().tag(), Some("tt"));
        assert_eq!(a.from().unwrap().tag(), Some("fa"));
        assert_eq!(a.call_id().unwrap(), "cid-1");
        assert_eq!(a.cseq().unwrap().seq(), 12);
        assert_eq!(a.cseq().unwrap().method(), "ACK");
        assert_eq!(a.headers().count(HeaderName::Route), 2);
        assert!(!a.headers().contains(HeaderName::Contact));
        assert!(a.body().is_empty());
        assert_eq!(a.headers().get(HeaderName::ContentLength), Some(&b"0"[..]));
    }

    #[test]
    fn cancel_keeps_to_and_branch() {
        let c = build_cancel(&invite()).unwrap();
        assert_eq!(c.to().unwrap().tag(), None);
        assert_eq!(c.via().unwrap().branch(), Some("z9hG4bK-inv"));
        assert_eq!(c.headers().count(HeaderName::Via), 1);
        let ack = Request::builder(Method::Ack, "sip:x@y").build();
        assert!(build_cancel(&ack).is_err());
    }
}
