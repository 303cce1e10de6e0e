//! Splits a connection string, in either of libpq's forms (a
//! `postgres://` URL or `key=value` pairs), into the settings tenantry reads
//! itself and the rest, which the driver parses.
//!
//! The driver refuses settings it does not know (the TLS ones among them),
//! so those are taken out first; the rest is passed on byte for byte.

/// A connection string taken apart.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Split {
    /// The settings asked for, in order, with their values decoded.
    pub(super) taken: Vec<(String, String)>,
    /// The connection string without them.
    pub(super) rest: String,
}

/// Takes the settings named in `keys` out of `input`.
pub(super) fn split(input: &str, keys: &[&str]) -> Result<Split, String> {
    match url_body(input) {
        Some(_) => split_url(input, keys),
        None => split_pairs(input, keys),
    }
}

/// What follows a URL's scheme, if `input` is a URL.
fn url_body(input: &str) -> Option<&str> {
    ["postgresql://", "postgres://"]
        .iter()
        .find_map(|scheme| input.strip_prefix(scheme))
}

fn split_url(input: &str, keys: &[&str]) -> Result<Split, String> {
    let Some((base, query)) = input.split_once('?') else {
        return Ok(Split {
            taken: Vec::new(),
            rest: input.to_owned(),
        });
    };
    let mut split = Split::default();
    let mut kept = Vec::new();
    for parameter in query.split('&').filter(|parameter| !parameter.is_empty()) {
        let (key, value) = parameter
            .split_once('=')
            .ok_or_else(|| format!("URL parameter {parameter:?} has no value"))?;
        let key = percent_decode(key)?;
        if keys.contains(&key.as_str()) {
            split.taken.push((key, percent_decode(value)?));
        } else {
            kept.push(parameter);
        }
    }
    split.rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(split)
}

/// Decodes `%XX` escapes (libpq does not read `+` as a space).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let byte = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("malformed percent escape in {text:?}"))?;
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

fn split_pairs(input: &str, keys: &[&str]) -> Result<Split, String> {
    let mut split = Split::default();
    let mut kept = Vec::new();
    let mut pairs = Pairs { input, at: 0 };
    while let Some(pair) = pairs.next_pair()? {
        if keys.contains(&pair.key) {
            split.taken.push((pair.key.to_owned(), pair.value));
        } else {
            kept.push(pair.raw);
        }
    }
    split.rest = kept.join(" ");
    Ok(split)
}

/// One `key=value` pair of a connection string.
struct Pair<'a> {
    key: &'a str,
    /// The value with its quotes and escapes resolved.
    value: String,
    /// The pair as written.
    raw: &'a str,
}

/// Reads `key = value` pairs as libpq does: whitespace around `=` is
/// allowed; a value is single-quoted or ends at whitespace; a backslash
/// escapes the next character.
struct Pairs<'a> {
    input: &'a str,
    at: usize,
}

