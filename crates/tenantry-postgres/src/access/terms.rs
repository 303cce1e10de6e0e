//! Who looks at a tenant's data, why, under which ticket and until when.

use time::OffsetDateTime;

use crate::Error;
use crate::contract::{CONTROL_SCHEMA, SUPPORT_ACCESS_RECORD};
use tenantry_query::TenantId;

/// The terms of an audited access to a tenant's data (see
/// [`Tenantry::support_access`](crate::Tenantry::support_access)): every
/// use of it writes them, with the time, to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Who looks: a person or a service, as the audit log names them.
    pub actor: String,
    /// Why they look.
    pub reason: String,
    /// The support ticket or change request the access answers, if any.
    pub ticket: Option<String>,
    /// When the access ends: using it later is refused with
    /// [`Error::AccessExpired`].
    pub expires: OffsetDateTime,
}

impl Access {
    /// Checks the terms before any use: an actor and a reason that are not
    /// blank, a ticket that is absent or not blank
    /// ([`Error::InvalidAccess`]), and an expiry still to come
    /// ([`Error::AccessExpired`]).
    pub(crate) fn checked(self, tenant: TenantId) -> Result<Self, Error> {
        let blank = |what: &str| Error::InvalidAccess(format!("the {what} is blank"));
        if self.actor.trim().is_empty() {
            return Err(blank("actor"));
        }
        if self.reason.trim().is_empty() {
            return Err(blank("reason"));
        }
        if self
            .ticket
            .as_deref()
            .is_some_and(|ticket| ticket.trim().is_empty())
        {
            return Err(blank("ticket"));
        }
        self.ensure_current(tenant)?;
        Ok(self)
    }

    /// Refuses a use of the access past its expiry (by this machine's
    /// clock; the audit procedure checks again by the server's).
    pub(crate) fn ensure_current(&self, tenant: TenantId) -> Result<(), Error> {
        if OffsetDateTime::now_utc() < self.expires {
            Ok(())
        } else {
            Err(Error::AccessExpired { id: tenant })
        }
    }

    /// The `CALL` that records one use of the access to `tenant`, with its
    /// terms as literals: it is sent as one of the statements that open the
    /// transaction, which take no bind parameter. The texts go as hex-encoded
    /// UTF-8, so no quote, backslash or statement separator in them can end
    /// the literal; the expiry as microseconds since the Unix epoch.
    pub(crate) fn record_call(&self, tenant: TenantId) -> String {
        let ticket = self
            .ticket
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), text_literal);
        format!(
            "CALL {CONTROL_SCHEMA}.{SUPPORT_ACCESS_RECORD}('{tenant}', {}, {}, {ticket}, \
             TIMESTAMPTZ 'epoch' + INTERVAL '1 microsecond' * {})",
            text_literal(&self.actor),
            text_literal(&self.reason),
            self.expires_micros(),
        )
    }

    /// The expiry in microseconds since the Unix epoch, PostgreSQL's
    /// precision.
    fn expires_micros(&self) -> i64 {
        let micros = self.expires.unix_timestamp_nanos().div_euclid(1_000);
        i64::try_from(micros).expect("a timestamp PostgreSQL can hold")
    }
}

/// `text` as an SQL expression made of hex digits only.
fn text_literal(text: &str) -> String {
    let hex: String = text.bytes().map(|byte| format!("{byte:02x}")).collect();
    format!("convert_from(decode('{hex}', 'hex'), 'UTF8')")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    const TENANT: &str = "00000000-0000-0000-0000-00000000002a";

    fn access(actor: &str, reason: &str, ticket: Option<&str>) -> Access {
        Access {
            actor: actor.to_owned(),
            reason: reason.to_owned(),
            ticket: ticket.map(str::to_owned),
            expires: OffsetDateTime::UNIX_EPOCH + Duration::microseconds(1_500_000),
        }
    }

    #[test]
    fn the_call_holds_only_hex_digits_for_the_texts() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let call = access("a'b", "x; DROP TABLE t; --\\", None).record_call(tenant);
        assert_eq!(
            call,
            format!(
                "CALL tenantry_control.record_support_access('{TENANT}', \
                 convert_from(decode('612762', 'hex'), 'UTF8'), \
                 convert_from(decode('783b2044524f50205441424c4520743b202d2d5c', 'hex'), 'UTF8'), \
                 NULL, TIMESTAMPTZ 'epoch' + INTERVAL '1 microsecond' * 1500000)"
            )
        );
        assert!(
            access("a", "b", Some("T-1"))
                .record_call(tenant)
                .contains("convert_from(decode('542d31', 'hex'), 'UTF8'), TIMESTAMPTZ")
        );
    }

    #[test]
    fn blank_terms_and_a_past_expiry_are_refused() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let future = |mut access: Access| {
            access.expires = OffsetDateTime::now_utc() + Duration::hours(1);
            access
        };
        for blank in [
            access(" ", "why", None),
            access("who", "", None),
            access("who", "why", Some("\t")),
        ] {
            assert!(matches!(
                future(blank).checked(tenant),
                Err(Error::InvalidAccess(_))
            ));
        }
        assert!(matches!(
            access("who", "why", None).checked(tenant),
            Err(Error::AccessExpired { id }) if id == tenant
        ));
        assert!(
            future(access("who", "why", Some("T-1")))
                .checked(tenant)
                .is_ok()
        );
    }
}
