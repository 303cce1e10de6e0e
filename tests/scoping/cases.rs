//! The random statements: a model of filter trees, join shapes and
//! operations, and the strategies that generate it.

use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub enum InvoiceCond {
    Amount(Cmp, i64),
    AmountIn(Vec<i64>, bool),
    Paid(Cmp, bool),
    Note(Cmp, String),
    NoteLike(String),
    NoteIn(Vec<Option<String>>, bool),
    NoteNull(bool),
    CustomerId(Cmp, u128),
    CreatedAt(Cmp, i64),
}

#[derive(Debug, Clone)]
pub enum CustomerCond {
    Id(Cmp, u128),
    Name(Cmp, String),
    NameLike(String),
    NameIn(Vec<String>, bool),
    EmailLike(String),
    EmailNull(bool),
}

#[derive(Debug, Clone)]
pub enum PlanCond {
    Id(Cmp, String),
    Seats(Cmp, i32),
    SeatsIn(Vec<i32>, bool),
    Price(Cmp, f64),
}

#[derive(Debug, Clone)]
pub enum Leaf {
    Invoice(InvoiceCond),
    Customer(CustomerCond),
    Plan(PlanCond),
    /// `invoices.customer_id IN (SELECT customers.id … WHERE tree)`.
    InvoicesOfCustomers(Box<Tree>),
    /// `customers.id IN (SELECT invoices.customer_id … WHERE tree)`.
    CustomersWithInvoices(Box<Tree>),
    /// `customers.name IN (SELECT plans.id FROM shared.plans WHERE tree)`, a
    /// global subquery.
    CustomersNamedAfterPlans(Box<Tree>),
}

#[derive(Debug, Clone)]
pub enum Tree {
    Leaf(Leaf),
    And(Box<Tree>, Box<Tree>),
    Or(Box<Tree>, Box<Tree>),
    Not(Box<Tree>),
}

#[derive(Debug, Clone)]
pub enum Join {
    None,
    /// Customers joined on their id, the condition optionally ANDed (false)
    /// or ORed (true) with a tree.
    Customer {
        left: bool,
        extra: Option<(bool, Tree)>,
    },
    /// The global plans joined on a tree over plans.
    Plan {
        left: bool,
        on: Tree,
    },
    /// Customers, then plans.
    CustomerAndPlan {
        left_customer: bool,
        left_plan: bool,
        on: Tree,
    },
}

#[derive(Debug, Clone, Copy)]
pub enum ReadKind {
    Rows,
    Columns,
    Count,
    Exists,
}

#[derive(Debug, Clone)]
pub enum Set {
    Amount(i64),
    Paid(bool),
    Note(Option<String>),
    CustomerId(u128),
}

#[derive(Debug, Clone)]
pub enum Operation {
    Read {
        kind: ReadKind,
        join: Join,
        filters: Vec<Tree>,
        order: Option<bool>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    Update {
        sets: Vec<Set>,
        filters: Vec<Tree>,
        returning: bool,
    },
    Delete {
        filters: Vec<Tree>,
        returning: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Case {
    pub tenant: u128,
    pub schema: Option<String>,
    pub operation: Operation,
}

// Strategies.

/// Which entities a filter tree may mention.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    invoice: bool,
    customer: bool,
    plan: bool,
}

pub const INVOICE: Allowed = Allowed {
    invoice: true,
    customer: false,
    plan: false,
};
pub const CUSTOMER: Allowed = Allowed {
    invoice: false,
    customer: true,
    plan: false,
};
pub const PLAN: Allowed = Allowed {
    invoice: false,
    customer: false,
    plan: true,
};

/// Every generated text starts with `~`, which the builder never emits: a
/// `~` in the SQL would be a value spliced into it.
pub fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 '\";%_()$\\\\-]{0,16}",
        Just("' OR '1'='1".to_owned()),
        Just("\"; DROP TABLE invoices; --".to_owned()),
        Just("$1".to_owned()),
        Just("\"invoices\".\"tenant_id\" = $1 OR 1=1".to_owned()),
        Just("%_\\%".to_owned()),
        Just("') UNION SELECT * FROM customers --".to_owned()),
    ]
    .prop_map(|s| format!("~{s}"))
}

