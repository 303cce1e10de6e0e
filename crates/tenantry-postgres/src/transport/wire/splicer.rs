//! What is added to which message group, and which answers to remove.
//!
//! The lease registers a splice just before it sends its statement, naming
//! the prepared statement it binds; the connection's stream adds the
//! context's messages to the next group that starts with a Bind, once it has
//! checked that this Bind is of that statement, then removes their answers
//! from the server's. A group that binds another statement while a splice
//! waits can only be a request someone else left queued: the connection is
//! ended rather than let a context reach a statement it was not made for. Groups are counted on both sides: each one (a Sync, a simple
//! Query, and the start-up exchange) is answered by exactly one
//! ReadyForQuery, so the answers to the spliced group are those after as
//! many ReadyForQuery as groups went before. That ReadyForQuery also says
//! whether the group left a transaction open.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use super::ContextMessages;
use super::frame;
use super::prepared::{Prepared, c_strings};

/// The splicing state of one connection, shared by its lease and its stream.
#[derive(Clone, Default)]
pub(crate) struct Splicer(Arc<Shared>);

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a spliced group's ReadyForQuery is read, and when the
    /// stream ends.
    answered: Notify,
}

/// How a spliced statement's transaction ended, as the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpliceEnd {
    /// Nothing was sent (the statement failed before it was written).
    Unsent,
    /// The transaction is still open, as the group's ReadyForQuery said: the
    /// group did not end it (a stream commits once its rows are read), or a
    /// message before the `COMMIT` failed and the transaction waits,
    /// aborted, for its `ROLLBACK`. Or the connection ended before saying.
    LeftOpen,
    /// The transaction ended: committed, or rolled back by the server.
    Ended,
}

#[derive(Default)]
struct State {
    /// Whether the start-up exchange is over and frames are read.
    started: bool,
    /// Whether the stream has ended: no more answers will come.
    closed: bool,
    /// The splice waiting for its statement's Bind.
    pending: Option<Pending>,
    /// The named statements the driver has prepared.
    prepared: Prepared,
    /// Groups written so far, the start-up exchange included.
    groups_written: u64,
    /// Whether the writer is inside a group (after its first frame, before its Sync).
    writing_group: bool,
    /// The messages to add before the Sync of the group being written.
    suffix: Option<Bytes>,
    /// ReadyForQuery messages received so far.
    groups_answered: u64,
    /// The spliced group whose answers are awaited.
    in_flight: Option<InFlight>,
    /// Whether the last spliced group left its transaction open.
    left_open: bool,
}

struct Pending {
    /// The query of the prepared statement the splice belongs to.
    query: Box<str>,
    before: ContextMessages,
    after: Option<ContextMessages>,
}

struct InFlight {
    /// Which group it is (the n-th to be answered).
    group: u64,
    phase: Phase,
    /// Answers of the messages added after the statement.
    after: usize,
}

/// Where the answers of a spliced group have got to.
enum Phase {
    /// This many answers to the added context messages are still to come.
    Context(usize),
    /// The statement's own answers.
    Statement,
    /// This many answers to the added `COMMIT` are still to come.
    Commit(usize),
    /// Every remaining answer is the driver's.
    Passing,
}

/// A group that binds another statement than the one a waiting splice
/// belongs to: a request left queued by someone else, which the context
/// must never reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misdirected {
    /// The query of the statement the splice belongs to.
    pub(crate) expected: String,
    /// The statement the group binds.
    pub(crate) found: String,
}

impl std::fmt::Display for Misdirected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a tenant context for {:?} met a group binding statement {:?}: the connection is ended",
            self.expected, self.found
        )
    }
}

impl std::error::Error for Misdirected {}

/// What the stream does with a frame from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// Hand it to the driver.
    Pass,
    /// Drop it: it answers a message the driver did not send.
    Remove,
    /// End the connection: the server entered COPY FROM STDIN, in which
    /// groups cannot be counted (pooled connections never copy in).
    Unsupported,
}

