//! Type-level lists of the entities a statement reads from.
//!
//! A query over `Invoice` joined with `Customer` has the source list
//! `(Customer, (Invoice, ()))`. A condition on a column of entity `E` is only
//! accepted by a statement whose source list contains `E`. That is how "a condition on an entity that is not in the query"
//! becomes a compile error instead of an SQL error at run time.
//!
//! The index parameters (`Here`, `There`) let the compiler find an entity's
//! position without overlapping impls; callers never name them.

use std::marker::PhantomData;

/// Index: the entity is the head of the list.
#[derive(Debug)]
pub struct Here;

/// Index: the entity is somewhere in the tail of the list.
pub struct There<I>(PhantomData<I>);

/// The list `Self` contains the entity `E` (at position `I`).
#[diagnostic::on_unimplemented(
    message = "`{E}` is not part of this query",
    label = "this condition or column refers to `{E}`, which the query does not read from",
    note = "join `{E}` first (`.inner_join::<{E}>(..)` or `.left_join::<{E}>(..)`), or remove the condition"
)]
pub trait Contains<E, I> {}

impl<E, Tail> Contains<E, Here> for (E, Tail) {}

impl<Head, Tail, E, I> Contains<E, There<I>> for (Head, Tail) where Tail: Contains<E, I> {}

/// A list element standing for an entity of the *outer* statement, in a
/// correlated subquery (made by `Select::correlate`): its columns may be
/// named, and the subquery can only be used where the outer statement reads
/// that entity.
pub struct Outer<O>(PhantomData<fn() -> O>);

/// Index: the entity is the outer entity at the head of the list.
#[derive(Debug)]
pub struct OuterHere;

impl<O, Tail> Contains<O, OuterHere> for (Outer<O>, Tail) {}

/// Every outer entity that the source list `Self` of a subquery names is in
/// the source list `Src` of the statement it is used in.
#[diagnostic::on_unimplemented(
    message = "this subquery is correlated with an entity the outer statement does not read",
    note = "a subquery made with `.correlate::<O>()` can only be used in a statement that reads `O`"
)]
pub trait CorrelatedIn<Src, I> {}

impl<Src> CorrelatedIn<Src, ()> for () {}

impl<E: crate::Entity, Tail, Src, I> CorrelatedIn<Src, (Here, I)> for (E, Tail) where
    Tail: CorrelatedIn<Src, I>
{
}

impl<O, Tail, Src, I, J> CorrelatedIn<Src, (There<I>, J)> for (Outer<O>, Tail)
where
    Src: Contains<O, I>,
    Tail: CorrelatedIn<Src, J>,
{
}

impl<O> std::fmt::Debug for Outer<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outer")
    }
}

impl<I> std::fmt::Debug for There<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("There")
    }
}
