//! Adversarial tenant isolation against real PostgreSQL servers, as the
//! ordinary application role (row-level security applies to it), with
//! tenants in every placement at once (shared pool, own schema, own
//! database, on the main server and on `eu-1`) holding the same ids and the
//! same values. One concern per module: builder operations, joins and
//! subqueries, hand-written SQL, no context at all, connection reuse, and
//! session state left behind by hand-written SQL, the attacks on the write
//! fence and the splice that the defences hold, and audited support access.

#[path = "isolation/mod.rs"]
mod concerns;
mod support;
