//! Migrations read at run time from a directory, for the shipped binary
//! (a project's own binary embeds them with `embed_migrations!` instead):
//! `<dir>/shared/*.sql` and `<dir>/tenant/*.sql`, each read by
//! `MigrationSet::load` under the rules the macro applies, and owned by the
//! set for as long as the command runs.

use std::path::Path;

use tenantry_ops::Migrations;
use tenantry_ops::migrate::MigrationSet;

use crate::exit::Fatal;

/// Where the shipped binary looks when `--migrations` is not given.
pub(crate) const DEFAULT_DIRECTORY: &str = "migrations";

/// The migrations a command runs: those the binary embeds, else those of
/// `--migrations` (or the default directory); both at once is an error.
pub(crate) fn choose(
    embedded: Option<Migrations>,
    directory: Option<&Path>,
) -> Result<Migrations, Fatal> {
    match (embedded, directory) {
        (Some(_), Some(_)) => Err(Fatal::new(
            "this binary embeds its migrations; --migrations does not apply",
        )),
        (Some(embedded), None) => Ok(embedded),
        (None, directory) => load(directory.unwrap_or(DEFAULT_DIRECTORY.as_ref())),
    }
}

/// Both sets of `directory`.
pub(crate) fn load(directory: &Path) -> Result<Migrations, Fatal> {
    let set = |name: &str| {
        MigrationSet::load(&directory.join(name)).map_err(|error| Fatal::new(error.to_string()))
    };
    Ok(Migrations {
        shared: set("shared")?,
        tenant: set("tenant")?,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn both_sets_are_required() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("shared")).unwrap();
        let error = load(root.path()).expect_err("tenant/ is missing");
        assert!(error.0.contains("tenant"), "{error}");
        fs::create_dir(root.path().join("tenant")).unwrap();
        let migrations = load(root.path()).unwrap();
        assert_eq!(migrations.shared.latest(), 0);
        assert_eq!(migrations.tenant.latest(), 0);
    }

    #[test]
    fn files_are_read_by_the_macro_rules_marker_included() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("shared")).unwrap();
        fs::create_dir(root.path().join("tenant")).unwrap();
        let index =
            "-- tenantry: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);";
        for (name, sql) in [
            ("10_index.sql", index),
            ("2_create.sql", "CREATE TABLE t (c int);"),
            ("README.md", "skipped"),
        ] {
            fs::write(root.path().join("tenant").join(name), sql).unwrap();
        }
        let migrations = load(root.path()).unwrap();
        let read: Vec<(i64, &str, &str, bool)> = migrations
            .tenant
            .migrations()
            .iter()
            .map(|m| (m.version(), m.name(), m.sql(), m.runs_in_transaction()))
            .collect();
        assert_eq!(
            read,
            [
                (2, "create", "CREATE TABLE t (c int);", true),
                (10, "index", index, false)
            ]
        );

        fs::write(root.path().join("tenant/0002_again.sql"), "").unwrap();
        let error = load(root.path()).expect_err("version 2 twice");
        assert!(error.0.contains("two migrations have version 2"), "{error}");
    }
}
