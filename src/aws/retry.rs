//! Retrying calls that AWS asks to retry later.
//!
//! Input: one API call as a closure and a [`RetryPolicy`]. Output: the call's result, after up
//! to `max_attempts` tries with exponential backoff on throttling
//! (`TooManyRequestsException`) and on the two "busy" errors
//! (`ConcurrentModificationException`, `PolicyChangesInProgressException`). Organizations allows
//! only 2 policy changes per second per account, so a large apply hits the throttle by design.

use std::time::Duration;

use super::api::ApiError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second try; it doubles each time.
    pub base_delay: Duration,
    /// The longest wait between two tries.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No waiting between tries (for tests against a fake).
    pub const fn immediate(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The wait after failed try number `attempt` (1-based).
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Runs `call` until it succeeds, fails with an error that is not retryable, or runs out of
/// attempts. `note` hears about every retry (for progress lines).
pub fn with_retry<T>(
    policy: &RetryPolicy,
    what: &str,
    note: &mut dyn FnMut(&str),
    mut call: impl FnMut() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 1;
    loop {
        match call() {
            Err(e) if e.is_retryable() && attempt < policy.max_attempts => {
                let wait = policy.delay(attempt);
                note(&format!(
                    "{what}: {} (try {attempt} of {}), retrying in {} ms",
                    e.code,
                    policy.max_attempts,
                    wait.as_millis()
                ));
                std::thread::sleep(wait);
                attempt += 1;
            }
            other => return other,
        }
    }
}
