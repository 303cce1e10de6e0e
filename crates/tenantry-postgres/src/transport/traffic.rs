//! What a connection's stream did to its socket, shared with the connection's
//! lease: how many bytes it wrote, and how it ended.
//!
//! The byte count tells exactly whether a statement reached the socket: if
//! nothing was written between the moment a statement was about to be sent
//! and its failure, the server never saw it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The traffic of one connection's stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traffic(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    written: AtomicU64,
    ended: OnceLock<io::ErrorKind>,
}

impl Traffic {
    /// Records `count` bytes written to the socket.
    pub(crate) fn wrote(&self, count: usize) {
        self.0.written.fetch_add(count as u64, Ordering::AcqRel);
    }

    /// Bytes written to the socket so far.
    pub(crate) fn written(&self) -> u64 {
        self.0.written.load(Ordering::Acquire)
    }

    /// Records how the stream ended: the kind of its I/O error, or
    /// [`io::ErrorKind::UnexpectedEof`] when the server closed it. The first
    /// record stays.
    pub(crate) fn end(&self, kind: io::ErrorKind) {
        let _ = self.0.ended.set(kind);
    }

    /// How the stream ended, if it has.
    pub(crate) fn ended(&self) -> Option<io::ErrorKind> {
        self.0.ended.get().copied()
    }
}
