//! The `tenantry` command. It embeds no migrations: `tenantry migrate`
//! reads them from `--migrations DIR` when it runs.

fn main() -> std::process::ExitCode {
    tenantry_cli::main_with(None)
}
