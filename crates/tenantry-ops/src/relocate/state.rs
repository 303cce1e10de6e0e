//! The relocation state machine, recorded in the registry's `relocations`
//! table (control migration 9): one row per move, its step updated as it
//! goes, so a move killed at any step is resumed, or rolled back, from
//! what the row says.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row};

use tenantry_postgres::Placement;
use tenantry_postgres::contract::CONTROL_SCHEMA;
use tenantry_query::{Identifier, TenantId};

use super::plan::{Leg, Place};
use crate::{Error, registry};
use tenantry_postgres::Error as RuntimeError;

/// Where a relocation stands, in the order a move goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RelocationStep {
    /// Recorded; nothing made yet.
    Planned,
    /// The destination is made and migrated to the source's version.
    Prepared,
    /// The tenant's rows are copied from one snapshot of the source and
    /// verified against it; the tenant still writes at the source.
    Copied,
    /// The tenant's writes are fenced at the source and the registry says
    /// `moving`: the last changes are being copied and verified.
    Fenced,
    /// The registry serves the tenant from the destination; the source copy
    /// is kept, refusing writes, until the move is finished or rolled back.
    Flipped,
    /// A flipped move is being rolled back: the tenant's rows are copied
    /// back to the source under the fence.
    Returning,
    /// Done, the source copy dropped.
    Finished,
    /// Undone: the tenant is served from the source, the destination gone.
    RolledBack,
}

impl RelocationStep {
    /// The `step` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Prepared => "prepared",
            Self::Copied => "copied",
            Self::Fenced => "fenced",
            Self::Flipped => "flipped",
            Self::Returning => "returning",
            Self::Finished => "finished",
            Self::RolledBack => "rolled_back",
        }
    }

    /// Whether the move has not ended (it keeps two copies, or is under way).
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Finished | Self::RolledBack)
    }
}

impl fmt::Display for RelocationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RelocationStep {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "planned" => Self::Planned,
            "prepared" => Self::Prepared,
            "copied" => Self::Copied,
            "fenced" => Self::Fenced,
            "flipped" => Self::Flipped,
            "returning" => Self::Returning,
            "finished" => Self::Finished,
            "rolled_back" => Self::RolledBack,
            other => return Err(format!("unknown relocation step {other:?}")),
        })
    }
}

/// One relocation of a tenant, as the registry records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelocationRecord {
    /// The move's number.
    pub id: i64,
    /// The tenant.
    pub tenant: TenantId,
    /// Where it lived.
    pub from: Place,
    /// Where it goes.
    pub to: Place,
    /// Where the move stands.
    pub step: RelocationStep,
    /// Whether the source copy is dropped at the end.
    pub drop_source: bool,
    /// Rows copied so far, every copy counted.
    pub rows_copied: i64,
    /// How long the tenant's writes were refused, once it flipped.
    pub blocked: Option<Duration>,
    /// Why it was rolled back, if it failed.
    pub error: Option<String>,
    /// When it began.
    pub started_at: OffsetDateTime,
    /// When its step last changed.
    pub updated_at: OffsetDateTime,
}

