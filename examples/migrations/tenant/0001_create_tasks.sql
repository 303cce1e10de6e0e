CREATE TABLE tasks (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    title text NOT NULL
);
SELECT tenantry.tenant_key('tasks', 'id');
SELECT tenantry.isolate_table('tasks');
