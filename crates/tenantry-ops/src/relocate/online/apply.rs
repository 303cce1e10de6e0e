//! Applying decoded changes at the destination: each source table (by its
//! `Relation` message) mapped to the destination's table of the same name,
//! its values bound as text and cast in SQL to the destination column's
//! type (`$1::text::<type>`), so both servers read them with their own
//! input functions under `verify::session`'s settings. An update sets the
//! columns that arrived (an unchanged TOAST value is left out) on the row
//! its key finds; the key is the replica identity's columns, from the old
//! key tuple or the new row (one whose type has no `=`, as text). Changes of a table published without a row
//! filter that has the tenant column (a shared pool's whose replica
//! identity lacks it, or one of the tenant's own) are filtered here, as
//! the copy filters its rows: only rows whose tenant column is the
//! tenant's are inserted or updated (an update that takes a row away from
//! the tenant deletes it; one that gives a row to it updates nothing, as
//! does an insert without all its values, and the fenced step's digests
//! copy that table again), and deletes and updates carry the tenant's
//! condition (its column, or for a table without it a reference to the
//! tenant's rows), as does a truncation, which deletes only the tenant's
//! rows, children first. A round's statements are sent pipelined, in
//! order, each prepared once.

use std::collections::{HashMap, HashSet};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use tenantry_postgres::contract::TENANT_COLUMN;
use tenantry_query::{Identifier, TenantId};

use super::super::copy::CopiedTable;
use super::pgoutput::{Message, Relation, Value};
use super::slot::Publishing;
use crate::Error;

/// A statement to run at the destination, with its parameters as text.
pub(crate) type Planned = (String, Vec<Option<String>>);

/// A destination table, with its columns' types.
struct Table {
    /// `schema.table`, quoted.
    quoted: String,
    /// The source's `schema.table`, unquoted, to match `Relation` messages.
    source: (String, String),
    /// Each column that takes values, by name: its type, for a cast.
    types: HashMap<String, String>,
    /// The columns whose type has no `=` of its own (`json`, `point`, an
    /// array, ...), compared as text where they are a key (a replica
    /// identity of every column).
    textual: HashSet<String>,
    /// The condition (alias `t0`) its rows of the tenant meet: the tenant
    /// column, or a reference to a row of the tenant's.
    rows: String,
    /// Whether its changes are filtered here.
    filtered: bool,
}

/// Applies one move's decoded changes at the destination.
pub(crate) struct Applier {
    tenant: TenantId,
    tables: Vec<Table>,
    /// The source's tables by oid, as their `Relation` messages say, with
    /// the destination table each maps to (`None` for one not copied).
    relations: HashMap<u32, (Relation, Option<usize>)>,
    statements: HashMap<String, Statement>,
}

