//! The axum example over HTTP: its API started on a local port and called
//! with a real client. Each strategy identifies its tenant; each rejection
//! has its status and problem body; spoofing attempts (an edited URL, a
//! forged header or host, unsigned, foreign, expired or misaddressed
//! tokens, forged keys) are refused and read nothing of the other tenant;
//! and no route shows a tenant another's rows.

mod support;

#[path = "../examples/axum_app/main.rs"]
#[expect(dead_code, reason = "the test calls `start`: `main` is the example's")]
mod axum_app;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum_app::Running;
use axum_app::auth::{API_KEY_HEADER, AUDIENCE, CLAIM, DOMAIN, TENANT_HEADER};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry::axum::jsonwebtoken::{self, Algorithm, EncodingKey};
use tenantry::ops::Reason;
use tenantry::{TenantId, Uuid};

use support::capture;
use support::eventually::eventually;
use support::turns::{main_server, take_turn};

/// How a request proves or names its tenant.
#[derive(Clone, Default)]
struct As {
    headers: Vec<(&'static str, String)>,
}

impl As {
    fn bearer(token: &str) -> Self {
        Self::default().with("authorization", format!("Bearer {token}"))
    }

    fn key(key: &str) -> Self {
        Self::default().with(API_KEY_HEADER, key.to_owned())
    }

    fn with(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// The running API and a client of it.
struct Api {
    running: Running,
    client: reqwest::Client,
}

/// A response: its status, `Content-Type`, `Retry-After` and body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    retry_after: Option<u64>,
    challenge: Option<String>,
    body: Value,
    text: String,
}

impl Api {
    async fn start(admin_url: &str) -> Self {
        let running = axum_app::start(admin_url, "127.0.0.1:0")
            .await
            .unwrap_or_else(|error| panic!("the axum example did not start: {error}"));
        Self {
            running,
            client: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, who: &As, body: Option<Value>) -> Answer {
        let url = format!("http://{}{path}", self.running.address);
        let mut request = self.client.request(method, url);
        for (name, value) in &who.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|value: &reqwest::header::HeaderValue| value.to_str().unwrap().to_owned())
        };
        let content_type = header("content-type").unwrap_or_default();
        let retry_after = header("retry-after").map(|value| value.parse().unwrap());
        let challenge = header("www-authenticate");
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            retry_after,
            challenge,
            body,
            text,
        }
    }

    async fn get(&self, path: &str, who: &As) -> Answer {
        self.call(Method::GET, path, who, None).await
    }

    /// The body of a call expected to succeed with `status`.
    async fn ok(
        &self,
        method: Method,
        path: &str,
        who: &As,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        let answer = self.call(method, path, who, body).await;
        assert_eq!(answer.status, status, "{path}: {answer:?}");
        answer.body
    }

    fn token(&self, tenant: &str) -> String {
        self.running.secrets.token(tenant, Duration::from_secs(600))
    }

    fn key(&self, slug: &str) -> String {
        self.running.secrets.api_keys[slug].clone()
    }

    fn id(&self, slug: &str) -> TenantId {
        self.running.tenant(slug).id
    }

    /// A project named `name` of the tenant `who` proves, with one task.
    async fn seed(&self, who: &As, name: &str) -> (String, String) {
        let project = self
            .ok(
                Method::POST,
                "/projects",
                who,
                Some(json!({ "name": name })),
                StatusCode::CREATED,
            )
            .await;
        let id = project["id"].as_str().unwrap().to_owned();
        let task = self
            .ok(
                Method::POST,
                &format!("/projects/{id}/tasks"),
                who,
                Some(json!({ "title": format!("{name} task") })),
                StatusCode::CREATED,
            )
            .await;
        (id, task["id"].as_str().unwrap().to_owned())
    }

    async fn stop(self) {
        self.running
            .stop()
            .await
            .expect("the example stops and drops its database");
    }
}

/// Asserts `answer` is the RFC 9457 problem of `status` titled `title`.
fn assert_problem(answer: &Answer, status: StatusCode, title: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(
        answer.content_type, "application/problem+json",
        "{answer:?}"
    );
    assert_eq!(answer.body["status"], status.as_u16(), "{answer:?}");
    assert_eq!(answer.body["title"], title, "{answer:?}");
    assert!(
        answer.body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{answer:?}"
    );
    assert!(
        !answer.body["detail"].as_str().unwrap().is_empty(),
        "{answer:?}"
    );
    // A 401 says how to authenticate.
    let challenge = (status == StatusCode::UNAUTHORIZED).then_some("Bearer");
    assert_eq!(answer.challenge.as_deref(), challenge, "{answer:?}");
}

