//! The cutover: the tenant's writes fenced at the source (its residency
//! there and its registry row go `moving`; transactions that have written
//! finish first, new writes are refused with `TenantMoving`), the last
//! changes copied and verified, then the flip: the destination admits its
//! writes, the registry serves it from there (every process hears of it),
//! and the source refuses its writes for good.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tenantry_postgres::TenantStatus;

use super::copy::{self, CopiedTable};
use super::plan::Leg;
use super::state::{self, Change, RelocationStep};
use super::verify::{self, Side};
use crate::operator::Operator;
use crate::transaction::in_transaction;
use crate::{Error, registry, residency};

impl Operator {
    /// Fences the tenant's writes at `leg`'s source: its residency there
    /// says `moving` (once its writing transactions have ended), then the
    /// registry does, and relocation `id` is at `step`.
    pub(crate) async fn fence_source(
        &self,
        main: &Client,
        leg: &Leg,
        id: i64,
        step: RelocationStep,
    ) -> Result<(), Error> {
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        residency::record(
            &source,
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
    /// (every table copied again if any differs), then verified; the rows
    /// copied. A destination that still differs is
    /// [`Error::VerificationFailed`].
    pub(crate) async fn sync_fenced(
        &self,
        leg: &Leg,
        copied: &(dyn Fn(&CopiedTable, u64) + Sync),
    ) -> Result<u64, Error> {
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        let target = self.connect(&leg.to.server, leg.to.database()).await?;
        verify::session(&source).await?;
        verify::session(&target).await?;
        let tables = copy::tables(&source, &leg.from, &target, &leg.to).await?;
        let (before, now) = futures_util::future::try_join(
            verify::digests(&source, &tables, leg.tenant, Side::Source),
            verify::digests(&target, &tables, leg.tenant, Side::Target),
        )
        .await?;
        if before == now {
            return Ok(0);
        }
        let rows = copy::copy_all(
            &source,
            &target,
            &tables,
            leg.tenant,
            self.erase_batch_rows(),
            copied,
        )
        .await?;
        let now = verify::digests(&target, &tables, leg.tenant, Side::Target).await?;
        verify::compare(leg.tenant, &tables, &before, &now)?;
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
        leg: &Leg,
        (id, step): (i64, RelocationStep),
        fenced: Instant,
        rows: u64,
    ) -> Result<Duration, Error> {
        let target = self.connect(&leg.to.server, leg.to.database()).await?;
        residency::record(
            &target,
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
        self.retire_source(leg).await?;
        Ok(blocked)
    }

    /// Makes `leg`'s source refuse the tenant's writes for good, unless the
    /// destination shares its database (where the one residency row is
    /// the destination's).
    pub(crate) async fn retire_source(&self, leg: &Leg) -> Result<(), Error> {
        if leg.from.shares_database(&leg.to) {
            return Ok(());
        }
        let source = self.connect(&leg.from.server, leg.from.database()).await?;
        residency::record_moved(
            &source,
            leg.tenant,
            &leg.from.placement,
            self.fence_wait_limit(),
        )
        .await
    }
}
