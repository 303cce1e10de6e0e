//! Typed value expressions over a row's own columns, for `UPDATE ... SET`.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait};

use crate::aggregate::Summable;
use crate::bind::OpenValues;
use crate::entity::Entity;
use crate::{Column, SqlValue};

/// An expression of type `T` over the columns of entity `E`: a column
/// (`Task::ESTIMATE`), or arithmetic on one (`Task::POSITION.add(1)`).
pub struct ValueExpr<E, T> {
    pub(crate) expr: Expr,
    pub(crate) open: OpenValues,
    _types: PhantomData<fn() -> (E, T)>,
}

impl<E: Entity, T> From<Column<E, T>> for ValueExpr<E, T> {
    fn from(column: Column<E, T>) -> Self {
        Self::new(column.expr(), OpenValues::default())
    }
}

impl<E, T> ValueExpr<E, T> {
    fn new(expr: Expr, open: OpenValues) -> Self {
        Self {
            expr,
            open,
            _types: PhantomData,
        }
    }
}

impl<E: Entity, T: SqlValue + Summable> ValueExpr<E, T> {
    fn arithmetic(mut self, value: T, op: fn(Expr, Expr) -> Expr) -> Self {
        let value = self.open.expr(value.into_bind());
        Self::new(op(self.expr, value), self.open)
    }

    /// `expr + value`, of a numeric column.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, value: impl Into<T>) -> Self {
        self.arithmetic(value.into(), ExprTrait::add)
    }

    /// `expr - value`, of a numeric column.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, value: impl Into<T>) -> Self {
        self.arithmetic(value.into(), ExprTrait::sub)
    }

    /// `expr * value`, of a numeric column.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, value: impl Into<T>) -> Self {
        self.arithmetic(value.into(), ExprTrait::mul)
    }
}

impl<E: Entity, T: SqlValue + Summable> Column<E, T> {
    /// `column + value`, of a numeric column: for `Update::set_expr`, whose
    /// example shows it.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, value: impl Into<T>) -> ValueExpr<E, T> {
        ValueExpr::from(self).add(value)
    }

    /// `column - value`, of a numeric column: for `Update::set_expr`.
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let update = acme.update::<Task>().set_expr(Task::HOURS, Task::HOURS.sub(1).mul(2)).build().unwrap();
    /// assert_eq!(
    ///     update.sql(),
    ///     r#"UPDATE "public"."tasks" SET "hours" = ("tasks"."hours" - $1) * $2 WHERE "tasks"."tenant_id" = $3"#
    /// );
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, value: impl Into<T>) -> ValueExpr<E, T> {
        ValueExpr::from(self).sub(value)
    }

    /// `column * value`, of a numeric column: for `Update::set_expr` (see
    /// [`Column::sub`] for the SQL).
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, value: impl Into<T>) -> ValueExpr<E, T> {
        ValueExpr::from(self).mul(value)
    }
}

impl<E, T> std::fmt::Debug for ValueExpr<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValueExpr").field(&self.expr).finish()
    }
}