/// A token of `claims`, signed with `secret` (HS256).
fn signed(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The ids in a list of rows.
fn ids(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_strategy_identifies_its_tenant_and_no_route_shows_another_tenants_rows() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    let api = Api::start(&admin_url).await;
    let acme = As::bearer(&api.token("acme"));
    let globex = As::key(&api.key("globex"));

    // The whole API, for acme by token and for globex by API key.
    let (acme_project, acme_task) = api.seed(&acme, "Launch").await;
    let (globex_project, globex_task) = api.seed(&globex, "Merger").await;
    let archived = api
        .ok(
            Method::PATCH,
            &format!("/projects/{acme_project}"),
            &acme,
            Some(json!({ "archived": true })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(archived["archived"], true);
    let done = api
        .ok(
            Method::PATCH,
            &format!("/tasks/{acme_task}"),
            &acme,
            Some(json!({ "done": true })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(done["done"], true);
    let report = api
        .ok(Method::GET, "/report", &acme, None, StatusCode::OK)
        .await;
    assert_eq!(
        report,
        json!([{ "id": acme_project, "name": "Launch", "archived": true, "tasks": 1, "done": 1 }])
    );

    // Each way of naming the tenant, beside its proof, on every route.
    let acme_id = api.id("acme").to_string();
    let named = [
        ("", acme.clone().with("host", format!("acme.{DOMAIN}"))),
        ("", acme.clone().with(TENANT_HEADER, "acme".to_owned())),
        ("/t/acme", acme.clone()),
        (&format!("/t/{acme_id}"), acme.clone()),
        (
            "/t/acme",
            As::key(&api.key("acme")).with(TENANT_HEADER, acme_id.clone()),
        ),
        ("", As::bearer(&api.token(&acme_id))),
    ];
    for (prefix, who) in &named {
        let projects = api
            .ok(
                Method::GET,
                &format!("{prefix}/projects"),
                who,
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(ids(&projects), [acme_project.as_str()]);
        let tasks = api
            .ok(
                Method::GET,
                &format!("{prefix}/projects/{acme_project}/tasks"),
                who,
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(ids(&tasks), [acme_task.as_str()]);
        let report = api
            .ok(
                Method::GET,
                &format!("{prefix}/report"),
                who,
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(ids(&report), [acme_project.as_str()]);
    }

    // Globex sees its own rows, and none of acme's, through every route.
    let globex_routes = [
        (Method::GET, "/projects".to_owned()),
        (Method::GET, "/report".to_owned()),
        (Method::GET, format!("/projects/{globex_project}/tasks")),
        (
            Method::GET,
            format!("/t/globex/projects/{globex_project}/tasks"),
        ),
    ];
    for (method, path) in globex_routes {
        let answer = api.call(method, &path, &globex, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        assert!(
            answer.text.contains(&globex_project) || answer.text.contains(&globex_task),
            "{path}: {answer:?}"
        );
        assert!(
            !answer.text.contains(&acme_project) && !answer.text.contains("Launch"),
            "{path}: {answer:?}"
        );
    }
    // Acme's rows by their ids, for globex: not found, and unchanged.
    let reaching = [
        (Method::GET, format!("/projects/{acme_project}/tasks"), None),
        (
            Method::POST,
            format!("/projects/{acme_project}/tasks"),
            Some(json!({ "title": "planted" })),
        ),
        (
            Method::PATCH,
            format!("/projects/{acme_project}"),
            Some(json!({ "name": "Taken" })),
        ),
        (
            Method::PATCH,
            format!("/tasks/{acme_task}"),
            Some(json!({ "title": "Taken" })),
        ),
    ];
    for (method, path, body) in reaching {
        let answer = api.call(method, &path, &globex, body).await;
        assert_problem(&answer, StatusCode::NOT_FOUND, "Not found");
        assert!(!answer.text.contains("Launch"), "{answer:?}");
    }
    let report = api
        .ok(Method::GET, "/report", &acme, None, StatusCode::OK)
        .await;
    assert_eq!(
        report,
        json!([{ "id": acme_project, "name": "Launch", "archived": true, "tasks": 1, "done": 1 }])
    );
    let tasks = api
        .ok(
            Method::GET,
            &format!("/projects/{acme_project}/tasks"),
            &acme,
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(tasks[0]["title"], "Launch task");
    api.stop().await;
}

#[tokio::test]
async fn spoofing_attempts_are_refused_and_read_nothing_of_the_other_tenant() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    let _capture = capture::turn().await;
    let api = Api::start(&admin_url).await;
    let globex = As::key(&api.key("globex"));
    let (globex_project, _) = api.seed(&globex, "Globex secret plan").await;
    let acme = As::bearer(&api.token("acme"));
    api.seed(&acme, "Launch").await;

    let claims = |aud: &str, exp: u64| json!({ CLAIM: "globex", "aud": aud, "exp": exp });
    let unsigned = {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        format!(
            "{}.{}.",
            encode(&json!({ "alg": "none", "typ": "JWT" })),
            encode(&claims(AUDIENCE, now() + 600))
        )
    };
    let attempts: Vec<(&str, String, As, StatusCode)> = vec![
        (
            "an edited URL",
            "/t/globex/projects".to_owned(),
            acme.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            "an edited URL, by id",
            format!("/t/{}/projects", api.id("globex")),
            acme.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            "a forged header",
            "/projects".to_owned(),
            acme.clone().with(TENANT_HEADER, "globex".to_owned()),
            StatusCode::FORBIDDEN,
        ),
        (
            "another tenant's subdomain",
            "/projects".to_owned(),
            acme.clone().with("host", format!("globex.{DOMAIN}")),
            StatusCode::FORBIDDEN,
        ),
        (
            "a token beside another tenant's key",
            "/projects".to_owned(),
            acme.clone().with(API_KEY_HEADER, api.key("globex")),
            StatusCode::FORBIDDEN,
        ),
        (
            "a header alone",
            "/projects".to_owned(),
            As::default().with(TENANT_HEADER, "globex".to_owned()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a subdomain alone",
            "/projects".to_owned(),
            As::default().with("host", format!("globex.{DOMAIN}")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a path alone",
            "/t/globex/projects".to_owned(),
            As::default(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an unsigned token",
            "/projects".to_owned(),
            As::bearer(&unsigned),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a token signed with another key",
            "/projects".to_owned(),
            As::bearer(&signed(
                &claims(AUDIENCE, now() + 600),
                b"a guessed secret, long enough...",
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an expired token",
            "/projects".to_owned(),
            As::bearer(&signed(
                &claims(AUDIENCE, now() - 3_600),
                &api.running.secrets.signing,
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a token for another audience",
            "/projects".to_owned(),
            As::bearer(&signed(
                &claims("another-api", now() + 600),
                &api.running.secrets.signing,
            )),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a forged API key",
            "/projects".to_owned(),
            As::key("tk_globex_00000000000000000000000000000000"),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (attempt, path, who, status) in attempts {
        let answer = api.get(&path, &who).await;
        let title = if status == StatusCode::FORBIDDEN {
            "Tenant mismatch"
        } else {
            "No tenant identified"
        };
        assert_eq!(answer.status, status, "{attempt}: {answer:?}");
        assert_problem(&answer, status, title);
        assert!(
            !answer.text.contains("Globex secret plan") && !answer.text.contains(&globex_project),
            "{attempt} read globex's rows: {answer:?}"
        );
    }
    // A signed token for a slug that spells globex's id without hyphens (a
    // slug the registry accepts, which a tenant could have chosen) names
    // that slug, which the API does not know, and never globex.
    let spelled = api.id("globex").as_uuid().simple().to_string();
    let answer = api
        .get("/projects", &As::bearer(&api.token(&spelled)))
        .await;
    assert_problem(&answer, StatusCode::NOT_FOUND, "Unknown tenant");
    assert!(
        !answer.text.contains("Globex secret plan"),
        "a slug spelling globex's id read its rows: {answer:?}"
    );
    // Each mismatch was logged as a warning, naming no tenant.
    let warnings: Vec<_> = capture::events()
        .into_iter()
        .filter(|event| {
            event.get("message").map(String::as_str)
                == Some("a request named another tenant than it proved")
        })
        .collect();
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    for warning in &warnings {
        let logged = format!("{warning:?}");
        assert!(
            !logged.contains("globex") && !logged.contains(&api.id("globex").to_string()),
            "{logged}"
        );
    }
    // Globex's rows are as they were.
    let projects = api
        .ok(Method::GET, "/projects", &globex, None, StatusCode::OK)
        .await;
    assert_eq!(
        projects,
        json!([{ "id": globex_project, "name": "Globex secret plan", "archived": false }])
    );
    api.stop().await;
}

#[tokio::test]
async fn each_rejection_has_its_status_and_problem_body() {
    let admin_url = main_server();
    let _turn = take_turn(&admin_url).await;
    let api = Api::start(&admin_url).await;

    assert_problem(
        &api.get("/projects", &As::default()).await,
        StatusCode::UNAUTHORIZED,
        "No tenant identified",
    );
    let stranger = As::bearer(&api.token(&Uuid::new_v4().to_string()));
    assert_problem(
        &api.get("/projects", &stranger).await,
        StatusCode::NOT_FOUND,
        "Unknown tenant",
    );
    assert_problem(
        &api.get("/projects", &As::bearer(&api.token("umbrella")))
            .await,
        StatusCode::NOT_FOUND,
        "Unknown tenant",
    );
    let malformed = As::bearer(&api.token("acme")).with(TENANT_HEADER, "Acme Corp".to_owned());
    assert_problem(
        &api.get("/projects", &malformed).await,
        StatusCode::BAD_REQUEST,
        "Malformed tenant name",
    );

    // Initech's plan allows a few statements a second: a burst goes over.
    let initech = As::bearer(&api.token("initech"));
    let mut limited = None;
    for _ in 0..20 {
        let answer = api.get("/projects", &initech).await;
        if answer.status != StatusCode::OK {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("a burst over the trial plan's rate is limited");
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, "Rate limited");
    assert!(
        limited.retry_after.is_some_and(|seconds| seconds >= 1),
        "{limited:?}"
    );

    // A move in progress: reads go on where the tenant is; a write is
    // refused by its placement's fence with 503, to be retried.
    let (admin, connection) =
        tokio_postgres::connect(&api.running.database_url, tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let set_status = |id: TenantId, status: &'static str| {
        let admin = &admin;
        async move {
            admin
                .execute(
                    "UPDATE tenantry_control.tenants SET status = $2 WHERE id = $1",
                    &[&id.as_uuid(), &status],
                )
                .await
                .unwrap();
            admin
                .execute(
                    "UPDATE tenantry.residents SET status = $2 WHERE tenant_id = $1",
                    &[&id.as_uuid(), &status],
                )
                .await
                .unwrap();
        }
    };
    let acme = As::bearer(&api.token("acme"));
    set_status(api.id("acme"), "moving").await;
    let read = api.get("/projects", &acme).await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    let moving = api
        .call(
            Method::POST,
            "/projects",
            &acme,
            Some(json!({ "name": "during the move" })),
        )
        .await;
    assert_problem(&moving, StatusCode::SERVICE_UNAVAILABLE, "Tenant moving");
    assert!(
        moving.retry_after.is_some_and(|seconds| seconds >= 1),
        "{moving:?}"
    );
    set_status(api.id("acme"), "active").await;
    let back = eventually(
        Duration::from_secs(5),
        || api.get("/projects", &acme),
        |answer| answer.status == StatusCode::OK,
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{back:?}");

    // Suspended, then erased.
    let reason = Reason::new("support", "a test of the rejections");
    api.running
        .operator
        .suspend(api.id("initech"), &reason)
        .await
        .unwrap();
    let suspended = eventually(
        Duration::from_secs(5),
        || api.get("/projects", &initech),
        |answer| answer.status == StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(&suspended, StatusCode::FORBIDDEN, "Tenant suspended");
    api.running
        .operator
        .erase(api.id("initech"), &reason)
        .await
        .unwrap();
    let erased = eventually(
        Duration::from_secs(5),
        || api.get("/projects", &initech),
        |answer| answer.status == StatusCode::GONE,
    )
    .await;
    assert_problem(&erased, StatusCode::GONE, "Tenant erased");
    api.stop().await;
}