impl RelocationRecord {
    /// The copy of this relocation, from its source to its destination.
    pub(crate) fn leg(&self) -> Leg {
        Leg {
            tenant: self.tenant,
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

const COLUMNS: &str = "id, tenant_id, from_placement, from_server, from_schema, from_database,
     to_placement, to_server, to_schema, to_database, step, drop_source, rows_copied,
     extract(epoch FROM blocked)::float8 AS blocked, error, started_at, updated_at";

/// The columns of `place` (placement, server, schema, database).
fn columns(place: &Place) -> (&'static str, &str, Option<&str>, Option<&str>) {
    let (schema, database) = registry::own_names(&place.placement);
    (place.placement.kind(), &place.server, schema, database)
}

/// The place in columns `{side}_placement`, ... of `row`.
fn place(row: &Row, side: &str) -> Result<Place, Error> {
    let corrupt =
        |what: String| RuntimeError::Config(format!("relocation is inconsistent: {what}"));
    let name = |column: &str| -> Result<Identifier, Error> {
        let value: Option<String> = row.get(format!("{side}_{column}").as_str());
        let value = value.ok_or_else(|| corrupt(format!("{side}_{column} missing")))?;
        Ok(Identifier::new(&value)?)
    };
    let placement = match row.get::<_, &str>(format!("{side}_placement").as_str()) {
        "pool" => Placement::Pool,
        "schema" => Placement::Schema(name("schema")?),
        "database" => Placement::Database(name("database")?),
        other => return Err(corrupt(format!("placement {other:?}")).into()),
    };
    Ok(Place {
        placement,
        server: row.get(format!("{side}_server").as_str()),
    })
}

fn record(row: &Row) -> Result<RelocationRecord, Error> {
    let step: &str = row.get("step");
    let blocked: Option<f64> = row.get("blocked");
    Ok(RelocationRecord {
        id: row.get("id"),
        tenant: row.get("tenant_id"),
        from: place(row, "from")?,
        to: place(row, "to")?,
        step: step.parse().map_err(RuntimeError::Config)?,
        drop_source: row.get("drop_source"),
        rows_copied: row.get("rows_copied"),
        blocked: blocked.map(Duration::from_secs_f64),
        error: row.get("error"),
        started_at: row.get("started_at"),
        updated_at: row.get("updated_at"),
    })
}

/// The move of `tenant` that has not ended, if any.
pub(crate) async fn open(
    client: &impl GenericClient,
    tenant: TenantId,
) -> Result<Option<RelocationRecord>, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {CONTROL_SCHEMA}.relocations
         WHERE tenant_id = $1 AND step NOT IN ('finished', 'rolled_back')"
    );
    client
        .query_opt(&sql, &[&tenant.as_uuid()])
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// The last move of `tenant`, if any.
pub(crate) async fn latest(
    client: &impl GenericClient,
    tenant: TenantId,
) -> Result<Option<RelocationRecord>, Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {CONTROL_SCHEMA}.relocations
         WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1"
    );
    client
        .query_opt(&sql, &[&tenant.as_uuid()])
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// Records a new move of `tenant` from `from` to `to`, `planned`.
pub(crate) async fn start(
    client: &impl GenericClient,
    tenant: TenantId,
    from: &Place,
    to: &Place,
    drop_source: bool,
) -> Result<RelocationRecord, Error> {
    let (from_kind, from_server, from_schema, from_database) = columns(from);
    let (to_kind, to_server, to_schema, to_database) = columns(to);
    let sql = format!(
        "INSERT INTO {CONTROL_SCHEMA}.relocations (tenant_id, from_placement, from_server,
             from_schema, from_database, to_placement, to_server, to_schema, to_database,
             step, drop_source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10)
         RETURNING {COLUMNS}"
    );
    let row = client
        .query_one(
            &sql,
            &[
                &tenant.as_uuid(),
                &from_kind,
                &from_server,
                &from_schema,
                &from_database,
                &to_kind,
                &to_server,
                &to_schema,
                &to_database,
                &drop_source,
            ],
        )
        .await?;
    record(&row)
}

/// Moves relocation `id` to `step`, with what `change` adds: rows copied,
/// the write-blocked window, why it was rolled back.
pub(crate) async fn advance(
    client: &impl GenericClient,
    id: i64,
    step: RelocationStep,
    change: Change<'_>,
) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {CONTROL_SCHEMA}.relocations
         SET step = $2, rows_copied = rows_copied + $3,
             blocked = coalesce(make_interval(secs => $4::float8), blocked),
             error = coalesce($5, error), updated_at = now()
         WHERE id = $1"
    );
    client
        .execute(
            &sql,
            &[
                &id,
                &step.as_str(),
                &change.rows,
                &change.blocked.map(|blocked| blocked.as_secs_f64()),
                &change.error,
            ],
        )
        .await?;
    Ok(())
}

/// What a step changes besides the step.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Change<'a> {
    /// Rows copied in the step.
    pub(crate) rows: i64,
    /// The write-blocked window, measured at the flip.
    pub(crate) blocked: Option<Duration>,
    /// Why the move was rolled back.
    pub(crate) error: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_back_as_written_in_the_order_a_move_goes() {
        let steps = [
            RelocationStep::Planned,
            RelocationStep::Prepared,
            RelocationStep::Copied,
            RelocationStep::Fenced,
            RelocationStep::Flipped,
            RelocationStep::Returning,
            RelocationStep::Finished,
            RelocationStep::RolledBack,
        ];
        for pair in steps.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
        for step in steps {
            assert_eq!(step.as_str().parse::<RelocationStep>(), Ok(step));
            assert_eq!(
                step.is_open(),
                !matches!(step, RelocationStep::Finished | RelocationStep::RolledBack)
            );
        }
        assert!("moved".parse::<RelocationStep>().is_err());
    }
}
