//! The examples, end to end. Each example's file is compiled into this test
//! as a module and its `run` called with the test servers' URLs: `cargo test`
//! checks what `cargo run --example` shows, without a nested cargo or a
//! binary that may not be built yet (`cargo test --test examples` builds no
//! example).

mod support;

#[path = "../examples/quickstart.rs"]
#[expect(dead_code, reason = "the test calls `run`: `main` is the example's")]
mod quickstart;

#[path = "../examples/hybrid.rs"]
#[expect(dead_code, reason = "the test calls `run`: `main` is the example's")]
#[expect(
    clippy::duplicate_mod,
    reason = "each example has its own `setup`, as it does when built alone"
)]
mod hybrid;

#[path = "../examples/telemetry.rs"]
#[expect(dead_code, reason = "the test calls `run`: `main` is the example's")]
#[expect(
    clippy::duplicate_mod,
    reason = "each example has its own `setup`, as it does when built alone"
)]
mod telemetry;

#[path = "../examples/jobs.rs"]
#[expect(dead_code, reason = "the test calls `run`: `main` is the example's")]
#[expect(
    clippy::duplicate_mod,
    reason = "each example has its own `setup`, as it does when built alone"
)]
mod jobs;

use support::turns::{main_server, take_turn};
use tenantry_test_support::local_server::ensure_cluster;
use tenantry_test_support::servers::{SECOND_PORT, url_for};

#[tokio::test]
async fn quickstart_shows_each_tenant_its_own_rows() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    if let Err(error) = quickstart::run(&admin_url).await {
        panic!("the quickstart failed: {error}");
    }
}

#[tokio::test]
async fn hybrid_shows_each_placement_its_own_rows() {
    let admin_url = main_server();
    ensure_cluster("second", SECOND_PORT);
    let _turn = take_turn(&admin_url).await;
    let second_url = url_for(SECOND_PORT, "postgres", "postgres");
    if let Err(error) = hybrid::run(&admin_url, &second_url).await {
        panic!("the hybrid example failed: {error}");
    }
}

#[tokio::test]
async fn telemetry_counts_each_tenants_usage() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    if let Err(error) = telemetry::run(&admin_url).await {
        panic!("the telemetry example failed: {error}");
    }
}

#[tokio::test]
async fn jobs_resume_their_tenant_when_they_run() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    if let Err(error) = jobs::run(&admin_url).await {
        panic!("the jobs example failed: {error}");
    }
}

#[tokio::test]
async fn hybrid_says_which_server_does_not_answer() {
    let nobody = "postgres://postgres@127.0.0.1:1/postgres";
    let error = hybrid::run(&main_server(), nobody)
        .await
        .expect_err("no server listens on port 1");
    let message = error.to_string();
    assert!(
        message.contains("TENANTRY_SECOND_URL") && message.contains("does not answer"),
        "{message}"
    );
}
