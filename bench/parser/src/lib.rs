//! Corpus of SIP messages for the parser benchmarks (see `README.md`).
//!
//! The messages live in `corpus/*.sip` with CRLF line endings and are
//! compiled in, so the benchmarks and tests do no file I/O.

/// One message of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// File stem in `corpus/`, used as the benchmark name.
    pub name: &'static str,
    /// The message exactly as it would arrive on the wire.
    pub bytes: &'static [u8],
    /// The Call-ID the message carries, to check the parsers read it.
    pub call_id: &'static str,
}

/// Every message of the corpus, in the order they are reported.
pub const CORPUS: &[Sample] = &[
    Sample {
        name: "register_auth",
        bytes: include_bytes!("../corpus/register_auth.sip"),
        call_id: "1478321655@192.168.1.34",
    },
    Sample {
        name: "invite_sdp",
        bytes: include_bytes!("../corpus/invite_sdp.sip"),
        call_id: "3848276298220188511@atlanta.example.com",
    },
    Sample {
        name: "ok_record_route",
        bytes: include_bytes!("../corpus/ok_record_route.sip"),
        call_id: "5a8d1c4e7f2b9a3d6e0c1b4a7f8e2d5c@192.168.0.23:5062",
    },
    Sample {
        name: "notify_pidf",
        bytes: include_bytes!("../corpus/notify_pidf.sip"),
        call_id: "2010b4c6-9a27-4c0e-8f1d-5e3a7b6c9d02",
    },
    Sample {
        name: "message",
        bytes: include_bytes!("../corpus/message.sip"),
        call_id: "asd88asd77a@192.0.2.101",
    },
];
