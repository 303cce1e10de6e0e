//! The splicer on its own: the driver's frames in, the frames written and
//! what becomes of each of the server's answers out.

use bytes::BytesMut;
use futures_util::FutureExt;

use super::*;
use crate::transport::wire::testing::{frame, to_client, to_server};

/// A splicer past the start-up exchange, whose ReadyForQuery is read.
fn started() -> Splicer {
    let splicer = Splicer::default();
    splicer.start();
    assert_eq!(classify(&splicer, &to_client::ready(IDLE)), Incoming::Pass);
    splicer
}

/// A started splicer on which the driver prepared `SELECT 1` as `s1` and
/// `SELECT 2` as `s2`, answered.
fn prepared() -> Splicer {
    let splicer = started();
    for (name, query) in [("s1", "SELECT 1"), ("s2", "SELECT 2")] {
        write(
            &splicer,
            &[to_server::parse(name, query), to_server::sync()].concat(),
        )
        .unwrap();
        for answer in [to_client::empty(b'1'), to_client::ready(IDLE)] {
            assert_eq!(classify(&splicer, &answer), Incoming::Pass);
        }
    }
    splicer
}

/// What the splicer does with the whole server frame `frame`.
fn classify(splicer: &Splicer, frame: &[u8]) -> Incoming {
    splicer
        .classify(frame, frame.len())
        .expect("a frame the splice counts")
}

/// What the splicer writes for the driver's `bytes`, whole frames.
fn write(splicer: &Splicer, bytes: &[u8]) -> Result<Vec<u8>, Unrecognised> {
    let mut unsent = BytesMut::from(bytes);
    let mut out = BytesMut::new();
    splicer.write_frames(&mut unsent, &mut out)?;
    assert!(unsent.is_empty(), "whole frames are all written");
    Ok(out.to_vec())
}

/// The group that runs prepared statement `name`, as the driver writes it.
fn statement_group(name: &str) -> Vec<u8> {
    [
        to_server::bind("", name),
        to_server::execute("", 0),
        to_server::sync(),
    ]
    .concat()
}

fn context() -> ContextMessages {
    ContextMessages::new(["SET LOCAL tenantry.tenant_id = 'x'"])
}

fn commit() -> ContextMessages {
    ContextMessages::new(["COMMIT"])
}

fn finished(splicer: &Splicer) -> SpliceEnd {
    splicer
        .finish()
        .now_or_never()
        .expect("nothing left to wait for")
}

#[test]
fn the_context_goes_before_its_statements_bind_and_the_commit_before_its_sync() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &context(), Some(&commit()));
    let out = write(&splicer, &statement_group("s1")).unwrap();
    let expected = [
        &context().bytes()[..],
        &to_server::bind("", "s1"),
        &to_server::execute("", 0),
        commit().bytes(),
        &to_server::sync(),
    ]
    .concat();
    assert_eq!(out, expected);
    assert!(!splicer.is_idle(), "its answers are awaited");
}

#[test]
fn the_statements_bind_and_execute_are_held_back_until_its_sync() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &context(), None);
    assert!(
        write(&splicer, &to_server::bind("", "s1"))
            .unwrap()
            .is_empty()
    );
    assert!(
        write(&splicer, &to_server::execute("", 0))
            .unwrap()
            .is_empty()
    );
    let out = write(&splicer, &to_server::sync()).unwrap();
    assert!(out.starts_with(context().bytes()));
    assert!(out.ends_with(&statement_group("s1")));
}

#[test]
fn groups_queued_before_the_statement_pass_unchanged() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &context(), None);
    let queued = [
        to_server::query("ROLLBACK"),
        [to_server::close(b'S', "s7"), to_server::sync()].concat(),
        [to_server::close(b'P', "p1"), to_server::sync()].concat(),
    ];
    for group in queued {
        assert_eq!(write(&splicer, &group).unwrap(), group);
    }
    let out = write(&splicer, &statement_group("s1")).unwrap();
    assert!(out.starts_with(context().bytes()));
}

#[test]
fn a_group_begun_before_the_splice_passes_whole() {
    let splicer = prepared();
    let group = statement_group("s2");
    let (begun, rest) = group.split_at(group.len() - to_server::sync().len());
    assert_eq!(write(&splicer, begun).unwrap(), begun);
    splicer.splice("SELECT 2", &context(), None);
    assert_eq!(write(&splicer, rest).unwrap(), rest);
    let out = write(&splicer, &statement_group("s2")).unwrap();
    assert!(
        out.starts_with(context().bytes()),
        "the next group takes it"
    );
}

