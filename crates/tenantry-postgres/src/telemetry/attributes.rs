//! The names tenantry's spans and metrics use: OpenTelemetry's database
//! conventions where they have one, `tenant.*` and `tenantry.*` for the rest.

/// `db.system.name` of every span and metric.
pub const DB_SYSTEM: &str = "postgresql";

/// The metrics tenantry records through the `metrics` facade, with the
/// labels each one carries.
pub mod metric {
    /// Histogram, seconds: how long each statement took, start to last row
    /// (labels: [`SYSTEM`], [`OPERATION`], [`PLACEMENT`], [`TIER`],
    /// [`TENANT`], and [`ERROR_TYPE`] when it failed).
    pub const OPERATION_DURATION: &str = "db.client.operation.duration";
    /// Gauge: a pool's connections by [`STATE`] (`idle` or `used`), set
    /// each time a tenant's statement takes one (label [`POOL`] too).
    pub const CONNECTION_COUNT: &str = "db.client.connection.count";
    /// Histogram, seconds: how long a tenant's statement waited for a
    /// connection (labels: [`POOL`], [`PLACEMENT`], [`TIER`], [`TENANT`]).
    pub const CONNECTION_WAIT: &str = "db.client.connection.wait_time";
    /// Counter: statements that ran out of time, waiting for a connection
    /// or on the server (labels as [`OPERATION_DURATION`]).
    pub const TIMEOUTS: &str = "tenantry.timeouts";
    /// Counter: statements refused before they ran, for want of capacity
    /// (labels as [`OPERATION_DURATION`]).
    pub const REJECTIONS: &str = "tenantry.rejections";

    /// Label: always `postgresql`.
    pub const SYSTEM: &str = "db.system.name";
    /// Label: the SQL command (`SELECT`, `INSERT`, ...), or `RAW` for
    /// hand-written SQL.
    pub const OPERATION: &str = "db.operation.name";
    /// Label: `pool`, `schema` or `database`.
    pub const PLACEMENT: &str = "tenantry.placement";
    /// Label: the tenant's tier.
    pub const TIER: &str = "tenant.tier";
    /// Label: the tenant's name if it is among the busiest tenants
    /// ([`TelemetryConfig::named_tenants`](crate::telemetry::TelemetryConfig::named_tenants)),
    /// else `other`: a bounded set of values.
    pub const TENANT: &str = "tenant.name";
    /// Label: why the statement failed (see the span's `error.type`).
    pub const ERROR_TYPE: &str = "error.type";
    /// Label: the connection pool (`server` or `server/database`).
    pub const POOL: &str = "db.client.connection.pool.name";
    /// Label: `idle` or `used`.
    pub const STATE: &str = "db.client.connection.state";
    /// The [`TENANT`] label of every tenant not among the busiest.
    pub const OTHER_TENANTS: &str = "other";
}
