//! Why an operator changes a tenant's life: who asks, why, and a reference
//! elsewhere; recorded with the change in the registry.

use crate::Error;

/// Who changes a tenant's status, and why: recorded with the change
/// (suspension, resumption, erasure) in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Who asks (a person or a job); not empty.
    pub actor: String,
    /// Why; not empty.
    pub reason: String,
    /// A reference elsewhere: a ticket, a request of the data subject.
    pub reference: Option<String>,
}

impl Reason {
    /// `actor` asks for the change because of `reason`.
    pub fn new(actor: &str, reason: &str) -> Self {
        Self {
            actor: actor.to_owned(),
            reason: reason.to_owned(),
            reference: None,
        }
    }

    /// Adds a reference elsewhere (a ticket, a request).
    pub fn with_reference(mut self, reference: &str) -> Self {
        self.reference = Some(reference.to_owned());
        self
    }

    /// Refuses a blank actor, reason or reference before anything changes.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let blank = [
            ("actor", Some(&self.actor)),
            ("reason", Some(&self.reason)),
            ("reference", self.reference.as_ref()),
        ]
        .into_iter()
        .find(|(_, value)| value.is_some_and(|value| value.trim().is_empty()));
        match blank {
            Some((field, _)) => Err(Error::BlankReason { field }),
            None => Ok(()),
        }
    }
}
