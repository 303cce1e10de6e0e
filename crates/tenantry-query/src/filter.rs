//! Conditions and orderings over the entities of a statement.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Order};

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
