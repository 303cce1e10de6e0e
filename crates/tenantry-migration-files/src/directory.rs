//! Reading a directory of migration files.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{LoadError, marker, name};

/// One migration file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// Its version, from its name.
    pub version: i64,
    /// Its name without version and `.sql`.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its text, exactly as in the file.
    pub sql: String,
}

/// The migrations of `directory`, by version, under the crate's rules; the
/// first file that breaks one (in file name order) is the error.
pub fn read_directory(directory: &Path) -> Result<Vec<MigrationFile>, LoadError> {
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |source| LoadError::Unreadable { path, source }
    };
    let mut paths = fs::read_dir(directory)
        .map_err(unreadable(directory))?
        .map(|entry| Ok(entry?.path()))
        .collect::<Result<Vec<PathBuf>, _>>()
        .map_err(unreadable(directory))?;
    paths.retain(|path| path.extension().is_some_and(|extension| extension == "sql"));
    paths.sort();
    let mut files = paths
        .into_iter()
        .map(read_file)
        .collect::<Result<Vec<_>, _>>()?;
    files.sort_by_key(|file| file.version);
    if let Some(pair) = files
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(LoadError::DuplicateVersion {
            version: pair[0].version,
            first: pair[0].path.clone(),
            second: pair[1].path.clone(),
        });
    }
    Ok(files)
}

/// The migration file at `path`, whose name ends in `.sql`.
fn read_file(path: PathBuf) -> Result<MigrationFile, LoadError> {
    let Some((version, name)) = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(name::parse)
    else {
        return Err(LoadError::BadName { path });
    };
    let name = name.to_owned();
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(source) => return Err(LoadError::Unreadable { path, source }),
    };
    let sql = match String::from_utf8(bytes) {
        Ok(sql) => sql,
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            return Err(LoadError::NotUtf8 { path, offset });
        }
    };
    if let Some((line, text)) = marker::unknown_directive(&sql) {
        let text = text.to_owned();
        return Err(LoadError::UnknownDirective { path, line, text });
    }
    Ok(MigrationFile {
        version,
        name,
        path,
        sql,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn scratch(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let directory = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            fs::write(directory.path().join(name), contents).unwrap();
        }
        directory
    }

    #[test]
    fn sql_files_are_read_in_version_order_and_the_rest_skipped() {
        let directory = scratch(&[
            ("10_ten.sql", b"SELECT 10"),
            ("2_two.sql", b"SELECT 2\r\n"),
            ("0001_one_more.sql", b"SELECT 1"),
            ("README.md", b"not a migration"),
            ("0003_backup.sql~", b"not a migration"),
            ("0004_upper.SQL", b"not a migration"),
        ]);
        fs::create_dir(directory.path().join("0005_folder")).unwrap();
        let files = read_directory(directory.path()).unwrap();
        let read: Vec<(i64, &str, &str)> = files
            .iter()
            .map(|file| (file.version, file.name.as_str(), file.sql.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                (1, "one_more", "SELECT 1"),
                (2, "two", "SELECT 2\r\n"),
                (10, "ten", "SELECT 10")
            ]
        );
        assert_eq!(files[0].path, directory.path().join("0001_one_more.sql"));
        assert!(
            read_directory(tempfile::tempdir().unwrap().path())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_name_is_an_error() {
        for name in ["create.sql", "0_zero.sql", "0001_.sql", "v1_one.sql"] {
            let directory = scratch(&[("0001_fine.sql", b""), (name, b"")]);
            let error = read_directory(directory.path()).unwrap_err();
            assert!(
                matches!(&error, LoadError::BadName { path } if path.ends_with(name)),
                "{name}: {error:?}"
            );
            assert!(
                error
                    .to_string()
                    .contains(&format!("{name}: migration files are named")),
                "{error}"
            );
        }
    }

    #[test]
    fn a_version_used_twice_is_an_error() {
        let directory = scratch(&[
            ("0001_one.sql", b""),
            ("1_again.sql", b""),
            ("2_two.sql", b""),
        ]);
        let error = read_directory(directory.path()).unwrap_err();
        let LoadError::DuplicateVersion {
            version,
            first,
            second,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(*version, 1);
        assert_eq!(
            [first, second],
            [
                &directory.path().join("0001_one.sql"),
                &directory.path().join("1_again.sql")
            ]
        );
        assert!(error.to_string().contains("two migrations have version 1"));
    }

    #[test]
    fn an_unreadable_directory_or_file_is_an_error() {
        let missing = tempfile::tempdir().unwrap().path().join("missing");
        let error = read_directory(&missing).unwrap_err();
        assert!(
            matches!(&error, LoadError::Unreadable { path, .. } if *path == missing),
            "{error:?}"
        );
        // A directory named like a migration cannot be read as one.
        let directory = scratch(&[]);
        fs::create_dir(directory.path().join("0001_folder.sql")).unwrap();
        let error = read_directory(directory.path()).unwrap_err();
        assert!(
            matches!(&error, LoadError::Unreadable { path, .. } if path.ends_with("0001_folder.sql")),
            "{error:?}"
        );
    }

    #[test]
    fn a_file_not_in_utf8_is_an_error() {
        let directory = scratch(&[("0001_latin1.sql", b"SELECT 'caf\xe9'")]);
        let error = read_directory(directory.path()).unwrap_err();
        assert!(
            matches!(&error, LoadError::NotUtf8 { path, offset: 11 } if path.ends_with("0001_latin1.sql")),
            "{error:?}"
        );
    }

    #[test]
    fn the_marker_is_read_and_a_misspelt_one_is_an_error() {
        let marked = b"-- tenantry: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);";
        let directory = scratch(&[("0001_index.sql", marked)]);
        let files = read_directory(directory.path()).unwrap();
        assert!(!crate::runs_in_transaction(&files[0].sql));
        assert_eq!(
            files[0].sql.as_bytes(),
            marked,
            "the marker stays in the SQL"
        );

        let directory = scratch(&[("0001_index.sql", b"-- tenantry: no transaction\nSELECT 1")]);
        let error = read_directory(directory.path()).unwrap_err();
        assert!(
            matches!(&error, LoadError::UnknownDirective { line: 1, text, .. } if text == "-- tenantry: no transaction"),
            "{error:?}"
        );
    }
}
