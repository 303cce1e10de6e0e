//! A connection handed from one tenant to the next carries nothing over.
//! With one connection per pool, tenants sharing a server take turns on the
//! same connection (checked by its backend pid) and each sees exactly its own
//! rows, through the builder, a stream and unfiltered hand-written SQL; and
//! so does the next tenant after a transaction dropped without commit, a
//! transaction that failed half-way, a future dropped after its first poll,
//! a statement cancelled in flight, a stream dropped half-read and a
//! statement refused by row-level security.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use tenantry::{ConstraintKind, Error, Tenant, TenantId};
use uuid::Uuid;

use super::{
    OneConnection, SHARED_CUSTOMERS, SHARING, assert_sees_exactly, backend_pid, new_customer,
};
use crate::support::{Customer, Invoice};

/// Who leaves the connection behind and who gets it next. Database tenants
/// have a pool of their own, which only they use.
const HANDOVERS: [(&str, &str); 6] = [
    ("pool_main_a", "schema_main"),
    ("schema_main", "pool_main_b"),
    ("pool_second_a", "schema_second"),
    ("schema_second", "pool_second_b"),
    ("db_main", "db_main"),
    ("db_second", "db_second"),
];

#[tokio::test]
async fn tenants_taking_turns_on_one_connection_see_only_their_own_rows() {
    let shared = OneConnection::everywhere().await;
    for (server, turns) in SHARING {
        let connection = backend_pid(shared.get(turns[0]).0).await;
        for round in 0..3 {
            for label in turns {
                let (tenant, expected) = shared.get(label);
                assert_eq!(
                    backend_pid(tenant).await,
                    connection,
                    "{label} got another connection of {server}"
                );
                assert_sees_exactly(tenant, expected, &format!("{label}, round {round}")).await;
            }
        }
    }
}

/// Work a tenant leaves unfinished on its connection.
#[derive(Debug, Clone, Copy)]
enum Abandoned {
    TransactionDropped,
    TransactionFailedThenDropped,
    TransactionFailedThenCommitted,
    FutureDroppedAfterFirstPoll,
    StatementCancelledInFlight,
    StreamDroppedHalfRead,
    StatementRefused,
}

const ABANDONED: [Abandoned; 7] = [
    Abandoned::TransactionDropped,
    Abandoned::TransactionFailedThenDropped,
    Abandoned::TransactionFailedThenCommitted,
    Abandoned::FutureDroppedAfterFirstPoll,
    Abandoned::StatementCancelledInFlight,
    Abandoned::StreamDroppedHalfRead,
    Abandoned::StatementRefused,
];

impl Abandoned {
    /// Leaves this work unfinished as `tenant`.
    async fn leave(self, tenant: &Tenant) {
        let planted = || new_customer(Uuid::new_v4(), "never committed");
        match self {
            Abandoned::TransactionDropped => {
                let transaction = tenant.transaction().await.unwrap();
                transaction.insert(planted()).exec().await.unwrap();
                drop(transaction);
            }
            Abandoned::TransactionFailedThenDropped | Abandoned::TransactionFailedThenCommitted => {
                let transaction = tenant.transaction().await.unwrap();
                transaction.insert(planted()).exec().await.unwrap();
                let duplicate = transaction
                    .insert(new_customer(SHARED_CUSTOMERS[0], "duplicate"))
                    .exec()
                    .await;
                assert!(
                    matches!(
                        duplicate,
                        Err(Error::Constraint {
                            kind: ConstraintKind::Unique,
                            ..
                        })
                    ),
                    "{duplicate:?}"
                );
                assert!(transaction.select::<Customer>().count().await.is_err());
                if let Abandoned::TransactionFailedThenCommitted = self {
                    let committed = transaction.commit().await;
                    assert!(
                        matches!(committed, Err(Error::TransactionAborted)),
                        "{committed:?}"
                    );
                }
            }
            Abandoned::FutureDroppedAfterFirstPoll => {
                let mut query =
                    pin!(tenant.raw_query("SELECT pg_sleep(0.05), count(*) FROM customers", &[]));
                let polled =
                    std::future::poll_fn(|context| Poll::Ready(query.as_mut().poll(context))).await;
                assert!(polled.is_pending(), "the query finished on its first poll");
            }
            Abandoned::StatementCancelledInFlight => {
                let slow = tenant.raw_query("SELECT pg_sleep(1), count(*) FROM invoices", &[]);
                let cancelled = tokio::time::timeout(Duration::from_millis(50), slow).await;
                assert!(cancelled.is_err(), "the statement was not cancelled");
            }
            Abandoned::StreamDroppedHalfRead => {
                let mut rows = tenant.select::<Invoice>().stream().await.unwrap();
                let first = rows.next().await.expect("a row").unwrap();
                assert_eq!(first.tenant_id, tenant.tenant());
            }
            Abandoned::StatementRefused => {
                let refused = tenant
                    .raw_execute(
                        "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'planted')",
                        &[&TenantId::random().as_uuid(), &Uuid::new_v4()],
                    )
                    .await;
                assert!(
                    matches!(refused, Err(Error::PermissionDenied { .. })),
                    "{refused:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_next_tenant_on_a_connection_left_mid_work_sees_only_its_own_rows() {
    let shared = OneConnection::everywhere().await;
    let before = shared.seeded.snapshot().await;
    for (actor_label, next_label) in HANDOVERS {
        let (actor, actor_rows) = shared.get(actor_label);
        let (next, next_rows) = shared.get(next_label);
        for abandoned in ABANDONED {
            abandoned.leave(actor).await;
            let when = format!("{next_label} after {actor_label}'s {abandoned:?}");
            assert_sees_exactly(next, next_rows, &when).await;
            assert_sees_exactly(
                actor,
                actor_rows,
                &format!("{actor_label} after its {abandoned:?}"),
            )
            .await;
        }
    }
    // Nothing abandoned was committed anywhere.
    shared.seeded.assert_only_changed(&before, None).await;
}
