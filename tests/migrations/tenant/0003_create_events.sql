CREATE TABLE events (
    tenant_id uuid NOT NULL,
    id bigint NOT NULL,
    small smallint NOT NULL,
    medium integer NOT NULL,
    ratio real NOT NULL,
    score double precision,
    payload bytea NOT NULL,
    details jsonb NOT NULL,
    day date NOT NULL,
    at_time time NOT NULL,
    local_at timestamp NOT NULL
);
SELECT tenantry.tenant_key('events', 'id');
SELECT tenantry.isolate_table('events');
