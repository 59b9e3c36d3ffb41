//! Criterion benchmarks: parse each corpus message with each parser.
//!
//! Ids are `<message>/<parser>`, so `cargo bench -p parser-bench --bench parse
//! -- invite_sdp` runs one message with every parser.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

mod common;

use std::time::Duration;

use common::{Input, Parser};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn parse(c: &mut Criterion) {
    for input in Input::corpus() {
        let mut group = c.benchmark_group(input.name);
        group.throughput(Throughput::Bytes(input.bytes.len() as u64));
        for parser in Parser::ALL.into_iter().filter(|p| p.available()) {
            // Check once, outside the measurement, that the parser copes.
            parser.run(&input);
            group.bench_function(parser.name(), |b| b.iter(|| parser.run(&input)));
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // 15 benchmarks on a 2-core machine: shorter than criterion's 3 s + 5 s
    // default; `--warm-up-time` / `--measurement-time` override this.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
