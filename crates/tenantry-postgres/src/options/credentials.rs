//! Where the credentials of a server added at run time come from: the
//! registry keeps only its address, each process supplies its own role and
//! password through a provider (the environment by default).

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::Error;

/// The role and password to connect to a server as; what is `None` is taken
/// from the main server's settings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The role, if not the main server's.
    pub user: Option<String>,
    /// The password, if not the main server's.
    pub password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Supplies the credentials of servers added to the registry at run time
/// (`Operator::add_server`), which records no secret: a secrets manager, a
/// vault, a file mounted by the orchestrator. Asked once per server and
/// process, when the server is first used.
///
/// ```
/// use futures_util::future::BoxFuture;
/// use tenantry_postgres::{Config, Credentials, Error, ServerCredentials};
///
/// /// Every server's password from one place.
/// struct Vault;
///
/// impl ServerCredentials for Vault {
///     fn credentials<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<Credentials, Error>> {
///         Box::pin(async move {
///             Ok(Credentials {
///                 user: Some("app".to_owned()),
///                 password: Some(format!("secret of {server}")),
///             })
///         })
///     }
/// }
///
/// let config = Config::new("postgres://app@localhost/saas")?.server_credentials(Vault);
/// # let _ = config;
/// # Ok::<(), Error>(())
/// ```
pub trait ServerCredentials: Send + Sync + 'static {
    /// The credentials for server `server`.
    fn credentials<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<Credentials, Error>>;
}

/// The default provider: `TENANTRY_SERVER_<NAME>_USER` and
/// `TENANTRY_SERVER_<NAME>_PASSWORD` (the server's name upper-cased, `-` as
/// `_`), each falling back to the main server's role and password.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvironmentCredentials;

impl EnvironmentCredentials {
    /// The variable that holds `what` (`USER`, `PASSWORD`) of `server`.
    fn variable(server: &str, what: &str) -> String {
        format!(
            "TENANTRY_SERVER_{}_{what}",
            server.to_ascii_uppercase().replace('-', "_")
        )
    }
}

impl ServerCredentials for EnvironmentCredentials {
    fn credentials<'a>(&'a self, server: &'a str) -> BoxFuture<'a, Result<Credentials, Error>> {
        let read = |what| std::env::var(Self::variable(server, what)).ok();
        let credentials = Credentials {
            user: read("USER"),
            password: read("PASSWORD"),
        };
        Box::pin(async move { Ok(credentials) })
    }
}

/// The provider a configuration holds (shared by its clones).
#[derive(Clone)]
pub(crate) struct CredentialsProvider(pub(crate) Arc<dyn ServerCredentials>);

impl Default for CredentialsProvider {
    fn default() -> Self {
        Self(Arc::new(EnvironmentCredentials))
    }
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsProvider")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_name_becomes_a_variable_name() {
        assert_eq!(
            EnvironmentCredentials::variable("eu-1", "PASSWORD"),
            "TENANTRY_SERVER_EU_1_PASSWORD"
        );
    }

    #[test]
    fn the_password_is_not_shown() {
        let credentials = Credentials {
            user: Some("app".to_owned()),
            password: Some("hunter2".to_owned()),
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }
}
