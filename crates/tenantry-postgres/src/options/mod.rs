//! How to reach one server: the driver's settings, TLS, and which kind of
//! server to keep, read from a connection string as libpq reads it.

mod conninfo;
mod credentials;
mod env;
mod registered;
mod session_attrs;
mod ssl_mode;
mod tls;

use std::path::PathBuf;
use std::str::FromStr;

use tokio_postgres::config::{ChannelBinding, SslMode as DriverSslMode};

pub use credentials::{Credentials, EnvironmentCredentials, ServerCredentials};
pub use session_attrs::TargetSessionAttrs;
pub use ssl_mode::SslMode;
pub use tls::RootCerts;
pub(crate) use tls::{Connector, TlsOptions, TlsVersion};

pub(crate) use credentials::CredentialsProvider;
pub(crate) use env::apply_environment;

use crate::Error;

/// How to reach one server: a libpq connection string (a
/// `postgres://user:password@host:port/dbname?sslmode=verify-full` URL or the
/// `host=... sslmode=...` form) with libpq's meaning, TLS included.
///
/// Every connection tenantry opens (pools, the registry listener, cancel
/// requests, the operator) goes through these settings: TLS is negotiated
/// beneath the stream that splices tenant contexts, with rustls.
///
/// ```
/// use tenantry_postgres::{ConnectOptions, SslMode};
///
/// let options: ConnectOptions =
///     "postgres://app@db.internal/saas?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem"
///         .parse()
///         .unwrap();
/// assert_eq!(options.get_ssl_mode(), SslMode::VerifyFull);
/// assert_eq!(options.get_user(), Some("app"));
/// ```
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The driver's settings, with its own TLS off (TLS is below it) and
    /// every host accepted (the kind of server is checked here).
    pub(crate) driver: tokio_postgres::Config,
    pub(crate) tls: TlsOptions,
    pub(crate) session_attrs: TargetSessionAttrs,
}

/// Settings read here rather than by the driver, besides TLS.
const OWN_KEYS: &[&str] = &["target_session_attrs"];

impl FromStr for ConnectOptions {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self, Error> {
        ConnectOptions::parse(url, &|_| None)
    }
}

fn malformed(error: impl std::fmt::Display) -> Error {
    Error::Config(format!("malformed database URL: {error}"))
}

impl ConnectOptions {
    /// Reads a connection string (see the type's documentation).
    pub fn new(url: &str) -> Result<Self, Error> {
        url.parse()
    }

    /// Reads `url`; `default` gives the value of a setting read here (not
    /// by the driver) that the string leaves out.
    fn parse(url: &str, default: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let keys: Vec<&str> = tls::TLS_KEYS.iter().chain(OWN_KEYS).copied().collect();
        let split = conninfo::split(url, &keys).map_err(malformed)?;
        let driver = tokio_postgres::Config::from_str(&split.rest).map_err(malformed)?;
        let mut options = ConnectOptions {
            driver,
            tls: TlsOptions::default(),
            session_attrs: TargetSessionAttrs::default(),
        };
        let defaults = keys.iter().filter_map(|key| {
            let given = split.taken.iter().any(|(taken, _)| taken == key);
            (!given).then(|| default(key).map(|value| ((*key).to_owned(), value)))?
        });
        for (key, value) in defaults.collect::<Vec<_>>().iter().chain(&split.taken) {
            options.set(key, value).map_err(malformed)?;
        }
        options.finish()
    }

