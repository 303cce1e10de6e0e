//! A relocation as `tenantry tenants relocate | finish-relocation |
//! rollback-relocation | show` print it.

use serde::Serialize;
use tenantry_ops::{CopyMethod, Place, RelocationRecord, RelocationReport};

use super::timestamp;

/// A place in the JSON output.
#[derive(Debug, Serialize)]
struct PlaceLine {
    /// `pool`, `schema` or `database`.
    placement: &'static str,
    /// The tenant's own schema or database, if it has one.
    name: Option<String>,
    server: String,
}

impl PlaceLine {
    fn of(place: &Place) -> Self {
        PlaceLine {
            placement: place.placement.kind(),
            name: place
                .placement
                .schema()
                .or(place.placement.database())
                .map(ToString::to_string),
            server: place.server.clone(),
        }
    }
}

/// A relocation in the JSON output.
#[derive(Debug, Serialize)]
pub(super) struct RelocationLine {
    id: i64,
    tenant: String,
    from: PlaceLine,
    to: PlaceLine,
    /// Where the move stands: `planned`, `prepared`, `copied`, `fenced`,
    /// `flipped`, `returning`, `finished` or `rolled_back`.
    step: &'static str,
    drop_source: bool,
    rows_copied: i64,
    /// The write-blocked window, in milliseconds.
    blocked_ms: Option<f64>,
    error: Option<String>,
    /// RFC 3339.
    started_at: String,
    /// RFC 3339.
    updated_at: String,
}

impl RelocationLine {
    pub(super) fn of(record: &RelocationRecord) -> Self {
        RelocationLine {
            id: record.id,
            tenant: record.tenant.to_string(),
            from: PlaceLine::of(&record.from),
            to: PlaceLine::of(&record.to),
            step: record.step.as_str(),
            drop_source: record.drop_source,
            rows_copied: record.rows_copied,
            blocked_ms: record.blocked.map(|blocked| blocked.as_secs_f64() * 1e3),
            error: record.error.clone(),
            started_at: timestamp(record.started_at),
            updated_at: timestamp(record.updated_at),
        }
    }
}

/// A report in the JSON output: the move, and what this run did.
#[derive(Debug, Serialize)]
struct ReportLine {
    #[serde(flatten)]
    relocation: RelocationLine,
    /// Rows copied by this run.
    copied_now: u64,
    /// This run's time, in milliseconds.
    total_ms: f64,
    rows_per_second: f64,
    /// How this run kept the destination level: `online` (changes decoded
    /// from the source), `fenced` (changed tables copied under the fence),
    /// or null when the move had flipped already.
    copy: Option<&'static str>,
}

/// The name of a copy method in the output.
fn method(copy: CopyMethod) -> &'static str {
    match copy {
        CopyMethod::Online => "online",
        _ => "fenced",
    }
}

/// The move in one line: `flipped: pool on main -> database tenant_acme on
/// eu-1, 1200 rows copied, writes blocked 85 ms (started <when>)`.
pub(crate) fn summary(record: &RelocationRecord) -> String {
    let blocked = record.blocked.map_or_else(String::new, |blocked| {
        format!(", writes blocked {} ms", blocked.as_millis())
    });
    let error = record
        .error
        .as_ref()
        .map_or_else(String::new, |error| format!(": {error}"));
    format!(
        "{}: {} -> {}, {} rows copied{blocked} (started {}){error}",
        record.step,
        record.from,
        record.to,
        record.rows_copied,
        timestamp(record.started_at)
    )
}

/// Prints a move as it stands: a JSON object, or its summary.
pub(crate) fn print_record(record: &RelocationRecord, json: bool) {
    if json {
        super::print_json(&RelocationLine::of(record));
    } else {
        println!("{}", summary(record));
    }
}

/// Prints what a relocation did: a JSON object, or its summary, timing and
/// what to do next.
pub(crate) fn print_report(report: &RelocationReport, json: bool) {
    if json {
        super::print_json(&ReportLine {
            relocation: RelocationLine::of(&report.relocation),
            copied_now: report.rows_copied,
            total_ms: report.total.as_secs_f64() * 1e3,
            rows_per_second: report.rows_per_second(),
            copy: report.copy.map(method),
        });
        return;
    }
    println!("{}", summary(&report.relocation));
    println!(
        "{} rows copied in {:.2} s ({:.0} rows/s){}",
        report.rows_copied,
        report.total.as_secs_f64(),
        report.rows_per_second(),
        report
            .copy
            .map_or_else(String::new, |copy| format!(", {} copy", method(copy)))
    );
    if report.relocation.step.is_open() {
        println!(
            "the source is kept: `tenantry tenants finish-relocation {}` drops it, \
             `tenantry tenants rollback-relocation {}` moves the tenant back",
            report.relocation.tenant, report.relocation.tenant
        );
    }
}
