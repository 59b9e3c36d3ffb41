//! Parses a file in a loop, for profiling: `cargo run --release --example parse_loop FILE N`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("file");
    let n: usize = args.next().map_or(1_000_000, |s| s.parse().expect("count"));
    let buf = bytes::Bytes::from(std::fs::read(path).expect("read"));
    let t = std::time::Instant::now();
    for _ in 0..n {
        let m = sip_message::Message::parse(buf.clone()).unwrap();
        std::hint::black_box(m.via().unwrap());
        std::hint::black_box(m.from().unwrap());
        std::hint::black_box(m.to().unwrap());
        std::hint::black_box(m.call_id().unwrap());
        std::hint::black_box(m.cseq().unwrap());
    }
    eprintln!("{:.0} ns/msg", t.elapsed().as_nanos() as f64 / n as f64);
}