pub fn cmp() -> impl Strategy<Value = Cmp> {
    prop::sample::select(vec![Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge])
}

pub fn invoice_cond() -> impl Strategy<Value = InvoiceCond> {
    prop_oneof![
        (cmp(), any::<i64>()).prop_map(|(c, v)| InvoiceCond::Amount(c, v)),
        (prop::collection::vec(any::<i64>(), 0..4), any::<bool>())
            .prop_map(|(v, not)| InvoiceCond::AmountIn(v, not)),
        (cmp(), any::<bool>()).prop_map(|(c, v)| InvoiceCond::Paid(c, v)),
        (cmp(), garbage()).prop_map(|(c, v)| InvoiceCond::Note(c, v)),
        garbage().prop_map(InvoiceCond::NoteLike),
        (
            prop::collection::vec(prop::option::of(garbage()), 0..4),
            any::<bool>()
        )
            .prop_map(|(v, not)| InvoiceCond::NoteIn(v, not)),
        any::<bool>().prop_map(InvoiceCond::NoteNull),
        (cmp(), any::<u128>()).prop_map(|(c, v)| InvoiceCond::CustomerId(c, v)),
        (cmp(), 0..4_000_000_000i64).prop_map(|(c, v)| InvoiceCond::CreatedAt(c, v)),
    ]
}

pub fn customer_cond() -> impl Strategy<Value = CustomerCond> {
    prop_oneof![
        (cmp(), any::<u128>()).prop_map(|(c, v)| CustomerCond::Id(c, v)),
        (cmp(), garbage()).prop_map(|(c, v)| CustomerCond::Name(c, v)),
        garbage().prop_map(CustomerCond::NameLike),
        (prop::collection::vec(garbage(), 0..4), any::<bool>())
            .prop_map(|(v, not)| CustomerCond::NameIn(v, not)),
        garbage().prop_map(CustomerCond::EmailLike),
        any::<bool>().prop_map(CustomerCond::EmailNull),
    ]
}

pub fn plan_cond() -> impl Strategy<Value = PlanCond> {
    prop_oneof![
        (cmp(), garbage()).prop_map(|(c, v)| PlanCond::Id(c, v)),
        (cmp(), any::<i32>()).prop_map(|(c, v)| PlanCond::Seats(c, v)),
        (prop::collection::vec(any::<i32>(), 0..4), any::<bool>())
            .prop_map(|(v, not)| PlanCond::SeatsIn(v, not)),
        (cmp(), -1.0e6..1.0e6f64).prop_map(|(c, v)| PlanCond::Price(c, v)),
    ]
}

/// The leaves over `allowed`; subqueries nest at most `nesting` deep.
pub fn leaf(allowed: Allowed, nesting: u32) -> BoxedStrategy<Leaf> {
    let mut leaves: Vec<BoxedStrategy<Leaf>> = Vec::new();
    if allowed.invoice {
        leaves.push(invoice_cond().prop_map(Leaf::Invoice).boxed());
        if nesting > 0 {
            leaves.push(
                tree(CUSTOMER, nesting - 1)
                    .prop_map(|t| Leaf::InvoicesOfCustomers(Box::new(t)))
                    .boxed(),
            );
        }
    }
    if allowed.customer {
        leaves.push(customer_cond().prop_map(Leaf::Customer).boxed());
        if nesting > 0 {
            leaves.push(
                tree(INVOICE, nesting - 1)
                    .prop_map(|t| Leaf::CustomersWithInvoices(Box::new(t)))
                    .boxed(),
            );
            leaves.push(
                tree(PLAN, nesting - 1)
                    .prop_map(|t| Leaf::CustomersNamedAfterPlans(Box::new(t)))
                    .boxed(),
            );
        }
    }
    if allowed.plan {
        leaves.push(plan_cond().prop_map(Leaf::Plan).boxed());
    }
    prop::strategy::Union::new(leaves).boxed()
}

