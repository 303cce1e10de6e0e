//! Scoped SELECT statements: filters, joins, order, paging, count and exists.

use std::marker::PhantomData;

use sea_query::{Condition, Expr, ExprTrait, JoinType, Query, SelectStatement};

use crate::bind::OpenValues;
use crate::entity::Entity;
use crate::executor::{self, Decoded, Executor};
use crate::filter::{Filter, Ordering};
use crate::keyset::{Cursor, KeyList, Keyset};
use crate::scope::{Context, ForeignSubquery, JoinableIn, Scope};
use crate::selection::{
    ColumnList, ColumnsIn, GroupList, Joined, LeftJoined, MappedInto, Picked, Rows, Selection,
};
use crate::source::Outer;
use crate::{Error, Operation, Statement};

/// Carries a statement's type parameters without owning values of them.
type Types<E, Src, Sel> = PhantomData<fn() -> (E, Src, Sel)>;

/// A SELECT of entity `E`, built by a handle `K`.
///
/// `Src` lists the entities the statement reads from (`E` and every joined
/// one); filters and orderings may only mention those. `Sel` is the result
/// shape: whole `E` rows, or the columns chosen with [`Select::columns`].
///
/// Every tenant-scoped table in the statement (the root, each join, each
/// subquery) is constrained to the handle's tenant.
pub struct Select<'s, K, E, Src = (E, ()), Sel = Rows<E>> {
    context: &'s K,
    /// Boxed: every chained call moves the builder, and a pointer is much
    /// cheaper to move than the statement.
    statement: Box<SelectStatement>,
    foreign: ForeignSubquery,
    open: OpenValues,
    _types: Types<E, Src, Sel>,
}

impl<'s, K: Context, E: Entity> Select<'s, K, E> {
    pub(crate) fn new(context: &'s K) -> Self {
        let scope = context.scope();
        let mut statement = Box::new(Query::select());
        select_whole::<E>(&mut statement);
        statement.from(scope.table::<E>());
        if let Some(tenant) = scope.tenant_condition::<E>() {
            statement.and_where(tenant);
        }
        Self {
            context,
            statement,
            foreign: ForeignSubquery::default(),
            open: OpenValues::default(),
            _types: PhantomData,
        }
    }
}

