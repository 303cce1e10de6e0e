//! Backends terminated behind the application's back, as a server restart,
//! a failover or an administrator would: once, or every few hundred
//! milliseconds while statements run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_postgres::Client;

/// Terminates every backend of `role` (from `admin`, a superuser) and
/// returns how many there were.
pub async fn terminate_backends_of(admin: &Client, role: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1",
            &[&role],
        )
        .await
        .expect("terminate the role's backends")
        .get(0)
}

/// Backends of `role` the server still has.
pub async fn backends_of(admin: &Client, role: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1",
            &[&role],
        )
        .await
        .expect("count the role's backends")
        .get(0)
}

/// Terminates the backends of a role every `period` until stopped.
pub struct Killer {
    stop: Arc<AtomicBool>,
    task: JoinHandle<i64>,
}

impl Killer {
    /// Starts terminating `role`'s backends from `admin` every `period`.
    pub fn start(admin: Client, role: String, period: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let task = tokio::spawn(async move {
            let mut terminated = 0;
            while !stopping.load(Ordering::Acquire) {
                tokio::time::sleep(period).await;
                terminated += terminate_backends_of(&admin, &role).await;
            }
            terminated
        });
        Self { stop, task }
    }

    /// Stops, and returns how many backends were terminated.
    pub async fn stop(self) -> i64 {
        self.stop.store(true, Ordering::Release);
        self.task.await.expect("the killer")
    }
}

/// Terminates every backend of `role` on the server at `port` and waits
/// (at most 10 s) until they are gone, from a thread of its own, blocking
/// the caller meanwhile: a caller on a single-threaded runtime gets its
/// tasks back only once the server has closed the connections, before any
/// of its connections' drivers has read that.
pub fn terminate_backends_blocking(port: u16, role: &str) -> i64 {
    let role = role.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the superuser");
        runtime.block_on(async {
            let admin = tenantry_test_support::servers::connect(
                &tenantry_test_support::servers::superuser_url(port, "postgres"),
            )
            .await;
            let terminated = terminate_backends_of(&admin, &role).await;
            super::eventually::eventually(
                Duration::from_secs(10),
                || backends_of(&admin, &role),
                |left| *left == 0,
            )
            .await;
            terminated
        })
    })
    .join()
    .expect("the superuser's thread")
}