impl<'a> Pairs<'a> {
    fn next_pair(&mut self) -> Result<Option<Pair<'a>>, String> {
        self.skip_whitespace();
        let start = self.at;
        if start == self.input.len() {
            return Ok(None);
        }
        let key_end = self.input[start..]
            .find(|c: char| c == '=' || c.is_whitespace())
            .map_or(self.input.len(), |offset| start + offset);
        let key = &self.input[start..key_end];
        self.at = key_end;
        self.skip_whitespace();
        if !self.input[self.at..].starts_with('=') {
            return Err(format!("setting {key:?} has no \"=\" after it"));
        }
        self.at += 1;
        self.skip_whitespace();
        let value = self.value(key)?;
        Ok(Some(Pair {
            key,
            value,
            raw: &self.input[start..self.at],
        }))
    }

    fn value(&mut self, key: &str) -> Result<String, String> {
        let quoted = self.input[self.at..].starts_with('\'');
        if quoted {
            self.at += 1;
        }
        let mut value = String::new();
        let mut chars = self.input[self.at..].char_indices();
        while let Some((offset, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => return Err(format!("the value of {key:?} ends in a backslash")),
                },
                '\'' if quoted => {
                    self.at += offset + 1;
                    return Ok(value);
                }
                c if c.is_whitespace() && !quoted => {
                    self.at += offset;
                    return Ok(value);
                }
                c => value.push(c),
            }
        }
        if quoted {
            return Err(format!("the value of {key:?} has no closing quote"));
        }
        self.at = self.input.len();
        Ok(value)
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.input[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KEYS: &[&str] = &["sslmode", "sslrootcert"];

    fn taken(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn takes_settings_out_of_a_url_and_keeps_the_rest_as_written() {
        let split = split(
            "postgres://app:p%40ss@db:5432/saas?sslmode=verify-full&application_name=web&sslrootcert=%2Fetc%2Fca%20x.pem",
            KEYS,
        )
        .unwrap();
        assert_eq!(
            split.taken,
            taken(&[("sslmode", "verify-full"), ("sslrootcert", "/etc/ca x.pem")])
        );
        assert_eq!(
            split.rest,
            "postgres://app:p%40ss@db:5432/saas?application_name=web"
        );
        let alone = super::split("postgresql://db/saas?sslmode=require", KEYS).unwrap();
        assert_eq!(alone.rest, "postgresql://db/saas");
    }

    #[test]
    fn takes_settings_out_of_key_value_pairs_with_quotes_and_escapes() {
        let split = split(
            r"host=db  sslrootcert = '/etc/my ca\'s.pem' user=app sslmode=require dbname=a\ b",
            KEYS,
        )
        .unwrap();
        assert_eq!(
            split.taken,
            taken(&[("sslrootcert", "/etc/my ca's.pem"), ("sslmode", "require")])
        );
        assert_eq!(split.rest, r"host=db user=app dbname=a\ b");
    }

    #[test]
    fn malformed_strings_are_refused() {
        for input in [
            "host=db sslmode",
            "host=db sslmode='require",
            r"sslmode=require\",
            "postgres://db/x?sslmode",
            "postgres://db/x?sslmode=%zz",
            "postgres://db/x?sslmode=%ff",
        ] {
            assert!(split(input, KEYS).is_err(), "{input}");
        }
    }

    /// A value written as a libpq key-value string would quote it.
    fn quote(value: &str) -> String {
        let escaped = value.replace('\\', r"\\").replace('\'', r"\'");
        format!("'{escaped}'")
    }

    fn encode(value: &str) -> String {
        value
            .bytes()
            .map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (byte as char).to_string()
                }
                byte => format!("%{byte:02X}"),
            })
            .collect()
    }

    proptest! {
        /// Whatever the values and their order, the taken settings come out
        /// decoded and the driver reads the rest as it would have read the
        /// whole string without them.
        #[test]
        fn both_forms_split_into_what_was_written(
            ours in proptest::collection::vec((0..KEYS.len(), "[ -~]{0,12}"), 0..3),
            application_name in "[a-z ']{1,10}",
            url_form: bool,
        ) {
            let ours: Vec<(String, String)> = ours
                .into_iter()
                .map(|(key, value)| (KEYS[key].to_owned(), value))
                .collect();
            let input = if url_form {
                let mut query: Vec<String> = ours
                    .iter()
                    .map(|(key, value)| format!("{key}={}", encode(value)))
                    .collect();
                query.insert(query.len() / 2, format!("application_name={}", encode(&application_name)));
                format!("postgres://app@db/saas?{}", query.join("&"))
            } else {
                let mut pairs: Vec<String> = ours
                    .iter()
                    .map(|(key, value)| format!("{key} = {}", quote(value)))
                    .collect();
                pairs.insert(pairs.len() / 2, format!("application_name={}", quote(&application_name)));
                format!("host=db user=app {}", pairs.join("  "))
            };
            let split = split(&input, KEYS).unwrap();
            prop_assert_eq!(&split.taken, &ours);
            let driver: tokio_postgres::Config = split.rest.parse().unwrap();
            prop_assert_eq!(driver.get_application_name(), Some(application_name.as_str()));
            prop_assert_eq!(driver.get_user(), Some("app"));
        }
    }
}
