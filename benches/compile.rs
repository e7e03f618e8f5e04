//! Benchmarks of the compiler pipeline.

fn main() {}