impl<'s, K: Context, E: Entity, Src, Sel> Select<'s, K, E, Src, Sel> {
    fn retype<Src2, Sel2>(self) -> Select<'s, K, E, Src2, Sel2> {
        Select {
            context: self.context,
            statement: self.statement,
            foreign: self.foreign,
            open: self.open,
            _types: PhantomData,
        }
    }

    /// Keeps the rows matching `filter` (ANDed with earlier filters).
    pub fn filter(mut self, filter: Filter<Src>) -> Self {
        self.foreign
            .check(self.context.scope(), filter.subquery_scopes);
        self.open.extend(filter.open);
        self.statement.and_where(filter.expr);
        self
    }

    /// Keeps the rows matching the filter `make` returns when `condition`
    /// holds; leaves the statement as it is otherwise: for filters a request
    /// may or may not ask for.
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let (only_mine, search): (bool, Option<&str>) = (true, None);
    /// let select = acme
    ///     .select::<Task>()
    ///     .filter_if(only_mine, || Task::OWNER.eq(Some("ada".to_owned())))
    ///     .filter_opt(search.map(|text| Task::TITLE.ilike(format!("%{text}%"))))
    ///     .build()
    ///     .unwrap();
    /// assert!(select.sql().ends_with(r#"WHERE "tasks"."tenant_id" = $1 AND "tasks"."owner" = $2"#));
    /// ```
    pub fn filter_if(self, condition: bool, make: impl FnOnce() -> Filter<Src>) -> Self {
        match condition {
            true => self.filter(make()),
            false => self,
        }
    }

    /// Keeps the rows matching `filter` if there is one; see
    /// [`Select::filter_if`].
    pub fn filter_opt(self, filter: Option<Filter<Src>>) -> Self {
        match filter {
            Some(filter) => self.filter(filter),
            None => self,
        }
    }

    /// Orders by `ordering`, after earlier orderings.
    pub fn order_by(mut self, ordering: Ordering<Src>) -> Self {
        self.statement.order_by_expr(ordering.expr, ordering.order);
        self
    }

    /// Orders by the keyset's key, for the first page of a keyset
    /// pagination (the next ones use [`Select::after`], whose example shows
    /// both).
    pub fn keyset<L, I>(mut self, keyset: Keyset<L>) -> Self
    where
        L: KeyList + ColumnsIn<Src, I>,
    {
        for (column, order) in keyset.order() {
            self.statement.order_by_expr(column, order);
        }
        self
    }

    /// The page after `cursor`: orders by its keyset's key and keeps the rows
    /// after the cursor's (`(key...) > ($n...)`, one index range scan with an
    /// index on the key, however deep the page).
    ///
    /// ```
    /// # use tenantry_query::{Column, Entity, EntityKind, Error, Keyset, RowReader, TenantScoped, TenantEntity, TenantId};
    /// # struct Task; impl Entity for Task { const TABLE: &'static str = "tasks"; const KIND: EntityKind = EntityKind::TenantScoped { tenant_column: "tenant_id" }; const COLUMNS: &'static [&'static str] = &["id"]; const PRIMARY_KEY: &'static [&'static str] = &["id"]; fn from_row<R: RowReader>(_: &R, _: usize) -> Result<Self, Error> { Ok(Task) } }
    /// # impl TenantEntity for Task { const TENANT_COLUMN: &'static str = "tenant_id"; }
    /// # impl Task { const ID: Column<Task, i64> = Column::new("id"); const HOURS: Column<Task, i32> = Column::new("hours"); }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let by_hours = Keyset::desc((Task::HOURS, Task::ID));
    /// let first = acme.select::<Task>().keyset(by_hours).limit(50).build().unwrap();
    /// assert_eq!(
    ///     first.sql(),
    ///     r#"SELECT "tasks"."id" FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1 ORDER BY "tasks"."hours" DESC, "tasks"."id" DESC LIMIT $2"#
    /// );
    /// // The last row of that page had 8 hours and id 1207.
    /// let next = acme.select::<Task>().after(by_hours.after((8, 1207))).limit(50).build().unwrap();
    /// assert_eq!(
    ///     next.sql(),
    ///     r#"SELECT "tasks"."id" FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1 AND ("tasks"."hours", "tasks"."id") < ($2, $3) ORDER BY "tasks"."hours" DESC, "tasks"."id" DESC LIMIT $4"#
    /// );
    /// ```
    pub fn after<L, I>(mut self, cursor: Cursor<L>) -> Self
    where
        L: KeyList + ColumnsIn<Src, I>,
    {
        let keyset = cursor.keyset;
        let (condition, open) = cursor.condition();
        self.open.extend(open);
        self.statement.and_where(condition);
        self.keyset(keyset)
    }

    /// Returns at most `limit` rows.
    pub fn limit(mut self, limit: u64) -> Self {
        self.statement.limit(limit);
        self
    }

    /// Skips the first `offset` rows.
    pub fn offset(mut self, offset: u64) -> Self {
        self.statement.offset(offset);
        self
    }

    /// `INNER JOIN` entity `C` on `on`; `C`'s tenant condition is added to the
    /// join when `C` is tenant-scoped.
    pub fn inner_join<C>(self, on: Filter<(C, Src)>) -> Select<'s, K, E, (C, Src), Sel>
    where
        C: Entity + JoinableIn<K>,
    {
        self.join::<C>(JoinType::InnerJoin, on)
    }

    /// `LEFT JOIN` entity `C` on `on`; `C`'s tenant condition is part of the
    /// join condition, so a left join never pulls in another tenant's rows.
    pub fn left_join<C>(self, on: Filter<(C, Src)>) -> Select<'s, K, E, (C, Src), Sel>
    where
        C: Entity + JoinableIn<K>,
    {
        self.join::<C>(JoinType::LeftJoin, on)
    }

    fn join<C: Entity>(
        mut self,
        kind: JoinType,
        on: Filter<(C, Src)>,
    ) -> Select<'s, K, E, (C, Src), Sel> {
        self.foreign.check(self.context.scope(), on.subquery_scopes);
        self.open.extend(on.open);
        let scope = self.context.scope();
        let mut condition = Condition::all();
        if let Some(tenant) = scope.tenant_condition::<C>() {
            condition = condition.add(tenant);
        }
        self.statement
            .join(kind, scope.table::<C>(), condition.add(on.expr));
        self.retype()
    }

    /// Makes this SELECT a subquery correlated with entity `O` of the outer
    /// statement: its conditions may name `O`'s columns, and it can only be
    /// used (in [`Filter::exists`]) in a statement that reads `O`; see
    /// [`Filter::exists`] for the SQL.
    pub fn correlate<O: Entity>(self) -> Select<'s, K, E, (Outer<O>, Src), Sel> {
        self.retype()
    }

    /// Selects the columns `list` (a column or a tuple of columns of the
    /// statement's entities) instead of whole entities.
    pub fn columns<L, I>(mut self, list: L) -> Select<'s, K, E, Src, Picked<L>>
    where
        L: ColumnList + ColumnsIn<Src, I>,
    {
        self.statement.clear_selects();
        list.push_columns(&mut self.statement);
        self.retype()
    }

    /// `GROUP BY` the columns `list` (a column or a tuple of columns), after
    /// earlier groupings; select them beside aggregates.
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let hours_per_owner = acme
    ///     .select::<Task>()
    ///     .columns((Task::OWNER, Task::HOURS.sum()))
    ///     .group_by(Task::OWNER)
    ///     .having(Task::HOURS.sum().ge(10))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     hours_per_owner.sql(),
    ///     r#"SELECT "tasks"."owner", SUM("tasks"."hours") FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1 GROUP BY "tasks"."owner" HAVING SUM("tasks"."hours") >= $2"#
    /// );
    /// ```
    pub fn group_by<L, I>(mut self, list: L) -> Self
    where
        L: GroupList + ColumnsIn<Src, I>,
    {
        self.statement.add_group_by(list.exprs());
        self
    }

    /// Keeps the groups matching `filter`, a condition on aggregates
    /// (`HAVING`, ANDed with earlier ones); see [`Select::group_by`].
    pub fn having(mut self, filter: Filter<Src>) -> Self {
        self.foreign
            .check(self.context.scope(), filter.subquery_scopes);
        self.open.extend(filter.open);
        self.statement.and_having(filter.expr);
        self
    }

    /// `SELECT DISTINCT`: each different row once.
    ///
    /// ```
    /// # use tenantry_query::{Filter, TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let owners = acme.select::<Task>().columns(Task::OWNER).distinct().build().unwrap();
    /// assert_eq!(
    ///     owners.sql(),
    ///     r#"SELECT DISTINCT "tasks"."owner" FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1"#
    /// );
    /// ```
    pub fn distinct(mut self) -> Self {
        self.statement.distinct();
        self
    }

    fn finish(
        &self,
        statement: &SelectStatement,
        operation: Operation,
    ) -> Result<Statement, Error> {
        self.foreign.verdict(self.context.scope())?;
        Statement::render(
            statement,
            E::TABLE,
            operation,
            self.context.scope(),
            &self.open,
        )
    }

    /// The SQL and bind values of this SELECT.
    pub fn build(&self) -> Result<Statement, Error> {
        self.finish(&self.statement, Operation::Select)
    }

    /// `SELECT COUNT(*)` of the rows this SELECT would return, ignoring its
    /// order, limit and offset.
    pub fn build_count(&self) -> Result<Statement, Error> {
        let mut count = self.statement.clone();
        count
            .clear_selects()
            .clear_order_by()
            .reset_limit()
            .reset_offset()
            .expr(Expr::cust("COUNT(*)"));
        self.finish(&count, Operation::Count)
    }

    /// `SELECT EXISTS(...)`: whether this SELECT would return any row.
    pub fn build_exists(&self) -> Result<Statement, Error> {
        let mut inner = self.statement.clone();
        inner.clear_selects().clear_order_by().expr(Expr::cust("1"));
        let mut exists = Query::select();
        exists.expr(Expr::exists(*inner));
        self.finish(&exists, Operation::Exists)
    }

    /// The statement as a subquery, with the scope it was built in followed by
    /// the foreign scopes of its own subqueries, so that the outer statement
    /// checks those too, and its open values.
    pub(crate) fn into_subquery(self) -> (SelectStatement, Vec<Scope>, OpenValues) {
        let mut scopes = vec![self.context.scope().clone()];
        scopes.extend(self.foreign.into_scopes());
        (*self.statement, scopes, self.open)
    }
}

