//! The registry's own migrations: the control set, applied to the control
//! schema of the main server before any other set.

use super::{Migration, MigrationSet};

/// The registry's own migrations.
pub static CONTROL_MIGRATIONS: MigrationSet = MigrationSet::new(&CONTROL);

/// What [`CONTROL_MIGRATIONS`] holds: a static of its own, as a set's
/// migrations must be (a temporary owning text cannot be borrowed for ever).
static CONTROL: [Migration; 10] = [
    Migration::new(
        1,
        "create_tenants",
        r#"
CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9_]{0,39}$'),
    placement text NOT NULL CHECK (placement IN ('pool', 'schema', 'database')),
    server text NOT NULL,
    schema_name text,
    database_name text,
    plan text NOT NULL DEFAULT 'standard',
    status text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'moving', 'erased')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((placement = 'schema') = (schema_name IS NOT NULL)),
    CHECK ((placement = 'database') = (database_name IS NOT NULL))
);
CREATE FUNCTION announce_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tenantry_registry', COALESCE(NEW.id, OLD.id)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER announce_tenant_change AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION announce_tenant_change();
"#,
    ),
    Migration::new(
        2,
        "create_migration_state",
        r#"
CREATE TABLE migration_state (
    set_name text NOT NULL,
    server text NOT NULL,
    database_name text NOT NULL,
    schema_name text NOT NULL,
    schema_version bigint,
    failed_version bigint,
    failure text,
    failed_at timestamptz,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (set_name, server, database_name, schema_name),
    CHECK ((failed_version IS NULL) = (failure IS NULL)),
    CHECK ((failure IS NULL) = (failed_at IS NULL))
);
COMMENT ON TABLE migration_state IS
    'Each migration target''s highest applied version and last failure, as the last run recorded them; database_name is empty for a server''s own database.';
"#,
    ),
    // The application roles are granted EXECUTE on this function instead of
    // SELECT on the tables (see `migrate::grant`): one tenant's row for its
    // id, never the list of every tenant.
    Migration::new(
        3,
        "resolve_one_tenant",
        r#"
CREATE FUNCTION tenant_by_id(tenant uuid) RETURNS SETOF tenants
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM tenantry_control.tenants WHERE id = tenant $$;
REVOKE EXECUTE ON FUNCTION tenant_by_id(uuid) FROM PUBLIC;
"#,
    ),
    // Granted to the application roles too: a pool-only application checks
    // that the registry records no tenant, whom it would route to the shared
    // tables (see `Config::pool_only`), and learns nothing else.
    Migration::new(
        4,
        "whether_any_tenant",
        r#"
CREATE FUNCTION has_tenants() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT EXISTS (SELECT FROM tenantry_control.tenants) $$;
REVOKE EXECUTE ON FUNCTION has_tenants() FROM PUBLIC;
"#,
    ),
    // Who changed a tenant's status, when and why. Append-only, whatever
    // the role (an owner too): a history that can be rewritten records
    // nothing. No foreign key: the history outlives the tenant's row.
    Migration::new(
        5,
        "record_status_changes",
        r#"
CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TABLE status_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'suspended', 'erased')),
    actor text NOT NULL CHECK (btrim(actor) <> ''),
    reason text NOT NULL CHECK (btrim(reason) <> ''),
    reference text CHECK (btrim(reference) <> ''),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_changes_of_tenant ON status_changes (tenant_id, id);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER append_only_table BEFORE TRUNCATE ON status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
