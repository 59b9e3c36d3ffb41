//! The SIP registrar logic (RFC 3261 §10.3, RFC 3327, RFC 5626, RFC 5627), sans-IO.
