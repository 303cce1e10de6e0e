//! TLS beneath the splice: the socket is made secure before the stream that
//! splices tenant contexts wraps it, so a statement and its context still
//! travel as one message group, encrypted.
//!
//! The negotiation is PostgreSQL's: an SSLRequest, one byte of answer (`S`
//! or `N`), then the handshake, with rustls. What is checked of the
//! server's certificate follows libpq's `sslmode`.

mod files;
mod verify;

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::failure::{ConnectFailure, Failed};
use super::socket::{BoxedSocket, Endpoint};
use crate::options::{Connector, SslMode, TlsOptions};

/// The SSLRequest message: its length, then the request code 1234.5679.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Makes `socket` secure as `tls` asks: returns it as it is when TLS is
/// off, or not offered and not required.
pub(crate) async fn secure(
    mut socket: BoxedSocket,
    tls: &TlsOptions,
    endpoint: &Endpoint,
) -> Result<BoxedSocket, Failed> {
    if tls.mode == SslMode::Disable {
        return Ok(socket);
    }
    if endpoint.is_unix() {
        return if tls.mode.requires_tls() {
            Err(Failed::new(
                ConnectFailure::TlsUnavailable,
                "TLS is not used over a Unix-domain socket",
            ))
        } else {
            Ok(socket)
        };
    }
    let connector = connector(tls)?;
    socket.write_all(&SSL_REQUEST).await.map_err(Failed::io)?;
    socket.flush().await.map_err(Failed::io)?;
    // Exactly one byte: whatever the server sent after it must be TLS.
    match socket.read_u8().await.map_err(Failed::io)? {
        b'S' => {}
        b'N' if !tls.mode.requires_tls() => return Ok(socket),
        b'N' => {
            return Err(Failed::new(
                ConnectFailure::TlsUnavailable,
                format!("the server does not accept TLS, and sslmode={}", tls.mode),
            ));
        }
        other => {
            return Err(Failed::new(
                ConnectFailure::Protocol,
                format!("the server answered the TLS request with byte {other:#04x}"),
            ));
        }
    }
    let name = server_name(endpoint, connector.verifies_host)?;
    let stream = TlsConnector::from(connector.config)
        .connect(name, socket)
        .await
        .map_err(Failed::tls)?;
    Ok(Box::new(stream))
}

/// The name the certificate is checked against and sent in SNI: the host
/// name, else the address connected to.
fn server_name(endpoint: &Endpoint, verifies_host: bool) -> Result<ServerName<'static>, Failed> {
    match (&endpoint.host_name, endpoint.ip()) {
        (Some(name), _) => ServerName::try_from(name.to_string()).map_err(|_| {
            Failed::new(
                ConnectFailure::Tls,
                format!("{name:?} is not a valid TLS server name"),
            )
        }),
        (None, _) if verifies_host => Err(Failed::new(
            ConnectFailure::Tls,
            "sslmode=verify-full needs a host name to check the certificate against",
        )),
        (None, Some(ip)) => Ok(ServerName::IpAddress(ip.into())),
        (None, None) => unreachable!("a TCP endpoint has an address"),
    }
}

/// The TLS client of `tls`, made once and then shared.
fn connector(tls: &TlsOptions) -> Result<Connector, Failed> {
    let mut made = tls
        .connector
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(connector) = made.as_ref() {
        return Ok(connector.clone());
    }
    let connector = build(tls).map_err(|error| Failed::new(ConnectFailure::TlsSettings, error))?;
    *made = Some(connector.clone());
    Ok(connector)
}

/// Makes the TLS client: versions, what is verified, against which
/// authorities, and the client's own certificate.
fn build(tls: &TlsOptions) -> Result<Connector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
        (crate::options::TlsVersion::Tls1_2, &rustls::version::TLS12),
        (crate::options::TlsVersion::Tls1_3, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(version, _)| (tls.min_version..=tls.max_version).contains(version))
    .map(|(_, supported)| supported)
    .collect();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|error| error.to_string())?;
    let verification = verify::Verification::of(tls);
    let verifier = verification.verifier(tls, provider)?;
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match files::client_identity(tls)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|error| format!("the client certificate cannot be used: {error}"))?,
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = tls.sni;
    Ok(Connector {
        config: Arc::new(config),
        verifies_host: verification == verify::Verification::Full,
    })
}
