//! Why a connection could not be opened, told apart from what the socket,
//! the TLS handshake or the server said.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use tokio_postgres::error::SqlState;

/// Why a connection could not be opened: what
/// [`Error::Connect`](crate::Error::Connect) says, the same for the
/// application's pools and the operator's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// Nothing accepts connections at the address.
    Refused,
    /// The address could not be reached (no route, no such host, or no
    /// answer within the connect timeout).
    Unreachable,
    /// The connection broke during its start-up.
    Lost,
    /// TLS is required, and the server does not offer it (or the address is
    /// a Unix-domain socket, where TLS is not used).
    TlsUnavailable,
    /// The server's certificate is not signed by a trusted authority (or is
    /// expired, revoked or malformed).
    CertificateNotTrusted,
    /// The server's certificate is trusted but not issued to the host name
    /// connected to (`verify-full`).
    HostnameMismatch,
    /// The TLS handshake failed otherwise (the server refused the client's
    /// certificate, no common protocol version, ...).
    Tls,
    /// The TLS settings cannot be used: a certificate or key file is missing
    /// or unreadable, or no trusted authority is known.
    TlsSettings,
    /// The server refused the credentials, or has no `pg_hba.conf` entry
    /// for the connection.
    AuthenticationFailed,
    /// The server asked for a password and none is configured.
    MissingPassword,
    /// The role does not exist (servers say so only where authentication
    /// does not ask for a password).
    UnknownRole,
    /// The database does not exist.
    UnknownDatabase,
    /// The server is starting up, shutting down or recovering, and accepts
    /// no connections now (SQLSTATE 57P03).
    ServerUnavailable,
    /// The server has no connection slot left (SQLSTATE 53300).
    TooManyConnections,
    /// The server is not of the kind `target_session_attrs` asks for.
    WrongServerKind,
    /// The server refused the connection for another reason.
    Rejected,
    /// The server answered with something the protocol does not allow.
    Protocol,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectFailure::Refused => "connection refused",
            ConnectFailure::Unreachable => "server unreachable",
            ConnectFailure::Lost => "connection lost during start-up",
            ConnectFailure::TlsUnavailable => "TLS unavailable",
            ConnectFailure::CertificateNotTrusted => "server certificate not trusted",
            ConnectFailure::HostnameMismatch => "server certificate not issued to this host",
            ConnectFailure::Tls => "TLS handshake failed",
            ConnectFailure::TlsSettings => "TLS settings unusable",
            ConnectFailure::AuthenticationFailed => "authentication failed",
            ConnectFailure::MissingPassword => "password required but none configured",
            ConnectFailure::UnknownRole => "unknown role",
            ConnectFailure::UnknownDatabase => "unknown database",
            ConnectFailure::ServerUnavailable => "server not accepting connections now",
            ConnectFailure::TooManyConnections => "server has too many connections",
            ConnectFailure::WrongServerKind => "server of the wrong kind",
            ConnectFailure::Rejected => "server rejected the connection",
            ConnectFailure::Protocol => "protocol violation",
        })
    }
}

/// A failure and what caused it, before the address is added.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) failure: ConnectFailure,
    pub(crate) source: Box<dyn StdError + Send + Sync>,
}

impl Failed {
    pub(crate) fn new(failure: ConnectFailure, message: impl Into<String>) -> Self {
        Self {
            failure,
            source: message.into().into(),
        }
    }

    /// A socket error, by its kind.
    pub(crate) fn io(error: io::Error) -> Self {
        let failure = match error.kind() {
            io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => ConnectFailure::Lost,
            _ => ConnectFailure::Unreachable,
        };
        Self {
            failure,
            source: Box::new(error),
        }
    }

    /// A failed TLS handshake: the certificate's fault, or another.
    pub(crate) fn tls(error: io::Error) -> Self {
        let failure = match error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => ConnectFailure::HostnameMismatch,
            Some(rustls::Error::InvalidCertificate(_)) => ConnectFailure::CertificateNotTrusted,
            Some(_) => ConnectFailure::Tls,
            None => return Self::io(error),
        };
        Self {
            failure,
            source: Box::new(error),
        }
    }

    /// The start-up exchange failed: what the server said, or why it stopped.
    pub(crate) fn startup(error: tokio_postgres::Error) -> Self {
        let failure = if let Some(db_error) = error.as_db_error() {
            match *db_error.code() {
                SqlState::INVALID_PASSWORD => ConnectFailure::AuthenticationFailed,
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                    if db_error.routine() == Some("InitializeSessionUserId") =>
                {
                    ConnectFailure::UnknownRole
                }
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                    ConnectFailure::AuthenticationFailed
                }
                SqlState::INVALID_CATALOG_NAME => ConnectFailure::UnknownDatabase,
                SqlState::CANNOT_CONNECT_NOW => ConnectFailure::ServerUnavailable,
                SqlState::TOO_MANY_CONNECTIONS => ConnectFailure::TooManyConnections,
                _ => ConnectFailure::Rejected,
            }
        } else if error
            .source()
            .is_some_and(|source| source.to_string() == "password missing")
        {
            ConnectFailure::MissingPassword
        } else if let Some(io) = error
            .source()
            .and_then(|source| source.downcast_ref::<io::Error>())
        {
            Self::io(io::Error::new(io.kind(), io.to_string())).failure
        } else if error.is_closed() {
            ConnectFailure::Lost
        } else {
            ConnectFailure::Protocol
        };
        Self {
            failure,
            source: Box::new(error),
        }
    }
}
