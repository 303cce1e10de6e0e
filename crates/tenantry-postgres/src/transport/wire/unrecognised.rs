//! What the splice refuses: bytes it cannot recognise, from either side.

use std::fmt;

/// Bytes the splice cannot recognise: while a splice waits, a message group
/// of another shape than its statement's (another statement's Bind, a Parse,
/// a Flush, ...); a malformed frame or one of an unknown type; answers it
/// cannot count (COPY FROM STDIN). The stream fails with it, so the
/// connection ends, and the statement whose splice waited or was in flight
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrecognised {
    /// What the splice expected.
    pub(crate) expected: String,
    /// What it found.
    pub(crate) found: String,
}

impl fmt::Display for Unrecognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the splice expected {}, found {}: the connection is ended",
            self.expected, self.found
        )
    }
}

impl std::error::Error for Unrecognised {}
