//! What a migration run did, per target.

use std::fmt;

use super::Target;

/// The outcome of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was pending.
    Current,
    /// These versions are pending (a dry run applies nothing).
    Pending(Vec<i64>),
    /// These versions were applied now.
    Applied(Vec<i64>),
    /// The migration `version` failed (it and later ones were not applied;
    /// `applied` lists the ones that were, before it).
    Failed {
        /// The version that failed.
        version: i64,
        /// Versions applied before the failure.
        applied: Vec<i64>,
        /// Why.
        error: String,
    },
}

/// One target's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// What happened there.
    pub outcome: Outcome,
}

/// The report of a migration run: one line per target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Every target, in a stable order.
    pub targets: Vec<TargetReport>,
}

impl MigrationReport {
    /// The targets that failed.
    pub fn failures(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets
            .iter()
            .filter(|line| matches!(line.outcome, Outcome::Failed { .. }))
    }

    /// Whether every target succeeded.
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }

    /// How many targets were current, had work (applied or pending), and failed.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.targets
            .iter()
            .fold((0, 0, 0), |(current, work, failed), line| {
                match line.outcome {
                    Outcome::Current => (current + 1, work, failed),
                    Outcome::Pending(_) | Outcome::Applied(_) => (current, work + 1, failed),
                    Outcome::Failed { .. } => (current, work, failed + 1),
                }
            })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |versions: &[i64]| {
            versions
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Outcome::Current => f.write_str("current"),
            Outcome::Pending(versions) => write!(f, "pending {}", list(versions)),
            Outcome::Applied(versions) => write!(f, "applied {}", list(versions)),
            Outcome::Failed { version, error, .. } => write!(f, "failed at {version}: {error}"),
        }
    }
}
