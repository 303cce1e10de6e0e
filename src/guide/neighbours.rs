//! Noisy neighbours: limits per tier and per tenant, so that one tenant's
//! load cannot slow the others on its server.
//!
//! # Tiers
//!
//! A tenant's tier is its registry `plan` (`free`, `pro`, `enterprise`, or
//! any name); the application's [`Config`] gives each tier its [`Limits`],
//! and may give one tenant limits of its own. Every limit is off until set;
//! tiers nobody configured get [`Config::default_limits`] (unlimited by
//! default), as does every tenant of a pool-only deployment without an
//! override of its own.
//!
//! ```
//! use std::num::NonZeroU32;
//! use std::time::Duration;
//! use tenantry::{Config, Limits, TenantId};
//!
//! let per_second = |n| NonZeroU32::new(n).unwrap();
//! let free = Limits::default()
//!     .statement_timeout(Duration::from_secs(5))  // cancelled by the server after 5 s
//!     .concurrent_statements(4)                   // at once, in this process
//!     .rate(per_second(50), per_second(100))      // 50 a second, bursts of 100
//!     .connection_share(0.25)                     // a quarter of its server's pool at most
//!     .queue(Duration::from_millis(200));         // wait that long for a turn, then refuse
//! let enterprise = Limits::default().statement_timeout(Duration::from_secs(60));
//! let big_customer: TenantId = "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01".parse().unwrap();
//!
//! let config = Config::new("postgres://app@db.internal/saas")?
//!     .tier("free", free)
//!     .tier("enterprise", enterprise)
//!     .tenant_limits(big_customer, enterprise.statement_timeout(Duration::from_secs(300)));
//! # let _ = config;
//! # Ok::<(), tenantry::Error>(())
//! ```
//!
//! # What each limit does
//!
//! - **Statement timeout**: set with the tenant context, in the statement's
//!   own message group (`set_config('statement_timeout', …, true)`, or `SET
//!   LOCAL` after the `BEGIN` of a transaction and of hand-written SQL): no
//!   extra round trip, and it ends with the statement's transaction, so the
//!   next borrower of the connection never inherits it. A statement that
//!   reaches it is [`Error::StatementTimeout`] with the tenant and the limit.
//! - **Rate** (a GCRA bucket, from the `governor` crate) and **concurrent
//!   statements** are checked before a connection is taken: a statement
//!   over either waits up to the tier's queue (default: not at all), then
//!   fails with [`Error::RateLimited`] (with when to retry) or
//!   [`Error::TooManyStatements`]; nothing was sent. A transaction or a row
//!   stream counts as one statement until it ends.
//! - **Connection share**: the most connections of its server's pool the
//!   tenant holds at once (at least one). A greedy tenant waits for its own
//!   connections to come back, in its own queue, while the rest of the pool
//!   serves the others in the order they asked.
//!
//! - **Batch work**: [`Tenant::batch`] gives the tenant's handle for
//!   exports, imports and reports. Its statements take connections of their
//!   server's batch budget ([`Config::batch_connections`], default 4,
//!   beside the connection budget of requests), wait for one of them when
//!   all are busy, and run under the tier's batch timeout
//!   ([`Limits::batch_timeout`], default none) instead of its statement
//!   timeout, rate and concurrency: long batch statements never hold a
//!   connection that requests, the tenant's own included, are waiting for.
//!   A tier with [`Limits::allow_batch`]`(false)` gets
//!   [`Error::BatchNotAllowed`].
//!
//! Limits are enforced per process: a deployment of several processes
//! gives each tenant its limits in each. When nothing is limited, the check
//! is a branch; otherwise it is a few atomic operations per statement.
//!
//! # Changing limits at run time
//!
//! `Operator::set_tier(tenant, "pro")`, or `tenantry tenants set-tier acme
//! pro`, updates the registry; its change notification reaches every
//! process, whose next statement for the tenant runs with the new tier's
//! limits (a rate's bucket starts afresh). No restart.
//!
//! A tenant's own limits change the same way:
//! `Operator::set_limits(tenant, &LimitOverrides::default().statement_timeout(…))`, or
//! `tenantry tenants set-limits acme --timeout 30s --rate 50 --burst 100`,
//! stores them in its registry row ([`LimitOverrides`], read with the row
//! in the same lookup); each limit set replaces its tier's and the others
//! stay the tier's, and an empty set clears them. They apply above
//! [`Config::tenant_limits`], which stands in for the tier.
//!
//! # What is not limited
//!
//! - Preparing a statement a connection has not seen yet is one round trip
//!   before the statement's group, under the server's own timeout, not the
//!   tenant's (once per connection and statement shape: later runs are
//!   cached).
//! - Batch work shares its server's batch connections among every tenant
//!   that runs any, in the order they asked: one tenant's exports can keep
//!   another's waiting for a batch connection, never for a request's.
//!
//! [`Config`]: crate::Config
//! [`Config::tenant_limits`]: crate::Config::tenant_limits
//! [`LimitOverrides`]: crate::LimitOverrides
//! [`Config::batch_connections`]: crate::Config::batch_connections
//! [`Tenant::batch`]: crate::Tenant::batch
//! [`Limits::batch_timeout`]: crate::Limits::batch_timeout
//! [`Limits::allow_batch`]: crate::Limits::allow_batch
//! [`Error::BatchNotAllowed`]: crate::Error::BatchNotAllowed
//! [`Config::default_limits`]: crate::Config::default_limits
//! [`Limits`]: crate::Limits
//! [`Error::StatementTimeout`]: crate::Error::StatementTimeout
//! [`Error::RateLimited`]: crate::Error::RateLimited
//! [`Error::TooManyStatements`]: crate::Error::TooManyStatements
