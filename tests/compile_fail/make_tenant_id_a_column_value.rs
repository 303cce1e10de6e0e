//! `TenantId` cannot be made a column value: neither the trait nor the type
//! is the application's, so the one line that opens a type is refused for it.
use tenantry::{SqlValue, TenantId};

impl SqlValue for TenantId {}

fn main() {}
