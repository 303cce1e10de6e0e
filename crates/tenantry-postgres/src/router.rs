//! Resolving a tenant id to its route through the registry, with an
//! in-process cache that registry changes made anywhere invalidate.
//!
//! Every change to the registry table notifies the `tenantry_registry`
//! channel (a trigger does it, in the same transaction). Each process keeps
//! one connection listening on it and evicts the tenant named in each
//! notification, revoking the route its handles hold. While that connection
//! is down (or stops answering its heartbeat), the cache is bypassed and
//! emptied, so a change made meanwhile is never missed; a generation counter
//! keeps a lookup that raced with a notification from caching a stale route.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tenantry_query::TenantId;
use tokio::sync::{Notify, mpsc};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Socket};

use crate::Error;
use crate::contract::CHANGES_CHANNEL;
use crate::pipeline;
use crate::placement::TenantStatus;
use crate::registry;
use crate::route::Route;
use crate::shared::Shared;
use crate::tenant_context::NO_CONTEXT;

/// The cache of resolved tenants.
#[derive(Default)]
pub(crate) struct Router {
    routes: RwLock<HashMap<TenantId, Arc<Route>>>,
    /// Whether the listening connection is up (only then is the cache used).
    listening: AtomicBool,
    /// Bumped by every eviction.
    generation: AtomicU64,
    /// Signalled when the listening connection has subscribed.
    subscribed: Notify,
}

impl Router {
    /// The route of `id`: from the cache, or read from the registry.
    pub(crate) async fn route(&self, shared: &Shared, id: TenantId) -> Result<Arc<Route>, Error> {
        let listening = self.listening.load(Ordering::Acquire);
        if listening {
            if let Some(route) = self.routes.read().expect("route cache lock").get(&id) {
                return Ok(route.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let record = {
            let lease = shared.main.lease().await?;
            let rows =
                pipeline::query(&lease, &NO_CONTEXT, &registry::find_sql(), &[&id.as_uuid()])
                    .await?;
            rows.first().map(registry::record).transpose()?
        };
        let record = record.ok_or(Error::UnknownTenant { id })?;
        if record.status != TenantStatus::Active {
            return Err(Error::TenantNotActive {
                id,
                status: record.status,
            });
        }
        let server = shared.server(&record.server)?;
        let route = Arc::new(Route::new(
            id,
            record.placement,
            server,
            shared.config.citus,
        ));
        // A route that no notification can revoke later is handed out
        // revoked: its handles look the tenant up again for every statement.
        let cached = listening && {
            let mut routes = self.routes.write().expect("route cache lock");
            let unchanged = self.generation.load(Ordering::Acquire) == generation;
            if unchanged {
                // A lookup that raced with this one may have cached its
                // route first: its handles must not outlive it unrevoked.
                if let Some(replaced) = routes.insert(id, route.clone()) {
                    replaced.revoke();
                }
            }
            unchanged
        };
        if !cached {
            route.revoke();
        }
        Ok(route)
    }

    /// Evicts and revokes the route of `id`, or of every tenant.
    fn forget(&self, id: Option<TenantId>) {
        let mut routes = self.routes.write().expect("route cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        match id {
            Some(id) => {
                if let Some(route) = routes.remove(&id) {
                    route.revoke();
                }
            }
            None => routes.drain().for_each(|(_, route)| route.revoke()),
        }
    }

    /// Marks the listener subscribed: from now on the cache is used.
    fn start_listening(&self) {
        self.forget(None);
        self.listening.store(true, Ordering::Release);
        self.subscribed.notify_one();
    }

    /// Waits until the listening connection has subscribed, at most `wait`.
    pub(crate) async fn wait_until_listening(&self, wait: Duration) {
        if !self.listening.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(wait, self.subscribed.notified()).await;
        }
    }

    /// Tenants cached now.
    pub(crate) fn cached(&self) -> usize {
        self.routes.read().expect("route cache lock").len()
    }
}

/// Keeps a connection listening for registry changes for as long as the
/// `Tenantry` lives, reconnecting after failures.
pub(crate) async fn listen(shared: Weak<Shared>) {
    loop {
        let Some((config, main, heartbeat)) = shared.upgrade().map(|shared| {
            let config = &shared.config;
            (
                config.listener().clone(),
                shared.main.clone(),
                config.registry_heartbeat,
            )
        }) else {
            return;
        };
        // The listening connection counts against the main server's budget.
        let permit = main.permit_outside_pools().await;
        drop(main);
        if permit.is_some() {
            if let Ok(Ok((client, connection))) =
                tokio::time::timeout(heartbeat, config.connect(NoTls)).await
            {
                follow_changes(&shared, &client, connection, heartbeat).await;
            }
        }
        drop(permit);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Some(router) = shared.router.as_ref() {
            router.listening.store(false, Ordering::Release);
            router.forget(None);
        }
        drop(shared);
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// How long the listener waits before connecting again after a failure.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Subscribes to registry changes on `client` and evicts the tenant of each
/// notification, until the connection fails, stops answering its heartbeat,
/// or the `Tenantry` is gone.
async fn follow_changes(
    shared: &Weak<Shared>,
    client: &Client,
    mut connection: Connection<Socket, NoTlsStream>,
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
    if subscribed && with_router(shared, Router::start_listening).is_some() {
        let mut beats = tokio::time::interval(heartbeat);
        beats.tick().await;
        loop {
            tokio::select! {
                notification = notifications.recv() => {
                    let Some(notification) = notification else { break };
                    let tenant = notification.payload().parse().ok();
                    if with_router(shared, |router| router.forget(tenant)).is_none() {
                        break;
                    }
                }
                _ = beats.tick() => {
                    let answered = tokio::time::timeout(heartbeat, client.batch_execute("")).await;
                    if !matches!(answered, Ok(Ok(()))) || shared.strong_count() == 0 {
                        break;
                    }
                }
            }
        }
    }
    driver.abort();
}

/// Runs `action` on the router, unless the `Tenantry` is gone.
fn with_router<T>(shared: &Weak<Shared>, action: impl FnOnce(&Router) -> T) -> Option<T> {
    let shared = shared.upgrade()?;
    let router = shared.router.as_ref().expect("listening implies a router");
    Some(action(router))
}
