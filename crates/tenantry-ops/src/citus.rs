//! The migrations' helpers for a Citus cluster, created by bootstrap in
//! every migrated database (they need Citus only when called):
//!
//! - `tenantry.distribute_table('t')` distributes a tenant-scoped table by
//!   `tenant_id` (co-located with the other tables distributed by a `uuid`,
//!   so a tenant's rows of every table are on one shard and joins between
//!   them run there), then isolates it as `tenantry.isolate_table` does, in
//!   the order Citus accepts: row-level security, forced, and the policy,
//!   propagated to every shard. Citus refuses triggers on distributed
//!   tables, so the write fence (see [`crate::residency`]) is left out on
//!   them: a distributed table relies on row-level security and the
//!   router alone. Where Citus is not installed (a tenant's database, the
//!   template) or the table is already distributed (in a distributed
//!   schema), it only isolates the table: one migration set serves every
//!   placement.
//! - `tenantry.reference_table('shared.plans')` makes a global table a
//!   reference table, copied to every node, so that tenant statements can
//!   join it on their shard.
//! - `tenantry.create_tenant_schema('tenant_acme')`, how the operator makes
//!   a schema tenant's schema: with Citus, a distributed schema
//!   (schema-based sharding), whose tables Citus keeps together on one node
//!   and routes each statement to.
//! - `tenantry.distributed('t')`: whether Citus distributes `t` (false
//!   without Citus), which `tenantry.isolate_table` asks before adding the
//!   fence.

/// `tenantry.distributed(regclass)`, which `tenantry.isolate_table` calls.
pub(crate) const DISTRIBUTED: &str = "CREATE OR REPLACE FUNCTION tenantry.distributed(target regclass)
         RETURNS boolean LANGUAGE plpgsql STABLE AS $body$
         DECLARE
             found boolean;
         BEGIN
             IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
                 RETURN false;
             END IF;
             EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)'
                 INTO found USING target;
             RETURN found;
         END
         $body$;";

/// The helpers that call Citus, for bootstrap (after `tenantry.isolate_table`).
pub(crate) const HELPERS: &str = "CREATE OR REPLACE FUNCTION tenantry.require_citus() RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
                 RAISE EXCEPTION 'Citus is not installed in database %', current_database()
                     USING HINT = 'CREATE EXTENSION citus, then add the workers';
             END IF;
         END
         $body$;
         CREATE OR REPLACE FUNCTION tenantry.distribute_table(target regclass, tenant_column name DEFAULT 'tenant_id')
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL
                AND NOT tenantry.distributed(target) THEN
                 EXECUTE format('DROP TRIGGER IF EXISTS tenantry_fence ON %s', target);
                 PERFORM create_distributed_table(target, tenant_column);
             END IF;
             PERFORM tenantry.isolate_table(target, tenant_column);
         END
         $body$;
         CREATE OR REPLACE FUNCTION tenantry.create_tenant_schema(schema_name name)
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
                 PERFORM set_config('citus.enable_schema_based_sharding', 'on', true);
             END IF;
             EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', schema_name);
         END
         $body$;
         CREATE OR REPLACE FUNCTION tenantry.reference_table(target regclass)
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             PERFORM tenantry.require_citus();
             IF NOT tenantry.distributed(target) THEN
                 PERFORM create_reference_table(target);
             END IF;
         END
         $body$;";
