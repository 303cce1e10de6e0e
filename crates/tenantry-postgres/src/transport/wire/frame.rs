//! Message frames of the PostgreSQL protocol: a type byte, then a big-endian
//! `i32` length that counts itself and the body.

/// Bytes before a frame's body: its type and its length.
pub(super) const HEADER_LEN: usize = 5;

/// The type and total length (header included) of the frame at the start of
/// `bytes`, once its header has arrived.
pub(super) fn header(bytes: &[u8]) -> Option<(u8, usize)> {
    let header = bytes.get(..HEADER_LEN)?;
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    Some((header[0], 1 + length as usize))
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use postgres_protocol::message::frontend;

    use super::*;

    #[test]
    fn reads_the_header_once_it_has_arrived() {
        let mut buf = BytesMut::new();
        frontend::parse("", "BEGIN", [], &mut buf).unwrap();
        assert_eq!(header(&buf), Some((b'P', buf.len())));
        assert_eq!(header(&buf[..HEADER_LEN - 1]), None);
    }
}