impl Applier {
    /// An applier for `tables` published as `kinds` say, reading the
    /// destination's column types on `target`.
    pub(crate) async fn new(
        target: &Client,
        tenant: TenantId,
        tables: &[CopiedTable],
        kinds: &[Publishing],
    ) -> Result<Self, Error> {
        let mut mapped = Vec::with_capacity(tables.len());
        for (table, kind) in tables.iter().zip(kinds) {
            let rows = target
                .query(
                    "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                            NOT EXISTS (SELECT FROM pg_operator o WHERE o.oprname = '='
                                        AND o.oprleft = b.oid AND o.oprright = b.oid)
                     FROM pg_attribute a
                     JOIN pg_type t ON t.oid = a.atttypid
                     JOIN pg_type b
                       ON b.oid = CASE t.typtype WHEN 'd' THEN t.typbasetype ELSE t.oid END
                     WHERE a.attrelid = to_regclass($1) AND a.attnum > 0
                       AND NOT a.attisdropped AND a.attgenerated = ''",
                    &[&table.target.quoted()],
                )
                .await?;
            let types: HashMap<String, String> =
                rows.iter().map(|row| (row.get(0), row.get(1))).collect();
            let textual = rows
                .iter()
                .filter(|row| row.get(2))
                .map(|row| row.get(0))
                .collect();
            // A table published whole may still hold rows of another tenant
            // (a tenant's own table, written past row-level security by its
            // owner): the copy leaves them, and so does the stream.
            let filtered = match kind {
                Publishing::Unfiltered => true,
                Publishing::Whole => types.contains_key(TENANT_COLUMN),
                Publishing::No | Publishing::Filtered => false,
            };
            mapped.push(Table {
                quoted: table.target.quoted(),
                source: (
                    table.source.schema.as_str().to_owned(),
                    table.source.table.as_str().to_owned(),
                ),
                types,
                textual,
                rows: table.target.rows_of(tenant),
                filtered,
            });
        }
        Ok(Self {
            tenant,
            tables: mapped,
            relations: HashMap::new(),
            statements: HashMap::new(),
        })
    }

    /// Takes in a source table's shape. One not copied may be described
    /// (the server describes a partition of a table published as its root
    /// even when it sends none of its changes); a change of it is
    /// [`Error::ChangeStream`].
    pub(crate) fn relation(&mut self, relation: Relation) {
        let table = self.tables.iter().position(|table| {
            table.source.0 == relation.namespace && table.source.1 == relation.name
        });
        self.relations.insert(relation.id, (relation, table));
    }

    /// The statements that apply one row change (insert, update, delete,
    /// truncate), pushed onto `plan`; other messages add none.
    pub(crate) fn plan(&self, change: &Message, plan: &mut Vec<Planned>) -> Result<(), Error> {
        match change {
            Message::Insert { relation, new } => {
                let (relation, table) = self.find(*relation)?;
                // An update that gave the row to the tenant arrives as an
                // insert (by the row filter) without its unchanged TOAST
                // values: left to the fenced step's digests, which copy the
                // table again, rather than inserted with NULLs.
                let whole = !new.contains(&Value::Unchanged);
                if whole && self.tenants(table, relation, new) {
                    plan.push((self.insert_sql(table, relation, new)?, texts(new)));
                }
            }
            Message::Update { relation, old, new } => {
                let (relation, table) = self.find(*relation)?;
                let key = old.as_ref().unwrap_or(new);
                if self.tenants(table, relation, new) {
                    plan.push(self.update_sql(table, relation, key, new)?);
                } else {
                    // No longer the tenant's (published whole).
                    plan.push(self.delete_sql(table, relation, key)?);
                }
            }
            Message::Delete { relation, old } => {
                let (relation, table) = self.find(*relation)?;
                plan.push(self.delete_sql(table, relation, old)?);
            }
            Message::Truncate { relations, .. } => {
                // Only the tenant's rows: a table without the tenant column
                // may hold other tenants' rows at the destination. Children
                // (later in the tables' order) first, while their parents
                // still say whose they are.
                let mut truncated = relations
                    .iter()
                    .map(|relation| Ok(self.find(*relation)?.1))
                    .collect::<Result<Vec<usize>, Error>>()?;
                truncated.sort_unstable_by(|a, b| b.cmp(a));
                truncated.dedup();
                for table in truncated {
                    let sql = format!(
                        "DELETE FROM {} t0 WHERE {}",
                        self.tables[table].quoted,
                        self.tenant_condition(table)
                    );
                    plan.push((sql, Vec::new()));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs `plan` on `target` in its order, pipelined: each statement is
    /// prepared once (per applier), then all are sent without waiting for
    /// each other's results.
    pub(crate) async fn run(&mut self, target: &Client, plan: Vec<Planned>) -> Result<(), Error> {
        for (sql, _) in &plan {
            if !self.statements.contains_key(sql) {
                let statement = target.prepare(sql).await?;
                self.statements.insert(sql.clone(), statement);
            }
        }
        let statements = &self.statements;
        let runs = plan.iter().map(|(sql, params)| async move {
            let params: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|param| param as &(dyn ToSql + Sync))
                .collect();
            target.execute(&statements[sql], &params).await
        });
        futures_util::future::try_join_all(runs).await?;
        Ok(())
    }

    /// The relation of oid `id`, and the destination table's position.
    fn find(&self, id: u32) -> Result<(&Relation, usize), Error> {
        let (relation, table) = self.relations.get(&id).ok_or_else(|| {
            Error::ChangeStream(format!("a change of relation {id} before its description"))
        })?;
        let table = table.ok_or_else(|| {
            Error::ChangeStream(format!(
                "a change of {}.{}, which is not copied",
                relation.namespace, relation.name
            ))
        })?;
        Ok((relation, table))
    }

    /// Whether row `values` of `relation` is the tenant's (always, unless
    /// the table's changes are filtered here).
    fn tenants(&self, table: usize, relation: &Relation, values: &[Value]) -> bool {
        if !self.tables[table].filtered {
            return true;
        }
        relation.columns.iter().zip(values).any(|(column, value)| {
            column.name == TENANT_COLUMN
                && matches!(value, Value::Text(text)
                        if text.parse::<uuid::Uuid>().ok() == Some(self.tenant.as_uuid()))
        })
    }

    /// `AND`-able condition on the destination table (alias `t0`) that
    /// keeps to the tenant's rows.
    fn tenant_condition(&self, table: usize) -> String {
        self.tables[table].rows.clone()
    }

    /// `$n::text::<type>` for column `name` of destination table `table`.
    fn cast(&self, table: usize, name: &str, n: usize) -> Result<String, Error> {
        let kind = self.tables[table].types.get(name).ok_or_else(|| {
            Error::ChangeStream(format!(
                "{} has no column {name}",
                self.tables[table].quoted
            ))
        })?;
        Ok(format!("${n}::text::{kind}"))
    }

    fn insert_sql(
        &self,
        table: usize,
        relation: &Relation,
        values: &[Value],
    ) -> Result<String, Error> {
        let mut names = Vec::new();
        let mut casts = Vec::new();
        for (column, _) in relation.columns.iter().zip(values) {
            names.push(Identifier::new(&column.name)?.quoted());
            casts.push(self.cast(table, &column.name, casts.len() + 1)?);
        }
        Ok(format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.tables[table].quoted,
            names.join(", "),
            casts.join(", ")
        ))
    }

    fn update_sql(
        &self,
        table: usize,
        relation: &Relation,
        key: &[Value],
        new: &[Value],
    ) -> Result<Planned, Error> {
        let mut params = Vec::new();
        let mut sets = Vec::new();
        for (column, value) in relation.columns.iter().zip(new) {
            if *value == Value::Unchanged {
                continue;
            }
            params.push(text(value));
            let cast = self.cast(table, &column.name, params.len())?;
            sets.push(format!(
                "{} = {cast}",
                Identifier::new(&column.name)?.quoted()
            ));
        }
        let condition = self.key_condition(table, relation, key, &mut params)?;
        let sql = format!(
            "UPDATE {} t0 SET {} WHERE {condition}",
            self.tables[table].quoted,
            sets.join(", ")
        );
        Ok((sql, params))
    }

    fn delete_sql(
        &self,
        table: usize,
        relation: &Relation,
        key: &[Value],
    ) -> Result<Planned, Error> {
        let mut params = Vec::new();
        let condition = self.key_condition(table, relation, key, &mut params)?;
        let sql = format!(
            "DELETE FROM {} t0 WHERE {condition}",
            self.tables[table].quoted
        );
        Ok((sql, params))
    }

    /// The condition on the key columns' values in `key`, and the tenant's;
    /// the values are pushed onto `params`.
    fn key_condition(
        &self,
        table: usize,
        relation: &Relation,
        key: &[Value],
        params: &mut Vec<Option<String>>,
    ) -> Result<String, Error> {
        let mut conditions = vec![self.tenant_condition(table)];
        for (column, value) in relation.columns.iter().zip(key) {
            if !column.key {
                continue;
            }
            let name = format!("t0.{}", Identifier::new(&column.name)?.quoted());
            match value {
                Value::Null => conditions.push(format!("{name} IS NULL")),
                Value::Text(_) => {
                    params.push(text(value));
                    let cast = self.cast(table, &column.name, params.len())?;
                    if self.tables[table].textual.contains(&column.name) {
                        conditions.push(format!("{name}::text = {cast}::text"));
                    } else {
                        conditions.push(format!("{name} = {cast}"));
                    }
                }
                Value::Unchanged | Value::Binary(_) => {
                    return Err(Error::ChangeStream(format!(
                        "a key value of {} that did not arrive as text",
                        self.tables[table].quoted
                    )));
                }
            }
        }
        if conditions.len() == 1 {
            return Err(Error::ChangeStream(format!(
                "a change of {} without a key",
                self.tables[table].quoted
            )));
        }
        Ok(conditions.join(" AND "))
    }
}

/// A value to bind as text (`None` for NULL).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Text(text) => Some(text.clone()),
        _ => None,
    }
}

