//! The statement kinds and privileges findings name.

use std::fmt;

/// A statement kind a row-level security policy covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCommand {
    /// `SELECT` (and the rows `UPDATE`, `DELETE` and `RETURNING` read).
    Select,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl PolicyCommand {
    /// The commands whose policies need a `USING` clause (which rows are seen).
    pub(super) const USING: [PolicyCommand; 3] = [Self::Select, Self::Update, Self::Delete];
    /// The commands whose policies need a `WITH CHECK` clause (which rows may be written).
    pub(super) const WITH_CHECK: [PolicyCommand; 2] = [Self::Insert, Self::Update];

    /// Whether a policy with `pg_policy.polcmd` `code` covers this command.
    pub(super) fn covered_by(self, code: &str) -> bool {
        match code {
            "*" => true,
            "r" => self == Self::Select,
            "a" => self == Self::Insert,
            "w" => self == Self::Update,
            "d" => self == Self::Delete,
            _ => false,
        }
    }
}

impl fmt::Display for PolicyCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        })
    }
}

/// A privilege on a table, as `GRANT` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TablePrivilege {
    /// `SELECT`.
    Select,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `TRUNCATE`: empties the table, every tenant's rows at once, without
    /// consulting row-level security.
    Truncate,
    /// `REFERENCES`: lets the holder's own foreign keys point at the table,
    /// and referential checks bypass row-level security.
    References,
    /// `TRIGGER`: lets the holder attach its own code to every write.
    Trigger,
}

impl TablePrivilege {
    const ALL: [Self; 7] = [
        Self::Select,
        Self::Insert,
        Self::Update,
        Self::Delete,
        Self::Truncate,
        Self::References,
        Self::Trigger,
    ];

    /// The privilege's name, as `GRANT` and the catalog functions take it.
    fn as_sql(self) -> &'static str {
        match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Truncate => "TRUNCATE",
            Self::References => "REFERENCES",
            Self::Trigger => "TRIGGER",
        }
    }

    /// The privilege `name` (as the catalog functions take it), if known.
    pub(super) fn from_sql(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|privilege| privilege.as_sql() == name)
    }
}

impl fmt::Display for TablePrivilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_sql())
    }
}
