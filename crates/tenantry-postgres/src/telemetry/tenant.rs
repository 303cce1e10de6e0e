//! What every span and metric of one tenant carries, worked out once per
//! route so that a statement records it without allocating.

use std::sync::Arc;

use tenantry_query::TenantId;
use tokio_postgres::config::Host;

use super::Telemetry;
use super::instruments::TenantInstruments;
use crate::options::ConnectOptions;
use crate::placement::{Placement, TenantRecord};

/// Who a tenant is, for telemetry: its name and tier.
#[derive(Debug, Clone)]
pub(crate) struct TenantIdentity {
    name: Arc<str>,
    tier: Arc<str>,
}

impl TenantIdentity {
    /// A registered tenant: its slug, and its tier from the registry's plan.
    pub(crate) fn of(record: &TenantRecord) -> Self {
        Self {
            name: record.slug.as_str().into(),
            tier: record.plan.as_str().into(),
        }
    }

    /// A tenant of a pool-only deployment, which no registry names: its id,
    /// in the `default` tier.
    pub(crate) fn unregistered(id: TenantId) -> Self {
        Self {
            name: id.to_string().into(),
            tier: "default".into(),
        }
    }
}

/// One tenant's attributes where its route leads, and the telemetry of the
/// `Tenantry` that resolved it.
#[derive(Debug)]
pub(crate) struct TenantTelemetry {
    pub(super) telemetry: Arc<Telemetry>,
    pub(super) id: TenantId,
    /// `tenant.id`, rendered once.
    pub(super) id_text: Box<str>,
    pub(super) name: Arc<str>,
    pub(super) tier: Arc<str>,
    pub(super) placement: &'static str,
    /// `db.namespace`: `{database}` or `{database}|{schema}`.
    pub(super) namespace: Box<str>,
    /// `server.address` and `server.port`: the server's first host.
    pub(super) address: Box<str>,
    pub(super) port: u16,
    /// The connection pool the tenant's statements take from.
    pub(super) pool: Arc<str>,
    /// Its metric handles.
    pub(super) instruments: TenantInstruments,
}

impl TenantTelemetry {
    /// The attributes of tenant `id`, known as `identity`, at `placement` on
    /// the server `server` (by name) that `options` connect to.
    pub(crate) fn new(
        telemetry: &Arc<Telemetry>,
        id: TenantId,
        identity: TenantIdentity,
        placement: &Placement,
        server: &str,
        options: &ConnectOptions,
    ) -> Self {
        let (database, address, port) = endpoint(options);
        let (namespace, pool) = match placement {
            Placement::Pool => (database.to_owned(), server.to_owned()),
            Placement::Schema(schema) => (format!("{database}|{schema}"), server.to_owned()),
            Placement::Database(own) => (own.as_str().to_owned(), format!("{server}/{own}")),
        };
        Self {
            telemetry: telemetry.clone(),
            id,
            id_text: id.to_string().into(),
            name: identity.name,
            tier: identity.tier,
            placement: placement.kind(),
            namespace: namespace.into(),
            address,
            port,
            pool: pool.into(),
            instruments: TenantInstruments::default(),
        }
    }
}

/// Where `options` connect: the database (`db.namespace` of its own
/// tables), and the first host and port (`server.address`, `server.port`).
pub(super) fn endpoint(options: &ConnectOptions) -> (&str, Box<str>, u16) {
    let driver = options.driver();
    let address = match driver.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => String::new(),
    };
    let port = driver.get_ports().first().copied().unwrap_or(5432);
    (
        driver.get_dbname().unwrap_or_default(),
        address.into(),
        port,
    )
}
