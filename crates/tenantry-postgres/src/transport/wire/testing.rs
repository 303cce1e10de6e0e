//! Frames of both sides, encoded for the tests of the wire module.

use bytes::BytesMut;
use postgres_protocol::message::frontend;

/// A frame of type `kind` with `body`.
pub(super) fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let length = u32::try_from(body.len() + 4).expect("a test frame fits an Int32");
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// Encodes with one of the protocol crate's frontend encoders.
fn encoded(encode: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode(&mut buf);
    buf.to_vec()
}

/// The frontend messages.
pub(super) mod to_server {
    use super::*;

    pub(crate) fn parse(name: &str, query: &str) -> Vec<u8> {
        encoded(|buf| frontend::parse(name, query, [], buf).unwrap())
    }

    /// A Bind of statement `statement` into `portal`, without values.
    pub(crate) fn bind(portal: &str, statement: &str) -> Vec<u8> {
        encoded(|buf| {
            frontend::bind(
                portal,
                statement,
                [],
                std::iter::empty::<()>(),
                |_, _| unreachable!("no values"),
                [1],
                buf,
            )
            .unwrap_or_else(|_| unreachable!("a Bind without values encodes"))
        })
    }

    /// A Describe of a statement (`b'S'`) or a portal (`b'P'`).
    pub(crate) fn describe(variant: u8, name: &str) -> Vec<u8> {
        encoded(|buf| frontend::describe(variant, name, buf).unwrap())
    }

    pub(crate) fn execute(portal: &str, max_rows: i32) -> Vec<u8> {
        encoded(|buf| frontend::execute(portal, max_rows, buf).unwrap())
    }

    pub(crate) fn sync() -> Vec<u8> {
        encoded(frontend::sync)
    }

    pub(crate) fn flush() -> Vec<u8> {
        encoded(frontend::flush)
    }

    /// A Close of a statement (`b'S'`) or a portal (`b'P'`).
    pub(crate) fn close(variant: u8, name: &str) -> Vec<u8> {
        encoded(|buf| frontend::close(variant, name, buf).unwrap())
    }

    pub(crate) fn query(sql: &str) -> Vec<u8> {
        encoded(|buf| frontend::query(sql, buf).unwrap())
    }

    pub(crate) fn copy_data(data: &[u8]) -> Vec<u8> {
        frame(b'd', data)
    }

    pub(crate) fn copy_done() -> Vec<u8> {
        encoded(frontend::copy_done)
    }

    pub(crate) fn copy_fail() -> Vec<u8> {
        encoded(|buf| frontend::copy_fail("stopped", buf).unwrap())
    }

    /// A FunctionCall of function OID 1 without arguments, result as text.
    pub(crate) fn function_call() -> Vec<u8> {
        frame(b'F', &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    }

    pub(crate) fn terminate() -> Vec<u8> {
        encoded(frontend::terminate)
    }

    pub(crate) fn password() -> Vec<u8> {
        encoded(|buf| frontend::password_message(b"secret", buf).unwrap())
    }

    /// Every frontend message of the extended and simple protocols, after
    /// the start-up exchange: its name and an instance.
    pub(crate) fn every_message() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("Parse", parse("s9", "SELECT 9")),
            ("Bind", bind("", "s9")),
            ("Describe", describe(b'S', "s9")),
            ("Execute", execute("", 0)),
            ("Sync", sync()),
            ("Flush", flush()),
            ("Close", close(b'S', "s9")),
            ("Query", query("SELECT 9")),
            ("CopyData", copy_data(b"9\n")),
            ("CopyDone", copy_done()),
            ("CopyFail", copy_fail()),
            ("FunctionCall", function_call()),
            ("Terminate", terminate()),
            ("a password message", password()),
        ]
    }
}

/// The backend messages.
pub(super) mod to_client {
    use super::*;

    /// A message of `kind` with an empty body (ParseComplete, BindComplete,
    /// CloseComplete, NoData, EmptyQueryResponse, PortalSuspended, CopyDone).
    pub(crate) fn empty(kind: u8) -> Vec<u8> {
        frame(kind, &[])
    }

    /// A ReadyForQuery with transaction status `status` (`I`, `T` or `E`).
    pub(crate) fn ready(status: u8) -> Vec<u8> {
        frame(b'Z', &[status])
    }

    /// A DataRow of one text column of `size` bytes.
    pub(crate) fn data_row(size: usize) -> Vec<u8> {
        let mut body = vec![0, 1];
        body.extend_from_slice(&i32::try_from(size).unwrap().to_be_bytes());
        body.resize(body.len() + size, b'x');
        frame(b'D', &body)
    }

    pub(crate) fn command_complete(tag: &str) -> Vec<u8> {
        frame(b'C', &[tag.as_bytes(), &[0]].concat())
    }

    /// An error or notice (`kind` `E` or `N`) with a severity, a code and a
    /// message.
    fn fields(kind: u8, code: &str, message: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (field, value) in [(b'S', "ERROR"), (b'C', code), (b'M', message)] {
            body.push(field);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        frame(kind, &body)
    }

    pub(crate) fn error_response(message: &str) -> Vec<u8> {
        fields(b'E', "XX000", message)
    }

    pub(crate) fn notice() -> Vec<u8> {
        fields(b'N', "00000", "unasked")
    }

    pub(crate) fn parameter_status() -> Vec<u8> {
        frame(b'S', b"application_name\0tenantry\0")
    }

    pub(crate) fn notification() -> Vec<u8> {
        frame(
            b'A',
            &[&7i32.to_be_bytes()[..], b"changes\0payload\0"].concat(),
        )
    }

    /// A ParameterDescription of no parameters.
    pub(crate) fn parameter_description() -> Vec<u8> {
        frame(b't', &[0, 0])
    }

    /// A RowDescription of one text column.
    pub(crate) fn row_description() -> Vec<u8> {
        let mut body = vec![0, 1];
        body.extend_from_slice(b"c\0");
        body.extend_from_slice(&[0; 6]);
        body.extend_from_slice(&25u32.to_be_bytes());
        body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]);
        frame(b'T', &body)
    }

    /// A CopyOutResponse (`H`), CopyInResponse (`G`) or CopyBothResponse
    /// (`W`) of one text column.
    pub(crate) fn copy_response(kind: u8) -> Vec<u8> {
        frame(kind, &[0, 0, 1, 0, 0])
    }

    pub(crate) fn copy_data(data: &[u8]) -> Vec<u8> {
        frame(b'd', data)
    }

    /// An AuthenticationOk.
    pub(crate) fn authentication_ok() -> Vec<u8> {
        frame(b'R', &[0, 0, 0, 0])
    }

    /// A BackendKeyData.
    pub(crate) fn backend_key_data() -> Vec<u8> {
        frame(b'K', &[0, 0, 0, 7, 0, 0, 0, 9])
    }

    /// A FunctionCallResponse of a NULL result.
    pub(crate) fn function_call_response() -> Vec<u8> {
        frame(b'V', &(-1i32).to_be_bytes())
    }
}

pub(super) mod server;
