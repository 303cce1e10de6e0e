//! Migrations read at run time from a directory, for the shipped binary
//! (a project's own binary embeds them with `embed_migrations!` instead).
//!
//! The rules are the macro's: `<dir>/shared/*.sql` and `<dir>/tenant/*.sql`,
//! each named `<version>_<name>.sql`, ordered by version; other files are
//! ignored; a malformed name or a version used twice is an error.

use std::path::Path;

use tenantry_ops::Migrations;
use tenantry_ops::migrate::{Migration, MigrationSet};

use crate::exit::Fatal;

/// Where the shipped binary looks when `--migrations` is not given.
pub(crate) const DEFAULT_DIRECTORY: &str = "migrations";

/// Both sets of `directory`.
pub(crate) fn load(directory: &Path) -> Result<Migrations, Fatal> {
    Ok(Migrations {
        shared: load_set(&directory.join("shared")).map_err(Fatal)?,
        tenant: load_set(&directory.join("tenant")).map_err(Fatal)?,
    })
}

/// The migrations of one directory, by version.
fn load_set(directory: &Path) -> Result<MigrationSet, String> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| format!("cannot read {}: {error}", directory.display()))?
            .path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("sql") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let (version, name) = parse_name(stem)?;
        let sql = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        files.push((version, name.to_owned(), sql, path));
    }
    files.sort_by_key(|(version, ..)| *version);
    if let Some(pair) = files.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(format!(
            "two migrations have version {}: {} and {}",
            pair[0].0,
            pair[0].3.display(),
            pair[1].3.display()
        ));
    }
    // `Migration` holds `&'static str`s, as embedded migrations do. The files
    // are read once per process, so leaking them is bounded by the size of
    // the migrations directory and lasts only as long as the command.
    let migrations: Vec<Migration> = files
        .into_iter()
        .map(|(version, name, sql, _)| Migration::new(version, leak(name), leak(sql)))
        .collect();
    Ok(MigrationSet::new(Box::leak(migrations.into_boxed_slice())))
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// `0001_create_invoices` → `(1, "create_invoices")`.
fn parse_name(stem: &str) -> Result<(i64, &str), String> {
    stem.split_once('_')
        .and_then(|(version, name)| Some((version.parse::<i64>().ok()?, name)))
        .filter(|(version, name)| *version > 0 && !name.is_empty())
        .ok_or_else(|| {
            format!(
                "{stem}.sql: migration files are named <version>_<name>.sql, e.g. 0001_create_invoices.sql"
            )
        })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn directory(files: &[(&str, &str)]) -> tempfile::TempDir {
        let directory = tempfile::tempdir().unwrap();
        for (name, sql) in files {
            fs::write(directory.path().join(name), sql).unwrap();
        }
        directory
    }

    #[test]
    fn files_are_ordered_by_version_not_by_name() {
        let directory = directory(&[
            ("10_ten.sql", "SELECT 10"),
            ("2_two.sql", "SELECT 2"),
            ("0001_one_more.sql", "SELECT 1"),
            ("README.md", "ignored"),
        ]);
        let set = load_set(directory.path()).unwrap();
        let loaded: Vec<(i64, &str, &str)> = set
            .migrations()
            .iter()
            .map(|migration| (migration.version, migration.name, migration.sql))
            .collect();
        assert_eq!(
            loaded,
            [
                (1, "one_more", "SELECT 1"),
                (2, "two", "SELECT 2"),
                (10, "ten", "SELECT 10")
            ]
        );
    }

    #[test]
    fn malformed_names_and_duplicate_versions_are_errors() {
        for (files, expected) in [
            (
                &[("create.sql", "")][..],
                "create.sql: migration files are named",
            ),
            (&[("0_zero.sql", "")], "0_zero.sql"),
            (&[("0001_.sql", "")], "0001_.sql"),
            (&[("v1_one.sql", "")], "v1_one.sql"),
            (
                &[("0001_one.sql", ""), ("1_again.sql", "")],
                "two migrations have version 1",
            ),
        ] {
            let directory = directory(files);
            let error = load_set(directory.path()).expect_err("an error");
            assert!(error.contains(expected), "{files:?}: {error}");
        }
    }

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
}
