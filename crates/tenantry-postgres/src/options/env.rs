//! libpq's environment variables (`PGHOST`, `PGSSLMODE`, ...): defaults for
//! whatever a connection string leaves out.

use std::time::Duration;

use super::ConnectOptions;
use crate::Error;

/// Environment variables of settings read here, beside their setting.
const OWN_VARIABLES: &[(&str, &str)] = &[
    ("PGSSLMODE", "sslmode"),
    ("PGREQUIRESSL", "requiressl"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLSNI", "sslsni"),
    ("PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"),
    ("PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"),
    ("PGSSLCOMPRESSION", "sslcompression"),
    ("PGSSLNEGOTIATION", "sslnegotiation"),
    ("PGGSSENCMODE", "gssencmode"),
    ("PGSSLCERTMODE", "sslcertmode"),
    ("PGSSLCRL", "sslcrl"),
    ("PGSSLCRLDIR", "sslcrldir"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
];

/// Variables of libpq's whose features are not supported: refused when
/// set, rather than ignored.
const UNSUPPORTED_VARIABLES: &[&str] =
    &["PGSERVICE", "PGSERVICEFILE", "PGPASSFILE", "PGSSLPASSWORD"];

/// Reads `url`, taking what it leaves out from libpq's environment
/// variables as `lookup` gives them.
pub(crate) fn apply_environment(
    url: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ConnectOptions, Error> {
    if let Some(variable) = UNSUPPORTED_VARIABLES
        .iter()
        .find(|variable| lookup(variable).is_some())
    {
        return Err(Error::Config(format!(
            "{variable} is set, but not supported"
        )));
    }
    ConnectOptions::parse(url, &|key| {
        OWN_VARIABLES
            .iter()
            .find(|(_, setting)| *setting == key)
            .and_then(|(variable, _)| lookup(variable))
    })
    .and_then(|mut options| {
        fill_driver_defaults(&mut options.driver, lookup)
            .map_err(|error| Error::Config(format!("malformed environment variable: {error}")))?;
        Ok(options)
    })
}

/// A text setting of the driver: its variable, whether the string left it
/// out, and how to set it.
type TextSetting = (
    &'static str,
    fn(&tokio_postgres::Config) -> bool,
    fn(&mut tokio_postgres::Config, &str),
);

/// Sets the driver's settings that the string left out from `PGHOST`,
/// `PGHOSTADDR`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
/// `PGAPPNAME`, `PGOPTIONS` and `PGCONNECT_TIMEOUT`.
fn fill_driver_defaults(
    driver: &mut tokio_postgres::Config,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    if driver.get_hosts().is_empty() && driver.get_hostaddrs().is_empty() {
        if let Some(hosts) = lookup("PGHOST") {
            hosts.split(',').for_each(|host| {
                driver.host(host);
            });
        }
        if let Some(addresses) = lookup("PGHOSTADDR") {
            for address in addresses.split(',') {
                let address = address
                    .parse()
                    .map_err(|error| format!("PGHOSTADDR={address:?}: {error}"))?;
                driver.hostaddr(address);
            }
        }
    }
    if driver.get_ports().is_empty() {
        if let Some(ports) = lookup("PGPORT") {
            for port in ports.split(',') {
                let port = port
                    .parse()
                    .map_err(|error| format!("PGPORT={port:?}: {error}"))?;
                driver.port(port);
            }
        }
    }
    if driver.get_connect_timeout().is_none() {
        if let Some(seconds) = lookup("PGCONNECT_TIMEOUT") {
            let seconds: u64 = seconds
                .parse()
                .map_err(|error| format!("PGCONNECT_TIMEOUT={seconds:?}: {error}"))?;
            driver.connect_timeout(Duration::from_secs(seconds));
        }
    }
    let text_settings: [TextSetting; 5] = [
        (
            "PGUSER",
            |d| d.get_user().is_none(),
            |d, v| {
                d.user(v);
            },
        ),
        (
            "PGPASSWORD",
            |d| d.get_password().is_none(),
            |d, v| {
                d.password(v);
            },
        ),
        (
            "PGDATABASE",
            |d| d.get_dbname().is_none(),
            |d, v| {
                d.dbname(v);
            },
        ),
        (
            "PGAPPNAME",
            |d| d.get_application_name().is_none(),
            |d, v| {
                d.application_name(v);
            },
        ),
        (
            "PGOPTIONS",
            |d| d.get_options().is_none(),
            |d, v| {
                d.options(v);
            },
        ),
    ];
    for (variable, unset, set) in text_settings {
        if let Some(value) = lookup(variable).filter(|_| unset(driver)) {
            set(driver, &value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::SslMode;

    fn read(url: &str, pairs: &[(&str, &str)]) -> Result<ConnectOptions, Error> {
        apply_environment(url, &|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn the_environment_fills_what_the_string_leaves_out() {
        let environment = [
            ("PGHOST", "db1,db2"),
            ("PGPORT", "5433"),
            ("PGUSER", "app"),
            ("PGPASSWORD", "secret"),
            ("PGDATABASE", "saas"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "/etc/ca.pem"),
            ("PGCONNECT_TIMEOUT", "3"),
        ];
        let options = read("", &environment).unwrap();
        assert_eq!(options.driver.get_hosts().len(), 2);
        assert_eq!(options.driver.get_ports(), [5433]);
        assert_eq!(options.get_user(), Some("app"));
        assert_eq!(options.driver.get_password(), Some(&b"secret"[..]));
        assert_eq!(options.get_dbname(), Some("saas"));
        assert_eq!(options.get_ssl_mode(), SslMode::VerifyFull);
        assert_eq!(
            options.driver.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        let string_wins = read("postgres://other@db/main?sslmode=disable", &environment).unwrap();
        assert_eq!(string_wins.get_user(), Some("other"));
        assert_eq!(string_wins.get_dbname(), Some("main"));
        assert_eq!(string_wins.get_ssl_mode(), SslMode::Disable);
        // A URL gives each host it names a port, 5432 unless written.
        assert_eq!(string_wins.driver.get_ports(), [5432]);
        let pairs = read("host=db user=other", &environment).unwrap();
        assert_eq!(pairs.driver.get_ports(), [5433]);
    }

    #[test]
    fn unsupported_or_malformed_variables_are_refused() {
        for pairs in [
            [("PGSERVICE", "prod")],
            [("PGPASSFILE", "/pgpass")],
            [("PGSSLMODE", "allow")],
            [("PGPORT", "five")],
            [("PGSSLCRL", "/crl.pem")],
        ] {
            assert!(
                matches!(read("host=db", &pairs), Err(Error::Config(_))),
                "{pairs:?}"
            );
        }
    }
}
