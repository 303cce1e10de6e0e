//! Bind values with strict, per-value type checks.
//!
//! Statements are prepared, so PostgreSQL infers each parameter's type from
//! its column (or `bigint` for `LIMIT`/`OFFSET`). A value is only encoded when
//! its Rust type matches that inferred type exactly: an `i32` is never sent
//! for a `bigint`. Every parameter is checked before anything is sent, so a
//! mismatch is a typed error and never an encoding failure half-way through a
//! pipeline.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres_types::{IsNull, ToSql, Type, WrongType};
use sea_query::Value;
use tenantry_query::Statement;

use crate::Error;

type BoxError = Box<dyn StdError + Sync + Send>;

/// One bind value of a built statement.
#[derive(Debug)]
pub(crate) enum Param<'a> {
    /// A value sea-query holds.
    Known(&'a Value),
    /// A value of a type that encodes itself (its own `ToSql`).
    Open(&'a (dyn ToSql + Sync)),
}

fn checked<T: ToSql>(value: &T, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if !T::accepts(ty) {
        return Err(Box::new(WrongType::new::<T>(ty.clone())));
    }
    value.to_sql(ty, out)
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let value = match self {
            Param::Known(value) => value,
            Param::Open(value) => return value.to_sql_checked(ty, out),
        };
        match value {
            Value::Bool(v) => checked(v, ty, out),
            Value::SmallInt(v) => checked(v, ty, out),
            Value::Int(v) => checked(v, ty, out),
            Value::BigInt(v) => checked(v, ty, out),
            // LIMIT and OFFSET: sea-query holds them unsigned; PostgreSQL takes bigint.
            Value::BigUnsigned(v) => {
                let v = v.map(i64::try_from).transpose()?;
                checked(&v, ty, out)
            }
            Value::Float(v) => checked(v, ty, out),
            Value::Double(v) => checked(v, ty, out),
            Value::String(v) => checked(v, ty, out),
            Value::Bytes(v) => checked(v, ty, out),
            Value::Json(v) => checked(&v.as_deref(), ty, out),
            Value::Uuid(v) => checked(v, ty, out),
            Value::TimeDate(v) => checked(v, ty, out),
            Value::TimeTime(v) => checked(v, ty, out),
            Value::TimeDateTime(v) => checked(v, ty, out),
            Value::TimeDateTimeWithTimeZone(v) => checked(v, ty, out),
            other => Err(format!("tenantry does not bind values like {other:?}").into()),
        }
    }

    /// Per-value checks happen in `to_sql`.
    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

/// Encodes every value against its parameter type, so that a mismatch is
/// found before the statement is sent.
pub(crate) fn check_all(values: &[&(dyn ToSql + Sync)], types: &[Type]) -> Result<(), Error> {
    if values.len() != types.len() {
        return Err(Error::ParameterCount {
            expected: types.len(),
            given: values.len(),
        });
    }
    let mut scratch = BytesMut::new();
    for (index, (value, ty)) in values.iter().zip(types).enumerate() {
        scratch.clear();
        value
            .to_sql_checked(ty, &mut scratch)
            .map_err(|source| Error::ParameterType {
                position: index + 1,
                expected: ty.name().to_owned(),
                source,
            })?;
    }
    Ok(())
}

/// The bind values of a built statement as driver parameters.
pub(crate) fn params(statement: &Statement) -> Vec<Param<'_>> {
    statement
        .values()
        .iter()
        .enumerate()
        .map(|(position, value)| match statement.open_value(position) {
            Some(open) => Param::Open(open),
            None => Param::Known(value),
        })
        .collect()
}

/// Borrows parameters as the driver takes them.
pub(crate) fn as_dyn<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|param| param as &(dyn ToSql + Sync))
        .collect()
}
