//! The one surface a scenario drives, and its adapters for the sans-IO layers.

use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use sip_dialog::{DialogEvent, DialogLayer};
use sip_message::{Message, ParseError};
use sip_transaction::{Event, Peer, TransactionLayer, Transmit};

use crate::StatelessProxy;

/// What an engine has for its driver, from [`Engine::poll_output`].
#[derive(Debug, Clone)]
pub enum EngineOutput<E> {
    /// Bytes to send; the destination's address names the receiving node.
    Transmit(Transmit),
    /// News for the test (and for the node's hook, see
    /// [`World::on_event`](crate::World::on_event)).
    Event(E),
}

/// Why an engine did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// The bytes are not a SIP message. The engines under test print parseable messages, so
    /// a scenario treats this as a bug and panics.
    Unparseable(ParseError),
    /// The engine refused the message (the peer's fault: no Via, a CSeq that does not match
    /// the method...). A scenario notes it, or panics when
    /// [strict](crate::World::set_strict).
    Rejected(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Unparseable(e) => write!(f, "unparseable: {e}"),
            InputError::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

impl std::error::Error for InputError {}

/// A sans-IO engine as a scenario drives it (ARCHITECTURE principle 2: one door in, one door
/// out).
///
/// The driver hands it what the network delivers ([`handle_input`](Engine::handle_input))
/// and what the clock does ([`handle_timeout`](Engine::handle_timeout)), drains
/// [`poll_output`](Engine::poll_output) after each, and wakes it at
/// [`poll_timeout`](Engine::poll_timeout). Transmissions and events come out of one queue, in
/// the order the engine decided them, as they do from the layers themselves.
///
/// Implemented here for [`TransactionLayer`], [`DialogLayer`], [`StatelessProxy`] and
/// [`Element`]. The layers' own methods of the same names take precedence in method calls;
/// these are reached through the trait (as a scenario does).
pub trait Engine {
    /// What the engine reports.
    type Event;

    /// Takes one whole message that arrived from `from` at `now`.
    fn handle_input(&mut self, now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError>;

    /// Fires whatever is due at `now`.
    fn handle_timeout(&mut self, now: Instant);

    /// The next transmission or event, in order; `None` when there is nothing left.
    fn poll_output(&mut self) -> Option<EngineOutput<Self::Event>>;

    /// When to call [`handle_timeout`](Engine::handle_timeout) next, if ever.
    fn poll_timeout(&mut self) -> Option<Instant>;

    /// One line about an event, for traces. It must not print [`Instant`]s (their debug form
    /// differs from run to run, and traces are compared across runs).
    fn describe(event: &Self::Event) -> String;
}

fn parse(bytes: Bytes) -> Result<Message, InputError> {
    Message::parse(bytes).map_err(InputError::Unparseable)
}

impl Engine for TransactionLayer {
    type Event = Event;

    fn handle_input(&mut self, now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        let message = parse(bytes)?;
        TransactionLayer::handle_input(
            self,
            sip_transaction::Input::Received {
                now,
                source: from,
                message,
            },
        )
        .map_err(|e| InputError::Rejected(e.to_string()))
    }

    fn handle_timeout(&mut self, now: Instant) {
        TransactionLayer::handle_timeout(self, now);
    }

    fn poll_output(&mut self) -> Option<EngineOutput<Event>> {
        Some(match TransactionLayer::poll_output(self)? {
            sip_transaction::Output::Transmit(t) => EngineOutput::Transmit(t),
            sip_transaction::Output::Event(e) => EngineOutput::Event(e),
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        TransactionLayer::poll_timeout(self)
    }

    fn describe(event: &Event) -> String {
        crate::transaction::describe(event)
    }
}

impl Engine for DialogLayer {
    type Event = DialogEvent;

    fn handle_input(&mut self, now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        let message = parse(bytes)?;
        DialogLayer::handle_input(
            self,
            sip_dialog::Input::Received {
                now,
                source: from,
                message,
            },
        )
        .map_err(|e| InputError::Rejected(e.to_string()))
    }

    fn handle_timeout(&mut self, now: Instant) {
        DialogLayer::handle_timeout(self, now);
    }

    fn poll_output(&mut self) -> Option<EngineOutput<DialogEvent>> {
        Some(match DialogLayer::poll_output(self)? {
            sip_dialog::Output::Transmit(t) => EngineOutput::Transmit(t),
            sip_dialog::Output::Event(e) => EngineOutput::Event(e),
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        DialogLayer::poll_timeout(self)
    }

    fn describe(event: &DialogEvent) -> String {
        crate::dialog::describe(event)
    }
}

/// A node that is either an endpoint engine or a [`StatelessProxy`], so that one scenario
/// can hold user agents and proxies between them.
#[derive(Debug)]
pub enum Element<E> {
    /// A user agent, a registrar... whatever `E` is.
    Endpoint(E),
    /// A stateless proxy (it has no timers and reports nothing).
    Proxy(StatelessProxy),
}

impl<E> Element<E> {
    /// The endpoint engine, if this is one.
    pub fn endpoint(&self) -> Option<&E> {
        match self {
            Element::Endpoint(e) => Some(e),
            Element::Proxy(_) => None,
        }
    }

    /// The endpoint engine, if this is one.
    pub fn endpoint_mut(&mut self) -> Option<&mut E> {
        match self {
            Element::Endpoint(e) => Some(e),
            Element::Proxy(_) => None,
        }
    }

    /// The proxy, if this is one.
    pub fn proxy_mut(&mut self) -> Option<&mut StatelessProxy> {
        match self {
            Element::Endpoint(_) => None,
            Element::Proxy(p) => Some(p),
        }
    }
}

impl<E: Engine> Engine for Element<E> {
    type Event = E::Event;

    fn handle_input(&mut self, now: Instant, from: Peer, bytes: Bytes) -> Result<(), InputError> {
        match self {
            Element::Endpoint(e) => e.handle_input(now, from, bytes),
            Element::Proxy(p) => Engine::handle_input(p, now, from, bytes),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Element::Endpoint(e) = self {
            e.handle_timeout(now);
        }
    }

    fn poll_output(&mut self) -> Option<EngineOutput<E::Event>> {
        match self {
            Element::Endpoint(e) => e.poll_output(),
            Element::Proxy(p) => p.poll_transmit().map(EngineOutput::Transmit),
        }
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        match self {
            Element::Endpoint(e) => e.poll_timeout(),
            Element::Proxy(_) => None,
        }
    }

    fn describe(event: &E::Event) -> String {
        E::describe(event)
    }
}