impl<'s, K: Context, E: Entity, Src> Select<'s, K, E, Src, Rows<E>> {
    /// `INNER JOIN` entity `C` on `on`, like [`Select::inner_join`], and
    /// returns each row with its joined `C`: `(E, C)`.
    ///
    /// ```
    /// # use tenantry_query::{Column, Entity, EntityKind, Error, RowReader, TenantScoped, TenantEntity, TenantId};
    /// # macro_rules! entity { ($t:ident, $table:literal) => { struct $t; impl Entity for $t { const TABLE: &'static str = $table; const KIND: EntityKind = EntityKind::TenantScoped { tenant_column: "tenant_id" }; const COLUMNS: &'static [&'static str] = &["id", "tenant_id"]; const PRIMARY_KEY: &'static [&'static str] = &["id"]; fn from_row<R: RowReader>(_: &R, _: usize) -> Result<Self, Error> { Ok($t) } } impl TenantEntity for $t { const TENANT_COLUMN: &'static str = "tenant_id"; } } }
    /// # entity!(Project, "projects"); entity!(Task, "tasks");
    /// # impl Project { const ID: Column<Project, i64> = Column::new("id"); }
    /// # impl Task { const PROJECT_ID: Column<Task, i64> = Column::new("project_id"); }
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let pairs = acme
    ///     .select::<Task>()
    ///     .inner_join_entity::<Project>(Project::ID.eq_column(Task::PROJECT_ID))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     pairs.sql(),
    ///     r#"SELECT "tasks"."id", "tasks"."tenant_id", "projects"."id", "projects"."tenant_id" FROM "public"."tasks" INNER JOIN "public"."projects" ON "projects"."tenant_id" = $1 AND "projects"."id" = "tasks"."project_id" WHERE "tasks"."tenant_id" = $2"#
    /// );
    /// let with_optional = acme
    ///     .select::<Task>()
    ///     .left_join_entity::<Project>(Project::ID.eq_column(Task::PROJECT_ID))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     with_optional.sql(),
    ///     r#"SELECT "tasks"."id", "tasks"."tenant_id", "projects"."id" IS NOT NULL, "projects"."id", "projects"."tenant_id" FROM "public"."tasks" LEFT JOIN "public"."projects" ON "projects"."tenant_id" = $1 AND "projects"."id" = "tasks"."project_id" WHERE "tasks"."tenant_id" = $2"#
    /// );
    /// ```
    pub fn inner_join_entity<C>(
        self,
        on: Filter<(C, Src)>,
    ) -> Select<'s, K, E, (C, Src), Joined<E, C>>
    where
        C: Entity + JoinableIn<K>,
    {
        let mut joined = self.join::<C>(JoinType::InnerJoin, on);
        select_whole::<C>(&mut joined.statement);
        joined.retype()
    }

