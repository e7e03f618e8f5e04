//! Writes a generated project (see `generator.rs`) into a directory, for
//! `scripts/bench-floor.sh`:
//!
//! ```sh
//! cargo run --release --example generate-project -- DIR policies|tags|wildcards N
//! ```
//!
//! `policies N`: N policies over N tags; `tags N`: N tags and one policy; `wildcards N`: N
//! policies whose `require` rules are wildcard patterns. The directory is created; the files
//! in it are overwritten.

#![allow(
    clippy::print_stderr,
    reason = "a developer's tool: its usage goes to stderr"
)]

#[allow(
    dead_code,
    reason = "the benches use all of the generator, this tool a part"
)]
mod generator;

use std::process::ExitCode;

use generator::Shape;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, kind, n] = args.as_slice() else {
        eprintln!("usage: generate-project DIR policies|tags|wildcards N");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("not a number: {n}");
        return ExitCode::from(2);
    };
    let shape = match kind.as_str() {
        "policies" => Shape::policies(n),
        "tags" => Shape::tags(n),
        "wildcards" => Shape::wildcards(n),
        _ => {
            eprintln!("unknown shape {kind}: policies, tags or wildcards");
            return ExitCode::from(2);
        }
    };
    let dir = std::path::Path::new(dir);
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for (name, text) in generator::project(shape) {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
