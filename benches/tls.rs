//! A point select over TLS: tenantry (TLS beneath the splice, the tenant
//! context in the statement's message group) side by side with raw
//! tokio-postgres over rustls (a prepared statement with a hand-written
//! `tenant_id = $1` filter), and the same pair in plaintext, in one run,
//! against a server of the bench's own with certificates it makes. Both
//! sides verify the certificate fully (`verify-full`, the same authority,
//! the same crypto provider).
//!
//! ```text
//! cargo bench --bench tls
//! ```
//!
//! Compare `tls/point_select/tenantry ÷ tls/point_select/tokio_postgres`
//! with the plaintext ratio `plaintext/point_select/tenantry ÷
//! plaintext/point_select/tokio_postgres`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use support::notes::{NewNote, Note, with_notes};
use tenantry::{Config, Tenant, TenantId, Tenantry};
use tenantry_test_support::cluster::{Cluster, Tls, roles};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, Statement};
use uuid::Uuid;

const NOTES: usize = 1_000;
const RAW_SELECT: &str = "SELECT tenant_id, id, body FROM notes WHERE tenant_id = $1 AND id = $2";

/// One side of the comparison: tenantry's tenant handle and the raw
/// client, over the same transport.
struct Pair {
    _db: Tenantry,
    tenant: Tenant,
    raw: Client,
    select: Statement,
}

fn url(cluster: &Cluster, role: &str, tls: &str) -> String {
    format!(
        "host=localhost port={} user={role} dbname={} {tls}",
        cluster.port,
        roles::APP
    )
}

/// The raw driver over rustls, verifying as `verify-full` does.
async fn raw_over_tls(cluster: &Cluster) -> Client {
    let files = cluster.certificates.as_ref().expect("TLS files");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&files.ca).expect("the authority"))
        .expect("a root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) =
        tokio_postgres::connect(&url(cluster, roles::APP, "sslmode=require"), tls)
            .await
            .expect("a raw TLS connection");
    tokio::spawn(connection);
    client
}

async fn raw_plaintext(cluster: &Cluster) -> Client {
    let (client, connection) =
        tokio_postgres::connect(&url(cluster, roles::PLAINTEXT, "sslmode=disable"), NoTls)
            .await
            .expect("a raw plaintext connection");
    tokio::spawn(connection);
    client
}

async fn pair(cluster: &Cluster, tenant: TenantId, encrypted: bool) -> Pair {
    let ca = cluster
        .certificates
        .as_ref()
        .expect("TLS files")
        .ca
        .display();
    let tenantry_url = if encrypted {
        url(
            cluster,
            roles::APP,
            &format!("sslmode=verify-full sslrootcert={ca}"),
        )
    } else {
        url(cluster, roles::PLAINTEXT, "sslmode=disable")
    };
    let db = Tenantry::connect(Config::new(&tenantry_url).unwrap().pool_only().pool_size(1))
        .await
        .unwrap();
    let raw = if encrypted {
        raw_over_tls(cluster).await
    } else {
        raw_plaintext(cluster).await
    };
    let select = raw.prepare(RAW_SELECT).await.unwrap();
    Pair {
        tenant: db.tenant(tenant).await.unwrap(),
        _db: db,
        raw,
        select,
    }
}

fn point_select(c: &mut Criterion, runtime: &Runtime, name: &str, pair: &Pair, ids: &[Uuid]) {
    let mut group = c.benchmark_group(format!("{name}/point_select"));
    let tenant_id = pair.tenant.tenant();
    let mut next = 0;
    group.bench_function("tenantry", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % ids.len();
            let id = ids[next];
            let tenant = &pair.tenant;
            async move {
                let note: Note = tenant
                    .select::<Note>()
                    .filter(Note::ID.eq(id))
                    .one()
                    .await
                    .unwrap();
                note
            }
        })
    });
    let tenant_uuid = tenant_id.as_uuid();
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % ids.len();
            let id = ids[next];
            async move {
                let row = pair
                    .raw
                    .query_one(&pair.select, &[&tenant_uuid, &id])
                    .await
                    .unwrap();
                row.get::<_, String>(2)
            }
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cluster = with_notes(Cluster::start(Tls::On));
    let tenant = TenantId::random();
    let ids: Vec<Uuid> = (0..NOTES).map(|_| Uuid::new_v4()).collect();
    let (tls, plaintext) = runtime.block_on(async {
        let tls = pair(&cluster, tenant, true).await;
        tls.tenant
            .insert_many(ids.iter().map(|&id| NewNote {
                id,
                body: format!("note {id}"),
            }))
            .exec()
            .await
            .unwrap();
        (tls, pair(&cluster, tenant, false).await)
    });
    point_select(c, &runtime, "tls", &tls, &ids);
    point_select(c, &runtime, "plaintext", &plaintext, &ids);
    runtime.block_on(async move {
        drop(tls);
        drop(plaintext);
    });
}

criterion_group!(tls, benches);
criterion_main!(tls);
