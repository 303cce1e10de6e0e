//! Exact SQL and bind values of every builder operation.
//!
//! Each tenant statement is built twice, by a tenant on the shared tables
//! (`TenantScoped::shared`) and by the same tenant in its own schema
//! (`TenantScoped::in_schema`), and both texts are asserted in full. The
//! global handle's statements on `Plan` are asserted once. The error paths
//! (invalid schema names, subqueries from another scope, empty updates and
//! inserts, a hand-written row setting the tenant column) are asserted too,
//! and every check also proves that no value is ever spliced into the SQL.

mod support;

use sea_query::Value;
use support::{Customer, Invoice, NewCustomer, NewInvoice, Plan};
use tenantry::query::Bind;
use tenantry::{
    Filter, GlobalScope, Insertable, Operation, QueryError, SqlValue, Statement, TenantId,
    TenantScoped,
};
use time::OffsetDateTime;
use uuid::Uuid;

const TENANT: TenantId =
    TenantId::from_uuid(Uuid::from_u128(0x5f1c4b1e_8a3e_4a0b_9c55_0d0c3a7b7e01));
const OTHER_TENANT: TenantId =
    TenantId::from_uuid(Uuid::from_u128(0x9d2e6f30_1b7c_4e8a_a1d4_6c5b3e2f1a09));
const SCHEMA: &str = "tenant_acme";

const INVOICE_ID: Uuid = Uuid::from_u128(0x0e6f2c1a_3b4d_4c5e_8f60_7a8b9c0d1e2f);
const SECOND_INVOICE_ID: Uuid = Uuid::from_u128(0x4a3b2c1d_0e9f_4a8b_9c7d_6e5f4a3b2c1d);
const CUSTOMER_ID: Uuid = Uuid::from_u128(0xc0ffee00_1234_4567_89ab_cdef01234567);

const INVOICE_COLUMNS: &str = r#""invoices"."id", "invoices"."tenant_id", "invoices"."customer_id", "invoices"."amount", "invoices"."paid", "invoices"."note", "invoices"."created_at""#;
const CUSTOMER_COLUMNS: &str =
    r#""customers"."id", "customers"."tenant_id", "customers"."name", "customers"."email""#;
const PLAN_COLUMNS: &str = r#""plans"."id", "plans"."max_seats", "plans"."price""#;

// ---------------------------------------------------------------- helpers

fn tenant() -> Value {
    Value::Uuid(Some(TENANT.as_uuid()))
}

fn uuid(id: Uuid) -> Value {
    Value::Uuid(Some(id))
}

fn big(n: i64) -> Value {
    Value::BigInt(Some(n))
}

fn text(s: &str) -> Value {
    Value::String(Some(s.to_owned()))
}

fn created_at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

fn later() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap()
}

fn new_invoice(id: Uuid, amount_cents: i64, note: Option<&str>) -> NewInvoice {
    NewInvoice {
        id,
        customer_id: CUSTOMER_ID,
        amount_cents,
        paid: false,
        note: note.map(str::to_owned),
        created_at: created_at(),
    }
}

fn new_invoice_values(id: Uuid, amount_cents: i64, note: Option<&str>) -> Vec<Value> {
    vec![
        uuid(id),
        uuid(CUSTOMER_ID),
        big(amount_cents),
        Value::Bool(Some(false)),
        Value::String(note.map(str::to_owned)),
        Value::TimeDateTimeWithTimeZone(Some(created_at())),
    ]
}

fn shared() -> TenantScoped {
    TenantScoped::shared(TENANT)
}

fn in_schema() -> TenantScoped {
    TenantScoped::in_schema(TENANT, SCHEMA).unwrap()
}

/// Builds with the shared-tables handle and with the schema handle of the
/// same tenant, and asserts each statement's SQL and the (common) values.
fn assert_both(
    build: impl Fn(&TenantScoped) -> Result<Statement, QueryError>,
    shared_sql: &str,
    schema_sql: &str,
    values: Vec<Value>,
) {
    for (db, sql) in [(shared(), shared_sql), (in_schema(), schema_sql)] {
        let statement = build(&db).expect("the statement builds");
        assert_eq!(statement.sql(), sql);
        assert_eq!(statement.values(), values);
        assert_eq!(statement.tenant(), Some(TENANT));
        assert_not_inline(&statement);
    }
}

/// Builds with the global handle and asserts SQL and values.
fn assert_global(
    build: impl Fn(&GlobalScope) -> Result<Statement, QueryError>,
    sql: &str,
    values: Vec<Value>,
) {
    let statement = build(&GlobalScope::new()).expect("the statement builds");
    assert_eq!(statement.sql(), sql);
    assert_eq!(statement.values(), values);
    assert_eq!(statement.tenant(), None);
    assert_not_inline(&statement);
}

/// The SQL text never contains a value: no string literal at all, and none of
/// the bound values' text outside the `$n` placeholders.
fn assert_not_inline(statement: &Statement) {
    let sql = statement.sql();
    assert!(!sql.contains('\''), "a literal in {sql}");
    let mut without_placeholders = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else {
            without_placeholders.push(c);
        }
    }
    for value in statement.values() {
        let rendered = match value {
            Value::String(Some(s)) => s.clone(),
            Value::Uuid(Some(id)) => id.to_string(),
            Value::BigInt(Some(n)) => n.to_string(),
            Value::Int(Some(n)) => n.to_string(),
            Value::BigUnsigned(Some(n)) => n.to_string(),
            Value::Double(Some(x)) => x.to_string(),
            Value::Bool(Some(b)) => b.to_string(),
            Value::TimeDateTimeWithTimeZone(Some(at)) => at.date().to_string(),
            _ => continue,
        };
        assert!(
            !without_placeholders.contains(&rendered),
            "value {rendered:?} appears in {sql}"
        );
        if let Value::Uuid(Some(id)) = value {
            assert!(!sql.contains(&id.simple().to_string()), "{id} in {sql}");
        }
    }
}

// ---------------------------------------------------------------- select

#[test]
fn select_all_rows_of_the_tenant() {
    assert_both(
        |db| db.select::<Invoice>().build(),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1"#
        ),
        vec![tenant()],
    );
}

#[test]
fn select_filter_eq() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.eq(1200))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" = $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" = $2"#
        ),
        vec![tenant(), big(1200)],
    );
}

#[test]
fn select_filter_eq_on_uuid_and_nullable_columns() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::CUSTOMER_ID.eq(CUSTOMER_ID))
                .filter(Invoice::NOTE.eq("late fee".to_owned()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" = $2 AND "invoices"."note" = $3"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" = $2 AND "invoices"."note" = $3"#
        ),
        vec![tenant(), uuid(CUSTOMER_ID), text("late fee")],
    );
}

#[test]
fn select_filter_ne() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::PAID.ne(true))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" <> $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" <> $2"#
        ),
        vec![tenant(), Value::Bool(Some(true))],
    );
}

#[test]
fn select_filter_lt() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::CREATED_AT.lt(created_at()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."created_at" < $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."created_at" < $2"#
        ),
        vec![
            tenant(),
            Value::TimeDateTimeWithTimeZone(Some(created_at())),
        ],
    );
}

#[test]
fn select_filter_le() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.le(5000))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" <= $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" <= $2"#
        ),
        vec![tenant(), big(5000)],
    );
}

