//! The three sets of migrations, and the name each is recorded under.

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
