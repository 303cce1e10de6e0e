//! Statement-building cost of tenantry against hand-written sea-query.
//!
//! Each group (`build/select`, `build/insert`, `build/update`, `build/join`,
//! `build/report`: an aggregate grouped over a two-entity join)
//! has two functions run side by side: `tenantry` builds the statement through
//! a `TenantScoped` handle, `sea_query` builds the same statement by hand with
//! sea-query and an explicit `tenant_id = $n` condition. Before timing, each
//! group asserts that both sides produce identical SQL and bind values, so the
//! comparison is like for like. Every iteration builds from scratch, as a
//! request handler would.
//!
//! Run with `cargo bench --bench build` (add e.g.
//! `-- --warm-up-time 1 --measurement-time 3` for a quicker run) and compare the
//! two estimates of each group: the ratio matters, not the absolute times.
//! Each side is a function of its own, never inlined, so that an instruction
//! count (which a busy machine does not disturb) can be read per side from a
//! profile of `--profile-time` runs, divided by its calls.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use sea_query::{
    Condition, Expr, ExprTrait, Func, Order, PostgresQueryBuilder, Query, Value, Values,
};
use support::{Customer, Invoice, NewInvoice};
use tenantry::{TenantId, TenantScoped};
use time::OffsetDateTime;
use uuid::Uuid;

/// The inputs of one request: who asks, and the values it filters or writes.
struct Inputs {
    scope: TenantScoped,
    tenant: Uuid,
    invoice_id: Uuid,
    customer_id: Uuid,
    min_amount: i64,
    amount: i64,
    note: String,
    created_at: OffsetDateTime,
    customer_name: String,
}

impl Inputs {
    fn new() -> Self {
        let tenant = Uuid::from_u128(0x5f1c_4b1e_8a3e_4a0b_9c55_0d0c_3a7b_7e01);
        Self {
            scope: TenantScoped::shared(TenantId::from_uuid(tenant)),
            tenant,
            invoice_id: Uuid::from_u128(0x0a0b_0c0d_0e0f_4a1b_8c2d_3e4f_5a6b_7c8d),
            customer_id: Uuid::from_u128(0x1a2b_3c4d_5e6f_4a7b_8c9d_0e1f_2a3b_4c5d),
            min_amount: 10_000,
            amount: 12_345,
            note: "net 30".to_owned(),
            created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid"),
            customer_name: "Acme%".to_owned(),
        }
    }
}

/// Panics unless both sides built the same SQL and bind values.
fn assert_same(group: &str, tenantry: tenantry::Statement, sea_query: (String, Values)) {
    assert_eq!(tenantry.sql(), sea_query.0, "{group}: SQL differs");
    assert_eq!(tenantry.values(), sea_query.1.0, "{group}: values differ");
}

const INVOICE_COLUMNS: [&str; 7] = [
    "id",
    "tenant_id",
    "customer_id",
    "amount",
    "paid",
    "note",
    "created_at",
];

// SELECT: three conditions, an ORDER BY and a LIMIT.

#[inline(never)]
fn select_tenantry(i: &Inputs) -> tenantry::Statement {
    i.scope
        .select::<Invoice>()
        .filter(Invoice::PAID.eq(false))
        .filter(Invoice::AMOUNT_CENTS.ge(i.min_amount))
        .filter(Invoice::CUSTOMER_ID.eq(i.customer_id))
        .order_by(Invoice::CREATED_AT.desc())
        .limit(50)
        .build()
        .expect("builds")
}

#[inline(never)]
fn select_sea_query(i: &Inputs) -> (String, Values) {
    Query::select()
        .columns(INVOICE_COLUMNS.iter().map(|column| ("invoices", *column)))
        .from(("public", "invoices"))
        .and_where(Expr::col(("invoices", "tenant_id")).eq(i.tenant))
        .and_where(Expr::col(("invoices", "paid")).eq(false))
        .and_where(Expr::col(("invoices", "amount")).gte(i.min_amount))
        .and_where(Expr::col(("invoices", "customer_id")).eq(i.customer_id))
        .order_by(("invoices", "created_at"), Order::Desc)
        .limit(50)
        .build(PostgresQueryBuilder)
}

// INSERT: one invoice.

fn new_invoice(i: &Inputs) -> NewInvoice {
    NewInvoice {
        id: i.invoice_id,
        customer_id: i.customer_id,
        amount_cents: i.amount,
        paid: false,
        note: Some(i.note.clone()),
        created_at: i.created_at,
    }
}

#[inline(never)]
fn insert_tenantry(i: &Inputs, row: NewInvoice) -> tenantry::Statement {
    i.scope.insert(row).build().expect("builds")
}

#[inline(never)]
fn insert_sea_query(i: &Inputs, row: NewInvoice) -> (String, Values) {
    Query::insert()
        .into_table(("public", "invoices"))
        .columns([
            "tenant_id",
            "id",
            "customer_id",
            "amount",
            "paid",
            "note",
            "created_at",
        ])
        .values_panic([
            i.tenant.into(),
            row.id.into(),
            row.customer_id.into(),
            row.amount_cents.into(),
            row.paid.into(),
            row.note.into(),
            row.created_at.into(),
        ])
        .build(PostgresQueryBuilder)
}

// UPDATE: two columns, one condition.

#[inline(never)]
fn update_tenantry(i: &Inputs) -> tenantry::Statement {
    i.scope
        .update::<Invoice>()
        .set(Invoice::PAID, true)
        .set(Invoice::AMOUNT_CENTS, i.amount)
        .filter(Invoice::ID.eq(i.invoice_id))
        .build()
        .expect("builds")
}

