//! How each tenant's transactions start: the statements that set its
//! context, rendered once per route (see the module above for the forms).

use std::sync::LazyLock;
use std::time::Duration;

use futures_util::future::join_all;
use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;

use crate::contract::TENANT_SETTING;
use crate::transport::wire::ContextMessages;
use crate::transport::wire::shared::{
    CITUS_PROPAGATION, CLEAR_TENANT, CONTEXT_FOR_GROUP, PIN_SHARED_PATH, SHARED_PATH,
};

/// The statements that open a unit of work's transaction in its context:
/// `BEGIN`, then the `SET LOCAL`s.
#[derive(Clone)]
pub(crate) struct TransactionStart {
    /// As one simple query, for a transaction of several statements.
    pub(crate) sql: String,
    /// As messages added to a single statement's message group.
    pub(crate) messages: ContextMessages,
    /// The context alone, without a transaction block, for a single built
    /// statement whose message group is its implicit transaction; `None`
    /// where a transaction block is needed (Citus, hand-written SQL).
    pub(crate) in_group: Option<ContextMessages>,
    /// Whether [`sql`](Self::sql) goes as one query per statement (Citus).
    separately: bool,
}

impl TransactionStart {
    fn new(statements: &[String], in_group: Option<ContextMessages>) -> Self {
        Self {
            sql: statements.join("; "),
            messages: ContextMessages::new(statements.iter().map(String::as_str)),
            in_group,
            separately: false,
        }
    }

    /// This start, then `statements` (each a single statement without
    /// parameters, none holding "; "), all in a transaction block.
    pub(crate) fn followed_by(&self, statements: &[&str]) -> Self {
        let mut sql = self.sql.clone();
        for statement in statements {
            sql.push_str("; ");
            sql.push_str(statement);
        }
        Self {
            sql,
            messages: self
                .messages
                .then(&ContextMessages::new(statements.iter().copied())),
            in_group: None,
            separately: self.separately,
        }
    }

    /// Sends `sql`, this start's statements (its `BEGIN` perhaps amended by
    /// transaction options): as one simple query, or on Citus each as a
    /// query of its own, pipelined in the same round trip. Citus sends the
    /// text of the query that holds a propagated `SET LOCAL` to the workers,
    /// so a query of several statements would replay its `BEGIN` on each.
    pub(crate) async fn send(
        &self,
        client: &Client,
        sql: &str,
    ) -> Result<(), tokio_postgres::Error> {
        if !self.separately {
            return client.batch_execute(sql).await;
        }
        // The statements are rendered here: none holds "; " of its own.
        let sent = join_all(
            sql.split("; ")
                .map(|statement| client.batch_execute(statement)),
        )
        .await;
        sent.into_iter().collect()
    }
}

/// Sets `tenant` (the text of its id, or empty for none), pins `path` and
/// sets `timeout` (if any) for the rest of a message group.
fn context_for_group(tenant: &str, path: &str, timeout: Option<Duration>) -> ContextMessages {
    let timeout = timeout.map(timeout_setting).unwrap_or_default();
    ContextMessages::shared_row(CONTEXT_FOR_GROUP, &[tenant, path, &timeout])
}

/// A statement timeout as `statement_timeout` takes it, in milliseconds
/// (at least one: zero would mean none).
fn timeout_setting(timeout: Duration) -> String {
    format!("{}ms", timeout.as_millis().max(1))
}

/// The `search_path` of a placement: the tenant's schema (or `public`), then
/// `pg_temp`.
fn placement_path(schema: Option<&Identifier>) -> String {
    match schema {
        Some(schema) => format!("{}, pg_temp", schema.quoted()),
        None => SHARED_PATH.to_owned(),
    }
}

/// How one tenant's transactions start. Both forms set the same context and
/// the same path: the placement's.
pub(crate) struct Begin {
    /// For a built statement.
    pub(crate) statement: TransactionStart,
    /// For hand-written SQL and transactions.
    pub(crate) hand_written: TransactionStart,
}

