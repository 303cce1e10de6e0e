//! The handles that build statements: `TenantScoped` for one tenant's data,
//! `GlobalScope` for data shared by all tenants.

use sea_query::{Expr, ExprTrait, TableRef};

use crate::entity::{Entity, EntityKind, GlobalEntity, Insertable, TenantEntity};
use crate::{Delete, Error, Identifier, Insert, Select, TenantId, Update};

/// The schema of the shared pool's tables and of a tenant database's tables.
pub const POOL_SCHEMA: &str = "public";

/// The schema of global tables whose entity names no schema of its own
/// (`#[entity(global)]`): where the operator applies the shared migration
/// set by default.
pub const GLOBAL_SCHEMA: &str = "shared";

/// Where a statement's tables live and whose rows it may touch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    tenant: Option<TenantId>,
    schema: Option<Identifier>,
}

impl Scope {
    /// The scope of the global handle: no tenant, no schema.
    pub fn global() -> Self {
        Self {
            tenant: None,
            schema: None,
        }
    }

    /// The tenant, or `None` for the global scope.
    pub fn tenant(&self) -> Option<TenantId> {
        self.tenant
    }

    /// The schema qualifying the tenant's tables, if any.
    pub fn schema(&self) -> Option<&Identifier> {
        self.schema.as_ref()
    }

    /// The table of `E`, qualified by the scope's schema (tenant tables of a
    /// schema placement) or [`POOL_SCHEMA`] (other tenant tables), by the
    /// entity's own schema or [`GLOBAL_SCHEMA`] (global tables): a built
    /// statement names the schema of every table, so the session's
    /// `search_path` never decides which table it reaches.
    pub(crate) fn table<E: Entity>(&self) -> TableRef {
        let schema = match E::KIND {
            EntityKind::TenantScoped { .. } => {
                self.schema.as_ref().map_or(POOL_SCHEMA, Identifier::as_str)
            }
            EntityKind::Global { schema } => schema.unwrap_or(GLOBAL_SCHEMA),
        };
        (schema.to_owned(), E::TABLE).into()
    }

    /// `"table"."tenant_id" = $n` for a tenant-scoped `E`; `None` for a global one.
    /// A tenant-scoped table in a scope without a tenant matches nothing.
    pub(crate) fn tenant_condition<E: Entity>(&self) -> Option<Expr> {
        let EntityKind::TenantScoped { tenant_column } = E::KIND else {
            return None;
        };
        Some(match self.tenant {
            Some(tenant) => Expr::col((E::TABLE, tenant_column)).eq(tenant.as_uuid()),
            None => Expr::cust("FALSE"),
        })
    }

    /// Whether a subquery built in `inner` may be embedded in a statement of
    /// this scope: only one from the same scope, or from the global scope.
    pub(crate) fn admits(&self, inner: &Scope) -> bool {
        inner == self || (inner.tenant.is_none() && inner.schema.is_none())
    }

    pub(crate) fn describe(&self) -> String {
        Error::describe_scope(self.tenant, self.schema.as_ref().map(Identifier::as_str))
    }
}

/// The subqueries of a statement that came from a foreign scope, nested ones
/// included; building such a statement fails. They are all kept, not just the
/// first: a statement used as a subquery passes them on to the outer one.
#[derive(Default)]
pub(crate) struct ForeignSubquery(Vec<Scope>);

impl ForeignSubquery {
    /// Records those of `subquery_scopes` that `scope` does not admit.
    pub(crate) fn check(&mut self, scope: &Scope, subquery_scopes: Vec<Scope>) {
        self.0.extend(
            subquery_scopes
                .into_iter()
                .filter(|inner| !scope.admits(inner)),
        );
    }

    /// The recorded foreign scopes.
    pub(crate) fn into_scopes(self) -> Vec<Scope> {
        self.0
    }

    /// An error if a foreign subquery was recorded.
    pub(crate) fn verdict(&self, scope: &Scope) -> Result<(), Error> {
        match self.0.first() {
            None => Ok(()),
            Some(inner) => Err(Error::ScopeMismatch {
                statement: scope.describe(),
                subquery: inner.describe(),
            }),
        }
    }
}

/// What a statement builder needs from the handle that created it.
pub trait Context: Sync {
    /// What runs the built statements: `()` when only building.
    type Executor;

    /// The scope statements are built in.
    fn scope(&self) -> &Scope;

    /// The executor.
    fn executor(&self) -> &Self::Executor;
}

/// An entity that may be joined into a statement built by the handle `K`:
/// a tenant's statements join any entity, global statements global ones only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be joined into a statement of `{K}`",
    label = "a global statement can only join global entities",
    note = "tenant-scoped entities are read through the tenant's `TenantScoped` handle"
)]
pub trait JoinableIn<K> {}

impl<E: Entity, X> JoinableIn<TenantScoped<X>> for E {}
impl<E: GlobalEntity, X> JoinableIn<GlobalScope<X>> for E {}

