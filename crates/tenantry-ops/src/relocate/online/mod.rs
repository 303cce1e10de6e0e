//! The online copy: where the source server's `wal_level` is `logical`
//! (and the operator may create replication slots), the tenant's changes
//! made while it is copied are decoded from the source and applied at the
//! destination, so the write-blocked window holds only what was written in
//! its last moments, not a copy again of every table that changed.
//!
//! Before the first copy's snapshot, a publication of the tenant's tables
//! and a logical slot (`pgoutput`) are made at the source (see [`slot`]).
//! The first copy records its snapshot: every transaction committed after
//! the slot's consistent point is in the slot, and is applied unless the
//! snapshot sees it (then the copy has it). Each source transaction is
//! applied as one destination transaction, in commit order, so the
//! destination's foreign keys hold. The slot is read in rounds until a
//! round is small; then the fence goes up, the slot is drained up to the
//! source's WAL position taken after the fence, and the fenced step
//! verifies every table by its digests (copying again only what still
//! differs: the tables not published). The slot and publication are
//! dropped when the move flips, is abandoned or rolled back, or is resumed
//! after a kill (the resumed move keeps the destination level by the
//! fenced copy).

mod apply;
mod pgoutput;
mod slot;
mod snapshot;

use super::copy::{self, CopiedTable};
use super::cutover::Sides;
use super::plan::Leg;
use super::sequences;
use crate::Error;
use apply::{Applier, Planned};
use pgoutput::Message;
use snapshot::Snapshot;

pub(crate) use slot::remove;

/// How a move kept its destination level with the source while the tenant
/// wrote there during the first copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyMethod {
    /// The source's changes, decoded from a logical replication slot,
    /// applied at the destination before and under the fence.
    Online,
    /// The tables that changed copied again under the fence.
    Fenced,
}

/// The changes decoded in one round at most (a round ends at a commit).
const ROUND_CHANGES: i32 = 10_000;

/// A round with fewer changes than this ends the catch-up before the fence.
const SMALL_ROUND: usize = 500;

/// Rounds of catch-up at most before the fence goes up anyway (a tenant
/// that writes faster than its changes are applied has the rest applied
/// under the fence).
const ROUNDS: usize = 20;

/// One move's stream of changes from its source.
pub(crate) struct Stream {
    name: String,
    tables: Vec<CopiedTable>,
    /// The first copy's snapshot, once taken.
    snapshot: Option<Snapshot>,
    applier: Applier,
    /// Whether a destination transaction is open (and whether the source
    /// transaction is skipped, the copy having it).
    open: Option<bool>,
}

impl Stream {
    /// Makes relocation `relocation`'s publication and slot at `leg`'s
    /// source if it can stream (dropping any a killed run left); `None`
    /// when it cannot (the move copies under the fence).
    pub(crate) async fn open(
        sides: &Sides,
        leg: &Leg,
        relocation: i64,
    ) -> Result<Option<Self>, Error> {
        let Sides { source, target } = sides;
        if !slot::can_stream(source).await? {
            return Ok(None);
        }
        let tables = copy::tables(source, &leg.from, target, &leg.to).await?;
        let kinds = slot::publishing(source, leg, &tables).await?;
        if !slot::create(source, relocation, leg.tenant, &tables, &kinds).await? {
            return Ok(None);
        }
        let applier = Applier::new(target, leg.tenant, &tables, &kinds).await?;
        Ok(Some(Self {
            name: slot::name(relocation, leg.tenant),
            tables,
            snapshot: None,
            applier,
            open: None,
        }))
    }

    /// Takes the first copy's snapshot (`pg_current_snapshot()` as text).
    pub(crate) fn copied_in(&mut self, snapshot: &str) -> Result<(), Error> {
        let snapshot = snapshot
            .parse()
            .map_err(|_| Error::ChangeStream(format!("{snapshot:?} is not a snapshot")))?;
        self.snapshot = Some(snapshot);
        Ok(())
    }

    /// Applies the changes of rounds until a round is small (or many
    /// rounds ran); the changes read.
    pub(crate) async fn catch_up(&mut self, sides: &Sides) -> Result<u64, Error> {
        let mut read = 0;
        for _ in 0..ROUNDS {
            let round = self.round(sides, None).await?;
            read += round as u64;
            if round < SMALL_ROUND {
                break;
            }
        }
        Ok(read)
    }

    /// Under the fence: applies every change up to the source's WAL
    /// position now, and advances the destination's sequences; the changes
    /// read.
    pub(crate) async fn drain(&mut self, sides: &Sides) -> Result<u64, Error> {
        let upto: String = sides
            .source
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await?
            .get(0);
        let mut read = 0;
        loop {
            let round = self.round(sides, Some(&upto)).await?;
            if round == 0 {
                break;
            }
            read += round as u64;
        }
        let tables: Vec<&CopiedTable> = self.tables.iter().collect();
        sequences::advance(&sides.target, &tables).await?;
        Ok(read)
    }

    /// Reads one round of changes from the slot (up to `upto`, if given)
    /// and applies them, pipelined; how many messages it read.
    async fn round(&mut self, sides: &Sides, upto: Option<&str>) -> Result<usize, Error> {
        let rows = sides
            .source
            .query(
                "SELECT data FROM pg_logical_slot_get_binary_changes(
                     $1::text::name, $2::text::pg_lsn, $3, 'proto_version', '1',
                     'publication_names', $1::text)",
                &[&self.name, &upto, &ROUND_CHANGES],
            )
            .await?;
        let mut plan = Vec::new();
        for row in &rows {
            let message = pgoutput::parse(row.get(0))
                .map_err(|error| Error::ChangeStream(error.to_string()))?;
            self.take(message, &mut plan)?;
        }
        self.applier.run(&sides.target, plan).await?;
        Ok(rows.len())
    }

    /// Plans what one decoded message does at the destination: a source
    /// transaction the snapshot does not see is one destination
    /// transaction.
    fn take(&mut self, message: Message, plan: &mut Vec<Planned>) -> Result<(), Error> {
        match message {
            Message::Begin { xid, .. } => {
                let snapshot = self.snapshot.as_ref().ok_or_else(|| {
                    Error::ChangeStream("a change read before the first copy".to_owned())
                })?;
                let skip = snapshot.sees(xid);
                if !skip {
                    plan.push(("BEGIN".to_owned(), Vec::new()));
                }
                self.open = Some(skip);
            }
            Message::Commit { .. } => {
                if self.open.take() == Some(false) {
                    plan.push(("COMMIT".to_owned(), Vec::new()));
                }
            }
            Message::Relation(relation) => self.applier.relation(relation),
            change @ (Message::Insert { .. }
            | Message::Update { .. }
            | Message::Delete { .. }
            | Message::Truncate { .. }) => match self.open {
                Some(false) => self.applier.plan(&change, plan)?,
                Some(true) => {}
                None => {
                    return Err(Error::ChangeStream(
                        "a change outside a transaction".to_owned(),
                    ));
                }
            },
            Message::Origin { .. } | Message::Type { .. } | Message::Logical { .. } => {}
        }
        Ok(())
    }
}

/// Drops relocation `relocation`'s slot and publication at `leg`'s source,
/// if any, on a connection of its own.
pub(crate) async fn forget(
    operator: &crate::operator::Operator,
    leg: &Leg,
    relocation: i64,
) -> Result<(), Error> {
    let source = operator
        .connect(&leg.from.server, leg.from.database())
        .await?;
    remove(&source, relocation, leg.tenant).await
}
