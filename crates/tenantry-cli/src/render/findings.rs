//! What `tenantry verify` found, per server.

use serde::Serialize;

/// The findings of one server, as messages.
#[derive(Debug, Serialize)]
pub(crate) struct ServerFindings {
    /// The server's name.
    pub(crate) server: String,
    /// One line per finding.
    pub(crate) findings: Vec<String>,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    clean: bool,
    findings: usize,
    servers: &'a [ServerFindings],
}

/// The total number of findings.
pub(crate) fn count(servers: &[ServerFindings]) -> usize {
    servers.iter().map(|server| server.findings.len()).sum()
}

/// Prints every server's findings as one JSON document.
pub(crate) fn print_json(servers: &[ServerFindings]) {
    let findings = count(servers);
    super::print_json(&Document {
        clean: findings == 0,
        findings,
        servers,
    });
}

/// One line per finding, prefixed with its server, then a total.
pub(crate) fn text(servers: &[ServerFindings]) -> String {
    let mut out = String::new();
    for server in servers {
        for finding in &server.findings {
            out.push_str(&format!("{}: {finding}\n", server.server));
        }
    }
    let total = count(servers);
    let checked = servers.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "{} on {}\n",
        plural(total, "finding"),
        plural(checked, "server")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_finding_is_one_line_naming_its_server() {
        let servers = [
            ServerFindings {
                server: "main".to_owned(),
                findings: vec!["public.notes has no row-level security".to_owned()],
            },
            ServerFindings {
                server: "eu-1".to_owned(),
                findings: Vec::new(),
            },
        ];
        assert_eq!(
            text(&servers),
            "main: public.notes has no row-level security\n1 finding on 2 servers\n"
        );
    }
}