/// Groups a waiting splice cannot recognise, what it says it found, and
/// the bytes written before the refusal.
fn unrecognised_groups() -> Vec<(Vec<u8>, &'static str, Vec<u8>)> {
    use to_server::*;
    let nothing = Vec::new();
    vec![
        (sync(), "Sync", nothing.clone()),
        (
            [parse("s3", "SELECT 2"), describe(b'S', "s3"), sync()].concat(),
            "Parse",
            nothing.clone(),
        ),
        (
            [
                parse("", "SELECT 2"),
                bind("", ""),
                describe(b'P', ""),
                execute("", 0),
                sync(),
            ]
            .concat(),
            "Parse",
            nothing.clone(),
        ),
        (
            statement_group("s1"),
            "a Bind of statement \"s1\", prepared with \"SELECT 1\"",
            nothing.clone(),
        ),
        (
            statement_group("s7"),
            "a Bind of statement \"s7\", not prepared on this connection",
            nothing.clone(),
        ),
        (
            [bind("p1", "s2"), sync()].concat(),
            "a Bind of statement \"s2\", prepared with \"SELECT 2\", into portal \"p1\"",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), sync()].concat(),
            "Bind, then Sync",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), describe(b'P', ""), execute("", 0), sync()].concat(),
            "Bind, then Describe",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), execute("p1", 0), sync()].concat(),
            "Bind, then Execute",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), execute("", 0), flush()].concat(),
            "Bind, Execute, then Flush",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), execute("", 0), statement_group("s2")].concat(),
            "Bind, Execute, then Bind",
            nothing.clone(),
        ),
        (
            [bind("", "s2"), execute("", 0), query("COMMIT")].concat(),
            "Bind, Execute, then Query",
            nothing.clone(),
        ),
        (
            [describe(b'S', "s2"), sync()].concat(),
            "Describe",
            nothing.clone(),
        ),
        (
            [execute("", 0), sync()].concat(),
            "Execute",
            nothing.clone(),
        ),
        (flush(), "Flush", nothing.clone()),
        (copy_data(b"2\n"), "CopyData", nothing.clone()),
        (copy_done(), "CopyDone", nothing.clone()),
        (copy_fail(), "CopyFail", nothing.clone()),
        (function_call(), "FunctionCall", nothing.clone()),
        (password(), "a password message", nothing.clone()),
        (
            [close(b'S', "s7"), statement_group("s2")].concat(),
            "Close, then Bind",
            close(b'S', "s7"),
        ),
        (
            frame(b'z', b""),
            "a frame of unknown type 'z'",
            nothing.clone(),
        ),
        (
            [b'B', 0, 0, 0, 2].to_vec(),
            "a 'B' frame whose length field is 2",
            nothing,
        ),
    ]
}

#[test]
fn a_group_a_waiting_splice_cannot_recognise_is_refused_before_any_of_it_is_written() {
    for (group, found, written) in unrecognised_groups() {
        let splicer = prepared();
        splicer.splice("SELECT 2", &context(), Some(&commit()));
        let mut unsent = BytesMut::from(&group[..]);
        let mut out = BytesMut::new();
        let refused = splicer.write_frames(&mut unsent, &mut out).unwrap_err();
        assert_eq!(refused.found, found);
        assert_eq!(out.to_vec(), written, "{found}");
        // Refused for good: the connection ends, and the statement says why.
        assert_eq!(
            write(&splicer, &statement_group("s2")),
            Err(refused.clone())
        );
        assert_eq!(finished(&splicer), SpliceEnd::Refused(refused));
    }
}

#[test]
fn a_splice_expects_its_statements_bind() {
    let splicer = prepared();
    splicer.splice("SELECT 2", &context(), None);
    let refused = write(&splicer, &to_server::flush()).unwrap_err();
    assert_eq!(
        refused.expected,
        "a Bind of the statement prepared with \"SELECT 2\" into the unnamed portal \
         (or a queued Query or Close)"
    );
}

#[test]
fn a_splice_for_a_statement_closed_since_takes_no_group() {
    let splicer = prepared();
    let close = [to_server::close(b'S', "s1"), to_server::sync()].concat();
    write(&splicer, &close).unwrap();
    splicer.splice("SELECT 1", &context(), None);
    assert!(write(&splicer, &statement_group("s1")).is_err());
}

#[test]
fn without_a_waiting_splice_every_message_passes_as_it_is() {
    for (name, message) in to_server::every_message() {
        let splicer = prepared();
        assert_eq!(write(&splicer, &message).unwrap(), message, "{name}");
    }
}

