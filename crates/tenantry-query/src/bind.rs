//! Bind values: the ones sea-query knows, and open ones (any `ToSql` type
//! made a column value) carried beside the statement until it is executed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres_types::ToSql;
use sea_query::{Expr, Value};

use crate::Error;

/// A value to bind as a parameter, made by [`SqlValue::into_bind`](crate::SqlValue::into_bind).
#[derive(Debug, Clone)]
pub struct Bind(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// A value sea-query holds itself.
    Known(Value),
    /// A value encoded by its own `ToSql` when the statement runs.
    Open(OpenValue),
}

/// A value encoded by its own `ToSql` when the statement runs.
pub type OpenValue = Arc<dyn ToSql + Send + Sync>;

impl Bind {
    pub(crate) fn known(value: Value) -> Self {
        Self(Repr::Known(value))
    }

    pub(crate) fn open<T: ToSql + Send + Sync + 'static>(value: T) -> Self {
        Self(Repr::Open(Arc::new(value)))
    }
}

/// Ids of open values, unique across the process until they wrap.
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// The open values of a statement (or of a condition on its way into one).
///
/// In the sea-query statement an open value stands as `Value::Unsigned(id)`,
/// a variant tenantry never binds otherwise; rendering puts the value back at
/// its parameter's position. Ids come from one process-wide counter, so
/// conditions built apart never clash; should the counter wrap round within
/// one statement, building it fails rather than bind the wrong value.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenValues(Vec<(u32, OpenValue)>);

impl OpenValues {
    /// The expression binding `bind`; an open value is recorded here.
    pub(crate) fn expr(&mut self, bind: Bind) -> Expr {
        match bind.0 {
            Repr::Known(value) => Expr::val(value),
            Repr::Open(value) => {
                let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                self.0.push((id, value));
                Expr::val(Value::Unsigned(Some(id)))
            }
        }
    }

    /// Takes in the open values of a condition or subquery.
    pub(crate) fn extend(&mut self, other: OpenValues) {
        self.0.extend(other.0);
    }

    /// The open value at each position of `values` (`None` for the others);
    /// empty when there is none.
    pub(crate) fn resolve(&self, values: &[Value]) -> Result<Vec<Option<OpenValue>>, Error> {
        if self.0.is_empty() {
            return Ok(Vec::new());
        }
        values
            .iter()
            .map(|value| match value {
                Value::Unsigned(Some(id)) => {
                    let mut found = self.0.iter().filter(|(open, _)| open == id);
                    match (found.next(), found.next()) {
                        (Some((_, value)), None) => Ok(Some(Arc::clone(value))),
                        _ => Err(Error::OpenValueClash),
                    }
                }
                _ => Ok(None),
            })
            .collect()
    }
}
