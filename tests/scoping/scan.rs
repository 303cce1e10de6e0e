//! Scanning the SQL of a statement for the properties of
//! `scoping_properties.rs`, with plain string scanning: query levels
//! (parenthesised SELECTs), top-level clauses and their AND-ed terms.

use sea_query::Value;
use tenantry::{Statement, TenantId};
use uuid::Uuid;

/// `Err(message)` unless `condition`.
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}
/// Byte offsets of the top-level (depth 0, outside quoted identifiers)
/// occurrences of `needle` in `text`.
fn top_level(text: &str, needle: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut quoted, mut found) = (0i32, false, Vec::new());
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ => {}
        }
        if depth == 0 && !quoted && text[i..].starts_with(needle) {
            found.push(i);
        }
    }
    found
}

/// `text` without one pair of parentheses enclosing all of it, if it has one.
fn strip_parens(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('(')?.strip_suffix(')')?;
    let mut depth = 0i32;
    for c in inner.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return None;
        }
    }
    Some(inner)
}

/// The terms that must all hold for `clause` to hold (its top-level AND
/// operands, through redundant parentheses); a term under an OR or a NOT is
/// not one of them.
fn conjuncts(clause: &str) -> Vec<&str> {
    let clause = clause.trim();
    if let Some(inner) = strip_parens(clause) {
        return conjuncts(inner);
    }
    let ands = top_level(clause, " AND ");
    if ands.is_empty() || !top_level(clause, " OR ").is_empty() {
        return vec![clause];
    }
    let mut terms = Vec::new();
    let mut start = 0;
    for at in ands.into_iter().chain([clause.len()]) {
        terms.extend(conjuncts(&clause[start..at]));
        start = (at + " AND ".len()).min(clause.len());
    }
    terms
}

/// The text after `from`, up to the first top-level `ends` keyword.
fn clause<'a>(text: &'a str, from: usize, ends: &[&str]) -> &'a str {
    let rest = &text[from..];
    let end = ends
        .iter()
        .flat_map(|end| top_level(rest, end))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The query levels of `sql`: the whole statement and every parenthesised
/// `SELECT`, each as its text with the nested levels blanked out.
fn levels(sql: &str) -> Result<Vec<String>, String> {
    let bytes = sql.as_bytes();
    let mut spans = vec![(0, sql.len())];
    let mut open = Vec::new();
    let mut quoted = false;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'(' if !quoted => open.push((i, sql[i + 1..].starts_with("SELECT "))),
            b')' if !quoted => {
                let (start, select) = open.pop().ok_or("unbalanced parentheses")?;
                if select {
                    spans.push((start + 1, i));
                }
            }
            _ => {}
        }
    }
    ensure!(open.is_empty() && !quoted, "unbalanced");
    Ok(spans
        .iter()
        .map(|&(start, end)| {
            let mut level = bytes[start..end].to_vec();
            for &(s, e) in &spans {
                if start < s && e <= end {
                    level[s - start..e - start].fill(b' ');
                }
            }
            String::from_utf8(level).expect("ASCII")
        })
        .collect())
}

pub const SCOPED: [&str; 2] = ["invoices", "customers"];
const WHERE_ENDS: [&str; 5] = [
    " ORDER BY ",
    " LIMIT ",
    " OFFSET ",
    " RETURNING ",
    " GROUP BY ",
];
const ON_ENDS: [&str; 6] = [
    " INNER JOIN ",
    " LEFT JOIN ",
    " WHERE ",
    " ORDER BY ",
    " LIMIT ",
    " OFFSET ",
];

/// What the check reads of a statement, in a form a test can tamper with
/// to show that the check notices.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub sql: String,
    pub values: Vec<Value>,
    pub tenant: Option<TenantId>,
}

impl From<&Statement> for Rendered {
    fn from(statement: &Statement) -> Self {
        Self {
            sql: statement.sql().to_owned(),
            values: statement.values().to_vec(),
            tenant: statement.tenant(),
        }
    }
}