    /// `LEFT JOIN` entity `C` on `on`, like [`Select::left_join`], and
    /// returns each row with its joined `C`, `None` where none matched:
    /// `(E, Option<C>)`; see [`Select::inner_join_entity`] for the SQL of both.
    pub fn left_join_entity<C>(
        self,
        on: Filter<(C, Src)>,
    ) -> Select<'s, K, E, (C, Src), LeftJoined<E, C>>
    where
        C: Entity + JoinableIn<K>,
    {
        let mut joined = self.join::<C>(JoinType::LeftJoin, on);
        // Every entity has a primary key (the derive requires one), and a
        // stored row's is never NULL: NULL here means no row matched.
        joined
            .statement
            .expr(Expr::col((C::TABLE, C::PRIMARY_KEY[0])).is_not_null());
        select_whole::<C>(&mut joined.statement);
        joined.retype()
    }
}

impl<'s, K: Context, E: Entity, Src, L: ColumnList> Select<'s, K, E, Src, Picked<L>> {
    /// Reads each row of the chosen columns into an `R` instead of a tuple:
    /// a struct deriving `FromColumns`, whose fields follow the list's order
    /// and types (a mismatch does not compile), or any `From` of the tuple.
    /// The SQL is the column query's.
    ///
    /// ```
    /// # use tenantry_query::{TenantId, TenantScoped};
    /// # #[derive(tenantry_derive::Entity)]
    /// # #[entity(table = "tasks", tenant_scoped, crate = "tenantry_query")]
    /// # struct Task { #[entity(primary_key)] id: i64, tenant_id: TenantId, title: String, owner: Option<String>, hours: i32, tags: Vec<String> }
    /// /// Hours booked per owner.
    /// #[derive(tenantry_derive::FromColumns)]
    /// struct Workload {
    ///     owner: Option<String>,
    ///     tasks: i64,
    ///     hours: Option<i64>,
    /// }
    ///
    /// let acme = TenantScoped::shared(TenantId::random());
    /// let report = acme
    ///     .select::<Task>()
    ///     .columns((Task::OWNER, Task::ID.count(), Task::HOURS.sum()))
    ///     .group_by(Task::OWNER)
    ///     .map_into::<Workload>()
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     report.sql(),
    ///     r#"SELECT "tasks"."owner", COUNT("tasks"."id"), SUM("tasks"."hours") FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1 GROUP BY "tasks"."owner""#
    /// );
    /// ```
    pub fn map_into<R>(self) -> Select<'s, K, E, Src, MappedInto<L, R>>
    where
        R: From<L::Output> + Send + 'static,
    {
        self.retype()
    }
}

