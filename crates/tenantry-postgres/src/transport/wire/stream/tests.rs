//! The stream between a driver and a model server, with both sides' bytes
//! cut anywhere: the driver sees exactly the answers to its own messages,
//! whatever the server answers and wherever a message fails.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::FutureExt;
use proptest::prelude::*;

use super::*;
use crate::transport::wire::ContextMessages;
use crate::transport::wire::shared::{CONTEXT_FOR_GROUP, PIN_SHARED_PATH};
use crate::transport::wire::splicer::SpliceEnd;
use crate::transport::wire::testing::server::ModelServer;
use crate::transport::wire::testing::{to_client, to_server};

/// Sizes taken in turn, for the pieces bytes are cut into.
#[derive(Debug, Clone)]
struct Cuts {
    sizes: Vec<usize>,
    next: usize,
}

impl Cuts {
    fn new(sizes: Vec<usize>) -> Self {
        Self { sizes, next: 0 }
    }

    fn take(&mut self) -> usize {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        size
    }
}

/// The socket under the stream: it takes what is written in pieces, and
/// hands over what the server sent in pieces, then waits.
struct Socket {
    written: Vec<u8>,
    to_read: VecDeque<u8>,
    cuts: Cuts,
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.to_read.is_empty() {
            return Poll::Pending;
        }
        let count = this
            .cuts
            .take()
            .min(buf.remaining())
            .min(this.to_read.len());
        let piece: Vec<u8> = this.to_read.drain(..count).collect();
        buf.put_slice(&piece);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let count = this.cuts.take().min(data.len());
        this.written.extend_from_slice(&data[..count]);
        Poll::Ready(Ok(count))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A driver on a stream over a model server.
struct Connection {
    stream: SplicingStream<Socket>,
    splicer: Splicer,
    server: ModelServer,
    /// How the driver cuts its writes and sizes its reads.
    cuts: Cuts,
    /// Asynchronous messages the server slips in, and how often.
    unasked: Vec<Vec<u8>>,
    unasked_every: usize,
}

/// What is written for the driver's frame, or added to its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Driver,
    Added,
}

impl Connection {
    /// A connection past its start-up exchange, which the stream let
    /// through untouched.
    fn started(socket_cuts: Vec<usize>, driver_cuts: Vec<usize>, unasked_every: usize) -> Self {
        let splicer = Splicer::default();
        let socket = Socket {
            written: Vec::new(),
            to_read: VecDeque::new(),
            cuts: Cuts::new(socket_cuts),
        };
        let mut connection = Self {
            stream: SplicingStream::new(socket, splicer.clone(), Default::default()),
            splicer,
            server: ModelServer::new(),
            cuts: Cuts::new(driver_cuts),
            unasked: vec![
                to_client::notice(),
                to_client::parameter_status(),
                to_client::notification(),
            ],
            unasked_every,
        };
        let mut startup = bytes::BytesMut::new();
        postgres_protocol::message::frontend::startup_message([("user", "app")], &mut startup)
            .unwrap();
        let startup = [&startup[..], &to_server::password()].concat();
        connection.write(&startup);
        assert_eq!(connection.take_written(), startup);
        let answers = [
            to_client::authentication_ok(),
            to_client::parameter_status(),
            to_client::backend_key_data(),
            to_client::ready(b'I'),
        ]
        .concat();
        connection.answer(&answers);
        assert_eq!(connection.read(), answers);
        connection.splicer.start();
        connection
    }

