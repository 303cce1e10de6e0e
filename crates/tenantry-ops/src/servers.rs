//! The servers the operator works on: those of its configuration, and those
//! added to the registry at run time ([`Operator::add_server`]), which every
//! running application learns through the registry's notification and opens
//! on first use, with credentials of its own.

use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use tenantry_postgres::contract::CONTROL_SCHEMA;
use tenantry_postgres::{ConnectOptions, Error as RuntimeError, MAIN_SERVER};
use tenantry_query::Identifier;
use time::OffsetDateTime;

use crate::Error;
use crate::migrate::{MigrateOptions, MigrationReport, Migrations};
use crate::operator::Operator;

/// A server the registry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredServer {
    /// Its name, as tenants' registry rows name it.
    pub name: String,
    /// Its connection string, without credentials.
    pub url: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: OffsetDateTime,
}

impl Operator {
    /// Records server `name` at `url` (a connection string without a
    /// password: each process supplies its credentials, see
    /// `Config::server_credentials`), then applies `migrations.tenant` to
    /// it, so that tenants can be provisioned or relocated there at once.
    /// Every running application learns it through the registry, without a
    /// restart, and opens its pool on first use.
    ///
    /// The server must answer (with this operator's credentials for it)
    /// before anything is recorded. Adding a server recorded already at the
    /// same address only migrates it again; a name taken by another address,
    /// or by the operator's configuration, is [`Error::ServerExists`].
    pub async fn add_server(
        &self,
        name: &str,
        url: &str,
        added_by: &str,
        migrations: &Migrations,
    ) -> Result<MigrationReport, Error> {
        check_name(name)?;
        if self.configured_servers().iter().any(|known| known == name) {
            return Err(Error::ServerExists {
                name: name.to_owned(),
                existing: "the operator's configuration".to_owned(),
            });
        }
        if added_by.trim().is_empty() {
            return Err(Error::BlankReason { field: "actor" });
        }
        ConnectOptions::registrable(url)?;
        let main = self.connect(MAIN_SERVER, None).await?;
        match find(&main, name).await? {
            Some(known) if known.url != url => {
                return Err(Error::ServerExists {
                    name: name.to_owned(),
                    existing: known.url,
                });
            }
            Some(_) => {}
            None => {
                // An unreachable server fails the call before anything is written.
                let options = self.config().registered_server(name, url).await?;
                options.connect().await?;
                main.execute(
                    &format!(
                        "INSERT INTO {CONTROL_SCHEMA}.servers (name, url, added_by) VALUES ($1, $2, $3)
                         ON CONFLICT (name) DO NOTHING"
                    ),
                    &[&name, &url, &added_by],
                )
                .await?;
                // Another operator may have won the race with another address.
                let recorded = find(&main, name).await?;
                if let Some(known) = recorded.filter(|known| known.url != url) {
                    return Err(Error::ServerExists {
                        name: name.to_owned(),
                        existing: known.url,
                    });
                }
            }
        }
        self.migrate_server(name, migrations, MigrateOptions::default())
            .await
    }

