//! Message frames of the PostgreSQL protocol: a type byte, then a big-endian
//! `Int32` length that counts itself and the body.

use super::unrecognised::Unrecognised;

/// Bytes before a frame's body: its type and its length.
pub(super) const HEADER_LEN: usize = 5;

/// Frontend message types the splice acts on.
pub(super) const BIND: u8 = b'B';
pub(super) const CLOSE: u8 = b'C';
pub(super) const EXECUTE: u8 = b'E';
pub(super) const FUNCTION_CALL: u8 = b'F';
pub(super) const PARSE: u8 = b'P';
pub(super) const QUERY: u8 = b'Q';
pub(super) const SYNC: u8 = b'S';
pub(super) const TERMINATE: u8 = b'X';

/// The least a length field can say: the four bytes of the field itself.
const LEAST_LENGTH: u32 = 4;

/// A frame whose length field is outside the protocol's range: below the
/// four bytes it counts itself, or beyond what an `Int32` holds. Where the
/// next frame starts cannot be known, so the stream cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Malformed {
    /// The frame's type byte.
    pub(super) kind: u8,
    /// What its length field says.
    pub(super) length: u32,
}

impl From<Malformed> for Unrecognised {
    fn from(malformed: Malformed) -> Self {
        Unrecognised {
            expected: "a frame whose length field counts its own 4 bytes and fits an Int32"
                .to_owned(),
            found: format!(
                "a {:?} frame whose length field is {}",
                char::from(malformed.kind),
                malformed.length
            ),
        }
    }
}

/// The type and total length (header included) of the frame at the start of
/// `bytes`, once its header has arrived.
pub(super) fn header(bytes: &[u8]) -> Result<Option<(u8, usize)>, Malformed> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let (kind, length) = (
        header[0],
        u32::from_be_bytes([header[1], header[2], header[3], header[4]]),
    );
    if !(LEAST_LENGTH..=i32::MAX.unsigned_abs()).contains(&length) {
        return Err(Malformed { kind, length });
    }
    Ok(Some((kind, 1 + length as usize)))
}

/// The name of frontend message type `kind`, if it is one (after the
/// start-up exchange, whose first messages have no type byte).
pub(super) fn frontend_message(kind: u8) -> Option<&'static str> {
    Some(match kind {
        BIND => "Bind",
        CLOSE => "Close",
        b'd' => "CopyData",
        b'c' => "CopyDone",
        b'f' => "CopyFail",
        b'D' => "Describe",
        EXECUTE => "Execute",
        b'H' => "Flush",
        FUNCTION_CALL => "FunctionCall",
        PARSE => "Parse",
        b'p' => "a password message",
        QUERY => "Query",
        SYNC => "Sync",
        TERMINATE => "Terminate",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
