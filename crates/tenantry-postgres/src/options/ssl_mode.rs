//! How much TLS a connection asks of its server, as libpq's `sslmode`.

use std::fmt;
use std::str::FromStr;

/// Whether a connection uses TLS, and what it checks of the server's
/// certificate: libpq's `sslmode`, with libpq's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS if the server offers it, else plaintext; the certificate is not
    /// checked. libpq's default, and so the default here.
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked, unless a root
    /// certificate is given (then as [`SslMode::VerifyCa`], as in libpq).
    Require,
    /// TLS, with a certificate signed by a trusted authority.
    VerifyCa,
    /// TLS, with a certificate signed by a trusted authority and issued to
    /// the host name connected to.
    VerifyFull,
}

impl SslMode {
    /// Whether a connection fails rather than go without TLS.
    pub(crate) fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow (plaintext first, TLS only if refused) is not supported: use prefer or require"
                        .to_owned(),
                );
            }
            other => {
                return Err(format!(
                    "sslmode={other:?} is none of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_libpq_mode_it_supports_and_refuses_the_rest() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(mode.to_string().parse::<SslMode>(), Ok(mode));
        }
        assert!(
            "allow"
                .parse::<SslMode>()
                .unwrap_err()
                .contains("not supported")
        );
        assert!("verify_full".parse::<SslMode>().is_err());
    }
}