impl Begin {
    /// The `BEGIN`s of `tenant`, whose tables are in `schema` (or `public`),
    /// whose statements stop after `timeout` (if any).
    pub(crate) fn new(
        tenant: TenantId,
        citus: bool,
        schema: Option<&Identifier>,
        timeout: Option<Duration>,
    ) -> Self {
        let mut opening = vec!["BEGIN".to_owned()];
        opening.extend(context_statements(tenant, citus, schema));
        opening.extend(timeout.map(|timeout| {
            format!(
                "SET LOCAL statement_timeout = '{}'",
                timeout_setting(timeout)
            )
        }));
        // On Citus the context must be `SET LOCAL` in a transaction block.
        // A schema tenant's built statements name its schema, so their text
        // is the tenant's own, always prepared and planned under its path.
        let in_group = (!citus)
            .then(|| context_for_group(&tenant.to_string(), &placement_path(schema), timeout));
        let hand_written = TransactionStart {
            separately: citus,
            ..TransactionStart::new(&opening, None)
        };
        // The same statements, encoded once; only a built statement may
        // carry the context without a transaction block.
        let statement = TransactionStart {
            in_group,
            ..hand_written.clone()
        };
        Self {
            statement,
            hand_written,
        }
    }
}

/// The `SET LOCAL`s of the tenant context, and `search_path` set to `schema`
/// (or `public`), then `pg_temp`. `SET LOCAL` takes no bind parameter: the
/// literal is rendered from the typed tenant id, a UUID (hex digits and
/// hyphens).
fn context_statements(tenant: TenantId, citus: bool, schema: Option<&Identifier>) -> Vec<String> {
    let mut statements = Vec::with_capacity(3);
    if citus {
        statements.push(CITUS_PROPAGATION.to_owned());
    }
    statements.push(format!("SET LOCAL {TENANT_SETTING} = '{tenant}'"));
    statements.push(match schema {
        Some(_) => format!("SET LOCAL search_path = {}", placement_path(schema)),
        None => PIN_SHARED_PATH.to_owned(),
    });
    statements
}

/// The start of a statement outside any tenant context (global entities):
/// the tenant setting is cleared for the transaction, so that not even a
/// session-level setting left by hand-written SQL can lend it a tenant, and
/// the path is pinned as for a tenant.
pub(crate) static BEGIN_WITHOUT_TENANT: LazyLock<TransactionStart> = LazyLock::new(|| {
    TransactionStart::new(
        &[
            "BEGIN".to_owned(),
            CLEAR_TENANT.to_owned(),
            PIN_SHARED_PATH.to_owned(),
        ],
        Some(context_for_group("", SHARED_PATH, None)),
    )
});