#[test]
fn select_filter_gt() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.gt(100))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > $2"#
        ),
        vec![tenant(), big(100)],
    );
}

#[test]
fn select_filter_ge() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::CREATED_AT.ge(later()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."created_at" >= $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."created_at" >= $2"#
        ),
        vec![tenant(), Value::TimeDateTimeWithTimeZone(Some(later()))],
    );
}

#[test]
fn select_filter_is_in() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.is_in([100, 200, 300]))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" IN ($2, $3, $4)"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" IN ($2, $3, $4)"#
        ),
        vec![tenant(), big(100), big(200), big(300)],
    );
}

#[test]
fn select_filter_not_in() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::ID.not_in([INVOICE_ID, SECOND_INVOICE_ID]))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."id" NOT IN ($2, $3)"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."id" NOT IN ($2, $3)"#
        ),
        vec![tenant(), uuid(INVOICE_ID), uuid(SECOND_INVOICE_ID)],
    );
}

#[test]
fn select_filter_empty_in_lists() {
    // An empty IN matches nothing (1 = 2), an empty NOT IN everything (1 = 1),
    // with the constants bound too; the tenant condition stays either way.
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.is_in(Vec::<i64>::new()))
                .filter(Invoice::AMOUNT_CENTS.not_in(Vec::<i64>::new()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND $2 = $3 AND $4 = $5"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND $2 = $3 AND $4 = $5"#
        ),
        vec![
            tenant(),
            Value::Int(Some(1)),
            Value::Int(Some(2)),
            Value::Int(Some(1)),
            Value::Int(Some(1)),
        ],
    );
}

#[test]
fn select_filter_like() {
    assert_both(
        |db| {
            db.select::<Customer>()
                .filter(Customer::NAME.like("Ada%"))
                .filter(Customer::EMAIL.like("%@example.org"))
                .build()
        },
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "public"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" LIKE $2 AND "customers"."email" LIKE $3"#
        ),
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" LIKE $2 AND "customers"."email" LIKE $3"#
        ),
        vec![tenant(), text("Ada%"), text("%@example.org")],
    );
}

#[test]
fn select_filter_is_null() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::NOTE.is_null())
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."note" IS NULL"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."note" IS NULL"#
        ),
        vec![tenant()],
    );
}

#[test]
fn select_filter_is_not_null() {
    assert_both(
        |db| {
            db.select::<Customer>()
                .filter(Customer::EMAIL.is_not_null())
                .build()
        },
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "public"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."email" IS NOT NULL"#
        ),
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."email" IS NOT NULL"#
        ),
        vec![tenant()],
    );
}

#[test]
fn select_filter_and() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.gt(100).and(Invoice::PAID.eq(false)))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" > $2 AND "invoices"."paid" = $3)"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" > $2 AND "invoices"."paid" = $3)"#
        ),
        vec![tenant(), big(100), Value::Bool(Some(false))],
    );
}

#[test]
fn select_filter_or_stays_inside_the_tenant() {
    // The OR is parenthesised: it can never widen the tenant condition.
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.gt(100).or(Invoice::NOTE.is_null()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" > $2 OR "invoices"."note" IS NULL)"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" > $2 OR "invoices"."note" IS NULL)"#
        ),
        vec![tenant(), big(100)],
    );
}

#[test]
fn select_filter_not() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::PAID.eq(true).not())
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND (NOT "invoices"."paid" = $2)"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND (NOT "invoices"."paid" = $2)"#
        ),
        vec![tenant(), Value::Bool(Some(true))],
    );
}

#[test]
fn select_filter_nested_combination() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(
                    Invoice::PAID
                        .eq(false)
                        .and(
                            Invoice::AMOUNT_CENTS
                                .ge(1000)
                                .or(Invoice::NOTE.like("%urgent%")),
                        )
                        .or(Invoice::CUSTOMER_ID.eq(CUSTOMER_ID).not()),
                )
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND (("invoices"."paid" = $2 AND ("invoices"."amount" >= $3 OR "invoices"."note" LIKE $4)) OR (NOT "invoices"."customer_id" = $5))"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND (("invoices"."paid" = $2 AND ("invoices"."amount" >= $3 OR "invoices"."note" LIKE $4)) OR (NOT "invoices"."customer_id" = $5))"#
        ),
        vec![
            tenant(),
            Value::Bool(Some(false)),
            big(1000),
            text("%urgent%"),
            uuid(CUSTOMER_ID),
        ],
    );
}

#[test]
fn select_order_by_asc_and_desc() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .order_by(Invoice::CREATED_AT.desc())
                .order_by(Invoice::AMOUNT_CENTS.asc())
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 ORDER BY "invoices"."created_at" DESC, "invoices"."amount" ASC"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 ORDER BY "invoices"."created_at" DESC, "invoices"."amount" ASC"#
        ),
        vec![tenant()],
    );
}

#[test]
fn select_limit_and_offset() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::PAID.eq(false))
                .order_by(Invoice::CREATED_AT.asc())
                .limit(25)
                .offset(50)
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2 ORDER BY "invoices"."created_at" ASC LIMIT $3 OFFSET $4"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2 ORDER BY "invoices"."created_at" ASC LIMIT $3 OFFSET $4"#
        ),
        vec![
            tenant(),
            Value::Bool(Some(false)),
            Value::BigUnsigned(Some(25)),
            Value::BigUnsigned(Some(50)),
        ],
    );
}

#[test]
fn count_ignores_order_limit_and_offset() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.gt(100))
                .order_by(Invoice::CREATED_AT.desc())
                .limit(25)
                .offset(50)
                .build_count()
        },
        r#"SELECT COUNT(*) FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > $2"#,
        r#"SELECT COUNT(*) FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount" > $2"#,
        vec![tenant(), big(100)],
    );
}

#[test]
fn exists_wraps_the_select() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::NOTE.is_not_null())
                .order_by(Invoice::CREATED_AT.desc())
                .build_exists()
        },
        r#"SELECT EXISTS(SELECT 1 FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."note" IS NOT NULL)"#,
        r#"SELECT EXISTS(SELECT 1 FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."note" IS NOT NULL)"#,
        vec![tenant()],
    );
}

#[test]
fn select_a_single_column() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::PAID.eq(true))
                .columns(Invoice::AMOUNT_CENTS)
                .build()
        },
        r#"SELECT "invoices"."amount" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2"#,
        r#"SELECT "invoices"."amount" FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2"#,
        vec![tenant(), Value::Bool(Some(true))],
    );
}

#[test]
fn select_a_tuple_of_columns() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .columns((Invoice::ID, Invoice::AMOUNT_CENTS, Invoice::NOTE))
                .build()
        },
        r#"SELECT "invoices"."id", "invoices"."amount", "invoices"."note" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1"#,
        r#"SELECT "invoices"."id", "invoices"."amount", "invoices"."note" FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1"#,
        vec![tenant()],
    );
}

// ---------------------------------------------------------------- joins

#[test]
fn inner_join_constrains_the_joined_table() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .inner_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
                .filter(Customer::NAME.eq("Ada Lovelace".to_owned()))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" INNER JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" = $3"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" INNER JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" = $3"#
        ),
        vec![tenant(), tenant(), text("Ada Lovelace")],
    );
}

