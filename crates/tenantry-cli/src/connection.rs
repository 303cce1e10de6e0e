//! From the connection flags to an `Operator` and to plain connections to
//! each server.

use tenantry_ops::Operator;
use tenantry_postgres::{Config, ConnectOptions, MAIN_SERVER};
use tokio_postgres::Client;

use crate::args::ConnectionArgs;
use crate::exit::Fatal;

/// One configured server: its name and the operator's URL of its database.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// `main`, or the name given with `--server`.
    pub(crate) name: String,
    /// The URL (never printed: it may hold a password).
    url: String,
}

impl ConnectionArgs {
    /// Every server, `main` first.
    pub(crate) fn servers(&self) -> Result<Vec<Server>, Fatal> {
        let main = self.database_url.clone().ok_or_else(|| {
            Fatal::new("no database URL: pass --database-url or set DATABASE_URL")
        })?;
        Ok(std::iter::once((MAIN_SERVER.to_owned(), main))
            .chain(self.servers.iter().cloned())
            .map(|(name, url)| Server { name, url })
            .collect())
    }

    /// The operator for every server, granting the application roles.
    pub(crate) fn operator(&self) -> Result<Operator, Fatal> {
        let invalid =
            |error: &(dyn std::error::Error + 'static)| Fatal::because("invalid settings", error);
        let mut servers = self.servers()?.into_iter();
        let main = servers.next().expect("the main server comes first");
        let mut config = Config::new(&main.url).map_err(|error| invalid(&error))?;
        for server in servers {
            config = config
                .server(&server.name, &server.url)
                .map_err(|error| invalid(&error))?;
        }
        let mut operator = Operator::new(config);
        for role in &self.app_roles {
            operator = operator.grant_to(role).map_err(|error| invalid(&error))?;
        }
        if let Some(template) = &self.template_database {
            operator = operator
                .template_database(template)
                .map_err(|error| invalid(&error))?;
        }
        Ok(operator)
    }
}

impl Server {
    /// A connection to this server's database.
    pub(crate) async fn connect(&self) -> Result<Client, Fatal> {
        let failed = |error: &(dyn std::error::Error + 'static)| {
            Fatal::because(&format!("cannot connect to server {}", self.name), error)
        };
        let options: ConnectOptions = self.url.parse().map_err(|error| failed(&error))?;
        options.connect().await.map_err(|error| failed(&error))
    }
}

/// Connects to every server once, so that a wrong URL or a server that is
/// down is a connection error (exit 2) rather than a list of failed targets.
pub(crate) async fn check_reachable(servers: &[Server]) -> Result<(), Fatal> {
    for server in servers {
        server.connect().await?;
    }
    Ok(())
}
