//! Rust types that can be bound as column values.

use std::fmt::Debug;
use std::net::IpAddr;

use postgres_types::{FromSql, Json, ToSql};
use sea_query::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

use crate::bind::Bind;

/// A Rust type that maps to a PostgreSQL column type: it can be a field of an
/// entity, and conditions, inserts and updates bind it as a parameter, never
/// spliced into SQL.
///
/// Any type that is `ToSql + FromSql` becomes one with one line, and is then
/// encoded and decoded by its own implementations:
///
/// ```
/// # use tenantry_query::SqlValue;
/// # use postgres_types::{FromSql, ToSql};
/// /// An e-mail address, stored as `text`.
/// #[derive(Debug, ToSql, FromSql)]
/// #[postgres(transparent)]
/// pub struct Email(String);
///
/// impl SqlValue for Email {}
/// ```
///
/// Built in: `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`, `Vec<u8>`
/// (`bytea`), `Uuid`, `serde_json::Value` and [`Json<T>`] (`jsonb` or `json`),
/// `std::net::IpAddr` (`inet`), the `time` types, arrays `Vec<T>` of an
/// [`ArrayElement`] (`Vec<Option<T>>` for arrays holding NULLs), `Option` of
/// any of these (a nullable column); with the
/// `chrono` feature chrono's `NaiveDate`, `NaiveTime`, `NaiveDateTime` and
/// `DateTime<Utc>`; with the `decimal` feature `rust_decimal::Decimal`
/// (`numeric`); with the `cidr` feature `cidr::IpInet` (`inet` with its
/// network) and `cidr::IpCidr` (`cidr`). Enums map to PostgreSQL enums or text with
/// `#[derive(DbEnum)]`.
///
/// `TenantId` is not one, and cannot be made one (neither the trait nor the
/// type is the application's): the scope supplies it, so it can be neither
/// set nor compared by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bound as a column value",
    label = "not a column value type",
    note = "a type of the application's own that is `ToSql + FromSql` becomes a column value with one line, `impl SqlValue for MyType {{}}`; an enum with `#[derive(DbEnum)]`",
    note = "`TenantId` is supplied by the `TenantScoped` handle: it can be neither set nor compared by hand"
)]
pub trait SqlValue: ToSql + for<'a> FromSql<'a> + Send + Sync + 'static {
    /// The value as a bind parameter; by default encoded by its own `ToSql`.
    fn into_bind(self) -> Bind
    where
        Self: Sized,
    {
        Bind::open(self)
    }

    /// A typed NULL of this type (for `Option::None`).
    fn null_bind() -> Bind
    where
        Self: Sized,
    {
        Bind::open(None::<Self>)
    }
}

/// Types whose values sea-query holds itself, so that a built statement's
/// [`values`](crate::Statement::values) show them.
macro_rules! known_value {
    ($($ty:ty => $variant:ident $(via $wrap:path)?),* $(,)?) => {$(
        impl SqlValue for $ty {
            fn into_bind(self) -> Bind {
                Bind::known(Value::$variant(Some($($wrap)?(self))))
            }

            fn null_bind() -> Bind {
                Bind::known(Value::$variant(None))
            }
        }
    )*};
}

known_value! {
    bool => Bool,
    i16 => SmallInt,
    i32 => Int,
    i64 => BigInt,
    f32 => Float,
    f64 => Double,
    String => String,
    Vec<u8> => Bytes,
    Uuid => Uuid,
    serde_json::Value => Json via Box::new,
    OffsetDateTime => TimeDateTimeWithTimeZone,
    PrimitiveDateTime => TimeDateTime,
    Date => TimeDate,
    Time => TimeTime,
}

impl<T: SqlValue> SqlValue for Option<T> {
    fn into_bind(self) -> Bind {
        match self {
            Some(value) => value.into_bind(),
            None => T::null_bind(),
        }
    }

    fn null_bind() -> Bind {
        T::null_bind()
    }
}

impl SqlValue for IpAddr {}

/// A `jsonb` (or `json`) column holding a `T`, serialized with serde.
impl<T> SqlValue for Json<T> where T: Serialize + DeserializeOwned + Debug + Send + Sync + 'static {}

/// A type whose arrays `Vec<T>` are column values (`text[]`, `bigint[]`, an
/// enum's array, ...). One more line for a type of the application's own:
/// `impl ArrayElement for Email {}`. (`Vec<u8>` is `bytea`, not an array.)
#[diagnostic::on_unimplemented(
    message = "`Vec<{Self}>` is not an array column type",
    note = "a column value type of the application's own becomes an array element with `impl ArrayElement for MyType {{}}`",
    note = "`TenantId` is never one: the scope alone compares it"
)]
pub trait ArrayElement: SqlValue {}

impl<T: ArrayElement> SqlValue for Vec<T> {}

/// An array whose elements may be NULL, such as `'{1,NULL,3}'`.
impl<T: ArrayElement> SqlValue for Vec<Option<T>> {}

macro_rules! array_element {
    ($($ty:ty),* $(,)?) => {$(impl ArrayElement for $ty {})*};
}

array_element!(
    bool,
    i16,
    i32,
    i64,
    f32,
    f64,
    String,
    Uuid,
    IpAddr,
    OffsetDateTime,
    PrimitiveDateTime,
    Date,
    Time,
);

/// Column types that `LIKE` applies to: text and nullable text.
#[diagnostic::on_unimplemented(
    message = "`LIKE` needs a text column, and this column holds `{Self}`"
)]
pub trait Text: SqlValue {}

impl Text for String {}
impl Text for Option<String> {}

/// Array column types (`Vec<T>`, nullable or not), with their element type:
/// what `contains`, `overlaps` and `has` apply to.
#[diagnostic::on_unimplemented(
    message = "this condition needs an array column, and this column holds `{Self}`"
)]
pub trait Array: SqlValue {
    /// The type of one element (`Option<T>` when elements may be NULL).
    type Element: SqlValue;
}

impl<T: ArrayElement> Array for Vec<T> {
    type Element = T;
}

impl<T: ArrayElement> Array for Vec<Option<T>> {
    type Element = Option<T>;
}

impl<T: ArrayElement> Array for Option<Vec<T>> {
    type Element = T;
}

impl<T: ArrayElement> Array for Option<Vec<Option<T>>> {
    type Element = Option<T>;
}