#[test]
fn left_join_keeps_the_tenant_condition_in_the_join() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .left_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
                .filter(Customer::EMAIL.is_null())
                .columns((Invoice::ID, Customer::NAME.nullable()))
                .build()
        },
        r#"SELECT "invoices"."id", "customers"."name" FROM "public"."invoices" LEFT JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."email" IS NULL"#,
        r#"SELECT "invoices"."id", "customers"."name" FROM "tenant_acme"."invoices" LEFT JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."email" IS NULL"#,
        vec![tenant(), tenant()],
    );
}

#[test]
fn join_condition_with_or_stays_inside_the_tenant() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .left_join::<Customer>(
                    Customer::ID
                        .eq_column(Invoice::CUSTOMER_ID)
                        .or(Customer::NAME.eq("Walk-in".to_owned())),
                )
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" LEFT JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND ("customers"."id" = "invoices"."customer_id" OR "customers"."name" = $2) WHERE "invoices"."tenant_id" = $3"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" LEFT JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND ("customers"."id" = "invoices"."customer_id" OR "customers"."name" = $2) WHERE "invoices"."tenant_id" = $3"#
        ),
        vec![tenant(), text("Walk-in"), tenant()],
    );
}

#[test]
fn join_the_global_plan_table() {
    // The global table keeps its own schema and gets no tenant condition.
    assert_both(
        |db| {
            db.select::<Customer>()
                .inner_join::<Plan>(Plan::ID.eq_column(Customer::NAME))
                .filter(Plan::MAX_SEATS.ge(10))
                .build()
        },
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "public"."customers" INNER JOIN "shared"."plans" ON "plans"."id" = "customers"."name" WHERE "customers"."tenant_id" = $1 AND "plans"."max_seats" >= $2"#
        ),
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "tenant_acme"."customers" INNER JOIN "shared"."plans" ON "plans"."id" = "customers"."name" WHERE "customers"."tenant_id" = $1 AND "plans"."max_seats" >= $2"#
        ),
        vec![tenant(), Value::Int(Some(10))],
    );
}

#[test]
fn join_two_entities_with_count_and_exists() {
    let select = |db: &TenantScoped| {
        db.select::<Invoice>()
            .inner_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
            .left_join::<Plan>(Plan::ID.eq("pro".to_owned()))
            .filter(Plan::PRICE.lt(99.5))
            .build_count()
    };
    assert_both(
        select,
        r#"SELECT COUNT(*) FROM "public"."invoices" INNER JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" LEFT JOIN "shared"."plans" ON "plans"."id" = $2 WHERE "invoices"."tenant_id" = $3 AND "plans"."price" < $4"#,
        r#"SELECT COUNT(*) FROM "tenant_acme"."invoices" INNER JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" LEFT JOIN "shared"."plans" ON "plans"."id" = $2 WHERE "invoices"."tenant_id" = $3 AND "plans"."price" < $4"#,
        vec![tenant(), text("pro"), tenant(), Value::Double(Some(99.5))],
    );
    assert_both(
        |db| {
            db.select::<Invoice>()
                .inner_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
                .filter(Customer::NAME.like("Ada%"))
                .build_exists()
        },
        r#"SELECT EXISTS(SELECT 1 FROM "public"."invoices" INNER JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" LIKE $3)"#,
        r#"SELECT EXISTS(SELECT 1 FROM "tenant_acme"."invoices" INNER JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" LIKE $3)"#,
        vec![tenant(), tenant(), text("Ada%")],
    );
}

// ---------------------------------------------------------------- subqueries

#[test]
fn subquery_in_query_is_scoped_too() {
    assert_both(
        |db| {
            let customers = db
                .select::<Customer>()
                .filter(Customer::NAME.like("Ada%"))
                .columns(Customer::ID);
            db.select::<Invoice>()
                .filter(Invoice::CUSTOMER_ID.in_query(customers))
                .filter(Invoice::PAID.eq(false))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "public"."customers" WHERE "customers"."tenant_id" = $2 AND "customers"."name" LIKE $3) AND "invoices"."paid" = $4"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $2 AND "customers"."name" LIKE $3) AND "invoices"."paid" = $4"#
        ),
        vec![tenant(), tenant(), text("Ada%"), Value::Bool(Some(false))],
    );
}

#[test]
fn global_subquery_inside_a_tenant_query() {
    assert_both(
        |db| {
            let global = GlobalScope::new();
            let plans = global
                .select::<Plan>()
                .filter(Plan::MAX_SEATS.gt(50))
                .columns(Plan::ID);
            db.select::<Customer>()
                .filter(Customer::NAME.in_query(plans))
                .build()
        },
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "public"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" IN (SELECT "plans"."id" FROM "shared"."plans" WHERE "plans"."max_seats" > $2)"#
        ),
        &format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" IN (SELECT "plans"."id" FROM "shared"."plans" WHERE "plans"."max_seats" > $2)"#
        ),
        vec![tenant(), Value::Int(Some(50))],
    );
}

// ---------------------------------------------------------------- insert

#[test]
fn insert_one_row_with_the_scope_tenant() {
    let mut values = vec![tenant()];
    values.extend(new_invoice_values(INVOICE_ID, 1200, Some("first")));
    assert_both(
        |db| {
            db.insert(new_invoice(INVOICE_ID, 1200, Some("first")))
                .build()
        },
        r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        r#"INSERT INTO "tenant_acme"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        values,
    );
}

#[test]
fn insert_one_row_returning() {
    assert_both(
        |db| {
            db.insert(NewCustomer {
                id: CUSTOMER_ID,
                name: "Ada Lovelace".to_owned(),
                email: None,
            })
            .returning()
            .build()
        },
        &format!(
            r#"INSERT INTO "public"."customers" ("tenant_id", "id", "name", "email") VALUES ($1, $2, $3, $4) RETURNING {CUSTOMER_COLUMNS}"#
        ),
        &format!(
            r#"INSERT INTO "tenant_acme"."customers" ("tenant_id", "id", "name", "email") VALUES ($1, $2, $3, $4) RETURNING {CUSTOMER_COLUMNS}"#
        ),
        vec![
            tenant(),
            uuid(CUSTOMER_ID),
            text("Ada Lovelace"),
            Value::String(None),
        ],
    );
}

#[test]
fn insert_many_rows_returning() {
    let mut values = vec![tenant()];
    values.extend(new_invoice_values(INVOICE_ID, 1200, Some("first")));
    values.push(tenant());
    values.extend(new_invoice_values(SECOND_INVOICE_ID, 3400, None));
    assert_both(
        |db| {
            db.insert_many([
                new_invoice(INVOICE_ID, 1200, Some("first")),
                new_invoice(SECOND_INVOICE_ID, 3400, None),
            ])
            .returning()
            .build()
        },
        &format!(
            r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14) RETURNING {INVOICE_COLUMNS}"#
        ),
        &format!(
            r#"INSERT INTO "tenant_acme"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14) RETURNING {INVOICE_COLUMNS}"#
        ),
        values,
    );
}