/// Every value of a row, to bind as text.
fn texts(values: &[Value]) -> Vec<Option<String>> {
    values.iter().map(text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relocate::online::pgoutput::RelationColumn;

    const TENANT: &str = "0b5e0a1c-1d2e-4f30-8a4b-5c6d7e8f9a0b";

    /// An applier for `t_x.invoices`, the source's `public.invoices`.
    fn applier(filtered: bool) -> Applier {
        let types = [
            ("tenant_id", "uuid"),
            ("id", "bigint"),
            ("note", "text"),
            ("paid", "boolean"),
        ];
        let mut applier = Applier {
            tenant: TENANT.parse().unwrap(),
            tables: vec![Table {
                quoted: "\"t_x\".\"invoices\"".to_owned(),
                source: ("public".to_owned(), "invoices".to_owned()),
                types: types
                    .iter()
                    .map(|(name, kind)| ((*name).to_owned(), (*kind).to_owned()))
                    .collect(),
                textual: HashSet::new(),
                rows: format!("t0.tenant_id = '{TENANT}'::uuid"),
                filtered,
            }],
            relations: HashMap::new(),
            statements: HashMap::new(),
        };
        let column = |name: &str, key: bool| RelationColumn {
            key,
            name: name.to_owned(),
            type_oid: 0,
            type_modifier: -1,
        };
        applier.relation(Relation {
            id: 7,
            namespace: "public".to_owned(),
            name: "invoices".to_owned(),
            identity: b'd',
            columns: vec![
                column("tenant_id", true),
                column("id", true),
                column("note", false),
                column("paid", false),
            ],
        });
        applier
    }

    fn text(value: &str) -> Value {
        Value::Text(value.to_owned())
    }

    fn row(tenant: &str, paid: Value) -> Vec<Value> {
        vec![text(tenant), text("42"), Value::Unchanged, paid]
    }

    fn plan(applier: &Applier, change: &Message) -> Vec<Planned> {
        let mut plan = Vec::new();
        applier.plan(change, &mut plan).unwrap();
        plan
    }

    #[test]
    fn an_update_leaves_an_unchanged_toasted_value_out_and_finds_its_row_by_key() {
        let update = Message::Update {
            relation: 7,
            old: None,
            new: row(TENANT, text("t")),
        };
        let some = |value: &str| Some(value.to_owned());
        assert_eq!(
            plan(&applier(false), &update),
            [(
                format!(
                    "UPDATE \"t_x\".\"invoices\" t0 SET \"tenant_id\" = $1::text::uuid, \
                     \"id\" = $2::text::bigint, \"paid\" = $3::text::boolean \
                     WHERE t0.tenant_id = '{TENANT}'::uuid AND t0.\"tenant_id\" = $4::text::uuid \
                     AND t0.\"id\" = $5::text::bigint"
                ),
                vec![
                    some(TENANT),
                    some("42"),
                    some("t"),
                    some(TENANT),
                    some("42")
                ]
            )]
        );
    }

    #[test]
    fn a_table_published_whole_keeps_to_the_tenants_rows() {
        let other = "11111111-2222-4333-8444-555555555555";
        let applier = applier(true);
        let insert = |tenant| Message::Insert {
            relation: 7,
            new: vec![text(tenant), text("1"), Value::Null, text("f")],
        };
        assert_eq!(plan(&applier, &insert(other)), []);
        assert_eq!(plan(&applier, &insert(TENANT)).len(), 1);
        // A row that is no longer the tenant's is deleted at the destination.
        let away = Message::Update {
            relation: 7,
            old: Some(row(TENANT, Value::Null)),
            new: row(other, text("f")),
        };
        let planned = plan(&applier, &away);
        assert_eq!(planned.len(), 1);
        assert!(
            planned[0].0.starts_with(&format!(
                "DELETE FROM \"t_x\".\"invoices\" t0 WHERE t0.tenant_id = '{TENANT}'::uuid AND"
            )),
            "{planned:?}"
        );
    }

    #[test]
    fn an_insert_without_all_its_values_is_left_to_the_digests() {
        let applier = applier(false);
        let insert = |note| Message::Insert {
            relation: 7,
            new: vec![text(TENANT), text("1"), note, text("f")],
        };
        assert_eq!(plan(&applier, &insert(Value::Unchanged)), []);
        assert_eq!(plan(&applier, &insert(Value::Null)).len(), 1);
    }

    #[test]
    fn a_change_of_a_table_not_copied_or_not_described_is_an_error() {
        let mut applier = applier(false);
        let stranger = Relation {
            id: 8,
            namespace: "public".to_owned(),
            name: "strangers".to_owned(),
            identity: b'd',
            columns: Vec::new(),
        };
        applier.relation(stranger);
        for relation in [8, 9] {
            let delete = Message::Delete {
                relation,
                old: Vec::new(),
            };
            assert!(matches!(
                applier.plan(&delete, &mut Vec::new()),
                Err(Error::ChangeStream(_))
            ));
        }
    }
}
