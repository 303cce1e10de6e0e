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
//! assert!(Config::from_lookup(|_| None).is_err()); // DATABASE_URL or PGHOST is required
//! # Ok::<(), tenantry::Error>(())
//! ```
//!
//! | variable | setting |
//! |---|---|
//! | `DATABASE_URL` | the main server's database (this or `PGHOST` is required) |
//! | `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, ... | libpq's, for what `DATABASE_URL` leaves out |
//! | `TENANTRY_POOL_SIZE` | [`Config::pool_size`] |
//! | `TENANTRY_POOL_TIMEOUT_MS` | [`Config::wait_timeout`], in milliseconds |
//! | `TENANTRY_ROUTING` | `registry`: [`Config::registry`]; `pool-only`: [`Config::pool_only`] |
//! | `TENANTRY_REGISTRY` | the older form of `TENANTRY_ROUTING`: `true` is `registry`, `false` is `pool-only` |
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
//! A malformed URL or setting, or one that is not supported, is
//! [`Error::Config`] when it is read: nothing is silently ignored.
//!
//! # TLS
//!
//! Connection strings have libpq's meaning, TLS settings included; so do
//! libpq's environment variables (`PGHOST`, `PGSSLMODE`, `PGSSLROOTCERT`,
//! ...) in [`Config::from_env`], for what `DATABASE_URL` leaves out:
//!
//! ```
//! use tenantry::{Config, ConnectOptions, RootCerts, SslMode};
//!
//! // A managed server, its certificate checked against the authority
//! // the provider publishes, and issued to the host connected to.
//! let config = Config::new(
//!     "postgres://app:secret@db.example.com/saas?sslmode=verify-full&sslrootcert=/etc/ssl/provider-ca.pem",
//! )?;
//! # let _ = config;
//!
//! // The same in code, with a client certificate.
//! let options = ConnectOptions::new("postgres://app@db.example.com/saas")?
//!     .ssl_mode(SslMode::VerifyFull)
//!     .ssl_root_certs(RootCerts::File("/etc/ssl/provider-ca.pem".into()))
//!     .ssl_client_cert("/etc/app/client.crt", "/etc/app/client.key");
//! let config = Config::from_options(options);
//! # let _ = config;
//! # Ok::<(), tenantry::Error>(())
//! ```
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | if the server offers it | not checked |
//! | `require` | always | not checked; checked as `verify-ca` when a root certificate is given |
//! | `verify-ca` | always | signed by a trusted authority |
//! | `verify-full` | always | signed by a trusted authority, for the host name connected to |
//!
//! Trusted authorities are `sslrootcert`'s file, else `~/.postgresql/root.crt`,
//! else the platform's (`sslrootcert=system` asks for those by name). TLS is
//! rustls, negotiated beneath the stream that splices each statement's
//! tenant context, so statements keep their one message group; pools, the
//! registry listener, cancel requests, the operator and the `tenantry`
//! command all use it. Channel binding (`channel_binding=require`) is not
//! supported: the driver, above TLS, cannot bind to it.
//!
//! # When connecting fails
//!
//! A connection that cannot be opened is [`Error::Connect`], whose
//! [`ConnectFailure`](crate::ConnectFailure) says why (refused, unreachable,
//! TLS unavailable, certificate not trusted, host name mismatch,
//! authentication failed, missing password, unknown role or database,
//! server starting or shutting down, no connection slot left, the wrong
//! kind of server for `target_session_attrs`), the same from the
//! application and from the operator, with the server's message or the
//! socket's error in its `Display`. A connection lost later is
//! [`Error::ConnectionLost`], which says whether the statement was sent: one
//! that never reached the server is retried once on another connection; one
//! that may have run is not, nor is anything inside a transaction.
//!
//! # The registry, or pool-only
//!
//! [`Tenantry::connect`] settles once how [`Tenantry::tenant`] finds where a
//! tenant lives, from the configuration and the main database, and never
//! guesses:
//!
//! | configuration | the main database has a registry | it has none |
//! |---|---|---|
//! | no choice (the default) | through the registry (logged at `info`) | [`Error::RoutingNotChosen`] |
//! | [`Config::registry`] | through the registry | [`Error::NoRegistry`] |
//! | [`Config::pool_only`] | pool-only while the registry records no tenant, else [`Error::RegistryInUse`] | pool-only |
//!
//! Through the registry, each tenant's statements go where it lives, and an
//! id the registry does not have is refused
//! ([`placements`](super::placements)). Pool-only, every tenant is in the
//! main server's shared tables and any id is a tenant, as in the
//! quickstart: a deployment says so explicitly, so that an application
//! that forgot [`Config::registry`] cannot serve schema and database
//! tenants from the shared tables. The operator's migrations always make a
//! registry, empty until it provisions a tenant, so a pool-only deployment
//! may still use the operator's migrations. Pool-only is checked when
//! connecting: a process that connected before a tenant was registered
//! does not hear of it, and would serve it from the shared tables (where
//! the write fence refuses its writes only once that database records a
//! tenant), so a deployment that begins to register tenants routes through
//! the registry first.
//!
//! The check reads the catalogs and calls the registry's functions granted
//! to the application role, nothing else: a role that may not execute them
//! is told so ([`Error::Config`]). It works through a transaction-mode
//! pooler and on a Citus coordinator alike.
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
//! `grant_to`): read and write on the data tables, and the registry's two
//! functions for the application (one tenant's row for its id, and whether
//! it records any tenant), never the registry's tables. Every connection tenantry opens,
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
//! tenant context so that the workers receive it, each `SET LOCAL` a query
//! of its own inside the transaction block. The project's Citus suite runs
//! against a coordinator and two workers in continuous integration (see the
//! operator's page for migrations on Citus).
//!
//! # TLS
//!
//! Connection strings have libpq's meaning, TLS included, for every
//! connection tenantry opens (pools, tenant databases, the registry's
//! listener, cancel requests, the operator and the command line): `sslmode`
//! `disable`, `prefer` (the default), `require`, `verify-ca` or
//! `verify-full`, with `sslrootcert` (a file, or `system`), `sslcert` and
//! `sslkey` for a client certificate, and the protocol bounds. TLS (rustls)
//! is negotiated beneath the stream that carries each statement's tenant
//! context, so statements keep their one round trip. A setting tenantry
//! does not support is refused when read, never ignored; a connection that
//! cannot be opened is [`Error::Connect`](crate::Error::Connect), with the
//! failure's kind (a certificate not trusted, a host name that does not
//! match, a server without TLS under `require`, ...).
//!
//! [`Config`]: crate::Config
//! [`Config::new`]: crate::Config::new
//! [`Config::from_env`]: crate::Config::from_env
//! [`Config::from_lookup`]: crate::Config::from_lookup
//! [`Config::pool_size`]: crate::Config::pool_size
//! [`Config::wait_timeout`]: crate::Config::wait_timeout
//! [`Config::registry`]: crate::Config::registry
//! [`Config::pool_only`]: crate::Config::pool_only
//! [`Config::transaction_pooler`]: crate::Config::transaction_pooler
//! [`Config::registry_listener`]: crate::Config::registry_listener
//! [`Config::statement_cache_size`]: crate::Config::statement_cache_size
//! [`Config::citus`]: crate::Config::citus
//! [`Config::server`]: crate::Config::server
//! [`Config::allow_privileged_role`]: crate::Config::allow_privileged_role
//! [`Tenantry`]: crate::Tenantry
//! [`Tenantry::connect`]: crate::Tenantry::connect
//! [`Tenantry::tenant`]: crate::Tenantry::tenant
//! [`Error::Connect`]: crate::Error::Connect
//! [`Error::ConnectionLost`]: crate::Error::ConnectionLost
//! [`Error::Config`]: crate::Error::Config
//! [`Error::RoutingNotChosen`]: crate::Error::RoutingNotChosen
//! [`Error::NoRegistry`]: crate::Error::NoRegistry
//! [`Error::RegistryInUse`]: crate::Error::RegistryInUse
//! [`Error::PrivilegedRole`]: crate::Error::PrivilegedRole
