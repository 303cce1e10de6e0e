//! Property: whatever sequence of operations tenants run, each tenant's rows
//! are exactly what a model in memory says, and no operation returns or
//! changes another tenant's row.
//!
//! Four tenants in different placements (two sharing the main server's pool
//! table, one in a schema on `eu-1`, one in a database of its own) run random
//! sequences of inserts, upserts, updates and deletes with RETURNING,
//! selects, hand-written selects and updates without a tenant filter, and
//! transactions rolled back, all over a handful of customer ids, so that
//! every tenant keeps using ids the others use. After every step the acting
//! tenant's rows equal its model; after every sequence every tenant's rows
//! do, read through its handle and by an administrator where they are
//! stored, and no row is anywhere but in its tenant's placement.

mod support;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use support::placements::SECOND;
use support::tenants::{Spot, Tenants};
use support::{Customer, NewCustomer};
use tenantry::ops::PlacementKind;
use tenantry::{ConstraintKind, Error, MAIN_SERVER, Tenant};
use uuid::Uuid;

const SPOTS: [Spot; 4] = [
    ("pool_a", PlacementKind::Pool, MAIN_SERVER),
    ("pool_b", PlacementKind::Pool, MAIN_SERVER),
    ("schema", PlacementKind::Schema, SECOND),
    ("database", PlacementKind::Database, MAIN_SERVER),
];

/// How many customer ids the tenants draw from: few, so that they collide.
const KEYS: u8 = 5;

/// One operation of one tenant (an index into [`SPOTS`]) on the customer
/// with id `key`.
#[derive(Debug, Clone)]
enum Op {
    Insert { tenant: usize, key: u8, name: u8 },
    Upsert { tenant: usize, key: u8, name: u8 },
    Rename { tenant: usize, key: u8, name: u8 },
    Delete { tenant: usize, key: u8 },
    Select { tenant: usize, key: u8 },
    RawSelect { tenant: usize },
    RawRenameAll { tenant: usize, name: u8 },
    InsertRolledBack { tenant: usize, key: u8 },
}

impl Op {
    fn tenant(&self) -> usize {
        match *self {
            Op::Insert { tenant, .. }
            | Op::Upsert { tenant, .. }
            | Op::Rename { tenant, .. }
            | Op::Delete { tenant, .. }
            | Op::Select { tenant, .. }
            | Op::RawSelect { tenant }
            | Op::RawRenameAll { tenant, .. }
            | Op::InsertRolledBack { tenant, .. } => tenant,
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    let tenant = 0..SPOTS.len();
    let key = 0..KEYS;
    let name = any::<u8>();
    prop_oneof![
        3 => (tenant.clone(), key.clone(), name)
            .prop_map(|(tenant, key, name)| Op::Insert { tenant, key, name }),
        2 => (tenant.clone(), key.clone(), name)
            .prop_map(|(tenant, key, name)| Op::Upsert { tenant, key, name }),
        2 => (tenant.clone(), key.clone(), name)
            .prop_map(|(tenant, key, name)| Op::Rename { tenant, key, name }),
        2 => (tenant.clone(), key.clone()).prop_map(|(tenant, key)| Op::Delete { tenant, key }),
        1 => (tenant.clone(), key.clone()).prop_map(|(tenant, key)| Op::Select { tenant, key }),
        1 => tenant.clone().prop_map(|tenant| Op::RawSelect { tenant }),
        1 => (tenant.clone(), name).prop_map(|(tenant, name)| Op::RawRenameAll { tenant, name }),
        1 => (tenant, key).prop_map(|(tenant, key)| Op::InsertRolledBack { tenant, key }),
    ]
}

/// Each tenant's customers: id → name.
type Model = Vec<BTreeMap<Uuid, String>>;

fn id(key: u8) -> Uuid {
    Uuid::from_u128(u128::from(key) + 1)
}

fn name(tenant: usize, name: u8) -> String {
    format!("{} {name}", SPOTS[tenant].0)
}

fn new_customer(key: u8, name: String) -> NewCustomer {
    NewCustomer {
        id: id(key),
        name,
        email: None,
    }
}

/// Fails unless every row belongs to `tenant`, and returns them as the model holds them.
fn owned(tenant: &Tenant, rows: Vec<Customer>) -> Result<Vec<(Uuid, String)>, TestCaseError> {
    for row in &rows {
        prop_assert_eq!(
            row.tenant_id,
            tenant.tenant(),
            "another tenant's row: {:?}",
            row
        );
    }
    Ok(rows.into_iter().map(|row| (row.id, row.name)).collect())
}

/// The customer `key` named `name`, if it has a name.
fn row(key: u8, name: Option<String>) -> Vec<(Uuid, String)> {
    name.map(|name| (id(key), name)).into_iter().collect()
}

fn entries(model: &BTreeMap<Uuid, String>) -> Vec<(Uuid, String)> {
    model.iter().map(|(id, name)| (*id, name.clone())).collect()
}

/// A tenant's rows as its builder reads them.
async fn read(tenant: &Tenant) -> Result<Vec<(Uuid, String)>, TestCaseError> {
    let rows = tenant
        .select::<Customer>()
        .order_by(Customer::ID.asc())
        .all()
        .await
        .map_err(fail)?;
    owned(tenant, rows)
}

fn fail(error: Error) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

/// Runs `op` and checks what it returned against the model, which it updates.
async fn apply(op: &Op, tenants: &[Tenant], model: &mut Model) -> Result<(), TestCaseError> {
    let index = op.tenant();
    let tenant = &tenants[index];
    let rows = &mut model[index];
    match *op {
        Op::Insert { key, name: n, .. } => {
            let inserted = tenant.insert(new_customer(key, name(index, n))).all().await;
            match rows.entry(id(key)) {
                Entry::Occupied(_) => prop_assert!(
                    matches!(
                        inserted,
                        Err(Error::Constraint {
                            kind: ConstraintKind::Unique,
                            ..
                        })
                    ),
                    "{:?}",
                    inserted
                ),
                Entry::Vacant(vacant) => {
                    let inserted = owned(tenant, inserted.map_err(fail)?)?;
                    prop_assert_eq!(&inserted, &[(id(key), name(index, n))]);
                    vacant.insert(name(index, n));
                }
            }
        }
        Op::Upsert { key, name: n, .. } => {
            let upserted = tenant
                .insert(new_customer(key, name(index, n)))
                .on_conflict_update(Customer::NAME)
                .all()
                .await
                .map_err(fail)?;
            prop_assert_eq!(owned(tenant, upserted)?, [(id(key), name(index, n))]);
            rows.insert(id(key), name(index, n));
        }
        Op::Rename { key, name: n, .. } => {
            let renamed = tenant
                .update::<Customer>()
                .set(Customer::NAME, name(index, n))
                .filter(Customer::ID.eq(id(key)))
                .all()
                .await
                .map_err(fail)?;
            if let Some(stored) = rows.get_mut(&id(key)) {
                *stored = name(index, n);
            }
            prop_assert_eq!(
                owned(tenant, renamed)?,
                row(key, rows.get(&id(key)).cloned())
            );
        }
        Op::Delete { key, .. } => {
            let deleted = tenant
                .delete::<Customer>()
                .filter(Customer::ID.eq(id(key)))
                .all()
                .await
                .map_err(fail)?;
            prop_assert_eq!(owned(tenant, deleted)?, row(key, rows.remove(&id(key))));
        }
        Op::Select { key, .. } => {
            let found = tenant
                .select::<Customer>()
                .filter(Customer::ID.eq(id(key)))
                .optional()
                .await
                .map_err(fail)?;
            let found = owned(tenant, found.into_iter().collect())?;
            prop_assert_eq!(found, row(key, rows.get(&id(key)).cloned()));
        }
        Op::RawSelect { .. } => {
            let raw: Vec<(Uuid, Uuid, String)> = tenant
                .raw_query("SELECT tenant_id, id, name FROM customers ORDER BY id", &[])
                .await
                .map_err(fail)?
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2)))
                .collect();
            let expected: Vec<(Uuid, Uuid, String)> = rows
                .iter()
                .map(|(id, name)| (tenant.tenant().as_uuid(), *id, name.clone()))
                .collect();
            prop_assert_eq!(raw, expected);
        }
        Op::RawRenameAll { name: n, .. } => {
            let renamed = tenant
                .raw_execute("UPDATE customers SET name = $1", &[&name(index, n)])
                .await
                .map_err(fail)?;
            prop_assert_eq!(
                renamed as usize,
                rows.len(),
                "rows of other tenants renamed"
            );
            rows.values_mut()
                .for_each(|stored| *stored = name(index, n));
        }
        Op::InsertRolledBack { key, .. } => {
            let transaction = tenant.transaction().await.map_err(fail)?;
            let inserted = transaction
                .insert(new_customer(key, "rolled back".to_owned()))
                .on_conflict_update(Customer::NAME)
                .all()
                .await
                .map_err(fail)?;
            owned(tenant, inserted)?;
            transaction.rollback().await.map_err(fail)?;
        }
    }
    prop_assert_eq!(read(tenant).await?, entries(rows), "after {:?}", op);
    Ok(())
}