    fn poll<T>(
        &mut self,
        poll: impl FnOnce(Pin<&mut SplicingStream<Socket>>, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        poll(
            Pin::new(&mut self.stream),
            &mut Context::from_waker(Waker::noop()),
        )
    }

    /// Writes `bytes` in pieces, then flushes.
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let piece = &rest[..self.cuts.take().min(rest.len())];
            match self.poll(|stream, cx| stream.poll_write(cx, piece)) {
                Poll::Ready(Ok(written)) => rest = &rest[written..],
                other => panic!("a write to a socket that takes everything: {other:?}"),
            }
        }
        assert!(self.poll(|stream, cx| stream.poll_flush(cx)).is_ready());
    }

    fn take_written(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.stream.inner.written)
    }

    /// Has the server send `bytes`.
    fn answer(&mut self, bytes: &[u8]) {
        self.stream.inner.to_read.extend(bytes);
    }

    /// Reads in pieces until the stream waits.
    fn read(&mut self) -> Vec<u8> {
        let mut read = Vec::new();
        loop {
            let mut space = vec![0; self.cuts.take()];
            let mut buf = ReadBuf::new(&mut space);
            match self.poll(|stream, cx| stream.poll_read(cx, &mut buf)) {
                Poll::Ready(Ok(())) => {
                    assert!(!buf.filled().is_empty(), "the stream never ends here");
                    read.extend_from_slice(buf.filled());
                }
                Poll::Ready(Err(error)) => panic!("{error}"),
                Poll::Pending => return read,
            }
        }
    }

    /// Sends one group the driver wrote as `frames`, with the frames the
    /// stream is expected to write for it; the server fails the frame
    /// `fail` (counted over those written). Returns what the driver read.
    fn exchange(
        &mut self,
        frames: &[Vec<u8>],
        expected: &[(Vec<u8>, Origin)],
        fail: Option<usize>,
    ) -> Vec<u8> {
        self.write(&frames.concat());
        let written = self.take_written();
        let expected_bytes: Vec<u8> = expected
            .iter()
            .flat_map(|(frame, _)| frame.clone())
            .collect();
        assert_eq!(written, expected_bytes, "what the stream wrote");
        if let Some(fail) = fail {
            self.server.fail_in(fail);
        }
        let (mut answers, mut the_drivers) = (Vec::new(), Vec::new());
        for (frame, origin) in expected {
            for answer in self.server.receive(frame) {
                if answers.len() % self.unasked_every == 0 {
                    let unasked = self.unasked[answers.len() % self.unasked.len()].clone();
                    the_drivers.extend_from_slice(&unasked);
                    answers.push(unasked);
                }
                // An error is the statement's, whichever message failed.
                if *origin == Origin::Driver || answer[0] == b'E' {
                    the_drivers.extend_from_slice(&answer);
                }
                answers.push(answer);
            }
        }
        self.answer(&answers.concat());
        let read = self.read();
        assert_eq!(read, the_drivers, "what the driver read");
        read
    }
}

/// The frames of `group`, all the driver's.
fn drivers(group: &[Vec<u8>]) -> Vec<(Vec<u8>, Origin)> {
    group
        .iter()
        .map(|frame| (frame.clone(), Origin::Driver))
        .collect()
}

/// The frames of `messages`, added to a group.
fn added(messages: &ContextMessages) -> Vec<(Vec<u8>, Origin)> {
    let mut frames = Vec::new();
    let mut rest = &messages.bytes()[..];
    while let Some((_, length)) = frame::header(rest).unwrap() {
        frames.push((rest[..length].to_vec(), Origin::Added));
        rest = &rest[length..];
    }
    frames
}

/// The statements the driver prepares: `SELECT <rows> <size>` returns that
/// many rows of that size (some larger than a read), `COPY` copies out, the
/// empty query answers EmptyQueryResponse.
const STATEMENTS: [&str; 6] = [
    "SELECT 0 0",
    "SELECT 3 10",
    "SELECT 2 20000",
    "INSERT INTO t",
    "",
    "COPY t TO STDOUT",
];

/// The contexts a statement runs in.
#[derive(Debug, Clone, Copy)]
enum Spliced {
    /// The shared statement's set_config, in the group's implicit transaction.
    InGroup,
    /// `BEGIN` and `SET LOCAL`s, and a `COMMIT` before the Sync.
    Block,
    /// `BEGIN` and `SET LOCAL`s, left open (a stream commits later).
    Open,
    /// No message at all.
    Empty,
}

impl Spliced {
    fn messages(self) -> (ContextMessages, Option<ContextMessages>) {
        let block = ContextMessages::new([
            "BEGIN",
            "SET LOCAL tenantry.tenant_id = 'x'",
            PIN_SHARED_PATH,
        ]);
        match self {
            Spliced::InGroup => (
                ContextMessages::shared_row(CONTEXT_FOR_GROUP, &["x", "public"]),
                None,
            ),
            Spliced::Block => (block, Some(ContextMessages::new(["COMMIT"]))),
            Spliced::Open => (block, None),
            Spliced::Empty => (ContextMessages::new([]), None),
        }
    }
}