impl Splicer {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().expect("splicer lock")
    }

    /// Marks the start-up exchange as over: from now on the frontend's bytes
    /// are read as frames.
    pub(crate) fn start(&self) {
        let mut state = self.state();
        state.started = true;
        state.groups_written = 1;
    }

    /// Adds `before` in front of the next group that starts with a Bind,
    /// which must be of a statement prepared (and already parsed) with
    /// `query`, and `after` (if any) in front of its Sync.
    pub(crate) fn splice(
        &self,
        query: &str,
        before: &ContextMessages,
        after: Option<&ContextMessages>,
    ) {
        let mut state = self.state();
        state.left_open = false;
        state.pending = Some(Pending {
            query: query.into(),
            before: before.clone(),
            after: after.cloned(),
        });
    }

    /// How the last spliced statement's transaction ended. Call it once the
    /// driver has returned; it waits for the group's ReadyForQuery, which
    /// follows an error the driver may already have returned.
    pub(crate) async fn finish(&self) -> SpliceEnd {
        loop {
            // Created before the check: it then sees every later signal.
            let answered = self.0.answered.notified();
            {
                let mut state = self.state();
                if state.pending.take().is_some() {
                    return SpliceEnd::Unsent;
                }
                if state.in_flight.is_none() && !state.left_open {
                    return SpliceEnd::Ended;
                }
                if state.in_flight.is_none() || state.closed {
                    return SpliceEnd::LeftOpen;
                }
            }
            answered.await;
        }
    }

    /// Records that the stream has ended: no answer is awaited any more.
    /// Called when the stream is dropped, so it never panics, even if a
    /// panic elsewhere poisoned the lock.
    pub(crate) fn close(&self) {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        drop(state);
        self.0.answered.notify_waiters();
    }

    /// How many named statements the driver has prepared and not closed on
    /// this connection, as its Parse and Close frames said.
    pub(crate) fn named_statements(&self) -> usize {
        self.state().prepared.len()
    }

    /// Whether no splice waits to be sent and no spliced group waits for its
    /// answers: the connection holds nothing of a past statement.
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.state();
        state.pending.is_none() && state.in_flight.is_none()
    }

    /// Moves the complete frames at the front of `unsent` to `out`, adding
    /// the splice's messages where they belong. Fails, and the connection
    /// must end, if a group binds another statement than the one a waiting
    /// splice belongs to.
    pub(crate) fn write_frames(
        &self,
        unsent: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<(), Misdirected> {
        let mut state = self.state();
        if !state.started {
            out.extend_from_slice(unsent);
            unsent.clear();
            return Ok(());
        }
        while let Some((kind, length)) = frame::header(unsent) {
            if unsent.len() < length {
                break;
            }
            let frame = unsent.split_to(length);
            state.write_frame(kind, &frame, out)?;
        }
        Ok(())
    }

    /// What to do with the server frame that starts `frame`: its bytes
    /// received so far, its header at least (and the whole of a
    /// ReadyForQuery).
    pub(crate) fn classify(&self, frame: &[u8]) -> Incoming {
        let kind = frame[0];
        if starts_copy_in(kind) {
            return Incoming::Unsupported;
        }
        let mut state = self.state();
        let current = state.groups_answered + 1;
        let spliced = state.in_flight.as_ref().is_some_and(|f| f.group == current);
        let action = match state.in_flight.as_mut() {
            Some(in_flight) if spliced => in_flight.classify(kind),
            _ => Incoming::Pass,
        };
        if kind == READY_FOR_QUERY {
            state.groups_answered = current;
            if spliced {
                state.in_flight = None;
                state.left_open = frame.get(READY_STATUS) != Some(&IDLE);
                drop(state);
                self.0.answered.notify_waiters();
            }
        }
        action
    }
}

const BIND: u8 = b'B';
const SYNC: u8 = b'S';
const QUERY: u8 = b'Q';
const READY_FOR_QUERY: u8 = b'Z';
const ERROR_RESPONSE: u8 = b'E';

/// Where a ReadyForQuery holds the transaction status, and the status of a
/// session outside any transaction.
const READY_STATUS: usize = 5;
const IDLE: u8 = b'I';

/// Frontend frames that never start a group: copy data, Flush, Terminate
/// and authentication.
fn starts_group(kind: u8) -> bool {
    !matches!(kind, b'd' | b'c' | b'f' | b'H' | b'X' | b'p')
}

/// Backend frames that start COPY FROM STDIN, in which the server ignores
/// Syncs: groups could no longer be counted.
fn starts_copy_in(kind: u8) -> bool {
    matches!(kind, b'G' | b'W')
}

/// Backend frames that may arrive at any time and answer nothing.
fn is_asynchronous(kind: u8) -> bool {
    matches!(kind, b'N' | b'S' | b'A')
}