#[test]
fn upsert_on_conflict_update_uses_tenant_and_primary_key() {
    let mut values = vec![tenant()];
    values.extend(new_invoice_values(INVOICE_ID, 1200, Some("first")));
    assert_both(
        |db| {
            db.insert(new_invoice(INVOICE_ID, 1200, Some("first")))
                .on_conflict_update((Invoice::AMOUNT_CENTS, Invoice::NOTE))
                .returning()
                .build()
        },
        &format!(
            r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ("tenant_id", "id") DO UPDATE SET "amount" = "excluded"."amount", "note" = "excluded"."note" RETURNING {INVOICE_COLUMNS}"#
        ),
        &format!(
            r#"INSERT INTO "tenant_acme"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ("tenant_id", "id") DO UPDATE SET "amount" = "excluded"."amount", "note" = "excluded"."note" RETURNING {INVOICE_COLUMNS}"#
        ),
        values,
    );
}

#[test]
fn upsert_on_conflict_key_update_adds_the_tenant_column() {
    let row = || NewCustomer {
        id: CUSTOMER_ID,
        name: "Ada Lovelace".to_owned(),
        email: Some("ada@example.org".to_owned()),
    };
    assert_both(
        |db| {
            db.insert_many([row()])
                .on_conflict_key_update(Customer::EMAIL, (Customer::NAME, Customer::ID))
                .build()
        },
        r#"INSERT INTO "public"."customers" ("tenant_id", "id", "name", "email") VALUES ($1, $2, $3, $4) ON CONFLICT ("tenant_id", "email") DO UPDATE SET "name" = "excluded"."name", "id" = "excluded"."id""#,
        r#"INSERT INTO "tenant_acme"."customers" ("tenant_id", "id", "name", "email") VALUES ($1, $2, $3, $4) ON CONFLICT ("tenant_id", "email") DO UPDATE SET "name" = "excluded"."name", "id" = "excluded"."id""#,
        vec![
            tenant(),
            uuid(CUSTOMER_ID),
            text("Ada Lovelace"),
            text("ada@example.org"),
        ],
    );
}

#[test]
fn upsert_on_conflict_do_nothing() {
    let mut values = vec![tenant()];
    values.extend(new_invoice_values(INVOICE_ID, 1200, None));
    assert_both(
        |db| {
            db.insert(new_invoice(INVOICE_ID, 1200, None))
                .on_conflict_do_nothing()
                .build()
        },
        r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ("tenant_id", "id") DO NOTHING"#,
        r#"INSERT INTO "tenant_acme"."invoices" ("tenant_id", "id", "customer_id", "amount", "paid", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ("tenant_id", "id") DO NOTHING"#,
        values,
    );
}

// ---------------------------------------------------------------- update

#[test]
fn update_set_filter() {
    assert_both(
        |db| {
            db.update::<Invoice>()
                .set(Invoice::PAID, true)
                .set(Invoice::NOTE, None)
                .filter(Invoice::ID.eq(INVOICE_ID))
                .build()
        },
        r#"UPDATE "public"."invoices" SET "paid" = $1, "note" = $2 WHERE "invoices"."tenant_id" = $3 AND "invoices"."id" = $4"#,
        r#"UPDATE "tenant_acme"."invoices" SET "paid" = $1, "note" = $2 WHERE "invoices"."tenant_id" = $3 AND "invoices"."id" = $4"#,
        vec![
            Value::Bool(Some(true)),
            Value::String(None),
            tenant(),
            uuid(INVOICE_ID),
        ],
    );
}

#[test]
fn update_without_filter_still_only_touches_the_tenant() {
    assert_both(
        |db| {
            db.update::<Customer>()
                .set(Customer::EMAIL, "nobody@example.org".to_owned())
                .build()
        },
        r#"UPDATE "public"."customers" SET "email" = $1 WHERE "customers"."tenant_id" = $2"#,
        r#"UPDATE "tenant_acme"."customers" SET "email" = $1 WHERE "customers"."tenant_id" = $2"#,
        vec![text("nobody@example.org"), tenant()],
    );
}

#[test]
fn update_returning_with_subquery() {
    assert_both(
        |db| {
            let customers = db
                .select::<Customer>()
                .filter(Customer::EMAIL.is_null())
                .columns(Customer::ID);
            db.update::<Invoice>()
                .set(Invoice::AMOUNT_CENTS, 0)
                .filter(
                    Invoice::CUSTOMER_ID
                        .in_query(customers)
                        .or(Invoice::AMOUNT_CENTS.lt(100)),
                )
                .returning()
                .build()
        },
        &format!(
            r#"UPDATE "public"."invoices" SET "amount" = $1 WHERE "invoices"."tenant_id" = $2 AND ("invoices"."customer_id" IN (SELECT "customers"."id" FROM "public"."customers" WHERE "customers"."tenant_id" = $3 AND "customers"."email" IS NULL) OR "invoices"."amount" < $4) RETURNING {INVOICE_COLUMNS}"#
        ),
        &format!(
            r#"UPDATE "tenant_acme"."invoices" SET "amount" = $1 WHERE "invoices"."tenant_id" = $2 AND ("invoices"."customer_id" IN (SELECT "customers"."id" FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $3 AND "customers"."email" IS NULL) OR "invoices"."amount" < $4) RETURNING {INVOICE_COLUMNS}"#
        ),
        vec![big(0), tenant(), tenant(), big(100)],
    );
}

// ---------------------------------------------------------------- delete

#[test]
fn delete_without_filter_still_only_touches_the_tenant() {
    assert_both(
        |db| db.delete::<Customer>().build(),
        r#"DELETE FROM "public"."customers" WHERE "customers"."tenant_id" = $1"#,
        r#"DELETE FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1"#,
        vec![tenant()],
    );
}

#[test]
fn delete_filter_returning() {
    assert_both(
        |db| {
            db.delete::<Invoice>()
                .filter(Invoice::PAID.eq(true).and(Invoice::CREATED_AT.lt(later())))
                .returning()
                .build()
        },
        &format!(
            r#"DELETE FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."paid" = $2 AND "invoices"."created_at" < $3) RETURNING {INVOICE_COLUMNS}"#
        ),
        &format!(
            r#"DELETE FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."paid" = $2 AND "invoices"."created_at" < $3) RETURNING {INVOICE_COLUMNS}"#
        ),
        vec![
            tenant(),
            Value::Bool(Some(true)),
            Value::TimeDateTimeWithTimeZone(Some(later())),
        ],
    );
}

#[test]
fn delete_with_subquery() {
    assert_both(
        |db| {
            let customers = db
                .select::<Customer>()
                .filter(Customer::NAME.eq("Gone Ltd".to_owned()))
                .columns(Customer::ID);
            db.delete::<Invoice>()
                .filter(Invoice::CUSTOMER_ID.in_query(customers))
                .build()
        },
        r#"DELETE FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "public"."customers" WHERE "customers"."tenant_id" = $2 AND "customers"."name" = $3)"#,
        r#"DELETE FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $2 AND "customers"."name" = $3)"#,
        vec![tenant(), tenant(), text("Gone Ltd")],
    );
}

// ---------------------------------------------------------------- global handle

fn plan(id: &str, max_seats: i32, price: f64) -> Plan {
    Plan {
        id: id.to_owned(),
        max_seats,
        price,
    }
}

