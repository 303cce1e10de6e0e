//! What the examples need around tenantry: the administrator's connection to
//! each server, the URLs of the databases and roles they make, and making and
//! dropping those. Nothing here is tenantry's own API.

use std::process::ExitCode;

use tokio_postgres::Client;

/// What an example's steps return: any of their errors, with its message.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The administrator's URL in `variable`, by default the local server's on
/// `port`, as `postgres`.
pub fn admin_url(variable: &str, port: u16) -> String {
    std::env::var(variable)
        .unwrap_or_else(|_| format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// The administrator's connection to the server of `url`, or an error saying
/// that the server does not answer and which `variable` points at another.
pub async fn connect(url: &str, variable: &str) -> Result<Client> {
    let options: tenantry::ConnectOptions = url.parse()?;
    options.connect().await.map_err(|error| {
        format!(
            "the PostgreSQL server of {variable} does not answer ({error}): start it, or set \
             {variable} to a running one"
        )
        .into()
    })
}

/// `url` with one more setting (`dbname`, `user`), which wins over the one
/// the URL may already have, in the URL and the `key=value` forms alike.
pub fn with_setting(url: &str, key: &str, value: &str) -> String {
    let separator = if !url.contains("://") {
        ' '
    } else if url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{url}{separator}{key}={value}")
}

/// Creates `database` and `role`, an ordinary login role (neither superuser
/// nor `BYPASSRLS`, so row-level security applies to it) with no password.
pub async fn create(admin: &Client, database: &str, role: &str) -> Result<()> {
    for statement in [
        format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"),
        format!("CREATE DATABASE {database}"),
    ] {
        admin.batch_execute(&statement).await?;
    }
    Ok(())
}

/// Drops `databases` and then `role`, those that exist.
pub async fn drop_all(admin: &Client, databases: &[&str], role: &str) -> Result<()> {
    for database in databases {
        // One statement each: DROP DATABASE cannot run in a transaction,
        // which several statements in one query make.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .await?;
    }
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
        .await?;
    Ok(())
}

/// The exit status of `example`'s `outcome`, whose error, if any, is
/// reported on standard error.
pub fn exit_status(example: &str, outcome: Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{example}: {}", describe(&*error));
            ExitCode::FAILURE
        }
    }
}

/// `error` and each error that caused it, in one line: the driver's own
/// message alone ("db error") does not say what the server answered.
fn describe(error: &dyn std::error::Error) -> String {
    let chain = std::iter::successors(Some(error), |error| error.source());
    chain
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
