//! Certificates made by the test: an authority, a server certificate it
//! signs for `localhost`, a client certificate, and a second, unrelated
//! authority, all written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// The PEM files a TLS test uses.
#[derive(Debug, Clone)]
pub struct Certificates {
    /// The authority that signed the server's and the client's certificates.
    pub ca: PathBuf,
    /// An authority that signed nothing the server has.
    pub unknown_ca: PathBuf,
    /// The server's certificate (for `localhost` only, not `127.0.0.1`).
    pub server_cert: PathBuf,
    /// The server's key.
    pub server_key: PathBuf,
    /// A client certificate for the role `client_role`.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
}

/// An authority and its key.
struct Authority {
    cert: Certificate,
    key: KeyPair,
}

fn authority(name: &str) -> Authority {
    let key = KeyPair::generate().expect("an authority's key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("authority parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("a self-signed authority");
    Authority { cert, key }
}

/// A certificate for `names` with common name `common_name`, signed by `by`.
fn leaf(common_name: &str, names: Vec<String>, by: &Authority) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(names).expect("certificate parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let cert = params
        .signed_by(&key, &by.cert, &by.key)
        .expect("a signed certificate");
    (cert, key)
}

impl Certificates {
    /// Makes the certificates into `directory`; the client certificate is
    /// issued to `client_role`.
    pub fn make(directory: &Path, client_role: &str) -> Self {
        let write = |name: &str, pem: String| {
            let path = directory.join(name);
            std::fs::write(&path, pem).expect("a PEM file");
            path
        };
        let ca = authority("tenantry test authority");
        let unknown = authority("an unrelated authority");
        let (server, server_key) = leaf("localhost", vec!["localhost".to_owned()], &ca);
        let (client, client_key) = leaf(client_role, Vec::new(), &ca);
        Certificates {
            ca: write("ca.crt", ca.cert.pem()),
            unknown_ca: write("unknown-ca.crt", unknown.cert.pem()),
            server_cert: write("server.crt", server.pem()),
            server_key: write("server.key", server_key.serialize_pem()),
            client_cert: write("client.crt", client.pem()),
            client_key: write("client.key", client_key.serialize_pem()),
        }
    }
}
