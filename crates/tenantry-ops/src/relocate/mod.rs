//! Relocation: a tenant moved between placements (pool, schema, database)
//! and servers as an operation, with a fenced cutover.
//!
//! [`Operator::relocate`] records the move in the registry's `relocations`
//! table and goes through its steps ([`RelocationStep`]), recording each:
//!
//! 1. **prepared**: the destination is made by provisioning's own code (a
//!    schema, or a database copied from the server's template) and migrated
//!    to the source's schema version; a shared pool must be at it already.
//!    Versions that differ are [`Error::VersionMismatch`], before anything
//!    is made.
//! 2. **copied**: every table of the source that holds the tenant's rows
//!    (found from the catalog) is copied with binary `COPY` streams, parents
//!    first, from one snapshot of the source, in one transaction at the
//!    destination, and verified per table against that snapshot (row count
//!    and a digest each server computes: the sum of a 64-bit hash of each
//!    row, so row order does not matter). Into a schema or database of the
//!    tenant's own, the tables' indexes and the foreign keys between them
//!    are made after the rows rather than kept up row by row (see
//!    `deferred`); into a shared pool, each row is checked as it goes in.
//!    Either way a row referring to one the destination lacks is
//!    [`Error::BrokenReference`]. The tenant keeps writing at the source
//!    meanwhile.
//! 3. **fenced**: the tenant's writes are fenced at the source (its
//!    residency there says `moving`, once the transactions that have
//!    written end; the registry says `moving` too). Reads go on; writes get
//!    `TenantMoving` with a `retry_after`. An online copy applies the last
//!    changes decoded at the source. The tables that changed since the
//!    copy are found by their digests, and the buckets of their rows that
//!    differ (see below) are patched, and verified. A mismatch (or a broken
//!    reference) rolls the move back: the fence lifts, the destination
//!    goes, and the tenant is as it was.
//! 4. **flipped**: the destination admits the tenant's writes, the registry
//!    serves it from there (every process hears of it, and revokes the
//!    handles it made before: they get `TenantMoved`), and the source
//!    refuses its writes for good (`TenantMoved` there too). The window
//!    in which its writes were refused is measured and reported.
//! 5. **finished**: the source copy is dropped, with
//!    [`Destination::dropping_source`] or by
//!    [`Operator::finish_relocation`]. Until then
//!    [`Operator::rollback_relocation`] moves the tenant back, copying
//!    under the fence what it wrote meanwhile.
//!
//! Calls for one tenant take turns (an advisory lock on the main server),
//! and never do two copies accept the tenant's writes: each database's fence
//! admits them only where its residency says `active`, and one place at a
//! time does. Killed at any step, `relocate` run again with the same
//! destination continues from the recorded step (every step can be run
//! again), and `rollback_relocation` undoes the move instead.
//!
//! After each copy, the sequences owned by the copied tables' columns at
//! the destination are advanced past the copied values (never backwards).
//!
//! How the destination is kept level with what the tenant writes during
//! the first copy ([`RelocationReport::copy`] says which was used):
//!
//! - **online**, where the source server's `wal_level` is `logical` and the
//!   operator may create replication slots: a publication of the tenant's
//!   tables (row-filtered on the tenant in a shared pool where the replica
//!   identity allows it) and a logical slot are made before the first
//!   copy's snapshot; the changes committed after it are decoded and
//!   applied at the destination, one source transaction as one destination
//!   transaction, before the fence and, drained to the source's WAL
//!   position, under it (see the `online` module). The fenced step then
//!   only verifies (the digests): nothing is copied again unless a table
//!   was not published. The slot and publication go when the move flips,
//!   is abandoned or rolled back; a move resumed after a kill drops them
//!   and goes on with the fenced copy.
//! - **fenced** otherwise, by patches (see the `patch` module): each
//!   table's tenant rows are split into buckets by a hash of their primary
//!   key, each bucket digested on both servers, and only the rows of the
//!   buckets that differ are copied again (upserted on the key, the rows
//!   the source no longer has deleted), in one destination transaction per
//!   round. Before the fence, while the tenant writes, a few rounds (each
//!   from one snapshot of the source) bring the destination near; under the
//!   fence the tables whose digests still differ are compared by buckets
//!   once more and patched, so the window grows with what the tenant wrote,
//!   not with its size. A round the patch cannot apply (a table without a
//!   primary key, a unique value swapped between two rows, ...) is rolled
//!   back and its tables are copied again whole, with the tables that refer
//!   to them (keeping foreign keys whole).

