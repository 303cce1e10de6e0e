//! `tenantry tenants relocate | finish-relocation | rollback-relocation`:
//! moving a tenant between placements and servers.

use tenantry_ops::{Destination, Error, Operator, PlacementKind, RelocationRecord, TenantRef};

use super::refused;
use crate::args::{Placement, RelocateArgs, TenantArgs};
use crate::exit::{Fatal, Status};
use crate::migrations;
use crate::progress::RowsCopied;
use crate::render::relocation;

/// Relocates the tenant `args` names, with a bar of the rows copied.
pub(super) async fn relocate(
    operator: &Operator,
    args: &RelocateArgs,
    embedded: Option<tenantry_ops::Migrations>,
) -> Result<Status, Fatal> {
    let migrations = migrations::choose(embedded, args.migrations.as_deref())?;
    let placement = match args.to {
        Placement::Pool => PlacementKind::Pool,
        Placement::Schema => PlacementKind::Schema,
        Placement::Database => PlacementKind::Database,
    };
    let mut destination = Destination::new(placement).on_server(&args.server);
    if args.drop_source {
        destination = destination.dropping_source();
    }
    let progress = RowsCopied::new(args.tenant.json);
    let relocated = operator
        .relocate_with_progress(
            TenantRef::from(args.tenant.tenant.as_str()),
            &destination,
            &migrations.tenant,
            &|event| progress.report(&event),
        )
        .await;
    progress.finish();
    match relocated {
        Ok(report) => {
            relocation::print_report(&report, args.tenant.json);
            Ok(Status::Success)
        }
        Err(error) => refused(error),
    }
}

/// Prints the move as it stands, or says why the operation was refused.
pub(super) fn printed(
    outcome: Result<RelocationRecord, Error>,
    json: bool,
) -> Result<Status, Fatal> {
    match outcome {
        Ok(record) => {
            relocation::print_record(&record, json);
            Ok(Status::Success)
        }
        Err(error) => refused(error),
    }
}

/// Drops the source copy of the tenant's move.
pub(super) async fn finish(operator: &Operator, args: &TenantArgs) -> Result<Status, Fatal> {
    printed(
        operator
            .finish_relocation(TenantRef::from(args.tenant.as_str()))
            .await,
        args.json,
    )
}

/// Rolls the tenant's move back.
pub(super) async fn rollback(operator: &Operator, args: &TenantArgs) -> Result<Status, Fatal> {
    printed(
        operator
            .rollback_relocation(TenantRef::from(args.tenant.as_str()))
            .await,
        args.json,
    )
}