#[test]
fn global_select_count_exists_columns() {
    assert_global(
        |global| {
            global
                .select::<Plan>()
                .filter(Plan::PRICE.le(49.5).or(Plan::ID.eq("free".to_owned())))
                .order_by(Plan::PRICE.asc())
                .limit(10)
                .build()
        },
        &format!(
            r#"SELECT {PLAN_COLUMNS} FROM "shared"."plans" WHERE "plans"."price" <= $1 OR "plans"."id" = $2 ORDER BY "plans"."price" ASC LIMIT $3"#
        ),
        vec![
            Value::Double(Some(49.5)),
            text("free"),
            Value::BigUnsigned(Some(10)),
        ],
    );
    assert_global(
        |global| {
            global
                .select::<Plan>()
                .filter(Plan::MAX_SEATS.gt(100))
                .build_count()
        },
        r#"SELECT COUNT(*) FROM "shared"."plans" WHERE "plans"."max_seats" > $1"#,
        vec![Value::Int(Some(100))],
    );
    assert_global(
        |global| {
            global
                .select::<Plan>()
                .filter(Plan::ID.eq("enterprise".to_owned()))
                .build_exists()
        },
        r#"SELECT EXISTS(SELECT 1 FROM "shared"."plans" WHERE "plans"."id" = $1)"#,
        vec![text("enterprise")],
    );
    assert_global(
        |global| {
            global
                .select::<Plan>()
                .columns((Plan::ID, Plan::MAX_SEATS))
                .build()
        },
        r#"SELECT "plans"."id", "plans"."max_seats" FROM "shared"."plans""#,
        vec![],
    );
}

#[test]
fn global_insert_and_upsert() {
    assert_global(
        |global| global.insert(plan("starter", 5, 19.5)).build(),
        r#"INSERT INTO "shared"."plans" ("id", "max_seats", "price") VALUES ($1, $2, $3)"#,
        vec![
            text("starter"),
            Value::Int(Some(5)),
            Value::Double(Some(19.5)),
        ],
    );
    assert_global(
        |global| {
            global
                .insert_many([plan("starter", 5, 19.5), plan("team", 25, 79.5)])
                .on_conflict_update((Plan::MAX_SEATS, Plan::PRICE))
                .returning()
                .build()
        },
        &format!(
            r#"INSERT INTO "shared"."plans" ("id", "max_seats", "price") VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT ("id") DO UPDATE SET "max_seats" = "excluded"."max_seats", "price" = "excluded"."price" RETURNING {PLAN_COLUMNS}"#
        ),
        vec![
            text("starter"),
            Value::Int(Some(5)),
            Value::Double(Some(19.5)),
            text("team"),
            Value::Int(Some(25)),
            Value::Double(Some(79.5)),
        ],
    );
    assert_global(
        |global| {
            global
                .insert(plan("starter", 5, 19.5))
                .on_conflict_do_nothing()
                .build()
        },
        r#"INSERT INTO "shared"."plans" ("id", "max_seats", "price") VALUES ($1, $2, $3) ON CONFLICT ("id") DO NOTHING"#,
        vec![
            text("starter"),
            Value::Int(Some(5)),
            Value::Double(Some(19.5)),
        ],
    );
}

#[test]
fn global_update_and_delete() {
    assert_global(
        |global| {
            global
                .update::<Plan>()
                .set(Plan::PRICE, 29.5)
                .filter(Plan::ID.eq("starter".to_owned()))
                .returning()
                .build()
        },
        &format!(
            r#"UPDATE "shared"."plans" SET "price" = $1 WHERE "plans"."id" = $2 RETURNING {PLAN_COLUMNS}"#
        ),
        vec![Value::Double(Some(29.5)), text("starter")],
    );
    assert_global(
        |global| {
            global
                .delete::<Plan>()
                .filter(Plan::MAX_SEATS.lt(1))
                .build()
        },
        r#"DELETE FROM "shared"."plans" WHERE "plans"."max_seats" < $1"#,
        vec![Value::Int(Some(1))],
    );
}

// ---------------------------------------------------------------- metadata

#[test]
fn statements_carry_table_operation_and_tenant() {
    let db = shared();
    let global = GlobalScope::new();
    let cases = [
        (
            db.select::<Invoice>().build(),
            "invoices",
            Operation::Select,
        ),
        (
            db.select::<Invoice>().build_count(),
            "invoices",
            Operation::Count,
        ),
        (
            db.select::<Invoice>().build_exists(),
            "invoices",
            Operation::Exists,
        ),
        (
            db.insert(new_invoice(INVOICE_ID, 1, None)).build(),
            "invoices",
            Operation::Insert,
        ),
        (
            db.update::<Customer>()
                .set(Customer::NAME, "x".to_owned())
                .build(),
            "customers",
            Operation::Update,
        ),
        (
            db.delete::<Customer>().build(),
            "customers",
            Operation::Delete,
        ),
    ];
    for (statement, table, operation) in cases {
        let statement = statement.unwrap();
        assert_eq!(
            (statement.table(), statement.operation()),
            (table, operation)
        );
        assert_eq!(statement.tenant(), Some(TENANT));
    }
    let statement = global.delete::<Plan>().build().unwrap();
    assert_eq!(
        (statement.table(), statement.operation(), statement.tenant()),
        ("plans", Operation::Delete, None)
    );
}

// ---------------------------------------------------------------- values are bound

#[test]
fn hostile_values_are_bound_never_inlined() {
    let hostile = "x'); DROP TABLE invoices; -- \"quoted\" $1 \\";
    let db = in_schema();
    let statements = [
        db.select::<Customer>()
            .filter(Customer::NAME.eq(hostile.to_owned()))
            .filter(Customer::EMAIL.like(hostile))
            .filter(Customer::NAME.is_in([hostile.to_owned()]))
            .build()
            .unwrap(),
        db.insert(NewCustomer {
            id: CUSTOMER_ID,
            name: hostile.to_owned(),
            email: Some(hostile.to_owned()),
        })
        .build()
        .unwrap(),
        db.update::<Customer>()
            .set(Customer::NAME, hostile.to_owned())
            .filter(Customer::EMAIL.ne(hostile.to_owned()))
            .build()
            .unwrap(),
        db.delete::<Customer>()
            .filter(Customer::NAME.like(hostile))
            .build()
            .unwrap(),
    ];
    for statement in statements {
        assert!(!statement.sql().contains("DROP"), "{}", statement.sql());
        assert!(!statement.sql().contains('\''), "{}", statement.sql());
        assert!(statement.values().contains(&text(hostile)));
        assert_not_inline(&statement);
    }
}

// ---------------------------------------------------------------- errors

#[test]
fn invalid_schema_names_are_refused() {
    let too_long = "a".repeat(64);
    for name in [
        "",
        "Tenant_acme",
        "tenant\"acme",
        "tenant'acme",
        "tenant acme",
        "tenant-acme",
        "tenant_acme\"; DROP TABLE invoices; --",
        "tenant.acme",
        too_long.as_str(),
        "1tenant",
        "pg_tenant",
        "pg_catalog",
        "tenant_é",
    ] {
        match TenantScoped::in_schema(TENANT, name) {
            Err(QueryError::InvalidIdentifier { name: rejected, .. }) => assert_eq!(rejected, name),
            other => panic!("{name:?} was not refused: {other:?}"),
        }
    }
    let longest = "a".repeat(63);
    for name in ["tenant_acme", "_tenant", "t0", "pgtenant", longest.as_str()] {
        assert!(TenantScoped::in_schema(TENANT, name).is_ok(), "{name:?}");
    }
}