/// Checks the properties listed at the top of this file; `Err` says which
/// one fails.
pub fn check(statement: &Rendered, tenant: Uuid, schema: Option<&str>) -> Result<(), String> {
    let sql = statement.sql.as_str();
    let values = &statement.values;
    ensure!(
        statement.tenant == Some(TenantId::from_uuid(tenant)),
        "wrong tenant"
    );

    // Nothing inline: no literal, no generated text, no number, no uuid.
    ensure!(sql.is_ascii(), "not ASCII");
    ensure!(
        !sql.contains('\'') && !sql.contains('~'),
        "a text value inline"
    );
    ensure!(!sql.contains(&tenant.to_string()), "the tenant inline");
    // Outside identifiers and placeholders, the only digit is EXISTS' `SELECT 1`.
    let mut bare = String::new();
    let mut quoted = false;
    let unselected = sql.replace("SELECT 1 FROM", "SELECT FROM");
    let mut chars = unselected.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            quoted = !quoted;
        } else if c == '$' && !quoted {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else if !quoted {
            bare.push(c);
        }
    }
    ensure!(
        !bare.contains(|c: char| c.is_ascii_digit()),
        "a number inline"
    );

    // Placeholders are exactly $1..$k, once each.
    let mut placeholders: Vec<usize> = Vec::new();
    for (i, _) in sql.match_indices('$') {
        let digits: String = sql[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        placeholders.push(digits.parse().map_err(|_| "a $ without a number")?);
    }
    placeholders.sort_unstable();
    ensure!(
        placeholders == (1..=values.len()).collect::<Vec<_>>(),
        "placeholders {placeholders:?} for {} values",
        values.len()
    );

    // Every scoped table is constrained in its own level.
    let is_tenant = |n: usize| values.get(n.wrapping_sub(1)) == Some(&Value::Uuid(Some(tenant)));
    let mut occurrences = [0usize; 2];
    let mut plans = 0;
    for level in levels(sql)? {
        for (t, table) in SCOPED.iter().chain(["plans"].iter()).enumerate() {
            let name = format!("\"{table}\"");
            for (at, _) in level.match_indices(&name) {
                if level[at + name.len()..].starts_with('.') {
                    continue; // a column: "table"."column"
                }
                let before = &level[..at];
                let (qualifier, before) = match before.strip_suffix("\".") {
                    Some(rest) => {
                        let open = rest.rfind('"').ok_or("a schema without a quote")?;
                        (Some(&rest[open + 1..]), &rest[..open])
                    }
                    None => (None, before),
                };
                let joined = before.ends_with("JOIN ");
                ensure!(
                    joined || before.ends_with("FROM ") || before.ends_with("UPDATE "),
                    "{table} in an unexpected position"
                );
                if *table == "plans" {
                    ensure!(qualifier == Some("shared"), "plans not in \"shared\"");
                    plans += 1;
                    continue;
                }
                let expected = schema.unwrap_or("public");
                ensure!(
                    qualifier == Some(expected),
                    "{table} in {qualifier:?}, not in {expected:?}"
                );
                occurrences[t] += 1;
                let condition = if joined {
                    let on = level[at..].find(" ON ").ok_or("a join without ON")?;
                    clause(&level, at + on + " ON ".len(), &ON_ENDS)
                } else {
                    let filter = top_level(&level, " WHERE ");
                    ensure!(filter.len() == 1, "{table} without a WHERE");
                    clause(&level, filter[0] + " WHERE ".len(), &WHERE_ENDS)
                };
                let prefix = format!("\"{table}\".\"tenant_id\" = $");
                let constrained = conjuncts(condition).iter().any(|term| {
                    term.strip_prefix(&prefix)
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(is_tenant)
                });
                ensure!(constrained, "{table} not constrained to the tenant");
            }
        }
    }
    for (t, table) in SCOPED.iter().enumerate() {
        let conditions = sql
            .matches(&format!("\"{table}\".\"tenant_id\" = $"))
            .count();
        ensure!(
            conditions == occurrences[t],
            "{conditions} tenant conditions on {table}, {} occurrences",
            occurrences[t]
        );
    }
    ensure!(
        !sql.contains("\"plans\".\"tenant_id\""),
        "plans has no tenant"
    );
    ensure!(
        plans == sql.matches("\"shared\".\"plans\"").count(),
        "plans in an unexpected place"
    );
    ensure!(occurrences[0] >= 1, "no root table");
    Ok(())
}
