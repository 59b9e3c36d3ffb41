//! The `carillon` server binary.
fn main() {}
