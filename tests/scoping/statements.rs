//! Builds the statement of a random case with a `TenantScoped` handle,
//! lowering the model's filter trees to typed filters.

use tenantry::query::Contains;
use tenantry::{
    Column, Entity, Filter, GlobalScope, Select, SqlValue, Statement, TenantId, TenantScoped,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::cases::{
    Case, Cmp, CustomerCond, InvoiceCond, Join, Leaf, Operation, PlanCond, ReadKind, Set, Tree,
};
use crate::support::{Customer, Invoice, Plan};

struct Handles {
    db: TenantScoped,
    global: GlobalScope,
}

fn compare<E, T, S, I>(column: Column<E, T>, cmp: Cmp, value: T) -> Filter<S>
where
    E: Entity,
    T: SqlValue,
    S: Contains<E, I>,
{
    match cmp {
        Cmp::Eq => column.eq(value),
        Cmp::Ne => column.ne(value),
        Cmp::Lt => column.lt(value),
        Cmp::Le => column.le(value),
        Cmp::Gt => column.gt(value),
        Cmp::Ge => column.ge(value),
    }
}

fn membership<E, T, S, I>(column: Column<E, T>, values: Vec<T>, not: bool) -> Filter<S>
where
    E: Entity,
    T: SqlValue,
    S: Contains<E, I>,
{
    if not {
        column.not_in(values)
    } else {
        column.is_in(values)
    }
}

fn null<E, T, S, I>(column: Column<E, T>, is_null: bool) -> Filter<S>
where
    E: Entity,
    T: SqlValue,
    S: Contains<E, I>,
{
    if is_null {
        column.is_null()
    } else {
        column.is_not_null()
    }
}

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap()
}

fn invoice<S: Contains<Invoice, I>, I>(cond: &InvoiceCond, _: &Handles) -> Filter<S> {
    match cond.clone() {
        InvoiceCond::Amount(c, v) => compare(Invoice::AMOUNT_CENTS, c, v),
        InvoiceCond::AmountIn(v, not) => membership(Invoice::AMOUNT_CENTS, v, not),
        InvoiceCond::Paid(c, v) => compare(Invoice::PAID, c, v),
        InvoiceCond::Note(c, v) => compare(Invoice::NOTE, c, Some(v)),
        InvoiceCond::NoteLike(v) => Invoice::NOTE.like(v),
        InvoiceCond::NoteIn(v, not) => membership(Invoice::NOTE, v, not),
        InvoiceCond::NoteNull(is_null) => null(Invoice::NOTE, is_null),
        InvoiceCond::CustomerId(c, v) => compare(Invoice::CUSTOMER_ID, c, Uuid::from_u128(v)),
        InvoiceCond::CreatedAt(c, v) => compare(Invoice::CREATED_AT, c, at(v)),
    }
}

fn customer<S: Contains<Customer, I>, I>(cond: &CustomerCond, _: &Handles) -> Filter<S> {
    match cond.clone() {
        CustomerCond::Id(c, v) => compare(Customer::ID, c, Uuid::from_u128(v)),
        CustomerCond::Name(c, v) => compare(Customer::NAME, c, v),
        CustomerCond::NameLike(v) => Customer::NAME.like(v),
        CustomerCond::NameIn(v, not) => membership(Customer::NAME, v, not),
        CustomerCond::EmailLike(v) => Customer::EMAIL.like(v),
        CustomerCond::EmailNull(is_null) => null(Customer::EMAIL, is_null),
    }
}

fn plan<S: Contains<Plan, I>, I>(cond: &PlanCond, _: &Handles) -> Filter<S> {
    match cond.clone() {
        PlanCond::Id(c, v) => compare(Plan::ID, c, v),
        PlanCond::Seats(c, v) => compare(Plan::MAX_SEATS, c, v),
        PlanCond::SeatsIn(v, not) => membership(Plan::MAX_SEATS, v, not),
        PlanCond::Price(c, v) => compare(Plan::PRICE, c, v),
    }
}

