//! The driver's message groups, and the one a waiting splice is added to.
//!
//! While no splice waits, every group passes as it is. While one waits, the
//! groups the driver may have queued before the statement pass too (a
//! simple Query, such as the `ROLLBACK` of a dropped transaction; the Close
//! and Sync of a dropped statement; a Terminate), and the statement's group
//! must have the shape this driver gives it: a Bind of the statement into
//! the unnamed portal, an Execute of that portal, a Sync. Its Bind and
//! Execute are held back until the Sync, then written after the context's
//! messages, with the `COMMIT`'s before the Sync. Any other group is
//! refused before any of it is written: a Bind of another statement (a
//! request someone else left queued, which the context must never reach),
//! a Parse, a Describe, a Flush, a lone Sync, copy data, a function call.

use std::mem;

use bytes::BytesMut;

use super::super::frame::{
    self, BIND, CLOSE, EXECUTE, FUNCTION_CALL, HEADER_LEN, QUERY, SYNC, TERMINATE,
};
use super::super::prepared::c_strings;
use super::super::unrecognised::Unrecognised;
use super::{InFlight, Pending, Phase, State};

/// Where the group the driver is writing has got to.
#[derive(Default)]
pub(super) enum Writing {
    /// Between groups.
    #[default]
    Between,
    /// In a group that passes as it is: no splice waited when it started.
    Passing,
    /// In a group of Close messages, written while a splice waits.
    Closing,
    /// The statement's Bind, held back until its Execute.
    Bound(BytesMut),
    /// The statement's Bind and Execute, held back until its Sync.
    Executed(BytesMut),
}

/// Frontend frames that never start a group: copy data, Flush, Terminate
/// and authentication.
fn starts_group(kind: u8) -> bool {
    !matches!(kind, b'd' | b'c' | b'f' | b'H' | b'X' | b'p')
}

/// Frontend frames that end a group: the server answers each with one
/// ReadyForQuery.
fn ends_group(kind: u8) -> bool {
    matches!(kind, SYNC | QUERY | FUNCTION_CALL)
}

impl State {
    /// Writes one frame of type `kind` to `out`, or holds it back, or
    /// refuses it.
    pub(super) fn write_frame(
        &mut self,
        kind: u8,
        frame: BytesMut,
        out: &mut BytesMut,
    ) -> Result<(), Unrecognised> {
        let Some(message) = frame::frontend_message(kind) else {
            return Err(Unrecognised {
                expected: "a frontend message".to_owned(),
                found: format!("a frame of unknown type {:?}", char::from(kind)),
            });
        };
        self.prepared.observe(kind, &frame);
        self.writing = match mem::take(&mut self.writing) {
            Writing::Between => self.start_group(kind, message, frame, out)?,
            Writing::Passing => {
                out.extend_from_slice(&frame);
                if ends_group(kind) {
                    Writing::Between
                } else {
                    Writing::Passing
                }
            }
            Writing::Closing if kind == CLOSE || kind == SYNC => {
                out.extend_from_slice(&frame);
                if kind == SYNC {
                    Writing::Between
                } else {
                    Writing::Closing
                }
            }
            Writing::Closing => return Err(unexpected("a Close or a Sync", "Close", message)),
            Writing::Bound(mut held) if kind == EXECUTE && of_unnamed_portal(&frame) => {
                held.extend_from_slice(&frame);
                Writing::Executed(held)
            }
            Writing::Bound(_) => {
                return Err(unexpected(
                    "an Execute of the unnamed portal",
                    "Bind",
                    message,
                ));
            }
            Writing::Executed(held) if kind == SYNC => {
                self.send_spliced(&held, &frame, out);
                Writing::Between
            }
            Writing::Executed(_) => return Err(unexpected("a Sync", "Bind, Execute", message)),
        };
        if ends_group(kind) {
            self.groups_written += 1;
        }
        Ok(())
    }

    /// Starts a group with a frame of type `kind`: it passes, unless a
    /// splice waits; then it must be a queued request's, or the Bind of the
    /// splice's statement, which is held back.
    fn start_group(
        &mut self,
        kind: u8,
        message: &str,
        frame: BytesMut,
        out: &mut BytesMut,
    ) -> Result<Writing, Unrecognised> {
        let Some(pending) = &self.pending else {
            out.extend_from_slice(&frame);
            return Ok(if starts_group(kind) && !ends_group(kind) {
                Writing::Passing
            } else {
                Writing::Between
            });
        };
        match kind {
            QUERY | TERMINATE => {
                out.extend_from_slice(&frame);
                Ok(Writing::Between)
            }
            CLOSE => {
                out.extend_from_slice(&frame);
                Ok(Writing::Closing)
            }
            BIND => {
                let (portal, statement) = bind_target(&frame);
                let query = self.prepared.query_of(statement);
                if portal.is_empty() && query == Some(pending.query.as_bytes()) {
                    return Ok(Writing::Bound(frame));
                }
                let mut found = format!("a Bind of statement {:?}", lossy(statement));
                match query {
                    Some(query) => found += &format!(", prepared with {:?}", lossy(query)),
                    None => found += ", not prepared on this connection",
                }
                if !portal.is_empty() {
                    found += &format!(", into portal {:?}", lossy(portal));
                }
                Err(Unrecognised {
                    expected: pending.expected(),
                    found,
                })
            }
            _ => Err(Unrecognised {
                expected: pending.expected(),
                found: message.to_owned(),
            }),
        }
    }

    /// Writes the waiting splice's statement, its Bind and Execute `held`
    /// and its `sync`, with the context's messages, and awaits its answers.
    fn send_spliced(&mut self, held: &[u8], sync: &[u8], out: &mut BytesMut) {
        let pending = self
            .pending
            .take()
            .expect("a statement is held only while its splice waits");
        out.extend_from_slice(pending.before.bytes());
        out.extend_from_slice(held);
        if let Some(after) = &pending.after {
            out.extend_from_slice(after.bytes());
        }
        out.extend_from_slice(sync);
        self.in_flight = Some(InFlight {
            group: self.groups_written + 1,
            phase: match pending.before.responses() {
                0 => Phase::Statement,
                responses => Phase::Context(responses),
            },
            after: pending.after.as_ref().map_or(0, |after| after.responses()),
        });
    }
}

impl Pending {
    /// What the group of this splice's statement starts with.
    fn expected(&self) -> String {
        format!(
            "a Bind of the statement prepared with {:?} into the unnamed portal \
             (or a queued Query or Close)",
            self.query
        )
    }
}

/// A group that went on with `message` after `so_far`, where `expected`
/// was expected.
fn unexpected(expected: &str, so_far: &str, message: &str) -> Unrecognised {
    Unrecognised {
        expected: expected.to_owned(),
        found: format!("{so_far}, then {message}"),
    }
}

/// The portal and the prepared statement a Bind frame names: the first two
/// NUL-terminated strings of its body (empty if absent).
fn bind_target(frame: &[u8]) -> (&[u8], &[u8]) {
    let mut strings = c_strings(&frame[HEADER_LEN..]);
    let portal = strings.next().unwrap_or_default();
    (portal, strings.next().unwrap_or_default())
}

/// Whether an Execute frame runs the unnamed portal.
fn of_unnamed_portal(frame: &[u8]) -> bool {
    c_strings(&frame[HEADER_LEN..]).next() == Some(&[][..])
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
