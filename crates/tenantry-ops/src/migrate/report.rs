//! What a migration run did, per target.

use std::fmt;

use super::Target;
use super::apply::Applied;

/// A migration as a target recorded it when it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Its version.
    pub version: i64,
    /// Its name when it was applied.
    pub name: String,
}

impl fmt::Display for AppliedMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version, self.name)
    }
}

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
    /// The SQL of an applied migration differs from what the target applied
    /// (its file was edited afterwards): an error, and nothing was applied
    /// to the target. The lowest such version is named.
    Changed(AppliedMigration),
}

impl Outcome {
    /// `Current` if no version was applied, else `Applied(versions)`.
    pub(crate) fn applied(versions: Vec<i64>) -> Self {
        if versions.is_empty() {
            Outcome::Current
        } else {
            Outcome::Applied(versions)
        }
    }

    /// Whether this target did not reach the set's state: a migration
    /// failed, or an applied one was changed.
    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Failed { .. } | Outcome::Changed(_))
    }
}

/// One target's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// What happened there.
    pub outcome: Outcome,
    /// The highest version the target has applied after the run (`None`:
    /// none, or the target could not be read).
    pub schema_version: Option<i64>,
    /// Versions the target has applied that the set does not have: a file
    /// removed, or a newer build that migrated the target first. A warning,
    /// not an error: they are neither run nor undone.
    pub unknown: Vec<AppliedMigration>,
}

impl TargetReport {
    /// The report of `target`, which had `applied` before the run.
    pub(crate) fn new(target: Target, outcome: Outcome, applied: Applied) -> Self {
        let now: &[i64] = match &outcome {
            Outcome::Applied(versions) => versions,
            Outcome::Failed { applied, .. } => applied,
            Outcome::Current | Outcome::Pending(_) | Outcome::Changed(_) => &[],
        };
        Self {
            target,
            schema_version: applied.versions.iter().chain(now).max().copied(),
            outcome,
            unknown: applied.unknown,
        }
    }
}

/// The report of a migration run: one line per target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Every target, in a stable order.
    pub targets: Vec<TargetReport>,
}

impl MigrationReport {
    /// The targets that failed or have a changed migration.
    pub fn failures(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets.iter().filter(|line| line.outcome.is_error())
    }

    /// The targets that have applied versions the set does not have.
    pub fn warnings(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets.iter().filter(|line| !line.unknown.is_empty())
    }

    /// Whether every target succeeded (warnings aside).
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }

    /// How many targets were current, had work (applied or pending), and
    /// failed (a changed migration included).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.targets
            .iter()
            .fold((0, 0, 0), |(current, work, failed), line| {
                match line.outcome {
                    Outcome::Current => (current + 1, work, failed),
                    Outcome::Pending(_) | Outcome::Applied(_) => (current, work + 1, failed),
                    Outcome::Failed { .. } | Outcome::Changed(_) => (current, work, failed + 1),
                }
            })
    }
}

/// `versions`, comma-separated.
fn list(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Current => f.write_str("current"),
            Outcome::Pending(versions) => write!(f, "pending {}", list(versions)),
            Outcome::Applied(versions) => write!(f, "applied {}", list(versions)),
            Outcome::Failed { version, error, .. } => write!(f, "failed at {version}: {error}"),
            Outcome::Changed(migration) => {
                write!(f, "migration {migration} changed after it was applied")
            }
        }
    }
}
