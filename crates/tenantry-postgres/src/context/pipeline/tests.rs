//! A spliced statement against the real server, sent by the driver in a
//! message group the splice does not know.

use std::num::NonZeroUsize;
use std::time::Duration;

use tenantry_test_support::servers::{connect, main_port, superuser_url, url_for};
use tenantry_test_support::throwaway::{Family, Throwaway};
use tokio_postgres::Client;

use super::*;
use crate::pool::{Server, ServerLimits};

/// How these tests name their databases and roles.
const FAMILY: Family = Family {
    prefix: "tenantry_pg_",
    tenant_databases: "tenant_pg_",
};

/// A database with table `marks`, whose rows record the tenant setting of
/// the transaction that wrote them, and a server of one connection on it.
async fn marked_database() -> (Throwaway, Client, std::sync::Arc<Server>) {
    let names = FAMILY.fresh();
    let admin = connect(&superuser_url(main_port(), "postgres")).await;
    names.create_on(&admin).await;
    let owner = connect(&superuser_url(main_port(), &names.database())).await;
    owner
        .batch_execute(&format!(
            "CREATE TABLE marks (tenant text DEFAULT current_setting('tenantry.tenant_id', true));
             GRANT SELECT, INSERT ON marks TO {}",
            names.app_role()
        ))
        .await
        .unwrap();
    let limits = ServerLimits {
        main_pool_size: 1,
        database_pool_size: 1,
        budget: 1,
        batch_connections: 1,
        wait: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        statement_cache: NonZeroUsize::new(16),
        allow_privileged_role: false,
        connection_lifetime: Duration::from_secs(600),
    };
    let url = url_for(main_port(), &names.database(), &names.app_role());
    let server = Server::new("main".to_owned(), url.parse().unwrap(), limits);
    (names, owner, server)
}

/// Other ways the driver frames a statement than the Bind, Execute and
/// Sync of the statement a splice waits for.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// The statement's text on the unnamed statement (`query_typed`):
    /// Parse, Bind, Describe, Execute, Sync.
    Unnamed,
    /// The Bind of another prepared statement that also writes.
    OtherStatement,
}

#[tokio::test]
async fn a_statement_in_a_group_the_splice_does_not_know_fails_typed_and_writes_nothing() {
    let (names, owner, server) = marked_database().await;
    let sql = "INSERT INTO marks DEFAULT VALUES";
    let context = ContextMessages::new(["BEGIN", "SET LOCAL tenantry.tenant_id = 'ctx'"]);
    for framing in [Framing::Unnamed, Framing::OtherStatement] {
        let lease = server.lease().await.unwrap();
        let client = lease.client();
        prepare_in_work(&lease, sql, &[]).await.unwrap();
        let other = prepare(&lease, "INSERT INTO marks VALUES ('other')", &[])
            .await
            .unwrap();
        client.splicer().splice(sql, &context, Some(&COMMIT));
        let sent = match framing {
            Framing::Unnamed => client.query_typed(sql, &[]).await.map(|_| ()),
            Framing::OtherStatement => client.execute(&other, &[]).await.map(drop),
        };
        let outcome = end_spliced(&lease, sent.map_err(Error::from)).await;
        let error = outcome.expect_err("the statement must not run without its context");
        let Error::UnrecognisedGroup { expected, found } = &error else {
            panic!("{framing:?}: expected an unrecognised group, got {error:?}");
        };
        assert!(expected.contains(sql), "{expected}");
        match framing {
            Framing::Unnamed => assert_eq!(found, "Parse"),
            Framing::OtherStatement => assert!(found.contains("VALUES ('other')"), "{found}"),
        }
        assert!(error.poisons_connection());
    }
    let rows = owner.query_one("SELECT count(*) FROM marks", &[]).await;
    assert_eq!(rows.unwrap().get::<_, i64>(0), 0, "nothing was written");
    names
        .drop_from(&connect(&superuser_url(main_port(), "postgres")).await)
        .await;
}
