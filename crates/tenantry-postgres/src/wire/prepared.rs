//! The connection's named prepared statements, learned from the Parse and
//! Close frames the driver writes, so that a splice can name the statement
//! it belongs to: the driver does not tell a statement's name.

use std::collections::HashMap;
use std::sync::Arc;

use super::frame::HEADER_LEN;

const PARSE: u8 = b'P';
const CLOSE: u8 = b'C';

/// Query text to statement name, and back.
#[derive(Default)]
pub(super) struct Prepared {
    by_query: HashMap<Arc<[u8]>, Arc<[u8]>>,
    by_name: HashMap<Arc<[u8]>, Arc<[u8]>>,
}

impl Prepared {
    /// Learns from a frame the driver writes: a Parse of a named statement
    /// names its query (the latest Parse of a query wins), a Close of a
    /// statement forgets it.
    pub(super) fn observe(&mut self, kind: u8, frame: &[u8]) {
        let Some(body) = frame.get(HEADER_LEN..) else {
            return;
        };
        match kind {
            PARSE => {
                let mut strings = c_strings(body);
                let (Some(name), Some(query)) = (strings.next(), strings.next()) else {
                    return;
                };
                if name.is_empty() {
                    return;
                }
                let (name, query): (Arc<[u8]>, Arc<[u8]>) = (name.into(), query.into());
                if let Some(replaced) = self.by_query.insert(query.clone(), name.clone()) {
                    self.by_name.remove(&replaced);
                }
                self.by_name.insert(name, query);
            }
            CLOSE if body.first() == Some(&b'S') => {
                let Some(name) = c_strings(&body[1..]).next() else {
                    return;
                };
                if let Some(query) = self.by_name.remove(name) {
                    if self
                        .by_query
                        .get(&query)
                        .is_some_and(|latest| **latest == *name)
                    {
                        self.by_query.remove(&query);
                    }
                }
            }
            _ => {}
        }
    }

    /// The name `query` was last prepared under, if it is still prepared.
    pub(super) fn name_of(&self, query: &str) -> Option<Arc<[u8]>> {
        self.by_query.get(query.as_bytes()).cloned()
    }

    /// How many named statements the connection holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_name.len()
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
        prepared.observe(PARSE, &parse("", "SELECT 2"));
        assert_eq!(prepared.name_of("SELECT 1").as_deref(), Some(&b"s1"[..]));
        assert_eq!(prepared.name_of("SELECT 2"), None, "unnamed");
        prepared.observe(CLOSE, &close("s1"));
        assert_eq!(prepared.name_of("SELECT 1"), None);
        assert_eq!(prepared.len(), 0);
    }

    #[test]
    fn the_latest_parse_of_a_query_wins_and_closing_an_older_one_keeps_it() {
        let mut prepared = Prepared::default();
        prepared.observe(PARSE, &parse("s1", "SELECT 1"));
        prepared.observe(PARSE, &parse("s2", "SELECT 1"));
        assert_eq!(prepared.name_of("SELECT 1").as_deref(), Some(&b"s2"[..]));
        prepared.observe(CLOSE, &close("s1"));
        assert_eq!(prepared.name_of("SELECT 1").as_deref(), Some(&b"s2"[..]));
        prepared.observe(CLOSE, &close("s2"));
        assert_eq!(prepared.name_of("SELECT 1"), None);
    }

    #[test]
    fn a_portal_close_or_a_truncated_frame_changes_nothing() {
        let mut prepared = Prepared::default();
        prepared.observe(PARSE, &parse("s1", "SELECT 1"));
        let mut portal = BytesMut::new();
        frontend::close(b'P', "s1", &mut portal).unwrap();
        prepared.observe(CLOSE, &portal);
        prepared.observe(PARSE, &parse("s9", "SELECT 9")[..7]);
        assert_eq!(prepared.name_of("SELECT 1").as_deref(), Some(&b"s1"[..]));
        assert_eq!(prepared.len(), 1);
    }
}