fn assert_scope_mismatch(result: Result<Statement, QueryError>) {
    match result {
        Err(QueryError::ScopeMismatch { .. }) => {}
        other => panic!("expected a scope mismatch, got {other:?}"),
    }
}

/// Handles that are not `shared()`: another tenant, and the same tenant placed
/// in a schema.
fn foreign_handles() -> [TenantScoped; 3] {
    [
        TenantScoped::shared(OTHER_TENANT),
        TenantScoped::in_schema(OTHER_TENANT, SCHEMA).unwrap(),
        in_schema(),
    ]
}

#[test]
fn subquery_from_another_scope_is_refused_in_select() {
    let db = shared();
    for foreign in foreign_handles() {
        let subquery = || foreign.select::<Customer>().columns(Customer::ID);
        let in_filter = db
            .select::<Invoice>()
            .filter(Invoice::CUSTOMER_ID.in_query(subquery()));
        assert_scope_mismatch(in_filter.build());
        assert_scope_mismatch(in_filter.build_count());
        assert_scope_mismatch(in_filter.build_exists());
        let in_join = db.select::<Invoice>().inner_join::<Customer>(
            Customer::ID
                .eq_column(Invoice::CUSTOMER_ID)
                .and(Customer::ID.in_query(subquery())),
        );
        assert_scope_mismatch(in_join.build());
    }
}

#[test]
fn subquery_from_another_scope_is_refused_in_update_and_delete() {
    let db = shared();
    for foreign in foreign_handles() {
        let subquery = || foreign.select::<Customer>().columns(Customer::ID);
        assert_scope_mismatch(
            db.update::<Invoice>()
                .set(Invoice::PAID, true)
                .filter(Invoice::CUSTOMER_ID.in_query(subquery()))
                .build(),
        );
        assert_scope_mismatch(
            db.delete::<Invoice>()
                .filter(
                    Invoice::PAID
                        .eq(true)
                        .or(Invoice::CUSTOMER_ID.in_query(subquery())),
                )
                .build(),
        );
    }
}

#[test]
fn scope_mismatch_names_both_scopes() {
    let err = shared()
        .select::<Invoice>()
        .filter(
            Invoice::CUSTOMER_ID.in_query(
                TenantScoped::shared(OTHER_TENANT)
                    .select::<Customer>()
                    .columns(Customer::ID),
            ),
        )
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "a subquery built for tenant {OTHER_TENANT} in the shared tables was used in a statement for tenant {TENANT} in the shared tables"
        )
    );
}

#[test]
fn tenant_subquery_is_refused_in_a_global_statement() {
    let global = GlobalScope::new();
    let db = shared();
    assert_scope_mismatch(
        global
            .select::<Plan>()
            .filter(Plan::ID.in_query(db.select::<Customer>().columns(Customer::NAME)))
            .build(),
    );
    assert_scope_mismatch(
        global
            .delete::<Plan>()
            .filter(Plan::ID.in_query(db.select::<Customer>().columns(Customer::NAME)))
            .build(),
    );
}

#[test]
fn foreign_subquery_nested_in_an_admitted_subquery_is_refused() {
    let db = shared();
    let global = GlobalScope::new();
    for foreign in foreign_handles() {
        // Via a subquery of the same scope.
        let middle = db
            .select::<Customer>()
            .filter(Customer::ID.in_query(foreign.select::<Customer>().columns(Customer::ID)))
            .columns(Customer::ID);
        assert_scope_mismatch(
            db.select::<Invoice>()
                .filter(Invoice::CUSTOMER_ID.in_query(middle))
                .build(),
        );
        // Via a global subquery.
        let middle = global
            .select::<Plan>()
            .filter(Plan::ID.in_query(foreign.select::<Customer>().columns(Customer::NAME)))
            .columns(Plan::ID);
        assert_scope_mismatch(
            db.update::<Customer>()
                .set(Customer::EMAIL, None)
                .filter(Customer::NAME.in_query(middle))
                .build(),
        );
        // Behind an admitted nested subquery of the outer scope itself.
        let middle = global
            .select::<Plan>()
            .filter(
                Plan::ID
                    .in_query(db.select::<Customer>().columns(Customer::NAME))
                    .or(Plan::ID.in_query(foreign.select::<Customer>().columns(Customer::NAME))),
            )
            .columns(Plan::ID);
        assert_scope_mismatch(
            db.delete::<Customer>()
                .filter(Customer::NAME.in_query(middle))
                .build(),
        );
    }
}

#[test]
fn own_subquery_nested_in_a_global_subquery_is_allowed() {
    let db = shared();
    let global = GlobalScope::new();
    let middle = global
        .select::<Plan>()
        .filter(Plan::ID.in_query(db.select::<Customer>().columns(Customer::NAME)))
        .columns(Plan::ID);
    let statement = db
        .select::<Customer>()
        .filter(Customer::NAME.in_query(middle))
        .build()
        .unwrap();
    assert_eq!(
        statement.sql(),
        format!(
            r#"SELECT {CUSTOMER_COLUMNS} FROM "public"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" IN (SELECT "plans"."id" FROM "shared"."plans" WHERE "plans"."id" IN (SELECT "customers"."name" FROM "public"."customers" WHERE "customers"."tenant_id" = $2))"#
        )
    );
    assert_eq!(statement.values(), vec![tenant(), tenant()]);
}

#[test]
fn global_subquery_is_allowed_in_update_and_delete() {
    let db = in_schema();
    let global = GlobalScope::new();
    let plans = || global.select::<Plan>().columns(Plan::ID);
    let update = db
        .update::<Customer>()
        .set(Customer::EMAIL, None)
        .filter(Customer::NAME.in_query(plans()))
        .build()
        .unwrap();
    assert_eq!(
        update.sql(),
        r#"UPDATE "tenant_acme"."customers" SET "email" = $1 WHERE "customers"."tenant_id" = $2 AND "customers"."name" IN (SELECT "plans"."id" FROM "shared"."plans")"#
    );
    let delete = db
        .delete::<Customer>()
        .filter(Customer::NAME.in_query(plans()))
        .build()
        .unwrap();
    assert_eq!(
        delete.sql(),
        r#"DELETE FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1 AND "customers"."name" IN (SELECT "plans"."id" FROM "shared"."plans")"#
    );
    assert_eq!(delete.values(), vec![tenant()]);
}

#[test]
fn update_without_set_is_refused() {
    for db in [shared(), in_schema()] {
        let result = db
            .update::<Invoice>()
            .filter(Invoice::PAID.eq(false))
            .returning()
            .build();
        assert!(
            matches!(result, Err(QueryError::EmptyUpdate { table: "invoices" })),
            "{result:?}"
        );
    }
    let result = GlobalScope::new().update::<Plan>().build();
    assert!(matches!(
        result,
        Err(QueryError::EmptyUpdate { table: "plans" })
    ));
}

#[test]
fn insert_of_no_rows_is_refused() {
    for db in [shared(), in_schema()] {
        let result = db
            .insert_many(Vec::<NewInvoice>::new())
            .on_conflict_do_nothing()
            .build();
        assert!(
            matches!(result, Err(QueryError::EmptyInsert { table: "invoices" })),
            "{result:?}"
        );
    }
    let result = GlobalScope::new().insert_many(Vec::<Plan>::new()).build();
    assert!(matches!(
        result,
        Err(QueryError::EmptyInsert { table: "plans" })
    ));
}

