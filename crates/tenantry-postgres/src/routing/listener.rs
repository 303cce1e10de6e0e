//! The connection that keeps every process's route cache true: it listens
//! for the registry's change notifications and evicts the tenant each names
//! (or, for a server added at run time, the server and every route); while
//! it is down (or stops answering its heartbeat), the cache is bypassed.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use super::router::Router;
use crate::contract::{CHANGES_CHANNEL, SERVER_CHANGE_PREFIX};
use crate::options::ConnectOptions;
use crate::pool::Servers;
use crate::transport::connect::{self, PlainConnection};

/// Keeps a connection (to `listener`, within the main server's budget)
/// listening for registry changes for as long as `router` lives,
/// reconnecting after failures; `heartbeat` bounds how long a silent
/// connection is trusted.
pub(crate) async fn listen(
    router: Weak<Router>,
    servers: Weak<Servers>,
    listener: ConnectOptions,
    heartbeat: Duration,
) {
    loop {
        let Some(live) = servers.upgrade() else {
            return;
        };
        // The listening connection counts against the main server's budget.
        let permit = live.main().permit_outside_pools().await;
        drop(live);
        if permit.is_some() {
            if let Ok(Ok((client, connection))) =
                tokio::time::timeout(heartbeat, connect::plain(&listener)).await
            {
                follow_changes(&router, &servers, &client, connection, heartbeat).await;
            }
        }
        drop(permit);
        let Some(live) = router.upgrade() else {
            return;
        };
        live.stop_listening();
        drop(live);
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// How long the listener waits before connecting again after a failure.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Subscribes to registry changes on `client` and evicts the tenant of each
/// notification (or the server among `servers`, and every route), until the
/// connection fails, stops answering its heartbeat, or the router is gone.
async fn follow_changes(
    router: &Weak<Router>,
    servers: &Weak<Servers>,
    client: &Client,
    mut connection: PlainConnection,
    heartbeat: Duration,
) {
    let (sender, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(notification) = message {
                if sender.send(notification).is_err() {
                    return;
                }
            }
        }
    });
    let subscribed = client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await
        .is_ok();
    if subscribed && with_router(router, Router::start_listening).is_some() {
        let mut beats = tokio::time::interval(heartbeat);
        beats.tick().await;
        loop {
            tokio::select! {
                notification = notifications.recv() => {
                    let Some(notification) = notification else { break };
                    let payload = notification.payload();
                    if let Some(server) = payload.strip_prefix(SERVER_CHANGE_PREFIX) {
                        if let Some(servers) = servers.upgrade() {
                            servers.forget(server);
                        }
                    }
                    // A payload that names no tenant (a server) evicts them all.
                    let tenant = payload.parse().ok();
                    if with_router(router, |router| router.forget(tenant)).is_none() {
                        break;
                    }
                }
                _ = beats.tick() => {
                    let answered = tokio::time::timeout(heartbeat, client.batch_execute("")).await;
                    if !matches!(answered, Ok(Ok(()))) || router.strong_count() == 0 {
                        break;
                    }
                }
            }
        }
    }
    driver.abort();
}

/// Runs `action` on the router, unless it is gone.
fn with_router<T>(router: &Weak<Router>, action: impl FnOnce(&Router) -> T) -> Option<T> {
    let router: Arc<Router> = router.upgrade()?;
    Some(action(&router))
}
