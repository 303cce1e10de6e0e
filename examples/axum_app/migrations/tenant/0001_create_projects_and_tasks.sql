CREATE TABLE projects (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    archived boolean NOT NULL DEFAULT false
);
SELECT tenantry.tenant_key('projects', 'id');
SELECT tenantry.isolate_table('projects');

CREATE TABLE tasks (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    project_id uuid NOT NULL,
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false
);
SELECT tenantry.tenant_key('tasks', 'id');
SELECT tenantry.tenant_reference('tasks', '{project_id}', 'projects', '{id}');
SELECT tenantry.isolate_table('tasks');
