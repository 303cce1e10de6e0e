//! `tenantry tenants ...`: the registry, and each tenant's life.

use tenantry_ops::{
    Error, NewTenant, NoSeed, Operator, PlacementKind, ProvisionStep, Reason, TenantRef,
};
use tenantry_postgres::TenantRecord;
use tokio_postgres::error::SqlState;

use super::refused;
use crate::args::{
    ChangeArgs, ConnectionArgs, EraseArgs, Placement, ProvisionArgs, TenantArgs, TenantsCommand,
};
use crate::exit::{Fatal, Status};
use crate::migrations;
use crate::progress::{RowsDeleted, Steps};
use crate::render::{erasure, tenants};

/// Runs `tenantry tenants <command>`.
pub(crate) async fn run(
    connection: &ConnectionArgs,
    command: &TenantsCommand,
    embedded: Option<tenantry_ops::Migrations>,
) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    match command {
        TenantsCommand::List { json } => list(&operator, *json).await,
        TenantsCommand::Provision(args) => provision(&operator, args, embedded).await,
        TenantsCommand::Suspend(args) => {
            let reason = reason(args);
            let tenant = tenant(&operator, &args.tenant).await?;
            printed(operator.suspend(tenant.id, &reason).await, args.tenant.json)
        }
        TenantsCommand::Resume(args) => {
            let reason = reason(args);
            let tenant = tenant(&operator, &args.tenant).await?;
            printed(operator.resume(tenant.id, &reason).await, args.tenant.json)
        }
        TenantsCommand::SetTier(args) => printed(
            operator
                .set_tier(TenantRef::from(args.tenant.tenant.as_str()), &args.tier)
                .await,
            args.tenant.json,
        ),
        TenantsCommand::SetLimits(args) => printed(
            operator
                .set_limits(
                    TenantRef::from(args.tenant.tenant.as_str()),
                    &args.overrides(),
                )
                .await,
            args.tenant.json,
        ),
        TenantsCommand::Erase(args) => erase(&operator, args).await,
        TenantsCommand::Abandon(args) => printed(
            operator
                .abandon_provisioning(TenantRef::from(args.tenant.as_str()))
                .await,
            args.json,
        ),
        TenantsCommand::Relocate(args) => {
            super::relocate::relocate(&operator, args, embedded).await
        }
        TenantsCommand::FinishRelocation(args) => super::relocate::finish(&operator, args).await,
        TenantsCommand::RollbackRelocation(args) => {
            super::relocate::rollback(&operator, args).await
        }
        TenantsCommand::Show(args) => show(&operator, args).await,
        TenantsCommand::ErasureReport(args) => {
            let tenant = tenant(&operator, args).await?;
            match operator.erasure_record(tenant.id).await {
                Ok(record) => {
                    erasure::print(&record, args.json);
                    Ok(Status::Success)
                }
                Err(error) => refused(error),
            }
        }
    }
}

/// The registry row of the tenant `args` names; a tenant that cannot be
/// found, or a registry that cannot be read, is fatal.
async fn tenant(operator: &Operator, args: &TenantArgs) -> Result<TenantRecord, Fatal> {
    operator
        .tenant(TenantRef::from(args.tenant.as_str()))
        .await
        .map_err(|error| Fatal::because("cannot find the tenant", &error))
}

fn reason(args: &ChangeArgs) -> Reason {
    Reason {
        actor: args.actor.clone(),
        reason: args.reason.clone(),
        reference: args.reference.clone(),
    }
}

/// Prints the tenant's registry row, or says why the operation was refused
/// (exit 1); a server that cannot be reached is fatal (exit 2).
fn printed(outcome: Result<TenantRecord, Error>, json: bool) -> Result<Status, Fatal> {
    match outcome {
        Ok(record) => {
            tenants::print_one(&record, json);
            Ok(Status::Success)
        }
        Err(error) => refused(error),
    }
}

/// Prints the tenant's registry row with where its last relocation stands.
async fn show(operator: &Operator, args: &TenantArgs) -> Result<Status, Fatal> {
    let tenant = TenantRef::from(args.tenant.as_str());
    let shown = match operator.tenant(tenant.clone()).await {
        Ok(record) => operator
            .relocation(tenant)
            .await
            .map(|relocation| (record, relocation)),
        Err(error) => Err(error),
    };
    match shown {
        Ok((record, relocation)) => {
            tenants::print_shown(&record, relocation.as_ref(), args.json);
            Ok(Status::Success)
        }
        Err(error) => refused(error),
    }
}

async fn provision(
    operator: &Operator,
    args: &ProvisionArgs,
    embedded: Option<tenantry_ops::Migrations>,
) -> Result<Status, Fatal> {
    let migrations = migrations::choose(embedded, args.migrations.as_deref())?;
    let placement = match args.placement {
        Placement::Pool => PlacementKind::Pool,
        Placement::Schema => PlacementKind::Schema,
        Placement::Database => PlacementKind::Database,
    };
    let mut tenant = NewTenant::new(&args.slug, placement)
        .on_server(&args.server)
        .with_plan(&args.plan);
    if let Some(id) = &args.id {
        tenant = tenant.with_id(
            id.parse()
                .map_err(|_| Fatal::new(format!("--id {id:?} is not a UUID")))?,
        );
    }
    let progress = Steps::new(ProvisionStep::count(placement), args.json);
    let provisioned = operator
        .provision_with_progress(&tenant, &migrations.tenant, &NoSeed, &|step| {
            progress.done(step)
        })
        .await;
    progress.finish();
    printed(provisioned, args.json)
}

async fn erase(operator: &Operator, args: &EraseArgs) -> Result<Status, Fatal> {
    if !args.yes {
        return Err(Fatal::new(
            "erase deletes the tenant's data on every server for ever: pass --yes to confirm",
        ));
    }
    let tenant = tenant(operator, &args.change.tenant).await?;
    let progress = RowsDeleted::new(args.change.tenant.json);
    let erased = operator
        .erase_with_progress(tenant.id, &reason(&args.change), &|rows| {
            progress.deleted(rows)
        })
        .await;
    progress.finish();
    match erased {
        Ok(record) => {
            erasure::print(&record, args.change.tenant.json);
            Ok(Status::Success)
        }
        Err(error) => refused(error),
    }
}

/// Prints every registered tenant.
async fn list(operator: &Operator, json: bool) -> Result<Status, Fatal> {
    let registered = operator.tenants().await.map_err(|error| {
        if is_missing_registry(&error) {
            Fatal::new("the main server has no tenant registry yet: run `tenantry migrate` first")
        } else {
            Fatal::because("cannot read the tenant registry", &error)
        }
    })?;
    if json {
        tenants::print_json(&registered);
    } else {
        print!("{}", tenants::table(&registered));
    }
    Ok(Status::Success)
}

/// Whether `error` says the registry's schema or table does not exist.
fn is_missing_registry(error: &Error) -> bool {
    let Error::Runtime(tenantry_postgres::Error::Database { source }) = error else {
        return false;
    };
    matches!(
        source.code(),
        Some(code) if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME
    )
}
