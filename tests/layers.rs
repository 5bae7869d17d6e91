//! The shape of the source tree, as ARCHITECTURE.md describes it: the module graph has
//! no cycle (between top-level modules, nor between the modules inside each), no source
//! file is over 1,000 lines, and one module alone loads Z3. Run with `--nocapture` to
//! print the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a source file may have.
const MAX_LINES: usize = 1_000;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A source file's module path (`src/checks/runner.rs` → `checks::runner`).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The text before the file's unit tests.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

/// Every module path a file names: `crate::a::b` and `super::x` (made absolute).
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        for seg in s.split("::") {
            let name: String = seg
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                break;
            }
            out.push(name);
            if !seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
        }
        out
    };
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        out.push(ident(&text[i + "crate::".len()..]));
    }
    // `super::` relative to the file's module (a `mod.rs` module's parent is one up).
    let mut from = 0;
    while let Some(i) = text[from..].find("super::") {
        let at = from + i;
        from = at + 1;
        if at > 0 && text[..at].ends_with("super::") {
            continue;
        }
        let mut ups = 0;
        let mut rest = &text[at..];
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if ups > module.len() {
            continue;
        }
        let mut path: Vec<String> = module[..module.len() - ups].to_vec();
        path.extend(ident(rest));
        out.push(path);
    }
    out
}

/// The module graph at `depth` (1: top-level modules; 2: modules inside each), known
/// modules only, without edges to a module's own ancestors or descendants.
fn graph(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let key = |p: &[String]| p[..p.len().min(depth)].join("::");
    let modules: Vec<(Vec<String>, String)> = files
        .iter()
        .map(|f| {
            (
                module_of(&root, f),
                std::fs::read_to_string(f).expect("a source file"),
            )
        })
        .filter(|(m, _)| !m.is_empty() && m[0] != "lib" && m[0] != "main")
        .collect();
    let known: BTreeSet<String> = modules.iter().map(|(m, _)| key(m)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, text) in &modules {
        let me = key(m);
        for r in references(m, without_tests(text)) {
            if r.is_empty() {
                continue;
            }
            let to = key(&r);
            let related = to == me
                || me.starts_with(&format!("{to}::"))
                || to.starts_with(&format!("{me}::"));
            if known.contains(&to) && !related {
                edges.entry(me.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A cycle of the graph, if it has one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        v: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(v.to_string(), 1);
        path.push(v.to_string());
        for w in edges.get(v).into_iter().flatten() {
            match state.get(w.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == w).unwrap_or(0);
                    let mut c = path[start..].to_vec();
                    c.push(w.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(w, edges, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(v.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for v in edges.keys() {
        if !state.contains_key(v.as_str())
            && let Some(c) = visit(v, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    for depth in [1, 2, 3] {
        let edges = graph(depth);
        if depth == 1 {
            for (from, to) in &edges {
                let to: Vec<&str> = to.iter().map(String::as_str).collect();
                println!("{from} -> {}", to.join(", "));
            }
        }
        assert_eq!(
            cycle(&edges),
            None,
            "a cycle between modules (depth {depth})"
        );
    }
}

#[test]
fn a_cycle_is_found() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn no_source_file_is_over_a_thousand_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut long: Vec<(usize, String)> = files
        .iter()
        .map(|f| {
            let n = std::fs::read_to_string(f)
                .expect("a source file")
                .lines()
                .count();
            (n, f.strip_prefix(&root).unwrap_or(f).display().to_string())
        })
        .collect();
    long.sort();
    for (n, f) in long.iter().rev().take(5) {
        println!("{n:5} {f}");
    }
    let over: Vec<_> = long.iter().filter(|(n, _)| *n > MAX_LINES).collect();
    assert!(over.is_empty(), "over {MAX_LINES} lines: {over:?}");
}

#[test]
fn one_module_alone_loads_z3() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let loading: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .expect("a source file")
                .contains("libloading::")
        })
        .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
        .collect();
    assert_eq!(loading, ["smt/backend.rs"]);
}