fn invoices_of_customers<S: Contains<Invoice, I>, I>(tree: &Tree, h: &Handles) -> Filter<S> {
    let customers = h.db.select::<Customer>().filter(lower(tree, h));
    Invoice::CUSTOMER_ID.in_query(customers.columns(Customer::ID))
}

fn customers_with_invoices<S: Contains<Customer, I>, I>(tree: &Tree, h: &Handles) -> Filter<S> {
    let invoices = h.db.select::<Invoice>().filter(lower(tree, h));
    Customer::ID.in_query(invoices.columns(Invoice::CUSTOMER_ID))
}

fn customers_named_after_plans<S: Contains<Customer, I>, I>(tree: &Tree, h: &Handles) -> Filter<S> {
    let plans = h.global.select::<Plan>().filter(lower(tree, h));
    Customer::NAME.in_query(plans.columns(Plan::ID))
}

/// A source list (the entities of a statement) that filter trees lower to.
trait Lower: Sized {
    fn leaf(leaf: &Leaf, handles: &Handles) -> Filter<Self>;
}

fn lower<S: Lower>(tree: &Tree, handles: &Handles) -> Filter<S> {
    match tree {
        Tree::Leaf(leaf) => S::leaf(leaf, handles),
        Tree::And(a, b) => lower::<S>(a, handles).and(lower(b, handles)),
        Tree::Or(a, b) => lower::<S>(a, handles).or(lower(b, handles)),
        Tree::Not(a) => lower::<S>(a, handles).not(),
    }
}

/// `impl Lower for <source list>`, with the leaves the strategies generate
/// for it (each leaf variant lowered by the function of the same name).
macro_rules! lower {
    ($src:ty => $($variant:ident: $function:ident),+) => {
        impl Lower for $src {
            fn leaf(leaf: &Leaf, handles: &Handles) -> Filter<Self> {
                match leaf {
                    $(Leaf::$variant(inner) => $function(inner, handles),)+
                    #[allow(unreachable_patterns)]
                    other => unreachable!("not generated for this source: {other:?}"),
                }
            }
        }
    };
}

lower!((Invoice, ()) =>
    Invoice: invoice, InvoicesOfCustomers: invoices_of_customers);
lower!((Customer, ()) =>
    Customer: customer,
    CustomersWithInvoices: customers_with_invoices,
    CustomersNamedAfterPlans: customers_named_after_plans);
lower!((Plan, ()) => Plan: plan);
lower!((Customer, (Invoice, ())) =>
    Invoice: invoice,
    Customer: customer,
    InvoicesOfCustomers: invoices_of_customers,
    CustomersWithInvoices: customers_with_invoices,
    CustomersNamedAfterPlans: customers_named_after_plans);
lower!((Plan, (Invoice, ())) =>
    Invoice: invoice, Plan: plan, InvoicesOfCustomers: invoices_of_customers);
lower!((Plan, (Customer, (Invoice, ()))) =>
    Invoice: invoice,
    Customer: customer,
    Plan: plan,
    InvoicesOfCustomers: invoices_of_customers,
    CustomersWithInvoices: customers_with_invoices,
    CustomersNamedAfterPlans: customers_named_after_plans);

struct ReadShape<'a> {
    kind: ReadKind,
    filters: &'a [Tree],
    order: Option<bool>,
    limit: Option<u64>,
    offset: Option<u64>,
}

