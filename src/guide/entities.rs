//! Entities: one struct per table, tenant-scoped or global.
//!
//! An entity is a struct with named fields that maps to one table.
//! `#[derive(Entity)]` reads its `#[entity(...)]` attributes and generates
//! what the builders need: the table and column names, a typed column
//! constant per field, the row mapping, and for a tenant-scoped entity an
//! insert row without `tenant_id`.
//!
//! # Tenant-scoped entities
//!
//! A tenant-scoped entity's rows belong to one tenant each. It has a
//! `tenant_id: TenantId` field, which every statement constrains and which
//! the handle supplies on insert:
//!
//! ```
//! use tenantry::prelude::*;
//!
//! /// An invoice of one tenant.
//! #[derive(Entity, Debug, Clone)]
//! #[entity(table = "invoices", tenant_scoped)]
//! pub struct Invoice {
//!     /// Unique within its tenant.
//!     #[entity(primary_key)]
//!     pub id: Uuid,
//!     /// Its tenant: read back from rows, never set or compared by hand.
//!     pub tenant_id: TenantId,
//!     pub customer_id: Uuid,
//!     /// The SQL column is `amount`.
//!     #[entity(column = "amount")]
//!     pub amount_cents: i64,
//!     /// A nullable column is an `Option`.
//!     pub note: Option<String>,
//!     pub created_at: OffsetDateTime,
//! }
//!
//! // A typed column constant per field, named in upper case.
//! let amount: tenantry::Column<Invoice, i64> = Invoice::AMOUNT_CENTS;
//! assert_eq!(amount.name(), "amount");
//!
//! // The insert row: every field but `tenant_id`.
//! let row = NewInvoice {
//!     id: Uuid::new_v4(),
//!     customer_id: Uuid::new_v4(),
//!     amount_cents: 4_200,
//!     note: None,
//!     created_at: OffsetDateTime::now_utc(),
//! };
//! let acme = TenantScoped::shared(TenantId::random());
//! let insert = acme.insert(row).build().unwrap();
//! assert_eq!(
//!     insert.sql(),
//!     r#"INSERT INTO "public"."invoices" ("tenant_id", "id", "customer_id", "amount", "note", "created_at") VALUES ($1, $2, $3, $4, $5, $6)"#
//! );
//! ```
//!
//! `NewInvoice` is generated next to `Invoice`, with the same visibility and
//! field docs; the handle fills `tenant_id` (`$1` above) from its own
//! tenant, so a row cannot be written for another tenant.
//!
//! # Global entities
//!
//! A global entity holds reference data shared by every tenant (plans,
//! currencies, feature flags). It has no tenant column, it is its own insert
//! row, and only the global handle (`db.global()`, or [`GlobalScope`] to
//! build without a database) reads and writes it. Its table lives in the
//! schema `shared`, where the operator applies the shared migrations, unless
//! `schema = "..."` names another:
//!
//! ```
//! use tenantry::prelude::*;
//!
//! /// A subscription plan, the same for every tenant.
//! #[derive(Entity, Debug, Clone)]
//! #[entity(table = "plans", global)]
//! pub struct Plan {
//!     #[entity(primary_key)]
//!     pub id: String,
//!     pub max_seats: i32,
//! }
//!
//! let global = GlobalScope::new();
//! let select = global
//!     .select::<Plan>()
//!     .filter(Plan::MAX_SEATS.ge(10))
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     select.sql(),
//!     r#"SELECT "plans"."id", "plans"."max_seats" FROM "shared"."plans" WHERE "plans"."max_seats" >= $1"#
//! );
//! let insert = global
//!     .insert(Plan { id: "pro".to_owned(), max_seats: 50 })
//!     .build()
//!     .unwrap();
//! assert!(insert.sql().starts_with(r#"INSERT INTO "shared"."plans""#));
//! ```
//!
//! A tenant's statement may join or filter on a global entity (its table
//! gets no tenant condition); a global statement may not touch a
//! tenant-scoped one.
//!
//! # The attributes
//!
//! | attribute | on | meaning |
//! |---|---|---|
//! | `table = "..."` | struct | the table (required) |
//! | `tenant_scoped` or `global` | struct | whose rows these are (exactly one) |
//! | `schema = "..."` | struct | a global entity's schema (default `shared`, the operator's default for the shared migrations); a tenant's tables live where its placement says |
//! | `crate = "..."` | struct | the path of this crate, when it is renamed (default `::tenantry`) |
//! | `primary_key` | field | part of the primary key (at least one field; several make a composite key) |
//! | `column = "..."` | field | the SQL name, when it is not the field's |
//!
//! # Column types
//!
//! A field's type is any [`SqlValue`]. Built in: `bool`, `i16`, `i32`,
//! `i64`, `f32`, `f64`, `String`, `Vec<u8>` (`bytea`), [`Uuid`](crate::Uuid),
//! `serde_json::Value` and [`Json<T>`](crate::Json) (typed `jsonb`),
//! `std::net::IpAddr` (`inet`), `time`'s `OffsetDateTime`,
//! `PrimitiveDateTime`, `Date` and `Time`, arrays `Vec<T>` (`text[]`,
//! `bigint[]`, an enum's array, ...), and `Option` of any of them for a
//! nullable column. Behind features, as they pull in a crate: `decimal` for
//! `rust_decimal::Decimal` (`numeric`, for money), `chrono` for chrono's
//! `NaiveDate`, `NaiveTime`, `NaiveDateTime` and `DateTime<Utc>`.
//!
//! A fieldless enum becomes a column type with `#[derive(DbEnum)]`, stored
//! as a PostgreSQL enum (`type = "..."`) or as text, and any other type
//! that PostgreSQL's driver encodes and decodes (`ToSql + FromSql`) with one
//! line, `impl SqlValue for MyType {}`:
//!
//! ```
//! use postgres_types::{FromSql, ToSql};
//! use rust_decimal::Decimal;
//! use tenantry::prelude::*;
//!
//! /// `CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done')`
//! #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
//! #[db_enum(type = "task_status")]
//! pub enum TaskStatus {
//!     Todo,
//!     InProgress, // the label is `in_progress`
//!     #[db_enum(rename = "done")]
//!     Finished,
//! }
//!
//! /// An e-mail address in a `text` column, a type of the application's own.
//! #[derive(Debug, Clone, PartialEq, ToSql, FromSql)]
//! #[postgres(transparent)]
//! pub struct Email(String);
//!
//! impl SqlValue for Email {}
//!
//! #[derive(Entity, Debug)]
//! #[entity(table = "tasks", tenant_scoped)]
//! pub struct Task {
//!     #[entity(primary_key)]
//!     pub id: i64,
//!     pub tenant_id: TenantId,
//!     pub status: TaskStatus,
//!     pub price: Decimal,           // numeric(12, 2)
//!     pub tags: Vec<String>,        // text[]
//!     pub owner: Option<Email>,     // text, nullable
//! }
//!
//! let acme = TenantScoped::shared(TenantId::random());
//! let select = acme
//!     .select::<Task>()
//!     .filter(Task::STATUS.eq(TaskStatus::InProgress))
//!     .filter(Task::PRICE.ge(Decimal::new(1_000, 2)))
//!     .filter(Task::TAGS.has("billing"))
//!     .build()?;
//! assert!(select.sql().ends_with(
//!     r#"WHERE "tasks"."tenant_id" = $1 AND "tasks"."status" = $2 AND "tasks"."price" >= $3 AND $4 = ANY("tasks"."tags")"#
//! ));
//! # Ok::<(), tenantry::QueryError>(())
//! ```
//!
//! A value of such a type is bound by its own `ToSql` when the statement
//! runs, and the driver checks it against the parameter's type first: an
//! enum's labels are those of the PostgreSQL type it names, and a label the
//! enum does not know is a decoding error, never a default. An array of a
//! type of the application's own needs one more line,
//! `impl ArrayElement for MyType {}` (the derive writes it for enums).
//!
//! [`TenantId`] is not a column value, and cannot be made one: neither the
//! trait nor the type is the application's, so `impl SqlValue for TenantId`
//! does not compile. It can be read from a row, but never bound, set or
//! compared by hand.
//!
//! # The table behind it
//!
//! The derive does not create tables: migrations do (see the operator's
//! page, with the `ops` feature). A tenant-scoped table has a `tenant_id
//! uuid NOT NULL` column, keys that start with it, and row-level security;
//! the helpers every migrated database holds make those the easy forms:
//!
//! ```sql
//! CREATE TABLE invoices (
//!     tenant_id uuid NOT NULL,
//!     id uuid NOT NULL,
//!     customer_id uuid NOT NULL,
//!     amount bigint NOT NULL,
//!     note text,
//!     created_at timestamptz NOT NULL
//! );
//! SELECT tenantry.tenant_key('invoices', 'id');   -- PRIMARY KEY (tenant_id, id)
//! SELECT tenantry.tenant_reference('invoices', '{customer_id}', 'customers', '{id}');
//! SELECT tenantry.isolate_table('invoices');      -- row-level security and the write fence
//! ```
//!
//! # What does not compile
//!
//! Each guarantee below is a compile error, not a run-time check; the test
//! suite keeps one file per guarantee, with the compiler's message, in
//! `tests/compile_fail/`.
//!
//! A statement on a tenant-scoped entity is only built from a tenant's
//! handle: neither the global handle nor a builder made directly will do.
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let global = GlobalScope::new();
//! let _ = global.select::<Invoice>(); // `Invoice` is tenant-scoped
//! ```
//!
//! ```compile_fail,E0624
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let global = GlobalScope::new();
//! let _ = tenantry::Select::<GlobalScope, Invoice>::new(&global); // private
//! ```
//!
//! The tenant id is the handle's, never the caller's: the insert row has no
//! `tenant_id`, the entity itself is not an insert row, and the tenant
//! column can be neither assigned nor compared.
//!
//! ```compile_fail,E0560
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme.insert(NewInvoice {
//!     id: Uuid::nil(),
//!     tenant_id: TenantId::random(), // no such field
//!     amount_cents: 100,
//! });
//! ```
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme.insert(Invoice {
//!     id: Uuid::nil(),
//!     tenant_id: TenantId::random(), // `Invoice` cannot be inserted
//!     amount_cents: 100,
//! });
//! ```
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme
//!     .update::<Invoice>()
//!     .set(Invoice::TENANT_ID, TenantId::random()); // not a column value
//! ```
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::TENANT_ID.eq(TenantId::random())); // not a column value
//! ```
//!
//! A condition takes a value of its column's type, and only names entities
//! the statement reads:
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::AMOUNT_CENTS.eq("100")); // an i64 column
//! ```
//!
//! ```compile_fail,E0277
//! # use tenantry::prelude::*;
//! # #[derive(Entity)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub customer_id: Uuid,
//! # }
//! # #[derive(Entity)]
//! # #[entity(table = "customers", tenant_scoped)]
//! # pub struct Customer {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub name: String,
//! # }
//! let acme = TenantScoped::shared(TenantId::random());
//! let _ = acme
//!     .select::<Invoice>()
//!     .filter(Customer::NAME.eq("Ada".to_owned())); // `Customer` is not joined
//! ```
//!
//! And the derive refuses an entity that does not say whose rows it holds,
//! a tenant-scoped one without `tenant_id: TenantId`, and one without a
//! primary key, each with a message that says what to add; for instance:
//!
//! ```compile_fail
//! # use tenantry::prelude::*;
//! #[derive(Entity)]
//! #[entity(table = "invoices", tenant_scoped)]
//! pub struct Invoice {
//!     #[entity(primary_key)]
//!     pub id: Uuid,
//!     pub amount_cents: i64, // and no `tenant_id`
//! }
//! ```
//!
//! [`GlobalScope`]: crate::GlobalScope
//! [`SqlValue`]: crate::SqlValue
//! [`TenantId`]: crate::TenantId