/// No context, for the library's own reads of its control tables: a plain
/// `BEGIN`, or on a direct connection the statement's group alone.
pub(crate) static NO_CONTEXT: LazyLock<TransactionStart> =
    LazyLock::new(|| TransactionStart::new(&["BEGIN".to_owned()], Some(ContextMessages::new([]))));

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "00000000-0000-0000-0000-00000000002a";

    #[test]
    fn renders_only_the_uuid() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let begin = Begin::new(tenant, false, None, None);
        assert_eq!(begin.statement.sql, begin.hand_written.sql);
        assert_eq!(
            begin.hand_written.sql,
            format!(
                "BEGIN; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = public, pg_temp"
            )
        );
        assert_eq!(
            Begin::new(tenant, true, None, None).statement.sql,
            format!(
                "BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = public, pg_temp"
            )
        );
        let schema = Identifier::new("tenant_acme").unwrap();
        let begin = Begin::new(tenant, false, Some(&schema), None);
        assert_eq!(
            begin.hand_written.sql,
            format!(
                "BEGIN; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = \"tenant_acme\", pg_temp"
            )
        );
        assert_eq!(begin.statement.sql, begin.hand_written.sql);
    }

    #[test]
    fn the_shared_statements_name_the_tenant_setting() {
        assert_eq!(CLEAR_TENANT, format!("SET LOCAL {TENANT_SETTING} = ''"));
        assert!(CONTEXT_FOR_GROUP.starts_with(&format!(
            "SELECT set_config('{TENANT_SETTING}', $1, true), "
        )));
    }

    #[test]
    fn both_forms_pin_the_same_path() {
        assert_eq!(
            PIN_SHARED_PATH,
            format!("SET LOCAL search_path = {SHARED_PATH}")
        );
        let tenant: TenantId = TENANT.parse().unwrap();
        let schema = Identifier::new("tenant_acme").unwrap();
        for schema in [None, Some(&schema)] {
            let begin = Begin::new(tenant, false, schema, None);
            let path = placement_path(schema);
            assert!(
                begin
                    .statement
                    .sql
                    .ends_with(&format!("SET LOCAL search_path = {path}"))
            );
            let in_group = begin.statement.in_group.expect("built, not Citus");
            let bound = String::from_utf8_lossy(in_group.bytes()).into_owned();
            assert!(bound.contains(&path), "the path is bound: {bound:?}");
        }
    }

    #[test]
    fn only_built_statements_off_citus_skip_the_transaction_block() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let begin = Begin::new(tenant, false, None, None);
        let in_group = begin.statement.in_group.expect("built, not Citus");
        let bound = String::from_utf8_lossy(in_group.bytes());
        assert!(bound.contains(TENANT), "the tenant id is bound: {bound:?}");
        assert_eq!(in_group.responses(), 3);
        assert!(begin.hand_written.in_group.is_none());
        assert!(
            Begin::new(tenant, true, None, None)
                .statement
                .in_group
                .is_none()
        );
    }

    #[test]
    fn a_timeout_is_set_in_both_forms() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let begin = Begin::new(tenant, false, None, Some(Duration::from_secs(5)));
        assert!(
            begin
                .hand_written
                .sql
                .ends_with("; SET LOCAL statement_timeout = '5000ms'")
        );
        let in_group = begin.statement.in_group.expect("built, not Citus");
        let bound = String::from_utf8_lossy(in_group.bytes());
        assert!(bound.contains("5000ms"), "the timeout is bound: {bound:?}");
        assert_eq!(timeout_setting(Duration::from_micros(10)), "1ms");
    }

    #[test]
    fn statements_follow_the_context_in_a_transaction_block() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let begin = Begin::new(tenant, false, None, None);
        let audited = begin
            .statement
            .followed_by(&["CALL audit('x')", "SELECT WHERE false"]);
        assert_eq!(
            audited.sql,
            format!(
                "{}; CALL audit('x'); SELECT WHERE false",
                begin.hand_written.sql
            )
        );
        assert!(audited.in_group.is_none(), "a transaction block is needed");
        assert_eq!(
            audited.messages.responses(),
            begin.statement.messages.responses() + 6
        );
        assert!(
            audited
                .messages
                .bytes()
                .starts_with(begin.statement.messages.bytes())
        );
        let citus = Begin::new(tenant, true, None, None);
        assert!(
            citus
                .hand_written
                .followed_by(&["SELECT WHERE false"])
                .separately
        );
    }

    #[test]
    fn the_global_begin_clears_the_setting() {
        assert!(
            BEGIN_WITHOUT_TENANT
                .sql
                .contains(&format!("SET LOCAL {TENANT_SETTING} = ''"))
        );
        // In the group, three values are bound: the empty text, then the
        // path, then no timeout.
        let in_group = BEGIN_WITHOUT_TENANT.in_group.as_ref().unwrap().bytes();
        let three_values_the_first_empty = b"\0\x03\0\0\0\0";
        assert!(
            in_group
                .windows(6)
                .any(|bytes| bytes == three_values_the_first_empty)
        );
    }
}
