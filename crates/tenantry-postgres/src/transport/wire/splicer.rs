//! What is added to which message group, and which answers to remove.
//!
//! The lease registers a splice just before it sends its statement, naming
//! the query of the prepared statement it binds; the connection's stream
//! recognises the statement's group (see [`groups`]), adds the context's
//! messages to it, then removes their answers from the server's. Groups are
//! counted on both sides: each one (a Sync, a simple Query, a FunctionCall,
//! and the start-up exchange) is answered by exactly one ReadyForQuery, so
//! the answers to the spliced group are those after as many ReadyForQuery
//! as groups went before. That ReadyForQuery also says whether the group
//! left a transaction open.
//!
//! Whatever the splice cannot recognise, from either side, ends the
//! connection with an [`Unrecognised`] error, which the statement whose
//! splice waited or was in flight reports: it never runs without its
//! context, and its answers are never miscounted.

mod groups;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::ContextMessages;
use super::frame;
use super::prepared::Prepared;
use super::unrecognised::Unrecognised;
use groups::Writing;

/// The splicing state of one connection, shared by its lease and its stream.
#[derive(Clone, Default)]
pub(crate) struct Splicer(Arc<Shared>);

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a spliced group's ReadyForQuery is read, when the
    /// stream refuses what it cannot recognise, and when it ends.
    answered: Notify,
}

/// How a spliced statement's transaction ended, as the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The stream refused the statement's group, or the answers to it, and
    /// ended the connection: the statement never ran without its context,
    /// and nothing of it was committed.
    Refused(Unrecognised),
}

#[derive(Default)]
struct State {
    /// Whether the start-up exchange is over and frames are read.
    started: bool,
    /// Whether the stream has ended: no more answers will come.
    closed: bool,
    /// What the stream refused, if anything: it has ended.
    refused: Option<Unrecognised>,
    /// The splice waiting for its statement's group.
    pending: Option<Pending>,
    /// The named statements the driver has prepared.
    prepared: Prepared,
    /// Groups written so far, the start-up exchange included.
    groups_written: u64,
    /// Where the group being written has got to.
    writing: Writing,
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

/// What the stream does with a frame from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// Hand it to the driver.
    Pass,
    /// Drop it: it answers a message the driver did not send.
    Remove,
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

    /// Adds `before` in front of the Bind of the next group that runs a
    /// statement, which must be a statement prepared (and already parsed)
    /// with `query`, and `after` (if any) in front of its Sync.
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
                let unsent = state.pending.take().is_some();
                if let Some(refused) = &state.refused {
                    if unsent || state.in_flight.is_some() {
                        return SpliceEnd::Refused(refused.clone());
                    }
                }
                if unsent {
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

    /// Records that the stream refuses `unrecognised` and ends; returns
    /// the first refusal, which the waiting statement reports.
    pub(crate) fn refuse(&self, unrecognised: Unrecognised) -> Unrecognised {
        let refused = self.state().refused.get_or_insert(unrecognised).clone();
        self.0.answered.notify_waiters();
        refused
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
    /// the splice's messages where they belong (a spliced statement's Bind
    /// and Execute are held back until its Sync). Fails, and the connection
    /// must end, on a frame or group the splice cannot recognise.
    pub(crate) fn write_frames(
        &self,
        unsent: &mut bytes::BytesMut,
        out: &mut bytes::BytesMut,
    ) -> Result<(), Unrecognised> {
        let mut state = self.state();
        if let Some(refused) = &state.refused {
            return Err(refused.clone());
        }
        if !state.started {
            out.extend_from_slice(unsent);
            unsent.clear();
            return Ok(());
        }
        loop {
            let (kind, length) = match frame::header(unsent) {
                Ok(Some(header)) if unsent.len() >= header.1 => header,
                Ok(_) => return Ok(()),
                Err(malformed) => {
                    drop(state);
                    return Err(self.refuse(malformed.into()));
                }
            };
            let frame = unsent.split_to(length);
            if let Err(unrecognised) = state.write_frame(kind, frame, out) {
                drop(state);
                return Err(self.refuse(unrecognised));
            }
        }
    }

    /// What to do with the server frame that starts `frame`: its bytes
    /// received so far, its header at least (and the whole of a
    /// ReadyForQuery), of `length` bytes in all. Fails, and the connection
    /// must end, on answers the splice cannot count.
    pub(crate) fn classify(&self, frame: &[u8], length: usize) -> Result<Incoming, Unrecognised> {
        let kind = frame[0];
        if let Some(copy) = copy_in_response(kind) {
            return Err(self.refuse(Unrecognised {
                expected: "answers whose groups can be counted (pooled connections never copy in)"
                    .to_owned(),
                found: copy.to_owned(),
            }));
        }
        let mut state = self.state();
        let current = state.groups_answered + 1;
        let spliced = state.in_flight.as_ref().is_some_and(|f| f.group == current);
        let action = match state.in_flight.as_mut() {
            Some(in_flight) if spliced => in_flight.classify(kind),
            _ => Incoming::Pass,
        };
        if action == Incoming::Remove && frame.len() < length {
            drop(state);
            return Err(self.refuse(Unrecognised {
                expected: "a small answer to a context message".to_owned(),
                found: format!("a {:?} frame of {length} bytes", char::from(kind)),
            }));
        }
        if kind == READY_FOR_QUERY {
            state.groups_answered = current;
            if spliced {
                state.in_flight = None;
                state.left_open = frame.get(READY_STATUS) != Some(&IDLE);
                drop(state);
                self.0.answered.notify_waiters();
            }
        }
        Ok(action)
    }
}

const READY_FOR_QUERY: u8 = b'Z';
const ERROR_RESPONSE: u8 = b'E';

/// Where a ReadyForQuery holds the transaction status, and the status of a
/// session outside any transaction.
const READY_STATUS: usize = 5;
const IDLE: u8 = b'I';

/// The backend frames that start COPY FROM STDIN, in which the server
/// ignores Syncs, so that groups could no longer be counted: their names.
fn copy_in_response(kind: u8) -> Option<&'static str> {
    match kind {
        b'G' => Some("CopyInResponse"),
        b'W' => Some("CopyBothResponse"),
        _ => None,
    }
}

/// Backend frames that may arrive at any time and answer nothing.
fn is_asynchronous(kind: u8) -> bool {
    matches!(kind, b'N' | b'S' | b'A')
}

/// Backend frames that end a statement's answer to its Execute.
fn ends_execution(kind: u8) -> bool {
    matches!(kind, b'C' | b'I' | b's')
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
mod tests;
