//! Statements encoded once, to be added to a statement's message group.

use bytes::{Bytes, BytesMut};
use postgres_protocol::message::frontend;

/// Parameterless statements as Parse, Bind and Execute messages on the
/// unnamed statement and portal: nothing enters the connection's statement
/// cache, so per-tenant text (a `SET LOCAL` literal) never piles up there.
#[derive(Debug, Clone)]
pub(crate) struct ContextMessages {
    bytes: Bytes,
    responses: usize,
}

/// Each statement is answered by ParseComplete, BindComplete and
/// CommandComplete.
const RESPONSES_PER_STATEMENT: usize = 3;

impl ContextMessages {
    /// Encodes `statements`, each a single statement without parameters.
    pub(crate) fn new<'a>(statements: impl IntoIterator<Item = &'a str>) -> Self {
        let mut buf = BytesMut::new();
        let mut count = 0;
        for sql in statements {
            frontend::parse("", sql, [], &mut buf).expect("a statement without NUL bytes");
            frontend::bind(
                "",
                "",
                [],
                std::iter::empty::<()>(),
                |_, _| unreachable!("no values"),
                [],
                &mut buf,
            )
            .unwrap_or_else(|_| unreachable!("a Bind without values always encodes"));
            frontend::execute("", 0, &mut buf).expect("an Execute of the unnamed portal");
            count += 1;
        }
        Self {
            bytes: buf.freeze(),
            responses: count * RESPONSES_PER_STATEMENT,
        }
    }

    /// The encoded messages.
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// How many responses the server sends when every statement succeeds.
    pub(crate) fn responses(&self) -> usize {
        self.responses
    }
}
