//! SIP events (RFC 6665): Event, Allow-Events and Subscription-State.

use crate::headers::TypedHeader;
use crate::{HeaderError, HeaderName, Params, lex};

use super::{split_params, u32_param};

/// An event type: a package with optional templates, `presence` or `presence.winfo`
/// (RFC 6665 §8.2.1: `event-package *( "." event-template )`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType<'a>(&'a str);

impl<'a> EventType<'a> {
    /// Parses an event type; every dot-separated part must be a non-empty token.
    pub fn parse(s: &'a str) -> Result<EventType<'a>, HeaderError> {
        let s = lex::trim(s);
        if s.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !lex::is_token_str(s) {
            return Err(HeaderError::Syntax("event type is not a token"));
        }
        if s.split('.').any(str::is_empty) {
            return Err(HeaderError::Syntax("empty event package or template"));
        }
        Ok(EventType(s))
    }

    /// The whole event type as written (`presence.winfo`).
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The event package (`presence` in `presence.winfo`).
    pub fn package(&self) -> &'a str {
        self.0.split('.').next().unwrap_or(self.0)
    }

    /// The templates after the package, in order (`winfo` in `presence.winfo`).
    pub fn templates(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.split('.').skip(1)
    }
}

/// The Event header (RFC 6665 §8.2.1): `presence;id=1234`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    event_type: EventType<'a>,
    params: Params<'a>,
}

impl<'a> Event<'a> {
    /// The event type.
    pub fn event_type(&self) -> EventType<'a> {
        self.event_type
    }

    /// The event package (`refer`, `presence`, `dialog`, ...).
    pub fn package(&self) -> &'a str {
        self.event_type.package()
    }

    /// The `id` parameter, which tells apart several subscriptions in one dialog.
    pub fn id(&self) -> Option<&'a str> {
        self.params.get("id").flatten()
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for Event<'a> {
    const NAME: HeaderName = HeaderName::Event;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (head, params) = split_params(value)?;
        let event_type = EventType::parse(head)?;
        if let Some(id) = params.get("id") {
            if !id.is_some_and(lex::is_token_str) {
                return Err(HeaderError::Syntax("Event id is not a token"));
            }
        }
        Ok(Event { event_type, params })
    }
}

/// One event type of Allow-Events (RFC 6665 §8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllowEvents<'a>(pub EventType<'a>);

impl<'a> std::ops::Deref for AllowEvents<'a> {
    type Target = EventType<'a>;
    fn deref(&self) -> &EventType<'a> {
        &self.0
    }
}

impl<'a> TypedHeader<'a> for AllowEvents<'a> {
    const NAME: HeaderName = HeaderName::AllowEvents;
    const LIST: bool = true;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        EventType::parse(value).map(AllowEvents)
    }
}

/// The state a Subscription-State header reports. Matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubState<'a> {
    /// `active`: the subscription was accepted.
    Active,
    /// `pending`: awaiting authorization.
    Pending,
    /// `terminated`: the subscription ended; see the reason.
    Terminated,
    /// An extension state, as written.
    Other(&'a str),
}

impl<'a> SubState<'a> {
    /// The state as a string (canonical spelling for the three known states).
    pub fn as_str(&self) -> &'a str {
        match self {
            SubState::Active => "active",
            SubState::Pending => "pending",
            SubState::Terminated => "terminated",
            SubState::Other(s) => s,
        }
    }
}

/// The Subscription-State header (RFC 6665 §8.2.3):
/// `active;expires=3600` or `terminated;reason=timeout;retry-after=60`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    state: SubState<'a>,
    expires: Option<u32>,
    retry_after: Option<u32>,
    params: Params<'a>,
}

impl<'a> SubscriptionState<'a> {
    /// The subscription state.
    pub fn state(&self) -> SubState<'a> {
        self.state
    }

    /// The `reason` parameter (`deactivated`, `probation`, `rejected`, `timeout`, `giveup`,
    /// `noresource`, `invariant`, or another token).
    pub fn reason(&self) -> Option<&'a str> {
        self.params.get("reason").flatten()
    }

    /// The `expires` parameter, in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.expires
    }

    /// The `retry-after` parameter, in seconds.
    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }
}

