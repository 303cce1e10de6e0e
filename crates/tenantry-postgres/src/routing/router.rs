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
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tenantry_query::TenantId;
use tokio::sync::Notify;
use tracing::Instrument;

use super::registry;
use super::route::Route;
use super::server_lookup;
use crate::context::pipeline;
use crate::context::start::NO_CONTEXT;
use crate::limits::gates::Gates;
use crate::placement::TenantStatus;
use crate::pool::Servers;
use crate::telemetry::{Telemetry, TenantIdentity, registry_lookup};
use crate::{Config, Error};

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
    /// The route of `id` among `servers` (or a server the registry records,
    /// opened as `config` says), with its tier's limits from `gates`: from
    /// the cache, or read from the registry on the main server (in a span of
    /// the lookup), observed by `telemetry`.
    pub(crate) async fn route(
        &self,
        servers: &Servers,
        config: &Config,
        gates: &Gates,
        id: TenantId,
        telemetry: &Arc<Telemetry>,
    ) -> Result<Arc<Route>, Error> {
        let listening = self.listening.load(Ordering::Acquire);
        if listening {
            if let Some(route) = self.routes.read().expect("route cache lock").get(&id) {
                return Ok(route.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let span = registry_lookup(id);
        let record = async {
            let lease = servers.main().lease().await?;
            let rows =
                pipeline::query(&lease, &NO_CONTEXT, &registry::find_sql(), &[&id.as_uuid()])
                    .await?;
            let record = rows.first().map(registry::record).transpose()?;
            let record = record.ok_or(Error::UnknownTenant { id })?;
            // A tenant being relocated is served where it is until its
            // registry row flips: its reads go on, and the write fence
            // refuses its writes (`TenantMoving`).
            if !matches!(record.status, TenantStatus::Active | TenantStatus::Moving) {
                return Err(Error::not_serving(id, record.status));
            }
            Ok(record)
        }
        .instrument(span.clone())
        .await
        .inspect_err(|error| crate::telemetry::failed(&span, error))?;
        let server = server_lookup::server(servers, config, &record.server).await?;
        let identity = TenantIdentity::of(&record);
        let tier = (gates, record.plan.as_str(), &record.limits);
        let route = Arc::new(Route::new(
            id,
            identity,
            record.placement,
            server,
            config.is_citus(),
            telemetry,
            tier,
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
    pub(super) fn forget(&self, id: Option<TenantId>) {
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
    pub(super) fn start_listening(&self) {
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

    /// Marks the listener down: the cache is emptied and bypassed until it
    /// subscribes again.
    pub(super) fn stop_listening(&self) {
        self.listening.store(false, Ordering::Release);
        self.forget(None);
    }

    /// Tenants cached now.
    pub(crate) fn cached(&self) -> usize {
        self.routes.read().expect("route cache lock").len()
    }
}
