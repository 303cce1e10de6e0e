//! What is added to which message group, and which answers to remove.
//!
//! The lease registers a splice just before it sends its statement; the
//! connection's stream adds the context's messages to the next group that
//! starts with a Bind (the statement's), then removes their answers from the
//! server's. Groups are counted on both sides: each one (a Sync, a simple
//! Query, and the start-up exchange) is answered by exactly one
//! ReadyForQuery, so the answers to the spliced group are those after as
//! many ReadyForQuery as groups went before. That ReadyForQuery also says
//! whether the group left a transaction open.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use super::ContextMessages;
use super::frame;

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

    /// Adds `before` in front of the next group that starts with a Bind (of
    /// a prepared statement), and `after` (if any) in front of its Sync.
    pub(crate) fn splice(&self, before: &ContextMessages, after: Option<&ContextMessages>) {
        let mut state = self.state();
        state.left_open = false;
        state.pending = Some(Pending {
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
        });
    }
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
