//! The RFC 9457 problem a request is answered with when its tenant cannot
//! serve it: the status, the `application/problem+json` body and, for what
//! passes with time, `Retry-After`.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of a problem body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where each problem type is described: these docs, one anchor a kind.
const TYPE_BASE: &str =
    "https://docs.rs/tenantry-axum/latest/tenantry_axum/enum.ProblemKind.html#variant.";

/// What went wrong, which fixes the status and the problem's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// 401: nothing the application verifies (a token, an API key) or
    /// trusts identified a tenant, or a credential did not verify.
    NotIdentified,
    /// 400: a header, host or path names a tenant in a malformed way.
    MalformedName,
    /// 403: a route, header or subdomain names another tenant than the
    /// verified credential, or two credentials disagree.
    Mismatch,
    /// 404: no tenant is registered under the identified name, or it is
    /// still being provisioned.
    UnknownTenant,
    /// 403: the tenant is suspended.
    Suspended,
    /// 410: the tenant was erased and never serves again.
    Erased,
    /// 503, with `Retry-After`: the tenant is being moved.
    Moving,
    /// 429, with `Retry-After`: the tenant is over its statement rate or
    /// runs as many statements as it may.
    RateLimited,
    /// 404: the row asked for does not exist for this tenant.
    NotFound,
    /// 409: the write broke an integrity rule (a duplicate, a missing
    /// referenced row).
    Conflict,
    /// 503, with `Retry-After`: the database cannot be reached now.
    Unavailable,
    /// 500: anything else; the body says nothing of its cause.
    Internal,
}

impl ProblemKind {
    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::NotIdentified => StatusCode::UNAUTHORIZED,
            ProblemKind::MalformedName => StatusCode::BAD_REQUEST,
            ProblemKind::Mismatch | ProblemKind::Suspended => StatusCode::FORBIDDEN,
            ProblemKind::UnknownTenant | ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::Erased => StatusCode::GONE,
            ProblemKind::Moving | ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem's short, fixed summary (its `title`).
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::NotIdentified => "No tenant identified",
            ProblemKind::MalformedName => "Malformed tenant name",
            ProblemKind::Mismatch => "Tenant mismatch",
            ProblemKind::UnknownTenant => "Unknown tenant",
            ProblemKind::Suspended => "Tenant suspended",
            ProblemKind::Erased => "Tenant erased",
            ProblemKind::Moving => "Tenant moving",
            ProblemKind::RateLimited => "Rate limited",
            ProblemKind::NotFound => "Not found",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::Unavailable => "Service unavailable",
            ProblemKind::Internal => "Internal error",
        }
    }

    /// The variant's name, the anchor of its description.
    fn anchor(self) -> &'static str {
        match self {
            ProblemKind::NotIdentified => "NotIdentified",
            ProblemKind::MalformedName => "MalformedName",
            ProblemKind::Mismatch => "Mismatch",
            ProblemKind::UnknownTenant => "UnknownTenant",
            ProblemKind::Suspended => "Suspended",
            ProblemKind::Erased => "Erased",
            ProblemKind::Moving => "Moving",
            ProblemKind::RateLimited => "RateLimited",
            ProblemKind::NotFound => "NotFound",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::Unavailable => "Unavailable",
            ProblemKind::Internal => "Internal",
        }
    }

    /// The problem's `type`: the URI of its description.
    pub fn type_uri(self) -> String {
        format!("{TYPE_BASE}{}", self.anchor())
    }
}

/// A request's failure as an HTTP response: what the extractor rejects a
/// request with, and what a handler's `?` turns a [`tenantry_postgres::Error`]
/// into.
///
/// ```
/// use axum::response::IntoResponse;
/// use tenantry_axum::{Problem, ProblemKind};
///
/// let response = Problem::new(ProblemKind::Mismatch, "the path names another tenant").into_response();
/// assert_eq!(response.status(), 403);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// ```
#[derive(Debug, Clone)]
pub struct Problem {
    kind: ProblemKind,
    detail: Cow<'static, str>,
    retry_after: Option<Duration>,
    challenge: Option<Cow<'static, str>>,
}

impl Problem {
    /// A problem of `kind`, explained by `detail` (which the client reads:
    /// it names nothing the request did not).
    pub fn new(kind: ProblemKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            retry_after: None,
            challenge: None,
        }
    }

    /// This problem, to be retried after `wait` (`Retry-After`, whole
    /// seconds rounded up).
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// This problem, with the authentication challenge a 401 names
    /// (`WWW-Authenticate`, such as `Bearer`).
    pub fn with_challenge(mut self, challenge: impl Into<Cow<'static, str>>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The explanation the body carries.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// When to retry, if it passes with time.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The authentication challenge it carries, if any.
    pub fn challenge(&self) -> Option<&str> {
        self.challenge.as_deref()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.title(), self.detail)
    }
}

impl std::error::Error for Problem {}

/// The body, as RFC 9457 names its members.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'static str,
    status: u16,
    detail: &'a str,
}

/// Whole seconds, rounded up, at least one: what `Retry-After` takes.
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let body = Body {
            type_uri: self.kind.type_uri(),
            title: self.kind.title(),
            status: status.as_u16(),
            detail: &self.detail,
        };
        let json = serde_json::to_vec(&body).expect("a problem body serializes");
        let mut response = (status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(wait) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(whole_seconds(wait)));
        }
        if let Some(challenge) = self
            .challenge
            .and_then(|challenge| HeaderValue::try_from(challenge.as_ref()).ok())
        {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_in_whole_seconds_rounded_up() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2_001)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(30)), 30);
    }
}
