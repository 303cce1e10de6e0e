//! What a SELECT returns: whole entities, or a typed list of columns.

use std::marker::PhantomData;

use postgres_types::FromSql;
use sea_query::{Expr, SelectStatement};

use crate::entity::{Entity, RowReader, read_column};
use crate::source::Contains;
use crate::{Column, Error};

/// The result shape of a SELECT: which columns it reads and how a row becomes
/// a Rust value.
pub trait Selection: Send + 'static {
    /// One decoded row.
    type Output: Send;

    /// Reads one row.
    fn decode<R: RowReader>(row: &R) -> Result<Self::Output, Error>;
}

/// Selects whole entities `E` (every column, in field order).
pub struct Rows<E>(PhantomData<fn() -> E>);

impl<E: Entity> Selection for Rows<E> {
    type Output = E;

    fn decode<R: RowReader>(row: &R) -> Result<E, Error> {
        E::from_row(row, 0)
    }
}

/// Selects whole `E` rows and the whole `C` rows joined to them, as `(E, C)`.
pub struct Joined<E, C>(PhantomData<fn() -> (E, C)>);

impl<E: Entity, C: Entity> Selection for Joined<E, C> {
    type Output = (E, C);

    fn decode<R: RowReader>(row: &R) -> Result<(E, C), Error> {
        Ok((E::from_row(row, 0)?, C::from_row(row, E::COLUMNS.len())?))
    }
}

/// Selects whole `E` rows and the `C` rows left-joined to them, as
/// `(E, Option<C>)`: `None` where no `C` row matched (told by a flag column
/// before `C`'s, whether its first primary-key column, never NULL in a
/// stored row, is present).
pub struct LeftJoined<E, C>(PhantomData<fn() -> (E, C)>);

impl<E: Entity, C: Entity> Selection for LeftJoined<E, C> {
    type Output = (E, Option<C>);

    fn decode<R: RowReader>(row: &R) -> Result<(E, Option<C>), Error> {
        let flag = E::COLUMNS.len();
        let matched: bool = read_column(row, C::TABLE, flag)?;
        let joined = match matched {
            true => Some(C::from_row(row, flag + 1)?),
            false => None,
        };
        Ok((E::from_row(row, 0)?, joined))
    }
}

/// Selects the columns of the list `L` (a column or a tuple of columns).
pub struct Picked<L>(PhantomData<fn() -> L>);

impl<L: ColumnList> Selection for Picked<L> {
    type Output = L::Output;

    fn decode<R: RowReader>(row: &R) -> Result<L::Output, Error> {
        L::decode_at(row, 0)
    }
}

/// Selects the columns of the list `L` and makes each row an `R`, built from
/// the list's value or tuple by `From` (`#[derive(FromColumns)]` writes it
/// for a struct whose fields follow the list's order and types).
pub struct MappedInto<L, R>(PhantomData<fn() -> (L, R)>);

impl<L, R> Selection for MappedInto<L, R>
where
    L: ColumnList,
    R: From<L::Output> + Send + 'static,
{
    type Output = R;

    fn decode<Row: RowReader>(row: &Row) -> Result<R, Error> {
        L::decode_at(row, 0).map(R::from)
    }
}

/// A column or a tuple of columns to select; rows decode into a value or a tuple.
pub trait ColumnList: Send + 'static {
    /// The decoded row: `T` for one column, a tuple for several.
    type Output: Send;
    /// How many columns the list reads.
    const WIDTH: usize;

    /// Adds the columns to the SELECT list.
    fn push_columns(self, statement: &mut SelectStatement);

    /// Reads the list's columns from `row`, starting at `offset`.
    fn decode_at<R: RowReader>(row: &R, offset: usize) -> Result<Self::Output, Error>;
}

/// Every column of the list belongs to an entity of the source list `Src`.
#[diagnostic::on_unimplemented(
    message = "a selected column belongs to an entity that is not part of this query",
    note = "join the entity first, or select columns of the queried entities only"
)]
pub trait ColumnsIn<Src, I> {}

impl<E, T, Src, I> ColumnsIn<Src, I> for Column<E, T> where Src: Contains<E, I> {}

