//! Tenantry on a Citus cluster (a coordinator and its workers), named by
//! `TENANTRY_TEST_CITUS_URL`: tables distributed by `tenant_id` and
//! co-located, tenants routed to one shard per statement, row-level security
//! forced on every shard, the operator's migrations, provisioning and audit,
//! and schema-based sharding. Without the variable every test says it was
//! not run, and passes.

#[path = "citus/mod.rs"]
mod concerns;
mod support;