mod copy;
mod cutover;
mod deferred;
mod online;
mod patch;
mod plan;
mod sequences;
mod state;
mod target;
mod verify;

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tenantry_postgres::{MAIN_SERVER, TenantRecord, TenantStatus};
use tenantry_query::TenantId;

use crate::Error;
use crate::migrate::MigrationSet;
use crate::operator::Operator;
use crate::registry::{self, TenantRef};
use crate::telemetry::Process;
use tenantry_postgres::Error as RuntimeError;

pub use online::CopyMethod;
pub use plan::{Destination, Place};
pub use state::{RelocationRecord, RelocationStep};

use copy::CopiedTable;
use cutover::Sides;
use online::Stream;
use plan::Leg;
use state::Change;
use verify::Side;

/// Why a move rolled back on request is recorded so.
const ROLLED_BACK: &str = "rolled back on request";

/// What a relocation reports as it goes, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelocationProgress {
    /// The move reached a step (recorded).
    Step(RelocationStep),
    /// The tables about to be copied, parents first, each with how many
    /// rows of the tenant it has at the source.
    Tables(Vec<(String, i64)>),
    /// One table was copied.
    Copied {
        /// The table, `schema.table` at the destination.
        table: String,
        /// Its rows copied.
        rows: u64,
    },
}

/// What a relocation did.
#[derive(Debug, Clone, PartialEq)]
pub struct RelocationReport {
    /// The move as recorded now.
    pub relocation: RelocationRecord,
    /// Rows copied by this call (every copy counted).
    pub rows_copied: u64,
    /// How long this call took.
    pub total: Duration,
    /// How long the tenant's writes were refused (from the fence to the
    /// registry's flip), once it flipped.
    pub blocked: Option<Duration>,
    /// How this call kept the destination level while the tenant wrote at
    /// the source (`None` if the move had flipped already).
    pub copy: Option<CopyMethod>,
}

impl RelocationReport {
    /// Rows copied per second of the whole call.
    pub fn rows_per_second(&self) -> f64 {
        self.rows_copied as f64 / self.total.as_secs_f64().max(f64::EPSILON)
    }
}

impl Operator {
    /// Relocates `tenant` (by id or slug) to `to`, preparing the destination
    /// with `migrations` (see [`crate::relocate`]); resumes a move to the
    /// same destination that was killed part-way. Returns what it did.
    pub async fn relocate(
        &self,
        tenant: impl Into<TenantRef>,
        to: &Destination,
        migrations: &MigrationSet,
    ) -> Result<RelocationReport, Error> {
        self.relocate_with_progress(tenant, to, migrations, &|_| {})
            .await
    }

