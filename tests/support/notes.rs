//! A table of notes for the servers a test starts itself (TLS tests and
//! benches): the entity and the SQL that makes its table.

use tenantry::{Entity, TenantId};
use tenantry_test_support::cluster::{Cluster, roles};
use uuid::Uuid;

/// A note of a tenant.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "notes", tenant_scoped)]
pub struct Note {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub body: String,
}

/// Makes the notes table in the application's database of `cluster`, for
/// the application's role and the plaintext one.
pub fn with_notes(cluster: Cluster) -> Cluster {
    cluster.psql(&format!(
        "\\c {app}\nCREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, body text NOT NULL, \
         PRIMARY KEY (tenant_id, id));\nGRANT ALL ON notes TO {app}, {plain};\n",
        app = roles::APP,
        plain = roles::PLAINTEXT,
    ));
    cluster
}