impl<'s, K, E, Src, Sel> Select<'s, K, E, Src, Sel>
where
    K: Context,
    K::Executor: Executor,
    E: Entity,
    Sel: Selection,
{
    /// Runs the SELECT and returns every row.
    pub async fn all(self) -> Result<Vec<Sel::Output>, <K::Executor as Executor>::Error> {
        executor::fetch_all(self.context.executor(), self.build(), Sel::decode).await
    }

    /// Runs the SELECT and returns its only row; no row or several is an error.
    pub async fn one(self) -> Result<Sel::Output, <K::Executor as Executor>::Error> {
        executor::fetch_one(self.context.executor(), self.build(), Sel::decode).await
    }

    /// Runs the SELECT and returns its row, if any; several rows is an error.
    pub async fn optional(self) -> Result<Option<Sel::Output>, <K::Executor as Executor>::Error> {
        executor::fetch_optional(self.context.executor(), self.build(), Sel::decode).await
    }

    /// Streams the rows as they arrive, for results too large to collect.
    pub async fn stream(
        self,
    ) -> Result<Decoded<K::Executor, Sel::Output>, <K::Executor as Executor>::Error> {
        executor::stream(self.context.executor(), self.build(), Sel::decode).await
    }

    /// Counts the matching rows.
    pub async fn count(self) -> Result<u64, <K::Executor as Executor>::Error> {
        let count: i64 = executor::fetch_one(self.context.executor(), self.build_count(), |row| {
            crate::entity::read_column(row, E::TABLE, 0)
        })
        .await?;
        Ok(count.unsigned_abs())
    }

    /// Whether any row matches.
    pub async fn exists(self) -> Result<bool, <K::Executor as Executor>::Error> {
        executor::fetch_one(self.context.executor(), self.build_exists(), |row| {
            crate::entity::read_column(row, E::TABLE, 0)
        })
        .await
    }
}

/// Adds every column of `E` to the select list: the derive's ready-made
/// list when there is one, else column by column.
fn select_whole<E: Entity>(statement: &mut SelectStatement) {
    match E::SELECT_LIST {
        Some(list) => statement.expr(Expr::cust(list)),
        None => statement.columns(E::COLUMNS.iter().map(|column| (E::TABLE, *column))),
    };
}

impl<K, E: Entity, Src, Sel> std::fmt::Debug for Select<'_, K, E, Src, Sel> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("table", &E::TABLE)
            .field("statement", &self.statement)
            .finish_non_exhaustive()
    }
}
