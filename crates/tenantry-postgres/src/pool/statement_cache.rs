//! A connection's prepared statements, bounded: the least recently used one
//! is evicted when the cache is full, and the server deallocates it.
//!
//! Each schema tenant's statements name its schema, so their text is the
//! tenant's own: without a bound, one pooled connection serving thousands
//! of schema tenants would keep a prepared statement (tens of KiB of server
//! memory) per tenant and statement shape, for as long as it lives.
//! Dropping the last handle of an evicted statement makes the driver send
//! its Close, so the server's memory follows the cache.

use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard};

use lru::LruCache;
use tokio_postgres::{Client, Statement};

/// The prepared statements of one connection, by query text.
pub(crate) struct StatementCache {
    statements: Mutex<LruCache<String, Statement>>,
}

impl StatementCache {
    /// A cache of at most `capacity` statements (nothing is allocated for
    /// the statements not yet cached, however large the capacity).
    pub(crate) fn new(capacity: NonZeroUsize) -> Self {
        let mut statements = LruCache::unbounded();
        statements.resize(capacity);
        Self {
            statements: Mutex::new(statements),
        }
    }

    fn statements(&self) -> MutexGuard<'_, LruCache<String, Statement>> {
        self.statements.lock().expect("statement cache lock")
    }

    /// The statement of `sql`: from the cache, or prepared on `client` and
    /// cached. If two calls prepare the same query at once, the first one
    /// cached is kept and the other is deallocated.
    pub(crate) async fn prepare(
        &self,
        client: &Client,
        sql: &str,
    ) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements().get(sql) {
            return Ok(statement.clone());
        }
        let prepared = client.prepare(sql).await?;
        let mut statements = self.statements();
        if let Some(cached) = statements.get(sql) {
            return Ok(cached.clone());
        }
        // The evicted statement, if any, is dropped after the lock is
        // released: its Close is sent once no call holds it any more.
        let evicted = statements.push(sql.to_owned(), prepared.clone());
        drop(statements);
        drop(evicted);
        Ok(prepared)
    }
}
