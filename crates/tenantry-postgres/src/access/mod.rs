//! Audited access to one tenant's data from outside its own requests: a
//! support engineer looking into a ticket, or an analytics job reading
//! across tenants. The terms of an access ([`terms`]: who, why, under which
//! ticket, until when) and how each use of it is recorded in the audit log
//! of the control schema before anything of it runs ([`record`]).

pub(crate) mod record;
pub(crate) mod terms;