    /// Applies one setting that the driver does not read.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "target_session_attrs" => self.session_attrs = value.parse()?,
            _ => self.tls.set(key, value)?,
        }
        Ok(())
    }

    /// Refuses what is not supported, and turns the driver's own TLS off.
    fn finish(mut self) -> Result<Self, Error> {
        if self.driver.get_channel_binding() == ChannelBinding::Require {
            return Err(Error::Config(
                "channel_binding=require is not supported: TLS is negotiated beneath the driver, which cannot bind to it; use channel_binding=prefer with sslmode=verify-full".to_owned(),
            ));
        }
        self.tls.check().map_err(Error::Config)?;
        self.driver.ssl_mode(DriverSslMode::Disable);
        self.tls.changed();
        Ok(self)
    }

    /// Sets how much TLS is asked of the server.
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.tls.mode = mode;
        self.tls.changed();
        self
    }

    /// Sets where trusted authorities' certificates come from (default:
    /// `~/.postgresql/root.crt` if it exists, else the platform's).
    pub fn ssl_root_certs(mut self, roots: RootCerts) -> Self {
        self.tls.root_certs = Some(roots);
        self.tls.changed();
        self
    }

    /// Sets the client certificate (PEM, with its chain) and its private
    /// key (PEM, unencrypted), for servers that authenticate clients by
    /// certificate.
    pub fn ssl_client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls.client_identity = Some((cert.into(), key.into()));
        self.tls.changed();
        self
    }

    /// Sets which kind of server to keep, host by host.
    pub fn target_session_attrs(mut self, attrs: TargetSessionAttrs) -> Self {
        self.session_attrs = attrs;
        self
    }

    /// Sets the database to connect to.
    pub fn dbname(mut self, name: &str) -> Self {
        self.driver.dbname(name);
        self
    }

    /// How much TLS is asked of the server.
    pub fn get_ssl_mode(&self) -> SslMode {
        self.tls.mode
    }

    /// The role connected as.
    pub fn get_user(&self) -> Option<&str> {
        self.driver.get_user()
    }

    /// The database connected to.
    pub fn get_dbname(&self) -> Option<&str> {
        self.driver.get_dbname()
    }

    /// The driver's settings (hosts, ports, role, database, timeouts). TLS
    /// is not among them: it is negotiated beneath the driver.
    pub fn driver(&self) -> &tokio_postgres::Config {
        &self.driver
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tls_settings_from_both_forms_and_hides_them_from_the_driver() {
        let url: ConnectOptions =
            "postgres://app@db/saas?sslmode=verify-ca&sslrootcert=system&target_session_attrs=primary"
                .parse()
                .unwrap();
        assert_eq!(url.tls.mode, SslMode::VerifyCa);
        assert_eq!(url.tls.root_certs, Some(RootCerts::System));
        assert_eq!(url.session_attrs, TargetSessionAttrs::Primary);
        assert_eq!(url.driver.get_ssl_mode(), DriverSslMode::Disable);
        let pairs: ConnectOptions =
            "host=db user=app sslmode=require sslcert=/c.pem sslkey='/k.pem'"
                .parse()
                .unwrap();
        assert_eq!(pairs.tls.mode, SslMode::Require);
        assert_eq!(
            pairs.tls.client_identity,
            Some(("/c.pem".into(), "/k.pem".into()))
        );
        let default: ConnectOptions = "postgres://app@db/saas".parse().unwrap();
        assert_eq!(default.tls.mode, SslMode::Prefer);
    }

    #[test]
    fn unsupported_settings_are_refused_when_read() {
        for url in [
            "postgres://db/x?sslmode=allow",
            "postgres://db/x?sslmode=verify_full",
            "postgres://db/x?sslpassword=secret",
            "postgres://db/x?sslcrl=/crl.pem",
            "postgres://db/x?sslnegotiation=direct",
            "postgres://db/x?gssencmode=require",
            "postgres://db/x?sslcompression=1",
            "postgres://db/x?ssl_max_protocol_version=TLSv1.1",
            "postgres://db/x?ssl_min_protocol_version=TLSv1.3&ssl_max_protocol_version=TLSv1.2",
            "postgres://db/x?channel_binding=require",
            "postgres://db/x?target_session_attrs=readwrite",
            "postgres://db/x?sslcert=/c.pem",
            "postgres://db/x?no_such_setting=1",
        ] {
            let refused = url.parse::<ConnectOptions>();
            assert!(matches!(refused, Err(Error::Config(_))), "{url}");
        }
    }
}