/// A hand-written insert row that tries to set the tenant column itself.
struct RowWithTenant {
    tenant_id: Uuid,
    id: Uuid,
}

impl Insertable for RowWithTenant {
    type Entity = Customer;
    const COLUMNS: &'static [&'static str] = &["tenant_id", "id"];

    fn into_values(self) -> impl Iterator<Item = Bind> {
        [self.tenant_id.into_bind(), self.id.into_bind()].into_iter()
    }
}

#[test]
fn hand_written_row_setting_the_tenant_column_is_refused() {
    let result = shared()
        .insert(RowWithTenant {
            tenant_id: OTHER_TENANT.as_uuid(),
            id: CUSTOMER_ID,
        })
        .build();
    assert!(
        matches!(
            result,
            Err(QueryError::TenantColumnSet {
                table: "customers",
                column: "tenant_id"
            })
        ),
        "{result:?}"
    );
}

#[test]
fn hand_made_tenant_column_handle_cannot_move_rows_in_an_update() {
    let forged = tenantry::Column::<Customer, Uuid>::new("tenant_id");
    let result = shared()
        .update::<Customer>()
        .set(forged, OTHER_TENANT.as_uuid())
        .build();
    assert!(
        matches!(
            result,
            Err(QueryError::TenantColumnSet {
                table: "customers",
                column: "tenant_id"
            })
        ),
        "{result:?}"
    );
}

// ---------------------------------------------------- open column values

/// A status stored as a PostgreSQL enum.
#[derive(tenantry::DbEnum, Debug, Clone, Copy, PartialEq)]
#[db_enum(type = "task_status")]
enum TaskStatus {
    Todo,
    Done,
}

/// A task with column types bound by their own `ToSql`.
#[derive(tenantry::Entity, Debug)]
#[entity(table = "tasks", tenant_scoped)]
#[allow(dead_code)] // only built, never read
struct Task {
    #[entity(primary_key)]
    id: i64,
    tenant_id: TenantId,
    status: TaskStatus,
    price: rust_decimal::Decimal,
    tags: Vec<String>,
}

/// The bind values of `statement` as text: a value sea-query holds as its
/// `Value`, one bound by its own `ToSql` as `open(<Debug>)`.
fn binds(statement: &Statement) -> Vec<String> {
    (0..statement.values().len())
        .map(|position| match statement.open_value(position) {
            Some(open) => format!("open({open:?})"),
            None => format!("{:?}", statement.values()[position]),
        })
        .collect()
}

#[test]
fn open_values_are_parameters_and_every_statement_stays_scoped() {
    let price = rust_decimal::Decimal::new(1999, 2);
    let tenant = format!("{:?}", tenant());
    for (db, table) in [
        (shared(), r#""public"."tasks""#),
        (in_schema(), r#""tenant_acme"."tasks""#),
    ] {
        let select = db
            .select::<Task>()
            .filter(Task::STATUS.eq(TaskStatus::Done).or(Task::PRICE.gt(price)))
            .filter(Task::TAGS.contains(vec!["eu".to_owned()]))
            .filter(Task::TAGS.overlaps(vec!["a".to_owned(), "b".to_owned()]))
            .filter(Task::TAGS.has("vip"))
            .filter(Task::STATUS.eq_any(vec![TaskStatus::Todo]))
            .build()
            .unwrap();
        assert_eq!(
            select.sql(),
            format!(
                r#"SELECT "tasks"."id", "tasks"."tenant_id", "tasks"."status", "tasks"."price", "tasks"."tags" FROM {table} WHERE "tasks"."tenant_id" = $1 AND ("tasks"."status" = $2 OR "tasks"."price" > $3) AND "tasks"."tags" @> $4 AND ("tasks"."tags" && $5) AND $6 = ANY("tasks"."tags") AND "tasks"."status" = ANY($7)"#
            )
        );
        assert_eq!(
            binds(&select),
            [
                tenant.clone(),
                "open(Done)".into(),
                "open(19.99)".into(),
                r#"open(["eu"])"#.into(),
                r#"open(["a", "b"])"#.into(),
                r#"String(Some("vip"))"#.into(),
                "open([Todo])".into(),
            ]
        );
        assert_not_inline(&select);

        let insert = db
            .insert(NewTask {
                id: 7,
                status: TaskStatus::Todo,
                price,
                tags: Vec::new(),
            })
            .build()
            .unwrap();
        assert_eq!(
            insert.sql(),
            format!(
                r#"INSERT INTO {table} ("tenant_id", "id", "status", "price", "tags") VALUES ($1, $2, $3, $4, $5)"#
            )
        );
        assert_eq!(
            binds(&insert),
            [
                tenant.clone(),
                "BigInt(Some(7))".into(),
                "open(Todo)".into(),
                "open(19.99)".into(),
                "open([])".into()
            ]
        );

        let update = db
            .update::<Task>()
            .set(Task::STATUS, TaskStatus::Done)
            .filter(Task::PRICE.lt(price))
            .build()
            .unwrap();
        assert_eq!(
            update.sql(),
            format!(
                r#"UPDATE {table} SET "status" = $1 WHERE "tasks"."tenant_id" = $2 AND "tasks"."price" < $3"#
            )
        );
        assert_eq!(
            binds(&update),
            [
                "open(Done)".to_owned(),
                tenant.clone(),
                "open(19.99)".into()
            ]
        );

        // In a subquery too, and the subquery's values come along.
        let delete = db
            .delete::<Task>()
            .filter(
                Task::ID.in_query(
                    db.select::<Task>()
                        .filter(Task::STATUS.eq(TaskStatus::Todo))
                        .columns(Task::ID),
                ),
            )
            .build()
            .unwrap();
        assert_eq!(
            delete.sql(),
            format!(
                r#"DELETE FROM {table} WHERE "tasks"."tenant_id" = $1 AND "tasks"."id" IN (SELECT "tasks"."id" FROM {table} WHERE "tasks"."tenant_id" = $2 AND "tasks"."status" = $3)"#
            )
        );
        assert_eq!(
            binds(&delete),
            [tenant.clone(), tenant.clone(), "open(Todo)".into()]
        );
    }
}

// ------------------------------------------ aggregates and richer conditions

#[test]
fn grouped_report_over_a_join_constrains_both_tables() {
    assert_both(
        |db| {
            db.select::<Customer>()
                .left_join::<Invoice>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
                .columns((
                    Customer::NAME,
                    Invoice::ID.count(),
                    Invoice::AMOUNT_CENTS.sum(),
                    Invoice::AMOUNT_CENTS.avg(),
                    Invoice::CREATED_AT.max(),
                    Invoice::NOTE.count_distinct(),
                ))
                .filter(Customer::NAME.starts_with("A_%"))
                .group_by(Customer::NAME)
                .having(Invoice::AMOUNT_CENTS.sum().ge(10_000))
                .order_by(Invoice::AMOUNT_CENTS.sum().desc())
                .build()
        },
        r#"SELECT "customers"."name", COUNT("invoices"."id"), CAST(SUM("invoices"."amount") AS int8), CAST(AVG("invoices"."amount") AS float8), MAX("invoices"."created_at"), COUNT(DISTINCT "invoices"."note") FROM "public"."customers" LEFT JOIN "public"."invoices" ON "invoices"."tenant_id" = $1 AND "invoices"."customer_id" = "customers"."id" WHERE "customers"."tenant_id" = $2 AND "customers"."name" LIKE $3 GROUP BY "customers"."name" HAVING CAST(SUM("invoices"."amount") AS int8) >= $4 ORDER BY CAST(SUM("invoices"."amount") AS int8) DESC"#,
        r#"SELECT "customers"."name", COUNT("invoices"."id"), CAST(SUM("invoices"."amount") AS int8), CAST(AVG("invoices"."amount") AS float8), MAX("invoices"."created_at"), COUNT(DISTINCT "invoices"."note") FROM "tenant_acme"."customers" LEFT JOIN "tenant_acme"."invoices" ON "invoices"."tenant_id" = $1 AND "invoices"."customer_id" = "customers"."id" WHERE "customers"."tenant_id" = $2 AND "customers"."name" LIKE $3 GROUP BY "customers"."name" HAVING CAST(SUM("invoices"."amount") AS int8) >= $4 ORDER BY CAST(SUM("invoices"."amount") AS int8) DESC"#,
        vec![tenant(), tenant(), text(r"A\_\%%"), big(10_000)],
    );
}

#[test]
fn distinct_and_the_richer_conditions_stay_scoped() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .columns(Invoice::NOTE)
                .distinct()
                .filter(Invoice::AMOUNT_CENTS.between(100, 200))
                .filter(Invoice::NOTE.ilike("%rush%"))
                .filter(Invoice::NOTE.is_distinct_from(None))
                .filter(
                    Invoice::NOTE
                        .is_not_distinct_from(Some("x".to_owned()))
                        .not(),
                )
                .build()
        },
        r#"SELECT DISTINCT "invoices"."note" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" BETWEEN $2 AND $3) AND ("invoices"."note" ILIKE $4) AND ("invoices"."note" IS DISTINCT FROM $5) AND (NOT ("invoices"."note" IS NOT DISTINCT FROM $6))"#,
        r#"SELECT DISTINCT "invoices"."note" FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount" BETWEEN $2 AND $3) AND ("invoices"."note" ILIKE $4) AND ("invoices"."note" IS DISTINCT FROM $5) AND (NOT ("invoices"."note" IS NOT DISTINCT FROM $6))"#,
        vec![
            tenant(),
            big(100),
            big(200),
            text("%rush%"),
            Value::String(None),
            text("x"),
        ],
    );
}

