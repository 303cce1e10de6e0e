//! The catalog queries of the audit, each over every tenant-scoped table at
//! once. Those over scoped tables take `$1` (the schemas, none for all) and
//! `$2` (the tenant column).

/// The tenant-scoped tables (`oid`, `tenant_attnum`): ordinary and partitioned
/// tables of the schemas `$1` with a live column named `$2`. With no schema
/// given, of every schema but the system ones and tenantry's own (its
/// bookkeeping, and the registry, which has checks of its own).
macro_rules! scoped_tables {
    () => {
        "WITH scoped AS (
             SELECT c.oid, n.nspname::text AS schema_name, c.relname::text AS table_name,
                    c.relrowsecurity, c.relforcerowsecurity, a.attnum AS tenant_attnum,
                    c.relowner
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_attribute a
               ON a.attrelid = c.oid AND a.attname = $2::text AND a.attnum > 0 AND NOT a.attisdropped
             WHERE c.relkind IN ('r', 'p')
               AND CASE WHEN cardinality($1::text[]) = 0
                        THEN n.nspname NOT IN ('information_schema', 'tenantry', 'tenantry_control')
                             AND n.nspname NOT LIKE 'pg\\_%'
                        ELSE n.nspname::text = ANY($1::text[])
                   END
         ) "
    };
}

/// The scoped tables, and whether tenantry's write fence guards each one:
/// an enabled `tenantry.fence()` trigger before every insert, update and
/// delete statement (`NULL` where the database has no fence at all).
pub(super) const TABLES: &str = concat!(
    scoped_tables!(),
    "SELECT scoped.oid, schema_name, table_name, relrowsecurity, relforcerowsecurity, tenant_attnum,
            CASE WHEN fence.oid IS NOT NULL THEN
                EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgrelid = scoped.oid AND tg.tgfoid = fence.oid
                          AND tg.tgenabled IN ('O', 'A')
                          AND tg.tgtype & 1 = 0 AND tg.tgtype & 2 <> 0 AND tg.tgtype & 28 = 28)
            END
     FROM scoped
     LEFT JOIN (SELECT p.oid FROM pg_catalog.pg_proc p
                JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'tenantry' AND p.proname = 'fence' AND p.pronargs = 0) fence
       ON true"
);

pub(super) const POLICIES: &str = concat!(
    scoped_tables!(),
    "SELECT p.polrelid, p.polcmd::text, p.polpermissive, p.polroles,
            p.polqual IS NOT NULL, p.polwithcheck IS NOT NULL
     FROM pg_catalog.pg_policy p
     JOIN scoped s ON s.oid = p.polrelid"
);

/// Every index of a scoped table, with the unique or primary-key constraint
/// it backs, if any, and whether it is a partition's copy of its parent's.
pub(super) const INDEXES: &str = concat!(
    scoped_tables!(),
    "SELECT i.indrelid, ic.relname::text, i.indisunique, i.indisvalid, i.indpred IS NOT NULL,
            i.indkey::int2[], i.indnkeyatts, con.conname::text,
            EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
     FROM pg_catalog.pg_index i
     JOIN scoped s ON s.oid = i.indrelid
     JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
     LEFT JOIN pg_catalog.pg_constraint con
       ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')"
);

/// Foreign keys from a scoped table to a table of any schema that has the
/// tenant column; a partition's copies of its parent's key are left out.
pub(super) const FOREIGN_KEYS: &str = concat!(
    scoped_tables!(),
    "SELECT con.conrelid, con.conname::text, con.conkey, con.confkey,
            rn.nspname::text, r.relname::text, ra.attnum
     FROM pg_catalog.pg_constraint con
     JOIN scoped s ON s.oid = con.conrelid
     JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
     JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
     JOIN pg_catalog.pg_attribute ra
       ON ra.attrelid = r.oid AND ra.attname = $2::text AND ra.attnum > 0 AND NOT ra.attisdropped
     WHERE con.contype = 'f' AND con.conparentid = 0"
);

/// Exclusion constraints of a scoped table, with the operator of each key
/// column; a partition's copies of its parent's are left out.
pub(super) const EXCLUSIONS: &str = concat!(
    scoped_tables!(),
    "SELECT con.conrelid, con.conname::text, con.conkey,
            ARRAY(SELECT o.oprname::text
                  FROM unnest(con.conexclop) WITH ORDINALITY AS e(operator, position)
                  JOIN pg_catalog.pg_operator o ON o.oid = e.operator
                  ORDER BY e.position)
     FROM pg_catalog.pg_constraint con
     JOIN scoped s ON s.oid = con.conrelid
     WHERE con.contype = 'x' AND con.conparentid = 0"
);

/// The roles whose privileges each application role (`$3`) can use: itself,
/// every role it is a member of (inherited or by `SET ROLE`), and `PUBLIC`
/// when it stands in for every role (`public`, when no role is given). A
/// superuser is left out: it holds every privilege, and is reported as such.
macro_rules! reachable_roles {
    () => {
        ", reach AS (
             SELECT a.rolname::text AS app_role, r.rolname::text AS via
             FROM pg_catalog.pg_roles a
             JOIN pg_catalog.pg_roles r ON pg_catalog.pg_has_role(a.oid, r.oid, 'MEMBER')
             WHERE a.rolname::text = ANY($3::text[]) AND NOT a.rolsuper
             UNION
             SELECT 'public', 'public' WHERE 'public' = ANY($3::text[])
         ) "
    };
}

