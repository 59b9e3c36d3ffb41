//! A stateful forking SIP proxy core (RFC 3261 §16), sans-IO.
