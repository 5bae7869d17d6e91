//! Finitization (DESIGN.md §4): the values a variable can take are split into finitely
//! many regions, each with one witness, such that every atom the policies state about
//! the variable is constant over a region.
//!
//! Strings: breadth-first search over the product automaton of all globs on the
//! variable (sparse subset construction over the characters the live patterns name, plus
//! one representative for every other character); one shortest witness per acceptance
//! signature. Numbers, dates and IP addresses: every cell of the line cut by the policy's
//! constants contains one of a few candidate points next to a constant.

use std::collections::{BTreeSet, HashMap};

use rustc_hash::{FxHashMap, FxHashSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;
use rust_decimal::Decimal;

use crate::pattern::Tok;

/// A glob on a string variable. `folded` globs are matched against the lower-cased value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StrGlob {
    pub toks: Vec<Tok>,
    pub folded: bool,
}

/// Characters whose lower case is another single character, by that character, plus the
/// characters whose lower case is longer than one character.
type FoldTable = (HashMap<char, Vec<char>>, Vec<char>);

fn fold_table() -> &'static FoldTable {
    static TABLE: OnceLock<FoldTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut pre: HashMap<char, Vec<char>> = HashMap::new();
        let mut multi = Vec::new();
        for c in (0u32..=0x10FFFF).filter_map(char::from_u32) {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l != c => pre.entry(l).or_default().push(c),
                (Some(_), Some(_)) => multi.push(c),
                _ => {}
            }
        }
        (pre, multi)
    })
}

/// Every character `c` whose lower case is `l` (including `l` itself).
pub fn case_variants(l: char) -> Vec<char> {
    let mut out = vec![l];
    if let Some(p) = fold_table().0.get(&l) {
        out.extend(p.iter().copied());
    }
    out
}

type Pair = u64;

fn pair(glob: usize, pos: usize) -> Pair {
    ((glob as u64) << 32) | pos as u64
}

fn unpair(p: Pair) -> (usize, usize) {
    ((p >> 32) as usize, (p & 0xFFFF_FFFF) as usize)
}

struct Product<'a> {
    globs: &'a [StrGlob],
    /// Values are lower-cased before every glob sees them: step globs directly.
    folded_domain: bool,
}

