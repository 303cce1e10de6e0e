//! What is added to which message group, and which answers to remove.
//!
//! The lease registers a splice just before it sends its statement; the
//! connection's stream adds the context's messages to the next group that
//! starts with a Bind (the statement's), then removes their answers from the
//! server's. Groups are
//! counted on both sides: each one (a Sync, a simple Query, and the start-up
//! exchange) is answered by exactly one ReadyForQuery, so the answers to the
//! spliced group are those after as many ReadyForQuery as groups went before.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};

use super::ContextMessages;
use super::frame;

/// The splicing state of one connection, shared by its lease and its stream.
#[derive(Clone, Default)]
pub(crate) struct Splicer(Arc<Mutex<State>>);

/// How the transaction of a spliced statement's group ends.
#[derive(Clone, Copy)]
pub(crate) enum Ending<'a> {
    /// With these messages (a `COMMIT`), added just before the group's Sync.
    Commit(&'a ContextMessages),
    /// At the group's Sync: the group opens no transaction block, so the
    /// server runs it as one implicit transaction and commits it there (or
    /// rolls it back, if a message failed).
    AtSync,
    /// Not in the group: the transaction stays open (a stream commits once
    /// its rows are read).
    Open,
}

/// How a spliced statement's transaction ended, as the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpliceEnd {
    /// Nothing was sent (the statement failed before it was written).
    Unsent,
    /// The transaction is still open: the group did not end it
    /// ([`Ending::Open`]), or a message before the `COMMIT` failed and the
    /// transaction waits, aborted, for its `ROLLBACK`.
    LeftOpen,
    /// The transaction ended: committed, or rolled back by the server.
    Ended,
}

#[derive(Default)]
struct State {
    /// Whether the start-up exchange is over and frames are read.
    started: bool,
    /// The splice waiting for its statement's Bind.
    pending: Option<Pending>,
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
    before: ContextMessages,
    after: Option<ContextMessages>,
    at_sync: bool,
}

struct InFlight {
    /// Which group it is (the n-th to be answered).
    group: u64,
    phase: Phase,
    /// Answers of the messages added after the statement.
    after: usize,
    /// Whether the group runs as an implicit transaction, ended by its Sync.
    at_sync: bool,
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
        self.0.lock().expect("splicer lock")
    }

    /// Marks the start-up exchange as over: from now on the frontend's bytes
    /// are read as frames.
    pub(crate) fn start(&self) {
        let mut state = self.state();
        state.started = true;
        state.groups_written = 1;
    }

    /// Adds `before` in front of the next group that starts with a Bind (of
    /// a prepared statement), and ends its transaction as `ending` says.
    pub(crate) fn splice(&self, before: &ContextMessages, ending: Ending<'_>) {
        let mut state = self.state();
        state.left_open = false;
        state.pending = Some(Pending {
            before: before.clone(),
            after: match ending {
                Ending::Commit(commit) => Some(commit.clone()),
                Ending::AtSync | Ending::Open => None,
            },
            at_sync: matches!(ending, Ending::AtSync),
        });
    }

    /// How the last spliced statement's transaction ended. Call it once the
    /// driver has returned: the answers it saw were classified first.
    pub(crate) fn finish(&self) -> SpliceEnd {
        let mut state = self.state();
        if state.pending.take().is_some() {
            SpliceEnd::Unsent
        } else if state.left_open {
            SpliceEnd::LeftOpen
        } else {
            SpliceEnd::Ended
        }
    }

    /// Whether no splice waits to be sent and no spliced group waits for its
    /// answers: the connection holds nothing of a past statement.
    pub(crate) fn is_idle(&self) -> bool {
        let state = self.state();
        state.pending.is_none() && state.in_flight.is_none()
    }

    /// Moves the complete frames at the front of `unsent` to `out`, adding
    /// the splice's messages where they belong.
    pub(crate) fn write_frames(&self, unsent: &mut BytesMut, out: &mut BytesMut) {
        let mut state = self.state();
        if !state.started {
            out.extend_from_slice(unsent);
            unsent.clear();
            return;
        }
        while let Some((kind, length)) = frame::header(unsent) {
            if unsent.len() < length {
                break;
            }
            let frame = unsent.split_to(length);
            state.write_frame(kind, &frame, out);
        }
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
        let mut action = Incoming::Pass;
        let mut left_open = state.left_open;
        if let Some(in_flight) = state.in_flight.as_mut().filter(|f| f.group == current) {
            action = in_flight.classify(kind, &mut left_open);
        }
        if kind == READY_FOR_QUERY {
            state.groups_answered = current;
            if state.in_flight.as_ref().is_some_and(|f| f.group == current) {
                state.in_flight = None;
                // The server's own word on the transaction ends the guessing.
                left_open = frame.get(READY_STATUS) != Some(&IDLE);
            }
        }
        state.left_open = left_open;
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
    fn write_frame(&mut self, kind: u8, frame: &[u8], out: &mut BytesMut) {
        if !self.writing_group && starts_group(kind) {
            self.writing_group = true;
            self.start_group(kind, out);
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
    }

    /// Splices the pending context into a group that starts with a Bind.
    /// Other groups pass as they are: those the driver queued before the
    /// statement (a `ROLLBACK` queued by a dropped transaction, the Close of
    /// a dropped statement) are written first. The lease sends nothing else
    /// while a splice is pending, so the next Bind is its statement's.
    fn start_group(&mut self, kind: u8, out: &mut BytesMut) {
        if kind != BIND || self.pending.is_none() {
            return;
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
            at_sync: pending.at_sync,
        });
    }
}

impl InFlight {
    fn classify(&mut self, kind: u8, left_open: &mut bool) -> Incoming {
        if is_asynchronous(kind) || kind == READY_FOR_QUERY {
            return Incoming::Pass;
        }
        if kind == ERROR_RESPONSE {
            // The server skips the rest of the group: an implicit
            // transaction is rolled back at the Sync; a transaction block is
            // aborted and open, unless the `COMMIT` ran and failed (its
            // Bind, the first of its messages, was answered). The driver may
            // return the error before the ReadyForQuery says so.
            *left_open = match self.phase {
                _ if self.at_sync => false,
                Phase::Commit(left) => left == self.after,
                _ => true,
            };
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