fn finish_read<S, I>(
    mut select: Select<'_, TenantScoped, Invoice, S>,
    shape: &ReadShape<'_>,
    handles: &Handles,
) -> Statement
where
    S: Lower + Contains<Invoice, I>,
{
    for filter in shape.filters {
        select = select.filter(lower(filter, handles));
    }
    if let Some(desc) = shape.order {
        select = select.order_by(if desc {
            Invoice::CREATED_AT.desc()
        } else {
            Invoice::AMOUNT_CENTS.asc()
        });
    }
    if let Some(limit) = shape.limit {
        select = select.limit(limit);
    }
    if let Some(offset) = shape.offset {
        select = select.offset(offset);
    }
    match shape.kind {
        ReadKind::Rows => select.build(),
        ReadKind::Columns => select.columns((Invoice::ID, Invoice::NOTE)).build(),
        ReadKind::Count => select.build_count(),
        ReadKind::Exists => select.build_exists(),
    }
    .expect("a statement of one tenant builds")
}

fn with_extra<S: Lower>(on: Filter<S>, extra: &Option<(bool, Tree)>, h: &Handles) -> Filter<S> {
    match extra {
        None => on,
        Some((false, tree)) => on.and(lower(tree, h)),
        Some((true, tree)) => on.or(lower(tree, h)),
    }
}

pub fn build(case: &Case) -> Statement {
    let tenant = TenantId::from_uuid(Uuid::from_u128(case.tenant));
    let db = match &case.schema {
        Some(schema) => TenantScoped::in_schema(tenant, schema).unwrap(),
        None => TenantScoped::shared(tenant),
    };
    let h = Handles {
        db,
        global: GlobalScope::new(),
    };
    let db = &h.db;
    match &case.operation {
        Operation::Read {
            kind,
            join,
            filters,
            order,
            limit,
            offset,
        } => {
            let shape = ReadShape {
                kind: *kind,
                filters,
                order: *order,
                limit: *limit,
                offset: *offset,
            };
            let select = db.select::<Invoice>();
            match join {
                Join::None => finish_read(select, &shape, &h),
                Join::Customer { left, extra } => {
                    let on = with_extra(Customer::ID.eq_column(Invoice::CUSTOMER_ID), extra, &h);
                    let select = if *left {
                        select.left_join::<Customer>(on)
                    } else {
                        select.inner_join::<Customer>(on)
                    };
                    finish_read(select, &shape, &h)
                }
                Join::Plan { left, on } => {
                    let on = lower(on, &h);
                    let select = if *left {
                        select.left_join::<Plan>(on)
                    } else {
                        select.inner_join::<Plan>(on)
                    };
                    finish_read(select, &shape, &h)
                }
                Join::CustomerAndPlan {
                    left_customer,
                    left_plan,
                    on,
                } => {
                    let customer_on = Customer::ID.eq_column(Invoice::CUSTOMER_ID);
                    let select = if *left_customer {
                        select.left_join::<Customer>(customer_on)
                    } else {
                        select.inner_join::<Customer>(customer_on)
                    };
                    let on = lower(on, &h);
                    let select = if *left_plan {
                        select.left_join::<Plan>(on)
                    } else {
                        select.inner_join::<Plan>(on)
                    };
                    finish_read(select, &shape, &h)
                }
            }
        }
        Operation::Update {
            sets,
            filters,
            returning,
        } => {
            let mut update = db.update::<Invoice>();
            for set in sets.clone() {
                update = match set {
                    Set::Amount(v) => update.set(Invoice::AMOUNT_CENTS, v),
                    Set::Paid(v) => update.set(Invoice::PAID, v),
                    Set::Note(v) => update.set(Invoice::NOTE, v),
                    Set::CustomerId(v) => update.set(Invoice::CUSTOMER_ID, Uuid::from_u128(v)),
                };
            }
            for filter in filters {
                update = update.filter(lower(filter, &h));
            }
            if *returning {
                update = update.returning();
            }
            update.build().expect("a statement of one tenant builds")
        }
        Operation::Delete { filters, returning } => {
            let mut delete = db.delete::<Invoice>();
            for filter in filters {
                delete = delete.filter(lower(filter, &h));
            }
            if *returning {
                delete = delete.returning();
            }
            delete.build().expect("a statement of one tenant builds")
        }
    }
}
