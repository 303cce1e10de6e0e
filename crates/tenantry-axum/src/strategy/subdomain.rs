//! A tenant named by the subdomain of the request's host.

use axum::http::header::HOST;
use axum::http::request::Parts;

use super::{BoxFuture, Naming, parsed};
use crate::name::TenantName;
use crate::problem::{Problem, ProblemKind};

/// Names the tenant by the label before the application's domain:
/// `acme.example.com` names `acme` under `Subdomain::of("example.com")`. A
/// host elsewhere, or the domain itself, names none. Anyone can send any
/// `Host`: cross-check it against a credential with
/// [`TenantResolver::named_by`](crate::TenantResolver::named_by).
///
/// ```
/// let by_host = tenantry_axum::Subdomain::of("example.com");
/// # let _ = by_host;
/// ```
#[derive(Debug, Clone)]
pub struct Subdomain {
    /// `.example.com`: the domain with its leading dot, lower case.
    suffix: String,
}

impl Subdomain {
    /// Subdomains of `domain`.
    pub fn of(domain: &str) -> Self {
        Self {
            suffix: format!(".{}", domain.trim_matches('.').to_ascii_lowercase()),
        }
    }

    /// The label before the domain in `host` (port removed), if under it.
    fn label(&self, host: &str) -> Result<Option<String>, Problem> {
        let host = host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|byte| byte.is_ascii_digit()) {
                name
            } else {
                host
            }
        });
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let Some(label) = host.strip_suffix(&self.suffix) else {
            return Ok(None);
        };
        if label.is_empty() || label.contains('.') {
            return Err(Problem::new(
                ProblemKind::MalformedName,
                "the host is not one label under the application's domain",
            ));
        }
        Ok(Some(label.to_owned()))
    }
}

impl Naming for Subdomain {
    fn name<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
        // The target's authority (HTTP/2, or an absolute URI), which
        // overrides `Host`, else `Host`.
        let host = parts
            .uri
            .authority()
            .map(|authority| authority.host())
            .or_else(|| {
                parts
                    .headers
                    .get(HOST)
                    .and_then(|value| value.to_str().ok())
            });
        let named = match host {
            Some(host) => self.label(host).and_then(|label| {
                label
                    .map(|label| parsed(&label, &|| self.describe()))
                    .transpose()
            }),
            None => Ok(None),
        };
        Box::pin(std::future::ready(named))
    }

    fn describe(&self) -> String {
        format!("subdomain of {}", &self.suffix[1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_one_label_before_the_domain() {
        let subdomain = Subdomain::of("example.com");
        assert_eq!(
            subdomain.label("acme.example.com").unwrap().as_deref(),
            Some("acme")
        );
        assert_eq!(
            subdomain.label("Acme.Example.com:8080").unwrap().as_deref(),
            Some("acme")
        );
        assert_eq!(subdomain.label("example.com").unwrap(), None);
        assert_eq!(subdomain.label("acme.example.org").unwrap(), None);
        assert_eq!(subdomain.label("evil-example.com").unwrap(), None);
        assert!(subdomain.label("a.b.example.com").is_err());
    }
}