/// What the application roles can do to tables they must not touch at will:
/// on scoped tables, the privileges row-level security does not restrict
/// (`TRUNCATE`, `REFERENCES`, also on a column, and `TRIGGER`); on the
/// registry's tables (in the control schema `$4`), any privilege. Per table
/// and application role that can use them.
pub(super) const TABLE_PRIVILEGES: &str = concat!(
    scoped_tables!(),
    reachable_roles!(),
    ", checked AS (
         SELECT s.oid, false AS control, ARRAY['TRUNCATE', 'REFERENCES', 'TRIGGER'] AS privileges
         FROM scoped s
         UNION ALL
         SELECT c.oid, true,
                ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname::text = $4::text AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     )
     SELECT n.nspname::text, c.relname::text, t.control, reach.app_role,
            array_agg(DISTINCT p.privilege)
     FROM checked t
     JOIN pg_catalog.pg_class c ON c.oid = t.oid
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN reach
     CROSS JOIN unnest(t.privileges) AS p(privilege)
     WHERE CASE WHEN p.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
               THEN pg_catalog.has_any_column_privilege(reach.via::name, t.oid, p.privilege)
               ELSE pg_catalog.has_table_privilege(reach.via::name, t.oid, p.privilege)
           END
     GROUP BY 1, 2, 3, 4"
);

/// `SECURITY DEFINER` functions (outside the system schemas) whose owner
/// bypasses row-level security (a superuser, a `BYPASSRLS` role, the owner
/// of a scoped table), with the application roles that can call them: that
/// may execute them and use their schema. The registry's functions for the
/// application (`$5` in the control schema `$4`: the lookup of one tenant's
/// row, whether it records any tenant, and the audit of support access)
/// are meant to be such.
pub(super) const DEFINER_FUNCTIONS: &str = concat!(
    scoped_tables!(),
    reachable_roles!(),
    "SELECT n.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),
            o.rolname::text, array_agg(DISTINCT reach.app_role)
     FROM pg_catalog.pg_proc p
     JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     JOIN pg_catalog.pg_roles o ON o.oid = p.proowner
     JOIN reach ON pg_catalog.has_function_privilege(reach.via::name, p.oid, 'EXECUTE')
     WHERE p.prosecdef
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND (o.rolsuper OR o.rolbypassrls OR o.oid IN (SELECT relowner FROM scoped))
       AND NOT (n.nspname::text = $4::text AND p.proname::text = ANY($5::text[]))
       AND EXISTS (SELECT 1 FROM reach usable
                   WHERE usable.app_role = reach.app_role
                     AND pg_catalog.has_schema_privilege(usable.via::name, n.oid, 'USAGE'))
     GROUP BY 1, 2, 3, 4"
);

/// The user triggers of scoped tables (a partition's copies of its parent's
/// left out) and their functions, unless written in C: the function's body,
/// and whether it sets its own `search_path`.
pub(super) const TRIGGERS: &str = concat!(
    scoped_tables!(),
    "SELECT tg.tgrelid, tg.tgname::text, fn.nspname::text, p.proname::text, p.prosrc,
            EXISTS (SELECT 1 FROM unnest(p.proconfig) setting WHERE setting LIKE 'search\\_path=%')
     FROM pg_catalog.pg_trigger tg
     JOIN scoped s ON s.oid = tg.tgrelid
     JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
     JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
     JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND l.lanname NOT IN ('c', 'internal')"
);

/// The names of the relations (tables, views, sequences, ...) outside the
/// system schemas.
pub(super) const RELATION_NAMES: &str = "SELECT DISTINCT c.relname::text
 FROM pg_catalog.pg_class c
 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

/// Views and materialized views (in any schema) that read a scoped table,
/// and whether a view runs with its caller's rights (`security_invoker`).
pub(super) const VIEWS: &str = concat!(
    scoped_tables!(),
    "SELECT DISTINCT vn.nspname::text, v.relname::text, v.relkind = 'm',
            EXISTS (SELECT 1 FROM unnest(v.reloptions) o
                    WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on',
                                       'security_invoker=yes', 'security_invoker=1'))
     FROM pg_catalog.pg_rewrite rw
     JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class AND v.relkind IN ('v', 'm')
     JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
     JOIN pg_catalog.pg_depend d
       ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
     JOIN scoped s ON s.oid = d.refobjid"
);

/// The application roles that exist, with the roles whose privileges each
/// one has (itself included): a policy for any of them applies to it.
pub(super) const ROLES: &str = "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls,
        ARRAY(SELECT m.oid FROM pg_catalog.pg_roles m WHERE pg_catalog.pg_has_role(r.oid, m.oid, 'USAGE'))
 FROM pg_catalog.pg_roles r
 WHERE r.rolname::text = ANY($1::text[])";

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_postgres::contract::CONTROL_SCHEMA;

    #[test]
    fn every_schema_leaves_out_the_registry() {
        assert!(TABLES.contains(&format!("'{CONTROL_SCHEMA}'")));
    }
}
