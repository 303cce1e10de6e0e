//! The audit log of support access (control migration 7): who looked at
//! which tenant's data, when, why and under which ticket, as the runtime's
//! `Tenantry::support_access` records it. The operator reads it
//! ([`Operator::audit_log`]) and checks that its hash chain is whole
//! ([`Operator::verify_audit`]): every row's hash covers its fields and the
//! previous row's hash, so a row changed, removed or slipped in between is
//! found from the rows alone. Removing the newest rows leaves a shorter
//! chain that is whole: compare the count with one kept elsewhere.

mod chain;
mod log;

pub use chain::{AuditVerification, BrokenLink, LinkProblem};
pub use log::{AuditEntry, AuditFilter};

use tenantry_postgres::MAIN_SERVER;

use crate::{Error, Operator};

impl Operator {
    /// The audit log's rows that `filter` selects, oldest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        log::read(&main, filter).await
    }

    /// Walks the whole audit log, oldest first, recomputing each row's hash
    /// and following its link to the previous row; stops at the first
    /// broken link.
    pub async fn verify_audit(&self) -> Result<AuditVerification, Error> {
        let entries = self.audit_log(&AuditFilter::default()).await?;
        Ok(chain::verify(&entries))
    }
}
