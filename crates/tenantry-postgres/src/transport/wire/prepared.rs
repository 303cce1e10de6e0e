//! The connection's named prepared statements, learned from the Parse and
//! Close frames the driver writes, so that a splice can check which query
//! a Bind runs: the driver does not tell a statement's name.

use std::collections::HashMap;

use super::frame::{CLOSE, HEADER_LEN, PARSE};

/// Statement name to query text.
#[derive(Default)]
pub(super) struct Prepared {
    queries: HashMap<Box<[u8]>, Box<[u8]>>,
}

impl Prepared {
    /// Learns from a frame the driver writes: a Parse of a named statement
    /// records its query, a Close of a statement forgets it.
    pub(super) fn observe(&mut self, kind: u8, frame: &[u8]) {
        let Some(body) = frame.get(HEADER_LEN..) else {
            return;
        };
        match kind {
            PARSE => {
                let mut strings = c_strings(body);
                if let (Some(name), Some(query)) = (strings.next(), strings.next()) {
                    if !name.is_empty() {
                        self.queries.insert(name.into(), query.into());
                    }
                }
            }
            CLOSE if body.first() == Some(&b'S') => {
                if let Some(name) = c_strings(&body[1..]).next() {
                    self.queries.remove(name);
                }
            }
            _ => {}
        }
    }

    /// The query statement `name` was prepared with, while it is prepared.
    pub(super) fn query_of(&self, name: &[u8]) -> Option<&[u8]> {
        self.queries.get(name).map(|query| &**query)
    }

    /// How many named statements the connection holds.
    pub(super) fn len(&self) -> usize {
        self.queries.len()
    }
}

/// The NUL-terminated strings at the start of `bytes`.
pub(super) fn c_strings(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let end = rest.iter().position(|&byte| byte == 0)?;
        let string = &rest[..end];
        rest = &rest[end + 1..];
        Some(string)
    })
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use postgres_protocol::message::frontend;

    use super::*;

    fn parse(name: &str, query: &str) -> BytesMut {
        let mut buf = BytesMut::new();
        frontend::parse(name, query, [], &mut buf).unwrap();
        buf
    }

    fn close(name: &str) -> BytesMut {
        let mut buf = BytesMut::new();
        frontend::close(b'S', name, &mut buf).unwrap();
        buf
    }

    #[test]
    fn learns_named_statements_and_forgets_closed_ones() {
        let mut prepared = Prepared::default();
        prepared.observe(PARSE, &parse("s1", "SELECT 1"));
        prepared.observe(PARSE, &parse("s2", "SELECT 1"));
        prepared.observe(PARSE, &parse("", "SELECT 2"));
        assert_eq!(prepared.query_of(b"s1"), Some(&b"SELECT 1"[..]));
        assert_eq!(prepared.len(), 2, "the unnamed statement is not kept");
        prepared.observe(CLOSE, &close("s1"));
        assert_eq!(prepared.query_of(b"s1"), None);
        assert_eq!(prepared.query_of(b"s2"), Some(&b"SELECT 1"[..]));
    }

    #[test]
    fn a_portal_close_or_a_truncated_frame_changes_nothing() {
        let mut prepared = Prepared::default();
        prepared.observe(PARSE, &parse("s1", "SELECT 1"));
        let mut portal = BytesMut::new();
        frontend::close(b'P', "s1", &mut portal).unwrap();
        prepared.observe(CLOSE, &portal);
        prepared.observe(PARSE, &parse("s9", "SELECT 9")[..7]);
        assert_eq!(prepared.query_of(b"s1"), Some(&b"SELECT 1"[..]));
        assert_eq!(prepared.len(), 1);
    }
}