    /// [`Operator::relocate`], calling `progress` as steps are reached and
    /// tables copied.
    pub async fn relocate_with_progress(
        &self,
        tenant: impl Into<TenantRef>,
        to: &Destination,
        migrations: &MigrationSet,
        progress: &(dyn Fn(RelocationProgress) + Sync),
    ) -> Result<RelocationReport, Error> {
        let started = Instant::now();
        let main = self.connect(MAIN_SERVER, None).await?;
        let found = registry::find_tenant(&main, &tenant.into()).await?;
        lock(&main, found.id).await?;
        // Read again under the lock: another call may have moved it on.
        let record = registry::find_tenant(&main, &TenantRef::Id(found.id)).await?;
        let id = record.id;
        let destination = to.place(&record)?;
        // Configured or recorded in the registry; an unknown server is
        // refused before anything is made.
        self.server_config(&destination.server).await?;
        // A suspended tenant stays so: its move waits for its resumption.
        if !matches!(record.status, TenantStatus::Active | TenantStatus::Moving) {
            return Err(RuntimeError::not_serving(id, record.status).into());
        }
        let relocation = match state::open(&main, id).await? {
            Some(open) if open.to == destination && open.step != RelocationStep::Returning => open,
            Some(open) => {
                return Err(Error::RelocationInProgress {
                    id,
                    to: open.to.to_string(),
                    step: open.step,
                });
            }
            None => {
                let from = Place::of(&record);
                if from == destination {
                    return Err(Error::SamePlacement {
                        id,
                        place: from.to_string(),
                    });
                }
                let start = state::start(&main, id, &from, &destination, to.drop_source);
                let planned = Process::Relocation.step(id, "plan", start).await?;
                progress(RelocationProgress::Step(RelocationStep::Planned));
                planned
            }
        };
        let leg = relocation.leg();
        let mut run = Run {
            main: &main,
            relocation: relocation.id,
            progress,
            rows: 0,
        };
        let mut blocked = None;
        let mut copy = None;
        if relocation.step < RelocationStep::Flipped {
            let moved = self
                .move_tenant(&mut run, &record, &leg, relocation.step, migrations)
                .await;
            match moved {
                Ok((window, method)) => (blocked, copy) = (Some(window), Some(method)),
                // A refusal or a copy that does not verify ends the move:
                // nothing of it is left.
                Err(
                    error @ (Error::VerificationFailed { .. }
                    | Error::BrokenReference { .. }
                    | Error::VersionMismatch { .. }
                    | Error::MissingTable { .. }),
                ) => {
                    self.abandon(&main, &record, &relocation, &error.to_string())
                        .await?;
                    return Err(error);
                }
                Err(error) => return Err(error),
            }
        } else {
            // Flipped already: make sure the source refuses the tenant's
            // writes, and keeps no slot.
            self.retire_source(&leg).await?;
            online::forget(self, &leg, relocation.id).await?;
        }
        if to.drop_source || relocation.drop_source {
            self.drop_source(&main, &record, &leg, relocation.id)
                .await?;
            progress(RelocationProgress::Step(RelocationStep::Finished));
        }
        let relocation = state::latest(&main, id)
            .await?
            .ok_or(Error::NoRelocation { id })?;
        Ok(RelocationReport {
            blocked: blocked.or(relocation.blocked),
            relocation,
            rows_copied: run.rows,
            total: started.elapsed(),
            copy,
        })
    }