/// Backend frames that end a statement's answer to its Execute.
fn ends_execution(kind: u8) -> bool {
    matches!(kind, b'C' | b'I' | b's')
}

impl State {
    fn write_frame(
        &mut self,
        kind: u8,
        frame: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Misdirected> {
        self.prepared.observe(kind, frame);
        if !self.writing_group && starts_group(kind) {
            self.writing_group = true;
            self.start_group(kind, frame, out)?;
        }
        if kind == SYNC {
            if let Some(suffix) = self.suffix.take() {
                out.extend_from_slice(&suffix);
            }
        }
        out.extend_from_slice(frame);
        if kind == SYNC || kind == QUERY {
            self.writing_group = false;
            self.groups_written += 1;
        }
        Ok(())
    }

    /// Splices the pending context into a group that starts with a Bind of
    /// its statement. Other groups pass as they are: those the driver queued
    /// before the statement (a `ROLLBACK` queued by a dropped transaction,
    /// the Close of a dropped statement) are written first. The lease sends
    /// nothing else while a splice is pending, so the next Bind must be its
    /// statement's: one of another statement is refused.
    fn start_group(
        &mut self,
        kind: u8,
        frame: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Misdirected> {
        let Some(pending) = self.pending.as_ref().filter(|_| kind == BIND) else {
            return Ok(());
        };
        let bound = bound_statement(frame).unwrap_or_default();
        if self.prepared.query_of(bound) != Some(pending.query.as_bytes()) {
            return Err(Misdirected {
                expected: pending.query.to_string(),
                found: String::from_utf8_lossy(bound).into_owned(),
            });
        }
        let pending = self.pending.take().expect("checked above");
        out.extend_from_slice(pending.before.bytes());
        self.suffix = pending.after.as_ref().map(|after| after.bytes().clone());
        self.in_flight = Some(InFlight {
            group: self.groups_written + 1,
            phase: match pending.before.responses() {
                0 => Phase::Statement,
                responses => Phase::Context(responses),
            },
            after: pending.after.as_ref().map_or(0, ContextMessages::responses),
        });
        Ok(())
    }
}

/// The name of the prepared statement a Bind frame binds: the second
/// NUL-terminated string of its body, after the portal's name.
fn bound_statement(frame: &[u8]) -> Option<&[u8]> {
    c_strings(frame.get(frame::HEADER_LEN..)?).nth(1)
}

impl InFlight {
    fn classify(&mut self, kind: u8) -> Incoming {
        if is_asynchronous(kind) || kind == READY_FOR_QUERY {
            return Incoming::Pass;
        }
        if kind == ERROR_RESPONSE {
            // The server skips the rest of the group; its ReadyForQuery says
            // whether a transaction was left open.
            self.phase = Phase::Passing;
            return Incoming::Pass;
        }
        match &mut self.phase {
            Phase::Context(left) => {
                *left -= 1;
                if *left == 0 {
                    self.phase = Phase::Statement;
                }
                Incoming::Remove
            }
            Phase::Commit(left) => {
                *left -= 1;
                if *left == 0 {
                    self.phase = Phase::Passing;
                }
                Incoming::Remove
            }
            Phase::Statement => {
                if ends_execution(kind) {
                    self.phase = match self.after {
                        0 => Phase::Passing,
                        after => Phase::Commit(after),
                    };
                }
                Incoming::Pass
            }
            Phase::Passing => Incoming::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use postgres_protocol::message::frontend;
    use proptest::prelude::*;

    use super::*;

    /// A group that prepares `query` as `name`.
    fn parse_group(name: &str, query: &str) -> BytesMut {
        let mut buf = BytesMut::new();
        frontend::parse(name, query, [], &mut buf).unwrap();
        frontend::sync(&mut buf);
        buf
    }

    /// A group that runs prepared statement `name`, as the driver sends it.
    fn bind_group(name: &str) -> BytesMut {
        let mut buf = BytesMut::new();
        frontend::bind(
            "",
            name,
            [],
            std::iter::empty::<()>(),
            |_, _| unreachable!(),
            [],
            &mut buf,
        )
        .unwrap_or_else(|_| unreachable!());
        frontend::execute("", 0, &mut buf).unwrap();
        frontend::sync(&mut buf);
        buf
    }

    fn simple_query(sql: &str) -> BytesMut {
        let mut buf = BytesMut::new();
        frontend::query(sql, &mut buf).unwrap();
        buf
    }

    /// A splicer past the start-up exchange, whose ReadyForQuery is read.
    fn started() -> Splicer {
        let splicer = Splicer::default();
        splicer.start();
        assert_eq!(
            splicer.classify(&answer(READY_FOR_QUERY, IDLE)),
            Incoming::Pass
        );
        splicer
    }

    fn write(splicer: &Splicer, bytes: &[u8]) -> Result<BytesMut, Misdirected> {
        let mut unsent = BytesMut::from(bytes);
        let mut out = BytesMut::new();
        splicer.write_frames(&mut unsent, &mut out)?;
        assert!(unsent.is_empty(), "whole frames are all written");
        Ok(out)
    }

    fn context() -> ContextMessages {
        ContextMessages::new(["SET LOCAL tenantry.tenant_id = 'x'"])
    }

    #[test]
    fn the_context_goes_before_its_statements_bind_and_the_suffix_before_its_sync() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        let commit = ContextMessages::new(["COMMIT"]);
        splicer.splice("SELECT 1", &context(), Some(&commit));
        let group = bind_group("s1");
        let out = write(&splicer, &group).unwrap();
        let sync_at = group.len() - 5;
        let mut expected = BytesMut::from(&context().bytes()[..]);
        expected.extend_from_slice(&group[..sync_at]);
        expected.extend_from_slice(commit.bytes());
        expected.extend_from_slice(&group[sync_at..]);
        assert_eq!(out, expected);
        assert!(!splicer.is_idle(), "its answers are awaited");
    }

    #[test]
    fn groups_queued_before_the_statement_pass_unchanged() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        splicer.splice("SELECT 1", &context(), None);
        let mut close = BytesMut::new();
        frontend::close(b'S', "s7", &mut close).unwrap();
        frontend::sync(&mut close);
        for queued in [simple_query("ROLLBACK"), close] {
            assert_eq!(write(&splicer, &queued).unwrap(), queued);
        }
        let out = write(&splicer, &bind_group("s1")).unwrap();
        assert!(out.starts_with(context().bytes()));
    }

    #[test]
    fn a_bind_of_another_statement_never_takes_the_context() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        write(&splicer, &parse_group("s2", "SELECT 2")).unwrap();
        splicer.splice("SELECT 2", &context(), None);
        let refused = write(&splicer, &bind_group("s1")).unwrap_err();
        assert_eq!(
            (refused.expected.as_str(), refused.found.as_str()),
            ("SELECT 2", "s1")
        );
    }

    #[test]
    fn a_splice_for_a_query_never_seen_prepared_takes_no_group() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        splicer.splice("SELECT 3", &context(), None);
        assert!(write(&splicer, &bind_group("s1")).is_err());
    }

