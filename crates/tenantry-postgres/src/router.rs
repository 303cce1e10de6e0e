//! Resolving a tenant id to its route through the registry, with an
//! in-process cache that registry changes made anywhere invalidate.
//!
//! Every change to the registry table notifies the `tenantry_registry`
//! channel (a trigger does it, in the same transaction). Each process keeps
//! one connection listening on it and evicts the tenant named in each
//! notification. While that connection is down, the cache is bypassed and
//! emptied, so a change made meanwhile is never missed; a generation counter
//! keeps a lookup that raced with a notification from caching a stale route.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tenantry_query::TenantId;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::Error;
use crate::pipeline;
use crate::placement::TenantStatus;
use crate::registry::{self, CHANGES_CHANNEL};
use crate::route::Route;
use crate::shared::Shared;

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
                pipeline::query(&lease, "BEGIN", &registry::find_sql(), &[&id.as_uuid()]).await?;
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
        if listening {
            let mut routes = self.routes.write().expect("route cache lock");
            if self.generation.load(Ordering::Acquire) == generation {
                routes.insert(id, route.clone());
            }
        }
        Ok(route)
    }

    fn forget(&self, id: Option<TenantId>) {
        let mut routes = self.routes.write().expect("route cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        match id {
            Some(id) => {
                routes.remove(&id);
            }
            None => routes.clear(),
        }
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
        let Some((config, main)) = shared
            .upgrade()
            .map(|shared| (shared.config.postgres.clone(), shared.main.clone()))
        else {
            return;
        };
        // The listening connection counts against the main server's budget.
        let permit = main.permit_outside_pools().await;
        drop(main);
        let connected = match permit {
            Some(_) => config.connect(NoTls).await.ok(),
            None => None,
        };
        if let Some((client, mut connection)) = connected {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            let command = format!("LISTEN {CHANGES_CHANNEL}");
            let listen = client.batch_execute(&command);
            let subscribed = tokio::select! {
                result = listen => result.is_ok(),
                _ = messages.next() => false,
            };
            if subscribed {
                if let Some(shared) = shared.upgrade() {
                    let router = shared.router.as_ref().expect("listening implies a router");
                    router.forget(None);
                    router.listening.store(true, Ordering::Release);
                    router.subscribed.notify_one();
                }
                while let Some(Ok(message)) = messages.next().await {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    if let AsyncMessage::Notification(notification) = message {
                        let router = shared.router.as_ref().expect("listening implies a router");
                        router.forget(Some(notification.payload().parse().ok()).flatten());
                    }
                }
            }
            drop(client);
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
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