    /// The steps of a move up to its flip, from `step`; the write-blocked
    /// window, and how the destination was kept level.
    async fn move_tenant(
        &self,
        run: &mut Run<'_>,
        record: &TenantRecord,
        leg: &Leg,
        step: RelocationStep,
        migrations: &MigrationSet,
    ) -> Result<(Duration, CopyMethod), Error> {
        let id = leg.tenant;
        let mut stream = None;
        if step < RelocationStep::Copied {
            let prepare = self.prepare_destination(leg, migrations);
            Process::Relocation.step(id, "prepare", prepare).await?;
            run.reached(RelocationStep::Prepared, 0).await?;
        }
        // Opened once the destination exists, before the fence.
        let sides = self.sides(leg).await?;
        if step < RelocationStep::Copied {
            let open = Stream::open(&sides, leg, run.relocation);
            stream = Process::Relocation.step(id, "stream", open).await?;
            let copy = first_copy(&sides, leg, self.erase_batch_rows(), run.progress);
            let copied = Process::Relocation.step(id, "copy", copy).await;
            let (rows, snapshot) =
                forget_on_error(&sides, (run.relocation, id), stream.is_some(), copied).await?;
            if let Some(open) = &mut stream {
                let taken = open.copied_in(&snapshot);
                forget_on_error(&sides, (run.relocation, id), true, taken).await?;
            }
            run.reached(RelocationStep::Copied, rows).await?;
        } else {
            // Resumed: a killed run's slot is dropped, the copy is fenced.
            online::remove(&sides.source, run.relocation, id).await?;
        }
        if let Some(open) = &mut stream {
            let catch_up = open.catch_up(&sides);
            let caught_up = Process::Relocation.step(id, "catch_up", catch_up).await;
            forget_on_error(&sides, (run.relocation, id), true, caught_up).await?;
        }
        let mut known = None;
        if stream.is_none() && record.status != TenantStatus::Moving {
            let copied = |table: &CopiedTable, rows| run.copied(table, rows);
            let approach = self.approach(&sides, leg, &copied);
            let (rows, there) = Process::Relocation.step(id, "approach", approach).await?;
            run.rows += rows;
            known = Some(there);
        }
        // Resumed under the fence, the window is counted from the resumption.
        let fenced = Instant::now();
        if record.status != TenantStatus::Moving {
            let step = (run.relocation, RelocationStep::Fenced);
            let fence = self.fence_source(run.main, &sides, leg, step);
            Process::Relocation.step(id, "fence", fence).await?;
            (run.progress)(RelocationProgress::Step(RelocationStep::Fenced));
        }
        if let Some(open) = &mut stream {
            let drain = open.drain(&sides);
            let drained = Process::Relocation.step(id, "drain", drain).await;
            forget_on_error(&sides, (run.relocation, id), true, drained).await?;
        }
        let copied = |table: &CopiedTable, rows| run.copied(table, rows);
        let sync = self.sync_fenced(&sides, leg, known, &copied);
        let rows = Process::Relocation.step(id, "sync", sync).await?;
        run.rows += rows;
        let step = (run.relocation, RelocationStep::Flipped);
        let flip = self.flip(run.main, &sides, leg, step, (fenced, rows));
        let blocked = Process::Relocation.step(id, "flip", flip).await?;
        (run.progress)(RelocationProgress::Step(RelocationStep::Flipped));
        if stream.is_none() {
            return Ok((blocked, CopyMethod::Fenced));
        }
        online::remove(&sides.source, run.relocation, id).await?;
        Ok((blocked, CopyMethod::Online))
    }

    /// Undoes relocation `relocation` of `record` that did not flip: the
    /// fence lifts if it was up, the destination goes, and the move is
    /// recorded rolled back, for `why`.
    async fn abandon(
        &self,
        main: &Client,
        record: &TenantRecord,
        relocation: &RelocationRecord,
        why: &str,
    ) -> Result<(), Error> {
        let leg = relocation.leg();
        let current = registry::find(main, record.id)
            .await?
            .ok_or(RuntimeError::UnknownTenant { id: record.id })?;
        if current.status == TenantStatus::Moving {
            self.unfence_source(main, &leg).await?;
        }
        online::forget(self, &leg, relocation.id).await?;
        self.remove_copy(main, record, &leg.to).await?;
        let change = Change {
            error: Some(why),
            ..Change::default()
        };
        state::advance(main, relocation.id, RelocationStep::RolledBack, change).await
    }

    /// Drops the source copy of flipped move `relocation`, and records it
    /// finished.
    async fn drop_source(
        &self,
        main: &Client,
        record: &TenantRecord,
        leg: &Leg,
        relocation: i64,
    ) -> Result<(), Error> {
        self.retire_source(leg).await?;
        online::forget(self, leg, relocation).await?;
        let remove = self.remove_copy(main, record, &leg.from);
        Process::Relocation
            .step(leg.tenant, "drop_source", remove)
            .await?;
        state::advance(
            main,
            relocation,
            RelocationStep::Finished,
            Change::default(),
        )
        .await
    }

