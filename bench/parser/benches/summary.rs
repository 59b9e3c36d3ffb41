//! Summary table: ns per message for each parser and corpus message, with a
//! plain `Instant` timing loop, printed as a markdown table.
//!
//! Per (message, parser): a warm-up of [`WARM_UP`] that also estimates the
//! cost of one parse, then [`BATCHES`] batches of `N` parses each, where `N`
//! is chosen so a batch takes about [`BATCH_TARGET`]; the figure reported is
//! the median batch's time divided by `N`. For one message, the parsers'
//! batches take turns, so the columns of a row see the same machine load.
//!
//! `cargo bench -p parser-bench --bench summary` runs it; an argument that is
//! not a flag keeps only the messages whose name contains it. Run without
//! `--bench` (as `cargo test --all-targets` does), it only checks that every
//! parser handles every message once, and prints no table.

mod common;

use std::time::{Duration, Instant};

use common::{Input, Parser};

/// Batches timed per (message, parser); the median is reported.
const BATCHES: usize = 31;
/// Wall time one batch should take.
const BATCH_TARGET: Duration = Duration::from_millis(3);
/// Warm-up per (message, parser), also used to size the batches.
const WARM_UP: Duration = Duration::from_millis(300);

/// Timing of one (message, parser) pair.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Median over the batches, in ns per message.
    median_ns: f64,
    /// Interquartile range of the batches, relative to the median.
    spread: f64,
}

/// Warms `parser` up on `input` and returns how many parses make one batch.
fn batch_size(parser: Parser, input: &Input) -> u32 {
    let start = Instant::now();
    let mut warm = 0u32;
    while start.elapsed() < WARM_UP {
        parser.run(input);
        warm += 1;
    }
    let per_parse = start.elapsed() / warm.max(1);
    let iters = (BATCH_TARGET.as_nanos() / per_parse.as_nanos().max(1)).clamp(1, 1_000_000);
    u32::try_from(iters).unwrap_or(1_000_000)
}

/// Times every parser in `parsers` on `input`. The batches of the different
/// parsers are interleaved (one batch of each, [`BATCHES`] times), so that a
/// burst of load from elsewhere on the machine hits them all alike.
fn measure(parsers: &[Parser], input: &Input) -> Vec<Timing> {
    let sizes: Vec<u32> = parsers.iter().map(|&p| batch_size(p, input)).collect();
    let mut batches: Vec<Vec<f64>> = vec![Vec::with_capacity(BATCHES); parsers.len()];
    for _ in 0..BATCHES {
        for ((&parser, &iters), times) in parsers.iter().zip(&sizes).zip(&mut batches) {
            let t = Instant::now();
            for _ in 0..iters {
                parser.run(input);
            }
            times.push(t.elapsed().as_secs_f64() * 1e9 / f64::from(iters));
        }
    }
    batches
        .into_iter()
        .map(|mut times| {
            times.sort_by(f64::total_cmp);
            let median_ns = times[BATCHES / 2];
            let spread = (times[BATCHES * 3 / 4] - times[BATCHES / 4]) / median_ns;
            Timing { median_ns, spread }
        })
        .collect()
}

fn cell(t: Option<Timing>) -> String {
    match t {
        Some(t) => format!("{:.0}", t.median_ns),
        None => "n/a".to_owned(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench_mode = args.iter().any(|a| a == "--bench");
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let corpus: Vec<Input> = Input::corpus()
        .into_iter()
        .filter(|i| filter.is_none_or(|f| i.name.contains(f.as_str())))
        .collect();
    let parsers: Vec<Parser> = Parser::ALL.into_iter().filter(|p| p.available()).collect();

    if !bench_mode {
        for input in &corpus {
            for &parser in &parsers {
                parser.run(input);
            }
        }
        println!(
            "summary: smoke run ok ({} messages x {} parsers)",
            corpus.len(),
            parsers.len()
        );
        return;
    }

    let mut rows = Vec::new();
    let mut worst_spread = 0.0_f64;
    for input in &corpus {
        let measured = measure(&parsers, input);
        for (parser, t) in parsers.iter().zip(&measured) {
            eprintln!(
                "{:<16} {:<10} {:>9.0} ns/msg (IQR {:.1}%)",
                input.name,
                parser.name(),
                t.median_ns,
                t.spread * 100.0
            );
            worst_spread = worst_spread.max(t.spread);
        }
        let timings: Vec<Option<Timing>> = Parser::ALL
            .iter()
            .map(|p| parsers.iter().position(|q| q == p).map(|i| measured[i]))
            .collect();
        rows.push((input, timings));
    }

    println!();
    println!(
        "| message | bytes | carillon ns/msg | rsip ns/msg | rsipstack ns/msg | faster peer / carillon |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (input, t) in &rows {
        let [carillon, rsip, rsipstack] = [t[0], t[1], t[2]];
        let peer = [rsip, rsipstack]
            .into_iter()
            .flatten()
            .map(|t| t.median_ns)
            .reduce(f64::min);
        let ratio = match (peer, carillon) {
            (Some(peer), Some(c)) => format!("{:.2}x", peer / c.median_ns),
            _ => "n/a".to_owned(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            input.name,
            input.bytes.len(),
            cell(carillon),
            cell(rsip),
            cell(rsipstack),
            ratio
        );
    }
    println!();
    println!(
        "Median of {BATCHES} batches of ~{} ms after a {} ms warm-up; widest IQR {:.1}% of the \
         median. Ratio > 1: Carillon is faster than the faster of rsip and rsipstack.{}",
        BATCH_TARGET.as_millis(),
        WARM_UP.as_millis(),
        worst_spread * 100.0,
        if Parser::Carillon.available() {
            ""
        } else {
            " Carillon: n/a (built without the `carillon` feature)."
        }
    );
}