/// A random AND/OR/NOT tree over the leaves of `allowed`.
pub fn tree(allowed: Allowed, nesting: u32) -> BoxedStrategy<Tree> {
    leaf(allowed, nesting)
        .prop_map(Tree::Leaf)
        .prop_recursive(4, 16, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::And(a.into(), b.into())),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Or(a.into(), b.into())),
                inner.prop_map(|t| Tree::Not(t.into())),
            ]
        })
        .boxed()
}

pub fn join() -> impl Strategy<Value = Join> {
    let customer_and_invoice = Allowed {
        invoice: true,
        customer: true,
        plan: false,
    };
    prop_oneof![
        Just(Join::None),
        (
            any::<bool>(),
            prop::option::of((any::<bool>(), tree(customer_and_invoice, 1)))
        )
            .prop_map(|(left, extra)| Join::Customer { left, extra }),
        (any::<bool>(), tree(PLAN, 0)).prop_map(|(left, on)| Join::Plan { left, on }),
        (any::<bool>(), any::<bool>(), tree(PLAN, 0)).prop_map(|(left_customer, left_plan, on)| {
            Join::CustomerAndPlan {
                left_customer,
                left_plan,
                on,
            }
        }),
    ]
}

impl Join {
    /// The entities a WHERE filter may mention after this join.
    fn allowed(&self) -> Allowed {
        match self {
            Join::None => INVOICE,
            Join::Customer { .. } => Allowed {
                invoice: true,
                customer: true,
                plan: false,
            },
            Join::Plan { .. } => Allowed {
                invoice: true,
                customer: false,
                plan: true,
            },
            Join::CustomerAndPlan { .. } => Allowed {
                invoice: true,
                customer: true,
                plan: true,
            },
        }
    }
}

pub fn read() -> impl Strategy<Value = Operation> {
    join().prop_flat_map(|join| {
        let allowed = join.allowed();
        (
            prop::sample::select(vec![
                ReadKind::Rows,
                ReadKind::Columns,
                ReadKind::Count,
                ReadKind::Exists,
            ]),
            Just(join),
            prop::collection::vec(tree(allowed, 2), 0..3),
            prop::option::of(any::<bool>()),
            prop::option::of(0..1000u64),
            prop::option::of(0..1000u64),
        )
            .prop_map(
                |(kind, join, filters, order, limit, offset)| Operation::Read {
                    kind,
                    join,
                    filters,
                    order,
                    limit,
                    offset,
                },
            )
    })
}

pub fn set() -> impl Strategy<Value = Set> {
    prop_oneof![
        any::<i64>().prop_map(Set::Amount),
        any::<bool>().prop_map(Set::Paid),
        prop::option::of(garbage()).prop_map(Set::Note),
        any::<u128>().prop_map(Set::CustomerId),
    ]
}

pub fn operation() -> impl Strategy<Value = Operation> {
    let filters = || prop::collection::vec(tree(INVOICE, 2), 0..3);
    prop_oneof![
        3 => read(),
        1 => (prop::collection::vec(set(), 1..4), filters(), any::<bool>()).prop_map(
            |(sets, filters, returning)| Operation::Update {
                sets,
                filters,
                returning,
            }
        ),
        1 => (filters(), any::<bool>())
            .prop_map(|(filters, returning)| Operation::Delete { filters, returning }),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        any::<u128>(),
        prop::option::of("tenant_[a-z0-9_]{1,20}"),
        operation(),
    )
        .prop_map(|(tenant, schema, operation)| Case {
            tenant,
            schema,
            operation,
        })
}
