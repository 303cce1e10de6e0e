//! The first copy's snapshot (`pg_current_snapshot()` in its text form,
//! `xmin:xmax:xip,...`), and which decoded transactions it already holds:
//! a transaction committed after the slot's consistent point is applied at
//! the destination unless its id is visible in this snapshot (then the copy
//! has its changes already). Decoding gives 32-bit ids; the snapshot,
//! 64-bit ones: a 32-bit id is taken as the 64-bit id nearest the
//! snapshot's `xmax` (the transactions decoded began less than 2^31 ids
//! from it).

use std::collections::BTreeSet;
use std::str::FromStr;

/// A snapshot's transaction ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Every id below this one had ended when the snapshot was taken.
    xmin: u64,
    /// No id from this one on had ended.
    xmax: u64,
    /// The ids between that were running.
    running: BTreeSet<u64>,
}

/// Text that is not a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotASnapshot(pub(crate) String);

impl FromStr for Snapshot {
    type Err = NotASnapshot;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wrong = || NotASnapshot(text.to_owned());
        let mut parts = text.split(':');
        let (Some(xmin), Some(xmax), Some(running), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(wrong());
        };
        let xmin: u64 = xmin.parse().map_err(|_| wrong())?;
        let xmax: u64 = xmax.parse().map_err(|_| wrong())?;
        let running = running
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| id.parse().map_err(|_| wrong()))
            .collect::<Result<BTreeSet<u64>, _>>()?;
        if xmin > xmax || running.iter().any(|&id| id < xmin || id >= xmax) {
            return Err(wrong());
        }
        Ok(Self {
            xmin,
            xmax,
            running,
        })
    }
}

impl Snapshot {
    /// Whether committed transaction `xid` (32 bits, as decoding gives it)
    /// is visible in the snapshot: it had ended before the snapshot was
    /// taken.
    pub(crate) fn sees(&self, xid: u32) -> bool {
        let full = self.widen(xid);
        full < self.xmin || (full < self.xmax && !self.running.contains(&full))
    }

    /// The 64-bit id nearest `xmax` whose low 32 bits are `xid`.
    fn widen(&self, xid: u32) -> u64 {
        const EPOCH: u64 = 1 << 32;
        let candidate = (self.xmax & !(EPOCH - 1)) | u64::from(xid);
        if candidate > self.xmax.saturating_add(EPOCH / 2) && candidate >= EPOCH {
            candidate - EPOCH
        } else if candidate.saturating_add(EPOCH / 2) < self.xmax {
            candidate + EPOCH
        } else {
            candidate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_below_xmin_and_ended_ones_between_are_seen() {
        let snapshot: Snapshot = "100:105:101,103".parse().unwrap();
        let seen: Vec<u32> = (95..110).filter(|&xid| snapshot.sees(xid)).collect();
        assert_eq!(seen, [95, 96, 97, 98, 99, 100, 102, 104]);
    }

    #[test]
    fn an_empty_running_list_is_read() {
        let snapshot: Snapshot = "7:7:".parse().unwrap();
        assert!(snapshot.sees(6));
        assert!(!snapshot.sees(7));
    }

    #[test]
    fn ids_across_an_epoch_are_placed_near_xmax() {
        let epoch = 1u64 << 32;
        let text = format!("{}:{}:", epoch - 3, epoch + 2);
        let snapshot: Snapshot = text.parse().unwrap();
        // 2^32 - 4 is before the wrap, 1 after it.
        assert!(snapshot.sees(u32::MAX - 3));
        assert!(snapshot.sees(1));
        assert!(!snapshot.sees(2));
        assert!(!snapshot.sees(3));
    }

    #[test]
    fn text_that_is_not_a_snapshot_is_refused() {
        for text in ["", "1:2", "1:2:3:4", "a:2:", "5:3:", "1:3:7", "1:3:x"] {
            assert_eq!(
                text.parse::<Snapshot>(),
                Err(NotASnapshot(text.to_owned())),
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn visibility_follows_the_rule(
            xmin in 3u64..(1 << 40),
            span in 0u64..64,
            running in proptest::collection::btree_set(0u64..64, 0..8),
            offset in -70i64..140,
        ) {
            let xmax = xmin + span;
            let running: BTreeSet<u64> =
                running.into_iter().filter(|id| *id < span).map(|id| xmin + id).collect();
            let list: Vec<String> = running.iter().map(u64::to_string).collect();
            let snapshot: Snapshot = format!("{xmin}:{xmax}:{}", list.join(",")).parse().unwrap();
            let full = xmin.checked_add_signed(offset).unwrap();
            let expected = full < xmin || (full < xmax && !running.contains(&full));
            prop_assert_eq!(snapshot.sees(full as u32), expected);
        }
    }
}
