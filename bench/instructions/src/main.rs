//! Fixed, deterministic workloads over Carillon's hot paths, for counting instructions under
//! callgrind (`bench/instructions/run.sh`).
//!
//! `instruction-guard WORKLOAD N` runs one workload N times:
//!
//! - `parse`: N messages from a fixed corpus parsed, with the typed topmost Via, From, To,
//!   Call-ID and CSeq of each.
//! - `transaction-options`, `transaction-invite`: N OPTIONS (200) or N INVITE (100, 180,
//!   200, ACK) transactions between a UAC and a UAS transaction layer.
//! - `proxy-call`: N calls (INVITE/100/180/200/ACK/BYE/200) relayed by the proxy between a
//!   scripted caller and callee.
//!
//! No I/O besides reading argv and the final line on stderr, and no clock reads besides one
//! `Instant` captured at start: the instruction count depends only on the code and N.
//! Each workload checks that every unit of work did what it should (statuses seen, state
//! drained at the end) and exits non-zero if not, so a broken path cannot pass as a fast one.

mod parse;
mod proxy;
mod transaction;

use std::process::ExitCode;

// The server's allocator, so allocation is counted as the server pays it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The workloads, by the name given on the command line.
const WORKLOADS: [&str; 4] = [
    "parse",
    "transaction-options",
    "transaction-invite",
    "proxy-call",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(workload), Some(n)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!(
            "usage: instruction-guard WORKLOAD N   (WORKLOAD: {})",
            WORKLOADS.join(", ")
        );
        return ExitCode::from(2);
    };
    let result = match workload.as_str() {
        "parse" => parse::run(n),
        "transaction-options" => transaction::run(transaction::Kind::Options, n),
        "transaction-invite" => transaction::run(transaction::Kind::Invite, n),
        "proxy-call" => proxy::run(n),
        other => Err(format!("unknown workload {other:?}")),
    };
    match result {
        Ok(()) => {
            eprintln!("{workload} {n}: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{workload} {n}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    // A few units of each workload: the checks inside them (statuses, events, state drained)
    // hold, so the counts in baseline.txt measure the work they claim to.
    #[test]
    fn parse_reads_every_corpus_message() {
        assert_eq!(super::parse::run(10), Ok(()));
    }

    #[test]
    fn options_transactions_complete_and_drain() {
        assert_eq!(
            super::transaction::run(super::transaction::Kind::Options, 5),
            Ok(())
        );
    }

    #[test]
    fn invite_transactions_complete_with_ack_and_drain() {
        assert_eq!(
            super::transaction::run(super::transaction::Kind::Invite, 5),
            Ok(())
        );
    }

    #[test]
    fn proxy_relays_whole_calls_and_drains() {
        assert_eq!(super::proxy::run(5), Ok(()));
    }
}
