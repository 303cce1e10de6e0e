//! Scoped INSERT statements, single and multi-row, with upserts.

use std::marker::PhantomData;

use sea_query::{Expr, InsertStatement, OnConflict, Query};

use crate::bind::OpenValues;
use crate::entity::{Entity, EntityKind, Insertable};
use crate::returning::{entity_columns, write_terminals};
use crate::scope::Context;
use crate::{Column, Error, Operation, SqlValue, Statement};

/// An INSERT into entity `E`'s table, built by handle `K`. For a tenant-scoped
/// entity the tenant column is always the first column and always the scope's
/// tenant: the rows have no way to set it.
pub struct Insert<'s, K, E> {
    context: &'s K,
    statement: InsertStatement,
    rows: usize,
    returning: bool,
    tenant_column_set: bool,
    open: OpenValues,
    _entity: PhantomData<fn() -> E>,
}

impl<'s, K: Context, E: Entity> Insert<'s, K, E> {
    pub(crate) fn new<N>(context: &'s K, rows: impl IntoIterator<Item = N>) -> Self
    where
        N: Insertable<Entity = E>,
    {
        let scope = context.scope();
        let tenant = match E::KIND {
            EntityKind::TenantScoped { tenant_column } => scope
                .tenant()
                .map(|tenant| (tenant_column, tenant.as_uuid())),
            EntityKind::Global { .. } => None,
        };
        let mut statement = Query::insert();
        statement.into_table(scope.table::<E>());
        statement.columns(
            tenant
                .map(|(column, _)| column)
                .into_iter()
                .chain(N::COLUMNS.iter().copied()),
        );
        let mut count = 0;
        let mut open = OpenValues::default();
        for row in rows {
            let values: Vec<Expr> = row.into_values().map(|bind| open.expr(bind)).collect();
            match tenant {
                Some((_, tenant)) => {
                    statement.values_panic(std::iter::once(Expr::val(tenant)).chain(values))
                }
                None => statement.values_panic(values),
            };
            count += 1;
        }
        let tenant_column_set = tenant.is_some_and(|(column, _)| N::COLUMNS.contains(&column));
        Self {
            context,
            statement,
            rows: count,
            returning: false,
            tenant_column_set,
            open,
            _entity: PhantomData,
        }
    }

    /// On a conflict over the key (the tenant column plus the primary key),
    /// updates `columns` from the proposed row: an upsert. The conflicting row
    /// is always the same tenant's, since the key includes the tenant column.
    pub fn on_conflict_update(self, columns: impl ColumnNames<E>) -> Self {
        self.on_conflict_key_update(PrimaryKey, columns)
    }

    /// Like [`Insert::on_conflict_update`] with another unique key; the tenant
    /// column is added to it.
    pub fn on_conflict_key_update(
        mut self,
        key: impl ColumnNames<E>,
        columns: impl ColumnNames<E>,
    ) -> Self {
        let mut conflict = OnConflict::columns(conflict_key::<E>(key));
        conflict.update_columns(columns.names());
        self.statement.on_conflict(conflict);
        self
    }

    /// On a conflict over the key (tenant column plus primary key), skips the row.
    pub fn on_conflict_do_nothing(mut self) -> Self {
        let mut conflict = OnConflict::columns(conflict_key::<E>(PrimaryKey));
        conflict.do_nothing();
        self.statement.on_conflict(conflict);
        self
    }

    /// Adds `RETURNING` every column, so the inserted rows come back as `E`.
    pub fn returning(mut self) -> Self {
        if !self.returning {
            self.returning = true;
            self.statement.returning(entity_columns::<E>());
        }
        self
    }

    /// The SQL and bind values of this INSERT.
    pub fn build(&self) -> Result<Statement, Error> {
        if self.rows == 0 {
            return Err(Error::EmptyInsert { table: E::TABLE });
        }
        if self.tenant_column_set {
            if let EntityKind::TenantScoped { tenant_column } = E::KIND {
                return Err(Error::TenantColumnSet {
                    table: E::TABLE,
                    column: tenant_column,
                });
            }
        }
        Statement::render(
            &self.statement,
            E::TABLE,
            Operation::Insert,
            self.context.scope(),
            &self.open,
        )
    }
}

write_terminals!(Insert);

/// The conflict key: the tenant column (for tenant-scoped entities) followed by
/// `key`'s columns, without repeats.
fn conflict_key<E: Entity>(key: impl ColumnNames<E>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = match E::KIND {
        EntityKind::TenantScoped { tenant_column } => vec![tenant_column],
        EntityKind::Global { .. } => Vec::new(),
    };
    for name in key.names() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// One or more columns of entity `E` named in an upsert; the tenant column is
/// not one of them (it is not a [`SqlValue`]).
pub trait ColumnNames<E> {
    /// The column names.
    fn names(&self) -> impl Iterator<Item = &'static str>;
}

/// The entity's primary key, as a conflict key.
#[derive(Debug, Clone, Copy)]
pub struct PrimaryKey;

impl<E: Entity> ColumnNames<E> for PrimaryKey {
    fn names(&self) -> impl Iterator<Item = &'static str> {
        E::PRIMARY_KEY.iter().copied()
    }
}

impl<E, T: SqlValue> ColumnNames<E> for Column<E, T> {
    fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name())
    }
}

macro_rules! column_names_tuple {
    ($($name:ident),+) => {
        impl<E, $($name: ColumnNames<E>),+> ColumnNames<E> for ($($name,)+) {
            fn names(&self) -> impl Iterator<Item = &'static str> {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                std::iter::empty()$(.chain($name.names()))+
            }
        }
    };
}

column_names_tuple!(A);
column_names_tuple!(A, B);
column_names_tuple!(A, B, C);
column_names_tuple!(A, B, C, D);
column_names_tuple!(A, B, C, D, F);
column_names_tuple!(A, B, C, D, F, G);
column_names_tuple!(A, B, C, D, F, G, H);
column_names_tuple!(A, B, C, D, F, G, H, J);

impl<K, E: Entity> std::fmt::Debug for Insert<'_, K, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Insert")
            .field("table", &E::TABLE)
            .field("rows", &self.rows)
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}
