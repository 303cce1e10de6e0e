//! The frame reader on its own.

use proptest::prelude::*;

use super::*;
use crate::transport::wire::testing::{frame, to_server};

#[test]
fn reads_the_header_once_it_has_arrived() {
    let parse = to_server::parse("", "BEGIN");
    assert_eq!(header(&parse), Ok(Some((b'P', parse.len()))));
    assert_eq!(header(&parse[..HEADER_LEN - 1]), Ok(None));
    assert_eq!(header(&parse[..HEADER_LEN]), Ok(Some((b'P', parse.len()))));
}

#[test]
fn a_length_field_below_its_own_size_or_beyond_an_int32_is_malformed() {
    for length in [0u32, 1, 2, 3, 0x8000_0000, u32::MAX] {
        let bytes = [&[b'D'][..], &length.to_be_bytes()].concat();
        assert_eq!(header(&bytes), Err(Malformed { kind: b'D', length }));
    }
    let empty_body = [b'S', 0, 0, 0, 4];
    assert_eq!(header(&empty_body), Ok(Some((b'S', HEADER_LEN))));
    let largest = [&[b'D'][..], &i32::MAX.to_be_bytes()].concat();
    assert_eq!(header(&largest), Ok(Some((b'D', 1 + i32::MAX as usize))));
}

#[test]
fn every_frontend_message_is_named_and_nothing_else() {
    for (name, message) in to_server::every_message() {
        assert_eq!(frontend_message(message[0]), Some(name));
    }
    let named = (0..=u8::MAX)
        .filter(|kind| frontend_message(*kind).is_some())
        .count();
    assert_eq!(named, to_server::every_message().len());
}

proptest! {
    /// Frames of any type and size, read from a stream cut anywhere: each
    /// is found whole, in order, and a cut header is only ever waited for.
    #[test]
    fn frames_cut_at_any_boundary_are_read_back_whole(
        frames in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8),
        cuts in proptest::collection::vec(1usize..32, 1..40),
    ) {
        let frames: Vec<Vec<u8>> = frames.iter().map(|(kind, body)| frame(*kind, body)).collect();
        let stream = frames.concat();
        let mut buffer = Vec::new();
        let mut read = Vec::new();
        let mut rest = &stream[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (arrived, later) = rest.split_at((*cut).min(rest.len()));
            buffer.extend_from_slice(arrived);
            rest = later;
            while let Some((kind, length)) = header(&buffer).unwrap() {
                prop_assert!(length >= HEADER_LEN);
                if buffer.len() < length {
                    break;
                }
                prop_assert_eq!(buffer[0], kind);
                read.push(buffer.drain(..length).collect::<Vec<u8>>());
            }
        }
        prop_assert!(buffer.is_empty());
        prop_assert_eq!(read, frames);
    }
}
