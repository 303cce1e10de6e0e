//! The settings of a server added to the registry at run time: its
//! connection string as recorded (an address, never a secret), completed
//! with this process's credentials and, unless it says otherwise, the main
//! server's TLS settings.

use super::credentials::Credentials;
use super::{ConnectOptions, conninfo, tls};
use crate::Error;

impl ConnectOptions {
    /// Reads the connection string of a server to record in the registry,
    /// refusing one that holds a password: the registry is readable by
    /// whoever operates it, and credentials come from each process's
    /// [`ServerCredentials`](super::ServerCredentials).
    ///
    /// ```
    /// use tenantry_postgres::ConnectOptions;
    ///
    /// assert!(ConnectOptions::registrable("postgres://db-eu-1.internal:5432/saas").is_ok());
    /// assert!(ConnectOptions::registrable("postgres://app:secret@db-eu-1.internal/saas").is_err());
    /// ```
    pub fn registrable(url: &str) -> Result<Self, Error> {
        let options: ConnectOptions = url.parse()?;
        if options.driver.get_password().is_some() {
            return Err(Error::Config(
                "a server's connection string in the registry may not hold a password: \
                 each process supplies it (`Config::server_credentials`)"
                    .to_owned(),
            ));
        }
        Ok(options)
    }

    /// The settings of the registered server at `url`, with `credentials`
    /// (the role and password of `main` where they give none; a role the
    /// string names is kept unless they give one), and `main`'s TLS settings
    /// unless the string names any of its own.
    pub(crate) fn registered(
        url: &str,
        main: &ConnectOptions,
        credentials: Credentials,
    ) -> Result<Self, Error> {
        let mut options = Self::registrable(url)?;
        let names_tls = conninfo::split(url, tls::TLS_KEYS)
            .map(|split| !split.taken.is_empty())
            .unwrap_or(false);
        if !names_tls {
            options.tls = main.tls.clone();
            options.tls.changed();
        }
        let user = credentials
            .user
            .or_else(|| options.driver.get_user().map(str::to_owned))
            .or_else(|| main.driver.get_user().map(str::to_owned));
        if let Some(user) = user {
            options.driver.user(user);
        }
        let password = credentials
            .password
            .map(String::into_bytes)
            .or_else(|| main.driver.get_password().map(<[u8]>::to_vec));
        if let Some(password) = password {
            options.driver.password(password);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SslMode;

    fn main() -> ConnectOptions {
        "postgres://app:main-secret@main.internal/saas?sslmode=verify-full"
            .parse()
            .unwrap()
    }

    #[test]
    fn takes_the_main_servers_role_password_and_tls_by_default() {
        let options = ConnectOptions::registered(
            "postgres://eu-1.internal/saas",
            &main(),
            Credentials::default(),
        )
        .unwrap();
        assert_eq!(options.get_user(), Some("app"));
        assert_eq!(options.driver.get_password(), Some(&b"main-secret"[..]));
        assert_eq!(options.get_ssl_mode(), SslMode::VerifyFull);
    }

    #[test]
    fn the_providers_credentials_and_the_strings_tls_win() {
        let options = ConnectOptions::registered(
            "postgres://owner@eu-1.internal/saas?sslmode=require",
            &main(),
            Credentials {
                user: Some("eu_app".to_owned()),
                password: Some("eu-secret".to_owned()),
            },
        )
        .unwrap();
        assert_eq!(options.get_user(), Some("eu_app"));
        assert_eq!(options.driver.get_password(), Some(&b"eu-secret"[..]));
        assert_eq!(options.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn a_role_in_the_string_is_kept_without_one_from_the_provider() {
        let options = ConnectOptions::registered(
            "postgres://owner@eu-1.internal/saas",
            &main(),
            Credentials::default(),
        )
        .unwrap();
        assert_eq!(options.get_user(), Some("owner"));
    }

    #[test]
    fn a_password_in_the_string_is_refused() {
        let refused = ConnectOptions::registered(
            "host=eu-1.internal password=leaked",
            &main(),
            Credentials::default(),
        );
        assert!(matches!(refused, Err(Error::Config(message)) if message.contains("password")));
    }
}
