//! Writing to stdout and stderr without panicking.
//!
//! Input: formatted text for either stream. Output: the text written, or, once a write has
//! failed, nothing more on that stream. A reader that closes the pipe early (`tagc … | head -1`)
//! makes writes fail with `BrokenPipe`; like other Unix tools, tagc then stops writing quietly.
//! Any other failure on stdout is kept for [`stdout_failure`], so the command can report that
//! its output is incomplete.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout has failed: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr has failed.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
/// The first stdout failure that was not a closed pipe.
static STDOUT_FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// Writes to stdout, unless an earlier write failed.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe
            && let Ok(mut failure) = STDOUT_FAILURE.lock()
        {
            failure.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Writes to stderr, unless an earlier write failed. A failure here cannot be reported.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if std::io::stderr().lock().write_fmt(args).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Why stdout could not be written, when the reason was not a closed pipe.
pub fn stdout_failure() -> Option<String> {
    STDOUT_FAILURE.lock().ok().and_then(|f| f.clone())
}