/// Every tenant's rows equal the model, through its handle and where they are stored.
async fn assert_matches(
    world: &Tenants,
    tenants: &[Tenant],
    model: &Model,
) -> Result<(), TestCaseError> {
    for (tenant, rows) in tenants.iter().zip(model) {
        prop_assert_eq!(read(tenant).await?, entries(rows));
    }
    let mut stored: Model = vec![BTreeMap::new(); SPOTS.len()];
    for ((location, table, owner), rows) in world.dump().await {
        let index = world
            .placed
            .iter()
            .position(|placed| placed.uuid() == owner)
            .ok_or_else(|| TestCaseError::fail(format!("a row of nobody in {location:?}")))?;
        prop_assert_eq!(
            &world.placed[index].location(),
            &location,
            "a row out of place"
        );
        if table == "customers" {
            for row in rows {
                let row: serde_json::Value = serde_json::from_str(&row).expect("a JSON row");
                let id: Uuid = row["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .expect("an id");
                let name = row["name"].as_str().expect("a name").to_owned();
                stored[index].insert(id, name);
            }
        }
    }
    prop_assert_eq!(&stored, model, "stored rows differ from the model");
    Ok(())
}

/// Empties every tenant's customers, through its own handle.
async fn clear(tenants: &[Tenant]) {
    for tenant in tenants {
        tenant
            .delete::<Customer>()
            .exec()
            .await
            .expect("clear a tenant");
    }
}

#[test]
fn random_operations_of_tenants_sharing_ids_match_a_model_per_tenant() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (world, db) = runtime.block_on(async {
        let world = Tenants::provision(&SPOTS).await;
        let db = world.connect().await;
        (world, db)
    });
    let tenants = runtime.block_on(world.handles(&db));
    let config = RunnerConfig {
        cases: 32,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let outcome = TestRunner::new(config).run(&prop::collection::vec(op(), 1..40), |ops| {
        runtime.block_on(async {
            clear(&tenants).await;
            let mut model: Model = vec![BTreeMap::new(); SPOTS.len()];
            for op in &ops {
                apply(op, &tenants, &mut model).await?;
            }
            assert_matches(&world, &tenants, &model).await
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
