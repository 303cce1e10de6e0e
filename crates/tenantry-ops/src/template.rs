//! The lock that keeps a server's template database free of other
//! sessions while it is copied.

use tokio_postgres::Client;

use crate::Error;

/// Serialises copies of a server's template database with everything else
/// that connects to it (see [`TemplateLock`]).
const TEMPLATE_LOCK: i64 = 0x7465_6d70_6c61_7465; // "template"

/// A server's template lock, held on a connection to the server's own
/// database. A copy of the template (`CREATE DATABASE ... TEMPLATE`) fails
/// while another session is connected to the template, so provisioning
/// copies it under this lock, and whoever else connects to the template
/// (migrating it) does so under this lock and closes that connection before
/// releasing it.
pub(crate) struct TemplateLock {
    admin: Client,
}

impl TemplateLock {
    /// Waits for the lock, on `admin`: a connection to the server's own database.
    pub(crate) async fn acquire(admin: Client) -> Result<Self, Error> {
        admin
            .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
            .await?;
        Ok(Self { admin })
    }

    /// The connection that holds the lock.
    pub(crate) fn client(&self) -> &Client {
        &self.admin
    }

    /// Releases the lock and closes its connection. Should the unlock fail,
    /// the lock goes with the connection all the same: it is the session's.
    pub(crate) async fn release(self) {
        let _ = self
            .admin
            .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
            .await;
    }
}
