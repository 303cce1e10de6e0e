//! Rust types that can be bound as column values.

use sea_query::Value;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

/// A Rust type that maps to a PostgreSQL column type and is always sent as a
/// bind parameter, never spliced into SQL.
///
/// Implemented for `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`,
/// `Vec<u8>`, `Uuid`, `serde_json::Value`, the `time` types and `Option` of any
/// of these (a nullable column). `TenantId` is deliberately not one: the scope
/// supplies it, so it can be neither set nor compared by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be bound as a column value",
    label = "not a column value type",
    note = "column values are bool, i16, i32, i64, f32, f64, String, Vec<u8>, Uuid, serde_json::Value, time's OffsetDateTime, PrimitiveDateTime, Date and Time, or Option of these",
    note = "`TenantId` is supplied by the `TenantScoped` handle: it can be neither set nor compared by hand"
)]
pub trait SqlValue: Send + Sync + 'static {
    /// The value as a sea-query value.
    fn into_value(self) -> Value;

    /// A typed NULL of this type (for `Option::None`).
    fn null() -> Value;
}

macro_rules! sql_value {
    ($($ty:ty => $variant:ident $(via $wrap:path)?),* $(,)?) => {$(
        impl SqlValue for $ty {
            fn into_value(self) -> Value {
                Value::$variant(Some($($wrap)?(self)))
            }

            fn null() -> Value {
                Value::$variant(None)
            }
        }
    )*};
}

sql_value! {
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
    fn into_value(self) -> Value {
        match self {
            Some(value) => value.into_value(),
            None => T::null(),
        }
    }

    fn null() -> Value {
        T::null()
    }
}

/// Column types that `LIKE` applies to: text and nullable text.
#[diagnostic::on_unimplemented(
    message = "`LIKE` needs a text column, and this column holds `{Self}`"
)]
pub trait Text: SqlValue {}

impl Text for String {}
impl Text for Option<String> {}
