//! Reading the audit log's rows.

use tenantry_postgres::contract::{CONTROL_SCHEMA, SUPPORT_ACCESS_TABLE};
use tenantry_query::TenantId;
use time::OffsetDateTime;
use tokio_postgres::{Client, Row};

use crate::Error;

/// One recorded use of support access: a transaction (or a statement
/// outside one) run on a tenant's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the log.
    pub id: i64,
    /// The tenant looked at.
    pub tenant: TenantId,
    /// Who looked.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// The ticket the access answers, if any.
    pub ticket: Option<String>,
    /// When the access ended.
    pub expires_at: OffsetDateTime,
    /// When this use was recorded (the server's clock).
    pub accessed_at: OffsetDateTime,
    /// The database role that ran it (the application's).
    pub recorded_by: String,
    /// The hash of the row before it (64 zeros for the first).
    pub previous_hash: String,
    /// SHA-256 of its fields and `previous_hash`, lower-case hex.
    pub hash: String,
}

/// Which rows of the audit log to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only the rows of this tenant (all tenants if `None`).
    pub tenant: Option<TenantId>,
}

/// The rows `filter` selects, oldest first.
pub(super) async fn read(client: &Client, filter: &AuditFilter) -> Result<Vec<AuditEntry>, Error> {
    let sql = format!(
        "SELECT id, tenant_id, actor, reason, ticket, expires_at, accessed_at, recorded_by,
                previous_hash, hash
         FROM {CONTROL_SCHEMA}.{SUPPORT_ACCESS_TABLE}
         WHERE $1::uuid IS NULL OR tenant_id = $1
         ORDER BY id"
    );
    let tenant = filter.tenant.map(|tenant| tenant.as_uuid());
    let rows = client.query(&sql, &[&tenant]).await?;
    Ok(rows.iter().map(entry).collect())
}

fn entry(row: &Row) -> AuditEntry {
    let tenant: uuid::Uuid = row.get("tenant_id");
    AuditEntry {
        id: row.get("id"),
        tenant: TenantId::from(tenant),
        actor: row.get("actor"),
        reason: row.get("reason"),
        ticket: row.get("ticket"),
        expires_at: row.get("expires_at"),
        accessed_at: row.get("accessed_at"),
        recorded_by: row.get("recorded_by"),
        previous_hash: row.get("previous_hash"),
        hash: row.get("hash"),
    }
}
