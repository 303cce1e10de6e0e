//! What is wrong with a migrations directory.

use std::io;
use std::path::PathBuf;

/// Why a migrations directory could not be loaded; each names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The directory or a migration file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A `.sql` file is not named `<version>_<name>.sql`.
    #[error(
        "{}: migration files are named <version>_<name>.sql, e.g. 0001_create_invoices.sql",
        path.display()
    )]
    BadName {
        /// The file.
        path: PathBuf,
    },
    /// Two files have the same version.
    #[error("two migrations have version {version}: {} and {}", first.display(), second.display())]
    DuplicateVersion {
        /// The version.
        version: i64,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A file is not UTF-8.
    #[error("{} is not UTF-8 (from byte {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first byte that is not UTF-8 is.
        offset: usize,
    },
    /// A line starts like the marker but is not the marker as a first line.
    #[error(
        "{}, line {line}: {text:?} is not a tenantry directive; the only one is {marker:?}, as a file's first line",
        path.display(),
        marker = crate::NO_TRANSACTION_MARKER
    )]
    UnknownDirective {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What it says.
        text: String,
    },
}
