//! The marker of a migration that runs outside a transaction.

/// A migration whose first line is this (trailing spaces and a `\r`
/// aside) runs outside a transaction, as `CREATE INDEX CONCURRENTLY` must.
/// The marker is part of the file, so of its checksum: adding or removing
/// it from an applied migration is an edit like any other.
pub const NO_TRANSACTION_MARKER: &str = "-- tenantry: no-transaction";

/// What every tenantry directive starts with, once spaces are ignored.
const DIRECTIVE: &str = "tenantry:";

/// Whether `sql` runs in a transaction of its own: unless its first line
/// is [`NO_TRANSACTION_MARKER`].
pub fn runs_in_transaction(sql: &str) -> bool {
    sql.lines().next().map(str::trim_end) != Some(NO_TRANSACTION_MARKER)
}

/// The first line (from 1, with its text) that looks like a tenantry
/// directive (`--`, then `tenantry:` in any case, spaces ignored) but is not
/// the marker as the first line.
pub(crate) fn unknown_directive(sql: &str) -> Option<(usize, &str)> {
    sql.lines().enumerate().find_map(|(index, line)| {
        let line = line.trim();
        let comment = line.strip_prefix("--")?.trim_start();
        let directive = comment
            .get(..DIRECTIVE.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(DIRECTIVE));
        let marker = index == 0 && !runs_in_transaction(sql);
        (directive && !marker).then_some((index + 1, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_first_line_marker_runs_outside_a_transaction() {
        for sql in [
            "-- tenantry: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);",
            "-- tenantry: no-transaction  \r\nCREATE INDEX CONCURRENTLY i ON t (c);",
            "-- tenantry: no-transaction",
        ] {
            assert!(!runs_in_transaction(sql), "{sql:?}");
            assert_eq!(unknown_directive(sql), None, "{sql:?}");
        }
        for sql in [
            "",
            "CREATE TABLE t (c int);",
            "-- creates t\nCREATE TABLE t (c int);",
            " -- tenantry: no-transaction\nSELECT 1",
        ] {
            assert!(runs_in_transaction(sql), "{sql:?}");
        }
    }

    #[test]
    fn a_misspelt_or_misplaced_marker_is_an_unknown_directive() {
        for (sql, line) in [
            ("-- tenantry: no_transaction\nSELECT 1", 1),
            ("--tenantry:no-transaction\nSELECT 1", 1),
            ("-- Tenantry: no-transaction\nSELECT 1", 1),
            (" -- tenantry: no-transaction\nSELECT 1", 1),
            ("-- adds an index\n-- tenantry: no-transaction\nSELECT 1", 2),
        ] {
            assert_eq!(
                unknown_directive(sql).map(|(at, _)| at),
                Some(line),
                "{sql:?}"
            );
        }
        assert_eq!(
            unknown_directive("-- tenantry stores invoices\nSELECT 1"),
            None
        );
    }
}
