//! The command line: connection settings shared by every command, and one
//! set of flags per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod limits;

pub(crate) use limits::LimitsArgs;

/// Migrates, lists and verifies the tenants of a tenantry deployment.
#[derive(Debug, Parser)]
#[command(name = "tenantry", version)]
pub(crate) struct Cli {
    /// How to reach the servers.
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The operator's connections, accepted before or after the command.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// The main server's database, with the operator's credentials (a role
    /// that owns the schemas and may create databases).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub(crate) database_url: Option<String>,
    /// Another server, by name (repeatable): `--server eu-1=postgres://...`.
    #[arg(long = "server", value_name = "NAME=URL", value_parser = parse_server, global = true)]
    pub(crate) servers: Vec<(String, String)>,
    /// The application's role (repeatable, or comma-separated in the
    /// environment): granted on migrated schemas, checked by `verify`.
    #[arg(
        long = "app-role",
        value_name = "ROLE",
        env = "TENANTRY_APP_ROLE",
        value_delimiter = ',',
        global = true
    )]
    pub(crate) app_roles: Vec<String>,
    /// The template database kept on each server for database tenants
    /// (default `tenantry_template`).
    #[arg(long, value_name = "NAME", global = true)]
    pub(crate) template_database: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Applies pending migrations to every target: the registry, the shared
    /// schema, the pool's tables, each template database and every tenant.
    /// An applied migration whose file changed since is an error for its
    /// target; one whose file is gone is a warning.
    Migrate(MigrateArgs),
    /// The tenant registry.
    Tenants {
        /// What to do with it.
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Servers added to the registry at run time, which every running
    /// application learns without a restart.
    Servers {
        /// What to do with them.
        #[command(subcommand)]
        command: ServersCommand,
    },
    /// Audits the catalog of every database (each server's own, each
    /// template, every tenant database) for what would let one tenant reach
    /// another's rows (row-level security, policies, tenant-led indexes and
    /// keys, privileges, functions, the registry, application roles); one
    /// line per finding.
    Verify(VerifyArgs),
    /// The audit log of support access: who looked at which tenant's data,
    /// when, why and under which ticket.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// `tenantry audit ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Checks the log's hash chain, oldest row first: exit 1 with the first
    /// broken link (a row changed, removed or inserted out of the chain).
    Verify {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The log's rows of one tenant, oldest first: who looked, when, why,
    /// under which ticket.
    List {
        /// The tenant's id (registered or not) or slug.
        #[arg(long, value_name = "ID")]
        tenant: String,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
}

/// `tenantry migrate`.
#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The directory holding `shared/` and `tenant/`, each of
    /// `<version>_<name>.sql` files [default: migrations].
    #[arg(long, value_name = "DIR")]
    pub(crate) migrations: Option<PathBuf>,
    /// Targets migrated at once (and connections per database).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// Report what is pending without applying anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tenantry tenants ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TenantsCommand {
    /// Every registered tenant, with the schema version of its tables and
    /// the last migration failure there, as the last run recorded them.
    List {
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Creates a tenant (or completes one whose provisioning died, by its
    /// slug) with the tenant migrations, and prints its registry row.
    Provision(ProvisionArgs),
    /// Suspends a tenant: its writes are refused from now on (after those
    /// under way), its handles at their next statement.
    Suspend(ChangeArgs),
    /// Resumes a suspended tenant.
    Resume(ChangeArgs),
    /// Moves a tenant to another tier (its plan): every application applies
    /// that tier's limits from the tenant's next statement.
    SetTier(TierArgs),
    /// Gives a tenant limits of its own (`--timeout 30s --rate 50 ...`), in
    /// place of those it had; a limit not given is its tier's, and no flag
    /// at all clears them. Every application applies them from the tenant's
    /// next statement.
    SetLimits(LimitsArgs),
    /// Erases a tenant and everything of it on every server, for ever, then
    /// prints the proof (see `erasure-report`).
    Erase(EraseArgs),
    /// Removes what a provisioning that died made (its schema or database,
    /// its rows, its registry row); a tenant past provisioning is refused.
    Abandon(TenantArgs),
    /// Moves a tenant to another placement or server: its rows copied and
    /// verified, its writes paused briefly while the registry flips, its
    /// source kept (unless --drop-source) until `finish-relocation`. Run
    /// again, a move that was killed goes on.
    Relocate(RelocateArgs),
    /// Drops the source copy of a tenant's relocation, once it serves from
    /// its new place.
    FinishRelocation(TenantArgs),
    /// Undoes a tenant's relocation: a move under way is abandoned; one
    /// whose source is kept moves the tenant back, with what it wrote since.
    RollbackRelocation(TenantArgs),
    /// One tenant's registry row, with its last status change and where its
    /// last relocation stands.
    Show(TenantArgs),
    /// The proof of a tenant's erasure: every table and object checked with
    /// what was left, who asked, why, when, and the record's digest.
    ErasureReport(TenantArgs),
}

/// `tenantry servers ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ServersCommand {
    /// Every server the registry records (not those given with `--server`).
    List {
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Records a server (its URL without a password: each application
    /// supplies its credentials) once it answers, then applies the tenant
    /// migrations to it.
    Add(AddServerArgs),
    /// Removes a server that no tenant lives on.
    Remove {
        /// The server's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// `tenantry servers add`.
#[derive(Debug, Args)]
pub(crate) struct AddServerArgs {
    /// Its name (`eu-1`): what `tenants provision --on` and tenants'
    /// registry rows call it.
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    /// The URL of its own database, without a password.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// Who adds it (recorded).
    #[arg(long, env = "TENANTRY_ACTOR")]
    pub(crate) actor: String,
    /// The directory holding `shared/` and `tenant/` migrations [default:
    /// migrations].
    #[arg(long, value_name = "DIR")]
    pub(crate) migrations: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A tenant, and how to print the outcome.
#[derive(Debug, Args)]
pub(crate) struct TenantArgs {
    /// The tenant's id or slug.
    #[arg(value_name = "TENANT")]
    pub(crate) tenant: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A status change: the tenant, who asks and why.
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    /// The tenant.
    #[command(flatten)]
    pub(crate) tenant: TenantArgs,
    /// Who asks (recorded with the change).
    #[arg(long, env = "TENANTRY_ACTOR")]
    pub(crate) actor: String,
    /// Why (recorded with the change).
    #[arg(long)]
    pub(crate) reason: String,
    /// A reference elsewhere: a ticket, a request.
    #[arg(long)]
    pub(crate) reference: Option<String>,
}

/// `tenantry tenants set-tier`.
#[derive(Debug, Args)]
pub(crate) struct TierArgs {
    /// The tenant.
    #[command(flatten)]
    pub(crate) tenant: TenantArgs,
    /// Its new tier (`free`, `pro`, `enterprise` or any configured name).
    #[arg(value_name = "TIER")]
    pub(crate) tier: String,
}

/// `tenantry tenants erase`.
#[derive(Debug, Args)]
pub(crate) struct EraseArgs {
    /// The tenant, who asks and why.
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
    /// Confirms that the tenant's data is to be erased for ever.
    #[arg(long)]
    pub(crate) yes: bool,
}

/// `tenantry tenants provision`.
#[derive(Debug, Args)]
pub(crate) struct ProvisionArgs {
    /// Its unique slug (its schema or database is `tenant_<slug>`).
    #[arg(value_name = "SLUG")]
    pub(crate) slug: String,
    /// Its isolation model.
    #[arg(long, value_enum, default_value = "pool")]
    pub(crate) placement: Placement,
    /// The server it goes on.
    #[arg(long = "on", value_name = "SERVER", default_value = "main")]
    pub(crate) server: String,
    /// Its plan or tier.
    #[arg(long, default_value = "standard")]
    pub(crate) plan: String,
    /// Its id [default: random].
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// The directory holding `tenant/` migrations [default: migrations].
    #[arg(long, value_name = "DIR")]
    pub(crate) migrations: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `tenantry tenants relocate`.
#[derive(Debug, Args)]
pub(crate) struct RelocateArgs {
    /// The tenant.
    #[command(flatten)]
    pub(crate) tenant: TenantArgs,
    /// Its new isolation model.
    #[arg(long, value_enum)]
    pub(crate) to: Placement,
    /// The server it goes to (`--server` names the servers to connect to).
    #[arg(long = "on", value_name = "SERVER", default_value = "main")]
    pub(crate) server: String,
    /// Drops the source copy once the tenant serves from its new place.
    #[arg(long)]
    pub(crate) drop_source: bool,
    /// The directory holding `tenant/` migrations, for a new schema or
    /// database [default: migrations].
    #[arg(long, value_name = "DIR")]
    pub(crate) migrations: Option<PathBuf>,
}

/// A tenant's isolation model on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Placement {
    /// The shared tables.
    Pool,
    /// A schema of its own.
    Schema,
    /// A database of its own.
    Database,
}

/// `tenantry verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A schema holding tenant-scoped tables (repeatable) [default: every
    /// schema of each database but the system ones and tenantry's own].
    #[arg(long = "schema", value_name = "SCHEMA")]
    pub(crate) schemas: Vec<String>,
    /// The column that makes a table tenant-scoped.
    #[arg(long, value_name = "COLUMN", default_value = "tenant_id")]
    pub(crate) tenant_column: String,
    /// Print JSON instead of one line per finding.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `NAME=URL`, both non-empty.
fn parse_server(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((name, url)) if !name.is_empty() && !url.is_empty() => {
            Ok((name.to_owned(), url.to_owned()))
        }
        _ => Err("expected NAME=URL, e.g. eu-1=postgres://owner@eu-1.internal/saas".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tenantry").chain(args.iter().copied()))
    }

    #[test]
    fn connection_flags_go_before_or_after_the_command() {
        let cli = parse(&[
            "--database-url",
            "postgres://owner@a/db",
            "migrate",
            "--server",
            "eu-1=postgres://owner@b/db?x=y",
            "--app-role",
            "app",
            "--app-role",
            "reporting",
            "--dry-run",
        ])
        .unwrap();
        assert_eq!(
            cli.connection.database_url.as_deref(),
            Some("postgres://owner@a/db")
        );
        assert_eq!(
            cli.connection.servers,
            [("eu-1".to_owned(), "postgres://owner@b/db?x=y".to_owned())]
        );
        assert_eq!(cli.connection.app_roles, ["app", "reporting"]);
        let Command::Migrate(migrate) = cli.command else {
            panic!("not migrate: {:?}", cli.command)
        };
        assert!(migrate.dry_run && !migrate.json);
        assert_eq!(migrate.concurrency, 8);
        assert_eq!(migrate.migrations, None);
    }

    #[test]
    fn malformed_servers_and_zero_concurrency_are_usage_errors() {
        for args in [
            &["migrate", "--server", "eu-1"][..],
            &["migrate", "--server", "=postgres://a/b"],
            &["migrate", "--concurrency", "0"],
            &["tenants"],
            &["verify", "--schema"],
        ] {
            let error = parse(args).expect_err("a usage error");
            assert!(error.use_stderr(), "{args:?}");
        }
    }

    #[test]
    fn tenant_commands_take_a_tenant_and_a_reason() {
        let cli = parse(&[
            "tenants", "erase", "acme", "--actor", "dpo", "--reason", "request", "--yes",
        ])
        .unwrap();
        let Command::Tenants {
            command: TenantsCommand::Erase(erase),
        } = cli.command
        else {
            panic!("not erase")
        };
        assert!(erase.yes && !erase.change.tenant.json);
        assert_eq!(erase.change.tenant.tenant, "acme");
        assert_eq!(
            (erase.change.actor.as_str(), erase.change.reason.as_str()),
            ("dpo", "request")
        );
        for args in [
            &["tenants", "suspend", "acme", "--actor", "ops"][..],
            &["tenants", "show"],
            &["tenants", "provision", "acme", "--placement", "cluster"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn relocate_takes_a_placement_a_server_and_whether_to_drop_the_source() {
        let cli = parse(&[
            "tenants",
            "relocate",
            "acme",
            "--to",
            "database",
            "--on",
            "eu-1",
            "--drop-source",
            "--json",
            "--server",
            "eu-1=postgres://owner@b/db",
        ])
        .unwrap();
        let Command::Tenants {
            command: TenantsCommand::Relocate(relocate),
        } = cli.command
        else {
            panic!("not relocate")
        };
        assert_eq!(relocate.to, Placement::Database);
        assert_eq!(relocate.server, "eu-1");
        assert!(relocate.drop_source && relocate.tenant.json);
        assert_eq!(cli.connection.servers.len(), 1);
        for args in [
            &["tenants", "relocate", "acme"][..],
            &["tenants", "relocate", "acme", "--to", "cluster"],
            &["tenants", "finish-relocation"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn verify_takes_schemas_and_a_tenant_column() {
        let cli = parse(&[
            "verify", "--schema", "public", "--schema", "shared", "--json",
        ])
        .unwrap();
        let Command::Verify(verify) = cli.command else {
            panic!("not verify")
        };
        assert_eq!(verify.schemas, ["public", "shared"]);
        assert_eq!(verify.tenant_column, "tenant_id");
        assert!(verify.json);
    }
}
