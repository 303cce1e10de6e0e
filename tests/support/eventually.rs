//! Waiting for something another process does: a registry change to
//! arrive, a listener to come back.

use std::future::Future;
use std::time::{Duration, Instant};

/// Runs `probe` every 20 ms until `done` accepts its result or `within` has
/// passed, and returns the last result.
pub async fn eventually<T, Probe, Fut>(
    within: Duration,
    mut probe: Probe,
    done: impl Fn(&T) -> bool,
) -> T
where
    Probe: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + within;
    loop {
        let result = probe().await;
        if done(&result) || Instant::now() > deadline {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
