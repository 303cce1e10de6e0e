//! The audit log's hash chain, checked from the rows alone.
//!
//! Each row's hash is SHA-256 over its fields and the previous row's hash,
//! each field written as its length in bytes, a colon and its text (a NULL
//! as `-`), in this order: tenant id, actor, reason, ticket, expiry and time
//! of access (microseconds since the Unix epoch), the recording role, the
//! previous hash. The audit procedure of control migration 7 computes it
//! the same way when it inserts the row.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::log::AuditEntry;

/// The previous hash of the first row.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// The rows checked and found whole, in order, before the first broken
    /// link (all of them when there is none).
    pub intact: u64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

impl AuditVerification {
    /// Whether every row checked out.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// The first row where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The row's id.
    pub id: i64,
    /// What is wrong with it.
    pub problem: LinkProblem,
}

/// How a row breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    /// Its `previous_hash` is not the hash of the row before it: a row
    /// between them was removed, or this one was inserted out of the chain.
    Unlinked {
        /// The hash of the row before it (zeros for the first).
        expected: String,
        /// The `previous_hash` it holds.
        found: String,
    },
    /// Its hash does not match its fields: the row was changed.
    Altered {
        /// The hash its fields give.
        computed: String,
        /// The hash it holds.
        stored: String,
    },
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            LinkProblem::Unlinked { expected, found } => write!(
                f,
                "audit row {} does not follow the row before it (a row was removed or inserted): its previous hash is {found}, the row before hashes to {expected}",
                self.id
            ),
            LinkProblem::Altered { computed, stored } => write!(
                f,
                "audit row {} was changed: its fields hash to {computed}, it holds {stored}",
                self.id
            ),
        }
    }
}

/// Walks `entries` (the whole log, oldest first) and stops at the first
/// broken link.
pub(super) fn verify(entries: &[AuditEntry]) -> AuditVerification {
    let mut previous = GENESIS;
    for (intact, entry) in (0u64..).zip(entries) {
        let problem = if entry.previous_hash != previous {
            Some(LinkProblem::Unlinked {
                expected: previous.to_owned(),
                found: entry.previous_hash.clone(),
            })
        } else {
            let computed = hash(entry);
            (computed != entry.hash).then(|| LinkProblem::Altered {
                computed,
                stored: entry.hash.clone(),
            })
        };
        if let Some(problem) = problem {
            return AuditVerification {
                intact,
                broken: Some(BrokenLink {
                    id: entry.id,
                    problem,
                }),
            };
        }
        previous = &entry.hash;
    }
    AuditVerification {
        intact: entries.len() as u64,
        broken: None,
    }
}

/// The hash `entry`'s fields and previous hash give.
fn hash(entry: &AuditEntry) -> String {
    let fields = [
        Some(entry.tenant.to_string()),
        Some(entry.actor.clone()),
        Some(entry.reason.clone()),
        entry.ticket.clone(),
        Some(micros(entry.expires_at).to_string()),
        Some(micros(entry.accessed_at).to_string()),
        Some(entry.recorded_by.clone()),
        Some(entry.previous_hash.clone()),
    ];
    let chained: String = fields
        .iter()
        .map(|field| match field {
            Some(text) => format!("{}:{text}", text.len()),
            None => "-".to_owned(),
        })
        .collect();
    Sha256::digest(chained.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Microseconds since the Unix epoch.
fn micros(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos().div_euclid(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_query::TenantId;

    fn entry(id: i64, previous: &str, actor: &str) -> AuditEntry {
        let mut entry = AuditEntry {
            id,
            tenant: "00000000-0000-0000-0000-00000000002a"
                .parse::<TenantId>()
                .unwrap(),
            actor: actor.to_owned(),
            reason: "looking".to_owned(),
            ticket: None,
            expires_at: OffsetDateTime::UNIX_EPOCH,
            accessed_at: OffsetDateTime::UNIX_EPOCH,
            recorded_by: "app".to_owned(),
            previous_hash: previous.to_owned(),
            hash: String::new(),
        };
        entry.hash = hash(&entry);
        entry
    }

    #[test]
    fn the_first_broken_link_is_found() {
        let first = entry(1, GENESIS, "ada");
        let second = entry(2, &first.hash, "bob");
        let third = entry(3, &second.hash, "cy");
        let chain = [first.clone(), second.clone(), third.clone()];
        assert_eq!(
            verify(&chain),
            AuditVerification {
                intact: 3,
                broken: None
            }
        );

        let mut changed = chain.clone();
        changed[1].actor = "eve".to_owned();
        let found = verify(&changed);
        assert_eq!(found.intact, 1);
        let broken = found.broken.unwrap();
        assert_eq!(broken.id, 2);
        assert!(matches!(broken.problem, LinkProblem::Altered { .. }));

        let removed = [first.clone(), third.clone()];
        let broken = verify(&removed).broken.unwrap();
        assert_eq!(broken.id, 3);
        assert!(matches!(broken.problem, LinkProblem::Unlinked { .. }));
    }

    #[test]
    fn a_null_ticket_differs_from_a_dash() {
        let mut with_dash = entry(1, GENESIS, "ada");
        with_dash.ticket = Some("-".to_owned());
        assert_ne!(hash(&with_dash), entry(1, GENESIS, "ada").hash);
    }
}
