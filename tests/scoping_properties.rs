//! Property: whatever statement a `TenantScoped` handle builds, every
//! tenant-scoped table in it is constrained to that tenant.
//!
//! Random filter trees (comparisons, IN lists, LIKE patterns full of quotes and
//! SQL-ish garbage, AND/OR/NOT at random depth, subqueries on customers,
//! invoices and the global plans, nested) over random join shapes (none, inner
//! or left join of customers, join of the global plans, both) are built as
//! select, count, exists, update and delete, for a random tenant on the shared
//! tables or in a random schema. The SQL is then scanned, and for each of them:
//!
//! - every occurrence of `"invoices"` or `"customers"` as a table (after FROM,
//!   JOIN or UPDATE) has `"<table>"."tenant_id" = $n` as a top-level conjunct
//!   of its own WHERE (root of its query level) or ON (joined table), and value
//!   `n` is exactly the tenant's uuid;
//! - there are exactly as many tenant conditions as scoped table occurrences;
//! - the `$n` placeholders are exactly `$1..$k` for `k` values;
//! - no value is inline: no string literal, no generated string, no number;
//! - in schema form every scoped table is qualified with the tenant's schema,
//!   in shared form with "public", and the global plans table always with
//!   "shared".
//!
//! The check is itself tested: on every case, swapping any tenant value for
//! another tenant's, or putting `TRUE OR` before any tenant condition, must
//! make it fail; and hand-written leaky statements must fail it. The random
//! model is in `scoping/cases.rs`, the building in `scoping/statements.rs`,
//! the SQL scanning in `scoping/scan.rs`.

mod scoping;
mod support;

use proptest::prelude::*;
use sea_query::Value;
use tenantry::TenantId;
use uuid::Uuid;

use scoping::cases::case;
use scoping::scan::{Rendered, SCOPED, check};
use scoping::statements::build;

proptest! {
    #[test]
    fn every_scoped_table_is_constrained_to_the_tenant(case in case()) {
        let statement = Rendered::from(&build(&case));
        let tenant = Uuid::from_u128(case.tenant);
        let schema = case.schema.as_deref();
        if let Err(failure) = check(&statement, tenant, schema) {
            panic!("{failure}: {}", statement.sql);
        }

        // The check is not vacuous: swapping any tenant value for another
        // tenant's, or ORing anything before any tenant condition, fails it.
        let other = Value::Uuid(Some(Uuid::from_u128(!case.tenant)));
        for (i, value) in statement.values.iter().enumerate() {
            if *value == Value::Uuid(Some(tenant)) {
                let mut swapped = statement.clone();
                swapped.values[i] = other.clone();
                prop_assert!(check(&swapped, tenant, schema).is_err(), "{}", statement.sql);
            }
        }
        for table in SCOPED {
            for (at, _) in statement.sql.match_indices(&format!("\"{table}\".\"tenant_id\" = $")) {
                let mut widened = statement.clone();
                widened.sql.insert_str(at, "TRUE OR ");
                prop_assert!(check(&widened, tenant, schema).is_err(), "{}", widened.sql);
            }
        }
    }
}

/// The scanner itself: it finds an unconstrained table, a tenant condition
/// under an OR, a wrong tenant, a missing schema and an inline value.
#[test]
fn the_check_catches_leaks() {
    let tenant = Uuid::from_u128(7);
    let other = Uuid::from_u128(8);
    let statement = |sql: &str, values: Vec<Value>| Rendered {
        sql: sql.to_owned(),
        values,
        tenant: Some(TenantId::from_uuid(tenant)),
    };
    let fails = |s: Rendered, schema: Option<&str>| check(&s, tenant, schema).is_err();
    let good = statement(
        r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."paid" = $2 OR "invoices"."note" IS NULL)"#,
        vec![Value::Uuid(Some(tenant)), Value::Bool(Some(true))],
    );
    assert!(!fails(good, None));
    let cases = [
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 OR "invoices"."paid" = $2"#,
            vec![Value::Uuid(Some(tenant)), Value::Bool(Some(true))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1"#,
            vec![Value::Uuid(Some(other))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "public"."customers")"#,
            vec![Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" LEFT JOIN "public"."customers" ON "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $1 AND "customers"."tenant_id" = $2"#,
            vec![Value::Uuid(Some(tenant)), Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" INNER JOIN "public"."customers" ON "customers"."tenant_id" = $1 OR "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2"#,
            vec![Value::Uuid(Some(tenant)), Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1"#,
            vec![Value::Uuid(Some(tenant))],
            Some("tenant_acme"),
        ),
        (
            r#"SELECT "invoices"."id" FROM "invoices" WHERE "invoices"."tenant_id" = $1"#,
            vec![Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "tenant_other"."invoices" WHERE "invoices"."tenant_id" = $1"#,
            vec![Value::Uuid(Some(tenant))],
            Some("tenant_acme"),
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."note" = '~x'"#,
            vec![Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > 100"#,
            vec![Value::Uuid(Some(tenant))],
            None,
        ),
        (
            r#"SELECT "invoices"."id" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > $3"#,
            vec![Value::Uuid(Some(tenant)), Value::BigInt(Some(1))],
            None,
        ),
    ];
    for (sql, values, schema) in cases {
        assert!(fails(statement(sql, values), schema), "not caught: {sql}");
    }
}
