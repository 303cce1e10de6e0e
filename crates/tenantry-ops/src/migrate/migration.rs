//! Migrations and the sets they come in.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use tenantry_migration_files::{LoadError, MigrationFile, read_directory, runs_in_transaction};

/// One migration: a version, a name and the SQL that applies it. Embedded
/// ones borrow their text from the binary; ones read at run time
/// ([`MigrationSet::load`]) own it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    version: i64,
    name: Cow<'static, str>,
    sql: Cow<'static, str>,
}

impl Migration {
    /// A migration (used by `embed_migrations!`).
    pub const fn new(version: i64, name: &'static str, sql: &'static str) -> Self {
        Self {
            version,
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
        }
    }

    /// Orders the migrations of a set; never reused.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// A short name (the file name without its version).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SQL, possibly several statements. It runs with `search_path` set
    /// to the target's schema, so it names tables without a schema.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Whether the migration runs in a transaction of its own: unless its
    /// first line is `-- tenantry: no-transaction` (see
    /// [`NO_TRANSACTION_MARKER`](super::NO_TRANSACTION_MARKER)).
    pub fn runs_in_transaction(&self) -> bool {
        runs_in_transaction(&self.sql)
    }

    /// A stable fingerprint of the SQL, recorded when it is applied so that a
    /// migration edited afterwards is noticed (64-bit FNV-1a, hexadecimal).
    /// It covers the exact bytes, line endings and the marker included.
    pub fn checksum(&self) -> String {
        let hash = self
            .sql
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        format!("{hash:016x}")
    }

    /// A migration that owns the text of `file`.
    fn read(file: MigrationFile) -> Self {
        Self {
            version: file.version,
            name: Cow::Owned(file.name),
            sql: Cow::Owned(file.sql),
        }
    }
}

/// An ordered list of migrations, usually embedded at compile time with
/// `tenantry::embed_migrations!("migrations/tenant")`, or read at run time
/// with [`MigrationSet::load`]. Cloning an embedded set copies a pointer.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    migrations: Cow<'static, [Migration]>,
}

impl MigrationSet {
    /// A set of `migrations`, which must be in ascending version order. They
    /// are borrowed for ever, so they live in a `static` of their own (a
    /// `&[Migration::new(..)]` written in place is a temporary):
    ///
    /// ```
    /// use tenantry_ops::migrate::{Migration, MigrationSet};
    ///
    /// static MIGRATIONS: [Migration; 1] =
    ///     [Migration::new(1, "create_plans", "CREATE TABLE plans (id text PRIMARY KEY);")];
    /// static SHARED: MigrationSet = MigrationSet::new(&MIGRATIONS);
    /// ```
    pub const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 1;
        while index < migrations.len() {
            assert!(
                migrations[index - 1].version < migrations[index].version,
                "migrations must be in strictly ascending version order"
            );
            index += 1;
        }
        Self {
            migrations: Cow::Borrowed(migrations),
        }
    }

    /// The migrations of `directory`, read now, under the rules
    /// `embed_migrations!` applies at compile time (see
    /// [`tenantry_migration_files`]): `<version>_<name>.sql` files by
    /// version, other files skipped; a file that breaks them is a
    /// [`LoadError`] naming it. The set owns what it read.
    pub fn load(directory: &Path) -> Result<Self, LoadError> {
        let files = read_directory(directory)?;
        Ok(Self {
            migrations: Cow::Owned(files.into_iter().map(Migration::read).collect()),
        })
    }

    /// The migrations, in order.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
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
    pub fn pending(&self, applied: &HashSet<i64>) -> Vec<&Migration> {
        self.migrations
            .iter()
            .filter(|migration| !applied.contains(&migration.version))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static MIGRATIONS: [Migration; 3] = [
        Migration::new(1, "one", "SELECT 1"),
        Migration::new(2, "two", "SELECT 2"),
        Migration::new(3, "three", "SELECT 3"),
    ];
    static SET: MigrationSet = MigrationSet::new(&MIGRATIONS);

    fn pending(applied: &[i64]) -> Vec<i64> {
        let applied = applied.iter().copied().collect();
        SET.pending(&applied).iter().map(|m| m.version()).collect()
    }

    #[test]
    fn pending_is_every_unapplied_version_in_order_even_below_applied_ones() {
        assert_eq!(pending(&[]), [1, 2, 3]);
        assert_eq!(pending(&[1, 3]), [2]);
        assert_eq!(pending(&[3]), [1, 2]);
        assert_eq!(pending(&[1, 2, 3, 7]), [0_i64; 0]);
    }
}
