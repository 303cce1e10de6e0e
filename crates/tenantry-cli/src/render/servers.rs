//! The registry's servers as `tenantry servers list` prints them.

use serde::Serialize;
use tenantry_ops::RegisteredServer;

use super::table::Table;
use super::timestamp;

/// One server in the JSON output.
#[derive(Debug, Serialize)]
struct ServerLine<'a> {
    name: &'a str,
    /// Its URL, which holds no password.
    url: &'a str,
    added_by: &'a str,
    /// RFC 3339.
    added_at: String,
}

/// Prints `servers` as a table, or as one JSON document.
pub(crate) fn print(servers: &[RegisteredServer], json: bool) {
    if json {
        let lines: Vec<ServerLine> = servers
            .iter()
            .map(|server| ServerLine {
                name: &server.name,
                url: &server.url,
                added_by: &server.added_by,
                added_at: timestamp(server.added_at),
            })
            .collect();
        super::print_json(&lines);
        return;
    }
    let mut table = Table::new(&["NAME", "URL", "ADDED BY", "ADDED AT"]);
    for server in servers {
        table.row(vec![
            server.name.clone(),
            server.url.clone(),
            server.added_by.clone(),
            timestamp(server.added_at),
        ]);
    }
    if table.is_empty() {
        println!("no server is recorded in the registry");
    } else {
        print!("{}", table.render());
    }
}
