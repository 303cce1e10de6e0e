//! A model of how PostgreSQL answers the frontend's frames, one at a time:
//! enough of the extended and simple protocols, transaction blocks and
//! errors for the splice's tests to know which answers each frame earns.

use std::collections::HashMap;

use super::to_client;
use crate::transport::wire::frame::HEADER_LEN;
use crate::transport::wire::prepared::c_strings;

/// The transaction block of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Open,
    Failed,
}

/// The model server's session.
pub(crate) struct ModelServer {
    /// Prepared statements (the unnamed one under `""`): name to query.
    statements: HashMap<Vec<u8>, String>,
    /// Portals: name to the query of their statement.
    portals: HashMap<Vec<u8>, String>,
    block: Block,
    /// After an error, the rest of the group is skipped up to its Sync.
    skipping: bool,
    /// The frame to fail, counted over every frame received.
    fail: Option<usize>,
    received: usize,
}

impl ModelServer {
    pub(crate) fn new() -> Self {
        Self {
            statements: HashMap::new(),
            portals: HashMap::new(),
            block: Block::None,
            skipping: false,
            fail: None,
            received: 0,
        }
    }

    /// Fails the frame received `later` frames from now (0: the next one).
    pub(crate) fn fail_in(&mut self, later: usize) {
        self.fail = Some(self.received + later);
    }

    fn status(&self) -> u8 {
        match self.block {
            Block::None => b'I',
            Block::Open => b'T',
            Block::Failed => b'E',
        }
    }

    /// The answers to one frontend frame.
    pub(crate) fn receive(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        let index = self.received;
        self.received += 1;
        let kind = frame[0];
        let strings: Vec<Vec<u8>> = c_strings(&frame[HEADER_LEN..])
            .map(<[u8]>::to_vec)
            .collect();
        let first = || strings.first().cloned().unwrap_or_default();
        match kind {
            b'S' => {
                self.skipping = false;
                return vec![to_client::ready(self.status())];
            }
            b'Q' => {
                self.skipping = false;
                let sql = String::from_utf8(first()).unwrap();
                let mut answers = if self.fail == Some(index) || self.block == Block::Failed {
                    self.failed(&sql)
                } else {
                    self.simple(&sql)
                };
                answers.push(to_client::ready(self.status()));
                return answers;
            }
            b'H' | b'X' | b'd' | b'c' | b'f' => return Vec::new(),
            _ => {}
        }
        if self.skipping {
            return Vec::new();
        }
        if self.fail == Some(index) || self.block == Block::Failed {
            self.skipping = true;
            let query = match kind {
                b'E' => self.portals.get(&first()).cloned().unwrap_or_default(),
                _ => String::new(),
            };
            return self.failed(&query);
        }
        match kind {
            b'P' => {
                let name = first();
                let query = String::from_utf8(strings[1].clone()).unwrap();
                self.statements.insert(name, query);
                vec![to_client::empty(b'1')]
            }
            b'B' => {
                let (portal, statement) = (first(), &strings[1]);
                let query = self.statements[statement].clone();
                self.portals.insert(portal, query);
                vec![to_client::empty(b'2')]
            }
            b'D' => {
                let (variant, name) = (frame[HEADER_LEN], &frame[HEADER_LEN + 1..frame.len() - 1]);
                let query = match variant {
                    b'S' => &self.statements[name],
                    _ => &self.portals[name],
                };
                let described = if query.starts_with("SELECT") {
                    to_client::row_description()
                } else {
                    to_client::empty(b'n')
                };
                match variant {
                    b'S' => vec![to_client::parameter_description(), described],
                    _ => vec![described],
                }
            }
            b'E' => {
                let query = self.portals[&first()].clone();
                let max_rows = &frame[frame.len() - 4..];
                let max_rows = i32::from_be_bytes(max_rows.try_into().unwrap());
                self.execute(&query, usize::try_from(max_rows).unwrap())
            }
            b'C' => vec![to_client::empty(b'3')],
            b'F' => vec![
                to_client::function_call_response(),
                to_client::ready(self.status()),
            ],
            other => panic!("the model server does not know {:?}", char::from(other)),
        }
    }

    /// The error of a failed message, running `query` (a failed `COMMIT`
    /// ends its transaction; any other failure aborts an open one).
    fn failed(&mut self, query: &str) -> Vec<Vec<u8>> {
        self.fail = None;
        self.block = match (self.block, query) {
            (_, "COMMIT" | "ROLLBACK") | (Block::None, _) => Block::None,
            _ => Block::Failed,
        };
        vec![to_client::error_response("failed")]
    }

    /// The answers to an Execute of `query`, at most `max_rows` rows (0:
    /// all of them).
    fn execute(&mut self, query: &str, max_rows: usize) -> Vec<Vec<u8>> {
        let (tag, rows, size) = self.run(query);
        if query.is_empty() {
            return vec![to_client::empty(b'I')];
        }
        if query.starts_with("COPY") {
            return vec![
                to_client::copy_response(b'H'),
                to_client::copy_data(b"1\n"),
                to_client::copy_data(b"2\n"),
                to_client::empty(b'c'),
                to_client::command_complete("COPY 2"),
            ];
        }
        if max_rows > 0 && rows > max_rows {
            let mut answers = vec![to_client::data_row(size); max_rows];
            answers.push(to_client::empty(b's'));
            return answers;
        }
        let mut answers = vec![to_client::data_row(size); rows];
        answers.push(to_client::command_complete(&tag));
        answers
    }

    /// The answers to a simple Query of `sql` (one statement), before its
    /// ReadyForQuery.
    fn simple(&mut self, sql: &str) -> Vec<Vec<u8>> {
        if sql.is_empty() {
            return vec![to_client::empty(b'I')];
        }
        let (tag, rows, size) = self.run(sql);
        let mut answers = Vec::new();
        if sql.starts_with("SELECT") {
            answers.push(to_client::row_description());
        }
        answers.extend(vec![to_client::data_row(size); rows]);
        answers.push(to_client::command_complete(&tag));
        answers
    }

    /// Runs `query`: its command tag, and how many rows of what size it
    /// returns (`SELECT <rows> <size>`; any other SELECT returns one small
    /// row).
    fn run(&mut self, query: &str) -> (String, usize, usize) {
        match query {
            "BEGIN" => self.block = Block::Open,
            "COMMIT" | "ROLLBACK" => self.block = Block::None,
            _ => {}
        }
        let Some(selected) = query.strip_prefix("SELECT ") else {
            let tag = query.split(' ').next().unwrap_or_default();
            return (tag.to_owned(), 0, 0);
        };
        let mut numbers = selected.split(' ').map(str::parse::<usize>);
        let (rows, size) = match (numbers.next(), numbers.next()) {
            (Some(Ok(rows)), Some(Ok(size))) => (rows, size),
            _ => (1, 8),
        };
        (format!("SELECT {rows}"), rows, size)
    }
}