    /// The main server's connection holding `tenant`'s move lock, the
    /// tenant's registry row read under it, and its open move
    /// ([`Error::NoRelocation`] if none).
    async fn open_move(
        &self,
        tenant: TenantRef,
    ) -> Result<(Client, TenantRecord, RelocationRecord), Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        let found = registry::find_tenant(&main, &tenant).await?;
        lock(&main, found.id).await?;
        let record = registry::find_tenant(&main, &TenantRef::Id(found.id)).await?;
        let open = state::open(&main, record.id)
            .await?
            .ok_or(Error::NoRelocation { id: record.id })?;
        Ok((main, record, open))
    }

    /// Ends the flipped move of `tenant` by dropping its source copy;
    /// returns the move. A move that has not flipped is
    /// [`Error::RelocationInProgress`]; none at all, [`Error::NoRelocation`].
    pub async fn finish_relocation(
        &self,
        tenant: impl Into<TenantRef>,
    ) -> Result<RelocationRecord, Error> {
        let (main, record, open) = self.open_move(tenant.into()).await?;
        let id = record.id;
        if open.step != RelocationStep::Flipped {
            return Err(Error::RelocationInProgress {
                id,
                to: open.to.to_string(),
                step: open.step,
            });
        }
        let leg = open.leg();
        self.drop_source(&main, &record, &leg, open.id).await?;
        state::latest(&main, id)
            .await?
            .ok_or(Error::NoRelocation { id })
    }

    /// Rolls the open move of `tenant` back: one that has not flipped is
    /// undone (fence lifted, destination removed); one that has, whose
    /// source is kept, is moved back under the fence (what the tenant wrote
    /// since is copied back and verified) and then its destination is
    /// removed. Killed, it is run again. Returns the move.
    pub async fn rollback_relocation(
        &self,
        tenant: impl Into<TenantRef>,
    ) -> Result<RelocationRecord, Error> {
        let (main, record, open) = self.open_move(tenant.into()).await?;
        let id = record.id;
        if open.step < RelocationStep::Flipped {
            self.abandon(&main, &record, &open, ROLLED_BACK).await?;
        } else if !matches!(record.status, TenantStatus::Active | TenantStatus::Moving) {
            // Moving it back would serve it again.
            return Err(RuntimeError::not_serving(id, record.status).into());
        } else {
            self.move_back(&main, &record, &open).await?;
        }
        state::latest(&main, id)
            .await?
            .ok_or(Error::NoRelocation { id })
    }

    /// Moves the tenant of flipped move `open` back to its source, under
    /// the fence, then removes the destination.
    async fn move_back(
        &self,
        main: &Client,
        record: &TenantRecord,
        open: &RelocationRecord,
    ) -> Result<(), Error> {
        // A slot left by a run killed just after the flip goes first.
        online::forget(self, &open.leg(), open.id).await?;
        let back = open.leg().reversed();
        if Place::of(record) != back.to {
            let sides = self.sides(&back).await?;
            let step = (open.id, RelocationStep::Returning);
            let fenced = Instant::now();
            if record.status != TenantStatus::Moving {
                self.fence_source(main, &sides, &back, step).await?;
            }
            let rows = self.sync_fenced(&sides, &back, None, &|_, _| {}).await?;
            self.flip(main, &sides, &back, step, (fenced, rows)).await?;
        } else {
            self.retire_source(&back).await?;
        }
        self.remove_copy(main, record, &back.from).await?;
        let change = Change {
            error: Some(ROLLED_BACK),
            ..Change::default()
        };
        state::advance(main, open.id, RelocationStep::RolledBack, change).await
    }

    /// The last relocation of `tenant`, by id or slug, if it was ever
    /// relocated: where its move stands.
    pub async fn relocation(
        &self,
        tenant: impl Into<TenantRef>,
    ) -> Result<Option<RelocationRecord>, Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = registry::find_tenant(&main, &tenant.into()).await?;
        state::latest(&main, record.id).await
    }
}

/// The move of `tenant` that has not ended, if any (read on `main`).
pub(crate) async fn open_move(
    main: &Client,
    tenant: TenantId,
) -> Result<Option<RelocationRecord>, Error> {
    state::open(main, tenant).await
}

