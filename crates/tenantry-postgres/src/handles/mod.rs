//! What an application holds: the connected library, a tenant's handle, the
//! global handle, a tenant transaction, the rows they return, the
//! reference to a tenant a background job carries, and audited access to
//! tenants from outside their own requests.

pub(crate) mod across;
pub(crate) mod client;
pub(crate) mod global;
mod retry;
pub(crate) mod row;
pub(crate) mod shared;
pub(crate) mod support;
pub(crate) mod tenant;
pub(crate) mod tenant_ref;
pub(crate) mod transaction;
pub(crate) mod transaction_closure;
pub(crate) mod transaction_options;
