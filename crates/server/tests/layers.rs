//! The server's dependency rule, read from its source: the flows (the application) never
//! import a surface (`http`) or a worker (`workers`), the bank crates are named only by the
//! channel registry (`channels`), and no two of the server's modules import each other, however
//! long the way round.
//!
//! A module here is a top-level module of the crate, or for `flows`, `http` and `workers` one
//! of their own modules (`flows::refunds`, `http::api`, `workers::notifier`): what those layers
//! hold side by side must not form circles either.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers whose modules count one by one.
const SPLIT_LAYERS: [&str; 3] = ["flows", "http", "workers"];

#[test]
fn flows_import_no_surface_and_no_worker() {
    let graph = Graph::read();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        if from.first().map(String::as_str) != Some("flows") {
            continue;
        }
        for to in targets {
            if matches!(
                to.first().map(String::as_str),
                Some("http" | "workers" | "app")
            ) {
                wrong.push(format!("{} imports {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the flows layer depends on a surface or worker: {wrong:#?}"
    );
}

#[test]
fn no_import_circles_between_server_modules() {
    let graph = Graph::read();
    let circles = graph.circles();
    assert!(
        circles.is_empty(),
        "modules that import each other (each list is one circle): {circles:#?}"
    );
}

#[test]
fn only_the_registry_names_a_bank_crate() {
    let mut naming = Vec::new();
    for (module, text) in &Graph::read().sources {
        let outside_registry = module.first().map(String::as_str) != Some("channels");
        // The fuzz entry points build an ABC message to feed the parsers; they are not a path
        // any request takes.
        let fuzz = module.first().map(String::as_str) == Some("fuzz");
        if outside_registry && !fuzz && text.contains("unipay_channel_abc") {
            naming.push(module.join("::"));
        }
    }
    assert!(
        naming.is_empty(),
        "modules outside `channels` that name a bank: {naming:?}"
    );
}

#[test]
fn the_reader_sees_known_edges() {
    // Guards the test itself: a reader that found nothing would pass every rule.
    let graph = Graph::read();
    let edges = |from: &[&str]| {
        let from: Vec<String> = from.iter().map(|s| s.to_string()).collect();
        graph.edges.get(&from).cloned().unwrap_or_default()
    };
    let state = vec!["state".to_string()];
    assert!(edges(&["flows", "refunds"]).contains(&state));
    assert!(edges(&["http", "api"]).contains(&vec!["flows".to_string(), "refunds".to_string()]));
    assert!(edges(&["workers", "notifier"]).contains(&state));
    assert!(
        graph.edges.len() > 20,
        "modules read: {}",
        graph.edges.len()
    );
}

struct Graph {
    /// Module → the modules its code names.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    /// Module → its source, comments removed.
    sources: Vec<(Vec<String>, String)>,
}

impl Graph {
    fn read() -> Graph {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let modules: BTreeSet<Vec<String>> =
            files.iter().map(|file| module_path(&src, file)).collect();
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        let mut sources = Vec::new();
        for file in &files {
            let module = module_path(&src, file);
            if module.is_empty() {
                continue; // lib.rs: the crate root declares and re-exports, it is not a layer
            }
            // A module of tests may put the whole application together (`app::router`); it is
            // not part of any layer.
            if module
                .last()
                .is_some_and(|name| name == "tests" || name.ends_with("_tests"))
            {
                continue;
            }
            let text = without_comments(&std::fs::read_to_string(file).expect("reads source"));
            let from = unit(&module, &modules);
            let is_mod_file = file.file_name().is_some_and(|n| n == "mod.rs");
            for path in referenced_paths(&text, &module, is_mod_file, &modules) {
                let to = unit(&path, &modules);
                if to != from && !to.is_empty() {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
            edges.entry(from).or_default();
            sources.push((module, text));
        }
        Graph { edges, sources }
    }

    /// Every strongly connected set of more than one module (Tarjan's algorithm).
    fn circles(&self) -> Vec<Vec<String>> {
        struct Walk<'a> {
            graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
            index: BTreeMap<&'a Vec<String>, usize>,
            low: BTreeMap<&'a Vec<String>, usize>,
            stack: Vec<&'a Vec<String>>,
            on_stack: BTreeSet<&'a Vec<String>>,
            found: Vec<Vec<String>>,
        }
        impl<'a> Walk<'a> {
            fn visit(&mut self, node: &'a Vec<String>) {
                let at = self.index.len();
                self.index.insert(node, at);
                self.low.insert(node, at);
                self.stack.push(node);
                self.on_stack.insert(node);
                for next in self.graph.get(node).into_iter().flatten() {
                    if !self.graph.contains_key(next) {
                        continue;
                    }
                    if !self.index.contains_key(next) {
                        self.visit(next);
                        let low = self.low[node].min(self.low[next]);
                        self.low.insert(node, low);
                    } else if self.on_stack.contains(next) {
                        let low = self.low[node].min(self.index[next]);
                        self.low.insert(node, low);
                    }
                }
                if self.low[node] == self.index[node] {
                    let mut members = Vec::new();
                    while let Some(member) = self.stack.pop() {
                        self.on_stack.remove(member);
                        members.push(member.join("::"));
                        if member == node {
                            break;
                        }
                    }
                    if members.len() > 1 {
                        members.sort();
                        self.found.push(members);
                    }
                }
            }
        }
        let mut walk = Walk {
            graph: &self.edges,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for node in self.edges.keys() {
            if !walk.index.contains_key(node) {
                walk.visit(node);
            }
        }
        walk.found
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads the source folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/flows/refunds.rs` → `flows::refunds`; `src/flows/mod.rs` → `flows`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The module a path counts toward: the longest module prefix it names, cut to one level, or
/// two inside the split layers.
fn unit(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut known = Vec::new();
    for length in (1..=path.len()).rev() {
        if modules.contains(&path[..length].to_vec()) {
            known = path[..length].to_vec();
            break;
        }
    }
    let depth = match known.first() {
        Some(layer) if SPLIT_LAYERS.contains(&layer.as_str()) => 2,
        _ => 1,
    };
    known.truncate(depth);
    known
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate-absolute paths a file's code names: `crate::a::b`, `super::…` resolved, the
/// items of `use crate::{…}` groups, and a `mod.rs` naming its own child modules.
fn referenced_paths(
    text: &str,
    module: &[String],
    is_mod_file: bool,
    modules: &BTreeSet<Vec<String>>,
) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        expand(&text[at + "crate::".len()..], Vec::new(), &mut found);
    }
    for (at, _) in text.match_indices("super::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        // `super` of `a::b` (a file b.rs) is `a`; of a mod.rs module `a::b` it is `a` too.
        let mut base = module.to_vec();
        base.pop();
        let mut rest = &text[at + "super::".len()..];
        while let Some(next) = rest.strip_prefix("super::") {
            base.pop();
            rest = next;
        }
        expand(rest, base, &mut found);
    }
    // A module imported by name (`use crate::flows;`) is then named through it
    // (`flows::refunds::send`).
    let imported: Vec<Vec<String>> = found.clone();
    for path in imported {
        let Some(name) = path.last() else { continue };
        for (at, _) in text.match_indices(&format!("{name}::")) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            expand(&text[at + name.len() + 2..], path.clone(), &mut found);
        }
    }
    if is_mod_file {
        for child in modules
            .iter()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        {
            let name = &child[module.len()];
            let named = text.match_indices(&format!("{name}::")).any(|(at, _)| {
                !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if named {
                found.push(child.clone());
            }
        }
    }
    found
}

/// Reads one path (or `{…}` group of paths) from the start of `text`, after `prefix`.
fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                for item in split_group(group) {
                    let item = item.trim();
                    if item == "self" {
                        out.push(path.clone());
                    } else {
                        expand(item, path.clone(), out);
                    }
                }
                return;
            }
            break;
        }
        rest = &rest[name.len()..];
        path.push(name);
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The comma-separated items of a `{…}` group (nested groups kept whole), up to its `}`.
fn split_group(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&text[start..at]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items
}
