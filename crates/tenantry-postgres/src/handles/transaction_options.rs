//! How a tenant's transaction runs: isolation level, read only or not,
//! attempts.

/// The isolation level of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// `READ COMMITTED`, PostgreSQL's default.
    ReadCommitted,
    /// `REPEATABLE READ`.
    RepeatableRead,
    /// `SERIALIZABLE`.
    Serializable,
}

/// How [`Tenant::run_transaction`](crate::Tenant::run_transaction) runs its closure: isolation level, read
/// only or not, and how many times in all it may run it when PostgreSQL
/// reports a serialization failure (40001) or a deadlock (40P01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionOptions {
    isolation: Option<Isolation>,
    read_only: bool,
    attempts: u32,
}

impl Default for TransactionOptions {
    /// The server's default isolation, read-write, three attempts.
    fn default() -> Self {
        Self {
            isolation: None,
            read_only: false,
            attempts: 3,
        }
    }
}

impl TransactionOptions {
    /// Runs at `isolation`.
    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = Some(isolation);
        self
    }

    /// Runs `READ ONLY`: a write in it is an error.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Runs the closure at most `attempts` times in all (at least once).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// How many times in all the closure may run.
    pub(crate) fn allowed_attempts(&self) -> u32 {
        self.attempts
    }

    /// `BEGIN` with these options, as the start of `opening`
    /// (`BEGIN; SET LOCAL ...`).
    pub(crate) fn begin(&self, opening: &str) -> String {
        let mut begin = String::from("BEGIN");
        if let Some(isolation) = self.isolation {
            begin.push_str(match isolation {
                Isolation::ReadCommitted => " ISOLATION LEVEL READ COMMITTED",
                Isolation::RepeatableRead => " ISOLATION LEVEL REPEATABLE READ",
                Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
            });
        }
        if self.read_only {
            begin.push_str(" READ ONLY");
        }
        let rest = opening
            .strip_prefix("BEGIN")
            .expect("a transaction's opening starts with BEGIN");
        begin + rest
    }
}
