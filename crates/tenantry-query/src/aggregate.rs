//! Aggregates over typed columns: `COUNT`, `SUM`, `AVG`, `MIN`, `MAX`, to
//! select beside grouping columns, compare in `HAVING` and order by.

use std::marker::PhantomData;

use postgres_types::FromSql;
use sea_query::{Alias, Expr, ExprTrait, Func, Order, SelectStatement};

use crate::bind::OpenValues;
use crate::entity::{Entity, RowReader, read_column};
use crate::filter::{Filter, Ordering};
use crate::selection::{ColumnList, ColumnsIn};
use crate::source::Contains;
use crate::value::SqlValue;
use crate::{Column, Error};

/// An aggregate over a column of entity `E`: its value compares as a `V`
/// and decodes as an `O` (`Option<V>` for all but `COUNT`, which are NULL
/// over no rows).
pub struct Aggregate<E, V, O = Option<V>> {
    expr: Expr,
    _types: Types<E, V, O>,
}

/// Carries an aggregate's type parameters without owning values of them.
type Types<E, V, O> = PhantomData<fn() -> (E, V, O)>;

impl<E, V, O> Aggregate<E, V, O> {
    fn new(expr: Expr) -> Self {
        Self {
            expr,
            _types: PhantomData,
        }
    }
}

/// Column types `SUM` applies to, with the type of their sum.
#[diagnostic::on_unimplemented(
    message = "`SUM` needs a numeric column, and this column holds `{Self}`",
    note = "sums are taken of i16, i32, i64, f32, f64 and Decimal columns (or Option of these)"
)]
pub trait Summable {
    /// The sum's type: `i64` for integers, the column's type otherwise.
    type Sum: SqlValue;
    /// The SQL type the sum is cast to, if PostgreSQL's differs from `Sum`'s.
    const CAST: Option<&'static str>;
}

/// Column types `AVG` applies to, with the type of their average.
#[diagnostic::on_unimplemented(
    message = "`AVG` needs a numeric column, and this column holds `{Self}`",
    note = "averages are taken of i16, i32, i64, f32, f64 and Decimal columns (or Option of these)"
)]
pub trait Averageable {
    /// The average's type: `f64`, or `Decimal` for a `Decimal` column.
    type Avg: SqlValue;
    /// The SQL type the average is cast to, if PostgreSQL's differs.
    const CAST: Option<&'static str>;
}

macro_rules! numeric {
    ($($ty:ty => sum $sum:ty $(as $sum_cast:literal)?, avg $avg:ty $(as $avg_cast:literal)?;)*) => {$(
        impl Summable for $ty {
            type Sum = $sum;
            const CAST: Option<&'static str> = numeric!(@cast $($sum_cast)?);
        }
        impl Summable for Option<$ty> {
            type Sum = $sum;
            const CAST: Option<&'static str> = numeric!(@cast $($sum_cast)?);
        }
        impl Averageable for $ty {
            type Avg = $avg;
            const CAST: Option<&'static str> = numeric!(@cast $($avg_cast)?);
        }
        impl Averageable for Option<$ty> {
            type Avg = $avg;
            const CAST: Option<&'static str> = numeric!(@cast $($avg_cast)?);
        }
    )*};
    (@cast) => { None };
    (@cast $cast:literal) => { Some($cast) };
}

// PostgreSQL sums smallint and integer as bigint, bigint as numeric (cast
// back to bigint: a sum beyond it is the server's error, never a wrong
// number); averages integers as numeric (cast to double precision).
numeric! {
    i16 => sum i64, avg f64 as "float8";
    i32 => sum i64, avg f64 as "float8";
    i64 => sum i64 as "int8", avg f64 as "float8";
    f32 => sum f32, avg f64;
    f64 => sum f64, avg f64;
}

#[cfg(feature = "decimal")]
numeric! {
    rust_decimal::Decimal => sum rust_decimal::Decimal, avg rust_decimal::Decimal;
}

/// Column types with a value of their own: `T` for `T` and for `Option<T>`,
/// what `MIN` and `MAX` return.
pub trait Plain {
    /// The value without its `Option`.
    type Value: SqlValue;
}

impl<T: crate::ArrayElement> Plain for T {
    type Value = T;
}

impl<T: crate::ArrayElement> Plain for Option<T> {
    type Value = T;
}

fn cast(expr: Expr, to: Option<&'static str>) -> Expr {
    match to {
        Some(ty) => expr.cast_as(Alias::new(ty)),
        None => expr,
    }
}

