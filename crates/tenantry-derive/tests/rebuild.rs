//! `cargo build` sees every change to a migrations directory that
//! `embed_migrations!` embeds: a changed or removed file through the
//! `include_str!` the macro emits for each file, and a new file through the
//! build script its documentation gives (`cargo:rerun-if-changed=<dir>`),
//! without which a new file is not seen.
//!
//! A scratch workspace under Cargo's temporary directory for tests (kept
//! between runs, so its dependencies build once) has two binaries embedding
//! the same directory, one with that build script and one without, and a
//! stand-in for the `tenantry` crate that the expansion names.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The stand-in for `tenantry::ops::migrate`: what the expansion calls.
const STAND_IN: &str = r#"
pub mod ops {
pub mod migrate {
    pub struct Migration {
        pub version: i64,
        pub name: &'static str,
        pub sql: &'static str,
    }
    impl Migration {
        pub const fn new(version: i64, name: &'static str, sql: &'static str) -> Self {
            Self { version, name, sql }
        }
    }
    pub struct MigrationSet(pub &'static [Migration]);
    impl MigrationSet {
        pub const fn new(migrations: &'static [Migration]) -> Self {
            Self(migrations)
        }
    }
}
}
"#;

/// Prints each embedded migration as `<version> <name> <sql>`.
const MAIN: &str = r#"
static SET: tenantry::ops::migrate::MigrationSet = tenantry_derive::embed_migrations!("../migrations");

fn main() {
    for migration in SET.0 {
        println!("{} {} {}", migration.version, migration.name, migration.sql);
    }
}
"#;

/// The build script the macro's documentation gives.
const BUILD_SCRIPT: &str = r#"
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
"#;

struct Scratch {
    root: PathBuf,
}

impl Scratch {
    /// The scratch workspace, its sources written anew, its migrations emptied.
    fn new() -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("embed_migrations_rebuild");
        let derive = Path::new(env!("CARGO_MANIFEST_DIR"));
        let _ = fs::remove_dir_all(root.join("migrations"));
        fs::create_dir_all(root.join("migrations")).unwrap();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"tenantry\", \"tracked\", \"untracked\"]\nresolver = \"3\"\n",
        );
        // The workspace's lock file, so the build resolves offline to the
        // versions already downloaded.
        fs::copy(derive.join("../../Cargo.lock"), root.join("Cargo.lock")).unwrap();
        write("tenantry/Cargo.toml", &manifest("tenantry", ""));
        write("tenantry/src/lib.rs", STAND_IN);
        let dependencies = format!(
            "tenantry = {{ path = \"../tenantry\" }}\ntenantry-derive = {{ path = {:?} }}\n",
            derive.display().to_string()
        );
        for binary in ["tracked", "untracked"] {
            write(
                &format!("{binary}/Cargo.toml"),
                &manifest(binary, &dependencies),
            );
            write(&format!("{binary}/src/main.rs"), MAIN);
        }
        write("tracked/build.rs", BUILD_SCRIPT);
        Self { root }
    }

    fn migration(&self, file: &str, sql: &str) {
        fs::write(self.root.join("migrations").join(file), sql).unwrap();
    }

    fn remove(&self, file: &str) {
        fs::remove_file(self.root.join("migrations").join(file)).unwrap();
    }

    /// Builds the workspace (as a user would, with `cargo build`), then runs
    /// `binary` without building it again: the migrations it embeds.
    fn embedded(&self, binary: &str) -> Vec<String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let built = Command::new(&cargo)
            .args(["build", "--offline", "--quiet"])
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", self.root.join("target"))
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let ran = Command::new(self.root.join("target/debug").join(binary))
            .output()
            .unwrap();
        assert!(ran.status.success());
        String::from_utf8(ran.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn manifest(name: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependencies}"
    )
}

#[test]
fn new_changed_and_removed_migration_files_are_rebuilt_into_the_set() {
    let scratch = Scratch::new();
    scratch.migration("0001_first.sql", "SELECT 1");
    // The first build: both binaries embed the one file.
    for binary in ["tracked", "untracked"] {
        assert_eq!(scratch.embedded(binary), ["1 first SELECT 1"]);
    }

    scratch.migration("0002_second.sql", "SELECT 2");
    assert_eq!(
        scratch.embedded("tracked"),
        ["1 first SELECT 1", "2 second SELECT 2"],
        "the build script makes a new file rebuild the set"
    );
    assert_eq!(
        scratch.embedded("untracked"),
        ["1 first SELECT 1"],
        "without it, a new file is not seen: the documented limit"
    );

    // The untracked binary sees the new file once anything it embeds changes.
    scratch.migration("0001_first.sql", "SELECT 10");
    for binary in ["tracked", "untracked"] {
        assert_eq!(
            scratch.embedded(binary),
            ["1 first SELECT 10", "2 second SELECT 2"]
        );
    }

    scratch.remove("0002_second.sql");
    for binary in ["tracked", "untracked"] {
        assert_eq!(scratch.embedded(binary), ["1 first SELECT 10"]);
    }
}
