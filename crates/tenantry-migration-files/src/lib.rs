//! The rules for a directory of migration files, in one place for both
//! readers: `embed_migrations!`, which reads the directory at compile time,
//! and `tenantry-ops`, which reads it at run time for the `tenantry`
//! command. Applications reach them through `tenantry::ops::migrate`.
//!
//! - Each file whose name ends in `.sql` is a migration; every other entry
//!   (a `README.md`, an editor's `0001_x.sql~`) is skipped.
//! - A migration is named `<version>_<name>.sql`: `<version>` is decimal
//!   digits, a positive 64-bit number; `<name>` is not empty. Leading zeros
//!   do not count (`0001_a.sql` is version 1).
//! - Migrations are ordered by version; two with one version are an error.
//! - A file must be readable and UTF-8.
//! - A first line `-- tenantry: no-transaction` runs the migration outside a
//!   transaction ([`NO_TRANSACTION_MARKER`]). Any other line that starts
//!   with `-- tenantry:` is an error, so a misspelt or misplaced marker is
//!   never silently ignored.
//!
//! This crate has no database code: a procedural macro can depend on it
//! without building the operator.

mod directory;
mod error;
mod marker;
mod name;

pub use directory::{MigrationFile, read_directory};
pub use error::LoadError;
pub use marker::{NO_TRANSACTION_MARKER, runs_in_transaction};
