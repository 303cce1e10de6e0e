//! A look at a connection's socket without reading from it.
//!
//! The driver reads the server's bytes only when its task runs and the
//! runtime has seen the socket become readable. A backend terminated while
//! its connection sat idle in the pool has already sent its last words and
//! closed the socket, but until the driver reads them the connection looks
//! open, and a statement lent it would be written to a dead socket, where
//! it could not be told from one the server may have run. The pool asks the
//! socket itself before lending the connection.

use std::io;
use std::mem::MaybeUninit;

use socket2::{SockRef, Socket};

/// A second handle on a connection's socket (the same socket, not a new
/// one), kept as long as the connection.
#[derive(Debug)]
pub(crate) struct Probe(Socket);

impl Probe {
    /// A probe of `socket`.
    pub(crate) fn of<S>(socket: &S) -> io::Result<Self>
    where
        for<'s> SockRef<'s>: From<&'s S>,
    {
        SockRef::from(socket).try_clone().map(Probe)
    }

    /// Whether the server has neither closed the connection nor sent
    /// anything unread. An idle connection has nothing to read: bytes there
    /// are the error with which the server ended the session (or an
    /// unasked-for notice), so such a connection is not lent.
    pub(crate) fn is_quiet(&self) -> bool {
        // The socket is non-blocking: with nothing to read, peeking fails
        // with `WouldBlock` at once; at the end of the stream it reads 0.
        let mut byte = [MaybeUninit::uninit()];
        matches!(self.0.peek(&mut byte), Err(error) if error.kind() == io::ErrorKind::WouldBlock)
    }
}
