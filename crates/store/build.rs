//! Embeds the SQL migrations: `src/db.rs` includes the generated list, so the binary carries
//! its schema and no procedural macro (with a second copy of every database driver) is built.

#![allow(clippy::panic)] // a build script reports failure by panicking

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let mut out = String::new();
    for backend in ["sqlite", "postgres"] {
        let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .join("migrations")
            .join(backend);
        let mut files: Vec<(i64, String, String)> = fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let (version, rest) = name.split_once('_')?;
                let description = rest.strip_suffix(".sql")?.replace('_', " ");
                let version = version
                    .parse()
                    .unwrap_or_else(|_| panic!("migration {name} must start with a number"));
                Some((version, description, entry.path().display().to_string()))
            })
            .collect();
        files.sort();
        let _ = writeln!(
            out,
            "pub(crate) static {}_MIGRATIONS: &[(i64, &str, &str)] = &[",
            backend.to_uppercase()
        );
        for (version, description, path) in files {
            let _ = writeln!(
                out,
                "    ({version}, {description:?}, include_str!({path:?})),"
            );
        }
        out.push_str("];\n");
    }
    let target = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("migrations.rs");
    fs::write(&target, out)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
}
