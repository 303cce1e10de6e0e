//! Migrations and the sets they come in.

use std::collections::HashSet;

/// One migration: a version, a name and the SQL that applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Orders the migrations of a set; never reused.
    pub version: i64,
    /// A short name (the file name without its version).
    pub name: &'static str,
    /// The SQL, possibly several statements. It runs with `search_path` set to
    /// the target's schema, so it names tables without a schema.
    pub sql: &'static str,
}

impl Migration {
    /// A migration (used by `embed_migrations!`).
    pub const fn new(version: i64, name: &'static str, sql: &'static str) -> Self {
        Self { version, name, sql }
    }

    /// A stable fingerprint of the SQL, recorded when it is applied so that a
    /// migration edited afterwards is noticed (64-bit FNV-1a, hexadecimal).
    /// It covers the exact bytes, line endings included.
    pub fn checksum(&self) -> String {
        let hash = self
            .sql
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        format!("{hash:016x}")
    }
}

/// Which tables a set of migrations creates, and so where it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// The registry itself, in the control schema of the main server.
    Control,
    /// Global tables, in the shared schema of the main server.
    Shared,
    /// Tables of tenant-scoped entities: the pool's shared tables, every
    /// tenant schema, every tenant database (and the template database).
    Tenant,
}

impl SetKind {
    /// The name recorded in the version table.
    pub fn as_str(self) -> &'static str {
        match self {
            SetKind::Control => "control",
            SetKind::Shared => "shared",
            SetKind::Tenant => "tenant",
        }
    }
}

/// An ordered list of migrations, usually embedded at compile time with
/// `tenantry::embed_migrations!("migrations/tenant")`.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    migrations: &'static [Migration],
}

impl MigrationSet {
    /// A set of `migrations`, which must be in ascending version order.
    pub const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 1;
        while index < migrations.len() {
            assert!(
                migrations[index - 1].version < migrations[index].version,
                "migrations must be in strictly ascending version order"
            );
            index += 1;
        }
        Self { migrations }
    }

    /// The migrations, in order.
    pub fn migrations(&self) -> &'static [Migration] {
        self.migrations
    }

    /// The highest version, or 0 for an empty set.
    pub fn latest(&self) -> i64 {
        self.migrations
            .last()
            .map_or(0, |migration| migration.version)
    }

    /// The migrations whose version is not in `applied`, in order: a
    /// migration added with a lower version than some applied one (merged
    /// from a branch, say) is still pending.
    pub fn pending(&self, applied: &HashSet<i64>) -> Vec<&'static Migration> {
        self.migrations
            .iter()
            .filter(|migration| !applied.contains(&migration.version))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SET: MigrationSet = MigrationSet::new(&[
        Migration::new(1, "one", "SELECT 1"),
        Migration::new(2, "two", "SELECT 2"),
        Migration::new(3, "three", "SELECT 3"),
    ]);

    fn pending(applied: &[i64]) -> Vec<i64> {
        let applied = applied.iter().copied().collect();
        SET.pending(&applied).iter().map(|m| m.version).collect()
    }

    #[test]
    fn pending_is_every_unapplied_version_in_order_even_below_applied_ones() {
        assert_eq!(pending(&[]), [1, 2, 3]);
        assert_eq!(pending(&[1, 3]), [2]);
        assert_eq!(pending(&[3]), [1, 2]);
        assert_eq!(pending(&[1, 2, 3, 7]), [0_i64; 0]);
    }
}