/// Waits for the lock on `tenant`'s moves, held by `main`'s session until
/// it closes: two calls never work on one move at once.
async fn lock(main: &Client, tenant: TenantId) -> Result<(), Error> {
    main.execute(
        "SELECT pg_advisory_lock(hashtextextended($1, 0))",
        &[&format!("tenantry:relocate:{tenant}")],
    )
    .await?;
    Ok(())
}

/// `result`, after dropping relocation `relocation`'s slot and publication
/// for `tenant` at the source when it is an error and a stream is `open`:
/// a slot left behind holds the source's WAL until the move is resumed or
/// rolled back, and a resumed move that has copied goes on by the fenced
/// copy anyway. The error that ended the step is the one returned; one in
/// dropping them is only logged (a source that cannot be reached now has
/// them dropped by the resumption or the rollback).
async fn forget_on_error<T>(
    sides: &Sides,
    (relocation, tenant): (i64, TenantId),
    open: bool,
    result: Result<T, Error>,
) -> Result<T, Error> {
    if result.is_err() && open {
        // The step may have failed inside the copy's read-only snapshot.
        let ended = sides.source.batch_execute("ROLLBACK").await;
        let removed = match ended {
            Ok(()) => online::remove(&sides.source, relocation, tenant).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = removed {
            tracing::warn!(%tenant, relocation, %error, "the move's slot was not dropped");
        }
    }
    result
}

/// The first copy, from one snapshot of the source, verified against it;
/// the rows copied, and the snapshot (`pg_current_snapshot()`, as text).
async fn first_copy(
    sides: &Sides,
    leg: &Leg,
    batch: i64,
    progress: &(dyn Fn(RelocationProgress) + Sync),
) -> Result<(u64, String), Error> {
    let Sides { source, target } = sides;
    let tables = copy::tables(source, &leg.from, target, &leg.to).await?;
    let tables: Vec<&CopiedTable> = tables.iter().collect();
    source
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let taken: String = source
        .query_one("SELECT pg_current_snapshot()::text", &[])
        .await?
        .get(0);
    let snapshot = verify::digests(source, &tables, leg.tenant, Side::Source).await?;
    progress(RelocationProgress::Tables(
        tables
            .iter()
            .zip(&snapshot)
            .map(|(table, digest)| (table.target.name(), digest.rows))
            .collect(),
    ));
    let copied = |table: &CopiedTable, rows| {
        progress(RelocationProgress::Copied {
            table: table.target.name(),
            rows,
        });
    };
    let own = leg.to.is_own();
    let rows = copy::copy_all((source, target), &tables, leg.tenant, batch, own, &copied).await?;
    source.batch_execute("COMMIT").await?;
    sequences::advance(target, &tables).await?;
    let copy = verify::digests(target, &tables, leg.tenant, Side::Target).await?;
    verify::compare(leg.tenant, &tables, &snapshot, &copy)?;
    Ok((rows, taken))
}

/// One call's move under way: where its steps are recorded, and what it
/// reports.
struct Run<'a> {
    main: &'a Client,
    relocation: i64,
    progress: &'a (dyn Fn(RelocationProgress) + Sync),
    rows: u64,
}

impl Run<'_> {
    /// Records `step`, with `rows` copied in it, and reports it.
    async fn reached(&mut self, step: RelocationStep, rows: u64) -> Result<(), Error> {
        self.rows += rows;
        let change = Change {
            rows: i64::try_from(rows).unwrap_or(i64::MAX),
            ..Change::default()
        };
        state::advance(self.main, self.relocation, step, change).await?;
        (self.progress)(RelocationProgress::Step(step));
        Ok(())
    }

    /// Reports `rows` copied to `table`.
    fn copied(&self, table: &CopiedTable, rows: u64) {
        (self.progress)(RelocationProgress::Copied {
            table: table.target.name(),
            rows,
        });
    }
}
