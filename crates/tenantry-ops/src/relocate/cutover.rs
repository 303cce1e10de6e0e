//! The cutover: the tenant's writes fenced at the source (its residency
//! there and its registry row go `moving`; transactions that have written
//! finish first, new writes are refused with `TenantMoving`), the last
//! changes (the tables that changed) copied and verified, then the flip: the destination admits its
//! writes, the registry serves it from there (every process hears of it),
//! and the source refuses its writes for good. The connections to both
//! sides are opened before the fence goes up, so the fenced part opens
//! none.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tenantry_postgres::TenantStatus;

use super::copy::{self, CopiedTable};
use super::plan::Leg;
use super::sequences;
use super::state::{self, Change, RelocationStep};
use super::verify::{self, Digest, Side};
use crate::operator::Operator;
use crate::transaction::in_transaction;
use crate::{Error, registry, residency};

/// Connections to the two sides of a leg, prepared for copies and digests.
pub(crate) struct Sides {
    /// To the source's database.
    pub(crate) source: Client,
    /// To the destination's database.
    pub(crate) target: Client,
}

impl Operator {
    /// Opens connections to both sides of `leg`.
    pub(crate) async fn sides(&self, leg: &Leg) -> Result<Sides, Error> {
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        let target = self.connect(&leg.to.server, leg.to.database()).await?;
        verify::session(&source).await?;
        verify::session(&target).await?;
        Ok(Sides { source, target })
    }

    /// Fences the tenant's writes at `leg`'s source: its residency there
    /// says `moving` (once its writing transactions have ended), then the
    /// registry does, and relocation `id` is at `step`.
    pub(crate) async fn fence_source(
        &self,
        main: &Client,
        sides: &Sides,
        leg: &Leg,
        (id, step): (i64, RelocationStep),
    ) -> Result<(), Error> {
        residency::record(
            &sides.source,
            leg.tenant,
            &leg.from.placement,
            TenantStatus::Moving,
            self.fence_wait_limit(),
        )
        .await?;
        in_transaction(main, async || {
            registry::set_status(main, leg.tenant, TenantStatus::Moving).await?;
            state::advance(main, id, step, Change::default()).await
        })
        .await
    }

    /// Lifts the fence of a move that did not flip: the source admits the
    /// tenant's writes again, and the registry serves it there.
    pub(crate) async fn unfence_source(&self, main: &Client, leg: &Leg) -> Result<(), Error> {
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        residency::record(
            &source,
            leg.tenant,
            &leg.from.placement,
            TenantStatus::Active,
            self.fence_wait_limit(),
        )
        .await?;
        registry::set_status(main, leg.tenant, TenantStatus::Active).await
    }

    /// Under the fence: the destination brought level with the source
    /// (the tables whose digests differ copied again, with those referring
    /// to them; the others keep their copy), then verified; the rows
    /// copied. `verified` are the destination's digests when they are known
    /// (checked against the source's snapshot by this process, and nothing
    /// has written there since); otherwise the destination computes them
    /// too. A destination that still differs is
    /// [`Error::VerificationFailed`].
    pub(crate) async fn sync_fenced(
        &self,
        sides: &Sides,
        leg: &Leg,
        verified: Option<Vec<Digest>>,
        copied: &(dyn Fn(&CopiedTable, u64) + Sync),
    ) -> Result<u64, Error> {
        let Sides { source, target } = sides;
        let tables = copy::tables(source, &leg.from, target, &leg.to).await?;
        let all: Vec<&CopiedTable> = tables.iter().collect();
        let (now, there) = match verified {
            Some(there) => (
                verify::digests(source, &all, leg.tenant, Side::Source).await?,
                there,
            ),
            None => {
                futures_util::future::try_join(
                    verify::digests(source, &all, leg.tenant, Side::Source),
                    verify::digests(target, &all, leg.tenant, Side::Target),
                )
                .await?
            }
        };
        let changed: BTreeSet<usize> = (0..tables.len())
            .filter(|&index| now.get(index) != there.get(index))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        let again = copy::with_referring(target, &tables, changed).await?;
        let recopied: Vec<&CopiedTable> = again.iter().map(|&index| &tables[index]).collect();
        let rows = copy::copy_all(
            (source, target),
            &recopied,
            leg.tenant,
            self.erase_batch_rows(),
            leg.to.is_own(),
            copied,
        )
        .await?;
        sequences::advance(target, &recopied).await?;
        let expected: Vec<Digest> = again.iter().map(|&index| now[index].clone()).collect();
        let there = verify::digests(target, &recopied, leg.tenant, Side::Target).await?;
        verify::compare(leg.tenant, &recopied, &expected, &there)?;
        Ok(rows)
    }

    /// The flip: the destination admits the tenant's writes, the registry
    /// serves it from there (the relocation at its step, with `rows` more
    /// copied and the window since `fenced` recorded), and the source
    /// refuses its writes for good (in one database, the residency row is
    /// the destination's now). Returns the write-blocked window: from
    /// `fenced` to the registry's commit.
    pub(crate) async fn flip(
        &self,
        main: &Client,
        sides: &Sides,
        leg: &Leg,
        (id, step): (i64, RelocationStep),
        (fenced, rows): (Instant, u64),
    ) -> Result<Duration, Error> {
        residency::record(
            &sides.target,
            leg.tenant,
            &leg.to.placement,
            TenantStatus::Active,
            self.fence_wait_limit(),
        )
        .await?;
        let blocked = in_transaction(main, async || {
            registry::relocate(main, leg.tenant, &leg.to.placement, &leg.to.server).await?;
            let blocked = fenced.elapsed();
            let change = Change {
                rows: i64::try_from(rows).unwrap_or(i64::MAX),
                blocked: Some(blocked),
                ..Change::default()
            };
            state::advance(main, id, step, change).await?;
            Ok(blocked)
        })
        .await?;
        self.retire(&sides.source, leg).await?;
        Ok(blocked)
    }

    /// Makes `leg`'s source refuse the tenant's writes for good (see
    /// [`Operator::retire`]), on a connection of its own.
    pub(crate) async fn retire_source(&self, leg: &Leg) -> Result<(), Error> {
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        self.retire(&source, leg).await
    }

    /// Makes `leg`'s source, on `source`, refuse the tenant's writes for
    /// good, unless the destination shares its database (where the one
    /// residency row is the destination's).
    async fn retire(&self, source: &Client, leg: &Leg) -> Result<(), Error> {
        if leg.from.shares_database(&leg.to) {
            return Ok(());
        }
        residency::record_moved(
            source,
            leg.tenant,
            &leg.from.placement,
            self.fence_wait_limit(),
        )
        .await
    }
}