#[test]
fn exists_subqueries_are_scoped_whether_correlated_or_not() {
    assert_both(
        |db| {
            let unpaid = db
                .select::<Invoice>()
                .correlate::<Customer>()
                .filter(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
                .filter(Invoice::PAID.eq(false));
            let big_ones = db
                .select::<Invoice>()
                .filter(Invoice::AMOUNT_CENTS.gt(1_000));
            db.select::<Customer>()
                .columns(Customer::ID)
                .filter(Filter::exists(unpaid))
                .filter(Filter::not_exists(big_ones))
                .build()
        },
        r#"SELECT "customers"."id" FROM "public"."customers" WHERE "customers"."tenant_id" = $1 AND EXISTS(SELECT 1 FROM "public"."invoices" WHERE "invoices"."tenant_id" = $2 AND "invoices"."customer_id" = "customers"."id" AND "invoices"."paid" = $3) AND (NOT EXISTS(SELECT 1 FROM "public"."invoices" WHERE "invoices"."tenant_id" = $4 AND "invoices"."amount" > $5))"#,
        r#"SELECT "customers"."id" FROM "tenant_acme"."customers" WHERE "customers"."tenant_id" = $1 AND EXISTS(SELECT 1 FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $2 AND "invoices"."customer_id" = "customers"."id" AND "invoices"."paid" = $3) AND (NOT EXISTS(SELECT 1 FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $4 AND "invoices"."amount" > $5))"#,
        vec![
            tenant(),
            tenant(),
            Value::Bool(Some(false)),
            tenant(),
            big(1_000),
        ],
    );
    // A subquery of another tenant is refused.
    let other = TenantScoped::shared(OTHER_TENANT);
    let result = shared()
        .select::<Customer>()
        .filter(Filter::exists(other.select::<Invoice>()))
        .build();
    assert!(
        matches!(result, Err(QueryError::ScopeMismatch { .. })),
        "{result:?}"
    );
}

// -------------------------------------- joined entities and SET expressions

#[test]
fn joined_entities_are_selected_whole_and_constrained() {
    assert_both(
        |db| {
            db.select::<Invoice>()
                .left_join_entity::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
                .filter(Customer::NAME.eq("Ada"))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS}, "customers"."id" IS NOT NULL, {CUSTOMER_COLUMNS} FROM "public"."invoices" LEFT JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" = $3"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS}, "customers"."id" IS NOT NULL, {CUSTOMER_COLUMNS} FROM "tenant_acme"."invoices" LEFT JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "customers"."name" = $3"#
        ),
        vec![tenant(), tenant(), text("Ada")],
    );
    assert_both(
        |db| {
            db.select::<Invoice>()
                .inner_join_entity::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS}, {CUSTOMER_COLUMNS} FROM "public"."invoices" INNER JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS}, {CUSTOMER_COLUMNS} FROM "tenant_acme"."invoices" INNER JOIN "tenant_acme"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2"#
        ),
        vec![tenant(), tenant()],
    );
}

#[test]
fn update_by_expression_stays_in_the_tenant() {
    assert_both(
        |db| {
            db.update::<Invoice>()
                .set_expr(Invoice::AMOUNT_CENTS, Invoice::AMOUNT_CENTS.sub(100).mul(2))
                .filter(Invoice::PAID.eq(false))
                .build()
        },
        r#"UPDATE "public"."invoices" SET "amount" = ("invoices"."amount" - $1) * $2 WHERE "invoices"."tenant_id" = $3 AND "invoices"."paid" = $4"#,
        r#"UPDATE "tenant_acme"."invoices" SET "amount" = ("invoices"."amount" - $1) * $2 WHERE "invoices"."tenant_id" = $3 AND "invoices"."paid" = $4"#,
        vec![big(100), big(2), tenant(), Value::Bool(Some(false))],
    );
}

#[test]
fn keyset_pages_are_scoped() {
    let by_amount = tenantry::Keyset::asc((Invoice::AMOUNT_CENTS, Invoice::ID));
    assert_both(
        |db| {
            db.select::<Invoice>()
                .filter(Invoice::PAID.eq(false))
                .after(by_amount.after((500, INVOICE_ID)))
                .limit(50)
                .build()
        },
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2 AND ("invoices"."amount", "invoices"."id") > ($3, $4) ORDER BY "invoices"."amount" ASC, "invoices"."id" ASC LIMIT $5"#
        ),
        &format!(
            r#"SELECT {INVOICE_COLUMNS} FROM "tenant_acme"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."paid" = $2 AND ("invoices"."amount", "invoices"."id") > ($3, $4) ORDER BY "invoices"."amount" ASC, "invoices"."id" ASC LIMIT $5"#
        ),
        vec![
            tenant(),
            Value::Bool(Some(false)),
            big(500),
            uuid(INVOICE_ID),
            Value::BigUnsigned(Some(50)),
        ],
    );
}