/// One group the driver sends.
#[derive(Debug, Clone)]
enum Request {
    /// A prepared statement, spliced or not, its Execute limited to
    /// `max_rows`, a message of its group failing.
    Run {
        statement: usize,
        spliced: Option<Spliced>,
        max_rows: i32,
        fail: Option<usize>,
    },
    /// A simple query, failing or not.
    Simple { statement: usize, fail: bool },
    /// A statement on the unnamed statement: Parse, Bind, Describe,
    /// Execute, Sync.
    Unnamed { statement: usize },
    /// The Close of a portal.
    Close,
    /// A function call.
    FunctionCall,
}

fn request() -> impl Strategy<Value = Request> {
    let spliced = prop_oneof![
        Just(Spliced::InGroup),
        Just(Spliced::Block),
        Just(Spliced::Open),
        Just(Spliced::Empty)
    ];
    prop_oneof![
        4 => (0..STATEMENTS.len(), proptest::option::weighted(0.8, spliced), prop_oneof![Just(0), 1..3i32], proptest::option::of(any::<usize>()))
            .prop_map(|(statement, spliced, max_rows, fail)| Request::Run { statement, spliced, max_rows, fail }),
        1 => (0..STATEMENTS.len(), any::<bool>()).prop_map(|(statement, fail)| Request::Simple { statement, fail }),
        1 => (0..STATEMENTS.len()).prop_map(|statement| Request::Unnamed { statement }),
        1 => Just(Request::Close),
        1 => Just(Request::FunctionCall),
    ]
}

impl Connection {
    /// Prepares the context's shared statements in front of a probe, as a
    /// connection does first, then the driver's statements.
    fn prepare(&mut self) {
        let probe = [to_server::parse("probe", "SELECT 1"), to_server::sync()];
        self.exchange(&probe, &drivers(&probe), None);
        let preparation = ContextMessages::preparation();
        self.splicer.splice("SELECT 1", &preparation, None);
        let run = [
            to_server::bind("", "probe"),
            to_server::execute("", 0),
            to_server::sync(),
        ];
        let expected = [added(&preparation), drivers(&run)].concat();
        self.exchange(&run, &expected, None);
        assert_eq!(self.splicer.finish().now_or_never(), Some(SpliceEnd::Ended));
        for (index, query) in STATEMENTS.iter().enumerate() {
            let group = [
                to_server::parse(&format!("s{index}"), query),
                to_server::describe(b'S', &format!("s{index}")),
                to_server::sync(),
            ];
            self.exchange(&group, &drivers(&group), None);
        }
    }

