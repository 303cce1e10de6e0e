//! Queries: SELECT, INSERT, UPDATE and DELETE, built from a handle.
//!
//! Every statement starts from a handle: a tenant's ([`TenantScoped`], which
//! a connected [`Tenant`] dereferences to) for tenant-scoped entities, the
//! global one ([`GlobalScope`], behind [`Global`]) for global entities. The
//! builders are the same whether or not a database is behind the handle:
//! `build()` returns the [`Statement`], its SQL and bind values, without
//! running it; with a connected handle, `all`, `one`, `exec` and the others
//! run it (see [`handles`](super::handles)). This page builds without a
//! database, to show the SQL.
//!
//! Every value is a bind parameter (`$n`), never spliced into the SQL, and
//! every tenant-scoped table of the statement, joined or in a subquery, gets
//! `tenant_id = $n` for the handle's tenant.
//!
//! # SELECT
//!
//! Conditions come from the column constants (`eq`, `ne`, `lt`, `le`, `gt`,
//! `ge`, `between`, `is_distinct_from`, `is_not_distinct_from`, `is_in`,
//! `not_in`, `eq_any`, `is_null`, `is_not_null`; `like`, `ilike` and
//! `starts_with` on text columns; `contains`, `overlaps` and `has` on array
//! columns; `eq_column`, `in_query`) and combine with `and`, `or` and
//! `not`; each `filter` adds one with `AND`, inside the tenant condition,
//! never around it:
//!
//! ```
//! use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub customer_id: Uuid,
//! #     pub amount_cents: i64,
//! #     pub note: Option<String>,
//! # }
//!
//! let acme = TenantScoped::shared(TenantId::random());
//! let select = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::AMOUNT_CENTS.gt(10_000).or(Invoice::NOTE.is_null()))
//!     .order_by(Invoice::AMOUNT_CENTS.desc())
//!     .limit(50)
//!     .offset(100)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     select.sql(),
//!     r#"SELECT "invoices"."id", "invoices"."tenant_id", "invoices"."customer_id", "invoices"."amount_cents", "invoices"."note" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND ("invoices"."amount_cents" > $2 OR "invoices"."note" IS NULL) ORDER BY "invoices"."amount_cents" DESC LIMIT $3 OFFSET $4"#
//! );
//! assert_eq!(select.values().len(), 4);
//! assert_eq!(select.tenant(), Some(acme.tenant()));
//! ```
//!
//! A SELECT reads whole entities unless `columns` picks a column or a tuple
//! of columns, which its rows then decode into. `build_count` and
//! `build_exists` (what `count()` and `exists()` run) keep the conditions
//! and drop the order and the limit.
//!
//! # Joins and subqueries
//!
//! `inner_join::<C>(on)` and `left_join::<C>(on)` add an entity to the
//! statement; the joined table gets its own tenant condition (a global
//! entity gets none). After a join, conditions and columns may name the
//! joined entity, and a LEFT JOIN's columns are picked with `nullable()`:
//!
//! ```
//! use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub customer_id: Uuid,
//! #     pub amount_cents: i64,
//! # }
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "customers", tenant_scoped)]
//! # pub struct Customer {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub name: String,
//! # }
//!
//! let acme = TenantScoped::shared(TenantId::random());
//! let select = acme
//!     .select::<Invoice>()
//!     .left_join::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
//!     .filter(Invoice::AMOUNT_CENTS.ge(1_000))
//!     .columns((Invoice::ID, Customer::NAME.nullable()))
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     select.sql(),
//!     r#"SELECT "invoices"."id", "customers"."name" FROM "public"."invoices" LEFT JOIN "public"."customers" ON "customers"."tenant_id" = $1 AND "customers"."id" = "invoices"."customer_id" WHERE "invoices"."tenant_id" = $2 AND "invoices"."amount_cents" >= $3"#
//! );
//!
//! // A subquery comes from the same handle (or the global one), and is
//! // constrained the same way.
//! let big_spenders = acme
//!     .select::<Customer>()
//!     .filter(Customer::NAME.like("A%"))
//!     .columns(Customer::ID);
//! let select = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::CUSTOMER_ID.in_query(big_spenders))
//!     .build_count()
//!     .unwrap();
//! assert_eq!(
//!     select.sql(),
//!     r#"SELECT COUNT(*) FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."customer_id" IN (SELECT "customers"."id" FROM "public"."customers" WHERE "customers"."tenant_id" = $2 AND "customers"."name" LIKE $3)"#
//! );
//! ```
//!
//! A subquery built by another tenant's handle compiles (both are
//! `TenantScoped`), but building the statement fails with
//! [`QueryError::ScopeMismatch`](crate::QueryError::ScopeMismatch): it
//! would read across tenants.
//!
//! `inner_join_entity::<C>(on)` and `left_join_entity::<C>(on)` join the
//! same way and return the joined entity whole beside each row:
//! `Vec<(Task, Project)>`, and `Vec<(Task, Option<Project>)>` for a left
//! join (`None` where nothing matched); see
//! [`Select::inner_join_entity`](crate::Select::inner_join_entity) for the SQL.
//!
//! # Reports: aggregates, groups, `EXISTS`
//!
//! `count`, `count_distinct`, `sum`, `avg`, `min` and `max` of a column are
//! selected with `columns` beside grouping columns, compared in `having`
//! and ordered by; rows decode into tuples. `sum` and `avg` take numeric
//! columns only (a text column does not compile); a sum of integers is an
//! `i64`, an average an `f64` (a `Decimal` column's are `Decimal`s), and all
//! but the counts are `Option`s, NULL over no rows. `Filter::exists` and
//! `Filter::not_exists` take a subquery from the same handle, constrained to
//! the same tenant; `.correlate::<O>()` lets it name the outer statement's
//! `O`, and it then only compiles in a statement that reads `O`.
//!
//! ```
//! # use tenantry::prelude::*;
//! # use tenantry::Filter;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub customer_id: Uuid,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "customers", tenant_scoped)]
//! # pub struct Customer {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub name: String,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! // Revenue per customer, the biggest first, for customers above 100.00 (amounts in cents).
//! let report = acme
//!     .select::<Customer>()
//!     .inner_join::<Invoice>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
//!     .columns((Customer::NAME, Invoice::ID.count(), Invoice::AMOUNT_CENTS.sum()))
//!     .group_by(Customer::NAME)
//!     .having(Invoice::AMOUNT_CENTS.sum().gt(10_000))
//!     .order_by(Invoice::AMOUNT_CENTS.sum().desc())
//!     .build()?;
//! assert_eq!(
//!     report.sql(),
//!     r#"SELECT "customers"."name", COUNT("invoices"."id"), CAST(SUM("invoices"."amount_cents") AS int8) FROM "public"."customers" INNER JOIN "public"."invoices" ON "invoices"."tenant_id" = $1 AND "invoices"."customer_id" = "customers"."id" WHERE "customers"."tenant_id" = $2 GROUP BY "customers"."name" HAVING CAST(SUM("invoices"."amount_cents") AS int8) > $3 ORDER BY CAST(SUM("invoices"."amount_cents") AS int8) DESC"#
//! );
//! // Run, each row is a `(String, i64, Option<i64>)`.
//!
//! // Customers with an unpaid invoice.
//! let unpaid = acme
//!     .select::<Invoice>()
//!     .correlate::<Customer>()
//!     .filter(Invoice::CUSTOMER_ID.eq_column(Customer::ID).and(Invoice::PAID.eq(false)));
//! let owing = acme.select::<Customer>().filter(Filter::exists(unpaid)).build()?;
//! assert!(owing.sql().ends_with(
//!     r#"WHERE "customers"."tenant_id" = $1 AND EXISTS(SELECT 1 FROM "public"."invoices" WHERE "invoices"."tenant_id" = $2 AND ("invoices"."customer_id" = "customers"."id" AND "invoices"."paid" = $3))"#
//! ));
//! # Ok::<(), tenantry::QueryError>(())
//! ```
//!
//! `distinct()` makes it `SELECT DISTINCT`.
//!
//! # Keyset pagination
//!
//! A [`Keyset`](crate::Keyset) orders by key columns (NOT NULL, the last one
//! unique), all ascending or all descending; `keyset(order)` starts the
//! first page, and `after(order.after(last_key))` the next one, with
//! `(key...) > ($n...)`, so a deep page costs what the first one does. See
//! [`Select::after`](crate::Select::after) for the SQL.
//!
//! # INSERT, UPDATE, DELETE
//!
//! `insert` takes one insert row, `insert_many` several (the tenant's id
//! goes into each); `on_conflict_update`, `on_conflict_key_update` and
//! `on_conflict_do_nothing` make an upsert whose conflict key includes the
//! tenant column. `update` sets columns (`set`) of the rows its filters
//! match; `delete` deletes them. An UPDATE or DELETE without a filter
//! touches every row of the tenant, and only those. `returning()` (or the
//! terminal `all`, `one`, `optional`) gives the written rows back as
//! entities.
//!
//! ```
//! use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//!
//! let acme = TenantScoped::shared(TenantId::random());
//! let id = Uuid::new_v4();
//! let upsert = acme
//!     .insert(NewInvoice { id, amount_cents: 4_200 })
//!     .on_conflict_update(Invoice::AMOUNT_CENTS)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     upsert.sql(),
//!     r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "amount_cents") VALUES ($1, $2, $3) ON CONFLICT ("tenant_id", "id") DO UPDATE SET "amount_cents" = "excluded"."amount_cents""#
//! );
//!
//! let update = acme
//!     .update::<Invoice>()
//!     .set(Invoice::AMOUNT_CENTS, 5_000)
//!     .filter(Invoice::ID.eq(id))
//!     .returning()
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     update.sql(),
//!     r#"UPDATE "public"."invoices" SET "amount_cents" = $1 WHERE "invoices"."tenant_id" = $2 AND "invoices"."id" = $3 RETURNING "invoices"."id", "invoices"."tenant_id", "invoices"."amount_cents""#
//! );
//!
//! let delete = acme
//!     .delete::<Invoice>()
//!     .filter(Invoice::AMOUNT_CENTS.lt(100))
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     delete.sql(),
//!     r#"DELETE FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount_cents" < $2"#
//! );
//! ```
//!
//! `set_expr` sets a column from an expression over the row's own columns:
//! another column of the same type, or arithmetic on a numeric one
//! (`Invoice::AMOUNT_CENTS.add(100)`, `.sub`, `.mul`); the tenant column is
//! no more settable this way than by `set`. See
//! [`Update::set_expr`](crate::Update::set_expr) for the SQL.
//!
//! An UPDATE that sets nothing and an INSERT of no rows fail to build
//! ([`QueryError::EmptyUpdate`](crate::QueryError::EmptyUpdate),
//! [`QueryError::EmptyInsert`](crate::QueryError::EmptyInsert)).
//!
//! # Handing a query on
//!
//! A function that builds a query for its caller to finish returns one of
//! the aliases [`TenantSelect`], [`TenantInsert`](crate::TenantInsert),
//! [`TenantUpdate`](crate::TenantUpdate),
//! [`TenantDelete`](crate::TenantDelete) or
//! [`GlobalSelect`](crate::GlobalSelect); after a join or a choice of
//! columns, the select aliases take the entities read and the result shape
//! too. Filters a request may or may not ask for are `filter_if(condition,
//! || filter)` and `filter_opt(option)`, so the query stays one type
//! whichever apply: see [`TenantSelect`] for an example.
//!
//! # A statement runs only where it was built
//!
//! A built [`Statement`] remembers its scope (tenant and schema), and an
//! executor refuses one built for another
//! ([`QueryError::ForeignStatement`](crate::QueryError::ForeignStatement));
//! its fields are private, so none can be written by hand. SQL a builder
//! cannot express is hand-written, with calls named for it: see
//! [`hand_written_sql`](super::hand_written_sql).
//!
//! [`TenantScoped`]: crate::TenantScoped
//! [`Tenant`]: crate::Tenant
//! [`GlobalScope`]: crate::GlobalScope
//! [`Global`]: crate::Global
//! [`Statement`]: crate::Statement
//! [`TenantSelect`]: crate::TenantSelect
