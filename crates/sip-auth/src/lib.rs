//! Digest authentication (RFC 7616, RFC 8760) for SIP: challenges, nonces, verification, sans-IO.