    /// Sends `request`; a spliced statement's transaction left open is
    /// rolled back after, as the lease does.
    fn send(&mut self, request: &Request) {
        match request {
            Request::Run {
                statement,
                spliced,
                max_rows,
                fail,
            } => {
                let run = [
                    to_server::bind("", &format!("s{statement}")),
                    to_server::execute("", *max_rows),
                    to_server::sync(),
                ];
                let Some(spliced) = spliced else {
                    let fail = fail.map(|fail| fail % (run.len() - 1));
                    self.exchange(&run, &drivers(&run), fail);
                    return;
                };
                let (before, after) = spliced.messages();
                self.splicer
                    .splice(STATEMENTS[*statement], &before, after.as_ref());
                let mut expected = added(&before);
                expected.extend(drivers(&run[..2]));
                if let Some(after) = &after {
                    expected.extend(added(after));
                }
                expected.extend(drivers(&run[2..]));
                let fail = fail.map(|fail| fail % (expected.len() - 1));
                let read = self.exchange(&run, &expected, fail);
                let status = *read.last().expect("the group's ReadyForQuery");
                let end = self.splicer.finish().now_or_never();
                if status == b'I' {
                    assert_eq!(end, Some(SpliceEnd::Ended));
                } else {
                    assert_eq!(end, Some(SpliceEnd::LeftOpen));
                    let rollback = [to_server::query("ROLLBACK")];
                    self.exchange(&rollback, &drivers(&rollback), None);
                }
            }
            Request::Simple { statement, fail } => {
                let query = [to_server::query(STATEMENTS[*statement])];
                self.exchange(&query, &drivers(&query), fail.then_some(0));
            }
            Request::Unnamed { statement } => {
                let group = [
                    to_server::parse("", STATEMENTS[*statement]),
                    to_server::bind("", ""),
                    to_server::describe(b'P', ""),
                    to_server::execute("", 0),
                    to_server::sync(),
                ];
                self.exchange(&group, &drivers(&group), None);
            }
            Request::Close => {
                let group = [to_server::close(b'P', "p1"), to_server::sync()];
                self.exchange(&group, &drivers(&group), None);
            }
            Request::FunctionCall => {
                let call = [to_server::function_call()];
                self.exchange(&call, &drivers(&call), None);
            }
        }
        assert!(self.splicer.is_idle());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the driver sends, in whatever pieces, and whatever pieces
    /// the server's answers arrive in: each spliced group carries its
    /// context once, right before its statement's Bind, and its `COMMIT`
    /// right before its Sync; the driver reads exactly the answers to its
    /// own messages, an error wherever it happens, and every message the
    /// server sends unasked; the splice says how the transaction ended.
    #[test]
    fn the_driver_reads_exactly_the_answers_to_its_own_messages(
        requests in proptest::collection::vec(request(), 1..10),
        socket_cuts in proptest::collection::vec(1usize..600, 1..8),
        driver_cuts in proptest::collection::vec(1usize..600, 1..8),
        unasked_every in 2usize..12,
    ) {
        let mut connection = Connection::started(socket_cuts, driver_cuts, unasked_every);
        connection.prepare();
        for request in &requests {
            connection.send(request);
        }
    }
}

#[test]
fn bytes_cut_at_every_boundary_pass_the_same() {
    for cut in 1..40 {
        let mut connection = Connection::started(vec![cut], vec![cut], 3);
        connection.prepare();
        for spliced in [
            Spliced::InGroup,
            Spliced::Block,
            Spliced::Open,
            Spliced::Empty,
        ] {
            // Each message of the group fails in turn (positions wrap).
            for fail in std::iter::once(None).chain((0..12).map(Some)) {
                let run = Request::Run {
                    statement: 1,
                    spliced: Some(spliced),
                    max_rows: 0,
                    fail,
                };
                connection.send(&run);
            }
        }
    }
}

/// What the stream's error holds: what the splice refused.
fn refusal(error: &io::Error) -> &Unrecognised {
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Unrecognised>())
        .expect("the splice's refusal")
}

#[test]
fn a_malformed_frame_from_the_server_fails_the_read_once() {
    let mut connection = Connection::started(vec![7], vec![64], 100);
    connection.answer(&[b'Z', 0, 0, 0, 3, b'I']);
    let mut space = [0; 64];
    let mut buf = ReadBuf::new(&mut space);
    let Poll::Ready(Err(error)) = connection.poll(|stream, cx| stream.poll_read(cx, &mut buf))
    else {
        panic!("a malformed frame fails the read");
    };
    assert_eq!(refusal(&error).found, "a 'Z' frame whose length field is 3");
    assert!(buf.filled().is_empty());
}

#[test]
fn a_group_the_splice_refuses_fails_the_write_and_nothing_of_it_goes_out() {
    let mut connection = Connection::started(vec![600], vec![600], 100);
    connection.prepare();
    let (before, after) = Spliced::Block.messages();
    connection
        .splicer
        .splice(STATEMENTS[1], &before, after.as_ref());
    let unnamed = [
        to_server::parse("", STATEMENTS[1]),
        to_server::bind("", ""),
        to_server::execute("", 0),
        to_server::sync(),
    ]
    .concat();
    let Poll::Ready(Err(error)) = connection.poll(|stream, cx| stream.poll_write(cx, &unnamed))
    else {
        panic!("the group is refused");
    };
    assert_eq!(refusal(&error).found, "Parse");
    assert!(connection.take_written().is_empty());
    assert!(matches!(
        connection.splicer.finish().now_or_never(),
        Some(SpliceEnd::Refused(_))
    ));
}

#[test]
fn copy_in_fails_the_read() {
    let mut connection = Connection::started(vec![600], vec![600], 100);
    connection.answer(&to_client::copy_response(b'G'));
    let mut space = [0; 64];
    let mut buf = ReadBuf::new(&mut space);
    let Poll::Ready(Err(error)) = connection.poll(|stream, cx| stream.poll_read(cx, &mut buf))
    else {
        panic!("COPY FROM STDIN fails the read");
    };
    assert_eq!(refusal(&error).found, "CopyInResponse");
}
