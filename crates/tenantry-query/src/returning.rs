//! What INSERT, UPDATE and DELETE share: `RETURNING` the entity, and the
//! terminal methods that run them.

use sea_query::{Query, ReturningClause};

use crate::entity::Entity;

/// `RETURNING` every column of `E`, in field order (the order `from_row` reads).
pub(crate) fn entity_columns<E: Entity>() -> ReturningClause {
    Query::returning().columns(E::COLUMNS.iter().map(|column| (E::TABLE, *column)))
}

/// The terminal methods of a write statement `$builder<'s, K, E>` that has
/// `fn build(&self)` and `fn returning(self)`.
macro_rules! write_terminals {
    ($builder:ident) => {
        impl<'s, K, E> $builder<'s, K, E>
        where
            K: $crate::scope::Context,
            K::Executor: $crate::executor::Executor,
            E: $crate::entity::Entity,
        {
            /// Runs the statement and returns how many rows it affected.
            pub async fn exec(
                self,
            ) -> Result<u64, <K::Executor as $crate::executor::Executor>::Error> {
                $crate::executor::execute(self.context.executor(), self.build()).await
            }

            /// Runs the statement and returns every affected row.
            pub async fn all(
                self,
            ) -> Result<Vec<E>, <K::Executor as $crate::executor::Executor>::Error> {
                let statement = self.returning();
                $crate::executor::fetch_all(
                    statement.context.executor(),
                    statement.build(),
                    |row| E::from_row(row, 0),
                )
                .await
            }

            /// Runs the statement and returns the one row it affected; none or
            /// several is an error.
            pub async fn one(
                self,
            ) -> Result<E, <K::Executor as $crate::executor::Executor>::Error> {
                let statement = self.returning();
                $crate::executor::fetch_one(
                    statement.context.executor(),
                    statement.build(),
                    |row| E::from_row(row, 0),
                )
                .await
            }

            /// Runs the statement and returns the row it affected, if any;
            /// several is an error.
            pub async fn optional(
                self,
            ) -> Result<Option<E>, <K::Executor as $crate::executor::Executor>::Error> {
                let statement = self.returning();
                $crate::executor::fetch_optional(
                    statement.context.executor(),
                    statement.build(),
                    |row| E::from_row(row, 0),
                )
                .await
            }
        }
    };
}

pub(crate) use write_terminals;