    /// Removes server `name` from the registry. Refused while any tenant's
    /// registry row names it ([`Error::ServerInUse`]), an erased one's
    /// tombstone included: its erasure record names the server.
    pub async fn remove_server(&self, name: &str) -> Result<(), Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        let tenants: i64 = main
            .query_one(
                &format!("SELECT count(*) FROM {CONTROL_SCHEMA}.tenants WHERE server = $1"),
                &[&name],
            )
            .await?
            .get(0);
        if tenants > 0 {
            return Err(Error::ServerInUse {
                name: name.to_owned(),
                tenants,
            });
        }
        let removed = main
            .execute(
                &format!("DELETE FROM {CONTROL_SCHEMA}.servers WHERE name = $1"),
                &[&name],
            )
            .await?;
        self.registered.lock().expect("servers lock").remove(name);
        if removed == 0 {
            return Err(RuntimeError::UnknownServer {
                name: name.to_owned(),
            }
            .into());
        }
        Ok(())
    }

    /// Every server the registry records (not those of the configuration).
    pub async fn registered_servers(&self) -> Result<Vec<RegisteredServer>, Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        list(&main).await
    }

    /// The names of every server: the configured ones, `main` first, then
    /// those the registry records.
    pub async fn servers(&self) -> Result<Vec<String>, Error> {
        let mut names = self.configured_servers();
        let main = self.connect(MAIN_SERVER, None).await?;
        for server in list(&main).await? {
            if !names.contains(&server.name) {
                names.push(server.name);
            }
        }
        Ok(names)
    }

    /// The settings of the main server.
    fn main_options(&self) -> &ConnectOptions {
        let (_, main) = self
            .config()
            .all_servers()
            .next()
            .expect("main comes first");
        main
    }

    /// The names of the configured servers, `main` first.
    pub(crate) fn configured_servers(&self) -> Vec<String> {
        self.config()
            .all_servers()
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// The settings of `server`: configured, or recorded in the registry
    /// and completed with the configuration's credentials.
    pub(crate) async fn server_config(&self, server: &str) -> Result<ConnectOptions, Error> {
        if let Some((_, options)) = self
            .config()
            .all_servers()
            .find(|(name, _)| *name == server)
        {
            return Ok(options.clone());
        }
        if let Some(options) = self.registered.lock().expect("servers lock").get(server) {
            return Ok(options.clone());
        }
        // Not `connect`, which asks this function for the main server.
        let main = self.main_options().connect().await?;
        let recorded = find(&main, server)
            .await?
            .ok_or_else(|| RuntimeError::UnknownServer {
                name: server.to_owned(),
            })?;
        let options = self
            .config()
            .registered_server(server, &recorded.url)
            .await?;
        self.registered
            .lock()
            .expect("servers lock")
            .insert(server.to_owned(), options.clone());
        Ok(options)
    }

    /// The settings of `database` on `server` (its own database if `None`).
    pub(crate) async fn database_options(
        &self,
        server: &str,
        database: Option<&Identifier>,
    ) -> Result<ConnectOptions, Error> {
        let options = self.server_config(server).await?;
        Ok(match database {
            Some(database) => options.dbname(database.as_str()),
            None => options,
        })
    }

    /// The name of `server`'s own database (libpq's default: the user's name).
    pub(crate) async fn database_name(&self, server: &str) -> Result<String, Error> {
        let options = self.server_config(server).await?;
        Ok(options
            .get_dbname()
            .or(options.get_user())
            .unwrap_or("postgres")
            .to_owned())
    }
}

/// Refuses a name that the registry's check would refuse, or `main`.
fn check_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_is_word =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if first_is_letter && rest_is_word && name.len() <= 40 && name != MAIN_SERVER {
        Ok(())
    } else {
        Err(Error::InvalidServerName {
            name: name.to_owned(),
        })
    }
}

/// The columns of a registered server, as [`read`] takes them.
const SERVER_COLUMNS: &str = "name, url, added_by, added_at";

fn read(row: &tokio_postgres::Row) -> RegisteredServer {
    RegisteredServer {
        name: row.get("name"),
        url: row.get("url"),
        added_by: row.get("added_by"),
        added_at: row.get("added_at"),
    }
}

/// The server the registry records as `name`.
async fn find(client: &impl GenericClient, name: &str) -> Result<Option<RegisteredServer>, Error> {
    let rows = client
        .query(
            &format!("SELECT {SERVER_COLUMNS} FROM {CONTROL_SCHEMA}.servers WHERE name = $1"),
            &[&name],
        )
        .await?;
    Ok(rows.first().map(read))
}

/// Every server the registry records, by name; none in a registry migrated
/// before servers were recorded (or not migrated at all).
async fn list(client: &impl GenericClient) -> Result<Vec<RegisteredServer>, Error> {
    match client
        .query(
            &format!("SELECT {SERVER_COLUMNS} FROM {CONTROL_SCHEMA}.servers ORDER BY name"),
            &[],
        )
        .await
    {
        Ok(rows) => Ok(rows.iter().map(read).collect()),
        Err(error)
            if matches!(
                error.code(),
                Some(&SqlState::UNDEFINED_TABLE | &SqlState::INVALID_SCHEMA_NAME)
            ) =>
        {
            Ok(Vec::new())
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_are_lower_case_words_and_not_main() {
        for good in ["eu-1", "shard_2", "a"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(41);
        for bad in ["main", "", "1eu", "EU", "eu.1", "eu 1", too_long.as_str()] {
            assert!(
                matches!(check_name(bad), Err(Error::InvalidServerName { .. })),
                "{bad}"
            );
        }
    }
}