impl Product<'_> {
    /// Adds the positions reachable by skipping stars.
    fn close(&self, g: usize, mut pos: usize, out: &mut Vec<Pair>) {
        let toks = &self.globs[g].toks;
        out.push(pair(g, pos));
        while pos < toks.len() && toks[pos].is_star() {
            pos += 1;
            out.push(pair(g, pos));
        }
    }

    fn step_char(&self, g: usize, pos: usize, c: char, out: &mut Vec<Pair>) {
        let toks = &self.globs[g].toks;
        let Some(&tok) = toks.get(pos) else { return };
        if tok.is_star() {
            if tok.star_accepts(c) {
                self.close(g, pos, out);
            }
        } else if tok.accepts(c) {
            self.close(g, pos + 1, out);
        }
    }

    fn step(&self, state: &[Pair], c: char) -> Vec<Pair> {
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        for &p in state {
            let (g, pos) = unpair(p);
            if self.folded_domain || !self.globs[g].folded {
                self.step_char(g, pos, c, &mut out);
            } else {
                let mut current = vec![pos];
                for l in c.to_lowercase() {
                    scratch.clear();
                    for &q in &current {
                        self.step_char(g, q, l, &mut scratch);
                    }
                    current = scratch.iter().map(|&x| unpair(x).1).collect();
                    current.sort_unstable();
                    current.dedup();
                }
                out.extend(current.into_iter().map(|q| pair(g, q)));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn signature(&self, state: &[Pair]) -> Vec<u32> {
        let mut sig: Vec<u32> = state
            .iter()
            .map(|&p| unpair(p))
            .filter(|&(g, pos)| pos == self.globs[g].toks.len())
            .map(|(g, _)| g as u32)
            .collect();
        sig.dedup();
        sig
    }

    /// The characters worth trying from a state: those some live pair names, `:` when a
    /// colon-bounded wildcard is live; every other character acts like `other`.
    fn candidates(&self, state: &[Pair], other: char, multi: &[char]) -> BTreeSet<char> {
        let mut out = BTreeSet::new();
        out.insert(other);
        let mut folded_live = false;
        for &p in state {
            let (g, pos) = unpair(p);
            let glob = &self.globs[g];
            match glob.toks.get(pos) {
                Some(Tok::Lit(c)) => {
                    if glob.folded && !self.folded_domain {
                        out.extend(case_variants(*c));
                        folded_live = true;
                    } else {
                        out.insert(*c);
                    }
                }
                Some(Tok::AnyNoColon | Tok::StarNoColon) => {
                    out.insert(':');
                }
                _ => {}
            }
            if glob.folded && !self.folded_domain {
                folded_live = true;
            }
        }
        if folded_live {
            out.extend(multi.iter().copied());
        }
        out
    }
}

/// One shortest witness per distinct acceptance signature of `globs`, or `None` when the
/// exploration exceeds `max_states`.
pub fn string_witnesses(globs: &[StrGlob], max_states: usize) -> Option<Vec<String>> {
    string_regions(globs, max_states).map(|r| r.into_iter().map(|(w, _)| w).collect())
}

/// Witnesses with their signatures for the given `samples` only: one per distinct
/// signature among them, the first sample that has it. An under-approximation of
/// [`string_regions`] (values outside the samples may have other signatures), for
/// queries whose answer only counts when it is a counterexample that replays.
///
/// A glob is tested only on the samples that begin with its literal prefix, so a few
/// hundred globs against the 18,000 known actions cost well under a second.
pub fn sampled_regions(globs: &[StrGlob], samples: &[String]) -> Vec<(String, Vec<u32>)> {
    let prefix = |g: &StrGlob| -> String {
        g.toks
            .iter()
            .map_while(|t| match t {
                Tok::Lit(c) => Some(*c),
                _ => None,
            })
            .collect()
    };
    // Globs by the text before the first `:` of their literal prefix (the service of
    // an action pattern); the rest are tried on every sample.
    let mut by_head: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    let mut general: Vec<(usize, String)> = Vec::new();
    for (i, g) in globs.iter().enumerate() {
        let p = prefix(g);
        match p.split_once(':') {
            Some((head, _)) => by_head.entry(head.to_string()).or_default().push((i, p)),
            None => general.push((i, p)),
        }
    }
    let compiled: Vec<crate::pattern::Glob> = globs
        .iter()
        .map(|g| crate::pattern::Glob {
            toks: g.toks.clone(),
        })
        .collect();
    let mut seen: FxHashSet<Vec<u32>> = FxHashSet::default();
    let mut out = Vec::new();
    let literals = compiled.iter().filter_map(crate::pattern::Glob::as_literal);
    for sample in samples.iter().cloned().chain(literals) {
        let folded = crate::pattern::fold(&sample);
        let head = |t: &str| {
            t.split_once(':')
                .map_or(String::new(), |(h, _)| h.to_string())
        };
        let (folded_head, raw_head) = (head(&folded), head(&sample));
        let candidates = general
            .iter()
            .chain(by_head.get(&folded_head).into_iter().flatten())
            .chain(
                by_head
                    .get(&raw_head)
                    .filter(|_| raw_head != folded_head)
                    .into_iter()
                    .flatten(),
            );
        let mut signature: Vec<u32> = candidates
            .filter(|(i, p)| {
                let text = if globs[*i].folded { &folded } else { &sample };
                text.starts_with(p.as_str()) && compiled[*i].matches(text)
            })
            .map(|(i, _)| *i as u32)
            .collect();
        signature.sort_unstable();
        if seen.insert(signature.clone()) {
            out.push((sample, signature));
        }
    }
    out
}

/// Witnesses with their signatures: the sorted indices of the globs that accept them.
///
/// Literal globs that need no case variants are kept in a trie beside the product
/// automaton of the others: a search state is (product state, trie node), so a list of
/// 20,000 literal actions costs one state per trie node instead of 20,000 live pairs in
/// every state. Product states are interned and their transitions cached.
pub fn string_regions(globs: &[StrGlob], max_states: usize) -> Option<Vec<(String, Vec<u32>)>> {
    let folded_domain = globs.iter().all(|g| g.folded);
    let mut named: FxHashSet<char> = FxHashSet::default();
    for g in globs {
        for t in &g.toks {
            if let Tok::Lit(c) = t {
                named.insert(*c);
                if g.folded && !folded_domain {
                    named.extend(case_variants(*c));
                }
            }
        }
    }
    let other = "xqzjkvw0123456789_~#%&"
        .chars()
        .chain((0xE0u32..0x2FFF).filter_map(char::from_u32))
        .find(|c| !named.contains(c) && *c != ':' && c.to_lowercase().eq([*c]))?;
    let multi: Vec<char> = if folded_domain || !globs.iter().any(|g| g.folded) {
        Vec::new()
    } else {
        fold_table().1.clone()
    };

    // Literals stepped character by character (no case variants needed) go to the trie.
    // The literals borrow their globs' tokens (all `Tok::Lit`, which order as their
    // characters do): a 20,000-action policy copies no text here.
    let mut literals: Vec<(&[Tok], u32)> = Vec::new();
    let mut automaton_globs = Vec::new();
    let mut automaton_ids = Vec::new();
    for (i, g) in globs.iter().enumerate() {
        let literal = g.toks.iter().all(|t| matches!(t, Tok::Lit(_)));
        if literal && (folded_domain || !g.folded) {
            literals.push((&g.toks, i as u32));
        } else {
            automaton_globs.push(g.clone());
            automaton_ids.push(i as u32);
        }
    }
    let mut product = Interned::new(
        Product {
            globs: &automaton_globs,
            folded_domain,
        },
        automaton_ids,
        other,
        multi,
    );
    if product.is_absorbing(0) {
        return Some(absorbing_regions(&product, &literals, other));
    }
    let trie = FrozenTrie::new(&mut literals);

    // Breadth-first search over (product state, trie node). A trie node is reached by
    // one string only, so only off-trie states need a `seen` mark; witnesses are kept as
    // parent links and spelled out only for new signatures.
    const NO_NODE: u32 = u32::MAX;
    let mut seen_off_trie: Vec<bool> = Vec::new();
    let mut recorded: Vec<bool> = Vec::new();
    let mut signatures: FxHashSet<Vec<u32>> = FxHashSet::default();
    let mut witnesses: Vec<(String, Vec<u32>)> = Vec::new();
    // Search nodes: (product state, trie node, parent search node, last character).
    // Every trie node is visited once; sizing the queue for them up front saves the
    // copies (and fresh pages) of repeated doubling.
    let mut nodes: Vec<(u32, u32, u32, char)> = Vec::with_capacity(trie.len() + 1024);
    nodes.push((0, 0, u32::MAX, '\0'));
    let mut next_index = 0usize;
    let spell = |nodes: &[(u32, u32, u32, char)], mut i: u32| {
        let mut chars = Vec::new();
        while nodes[i as usize].2 != u32::MAX {
            chars.push(nodes[i as usize].3);
            i = nodes[i as usize].2;
        }
        chars.into_iter().rev().collect::<String>()
    };
    let (mut candidates, mut merged) = (Vec::new(), Vec::new());
    while next_index < nodes.len() {
        let me = next_index as u32;
        let (state, node, _, _) = nodes[next_index];
        next_index += 1;
        let ends: &[u32] = if node == NO_NODE {
            &[]
        } else {
            trie.ends(node)
        };
        if ends.is_empty() {
            if recorded.len() <= state as usize {
                recorded.resize(state as usize + 1, false);
            }
            if !recorded[state as usize] {
                recorded[state as usize] = true;
                let sig = product.signature(state).to_vec();
                if signatures.insert(sig.clone()) {
                    witnesses.push((spell(&nodes, me), sig));
                }
            }
        } else {
            let mut sig = product.signature(state).to_vec();
            sig.extend_from_slice(ends);
            sig.sort_unstable();
            sig.dedup();
            if !signatures.contains(&sig) {
                signatures.insert(sig.clone());
                // A trie node's string is the literal that ends there.
                let text = literals[trie.text_of[node as usize] as usize].0;
                witnesses.push((text.iter().map(|t| lit_char(*t)).collect(), sig));
            }
        }
        if product.is_dead(state) && node == NO_NODE {
            continue;
        }
        let kids: &[(char, u32)] = if node == NO_NODE {
            &[]
        } else {
            trie.children(node)
        };
        candidates.clear();
        candidates.extend_from_slice(product.candidates(state));
        merge_chars(&candidates, kids, &mut merged);
        for &(c, next_node) in &merged {
            let next_state = product.step(state, c);
            if next_node == NO_NODE {
                let i = next_state as usize;
                if seen_off_trie.len() <= i {
                    seen_off_trie.resize(i + 1, false);
                }
                if seen_off_trie[i] {
                    continue;
                }
                seen_off_trie[i] = true;
            }
            // Trie states are bounded by the literals' length; the budget is for the
            // product automaton, where subset construction can explode.
            if product.states.len() > max_states {
                return None;
            }
            nodes.push((next_state, next_node, me, c));
        }
    }
    Some(witnesses)
}

/// Regions when the automaton's start state never changes (no glob besides the literals,
/// or only stars that take every character, as `*`): every string has the start
/// state's signature, so each distinct literal is a region with its own literal globs
/// added, and one string that is no literal stands for the rest. A 20,000-literal list
/// then needs no trie (building it was most of the region time: each level reads every
/// literal again).
fn absorbing_regions(
    product: &Interned<'_>,
    literals: &[(&[Tok], u32)],
    other: char,
) -> Vec<(String, Vec<u32>)> {
    // Spelled first (each is a witness anyway) and sorted as strings: byte order is
    // character order, and comparing bytes is faster than comparing tokens.
    let mut spelled: Vec<(String, u32)> = literals
        .iter()
        .map(|(t, id)| (t.iter().map(|t| lit_char(*t)).collect(), *id))
        .collect();
    spelled.sort_unstable();
    let base = product.signature(0);
    let mut out = Vec::with_capacity(spelled.len() + 1);
    // `other` is named by no glob, so no literal contains it.
    let empty_is_literal = spelled.first().is_some_and(|(t, _)| t.is_empty());
    let rest = if empty_is_literal {
        other.to_string()
    } else {
        String::new()
    };
    out.push((rest, base.to_vec()));
    let mut spelled = spelled.into_iter().peekable();
    while let Some((text, id)) = spelled.next() {
        let mut sig = base.to_vec();
        sig.push(id);
        while let Some((_, more)) = spelled.next_if(|(t, _)| *t == text) {
            sig.push(more);
        }
        sig.sort_unstable();
        sig.dedup();
        out.push((text, sig));
    }
    out
}

/// The union of a state's candidate characters and a trie node's children (both
/// sorted), each with the trie child it leads to (`u32::MAX`: off the trie).
fn merge_chars(candidates: &[char], kids: &[(char, u32)], out: &mut Vec<(char, u32)>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < candidates.len() || j < kids.len() {
        match (candidates.get(i), kids.get(j)) {
            (Some(&c), Some(&(k, n))) if c == k => {
                out.push((c, n));
                i += 1;
                j += 1;
            }
            (Some(&c), Some(&(k, _))) if c < k => {
                out.push((c, u32::MAX));
                i += 1;
            }
            (Some(&c), None) => {
                out.push((c, u32::MAX));
                i += 1;
            }
            (_, Some(&(k, n))) => {
                out.push((k, n));
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// The character of a literal token (the trie holds nothing else).
fn lit_char(t: Tok) -> char {
    match t {
        Tok::Lit(c) => c,
        _ => '\0',
    }
}

fn common_prefix(a: &[Tok], b: &[Tok]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A trie of literal globs, numbered in breadth-first order with flat arrays, so that
/// the breadth-first search reads it front to back. Built from the sorted literals by
/// splitting ranges on the next character: no per-node allocation.
struct FrozenTrie {
    kids_start: Vec<u32>,
    kids: Vec<(char, u32)>,
    ends_start: Vec<u32>,
    ends: Vec<u32>,
    /// For each node that ends a literal, its index in the sorted literals (else
    /// `u32::MAX`); the literals themselves are not copied.
    text_of: Vec<u32>,
}

impl FrozenTrie {
    fn new(literals: &mut [(&[Tok], u32)]) -> FrozenTrie {
        literals.sort_unstable();
        // The node count, known before building: the root plus, for each literal, the
        // characters it does not share with its predecessor. Exact capacities keep the
        // arrays from growing by doubling (copies and fresh pages).
        let mut count = 1;
        for (i, (text, _)) in literals.iter().enumerate() {
            let shared = match i.checked_sub(1) {
                Some(p) => common_prefix(literals[p].0, text),
                None => 0,
            };
            count += text.len() - shared;
        }
        let mut t = FrozenTrie {
            kids_start: Vec::with_capacity(count + 1),
            kids: Vec::with_capacity(count),
            ends_start: Vec::with_capacity(count + 1),
            ends: Vec::with_capacity(literals.len()),
            text_of: Vec::with_capacity(count),
        };
        // Node i covers literals[lo..hi], which share their first `depth` characters.
        let mut queue: Vec<(u32, u32, u32)> = Vec::with_capacity(count);
        queue.push((0, literals.len() as u32, 0));
        let mut i = 0;
        while i < queue.len() {
            let (lo, hi, depth) = queue[i];
            let (mut lo, hi, depth) = (lo as usize, hi as usize, depth as usize);
            i += 1;
            t.ends_start.push(t.ends.len() as u32);
            t.kids_start.push(t.kids.len() as u32);
            let mut text = u32::MAX;
            while lo < hi && literals[lo].0.len() == depth {
                t.ends.push(literals[lo].1);
                if text == u32::MAX {
                    text = lo as u32;
                }
                lo += 1;
            }
            t.text_of.push(text);
            while lo < hi {
                let c = literals[lo].0[depth];
                let mut end = lo;
                while end < hi && literals[end].0[depth] == c {
                    end += 1;
                }
                t.kids.push((lit_char(c), queue.len() as u32));
                queue.push((lo as u32, end as u32, depth as u32 + 1));
                lo = end;
            }
        }
        t.ends_start.push(t.ends.len() as u32);
        t.kids_start.push(t.kids.len() as u32);
        debug_assert_eq!(t.len(), count, "the trie's node count");
        t
    }

    /// The number of nodes.
    fn len(&self) -> usize {
        self.text_of.len()
    }

    fn children(&self, node: u32) -> &[(char, u32)] {
        let n = node as usize;
        &self.kids[self.kids_start[n] as usize..self.kids_start[n + 1] as usize]
    }

    fn ends(&self, node: u32) -> &[u32] {
        let n = node as usize;
        &self.ends[self.ends_start[n] as usize..self.ends_start[n + 1] as usize]
    }
}

/// Interned product states: each with its signature (in original glob ids), its
/// candidate characters and a cache of its transitions.
struct Interned<'a> {
    product: Product<'a>,
    ids: Vec<u32>,
    other: char,
    multi: Vec<char>,
    states: Vec<Vec<Pair>>,
    index: FxHashMap<Vec<Pair>, u32>,
    signatures: Vec<Vec<u32>>,
    candidates: Vec<Vec<char>>,
    transitions: FxHashMap<(u32, char), u32>,
}

impl<'a> Interned<'a> {
    fn new(product: Product<'a>, ids: Vec<u32>, other: char, multi: Vec<char>) -> Self {
        let mut start = Vec::new();
        for g in 0..product.globs.len() {
            product.close(g, 0, &mut start);
        }
        start.sort_unstable();
        start.dedup();
        let mut me = Interned {
            product,
            ids,
            other,
            multi,
            states: Vec::new(),
            index: FxHashMap::default(),
            signatures: Vec::new(),
            candidates: Vec::new(),
            transitions: FxHashMap::default(),
        };
        me.intern(start);
        me
    }

    fn intern(&mut self, state: Vec<Pair>) -> u32 {
        if let Some(&id) = self.index.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        let mut sig: Vec<u32> = self
            .product
            .signature(&state)
            .into_iter()
            .map(|g| self.ids[g as usize])
            .collect();
        sig.sort_unstable();
        self.signatures.push(sig);
        self.candidates.push(
            self.product
                .candidates(&state, self.other, &self.multi)
                .into_iter()
                .collect(),
        );
        self.index.insert(state.clone(), id);
        self.states.push(state);
        id
    }

    fn signature(&self, id: u32) -> &[u32] {
        &self.signatures[id as usize]
    }

    fn candidates(&self, id: u32) -> &[char] {
        &self.candidates[id as usize]
    }

    /// Whether every character leads from the state back to itself (the candidates
    /// stand for all characters).
    fn is_absorbing(&mut self, id: u32) -> bool {
        let candidates = self.candidates(id).to_vec();
        candidates.into_iter().all(|c| self.step(id, c) == id)
    }

    fn is_dead(&self, id: u32) -> bool {
        self.states[id as usize].is_empty()
    }

    fn step(&mut self, id: u32, c: char) -> u32 {
        if let Some(&next) = self.transitions.get(&(id, c)) {
            return next;
        }
        let next = self.product.step(&self.states[id as usize], c);
        let next = self.intern(next);
        self.transitions.insert((id, c), next);
        next
    }
}

/// Candidate numbers: each constant, a point between neighbours, one below and one
/// above, and a value that is not a number.
pub fn number_candidates(consts: &[Decimal]) -> Vec<String> {
    let mut sorted: Vec<Decimal> = consts.iter().map(|d| d.normalize()).collect();
    sorted.sort();
    sorted.dedup();
    let mut out = vec!["not-a-number".to_string()];
    let mut push = |d: Option<Decimal>| {
        if let Some(d) = d {
            out.push(d.normalize().to_string());
        }
    };
    if let Some(first) = sorted.first() {
        push(first.checked_sub(Decimal::ONE));
    }
    if let Some(last) = sorted.last() {
        push(last.checked_add(Decimal::ONE));
    }
    for (i, c) in sorted.iter().enumerate() {
        push(Some(*c));
        if let Some(next) = sorted.get(i + 1) {
            push(
                c.checked_add(*next)
                    .and_then(|s| s.checked_div(Decimal::TWO)),
            );
        }
    }
    out
}

/// Formats milliseconds since the epoch so that `parse_date` reads it back exactly.
pub fn format_date(ms: i64) -> Option<String> {
    use chrono::{DateTime, SecondsFormat};
    let text = DateTime::from_timestamp_millis(ms)?.to_rfc3339_opts(SecondsFormat::Millis, true);
    (crate::policy::condition::parse_date(&text) == Some(ms)).then_some(text)
}

/// Candidate dates (in milliseconds): each constant and its neighbours, an instant far
/// after every constant, and a value that is not a date.
pub fn date_candidates(consts: &[i64]) -> Vec<String> {
    let mut out = vec!["not-a-date".to_string()];
    let mut max = 0i64;
    for &c in consts {
        max = max.max(c);
        for d in [c.checked_sub(1), Some(c), c.checked_add(1)]
            .into_iter()
            .flatten()
        {
            out.extend(format_date(d));
        }
    }
    // Epoch seconds parse without any calendar bound.
    out.push((max.div_euclid(1000).saturating_add(1)).to_string());
    out
}

/// Candidate addresses: each network's first address and the first address after it,
/// the lowest addresses of both families, and a value that is not an address.
pub fn ip_candidates(nets: &[IpNet]) -> Vec<String> {
    let mut out = vec![
        "not-an-address".to_string(),
        "0.0.0.0".to_string(),
        "::".to_string(),
    ];
    for n in nets {
        let first = n.network();
        out.push(first.to_string());
        let after: Option<IpAddr> = match n.broadcast() {
            IpAddr::V4(b) => u32::from(b).checked_add(1).map(|v| IpAddr::V4(v.into())),
            IpAddr::V6(b) => u128::from(b).checked_add(1).map(|v| IpAddr::V6(v.into())),
        };
        out.extend(after.map(|a| a.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{Syntax, Template};

    fn glob(p: &str, syntax: Syntax, folded: bool) -> StrGlob {
        StrGlob {
            toks: Template::parse(p, syntax, folded, false)
                .unwrap()
                .glob()
                .unwrap()
                .toks,
            folded,
        }
    }

    fn signatures(globs: &[StrGlob], witnesses: &[String]) -> BTreeSet<Vec<bool>> {
        witnesses
            .iter()
            .map(|w| {
                globs
                    .iter()
                    .map(|g| {
                        let text = if g.folded {
                            w.to_lowercase()
                        } else {
                            w.clone()
                        };
                        crate::pattern::Glob {
                            toks: g.toks.clone(),
                        }
                        .matches(&text)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn literals_beside_an_absorbing_start_skip_the_trie() {
        let lit = |p: &str| glob(p, Syntax::Literal, false);
        for globs in [
            vec![
                glob("s3:GetObject", Syntax::Wildcard, true),
                glob("s3:getobject", Syntax::Wildcard, true),
                glob("ec2:RunInstances", Syntax::Wildcard, true),
                glob("*", Syntax::Wildcard, true),
            ],
            vec![lit(""), lit("a"), lit("ab"), lit("a")],
            vec![lit("x"), lit("y"), glob("*", Syntax::Wildcard, false)],
        ] {
            let regions = string_regions(&globs, 1_000).unwrap();
            let witnesses: Vec<String> = regions.iter().map(|(w, _)| w.clone()).collect();
            // Each witness has the signature given for it.
            for (w, sig) in &regions {
                let holds: Vec<u32> = (0..globs.len() as u32)
                    .filter(|&g| {
                        signatures(&globs[g as usize..=g as usize], std::slice::from_ref(w))
                            .contains(&vec![true])
                    })
                    .collect();
                assert_eq!(&holds, sig, "{w:?} in {globs:?}");
            }
            // And every signature some string has is found: the literals', and that of
            // a string named by no glob.
            let mut probes: Vec<String> = witnesses.clone();
            probes.extend(["", "zz", "s3:getobjec", "A"].map(String::from));
            assert_eq!(
                signatures(&globs, &witnesses),
                signatures(&globs, &probes),
                "{globs:?}"
            );
            assert_eq!(regions.len(), signatures(&globs, &witnesses).len());
        }
    }

    #[test]
    fn signatures_agree_with_glob_matching() {
        let globs = vec![
            glob("s3:get*", Syntax::Wildcard, true),
            glob("s3:*object", Syntax::Wildcard, true),
            glob("Prod", Syntax::Literal, false),
            glob("arn:aws:iam::*:role/?*", Syntax::Arn, false),
            glob("arn:aws:lambda:*", Syntax::Arn, false),
            glob("*a?b*", Syntax::Wildcard, false),
        ];
        for (w, sig) in string_regions(&globs, 100_000).unwrap() {
            for (i, g) in globs.iter().enumerate() {
                let text = if g.folded {
                    w.to_lowercase()
                } else {
                    w.clone()
                };
                let matched = crate::pattern::Glob {
                    toks: g.toks.clone(),
                }
                .matches(&text);
                assert_eq!(sig.contains(&(i as u32)), matched, "glob {i} on {w:?}");
            }
        }
    }

    #[test]
    fn literals_in_the_trie_keep_their_own_regions() {
        // Literals share prefixes with each other and with wildcards; one is a prefix of
        // another; one is duplicated.
        let mut globs = vec![
            glob("s3:get*", Syntax::Wildcard, true),
            glob("s3:?et*", Syntax::Wildcard, true),
        ];
        for l in [
            "s3:getobject",
            "s3:get",
            "s3:getobjectacl",
            "s3:putobject",
            "ec2:describe",
            "s3:get",
        ] {
            globs.push(glob(l, Syntax::Wildcard, true));
        }
        let regions = string_regions(&globs, 10_000).unwrap();
        for (w, sig) in &regions {
            for (i, g) in globs.iter().enumerate() {
                let matched = crate::pattern::Glob {
                    toks: g.toks.clone(),
                }
                .matches(&w.to_lowercase());
                assert_eq!(sig.contains(&(i as u32)), matched, "glob {i} on {w:?}");
            }
        }
        let sigs: Vec<&Vec<u32>> = regions.iter().map(|(_, s)| s).collect();
        assert_eq!(regions.len(), 8, "{regions:?}");
        for want in [
            vec![0, 1, 3, 7],
            vec![0, 1, 2],
            vec![0, 1, 4],
            vec![5],
            vec![6],
            vec![0, 1],
            vec![1],
            vec![],
        ] {
            assert!(sigs.contains(&&want), "{want:?} in {regions:?}");
        }
    }

    #[test]
    fn regions_of_overlapping_wildcards() {
        let globs = vec![
            glob("s3:get*", Syntax::Wildcard, true),
            glob("s3:*object", Syntax::Wildcard, true),
            glob("s3:getobject", Syntax::Wildcard, true),
        ];
        let w = string_witnesses(&globs, 10_000).unwrap();
        let sigs = signatures(&globs, &w);
        // none, get* only, *object only, get*+*object (e.g. getxobject), all three.
        assert_eq!(sigs.len(), 5, "{w:?}");
        assert!(sigs.contains(&vec![true, true, true]));
        assert!(sigs.contains(&vec![true, true, false]));
        assert!(w.iter().all(|x| x.to_lowercase() == *x));
    }

    #[test]
    fn arn_wildcards_respect_colons() {
        let globs = vec![
            glob("arn:aws:iam::*:role/x", Syntax::Arn, false),
            glob("arn:aws:iam::1:*", Syntax::Arn, false),
        ];
        let w = string_witnesses(&globs, 10_000).unwrap();
        let sigs = signatures(&globs, &w);
        assert!(sigs.contains(&vec![true, true]));
        assert!(sigs.contains(&vec![false, true]));
        assert!(sigs.contains(&vec![true, false]));
        assert!(sigs.contains(&vec![false, false]));
    }

    #[test]
    fn mixed_case_sensitivity_uses_case_variants() {
        // "Prod" exactly vs. "prod" ignoring case: three regions (both, only ignore-case, none).
        let globs = vec![
            glob("Prod", Syntax::Literal, false),
            glob("prod", Syntax::Literal, true),
        ];
        let w = string_witnesses(&globs, 10_000).unwrap();
        let sigs = signatures(&globs, &w);
        assert_eq!(sigs.len(), 3, "{w:?}");
        assert!(sigs.contains(&vec![true, true]));
        assert!(sigs.contains(&vec![false, true]));
        // The Kelvin sign lower-cases to `k`: it is a variant of `k`.
        assert!(case_variants('k').contains(&'\u{212A}'));
    }

    #[test]
    fn budget_is_enforced() {
        let globs: Vec<StrGlob> = (0..50)
            .map(|i| glob(&format!("*a{i}*b*"), Syntax::Wildcard, false))
            .collect();
        assert!(string_witnesses(&globs, 100).is_none());
    }

    #[test]
    fn typed_candidates_cover_every_cell() {
        let n = number_candidates(&[Decimal::new(10, 0), Decimal::new(25, 1)]);
        for want in ["not-a-number", "1.5", "2.5", "6.25", "10", "11"] {
            assert!(n.contains(&want.to_string()), "{n:?}");
        }
        let d = date_candidates(&[1_577_836_800_000]);
        assert!(d.contains(&"2019-12-31T23:59:59.999Z".to_string()), "{d:?}");
        assert!(d.contains(&"2020-01-01T00:00:00.001Z".to_string()), "{d:?}");
        let ips = ip_candidates(&["10.0.0.0/8".parse().unwrap(), "::/0".parse().unwrap()]);
        assert!(ips.contains(&"11.0.0.0".to_string()), "{ips:?}");
        assert!(ips.contains(&"10.0.0.0".to_string()));
    }
}
