//! Conditions and orderings over the entities of a statement.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Order};

use crate::Select;
use crate::entity::Entity;
use crate::scope::Context;
use crate::source::CorrelatedIn;

use crate::bind::OpenValues;
use crate::scope::Scope;

/// A boolean condition over the entities in the source list `Src` of a
/// statement. Built from typed columns (`Invoice::AMOUNT_CENTS.gt(100)`); the
/// source list is inferred from the statement it is given to, and a column of
/// an entity that is not in the statement is a compile error.
pub struct Filter<Src> {
    pub(crate) expr: Expr,
    /// Scopes of the subqueries inside, checked against the statement's own.
    pub(crate) subquery_scopes: Vec<Scope>,
    /// Values bound by their own `ToSql`, carried into the statement.
    pub(crate) open: OpenValues,
    _src: PhantomData<fn() -> Src>,
}

impl<Src> Filter<Src> {
    pub(crate) fn new(expr: Expr) -> Self {
        Self::with_parts(expr, Vec::new(), OpenValues::default())
    }

    pub(crate) fn with_parts(expr: Expr, subquery_scopes: Vec<Scope>, open: OpenValues) -> Self {
        Self {
            expr,
            subquery_scopes,
            open,
            _src: PhantomData,
        }
    }

    /// `EXISTS (subquery)`: the subquery returns a row. It is built by the same
    /// handle (or the global one; building fails otherwise), so it is
    /// constrained to the same tenant; `.correlate::<O>()` lets it name the
    /// outer statement's `O`.
    ///
    /// ```
    /// # use tenantry_query::{Column, Entity, EntityKind, Error, Filter, RowReader, TenantScoped, TenantEntity, TenantId};
    /// # macro_rules! entity { ($t:ident, $table:literal) => { struct $t; impl Entity for $t { const TABLE: &'static str = $table; const KIND: EntityKind = EntityKind::TenantScoped { tenant_column: "tenant_id" }; const COLUMNS: &'static [&'static str] = &["id"]; const PRIMARY_KEY: &'static [&'static str] = &["id"]; fn from_row<R: RowReader>(_: &R, _: usize) -> Result<Self, Error> { Ok($t) } } impl TenantEntity for $t { const TENANT_COLUMN: &'static str = "tenant_id"; } } }
    /// # entity!(Project, "projects"); entity!(Task, "tasks");
    /// # impl Project { const ID: Column<Project, i64> = Column::new("id"); }
    /// # impl Task { const PROJECT_ID: Column<Task, i64> = Column::new("project_id"); const DONE: Column<Task, bool> = Column::new("done"); }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let open_tasks = acme
    ///     .select::<Task>()
    ///     .correlate::<Project>()
    ///     .filter(Task::PROJECT_ID.eq_column(Project::ID).and(Task::DONE.eq(false)));
    /// let busy = acme.select::<Project>().filter(Filter::exists(open_tasks)).build().unwrap();
    /// assert_eq!(
    ///     busy.sql(),
    ///     r#"SELECT "projects"."id" FROM "public"."projects" WHERE "projects"."tenant_id" = $1 AND EXISTS(SELECT 1 FROM "public"."tasks" WHERE "tasks"."tenant_id" = $2 AND ("tasks"."project_id" = "projects"."id" AND "tasks"."done" = $3))"#
    /// );
    /// ```
    pub fn exists<K, E, Src2, Sel, I>(subquery: Select<'_, K, E, Src2, Sel>) -> Self
    where
        K: Context,
        E: Entity,
        Src2: CorrelatedIn<Src, I>,
    {
        let (mut statement, scopes, open) = subquery.into_subquery();
        statement.clear_selects().expr(Expr::cust("1"));
        Self::with_parts(Expr::exists(statement), scopes, open)
    }

    /// `NOT EXISTS (subquery)`: the subquery returns no row; see [`Filter::exists`].
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let long = acme.select::<Task>().filter(Task::HOURS.gt(40));
    /// let sql = acme.select::<Task>().filter(Filter::not_exists(long)).build().unwrap().sql().to_owned();
    /// assert!(sql.ends_with(r#"WHERE "tasks"."tenant_id" = $1 AND (NOT EXISTS(SELECT 1 FROM "public"."tasks" WHERE "tasks"."tenant_id" = $2 AND "tasks"."hours" > $3))"#), "{sql}");
    /// ```
    pub fn not_exists<K, E, Src2, Sel, I>(subquery: Select<'_, K, E, Src2, Sel>) -> Self
    where
        K: Context,
        E: Entity,
        Src2: CorrelatedIn<Src, I>,
    {
        Self::exists(subquery).not()
    }

    /// Both conditions hold.
    pub fn and(self, other: Filter<Src>) -> Self {
        self.combine(other, ExprTrait::and)
    }

    /// At least one condition holds.
    pub fn or(self, other: Filter<Src>) -> Self {
        self.combine(other, ExprTrait::or)
    }

    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Self::with_parts(self.expr.not(), self.subquery_scopes, self.open)
    }

    fn combine(mut self, other: Filter<Src>, op: fn(Expr, Expr) -> Expr) -> Self {
        self.subquery_scopes.extend(other.subquery_scopes);
        self.open.extend(other.open);
        Self::with_parts(op(self.expr, other.expr), self.subquery_scopes, self.open)
    }
}

/// An ORDER BY term over the entities in `Src`: `Invoice::CREATED_AT.desc()`.
pub struct Ordering<Src> {
    pub(crate) expr: Expr,
    pub(crate) order: Order,
    _src: PhantomData<fn() -> Src>,
}

impl<Src> Ordering<Src> {
    pub(crate) fn new(expr: Expr, order: Order) -> Self {
        Self {
            expr,
            order,
            _src: PhantomData,
        }
    }
}

impl<Src> std::fmt::Debug for Filter<Src> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("expr", &self.expr)
            .finish_non_exhaustive()
    }
}

impl<Src> std::fmt::Debug for Ordering<Src> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ordering")
            .field("expr", &self.expr)
            .field("order", &self.order)
            .finish()
    }
}
