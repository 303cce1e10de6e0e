//! Scoped DELETE statements.

use std::marker::PhantomData;

use sea_query::{DeleteStatement, Query};

use crate::bind::OpenValues;
use crate::entity::Entity;
use crate::filter::Filter;
use crate::returning::{entity_columns, write_terminals};
use crate::scope::{Context, ForeignSubquery};
use crate::{Error, Operation, Statement};

/// A DELETE of entity `E`, built by handle `K`; only the handle's tenant's
/// rows are deleted.
pub struct Delete<'s, K, E> {
    context: &'s K,
    statement: DeleteStatement,
    returning: bool,
    foreign: ForeignSubquery,
    open: OpenValues,
    _entity: PhantomData<fn() -> E>,
}

impl<'s, K: Context, E: Entity> Delete<'s, K, E> {
    pub(crate) fn new(context: &'s K) -> Self {
        let scope = context.scope();
        let mut statement = Query::delete();
        statement.from_table(scope.table::<E>());
        if let Some(tenant) = scope.tenant_condition::<E>() {
            statement.and_where(tenant);
        }
        Self {
            context,
            statement,
            returning: false,
            foreign: ForeignSubquery::default(),
            open: OpenValues::default(),
            _entity: PhantomData,
        }
    }

    /// Deletes only the rows matching `filter` (ANDed with earlier filters).
    pub fn filter(mut self, filter: Filter<(E, ())>) -> Self {
        self.foreign
            .check(self.context.scope(), filter.subquery_scopes);
        self.open.extend(filter.open);
        self.statement.and_where(filter.expr);
        self
    }

    /// Adds `RETURNING` every column, so the deleted rows come back as `E`.
    pub fn returning(mut self) -> Self {
        if !self.returning {
            self.returning = true;
            self.statement.returning(entity_columns::<E>());
        }
        self
    }

    /// The SQL and bind values of this DELETE.
    pub fn build(&self) -> Result<Statement, Error> {
        self.foreign.verdict(self.context.scope())?;
        Statement::render(
            &self.statement,
            E::TABLE,
            Operation::Delete,
            self.context.scope(),
            &self.open,
        )
    }
}

write_terminals!(Delete);

impl<K, E: Entity> std::fmt::Debug for Delete<'_, K, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delete")
            .field("table", &E::TABLE)
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}