impl<E: Entity, T> Column<E, T> {
    /// `COUNT(column)`: the rows where the column is not NULL.
    ///
    /// ```
    /// # use tenantry_query::{Column, Entity, EntityKind, Error, RowReader, TenantScoped, TenantEntity, TenantId};
    /// # struct Task; impl Entity for Task { const TABLE: &'static str = "tasks"; const KIND: EntityKind = EntityKind::TenantScoped { tenant_column: "tenant_id" }; const COLUMNS: &'static [&'static str] = &["id"]; const PRIMARY_KEY: &'static [&'static str] = &["id"]; fn from_row<R: RowReader>(_: &R, _: usize) -> Result<Self, Error> { Ok(Task) } }
    /// # impl TenantEntity for Task { const TENANT_COLUMN: &'static str = "tenant_id"; }
    /// # impl Task { const ID: Column<Task, i64> = Column::new("id"); const STATUS: Column<Task, String> = Column::new("status"); const HOURS: Column<Task, i32> = Column::new("hours"); }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let report = acme
    ///     .select::<Task>()
    ///     .columns((Task::STATUS, Task::ID.count(), Task::HOURS.sum(), Task::HOURS.avg(), Task::HOURS.max()))
    ///     .group_by(Task::STATUS)
    ///     .having(Task::ID.count().gt(1))
    ///     .order_by(Task::HOURS.sum().desc())
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     report.sql(),
    ///     r#"SELECT "tasks"."status", COUNT("tasks"."id"), SUM("tasks"."hours"), CAST(AVG("tasks"."hours") AS float8), MAX("tasks"."hours") FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1 GROUP BY "tasks"."status" HAVING COUNT("tasks"."id") > $2 ORDER BY SUM("tasks"."hours") DESC"#
    /// );
    /// ```
    pub fn count(self) -> Aggregate<E, i64, i64> {
        Aggregate::new(Func::count(self.expr()).into())
    }

    /// `COUNT(DISTINCT column)`: how many different non-NULL values.
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let select = acme.select::<Task>().columns((Task::OWNER.count_distinct(), Task::HOURS.min())).build().unwrap();
    /// assert_eq!(
    ///     select.sql(),
    ///     r#"SELECT COUNT(DISTINCT "tasks"."owner"), MIN("tasks"."hours") FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1"#
    /// );
    /// ```
    pub fn count_distinct(self) -> Aggregate<E, i64, i64> {
        Aggregate::new(Func::count_distinct(self.expr()).into())
    }

    /// `SUM(column)`, NULL (`None`) over no rows; of numeric columns only.
    pub fn sum(self) -> Aggregate<E, T::Sum>
    where
        T: Summable,
    {
        Aggregate::new(cast(Func::sum(self.expr()).into(), T::CAST))
    }

    /// `AVG(column)`, NULL (`None`) over no rows; of numeric columns only.
    pub fn avg(self) -> Aggregate<E, T::Avg>
    where
        T: Averageable,
    {
        Aggregate::new(cast(
            Func::avg(self.expr()).into(),
            <T as Averageable>::CAST,
        ))
    }

    /// `MIN(column)`, NULL (`None`) over no rows.
    pub fn min(self) -> Aggregate<E, T::Value>
    where
        T: Plain,
    {
        Aggregate::new(Func::min(self.expr()).into())
    }

    /// `MAX(column)`, NULL (`None`) over no rows.
    pub fn max(self) -> Aggregate<E, T::Value>
    where
        T: Plain,
    {
        Aggregate::new(Func::max(self.expr()).into())
    }
}

impl<E: Entity, V: SqlValue, O> Aggregate<E, V, O> {
    fn compare<Src, I>(self, value: V, op: fn(Expr, Expr) -> Expr) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        let mut open = OpenValues::default();
        let value = open.expr(value.into_bind());
        Filter::with_parts(op(self.expr, value), Vec::new(), open)
    }

    /// `aggregate = value`, for `HAVING`.
    pub fn eq<Src, I>(self, value: impl Into<V>) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        self.compare(value.into(), ExprTrait::eq)
    }

    /// `aggregate > value`, for `HAVING`.
    pub fn gt<Src, I>(self, value: impl Into<V>) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        self.compare(value.into(), ExprTrait::gt)
    }

    /// `aggregate >= value`, for `HAVING`.
    pub fn ge<Src, I>(self, value: impl Into<V>) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        self.compare(value.into(), ExprTrait::gte)
    }

    /// `aggregate < value`, for `HAVING`.
    pub fn lt<Src, I>(self, value: impl Into<V>) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        self.compare(value.into(), ExprTrait::lt)
    }

    /// `aggregate <= value`, for `HAVING`.
    pub fn le<Src, I>(self, value: impl Into<V>) -> Filter<Src>
    where
        Src: Contains<E, I>,
    {
        self.compare(value.into(), ExprTrait::lte)
    }

    /// Ascending order on the aggregate.
    pub fn asc<Src, I>(self) -> Ordering<Src>
    where
        Src: Contains<E, I>,
    {
        Ordering::new(self.expr, Order::Asc)
    }

    /// Descending order on the aggregate.
    pub fn desc<Src, I>(self) -> Ordering<Src>
    where
        Src: Contains<E, I>,
    {
        Ordering::new(self.expr, Order::Desc)
    }
}

impl<E, V, O, Src, I> ColumnsIn<Src, I> for Aggregate<E, V, O> where Src: Contains<E, I> {}

impl<E, V, O> ColumnList for Aggregate<E, V, O>
where
    E: Entity,
    V: Send + 'static,
    O: for<'a> FromSql<'a> + Send + 'static,
{
    type Output = O;
    const WIDTH: usize = 1;

    fn push_columns(self, statement: &mut SelectStatement) {
        statement.expr(self.expr);
    }

    fn decode_at<R: RowReader>(row: &R, offset: usize) -> Result<O, Error> {
        read_column(row, E::TABLE, offset)
    }
}

impl<E, V, O> std::fmt::Debug for Aggregate<E, V, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Aggregate").field(&self.expr).finish()
    }
}
