//! Only a type PostgreSQL can encode and decode (`ToSql + FromSql`) can be
//! made a column value.
use tenantry::SqlValue;

#[derive(Debug)]
pub struct Colour(u8);

impl SqlValue for Colour {}

fn main() {}
