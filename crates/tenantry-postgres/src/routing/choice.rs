//! Whether tenants are routed through the registry: the configuration's
//! choice, checked against the main database when connecting, so that no
//! tenant is silently served from a placement that is not its own.

use std::str::FromStr;

use crate::Error;
use crate::context::pipeline;
use crate::context::start::NO_CONTEXT;
use crate::contract::{CONTROL_SCHEMA, TENANT_LOOKUP, TENANTS_RECORDED};
use crate::pool::Lease;

/// How the configuration says tenants are routed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Routing {
    /// No choice made: through the registry if the main database has one;
    /// without one, connecting fails ([`Error::RoutingNotChosen`]).
    #[default]
    Unchosen,
    /// Through the registry (`Config::registry`).
    Registry,
    /// Every tenant in the main server's shared tables (`Config::pool_only`).
    PoolOnly,
}

impl FromStr for Routing {
    type Err = String;

    /// `registry` or `pool-only` (what `TENANTRY_ROUTING` takes).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "registry" => Ok(Routing::Registry),
            "pool-only" => Ok(Routing::PoolOnly),
            _ => Err("expected `registry` or `pool-only`".to_owned()),
        }
    }
}

impl Routing {
    /// Whether tenants are routed through the registry, checked on `main`
    /// (a connection to the main database): a registry is used unless the
    /// configuration says pool-only, and required unless it does; a
    /// pool-only configuration is refused while the registry records any
    /// tenant. Reads only what an application role may: the catalogs and
    /// the registry's functions granted to it.
    pub(crate) async fn through_registry(self, main: &Lease) -> Result<bool, Error> {
        let functions = registry_functions(main).await?;
        match (self, functions) {
            (Routing::Unchosen, None) => Err(Error::RoutingNotChosen),
            (Routing::Registry, None) => Err(Error::NoRegistry),
            (Routing::PoolOnly, None) => Ok(false),
            (Routing::PoolOnly, Some(functions)) => {
                functions.require(TENANTS_RECORDED)?;
                let sql = format!("SELECT {CONTROL_SCHEMA}.{TENANTS_RECORDED}()");
                let rows = pipeline::query(main, &NO_CONTEXT, &sql, &[]).await?;
                if rows[0].get(0) {
                    Err(Error::RegistryInUse)
                } else {
                    Ok(false)
                }
            }
            (chosen, Some(functions)) => {
                functions.require(TENANT_LOOKUP)?;
                if chosen == Routing::Unchosen {
                    tracing::info!(
                        "the main database has a tenant registry: tenants are routed through it"
                    );
                }
                Ok(true)
            }
        }
    }
}

/// The registry's functions for the application that exist on the main
/// database, each with whether the connected role may call it.
struct RegistryFunctions(Vec<(String, bool)>);

impl RegistryFunctions {
    /// Fails unless function `name` exists and the role may call it.
    fn require(&self, name: &str) -> Result<(), Error> {
        let function = format!("{CONTROL_SCHEMA}.{name}");
        match self.0.iter().find(|(known, _)| known == name) {
            Some((_, true)) => Ok(()),
            Some((_, false)) => Err(Error::Config(format!(
                "the application role may not execute the tenant registry's {function}: grant it with the operator's migrations (`Operator::grant_to`)"
            ))),
            None => Err(Error::Config(format!(
                "the tenant registry's {function} does not exist on the main server: run the migrations first"
            ))),
        }
    }
}

/// The registry's functions for the application, if the main database has
/// a registry (its control schema). Read from the catalogs, which every
/// role may read, rather than by name lookups, which fail without the
/// right to use the schema.
async fn registry_functions(main: &Lease) -> Result<Option<RegistryFunctions>, Error> {
    let names = [TENANT_LOOKUP, TENANTS_RECORDED].as_slice();
    let rows = pipeline::query(
        main,
        &NO_CONTEXT,
        "SELECT p.proname::text,
                pg_catalog.has_schema_privilege(n.oid, 'USAGE')
                    AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
         FROM pg_catalog.pg_namespace n
         LEFT JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = ANY($2)
         WHERE n.nspname = $1",
        &[&CONTROL_SCHEMA, &names],
    )
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let functions = rows
        .iter()
        .filter_map(|row| {
            let name: Option<String> = row.get(0);
            name.map(|name| (name, row.get::<_, Option<bool>>(1).unwrap_or(false)))
        })
        .collect();
    Ok(Some(RegistryFunctions(functions)))
}
