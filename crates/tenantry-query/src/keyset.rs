//! Keyset pagination: an order over key columns, and a cursor after which
//! the next page starts.

use sea_query::{Expr, ExprTrait, Order};

use crate::bind::{Bind, OpenValues};
use crate::entity::Entity;
use crate::{Column, SqlValue};

/// Key columns to page by: a column or a tuple of up to three columns,
/// NOT NULL, the last one unique (the primary key, usually).
pub trait KeyList: Copy {
    /// The key's values in one row: `T` for one column, a tuple for several.
    type Values;

    /// The key columns, in order.
    fn columns(&self) -> Vec<Expr>;

    /// `values` as bind parameters, in order.
    fn binds(values: Self::Values) -> Vec<Bind>;
}

impl<E: Entity, T: SqlValue> KeyList for Column<E, T> {
    type Values = T;

    fn columns(&self) -> Vec<Expr> {
        vec![self.expr()]
    }

    fn binds(values: T) -> Vec<Bind> {
        vec![values.into_bind()]
    }
}

macro_rules! key_tuple {
    ($(($name:ident, $value:ident)),+) => {
        impl<$($name: KeyList),+> KeyList for ($($name,)+) {
            type Values = ($($name::Values,)+);

            fn columns(&self) -> Vec<Expr> {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                let mut columns = Vec::new();
                $(columns.extend($name.columns());)+
                columns
            }

            fn binds(values: Self::Values) -> Vec<Bind> {
                let ($($value,)+) = values;
                let mut binds = Vec::new();
                $(binds.extend($name::binds($value));)+
                binds
            }
        }
    };
}

key_tuple!((A, a), (B, b));
key_tuple!((A, a), (B, b), (C, c));

/// An order for keyset pagination: every key column ascending, or every one
/// descending.
#[derive(Clone, Copy, Debug)]
pub struct Keyset<L> {
    pub(crate) key: L,
    descending: bool,
}

impl<L: KeyList> Keyset<L> {
    /// Pages in ascending order of `key`.
    pub fn asc(key: L) -> Self {
        Self {
            key,
            descending: false,
        }
    }

    /// Pages in descending order of `key`.
    pub fn desc(key: L) -> Self {
        Self {
            key,
            descending: true,
        }
    }

    /// The cursor after the row whose key is `values` (the last row of a page).
    pub fn after(self, values: L::Values) -> Cursor<L> {
        Cursor {
            keyset: self,
            values,
        }
    }

    /// The `ORDER BY` terms.
    pub(crate) fn order(&self) -> impl Iterator<Item = (Expr, Order)> {
        let order = if self.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        self.key
            .columns()
            .into_iter()
            .map(move |column| (column, order.clone()))
    }
}

/// Where the next page starts: the key of the last row of the page before.
/// Made by [`Keyset::after`].
#[derive(Clone, Copy, Debug)]
pub struct Cursor<L: KeyList> {
    pub(crate) keyset: Keyset<L>,
    values: L::Values,
}

impl<L: KeyList> Cursor<L> {
    /// `(key...) > (values...)` (`<` when descending), and the open values bound.
    pub(crate) fn condition(self) -> (Expr, OpenValues) {
        let mut open = OpenValues::default();
        let columns = Expr::tuple(self.keyset.key.columns());
        let values = L::binds(self.values)
            .into_iter()
            .map(|bind| open.expr(bind));
        let values = Expr::tuple(values.collect::<Vec<_>>());
        let condition = if self.keyset.descending {
            columns.lt(values)
        } else {
            columns.gt(values)
        };
        (condition, open)
    }
}
