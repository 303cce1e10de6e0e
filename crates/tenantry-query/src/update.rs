//! Scoped UPDATE statements.

use std::marker::PhantomData;

use sea_query::{Query, UpdateStatement};

use crate::bind::OpenValues;
use crate::entity::{Entity, EntityKind};
use crate::filter::Filter;
use crate::returning::{entity_columns, write_terminals};
use crate::scope::{Context, ForeignSubquery};
use crate::{Column, Error, Operation, SqlValue, Statement, ValueExpr};

/// An UPDATE of entity `E`, built by handle `K`. Only the handle's tenant's
/// rows are updated, and the tenant column cannot be set (it is not a
/// [`SqlValue`]), so a row can never be moved to another tenant.
pub struct Update<'s, K, E> {
    context: &'s K,
    /// Boxed: every chained call (`set`, `filter`) moves the builder, and a
    /// pointer is much cheaper to move than the ~570-byte statement.
    statement: Box<UpdateStatement>,
    assignments: usize,
    tenant_column_set: bool,
    returning: bool,
    foreign: ForeignSubquery,
    open: OpenValues,
    _entity: PhantomData<fn() -> E>,
}

impl<'s, K: Context, E: Entity> Update<'s, K, E> {
    pub(crate) fn new(context: &'s K) -> Self {
        let scope = context.scope();
        let mut statement = Box::new(Query::update());
        statement.table(scope.table::<E>());
        if let Some(tenant) = scope.tenant_condition::<E>() {
            statement.and_where(tenant);
        }
        Self {
            context,
            statement,
            assignments: 0,
            tenant_column_set: false,
            returning: false,
            foreign: ForeignSubquery::default(),
            open: OpenValues::default(),
            _entity: PhantomData,
        }
    }

    /// `SET column = value`.
    pub fn set<T: SqlValue>(mut self, column: Column<E, T>, value: impl Into<T>) -> Self {
        let value = self.open.expr(value.into().into_bind());
        self.assign(column.name(), value)
    }

    fn assign(mut self, column: &'static str, value: sea_query::Expr) -> Self {
        if let EntityKind::TenantScoped { tenant_column } = E::KIND {
            // Only a hand-made handle can name it: refuse to move rows.
            self.tenant_column_set |= column == tenant_column;
        }
        self.statement.value(column, value);
        self.assignments += 1;
        self
    }

    /// `SET column = expression`, an expression over the row's own columns
    /// (`Task::POSITION.add(1)`, or another column of the same type).
    ///
    /// ```
    /// # use tenantry_query::{Column, Entity, EntityKind, Error, RowReader, TenantScoped, TenantEntity, TenantId};
    /// # struct Task; impl Entity for Task { const TABLE: &'static str = "tasks"; const KIND: EntityKind = EntityKind::TenantScoped { tenant_column: "tenant_id" }; const COLUMNS: &'static [&'static str] = &["id"]; const PRIMARY_KEY: &'static [&'static str] = &["id"]; fn from_row<R: RowReader>(_: &R, _: usize) -> Result<Self, Error> { Ok(Task) } }
    /// # impl TenantEntity for Task { const TENANT_COLUMN: &'static str = "tenant_id"; }
    /// # impl Task { const POSITION: Column<Task, i32> = Column::new("position"); const ESTIMATE: Column<Task, i32> = Column::new("estimate"); const SPENT: Column<Task, i32> = Column::new("spent"); }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let shift = acme
    ///     .update::<Task>()
    ///     .set_expr(Task::POSITION, Task::POSITION.add(1))
    ///     .set_expr(Task::ESTIMATE, Task::SPENT)
    ///     .filter(Task::POSITION.ge(3))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     shift.sql(),
    ///     r#"UPDATE "public"."tasks" SET "position" = "tasks"."position" + $1, "estimate" = "tasks"."spent" WHERE "tasks"."tenant_id" = $2 AND "tasks"."position" >= $3"#
    /// );
    /// ```
    pub fn set_expr<T: SqlValue>(
        mut self,
        column: Column<E, T>,
        value: impl Into<ValueExpr<E, T>>,
    ) -> Self {
        let value = value.into();
        self.open.extend(value.open);
        self.assign(column.name(), value.expr)
    }

    /// Updates only the rows matching `filter` (ANDed with earlier filters).
    pub fn filter(mut self, filter: Filter<(E, ())>) -> Self {
        self.foreign
            .check(self.context.scope(), filter.subquery_scopes);
        self.open.extend(filter.open);
        self.statement.and_where(filter.expr);
        self
    }

    /// Adds `RETURNING` every column, so the updated rows come back as `E`.
    pub fn returning(mut self) -> Self {
        if !self.returning {
            self.returning = true;
            self.statement.returning(entity_columns::<E>());
        }
        self
    }

    /// The SQL and bind values of this UPDATE.
    pub fn build(&self) -> Result<Statement, Error> {
        if self.assignments == 0 {
            return Err(Error::EmptyUpdate { table: E::TABLE });
        }
        if let (true, EntityKind::TenantScoped { tenant_column }) =
            (self.tenant_column_set, E::KIND)
        {
            return Err(Error::TenantColumnSet {
                table: E::TABLE,
                column: tenant_column,
            });
        }
        self.foreign.verdict(self.context.scope())?;
        Statement::render(
            &*self.statement,
            E::TABLE,
            Operation::Update,
            self.context.scope(),
            &self.open,
        )
    }
}

write_terminals!(Update);

impl<K, E: Entity> std::fmt::Debug for Update<'_, K, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("table", &E::TABLE)
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}