/// The handle for one tenant's data: the only way to build a statement on a
/// tenant-scoped entity. Every statement it builds constrains every
/// tenant-scoped table to `tenant_id = $n`, and qualifies those tables with the
/// tenant's schema when it has one.
///
/// `X` is what executes the statements (the PostgreSQL layer supplies it);
/// `TenantScoped<()>` only builds them.
///
/// ```
/// # use tenantry_query::{TenantId, TenantScoped};
/// let acme = TenantScoped::shared(TenantId::random());
/// let schema_tenant = TenantScoped::in_schema(TenantId::random(), "tenant_globex").unwrap();
/// assert!(TenantScoped::in_schema(TenantId::random(), "Robert'); DROP").is_err());
/// # let _ = (acme, schema_tenant);
/// ```
#[derive(Clone, Debug)]
pub struct TenantScoped<X = ()> {
    scope: Scope,
    executor: X,
}

impl TenantScoped<()> {
    /// A tenant whose tables are the shared (pool) tables.
    pub fn shared(tenant: TenantId) -> Self {
        Self::new(tenant, None)
    }

    /// A tenant whose tables live in their own schema; the name is validated.
    pub fn in_schema(tenant: TenantId, schema: &str) -> Result<Self, Error> {
        Ok(Self::new(tenant, Some(Identifier::new(schema)?)))
    }

    /// A tenant whose tables are in `schema`, or in the shared tables when `None`.
    pub fn new(tenant: TenantId, schema: Option<Identifier>) -> Self {
        Self {
            scope: Scope {
                tenant: Some(tenant),
                schema,
            },
            executor: (),
        }
    }
}

impl<X> TenantScoped<X> {
    /// The same scope, executed by `executor`.
    pub fn with_executor<Y>(self, executor: Y) -> TenantScoped<Y> {
        TenantScoped {
            scope: self.scope,
            executor,
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> TenantId {
        self.scope
            .tenant
            .expect("a TenantScoped handle always has a tenant")
    }

    /// The scope: tenant and schema.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The executor.
    pub fn executor(&self) -> &X {
        &self.executor
    }
}

impl<X: Sync> TenantScoped<X> {
    /// A SELECT of the tenant's `E` rows.
    pub fn select<E: TenantEntity>(&self) -> Select<'_, Self, E> {
        Select::new(self)
    }

    /// An INSERT of one row; the tenant id is supplied by the scope.
    pub fn insert<N>(&self, row: N) -> Insert<'_, Self, N::Entity>
    where
        N: Insertable,
        N::Entity: TenantEntity,
    {
        Insert::new(self, std::iter::once(row))
    }

    /// An INSERT of many rows in one statement.
    pub fn insert_many<N>(&self, rows: impl IntoIterator<Item = N>) -> Insert<'_, Self, N::Entity>
    where
        N: Insertable,
        N::Entity: TenantEntity,
    {
        Insert::new(self, rows)
    }

    /// An UPDATE of the tenant's `E` rows.
    pub fn update<E: TenantEntity>(&self) -> Update<'_, Self, E> {
        Update::new(self)
    }

    /// A DELETE of the tenant's `E` rows.
    pub fn delete<E: TenantEntity>(&self) -> Delete<'_, Self, E> {
        Delete::new(self)
    }
}

impl<X: Sync> Context for TenantScoped<X> {
    type Executor = X;

    fn scope(&self) -> &Scope {
        &self.scope
    }

    fn executor(&self) -> &X {
        &self.executor
    }
}

/// The handle for data shared by all tenants: it builds statements on global
/// entities only, and can never reach a tenant's rows.
///
/// ```
/// # use tenantry_query::GlobalScope;
/// let global = GlobalScope::new();
/// # let _ = global;
/// ```
#[derive(Clone, Debug)]
pub struct GlobalScope<X = ()> {
    scope: Scope,
    executor: X,
}

impl GlobalScope<()> {
    /// A global handle that only builds statements.
    pub fn new() -> Self {
        Self {
            scope: Scope::global(),
            executor: (),
        }
    }
}

impl Default for GlobalScope<()> {
    fn default() -> Self {
        Self::new()
    }
}

impl<X> GlobalScope<X> {
    /// The same handle, executed by `executor`.
    pub fn with_executor<Y>(self, executor: Y) -> GlobalScope<Y> {
        GlobalScope {
            scope: self.scope,
            executor,
        }
    }

    /// The executor.
    pub fn executor(&self) -> &X {
        &self.executor
    }
}

impl<X: Sync> GlobalScope<X> {
    /// A SELECT of a global entity.
    pub fn select<E: GlobalEntity>(&self) -> Select<'_, Self, E> {
        Select::new(self)
    }

    /// An INSERT of one global row.
    pub fn insert<N>(&self, row: N) -> Insert<'_, Self, N::Entity>
    where
        N: Insertable,
        N::Entity: GlobalEntity,
    {
        Insert::new(self, std::iter::once(row))
    }

    /// An INSERT of many global rows in one statement.
    pub fn insert_many<N>(&self, rows: impl IntoIterator<Item = N>) -> Insert<'_, Self, N::Entity>
    where
        N: Insertable,
        N::Entity: GlobalEntity,
    {
        Insert::new(self, rows)
    }

    /// An UPDATE of a global entity.
    pub fn update<E: GlobalEntity>(&self) -> Update<'_, Self, E> {
        Update::new(self)
    }

    /// A DELETE of a global entity.
    pub fn delete<E: GlobalEntity>(&self) -> Delete<'_, Self, E> {
        Delete::new(self)
    }
}

impl<X: Sync> Context for GlobalScope<X> {
    type Executor = X;

    fn scope(&self) -> &Scope {
        &self.scope
    }

    fn executor(&self) -> &X {
        &self.executor
    }
}