impl<'a> TypedHeader<'a> for SubscriptionState<'a> {
    const NAME: HeaderName = HeaderName::SubscriptionState;

    fn decode(value: &'a str) -> Result<Self, HeaderError> {
        let (head, params) = split_params(value)?;
        if head.is_empty() {
            return Err(HeaderError::Empty);
        }
        if !lex::is_token_str(head) {
            return Err(HeaderError::Syntax("subscription state is not a token"));
        }
        let state = [
            ("active", SubState::Active),
            ("pending", SubState::Pending),
            ("terminated", SubState::Terminated),
        ]
        .into_iter()
        .find(|(n, _)| head.eq_ignore_ascii_case(n))
        .map_or(SubState::Other(head), |(_, s)| s);
        if let Some(r) = params.get("reason") {
            if !r.is_some_and(lex::is_token_str) {
                return Err(HeaderError::Syntax(
                    "Subscription-State reason is not a token",
                ));
            }
        }
        Ok(SubscriptionState {
            state,
            expires: u32_param(&params, "expires", "expires")?,
            retry_after: u32_param(&params, "retry-after", "retry-after")?,
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_with_template_and_id() {
        let e = Event::decode("presence.winfo ; id=a1;vendor=x").expect("valid");
        assert_eq!(e.event_type().as_str(), "presence.winfo");
        assert_eq!(e.package(), "presence");
        assert_eq!(e.event_type().templates().collect::<Vec<_>>(), ["winfo"]);
        assert_eq!(e.id(), Some("a1"));
        assert_eq!(e.params().get("vendor"), Some(Some("x")));
        let e = Event::decode("refer").expect("valid");
        assert_eq!(e.package(), "refer");
        assert_eq!(e.id(), None);
        assert_eq!(e.event_type().templates().count(), 0);
    }

    #[test]
    fn malformed_events_are_rejected() {
        for bad in [
            "",
            ";id=1",
            "presence.",
            ".winfo",
            "pres..winfo",
            "pres ence",
            "presence;id",
            "presence;id=\"1\"",
            "presence;",
            "presence;a=\"open",
        ] {
            assert!(Event::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allow_events_elements_are_event_types() {
        let a = AllowEvents::decode(" presence.winfo ").expect("valid");
        assert_eq!(a.package(), "presence");
        assert!(AllowEvents::decode("").is_err());
        assert!(AllowEvents::decode("dialog;x=1").is_err());
    }

    #[test]
    fn subscription_states_and_their_parameters() {
        let s = SubscriptionState::decode("active;expires=3600").expect("valid");
        assert_eq!(s.state(), SubState::Active);
        assert_eq!(s.expires(), Some(3600));
        assert_eq!(s.retry_after(), None);
        let s =
            SubscriptionState::decode("Terminated;reason=timeout;retry-after=60").expect("valid");
        assert_eq!(s.state(), SubState::Terminated);
        assert_eq!(s.state().as_str(), "terminated");
        assert_eq!(s.reason(), Some("timeout"));
        assert_eq!(s.retry_after(), Some(60));
        let s = SubscriptionState::decode("waiting").expect("valid");
        assert_eq!(s.state(), SubState::Other("waiting"));
        assert_eq!(
            SubscriptionState::decode("pending").map(|s| s.state()),
            Ok(SubState::Pending)
        );
    }

    #[test]
    fn malformed_subscription_states_are_rejected() {
        for bad in [
            "",
            ";expires=1",
            "active;expires=soon",
            "active;expires=4294967296",
            "active;expires",
            "terminated;retry-after=-1",
            "terminated;reason",
            "act ive",
            "active;;expires=1",
        ] {
            assert!(SubscriptionState::decode(bad).is_err(), "{bad:?}");
        }
    }
}
