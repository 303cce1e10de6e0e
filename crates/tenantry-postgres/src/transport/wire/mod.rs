//! The tenant context and its statement in one message group, with one Sync.
//!
//! tokio-postgres ends every request with a Sync, so a context sent as
//! requests of its own would cost the server a Sync and a ReadyForQuery
//! flush each, and the driver a response each to route. The protocol allows
//! more: everything between two Syncs is one group, executed in order. So
//! each connection's byte stream goes through a [`SplicingStream`]: when a
//! statement is run in a context, the stream writes the context's messages
//! (Bind and Execute of shared prepared statements, or Parse, Bind and
//! Execute on the unnamed statement) just before the statement's Bind, and
//! those of a `COMMIT`, if the context opened a transaction block, just
//! before its Sync. The server answers the whole group with one
//! ReadyForQuery; the stream removes the answers to the added messages, so
//! the driver sees exactly the answer to the request it sent.
//!
//! Each splice names the query of the statement it belongs to (the stream
//! learns which query each named statement runs from the Parse frames the
//! driver writes), and the statement's group must have the shape this
//! driver gives it (a Bind of that statement, an Execute, a Sync): any
//! other group while a splice waits (another statement's Bind, a Parse, a
//! Flush, ...), a malformed frame, or answers that cannot be counted end
//! the connection with an [`Unrecognised`] error, which the statement
//! reports. It never runs without its context. Groups that a previous
//! borrower may have left queued are the first guard: a connection with a
//! request that could be a statement still queued is closed, never lent
//! (see the lease), since a queued statement of the same query could not
//! be told apart.
//!
//! If any message of the group fails, the server skips the rest of the group
//! up to its Sync: the error reaches the driver as the statement's, and the
//! [`Splicer`] records whether the transaction was left open (aborted, to be
//! rolled back) or ended, as the group's ReadyForQuery confirms.

mod frame;
mod messages;
mod prepared;
pub(crate) mod shared;
mod splicer;
mod stream;
#[cfg(test)]
mod testing;
mod unrecognised;

pub(crate) use messages::ContextMessages;
pub(crate) use splicer::{SpliceEnd, Splicer};
pub(crate) use stream::SplicingStream;
pub(crate) use unrecognised::Unrecognised;
