//! A `DbEnum` is one label per variant: a variant cannot carry data.
use tenantry::DbEnum;

#[derive(DbEnum)]
pub enum Status {
    Open,
    Closed(String),
}

fn main() {}
