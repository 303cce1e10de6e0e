//! Executors run only what a scope built: a statement cannot be written by
//! hand (or a built one edited) and handed to a tenant's executor, which
//! would skip the tenant condition; hand-written SQL has its own, explicitly
//! named calls.
use tenantry::{Operation, Scope, Statement};

fn main() {
    let _ = Statement {
        sql: "SELECT * FROM invoices".to_owned(),
        values: Vec::new(),
        table: "invoices",
        operation: Operation::Select,
        scope: Scope::global(),
    };
}