#[inline(never)]
fn update_sea_query(i: &Inputs) -> (String, Values) {
    Query::update()
        .table(("public", "invoices"))
        .value("paid", true)
        .value("amount", i.amount)
        .and_where(Expr::col(("invoices", "tenant_id")).eq(i.tenant))
        .and_where(Expr::col(("invoices", "id")).eq(i.invoice_id))
        .build(PostgresQueryBuilder)
}

// JOIN: invoices joined with their customer, filtered on the customer.

#[inline(never)]
fn join_tenantry(i: &Inputs) -> tenantry::Statement {
    i.scope
        .select::<Invoice>()
        .inner_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
        .filter(Customer::NAME.like(i.customer_name.as_str()))
        .build()
        .expect("builds")
}

#[inline(never)]
fn join_sea_query(i: &Inputs) -> (String, Values) {
    Query::select()
        .columns(INVOICE_COLUMNS.iter().map(|column| ("invoices", *column)))
        .from(("public", "invoices"))
        .and_where(Expr::col(("invoices", "tenant_id")).eq(i.tenant))
        .inner_join(
            ("public", "customers"),
            Condition::all()
                .add(Expr::col(("customers", "tenant_id")).eq(i.tenant))
                .add(Expr::col(("customers", "id")).equals(("invoices", "customer_id"))),
        )
        .and_where(Expr::col(("customers", "name")).like(i.customer_name.as_str()))
        .build(PostgresQueryBuilder)
}

// REPORT: revenue per customer over a join, grouped, filtered on the
// groups, ordered by the aggregate.

#[inline(never)]
fn report_tenantry(i: &Inputs) -> tenantry::Statement {
    i.scope
        .select::<Customer>()
        .inner_join::<Invoice>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((
            Customer::NAME,
            Invoice::ID.count(),
            Invoice::AMOUNT_CENTS.sum(),
        ))
        .filter(Invoice::PAID.eq(true))
        .group_by(Customer::NAME)
        .having(Invoice::AMOUNT_CENTS.sum().ge(i.min_amount))
        .order_by(Invoice::AMOUNT_CENTS.sum().desc())
        .limit(50)
        .build()
        .expect("builds")
}

#[inline(never)]
fn report_sea_query(i: &Inputs) -> (String, Values) {
    let sum = || Func::sum(Expr::col(("invoices", "amount"))).cast_as("int8");
    Query::select()
        .column(("customers", "name"))
        .expr(Func::count(Expr::col(("invoices", "id"))))
        .expr(sum())
        .from(("public", "customers"))
        .and_where(Expr::col(("customers", "tenant_id")).eq(i.tenant))
        .inner_join(
            ("public", "invoices"),
            Condition::all()
                .add(Expr::col(("invoices", "tenant_id")).eq(i.tenant))
                .add(Expr::col(("invoices", "customer_id")).equals(("customers", "id"))),
        )
        .and_where(Expr::col(("invoices", "paid")).eq(true))
        .add_group_by([Expr::col(("customers", "name"))])
        .and_having(sum().gte(i.min_amount))
        .order_by_expr(sum(), Order::Desc)
        .limit(50)
        .build(PostgresQueryBuilder)
}

fn build(c: &mut Criterion) {
    let inputs = Inputs::new();
    let i = &inputs;

    assert_same("select", select_tenantry(i), select_sea_query(i));
    assert_same(
        "insert",
        insert_tenantry(i, new_invoice(i)),
        insert_sea_query(i, new_invoice(i)),
    );
    assert_same("update", update_tenantry(i), update_sea_query(i));
    assert_same("join", join_tenantry(i), join_sea_query(i));
    assert_same("report", report_tenantry(i), report_sea_query(i));
    // The tenant is a bind value on both sides, never SQL text.
    assert!(!select_tenantry(i).sql().contains(&i.tenant.to_string()));
    assert_eq!(select_tenantry(i).values()[0], Value::from(i.tenant));

    let mut group = c.benchmark_group("build/select");
    group.bench_function("tenantry", |b| {
        b.iter(|| black_box(select_tenantry(black_box(i))))
    });
    group.bench_function("sea_query", |b| {
        b.iter(|| black_box(select_sea_query(black_box(i))))
    });
    group.finish();

    let mut group = c.benchmark_group("build/insert");
    group.bench_function("tenantry", |b| {
        b.iter_batched(
            || new_invoice(i),
            |row| black_box(insert_tenantry(black_box(i), black_box(row))),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("sea_query", |b| {
        b.iter_batched(
            || new_invoice(i),
            |row| black_box(insert_sea_query(black_box(i), black_box(row))),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("build/update");
    group.bench_function("tenantry", |b| {
        b.iter(|| black_box(update_tenantry(black_box(i))))
    });
    group.bench_function("sea_query", |b| {
        b.iter(|| black_box(update_sea_query(black_box(i))))
    });
    group.finish();

    let mut group = c.benchmark_group("build/join");
    group.bench_function("tenantry", |b| {
        b.iter(|| black_box(join_tenantry(black_box(i))))
    });
    group.bench_function("sea_query", |b| {
        b.iter(|| black_box(join_sea_query(black_box(i))))
    });
    group.finish();

    let mut group = c.benchmark_group("build/report");
    group.bench_function("tenantry", |b| {
        b.iter(|| black_box(report_tenantry(black_box(i))))
    });
    group.bench_function("sea_query", |b| {
        b.iter(|| black_box(report_sea_query(black_box(i))))
    });
    group.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);
