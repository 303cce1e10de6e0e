//! Certificates and keys read from PEM files: trusted authorities and the
//! client's own identity, where libpq looks for them.

use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::options::{RootCerts, TlsOptions};

/// A file under `~/.postgresql`, where libpq looks by default.
fn default_file(name: &str) -> Option<PathBuf> {
    let path = Path::new(&std::env::var_os("HOME")?)
        .join(".postgresql")
        .join(name);
    path.is_file().then_some(path)
}

/// Where trusted authorities come from: as configured, else
/// `~/.postgresql/root.crt` if it exists, else the platform's.
fn roots(tls: &TlsOptions) -> Option<RootCerts> {
    tls.root_certs
        .clone()
        .or_else(|| default_file("root.crt").map(RootCerts::File))
}

/// Whether trusted authorities were given (a file, or the platform's by
/// name): then `require` checks the chain, as in libpq.
pub(super) fn has_root_certs(tls: &TlsOptions) -> bool {
    roots(tls).is_some()
}

/// The trusted authorities.
pub(super) fn root_certs(tls: &TlsOptions) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots(tls) {
        Some(RootCerts::File(path)) => {
            for cert in
                CertificateDer::pem_file_iter(&path).map_err(|error| unreadable(&path, error))?
            {
                let cert = cert.map_err(|error| unreadable(&path, error))?;
                store
                    .add(cert)
                    .map_err(|error| format!("{}: {error}", path.display()))?;
            }
            if store.is_empty() {
                return Err(format!("{} holds no certificate", path.display()));
            }
        }
        Some(RootCerts::System) | None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(
                    "the platform has no trusted certificates to check the server's against"
                        .to_owned(),
                );
            }
        }
    }
    Ok(store)
}

/// The client's certificate chain and key: as configured, else
/// `~/.postgresql/postgresql.crt` and `.key` if both exist.
pub(super) fn client_identity(
    tls: &TlsOptions,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, String> {
    let paths = tls.client_identity.clone().or_else(|| {
        Some((
            default_file("postgresql.crt")?,
            default_file("postgresql.key")?,
        ))
    });
    let Some((cert, key)) = paths else {
        return Ok(None);
    };
    let chain = CertificateDer::pem_file_iter(&cert)
        .map_err(|error| unreadable(&cert, error))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unreadable(&cert, error))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|error| unreadable(&key, error))?;
    Ok(Some((chain, key)))
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> String {
    format!("cannot read {}: {error}", path.display())
}
