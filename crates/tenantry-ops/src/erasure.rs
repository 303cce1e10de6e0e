//! Erasing a tenant, with a proof.
//!
//! [`Operator::erase`] fences the tenant first (its placement refuses its
//! writes, waiting for those under way, and the registry marks it erased,
//! so every handle gets [`tenantry::Error::TenantErased`] from then on); it
//! drops the tenant's own schema or database, then deletes its rows from
//! every table with the tenant column in every server's own database (the
//! shared pool's and the shared tables that refer to a tenant), and the
//! rows of tables without it whose foreign keys refer to those, directly or
//! through another such table, and would keep them or go with them (`NO
//! ACTION`, `RESTRICT`, `CASCADE`; a `SET NULL` or `SET DEFAULT` key lets
//! its row outlive the tenant's), all found from the catalog, children
//! before parents, in batches that commit on their own. Then it proves the erasure: it
//! counts the tenant's rows left in each of those tables on every server,
//! checks that its schema or database no
//! longer exists, and writes an [`ErasureRecord`] with a SHA-256 digest to
//! the registry's append-only `erasures` table. Killed at any point and run
//! again, it finishes; it never returns a record with anything left.
//!
//! Other tenants' own schemas and databases are not counted: the write fence
//! keeps a tenant's rows out of them.
//!
//! [`tenantry::Error::TenantErased`]: tenantry_postgres::Error::TenantErased

use sha2::{Digest, Sha256};
use tenantry_query::TenantId;
use time::OffsetDateTime;
use tokio_postgres::{Client, GenericClient, Row};

use tenantry_postgres::contract::CONTROL_SCHEMA;
use tenantry_postgres::{MAIN_SERVER, Placement, TenantRecord, TenantStatus};

use crate::abandon::forget_seed;
use crate::operator::Operator;
use crate::reason::Reason;
use crate::telemetry::Process;
use crate::transaction::in_transaction;
use crate::{Error, purge, registry, residency};
use tenantry_postgres::Error as RuntimeError;

/// One thing an erasure's proof checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureCheck {
    /// The server.
    pub server: String,
    /// The database on it.
    pub database: String,
    /// `schema.table` (rows of the tenant left), or `schema <name>` /
    /// `database <name>` (1 if the tenant's own schema or database still
    /// exists).
    pub object: String,
    /// What is left: 0 for a complete erasure.
    pub remaining: i64,
}

/// The proof of an erasure, as the registry keeps it (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRecord {
    /// The erased tenant.
    pub tenant: TenantId,
    /// Its slug, never provisioned again.
    pub slug: String,
    /// Where its rows lived (`pool`, `schema tenant_x`, `database tenant_x`).
    pub placement: String,
    /// Its server, then every other server whose tables were checked.
    pub servers: Vec<String>,
    /// Every table and object checked, each with what is left (0).
    pub checks: Vec<ErasureCheck>,
    /// Who asked for the erasure.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// A reference elsewhere (the data subject's request), if any.
    pub reference: Option<String>,
    /// When the proof was made.
    pub erased_at: OffsetDateTime,
    /// The SHA-256 digest of everything above, lower-case hex.
    pub digest: String,
}

