//! The `tenantry` command: `migrate`, `tenants` (list, provision, set-tier,
//! set-limits, suspend, resume, relocate, finish-relocation,
//! rollback-relocation, erase, abandon, show, erasure-report), `servers`
//! (list, add, remove), `verify`.
//!
//! The `tenantry-cli` package builds the `tenantry` binary, the operator on
//! the command line (from a checkout: `cargo install --path
//! crates/tenantry-cli`). It connects as the operator's role, never the
//! application's.
//!
//! # Connecting
//!
//! These flags go before or after the command:
//!
//! | flag | environment | meaning |
//! |---|---|---|
//! | `--database-url URL` | `DATABASE_URL` | the main server's database, with the operator's credentials |
//! | `--server NAME=URL` | | another server (repeatable): `--server eu-1=postgres://owner@eu-1.internal/saas` |
//! | `--app-role ROLE` | `TENANTRY_APP_ROLE` (comma-separated) | the application's role (repeatable): granted on migrated schemas, checked by `verify` |
//! | `--template-database NAME` | | the template database of each server (default `tenantry_template`) |
//!
//! # `tenantry migrate`
//!
//! ```sh
//! tenantry migrate --app-role app                      # ./migrations/shared/*.sql and ./migrations/tenant/*.sql
//! tenantry migrate --migrations db/migrations --dry-run
//! tenantry migrate --concurrency 16 --json
//! ```
//!
//! Applies the pending migrations to every target, as `Operator::migrate`
//! does: the registry, the shared schema, the pool's tables of every
//! server, each template database and every tenant. The shipped binary
//! reads `DIR/shared/*.sql` and `DIR/tenant/*.sql` when it runs, by the same
//! rules as `embed_migrations!`. It shows a progress bar on a terminal,
//! then a summary table, an `error:` line per failed target and a
//! `warning:` line per target that has applied versions the set lacks
//! (`--json`: one document instead).
//!
//! A project that embeds its migrations can build its own binary instead,
//! with a `main` that hands them to the `tenantry-cli` library's
//! `main_with(Some(migrations))`; the commands are the same.
//!
//! # `tenantry tenants list`
//!
//! ```sh
//! tenantry tenants list
//! tenantry tenants list --json
//! ```
//!
//! Every registered tenant: id, slug, placement, server, plan, status, the
//! schema version of its tables and the last migration failure there, as
//! the last run recorded them (a pool tenant's are its server's pool
//! tables'). A tenant a failed run left behind shows here while it is still
//! served. The last column is the tenant's last status change: who, when,
//! why.
//!
//! # A tenant's life
//!
//! ```sh
//! tenantry tenants provision acme --placement schema --on eu-1 --plan gold
//! tenantry tenants show acme --json
//! tenantry tenants set-tier acme enterprise
//! tenantry tenants set-limits acme --timeout 30s --rate 50 --burst 100 --no-batch
//! tenantry tenants suspend acme --actor billing --reason "invoice 117 unpaid" --reference BILL-117
//! tenantry tenants resume acme --actor billing --reason paid
//! tenantry --server eu-1=postgres://owner@eu-1.internal/saas tenants relocate acme --to database --on eu-1
//! tenantry tenants finish-relocation acme
//! tenantry tenants abandon half_made
//! tenantry tenants erase acme --actor dpo --reason "right to erasure" --reference REQ-9 --yes
//! tenantry tenants erasure-report acme --json
//! ```
//!
//! A tenant is named by its id or its slug. `provision` reads the tenant
//! migrations like `migrate` (`--migrations DIR`), completes a slug whose
//! provisioning died, and shows its steps on a terminal. `set-tier` moves a
//! tenant to another tier (its plan): every application applies that tier's
//! limits from its next statement. `set-limits` gives a tenant limits of its
//! own in place of those it had (`--timeout`, `--concurrency`, `--rate` and
//! `--burst`, `--share`, `--queue`, `--batch-timeout`, `--batch` or
//! `--no-batch`): each one given replaces its tier's, and none at all clears
//! them; applied the same way.
//! `relocate` moves a tenant to `--to pool|schema|database` on server `--on`
//! (default `main`; `--server NAME=URL` names the servers to connect to),
//! reading the tenant migrations like `provision`, draws the rows copied on a
//! terminal, and prints the move with the window the tenant's writes were
//! refused; run again, a move that was killed goes on. Its source is kept
//! until `finish-relocation` (or `--drop-source`); `rollback-relocation`
//! undoes a move, moving the tenant back if it flipped. `show` says where
//! the tenant's last move stands.
//! `suspend`, `resume` and `erase` record `--actor`
//! (or `TENANTRY_ACTOR`), `--reason` and `--reference`. `erase` does nothing
//! without `--yes`, counts the rows it deletes on a terminal, and prints the
//! proof that `erasure-report` prints again later (the digest is checked
//! against the fields). Each prints JSON with `--json` (and then draws no
//! progress, even on a terminal). Exit codes: 0 done,
//! 1 refused (a tenant in the wrong status, erased, unknown, an erasure
//! that left something), 2 on usage and connection errors (`erase` without
//! `--yes`, a server that cannot be reached).
//!
//! # `tenantry servers`
//!
//! ```sh
//! tenantry servers add eu-2 postgres://db-eu-2.internal/saas --actor alice   # then migrated
//! tenantry servers list --json
//! tenantry servers remove eu-2
//! ```
//!
//! Servers recorded in the registry, beside those of `--server`: `add`
//! refuses a URL with a password (each application supplies its own
//! credentials) and a server that does not answer, records it, and applies
//! the tenant migrations to it (as `Operator::add_server`); every running
//! application routes to it from then on without a restart. `remove` is
//! refused while any tenant's registry row names the server.
//!
//! # `tenantry verify`
//!
//! ```sh
//! tenantry verify --app-role app
//! tenantry verify --app-role app --schema public --schema shared --json
//! ```
//!
//! Audits the catalog of every database (each server's own, each template,
//! every tenant database), as `Operator::verify` does, and prints one line
//! per finding, naming server, database, schema and object, with the fix.
//! `--schema` limits the audit to some schemas (default: every schema but
//! the system ones and tenantry's own); `--tenant-column` names another
//! tenant column than `tenant_id`.
//!
//! # `tenantry audit`
//!
//! ```sh
//! tenantry audit list --tenant acme
//! tenantry audit list --tenant 5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01 --json
//! tenantry audit verify
//! ```
//!
//! The audit log of support access (`Tenantry::support_access`): `list`
//! shows who looked at a tenant's data (by id or slug), when, why and under
//! which ticket, oldest first; `verify` walks the log's hash chain and exits
//! 1 with the first broken link (a row changed, removed or inserted out of
//! the chain), 0 when every row follows the one before.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every target migrated, or nothing found (applied migrations missing from the set are warnings) |
//! | 1 | a target failed or has an applied migration whose file changed since, or `verify` found a defect |
//! | 2 | a usage or connection error: the command could not run |
//!
//! So `tenantry verify` is a CI step as it stands.
