//! tagc's integration tests: one binary, one module per topic.

#[cfg(feature = "aws")]
mod apply;