impl<E, T> ColumnList for Column<E, T>
where
    E: Entity,
    T: for<'a> FromSql<'a> + Send + 'static,
{
    type Output = T;
    const WIDTH: usize = 1;

    fn push_columns(self, statement: &mut SelectStatement) {
        statement.column((E::TABLE, self.name()));
    }

    fn decode_at<R: RowReader>(row: &R, offset: usize) -> Result<T, Error> {
        read_column(row, E::TABLE, offset)
    }
}

/// A selected column that may be NULL although its type is not an `Option`:
/// a column of the right side of a LEFT JOIN. Made by [`Column::nullable`].
pub struct Nullable<C>(pub(crate) C);

impl<E, T, Src, I> ColumnsIn<Src, I> for Nullable<Column<E, T>> where Src: Contains<E, I> {}

impl<E, T> ColumnList for Nullable<Column<E, T>>
where
    E: Entity,
    T: for<'a> FromSql<'a> + Send + 'static,
{
    type Output = Option<T>;
    const WIDTH: usize = 1;

    fn push_columns(self, statement: &mut SelectStatement) {
        self.0.push_columns(statement);
    }

    fn decode_at<R: RowReader>(row: &R, offset: usize) -> Result<Option<T>, Error> {
        read_column(row, E::TABLE, offset)
    }
}

/// Columns to group by: a column or a tuple of columns.
pub trait GroupList {
    /// The column expressions, in order.
    fn exprs(&self) -> Vec<Expr>;
}

impl<E: Entity, T> GroupList for Column<E, T> {
    fn exprs(&self) -> Vec<Expr> {
        vec![Expr::col((E::TABLE, self.name()))]
    }
}

macro_rules! group_tuple {
    ($($name:ident),+) => {
        impl<$($name: GroupList),+> GroupList for ($($name,)+) {
            fn exprs(&self) -> Vec<Expr> {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                let mut exprs = Vec::new();
                $(exprs.extend($name.exprs());)+
                exprs
            }
        }
    };
}

group_tuple!(A);
group_tuple!(A, B);
group_tuple!(A, B, C);
group_tuple!(A, B, C, D);

macro_rules! column_tuple {
    ($(($name:ident, $index:ident)),+) => {
        impl<$($name: ColumnList),+> ColumnList for ($($name,)+) {
            type Output = ($($name::Output,)+);
            const WIDTH: usize = 0 $(+ $name::WIDTH)+;

            fn push_columns(self, statement: &mut SelectStatement) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.push_columns(statement);)+
            }

            #[allow(unused_assignments)]
            fn decode_at<Row: RowReader>(row: &Row, offset: usize) -> Result<Self::Output, Error> {
                let mut offset = offset;
                Ok(($({
                    let value = $name::decode_at(row, offset)?;
                    offset += $name::WIDTH;
                    value
                },)+))
            }
        }

        impl<Src, $($name, $index),+> ColumnsIn<Src, ($($index,)+)> for ($($name,)+)
        where
            $($name: ColumnsIn<Src, $index>),+
        {
        }
    };
}

column_tuple!((A, IA));
column_tuple!((A, IA), (B, IB));
column_tuple!((A, IA), (B, IB), (C, IC));
column_tuple!((A, IA), (B, IB), (C, IC), (D, ID));
column_tuple!((A, IA), (B, IB), (C, IC), (D, ID), (F, IF));
column_tuple!((A, IA), (B, IB), (C, IC), (D, ID), (F, IF), (G, IG));
column_tuple!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (F, IF),
    (G, IG),
    (H, IH)
);
column_tuple!(
    (A, IA),
    (B, IB),
    (C, IC),
    (D, ID),
    (F, IF),
    (G, IG),
    (H, IH),
    (J, IJ)
);

impl<E: crate::Entity> std::fmt::Debug for Rows<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rows<{}>", E::TABLE)
    }
}

impl<E: Entity, C: Entity> std::fmt::Debug for Joined<E, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Joined<{}, {}>", E::TABLE, C::TABLE)
    }
}

impl<E: Entity, C: Entity> std::fmt::Debug for LeftJoined<E, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeftJoined<{}, {}>", E::TABLE, C::TABLE)
    }
}

impl<L, R> std::fmt::Debug for MappedInto<L, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MappedInto")
    }
}

impl<L> std::fmt::Debug for Picked<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Picked")
    }
}

impl<C: std::fmt::Debug> std::fmt::Debug for Nullable<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Nullable").field(&self.0).finish()
    }
}
