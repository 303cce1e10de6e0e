//! Statements encoded once, to be added to a statement's message group.
//!
//! Statements that are the same for every tenant (`BEGIN`, `COMMIT`, the
//! pinned `search_path` of shared tables, the `set_config` that takes the
//! tenant id as a parameter, ...) are prepared once per connection under a
//! name of their own, so each use is a Bind and an Execute. A statement with
//! per-tenant text (the `SET LOCAL` of the tenant id) goes on the unnamed
//! statement, parsed at each use: it never enters the connection's statement
//! cache, so tenants never pile up there.

use bytes::{Bytes, BytesMut};
use postgres_protocol::IsNull;
use postgres_protocol::message::frontend;

use super::shared::SHARED_STATEMENTS;

/// Statements as protocol messages, and how many answers the server sends
/// when all of them succeed.
#[derive(Debug, Clone)]
pub(crate) struct ContextMessages {
    bytes: Bytes,
    responses: usize,
}

/// The name a shared statement is prepared under.
fn shared_name(index: usize) -> String {
    format!("tenantry_shared_{index}")
}

/// The name of shared statement `sql`, if it is one.
fn shared_name_of(sql: &str) -> Option<String> {
    SHARED_STATEMENTS
        .iter()
        .position(|shared| *shared == sql)
        .map(shared_name)
}

impl ContextMessages {
    /// Encodes `statements`, each a single statement without parameters:
    /// a shared statement as Bind and Execute of its name (two answers),
    /// any other as Parse, Bind and Execute of the unnamed statement (three).
    pub(crate) fn new<'a>(statements: impl IntoIterator<Item = &'a str>) -> Self {
        let mut buf = BytesMut::new();
        let mut responses = 0;
        for sql in statements {
            let name = match shared_name_of(sql) {
                Some(name) => name,
                None => {
                    frontend::parse("", sql, [], &mut buf).expect("a statement without NUL bytes");
                    responses += 1;
                    String::new()
                }
            };
            frontend::bind(
                "",
                &name,
                [],
                std::iter::empty::<()>(),
                |_, _| unreachable!("no values"),
                [],
                &mut buf,
            )
            .unwrap_or_else(|_| unreachable!("a Bind without values always encodes"));
            frontend::execute("", 0, &mut buf).expect("an Execute of the unnamed portal");
            responses += 2;
        }
        Self {
            bytes: buf.freeze(),
            responses,
        }
    }

    /// Encodes shared statement `sql`, a query that always returns exactly
    /// one row (a SELECT without FROM), bound to `values` (sent as text): a
    /// Bind and an Execute of its name, with three answers (BindComplete,
    /// the row, CommandComplete).
    pub(crate) fn shared_row(sql: &str, values: &[&str]) -> Self {
        let name = shared_name_of(sql).expect("a shared statement");
        let mut buf = BytesMut::new();
        frontend::bind(
            "",
            &name,
            [],
            values.iter(),
            |value, buf| {
                buf.extend_from_slice(value.as_bytes());
                Ok(IsNull::No)
            },
            [],
            &mut buf,
        )
        .unwrap_or_else(|_| unreachable!("text values always encode"));
        frontend::execute("", 0, &mut buf).expect("an Execute of the unnamed portal");
        Self {
            bytes: buf.freeze(),
            responses: 3,
        }
    }

    /// The Parse of every shared statement under its name, for a
    /// connection's first spliced group.
    pub(crate) fn preparation() -> Self {
        let mut buf = BytesMut::new();
        for (index, sql) in SHARED_STATEMENTS.iter().enumerate() {
            frontend::parse(&shared_name(index), sql, [], &mut buf)
                .expect("a statement without NUL bytes");
        }
        Self {
            bytes: buf.freeze(),
            responses: SHARED_STATEMENTS.len(),
        }
    }

    /// These messages, then `more`'s.
    pub(crate) fn then(&self, more: &ContextMessages) -> Self {
        let mut bytes = BytesMut::from(&self.bytes[..]);
        bytes.extend_from_slice(&more.bytes);
        Self {
            bytes: bytes.freeze(),
            responses: self.responses + more.responses,
        }
    }

    /// The encoded messages.
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// How many answers the server sends when every statement succeeds.
    pub(crate) fn responses(&self) -> usize {
        self.responses
    }
}
