CREATE TABLE plans (
    id text PRIMARY KEY,
    max_seats integer NOT NULL,
    price double precision NOT NULL
);
SELECT tenantry.reference_table('plans');
