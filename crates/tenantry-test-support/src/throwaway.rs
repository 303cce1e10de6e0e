//! Throwaway databases and roles, named after the test process.
//!
//! A test's names end with `<pid>_<n>`: its process id and a counter. Every
//! database named after that suffix (the test database, its template,
//! tenant databases) and the application role belong to the test, and are
//! dropped with it; those of a process that no longer runs are dropped by
//! the next test that creates its own.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::Client;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How one test suite names what it creates.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// What the test database and role names start with (`tenantry_test_`).
    pub prefix: &'static str,
    /// What the names of its tenants' databases start with, before the
    /// suffix (`tenant_t`, for slugs `t<suffix>_<name>`).
    pub tenant_databases: &'static str,
}

/// One test's names.
#[derive(Debug, Clone)]
pub struct Throwaway {
    family: Family,
    /// What makes this test's names unique (`<pid>_<n>`).
    pub suffix: String,
}

impl Family {
    /// Names no other test of any process uses.
    pub fn fresh(self) -> Throwaway {
        let suffix = format!(
            "{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.named(&suffix)
    }

    /// The names of suffix `suffix` (the same names on another server).
    pub fn named(self, suffix: &str) -> Throwaway {
        Throwaway {
            family: self,
            suffix: suffix.to_owned(),
        }
    }

    /// Drops what tests of this family left behind on `admin`'s server when
    /// their process no longer runs.
    pub async fn drop_abandoned(self, admin: &Client) {
        for names in self.abandoned(admin).await {
            names.drop_from(admin).await;
        }
    }

    /// The names of tests of this family that left something on `admin`'s
    /// server and whose process no longer runs.
    pub async fn abandoned(self, admin: &Client) -> Vec<Throwaway> {
        let like = |start: &str| format!("{}%", start.replace('_', "\\_"));
        let Ok(rows) = admin
            .query(
                "SELECT datname::text FROM pg_database WHERE datname LIKE $1 OR datname LIKE $2
                 UNION SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1",
                &[&like(self.prefix), &like(self.tenant_databases)],
            )
            .await
        else {
            return Vec::new();
        };
        let mut abandoned: Vec<Throwaway> = Vec::new();
        for row in rows {
            let name: String = row.get(0);
            let rest = name
                .strip_prefix(self.prefix)
                .map(|rest| rest.strip_prefix("app_").unwrap_or(rest))
                .or_else(|| name.strip_prefix(self.tenant_databases))
                .unwrap_or_default();
            let mut parts = rest.split('_');
            let (Some(pid), Some(n)) = (parts.next(), parts.next()) else {
                continue;
            };
            let running = pid
                .parse::<u32>()
                .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            let suffix = format!("{pid}_{n}");
            if !running
                && n.parse::<usize>().is_ok()
                && abandoned.iter().all(|names| names.suffix != suffix)
            {
                abandoned.push(self.named(&suffix));
            }
        }
        abandoned
    }
}

impl Throwaway {
    /// The family these names belong to.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The test database.
    pub fn database(&self) -> String {
        format!("{}{}", self.family.prefix, self.suffix)
    }

    /// The application role: it logs in, is no superuser and does not
    /// bypass row-level security.
    pub fn app_role(&self) -> String {
        format!("{}app_{}", self.family.prefix, self.suffix)
    }

    /// Creates the role and the database on `admin`'s server, after dropping
    /// the leftovers of dead test processes there.
    pub async fn create_on(&self, admin: &Client) {
        self.family.drop_abandoned(admin).await;
        for statement in [
            format!(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS",
                self.app_role()
            ),
            format!("CREATE DATABASE {}", self.database()),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .unwrap_or_else(|error| panic!("{statement}: {error:?}"));
        }
    }

    /// Drops every database named after the suffix (the test database, its
    /// template, its tenants' databases) and the role, from `admin`'s
    /// server, ignoring what does not exist.
    pub async fn drop_from(&self, admin: &Client) {
        let escaped = self.suffix.replace('_', "\\_");
        let prefix = self.family.prefix.replace('_', "\\_");
        let tenants = self.family.tenant_databases.replace('_', "\\_");
        let databases: Vec<String> = admin
            .query(
                "SELECT datname::text FROM pg_database
                 WHERE datname = $1 OR datname LIKE $2 OR datname LIKE $3",
                &[
                    &self.database(),
                    &format!("{prefix}{escaped}\\_%"),
                    &format!("{tenants}{escaped}\\_%"),
                ],
            )
            .await
            .map(|rows| rows.iter().map(|row| row.get(0)).collect())
            .unwrap_or_default();
        for database in databases {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .await;
        }
        let _ = admin
            .batch_execute(&format!("DROP ROLE IF EXISTS {}", self.app_role()))
            .await;
    }
}
