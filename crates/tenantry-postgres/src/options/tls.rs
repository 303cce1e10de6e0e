//! A server's TLS settings: libpq's `sslmode`, `sslrootcert`, `sslcert`,
//! `sslkey`, `sslsni` and protocol version bounds.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::ClientConfig;

use super::SslMode;

/// Where the certificates of trusted authorities come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootCerts {
    /// The PEM certificates in this file (libpq's `sslrootcert=path`).
    File(PathBuf),
    /// The platform's trusted authorities (libpq's `sslrootcert=system`).
    System,
}

/// A TLS protocol version, for `ssl_min_protocol_version` and
/// `ssl_max_protocol_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TlsVersion {
    Tls1_2,
    Tls1_3,
}

impl TlsVersion {
    /// Reads a libpq version name. A minimum below 1.2 is raised to 1.2 (the
    /// oldest version offered); a maximum below it cannot be met.
    pub(crate) fn parse(value: &str, minimum: bool) -> Result<Self, String> {
        match value {
            "TLSv1.3" => Ok(TlsVersion::Tls1_3),
            "TLSv1.2" => Ok(TlsVersion::Tls1_2),
            "TLSv1" | "TLSv1.1" | "" if minimum => Ok(TlsVersion::Tls1_2),
            "TLSv1" | "TLSv1.1" => Err(format!(
                "ssl_max_protocol_version={value}: TLS before 1.2 is not supported"
            )),
            other => Err(format!(
                "{other:?} is none of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"
            )),
        }
    }
}

/// How one server's connections use TLS.
#[derive(Clone)]
pub(crate) struct TlsOptions {
    pub(crate) mode: SslMode,
    /// Trusted authorities; `None`: `~/.postgresql/root.crt` if it exists,
    /// else the platform's.
    pub(crate) root_certs: Option<RootCerts>,
    /// The client certificate and its key; `None`:
    /// `~/.postgresql/postgresql.{crt,key}` if both exist.
    pub(crate) client_identity: Option<(PathBuf, PathBuf)>,
    /// Whether the host name is sent (SNI).
    pub(crate) sni: bool,
    pub(crate) min_version: TlsVersion,
    pub(crate) max_version: TlsVersion,
    /// The TLS client these settings make, once one was needed.
    pub(crate) connector: Arc<Mutex<Option<Connector>>>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            mode: SslMode::default(),
            root_certs: None,
            client_identity: None,
            sni: true,
            min_version: TlsVersion::Tls1_2,
            max_version: TlsVersion::Tls1_3,
            connector: Arc::default(),
        }
    }
}

impl TlsOptions {
    /// Applies one libpq TLS setting.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "sslmode" => self.mode = value.parse()?,
            "requiressl" => match value {
                "1" => self.mode = SslMode::Require,
                "0" => self.mode = SslMode::Prefer,
                other => return Err(format!("requiressl={other:?} is neither 0 nor 1")),
            },
            "sslrootcert" => {
                self.root_certs = Some(match value {
                    "system" => RootCerts::System,
                    path => RootCerts::File(PathBuf::from(path)),
                });
            }
            "sslcert" => {
                let key = self.client_identity.take().map(|(_, key)| key);
                self.client_identity = Some((value.into(), key.unwrap_or_default()));
            }
            "sslkey" => {
                let cert = self.client_identity.take().map(|(cert, _)| cert);
                self.client_identity = Some((cert.unwrap_or_default(), value.into()));
            }
            "sslsni" => self.sni = flag(key, value)?,
            "ssl_min_protocol_version" => self.min_version = TlsVersion::parse(value, true)?,
            "ssl_max_protocol_version" => self.max_version = TlsVersion::parse(value, false)?,
            "sslcompression" if !flag(key, value)? => {}
            "sslnegotiation" if value == "postgres" => {}
            "gssencmode" if value == "disable" || value == "prefer" => {}
            "sslcertmode" if value == "disable" || value == "allow" => {}
            other => {
                return Err(format!(
                    "{other}={value:?} is not supported (sslpassword, sslcrl, sslcrldir, sslcompression=1, sslnegotiation=direct, gssencmode=require and sslcertmode=require are not)"
                ));
            }
        }
        Ok(())
    }

    /// Checks the settings hold together.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.min_version > self.max_version {
            return Err("ssl_min_protocol_version is above ssl_max_protocol_version".to_owned());
        }
        if let Some((cert, key)) = &self.client_identity {
            if cert.as_os_str().is_empty() || key.as_os_str().is_empty() {
                return Err("sslcert and sslkey are given together or not at all".to_owned());
            }
        }
        Ok(())
    }

    /// The settings changed: the TLS client is made again when next needed.
    pub(crate) fn changed(&mut self) {
        self.connector = Arc::default();
    }
}

/// A TLS client made from one server's settings, shared by its connections
/// (the transport makes it when first needed).
#[derive(Clone)]
pub(crate) struct Connector {
    pub(crate) config: Arc<ClientConfig>,
    /// Whether the host name must match the certificate (`verify-full`).
    pub(crate) verifies_host: bool,
}

/// Every TLS setting of libpq's that is read (some only to refuse them).
pub(crate) const TLS_KEYS: &[&str] = &[
    "sslmode",
    "requiressl",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "sslcompression",
    "sslnegotiation",
    "gssencmode",
    "sslcertmode",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
];

fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(format!("{key}={other:?} is neither 0 nor 1")),
    }
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("mode", &self.mode)
            .field("root_certs", &self.root_certs)
            .field("client_identity", &self.client_identity)
            .field("sni", &self.sni)
            .field("min_version", &self.min_version)
            .field("max_version", &self.max_version)
            .finish_non_exhaustive()
    }
}
