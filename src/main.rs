//! The `tagc` command: parses arguments and hands over to the library.

fn main() {}