impl ErasureRecord {
    /// The SHA-256 digest of the record's fields (all but the digest), each
    /// written as `name:length:value` on a line of its own, lower-case hex.
    pub fn computed_digest(&self) -> String {
        let mut text = String::new();
        let mut field = |name: &str, value: &str| {
            text.push_str(&format!("{name}:{}:{value}\n", value.len()));
        };
        field("tenant", &self.tenant.to_string());
        field("slug", &self.slug);
        field("placement", &self.placement);
        for server in &self.servers {
            field("server", server);
        }
        for check in &self.checks {
            field("check.server", &check.server);
            field("check.database", &check.database);
            field("check.object", &check.object);
            field("check.remaining", &check.remaining.to_string());
        }
        field("actor", &self.actor);
        field("reason", &self.reason);
        field("reference", self.reference.as_deref().unwrap_or(""));
        field(
            "erased_at",
            &self.erased_at.unix_timestamp_nanos().to_string(),
        );
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Whether the digest matches the record's fields.
    pub fn is_intact(&self) -> bool {
        self.digest == self.computed_digest()
    }
}

/// The columns of an erasure record.
const RECORD_COLUMNS: &str = "tenant_id, slug, placement, servers, checked_servers, \
     checked_databases, checked_objects, remaining, actor, reason, reference, erased_at, digest";

fn read_record(row: &Row) -> ErasureRecord {
    let servers: Vec<String> = row.get("checked_servers");
    let databases: Vec<String> = row.get("checked_databases");
    let objects: Vec<String> = row.get("checked_objects");
    let remaining: Vec<i64> = row.get("remaining");
    let checks = servers
        .into_iter()
        .zip(databases)
        .zip(objects)
        .zip(remaining)
        .map(|(((server, database), object), remaining)| ErasureCheck {
            server,
            database,
            object,
            remaining,
        })
        .collect();
    ErasureRecord {
        tenant: row.get("tenant_id"),
        slug: row.get("slug"),
        placement: row.get("placement"),
        servers: row.get("servers"),
        checks,
        actor: row.get("actor"),
        reason: row.get("reason"),
        reference: row.get("reference"),
        erased_at: row.get("erased_at"),
        digest: row.get("digest"),
    }
}

/// The erasure record of `id`, if it was erased to the end.
async fn find(client: &impl GenericClient, id: TenantId) -> Result<Option<ErasureRecord>, Error> {
    let sql =
        format!("SELECT {RECORD_COLUMNS} FROM {CONTROL_SCHEMA}.erasures WHERE tenant_id = $1");
    Ok(client
        .query_opt(&sql, &[&id.as_uuid()])
        .await?
        .as_ref()
        .map(read_record))
}

/// Writes `record` unless one is there already; the one kept.
async fn insert(client: &Client, record: &ErasureRecord) -> Result<ErasureRecord, Error> {
    let sql = format!(
        "INSERT INTO {CONTROL_SCHEMA}.erasures ({RECORD_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (tenant_id) DO NOTHING"
    );
    let column = |get: fn(&ErasureCheck) -> String| -> Vec<String> {
        record.checks.iter().map(get).collect()
    };
    let remaining: Vec<i64> = record.checks.iter().map(|check| check.remaining).collect();
    client
        .execute(
            &sql,
            &[
                &record.tenant.as_uuid(),
                &record.slug,
                &record.placement,
                &record.servers,
                &column(|check| check.server.clone()),
                &column(|check| check.database.clone()),
                &column(|check| check.object.clone()),
                &remaining,
                &record.actor,
                &record.reason,
                &record.reference,
                &record.erased_at,
                &record.digest,
            ],
        )
        .await?;
    find(client, record.tenant)
        .await?
        .ok_or(Error::NoErasureRecord { id: record.tenant })
}

impl Operator {
    /// Erases tenant `id` (active, suspended, or erased by a call that did
    /// not finish) as [`crate::erasure`] says, for `reason`, and returns the
    /// proof. Erased already, it returns the record made then. Anything
    /// left after the deletes is [`Error::ErasureIncomplete`], and no record
    /// is written: run it again. A tenant with a relocation open (under way,
    /// or keeping its source) is [`Error::RelocationInProgress`], and nothing
    /// changes: finish the move or roll it back first.
    pub async fn erase(&self, id: TenantId, reason: &Reason) -> Result<ErasureRecord, Error> {
        self.erase_with_progress(id, reason, &|_| {}).await
    }