"#,
    ),
    // The proof of each erasure, append-only like the status history; and
    // an erased tenant's registry row, its tombstone, is never changed or
    // removed: a stray job cannot bring the tenant back.
    Migration::new(
        6,
        "record_erasures",
        r#"
CREATE TABLE erasures (
    tenant_id uuid PRIMARY KEY,
    slug text NOT NULL,
    placement text NOT NULL,
    servers text[] NOT NULL,
    checked_servers text[] NOT NULL,
    checked_databases text[] NOT NULL,
    checked_objects text[] NOT NULL,
    remaining bigint[] NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    reference text,
    erased_at timestamptz NOT NULL,
    digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    CHECK (cardinality(checked_servers) = cardinality(remaining)
       AND cardinality(checked_databases) = cardinality(remaining)
       AND cardinality(checked_objects) = cardinality(remaining))
);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON erasures
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER append_only_table BEFORE TRUNCATE ON erasures
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE FUNCTION keep_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tenant % was erased: its registry row is a tombstone', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER keep_tombstone BEFORE UPDATE OR DELETE ON tenants
    FOR EACH ROW WHEN (OLD.status = 'erased') EXECUTE FUNCTION keep_tombstone();
"#,
    ),
    // Who looked at a tenant's data outside the tenant's own requests: one
    // row per audited transaction, append-only like the status history, and
    // chained: each row's hash covers its fields and the previous row's
    // hash, so a row changed, removed or slipped in breaks the chain (see
    // `Operator::verify_audit`). The application roles may only call the
    // procedure, never touch the table; the procedure takes the table's lock
    // so the chain stays linear (the lock lasts until the caller's
    // transaction ends, so the runtime calls it only in short ones; a wait
    // for it fails after ten seconds rather than for ever). Each field enters
    // the hash as its length in bytes, a colon and its text (NULL as `-`);
    // times as microseconds since the Unix epoch.
    Migration::new(
        7,
        "record_support_access",
        r#"
CREATE TABLE support_access (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    actor text NOT NULL CHECK (btrim(actor) <> ''),
    reason text NOT NULL CHECK (btrim(reason) <> ''),
    ticket text CHECK (btrim(ticket) <> ''),
    expires_at timestamptz NOT NULL,
    accessed_at timestamptz NOT NULL,
    recorded_by text NOT NULL,
    previous_hash text NOT NULL CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
    hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX support_access_of_tenant ON support_access (tenant_id, id);
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON support_access
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER append_only_table BEFORE TRUNCATE ON support_access
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE FUNCTION support_access_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
    AS $$ SELECT CASE WHEN value IS NULL THEN '-' ELSE octet_length(value) || ':' || value END $$;
CREATE PROCEDURE record_support_access(tenant uuid, actor text, reason text, ticket text, expires timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'
    AS $$
#variable_conflict use_variable
DECLARE
    accessed timestamptz;
    previous text;
    field text;
    chained text := '';
BEGIN
    LOCK TABLE tenantry_control.support_access IN EXCLUSIVE MODE;
    accessed := clock_timestamp();
    IF expires <= accessed THEN
        RAISE EXCEPTION 'support access to tenant % expired at %', tenant, expires
            USING ERRCODE = 'TN003', DETAIL = tenant::text;
    END IF;
    SELECT s.hash INTO previous FROM tenantry_control.support_access s ORDER BY s.id DESC LIMIT 1;
    previous := COALESCE(previous, repeat('0', 64));
    FOREACH field IN ARRAY ARRAY[
        tenant::text, actor, reason, ticket,
        (extract(epoch FROM expires) * 1000000)::bigint::text,
        (extract(epoch FROM accessed) * 1000000)::bigint::text,
        session_user::text, previous]
    LOOP
        chained := chained || tenantry_control.support_access_field(field);
    END LOOP;
    INSERT INTO tenantry_control.support_access
        (tenant_id, actor, reason, ticket, expires_at, accessed_at, recorded_by, previous_hash, hash)
    VALUES (tenant, actor, reason, ticket, expires, accessed, session_user, previous,
        encode(sha256(convert_to(chained, 'UTF8')), 'hex'));
END
$$;
REVOKE EXECUTE ON PROCEDURE record_support_access(uuid, text, text, text, timestamptz) FROM PUBLIC;
"#,
    ),
    // Each tenant's own limits, above its tier's (`LimitOverrides`): a
    // JSON object of the limits set, in the registry row, so that the
    // lookup function (`SELECT *` of the row) brings them in the same round
    // trip and the row's change notification announces them. Only known
    // limits, each of its kind, are accepted.
    Migration::new(
        8,
        "tenant_limits",
        r#"
ALTER TABLE tenants ADD COLUMN limits jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT limits_are_known CHECK (
        jsonb_typeof(limits) = 'object'
        AND limits - ARRAY['statement_timeout_ms', 'concurrent_statements', 'rate_per_second',
                           'rate_burst', 'connection_share', 'queue_ms', 'batch',
                           'batch_timeout_ms'] = '{}'::jsonb
        AND (limits ? 'rate_per_second') = (limits ? 'rate_burst')
        AND coalesce((limits->>'statement_timeout_ms')::bigint >= 1, true)
        AND coalesce((limits->>'concurrent_statements')::bigint >= 1, true)
        AND coalesce((limits->>'rate_per_second')::bigint BETWEEN 1 AND 4294967295, true)
        AND coalesce((limits->>'rate_burst')::bigint BETWEEN 1 AND 4294967295, true)
        AND coalesce((limits->>'connection_share')::float8 BETWEEN 0 AND 1, true)
        AND coalesce((limits->>'queue_ms')::bigint >= 0, true)
        AND coalesce(jsonb_typeof(limits->'batch') = 'boolean', true)
        AND coalesce((limits->>'batch_timeout_ms')::bigint >= 1, true)
    );
"#,
    ),
    // Each relocation of a tenant, one row per move, kept after it ends: the
    // state machine a relocation killed part-way resumes from, and the
    // history of where each tenant lived. At most one move of a tenant is
    // open (neither finished nor rolled back) at a time.
    Migration::new(
        9,
        "record_relocations",
        r#"
CREATE TABLE relocations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    from_placement text NOT NULL CHECK (from_placement IN ('pool', 'schema', 'database')),
    from_server text NOT NULL,
    from_schema text,
    from_database text,
    to_placement text NOT NULL CHECK (to_placement IN ('pool', 'schema', 'database')),
    to_server text NOT NULL,
    to_schema text,
    to_database text,
    step text NOT NULL CHECK (step IN ('planned', 'prepared', 'copied', 'fenced', 'flipped',
                                       'returning', 'finished', 'rolled_back')),
    drop_source boolean NOT NULL,
    rows_copied bigint NOT NULL DEFAULT 0 CHECK (rows_copied >= 0),
    blocked interval,
    error text,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((from_placement = 'schema') = (from_schema IS NOT NULL)),
    CHECK ((from_placement = 'database') = (from_database IS NOT NULL)),
    CHECK ((to_placement = 'schema') = (to_schema IS NOT NULL)),
    CHECK ((to_placement = 'database') = (to_database IS NOT NULL))
);
CREATE UNIQUE INDEX relocations_one_open ON relocations (tenant_id)
    WHERE step NOT IN ('finished', 'rolled_back');
CREATE INDEX relocations_of_tenant ON relocations (tenant_id, id);
"#,
    ),
    // Servers added at run time, beside those of each process's
    // configuration: a name and a connection string without credentials
    // (each process supplies its own). A change is announced on the
    // registry's channel (payload `server:<name>`), and the application
    // roles may execute the lookup of one server's address, not read the
    // table.
    Migration::new(
        10,
        "record_servers",
        r#"
CREATE TABLE servers (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
    url text NOT NULL CHECK (btrim(url) <> ''),
    added_by text NOT NULL CHECK (btrim(added_by) <> ''),
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION announce_server_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tenantry_registry', 'server:' || COALESCE(NEW.name, OLD.name));
    RETURN NULL;
END
$$;
CREATE TRIGGER announce_server_change AFTER INSERT OR UPDATE OR DELETE ON servers
    FOR EACH ROW EXECUTE FUNCTION announce_server_change();
CREATE FUNCTION server_by_name(server text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT url FROM tenantry_control.servers WHERE name = server $$;
REVOKE EXECUTE ON FUNCTION server_by_name(text) FROM PUBLIC;
"#,
    ),
];