#[test]
fn malformed_and_unknown_frames_are_refused_whether_or_not_a_splice_waits() {
    for bad in [frame(b'z', b"?"), [b'S', 0, 0, 0, 3].to_vec()] {
        let refused = write(&prepared(), &bad).unwrap_err();
        assert!(
            refused.found.contains("unknown type") || refused.found.contains("length field"),
            "{refused}"
        );
    }
    let huge = [b'D', 0x80, 0, 0, 0];
    assert!(write(&prepared(), &huge).is_err(), "beyond an Int32");
}

#[test]
fn the_start_up_exchange_passes_unread() {
    let splicer = Splicer::default();
    let mut startup = BytesMut::new();
    postgres_protocol::message::frontend::startup_message([("user", "app")], &mut startup).unwrap();
    let bytes = [&startup[..], &to_server::password(), &[b'p', 0, 0, 0, 1]].concat();
    assert_eq!(write(&splicer, &bytes).unwrap(), bytes);
}

#[test]
fn a_function_call_is_a_group_of_its_own() {
    let splicer = prepared();
    write(&splicer, &to_server::function_call()).unwrap();
    splicer.splice("SELECT 1", &context(), None);
    write(&splicer, &statement_group("s1")).unwrap();
    // The function call's answers come first, then the spliced group's.
    for answer in [to_client::function_call_response(), to_client::ready(IDLE)] {
        assert_eq!(classify(&splicer, &answer), Incoming::Pass);
    }
    for removed in [to_client::empty(b'1'), to_client::empty(b'2')] {
        assert_eq!(classify(&splicer, &removed), Incoming::Remove);
    }
    assert_eq!(
        classify(&splicer, &to_client::command_complete("SET")),
        Incoming::Remove
    );
    assert_eq!(classify(&splicer, &to_client::empty(b'2')), Incoming::Pass);
}

#[test]
fn copy_in_is_refused_and_the_statement_in_flight_says_so() {
    for kind in [b'G', b'W'] {
        let splicer = prepared();
        splicer.splice("SELECT 1", &ContextMessages::new([]), None);
        write(&splicer, &statement_group("s1")).unwrap();
        assert_eq!(classify(&splicer, &to_client::empty(b'2')), Incoming::Pass);
        let copy = to_client::copy_response(kind);
        let refused = splicer.classify(&copy, copy.len()).unwrap_err();
        assert!(refused.found.starts_with("Copy"), "{refused}");
        assert_eq!(finished(&splicer), SpliceEnd::Refused(refused));
    }
}

#[test]
fn a_context_answered_with_a_frame_too_large_to_hold_is_refused() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &context(), None);
    write(&splicer, &statement_group("s1")).unwrap();
    let large = to_client::data_row(100);
    let refused = splicer.classify(&large[..20], large.len()).unwrap_err();
    assert_eq!(
        refused.found,
        format!("a 'D' frame of {} bytes", large.len())
    );
}

#[test]
fn a_refusal_after_a_statement_was_answered_is_not_its_own() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &ContextMessages::new([]), None);
    write(&splicer, &statement_group("s1")).unwrap();
    for answer in [
        to_client::empty(b'2'),
        to_client::command_complete("SELECT 1"),
        to_client::ready(IDLE),
    ] {
        assert_eq!(classify(&splicer, &answer), Incoming::Pass);
    }
    write(&splicer, &to_server::copy_data(b"?")).unwrap();
    assert!(write(&splicer, &frame(b'z', b"")).is_err());
    assert_eq!(finished(&splicer), SpliceEnd::Ended);
}

#[test]
fn a_failed_context_passes_its_error_and_says_the_transaction_is_open() {
    let splicer = prepared();
    splicer.splice("SELECT 1", &ContextMessages::new(["BEGIN"]), None);
    write(&splicer, &statement_group("s1")).unwrap();
    // BEGIN's Parse and Bind succeed, its Execute fails: the rest of the
    // group is skipped, and the transaction waits aborted.
    assert_eq!(
        classify(&splicer, &to_client::empty(b'1')),
        Incoming::Remove
    );
    assert_eq!(
        classify(&splicer, &to_client::empty(b'2')),
        Incoming::Remove
    );
    let error = to_client::error_response("no");
    assert_eq!(classify(&splicer, &error), Incoming::Pass);
    assert_eq!(classify(&splicer, &to_client::ready(b'E')), Incoming::Pass);
    assert_eq!(finished(&splicer), SpliceEnd::LeftOpen);
}
