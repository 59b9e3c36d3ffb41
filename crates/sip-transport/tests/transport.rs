//! End-to-end tests of the transport layer over 127.0.0.1 (and nothing else).

mod transport {
    pub(crate) mod common;
    mod shutdown;
    mod stream;
    mod tls;
    mod udp;
    mod ws;
}
