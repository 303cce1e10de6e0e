//! The cutover: the tenant's writes fenced at the source (its residency
//! there and its registry row go `moving`; transactions that have written
//! finish first, new writes are refused with `TenantMoving`), the last
//! changes (the buckets of rows that changed, see `patch`) copied and
//! verified, then the flip: the destination admits its
//! writes, the registry serves it from there (every process hears of it),
//! and the source refuses its writes for good. The connections to both
//! sides are opened before the fence goes up, so the fenced part opens
//! none.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use tenantry_postgres::TenantStatus;

use super::copy::{self, CopiedTable};
use super::patch::{self, Buckets};
use super::plan::Leg;
use super::state::{self, Change, RelocationStep};
use super::verify::{self, Side};
use crate::operator::Operator;
use crate::transaction::in_transaction;
use crate::{Error, registry, residency};

/// The rounds before the fence at most.
const APPROACH_ROUNDS: usize = 3;

/// So few buckets differing that the rest is left to the fenced round.
const FEW_BUCKETS: usize = 256;

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

    /// Before the fence, the tenant still writing: a few rounds bringing
    /// the destination near the source (each from one snapshot of the
    /// source, see [`patch::round`]), until a round finds few buckets that
    /// differ. The rows copied, and the destination's bucket digests after
    /// the last round (nothing else writes there until the flip).
    pub(crate) async fn approach(
        &self,
        sides: &Sides,
        leg: &Leg,
        copied: &(dyn Fn(&CopiedTable, u64) + Sync),
    ) -> Result<(u64, Vec<Buckets>), Error> {
        let Sides { source, target } = sides;
        let tables = copy::tables(source, &leg.from, target, &leg.to).await?;
        let keys = patch::keys(target, &tables).await?;
        let both = (&tables[..], &keys);
        let mut there = patch::buckets(target, both, (leg.tenant, Side::Target), None).await?;
        let how = (leg.tenant, leg.to.is_own(), self.erase_batch_rows());
        let mut rows = 0;
        for _ in 0..APPROACH_ROUNDS {
            let round = in_transaction(source, async || {
                source
                    .batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?;
                let now = patch::buckets(source, both, (leg.tenant, Side::Source), None).await?;
                patch::round(sides, both, (&now, &mut there), how, copied).await
            })
            .await?;
            rows += round.rows;
            if round.differed <= FEW_BUCKETS {
                break;
            }
        }
        Ok((rows, there))
    }

    /// Under the fence: the destination brought level with the source
    /// (the buckets of rows whose digests differ patched, or the tables
    /// that differ copied again whole, see [`patch::round`]), then
    /// verified; the rows copied. `known` are the destination's bucket
    /// digests when they are known (from [`Operator::approach`], and
    /// nothing has written there since); otherwise the destination
    /// computes them too. A destination that still differs is
    /// [`Error::VerificationFailed`].
    pub(crate) async fn sync_fenced(
        &self,
        sides: &Sides,
        leg: &Leg,
        known: Option<Vec<Buckets>>,
        copied: &(dyn Fn(&CopiedTable, u64) + Sync),
    ) -> Result<u64, Error> {
        let Sides { source, target } = sides;
        let tables = copy::tables(source, &leg.from, target, &leg.to).await?;
        let all: Vec<&CopiedTable> = tables.iter().collect();
        let keys = patch::keys(target, &tables).await?;
        let known = known.filter(|known| known.len() == tables.len());
        let (whole, there_whole) = match &known {
            Some(there) => (
                verify::digests(source, &all, leg.tenant, Side::Source).await?,
                there.iter().map(patch::total).collect(),
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
            .filter(|&index| whole.get(index) != there_whole.get(index))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        // Only the tables that changed are compared by buckets (the
        // others' are left empty on both sides).
        let both = (&tables[..], &keys);
        let (now, mut there) = match known {
            Some(mut there) => {
                for (index, buckets) in there.iter_mut().enumerate() {
                    if !changed.contains(&index) {
                        buckets.clear();
                    }
                }
                let of = Some(&changed);
                let now = patch::buckets(source, both, (leg.tenant, Side::Source), of).await?;
                (now, there)
            }
            None => {
                futures_util::future::try_join(
                    patch::buckets(source, both, (leg.tenant, Side::Source), Some(&changed)),
                    patch::buckets(target, both, (leg.tenant, Side::Target), Some(&changed)),
                )
                .await?
            }
        };
        let how = (leg.tenant, leg.to.is_own(), self.erase_batch_rows());
        let round = patch::round(sides, both, (&now, &mut there), how, copied).await?;
        let levelled: BTreeSet<usize> = changed.union(&round.levelled).copied().collect();
        patch::check(leg.tenant, &tables, (&whole, &now), &there, &levelled)?;
        Ok(round.rows)
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