    #[test]
    fn a_closed_statement_is_forgotten() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        let mut close = BytesMut::new();
        frontend::close(b'S', "s1", &mut close).unwrap();
        frontend::sync(&mut close);
        write(&splicer, &close).unwrap();
        splicer.splice("SELECT 1", &context(), None);
        assert!(write(&splicer, &bind_group("s1")).is_err());
    }

    /// A backend frame of `kind` with an empty body (a ReadyForQuery with
    /// transaction status `status`).
    fn answer(kind: u8, status: u8) -> Vec<u8> {
        if kind == READY_FOR_QUERY {
            vec![kind, 0, 0, 0, 5, status]
        } else {
            vec![kind, 0, 0, 0, 4]
        }
    }

    /// What the server answers to the frames of `bytes` (a frontend stream)
    /// when every message succeeds, each group ending in transaction status
    /// `status`.
    fn answers_to(bytes: &[u8], status: u8) -> Vec<Vec<u8>> {
        let mut answers = Vec::new();
        let mut rest = bytes;
        while let Some((kind, length)) = frame::header(rest) {
            match kind {
                b'P' => answers.push(answer(b'1', 0)),
                b'B' => answers.push(answer(b'2', 0)),
                b'E' => answers.push(answer(b'C', 0)),
                b'C' => answers.push(answer(b'3', 0)),
                b'S' => answers.push(answer(READY_FOR_QUERY, status)),
                b'Q' => {
                    answers.push(answer(b'C', 0));
                    answers.push(answer(READY_FOR_QUERY, status));
                }
                _ => {}
            }
            rest = &rest[length..];
        }
        answers
    }

    /// One group the driver sends: a plain simple query, or a Bind of one of
    /// three prepared statements, spliced or not.
    #[derive(Debug, Clone)]
    enum Sent {
        Query,
        Bind { statement: usize, spliced: bool },
    }

    fn sent() -> impl Strategy<Value = Sent> {
        prop_oneof![
            Just(Sent::Query),
            (0..3usize, any::<bool>())
                .prop_map(|(statement, spliced)| Sent::Bind { statement, spliced }),
        ]
    }

    proptest! {
        /// Whatever groups the driver sends, in whatever chunks: each
        /// spliced group carries its context exactly once, before its own
        /// Bind, and the driver gets exactly the answers to what it sent,
        /// with notices anywhere passing through.
        #[test]
        fn the_driver_sees_exactly_the_answers_to_its_own_messages(
            groups in proptest::collection::vec(sent(), 1..12),
            chunk in 1usize..64,
            notice_every in 2usize..7,
        ) {
            let splicer = started();
            let queries = ["SELECT 0", "SELECT 1", "SELECT 2"];
            let mut wire = BytesMut::new();
            for (index, query) in queries.iter().enumerate() {
                let group = parse_group(&format!("s{index}"), query);
                wire.extend_from_slice(&write(&splicer, &group).unwrap());
            }
            for frame in answers_to(&wire, IDLE) {
                prop_assert_eq!(splicer.classify(&frame), Incoming::Pass);
            }
            wire.clear();
            for group in &groups {
                let bytes = match group {
                    Sent::Query => simple_query("SELECT 'q'"),
                    Sent::Bind { statement, spliced } => {
                        if *spliced {
                            splicer.splice(queries[*statement], &context(), None);
                        }
                        bind_group(&format!("s{statement}"))
                    }
                };
                // The driver's bytes arrive in chunks of any size.
                let mut unsent = BytesMut::new();
                for piece in bytes.chunks(chunk) {
                    unsent.extend_from_slice(piece);
                    splicer.write_frames(&mut unsent, &mut wire).unwrap();
                }
                prop_assert!(unsent.is_empty());
                // Only one splice waits at a time: its group is answered first.
                let expected: Vec<Vec<u8>> = answers_to(&bytes, IDLE);
                let mut passed = Vec::new();
                let server = answers_to(&wire, IDLE);
                for (position, frame) in server.iter().enumerate() {
                    if position % notice_every == 0 {
                        let notice = answer(b'N', 0);
                        prop_assert_eq!(splicer.classify(&notice), Incoming::Pass);
                    }
                    if splicer.classify(frame) == Incoming::Pass {
                        passed.push(frame.clone());
                    }
                }
                prop_assert_eq!(passed, expected);
                prop_assert!(splicer.is_idle());
                let context = context();
                let contexts = wire
                    .windows(context.bytes().len())
                    .filter(|window| *window == &context.bytes()[..])
                    .count();
                let spliced = matches!(group, Sent::Bind { spliced: true, .. });
                prop_assert_eq!(contexts, usize::from(spliced));
                if spliced {
                    // Right before the statement's own Bind.
                    prop_assert!(wire.starts_with(context.bytes()));
                }
                wire.clear();
            }
        }
    }

    #[test]
    fn a_failed_context_passes_its_error_and_says_the_transaction_is_open() {
        let splicer = started();
        write(&splicer, &parse_group("s1", "SELECT 1")).unwrap();
        // The Parse group is answered first.
        for frame in [answer(b'1', 0), answer(READY_FOR_QUERY, IDLE)] {
            assert_eq!(splicer.classify(&frame), Incoming::Pass);
        }
        splicer.splice("SELECT 1", &ContextMessages::new(["BEGIN"]), None);
        write(&splicer, &bind_group("s1")).unwrap();
        // BEGIN's Parse and Bind succeed, its Execute fails: the rest of the
        // group is skipped, and the transaction waits aborted.
        assert_eq!(splicer.classify(&answer(b'1', 0)), Incoming::Remove);
        assert_eq!(splicer.classify(&answer(b'2', 0)), Incoming::Remove);
        assert_eq!(splicer.classify(&answer(b'E', 0)), Incoming::Pass);
        assert_eq!(
            splicer.classify(&answer(READY_FOR_QUERY, b'E')),
            Incoming::Pass
        );
        let end = futures_util::FutureExt::now_or_never(splicer.finish());
        assert_eq!(end, Some(SpliceEnd::LeftOpen));
    }
}