    /// [`Operator::erase`], calling `deleted` with the number of rows each
    /// batch deleted.
    pub async fn erase_with_progress(
        &self,
        id: TenantId,
        reason: &Reason,
        deleted: &(dyn Fn(u64) + Sync),
    ) -> Result<ErasureRecord, Error> {
        reason.check()?;
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = registry::find(&main, id)
            .await?
            .ok_or(RuntimeError::UnknownTenant { id })?;
        if let Some(done) = find(&main, id).await? {
            return Ok(done);
        }
        if !matches!(
            record.status,
            TenantStatus::Active | TenantStatus::Suspended | TenantStatus::Erased
        ) {
            return Err(RuntimeError::TenantNotActive {
                id,
                status: record.status,
            }
            .into());
        }
        // A move under way, or one that keeps its source, has a second copy
        // that the erasure would not see.
        if let Some(open) = crate::relocate::open_move(&main, id).await? {
            return Err(Error::RelocationInProgress {
                id,
                to: open.to.to_string(),
                step: open.step,
            });
        }
        // Every server first: one that cannot be reached fails the call
        // before anything changes.
        let mut servers = Vec::new();
        for name in self.servers().await? {
            let client = self.connect(&name, None).await?;
            servers.push((name, client));
        }
        // Its server first in the record.
        servers.sort_by_key(|(name, _)| *name != record.server);
        let fence = self.fence_for_erasure(&main, &record, reason);
        let requested = Process::Erasure.step(id, "fence", fence).await?;
        let home = &servers[0].1;
        let dropped = self.drop_placement(home, &record, deleted);
        Process::Erasure.step(id, "drop_placement", dropped).await?;
        registry::forget_own_target(&main, &record).await?;
        for (_, client) in &servers {
            let purge = async {
                let tables = purge::tenant_tables(client).await?;
                purge::delete_rows(client, &tables, id, self.erase_batch_rows(), deleted).await?;
                forget_seed(client, id).await
            };
            Process::Erasure.step(id, "delete_rows", purge).await?;
        }
        let checks = Process::Erasure
            .step(id, "prove", self.prove(&servers, &record))
            .await?;
        let left: Vec<ErasureCheck> = checks
            .iter()
            .filter(|check| check.remaining != 0)
            .cloned()
            .collect();
        if !left.is_empty() {
            return Err(Error::ErasureIncomplete { id, left });
        }
        let now = OffsetDateTime::now_utc();
        let mut proof = ErasureRecord {
            tenant: id,
            slug: record.slug.clone(),
            placement: record.placement.to_string(),
            servers: servers.iter().map(|(name, _)| name.clone()).collect(),
            checks,
            actor: requested.actor,
            reason: requested.reason,
            reference: requested.reference,
            // Microseconds, as the registry keeps it.
            erased_at: now
                .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
                .expect("a valid nanosecond"),
            digest: String::new(),
        };
        proof.digest = proof.computed_digest();
        Process::Erasure
            .step(id, "record", insert(&main, &proof))
            .await
    }

    /// Makes `record` erased in its placement (its writes refused, after
    /// those under way) and in the registry, with `reason`, unless it is
    /// already; the reason the erasure was asked for.
    async fn fence_for_erasure(
        &self,
        main: &Client,
        record: &TenantRecord,
        reason: &Reason,
    ) -> Result<Reason, Error> {
        if record.status == TenantStatus::Erased {
            return Ok(match &record.last_change {
                Some(change) if change.status == TenantStatus::Erased => Reason {
                    actor: change.actor.clone(),
                    reason: change.reason.clone(),
                    reference: change.reference.clone(),
                },
                _ => reason.clone(),
            });
        }
        let placement = self
            .connect(&record.server, record.placement.database())
            .await?;
        residency::record(
            &placement,
            record.id,
            &record.placement,
            TenantStatus::Erased,
            self.fence_wait_limit(),
        )
        .await?;
        in_transaction(main, async || {
            registry::change_status(main, record.id, TenantStatus::Erased, reason).await
        })
        .await?;
        Ok(reason.clone())
    }

    /// What is left of `record` on `servers`: its rows in every table with
    /// the tenant column of each server's own database, and its own schema
    /// or database.
    async fn prove(
        &self,
        servers: &[(String, Client)],
        record: &TenantRecord,
    ) -> Result<Vec<ErasureCheck>, Error> {
        let mut checks = Vec::new();
        for (server, client) in servers {
            let database = self.database_name(server).await?;
            let tables = purge::tenant_tables(client).await?;
            let counts = purge::count_rows(client, &tables, record.id).await?;
            for (table, remaining) in tables.iter().zip(counts) {
                checks.push(ErasureCheck {
                    server: server.clone(),
                    database: database.clone(),
                    object: table.name(),
                    remaining,
                });
            }
        }
        let (server, home) = &servers[0];
        let own = match &record.placement {
            Placement::Pool => None,
            Placement::Schema(schema) => Some((
                format!("schema {schema}"),
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                schema,
            )),
            Placement::Database(database) => Some((
                format!("database {database}"),
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                database,
            )),
        };
        if let Some((object, sql, name)) = own {
            checks.push(ErasureCheck {
                server: server.clone(),
                database: self.database_name(server).await?,
                object,
                remaining: home.query_one(sql, &[&name.as_str()]).await?.get(0),
            });
        }
        Ok(checks)
    }

    /// The proof of tenant `id`'s erasure; [`Error::NoErasureRecord`] if it
    /// was not erased to the end.
    pub async fn erasure_record(&self, id: TenantId) -> Result<ErasureRecord, Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        find(&main, id).await?.ok_or(Error::NoErasureRecord { id })
    }
}
