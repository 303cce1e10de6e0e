//! Connecting: a [`Config`], [`Tenantry::connect`], and the role to connect as.
//!
//! # The configuration
//!
//! [`Config::new`] takes the URL of the main server's database
//! (`postgres://user:password@host:port/dbname`, or the `key=value` form);
//! [`Config::from_env`] reads `DATABASE_URL` and a few optional settings
//! from the environment, and [`Config::from_lookup`] the same names from any
//! lookup:
//!
//! ```
//! use std::time::Duration;
//! use tenantry::Config;
//!
//! let config = Config::new("postgres://app@db.internal/saas")?
//!     .pool_size(32)                           // connections to the main server (default 16)
//!     .wait_timeout(Duration::from_secs(2))    // for a free connection (default 5 s)
//!     .idle_timeout(Duration::from_secs(300)); // before an unused one is closed (default 60 s)
//! assert_eq!(config.user(), Some("app"));
//!
//! let from_environment = Config::from_lookup(|name| match name {
//!     "DATABASE_URL" => Some("postgres://app@db.internal/saas".to_owned()),
//!     "TENANTRY_POOL_SIZE" => Some("32".to_owned()),
//!     _ => None,
//! })?;
//! assert_eq!(from_environment.user(), Some("app"));
//! assert!(Config::from_lookup(|_| None).is_err()); // DATABASE_URL is required
//! # Ok::<(), tenantry::Error>(())
//! ```
//!
//! | variable | setting |
//! |---|---|
//! | `DATABASE_URL` | the main server's database (required) |
//! | `TENANTRY_POOL_SIZE` | [`Config::pool_size`] |
//! | `TENANTRY_POOL_TIMEOUT_MS` | [`Config::wait_timeout`], in milliseconds |
//! | `TENANTRY_REGISTRY` | `true`: [`Config::registry`], tenants routed through the registry |
//! | `TENANTRY_TRANSACTION_POOLER` | `true`: [`Config::transaction_pooler`] |
//! | `TENANTRY_REGISTRY_LISTENER_URL` | [`Config::registry_listener`] |
//! | `TENANTRY_STATEMENT_CACHE_SIZE` | [`Config::statement_cache_size`] |
//! | `TENANTRY_CITUS` | `true`: [`Config::citus`] |
//!
//! Other servers ([`Config::server`]) and the registry are the subject of
//! [`placements`](super::placements).
//!
//! # Connecting
//!
//! [`Tenantry::connect`] opens the pools, with a first connection to every
//! server, and returns the [`Tenantry`] every handle comes from. It is cheap
//! to clone (clones share the pools) and implements `Debug`, so it belongs in
//! an application's state:
//!
//! ```no_run
//! use tenantry::prelude::*;
//!
//! #[derive(Clone, Debug)]
//! struct AppState {
//!     db: Tenantry,
//! }
//!
//! async fn start() -> Result<AppState, Error> {
//!     let db = Tenantry::connect(Config::from_env()?).await?;
//!     Ok(AppState { db })
//! }
//! ```
//!
//! A server that cannot be reached is [`Error::Connect`]; a malformed URL
//! or setting is [`Error::Config`].
//!
//! # The ordinary role
//!
//! PostgreSQL does not apply row-level security to a superuser or to a role
//! with `BYPASSRLS`, so the application connects as a role that is neither:
//!
//! ```sql
//! CREATE ROLE app LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS;
//! ```
//!
//! The operator grants it what it needs on every schema it migrates (its
//! `grant_to`): read and write on the data tables, and the registry's lookup
//! function, never the registry's tables. Every connection tenantry opens,
//! to any server or tenant database, checks the role and refuses one that
//! skips row-level security with [`Error::PrivilegedRole`].
//! [`Config::allow_privileged_role`] turns the check off, for tools and
//! tests of the refusal itself; never for the application.
//!
//! The operator's own role (an owner, superuser or `BYPASSRLS`) is a
//! separate credential that the application never holds.
//!
//! # Poolers and Citus
//!
//! Behind a transaction-mode pooler that does not track prepared statements
//! (PgBouncer before 1.21), declare it with [`Config::transaction_pooler`]:
//! statements are then prepared inside their own transaction, at the cost of
//! a second round trip. Such a pooler does not deliver notifications, so
//! with the registry the listener needs a direct URL
//! ([`Config::registry_listener`]); [`Tenantry::connect`] refuses the
//! combination otherwise. On a Citus cluster, [`Config::citus`] sends the
//! tenant context so that the workers receive it. Citus is not yet tested
//! by the project.
//!
//! # TLS: not yet
//!
//! tenantry does not speak TLS yet: every connection is unencrypted, and a
//! URL with `sslmode=require` fails to connect (the default
//! `sslmode=prefer` connects without TLS). Until it does, keep the database
//! on a private network, or reach it through a local proxy that speaks TLS
//! to the server.
//!
//! [`Config`]: crate::Config
//! [`Config::new`]: crate::Config::new
//! [`Config::from_env`]: crate::Config::from_env
//! [`Config::from_lookup`]: crate::Config::from_lookup
//! [`Config::pool_size`]: crate::Config::pool_size
//! [`Config::wait_timeout`]: crate::Config::wait_timeout
//! [`Config::registry`]: crate::Config::registry
//! [`Config::transaction_pooler`]: crate::Config::transaction_pooler
//! [`Config::registry_listener`]: crate::Config::registry_listener
//! [`Config::statement_cache_size`]: crate::Config::statement_cache_size
//! [`Config::citus`]: crate::Config::citus
//! [`Config::server`]: crate::Config::server
//! [`Config::allow_privileged_role`]: crate::Config::allow_privileged_role
//! [`Tenantry`]: crate::Tenantry
//! [`Tenantry::connect`]: crate::Tenantry::connect
//! [`Error::Connect`]: crate::Error::Connect
//! [`Error::Config`]: crate::Error::Config
//! [`Error::PrivilegedRole`]: crate::Error::PrivilegedRole
