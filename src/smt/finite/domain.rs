//! Regions: the values of each variable split into classes no atom of the query tells
//! apart, each with a witness, computed by the evaluator's own per-value test; the
//! finitized lowering (mod.rs) ranges every variable over them.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::policy::CondValue;

use crate::smt::encode::{self, Atom, Matcher, ValueFamily};
use crate::smt::regions;

use super::Fallback;

#[derive(Debug, Clone)]
pub(super) struct Region {
    /// The atoms (indices) that hold in the region, sorted: regions are many and each
    /// makes few atoms true, so a dense vector would be regions × atoms.
    pub(super) truth: Vec<u32>,
    /// `None` when a product of families has no value realizing all of them at once.
    pub(super) witness: Option<String>,
}

/// Regions no predicate of the query tells apart, merged: the variable's domain.
#[derive(Debug, Clone)]
pub(super) struct Class {
    /// The predicates (indices) that hold in the class, sorted.
    pub(super) preds: Vec<u32>,
    pub(super) witness: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Domain {
    pub(super) name: String,
    pub(super) atoms: Vec<Atom>,
    /// Positions in `atoms` by [`encode::atom_hash`].
    pub(super) index: FxHashMap<u64, encode::Positions>,
    pub(super) regions: Vec<Class>,
    /// Each predicate's index by its sorted atom positions.
    pub(super) pred_index: FxHashMap<Vec<u32>, u32>,
    /// For each predicate, the classes where it holds (sorted).
    pub(super) holders: Vec<Vec<u32>>,
    /// For each atom, the predicates it belongs to: `preds_of_atom[atom_start[a]..
    /// atom_start[a + 1]]`.
    pub(super) atom_start: Vec<u32>,
    pub(super) preds_of_atom: Vec<u32>,
    /// Each class by its predicates.
    pub(super) class_of: FxHashMap<Vec<u32>, u32>,
    pub(super) multi: bool,
    pub(super) always_present: bool,
}

/// Candidate values of one family: (the family's atoms that hold, by position in the
/// family, and a witness).
pub(super) type FamilyRegions = Vec<(Vec<u32>, String)>;

/// The atoms among `matchers` (given with their atom indices) that hold on `w`.
pub(super) fn truths(matchers: &[(Matcher<'_>, usize)], w: &str) -> Vec<u32> {
    let folded = crate::pattern::fold(w);
    matchers
        .iter()
        .filter(|(m, _)| m.holds(w, &folded))
        .map(|(_, i)| *i as u32)
        .collect()
}

/// Values of each region of `atoms` (a value's region is the set of atoms that hold on
/// it): one for a region that is a single literal, `per_region` distinct ones for the
/// others, `preferred` values first where they lie in the region. Regions that no
/// single value realizes are left out.
pub fn value_candidates(
    atoms: &[Atom],
    preferred: &[&str],
    per_region: usize,
    max_states: usize,
) -> Result<Vec<String>, Fallback> {
    let regions = regions_of(atoms, max_states, None)?;
    let matchers: Vec<(Matcher<'_>, usize)> = atoms
        .iter()
        .enumerate()
        .map(|(i, a)| (a.matcher(), i))
        .collect();
    let literal = |i: &u32| {
        let a = &atoms[*i as usize];
        matches!(a.matcher(), Matcher::Glob(g, false) if g.as_literal().is_some())
    };
    let mut out: Vec<String> = Vec::new();
    for r in &regions {
        let Some(w) = &r.witness else { continue };
        let wanted = if r.truth.iter().any(literal) {
            1
        } else {
            per_region.max(1)
        };
        let mut mine: Vec<String> = Vec::new();
        let variants = (0..64).flat_map(|i| [format!("{w}{i}"), format!("{i}{w}")]);
        let tries = preferred
            .iter()
            .map(|p| p.to_string())
            .chain(std::iter::once(w.clone()))
            .chain(variants);
        for v in tries {
            if mine.len() == wanted {
                break;
            }
            if !mine.contains(&v) && !out.contains(&v) && truths(&matchers, &v) == r.truth {
                mine.push(v);
            }
        }
        if mine.len() < wanted {
            return Err(Fallback(format!(
                "no {wanted} distinct values found in a region of {} patterns",
                atoms.len()
            )));
        }
        out.extend(mine);
    }
    Ok(out)
}

/// Whether an account atom is false on every value: a variable-free pattern with a
/// literal `:`, which no ARN's account field holds.
pub(super) fn constant_account(a: &Atom) -> bool {
    matches!(&a.value, CondValue::Pattern(t)
        if t.glob().is_some_and(|g| g.toks.contains(&crate::pattern::Tok::Lit(':'))))
}

/// Whether no value of a key's documented type satisfies an atom of `family`: an ARN, a
/// Bool and an IP address are never a number or a date (neither `parse_number` nor
/// `parse_date` reads one), and a number, a date or an ARN is never an IP address.
/// Such an atom is false on every value the domain admits (the type is a domain fact,
/// encode::key_facts), so it splits nothing.
pub fn never_holds(scalar: crate::keys::Scalar, family: ValueFamily) -> bool {
    use crate::keys::Scalar;
    use ValueFamily::{Date, Ip, Number};
    match scalar {
        Scalar::Arn | Scalar::Bool => matches!(family, Number | Date | Ip),
        Scalar::Ip => matches!(family, Number | Date),
        Scalar::Numeric | Scalar::Date => family == Ip,
        Scalar::String => false,
    }
}

/// The regions of `atoms`, built by `build` from those a value of the key's type can
/// satisfy; the others are false in every region (`never_holds`). A typed key read
/// by an operator of another family (`NumericEquals` on `aws:SourceArn`) then needs no
/// product of families, whose regions may lack a witness.
pub(super) fn without_dead_atoms(
    atoms: &[Atom],
    scalar: Option<crate::keys::Scalar>,
    build: impl FnOnce(&[Atom]) -> Result<Vec<Region>, Fallback>,
) -> Result<Vec<Region>, Fallback> {
    let live: Vec<u32> = (0..atoms.len() as u32)
        .filter(|&i| {
            let a = &atoms[i as usize];
            a.account || !scalar.is_some_and(|s| never_holds(s, a.family()))
        })
        .collect();
    if live.len() == atoms.len() {
        return build(atoms);
    }
    let kept: Vec<Atom> = live.iter().map(|&i| atoms[i as usize].clone()).collect();
    let mut regions = build(&kept)?;
    for r in &mut regions {
        // `live` ascends, so the truths stay sorted.
        for t in &mut r.truth {
            *t = live[*t as usize];
        }
    }
    Ok(regions)
}

/// Suffixes that complete the prefix of a number, a date or an IP address, for a region
/// that a text pattern and a typed comparison share.
pub(super) const COMPLETIONS: &[&str] = &[
    "0",
    ".0",
    ".0.0",
    ".0.0.0",
    "0.0",
    "0.0.0",
    "::",
    ":0",
    "::0",
    "0::",
    "-01-01",
    "-01",
    "T00:00:00Z",
    ":00:00Z",
    ":00Z",
];

/// Regions of one variable from its atoms.
/// With `samples`, a text family gets the regions of those values only, without its
/// product automaton (an under-approximation; see [`Finite::sampled`]).
pub(super) fn regions_of(
    atoms: &[Atom],
    max_states: usize,
    samples: Option<&[String]>,
) -> Result<Vec<Region>, Fallback> {
    // Families split a value independently only where each atom reads the value
    // itself: an account atom reads a field of an ARN, which no number, date or
    // address candidate is (its product region would be missing: a false PASS).
    if let Some(a) = atoms
        .iter()
        .find(|a| a.account && a.family() != ValueFamily::Text)
    {
        return Err(Fallback(format!(
            "a numeric, date or address comparison of `aws:PrincipalAccount` ({:?})",
            a.op
        )));
    }
    let families: BTreeSet<ValueFamily> = atoms.iter().map(Atom::family).collect();
    let mut per_family: Vec<(ValueFamily, FamilyRegions)> = Vec::new();
    for family in families.iter().copied().chain(
        // A variable no atom reads still has values: one region.
        families.is_empty().then_some(ValueFamily::Text),
    ) {
        let members: Vec<usize> = (0..atoms.len())
            .filter(|&i| atoms[i].family() == family)
            .collect();
        let mut text_list = Vec::new();
        if family == ValueFamily::Text {
            // Plain glob atoms take their truth from the automaton's signatures (the
            // same glob, stepped on the same characters); the others from `holds`.
            let mut globs = Vec::new();
            let mut from_signature: Vec<Option<u32>> = Vec::new();
            for &i in &members {
                match atoms[i].glob() {
                    Some(g) => {
                        let plain = matches!(atoms[i].matcher(), Matcher::Glob(..));
                        from_signature.push(plain.then_some(globs.len() as u32));
                        globs.push(g);
                    }
                    // Read on each region's witness, which is exact only for an atom
                    // no value splits: an account pattern naming `:` (no account field
                    // holds one). Any other atom without a glob would be read on
                    // witnesses chosen without it.
                    None if atoms[i].account && constant_account(&atoms[i]) => {
                        from_signature.push(None)
                    }
                    None => {
                        return Err(Fallback(format!(
                            "no region splits the values of {:?}",
                            atoms[i].value
                        )));
                    }
                }
            }
            let t0 = std::time::Instant::now();
            let regions = match samples {
                Some(samples) => {
                    let r = regions::sampled_regions(&globs, samples);
                    tracing::debug!(
                        elapsed_us = t0.elapsed().as_micros() as u64,
                        globs = globs.len(),
                        samples = samples.len(),
                        regions = r.len(),
                        "regions of sampled values"
                    );
                    r
                }
                None => {
                    let r = regions::string_regions(&globs, max_states);
                    tracing::debug!(
                        elapsed_us = t0.elapsed().as_micros() as u64,
                        globs = globs.len(),
                        regions = r.as_ref().map_or(0, Vec::len),
                        "product automaton"
                    );
                    r.ok_or_else(|| {
                        Fallback(format!(
                            "the product automaton of {} patterns exceeded {max_states} states",
                            globs.len()
                        ))
                    })?
                }
            };
            // Member position of each signature glob, and the members tested directly.
            let mut position_of_glob = vec![None; globs.len()];
            let mut direct = Vec::new();
            for (k, g) in from_signature.iter().enumerate() {
                match g {
                    Some(g) => position_of_glob[*g as usize] = Some(k as u32),
                    None => direct.push(k),
                }
            }
            // Compiled once (a hundred account atoms on two hundred witnesses otherwise
            // resolve their patterns and split ARNs twenty thousand times); exact
            // account atoms (a Principal's account IDs) are looked up by the witness's
            // account field.
            let mut accounts: FxHashMap<String, Vec<u32>> = FxHashMap::default();
            let mut compiled: Vec<(Matcher<'_>, usize)> = Vec::new();
            for k in direct {
                let m = atoms[members[k]].matcher();
                if let Matcher::Account(g, false) = &m
                    && let Some(account) = g.as_literal()
                {
                    accounts.entry(account).or_default().push(k as u32);
                } else {
                    compiled.push((m, k));
                }
            }
            let direct = compiled;
            for (w, sig) in regions {
                let mut truth: Vec<u32> = sig
                    .iter()
                    .filter_map(|g| position_of_glob[*g as usize])
                    .collect();
                if !direct.is_empty() {
                    truth.extend(truths(&direct, &w));
                }
                if let Some(ks) = crate::pattern::arn_account(&w).and_then(|a| accounts.get(a)) {
                    truth.extend_from_slice(ks);
                }
                truth.sort_unstable();
                text_list.push((truth, w));
            }
            // One region per truth, with the first (shortest) witness found: a stable
            // sort keeps that first, without hashing and copying every truth.
            text_list.sort_by(|a, b| a.0.cmp(&b.0));
            text_list.dedup_by(|later, kept| later.0 == kept.0);
            per_family.push((family, text_list));
            continue;
        }
        let candidates: Vec<String> = match family {
            ValueFamily::Text => Vec::new(),
            ValueFamily::Number => regions::number_candidates(
                &members
                    .iter()
                    .filter_map(|&i| match atoms[i].value {
                        CondValue::Number(n) => Some(n),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            ValueFamily::Date => regions::date_candidates(
                &members
                    .iter()
                    .filter_map(|&i| match atoms[i].value {
                        CondValue::Date(d) => Some(d),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            ValueFamily::Ip => regions::ip_candidates(
                &members
                    .iter()
                    .filter_map(|&i| match atoms[i].value {
                        CondValue::Ip(n) => Some(n),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
        };
        let matchers: Vec<_> = members
            .iter()
            .enumerate()
            .map(|(k, &i)| (atoms[i].matcher(), k))
            .collect();
        let mut seen = FxHashSet::default();
        let mut list = Vec::new();
        for w in candidates {
            let truth = truths(&matchers, &w);
            if seen.insert(truth.clone()) {
                list.push((truth, w));
            }
        }
        per_family.push((family, list));
    }
    // One family: its regions, each truth computed on its own witness (moved, not
    // copied: a 20,000-literal domain has as many witnesses).
    if let [(family, _)] = per_family.as_slice() {
        let family = *family;
        let members: Vec<u32> = (0..atoms.len() as u32)
            .filter(|&i| atoms[i as usize].family() == family)
            .collect();
        let list = per_family.pop().map(|(_, l)| l).unwrap_or_default();
        let mut out: Vec<Region> = list
            .into_iter()
            .map(|(truth, w)| Region {
                // Members ascend, so the truth stays sorted.
                truth: truth.into_iter().map(|k| members[k as usize]).collect(),
                witness: Some(w),
            })
            .collect();
        out.sort_by(|a, b| a.truth.cmp(&b.truth));
        return Ok(out);
    }
    // Several: their product, realized where one witness fits.
    let mut out: Vec<Region> = vec![Region {
        truth: Vec::new(),
        witness: None,
    }];
    let mut witness_lists: Vec<Vec<String>> = vec![Vec::new()];
    for (family, list) in &per_family {
        let members: Vec<usize> = (0..atoms.len())
            .filter(|&i| atoms[i].family() == *family)
            .collect();
        let mut next = Vec::new();
        let mut next_w = Vec::new();
        for (r, ws) in out.iter().zip(&witness_lists) {
            for (truth, w) in list {
                let mut t = r.truth.clone();
                t.extend(truth.iter().map(|&k| members[k as usize] as u32));
                t.sort_unstable();
                next.push(Region {
                    truth: t,
                    witness: None,
                });
                let mut ws = ws.clone();
                ws.push(w.clone());
                next_w.push(ws);
            }
        }
        out = next;
        witness_lists = next_w;
    }
    let matchers: Vec<_> = atoms.iter().map(Atom::matcher).zip(0..).collect();
    for (r, ws) in out.iter_mut().zip(witness_lists) {
        // A family's own witness, else one completed from the text's: the shortest
        // string of `203.0*` is `203.0`, and `203.0.0.0` is also an address.
        // A date as epoch seconds (either side of a fraction) is also a number.
        let completed: Vec<String> = ws
            .iter()
            .flat_map(|w| COMPLETIONS.iter().map(move |c| format!("{w}{c}")))
            .chain(ws.iter().flat_map(|w| {
                let seconds = crate::policy::condition::parse_date(w)
                    .filter(|ms| *ms >= 0)
                    .map(|ms| ms / 1000);
                seconds
                    .into_iter()
                    .flat_map(|s| [s.to_string(), (s + 1).to_string()])
            }))
            .collect();
        r.witness = ws
            .into_iter()
            .chain(completed)
            .find(|w| truths(&matchers, w) == r.truth);
    }
    // Numbered in the lexicographic order of their truths, the regions where an atom
    // holds, or where one of a run of atoms listed together holds (one statement's
    // actions), mostly lie side by side: membership becomes a few integer ranges
    // instead of thousands of equalities (ReadOnly-like against 20,000 literal actions:
    // one range for the whole ReadOnly side).
    out.sort_by(|a, b| a.truth.cmp(&b.truth));
    Ok(out)
}

/// Regions of a key whose values AWS types as Bool, Numeric, Date or IPAddress, from a
/// finite list of values of that type that meets every truth such a value can have:
/// both Booleans; or the family's candidates around every constant, the constants that
/// string literals spell included, plus those literals themselves. Exact for these
/// values (between two constants every typed atom keeps its truth, and a string literal
/// holds on one value only), so no region lacks a witness and none is a value AWS never
/// sends. `None` (the general construction, with the type left to the domain fact)
/// where the list would not be complete: a string atom with a wildcard, or an atom of
/// another family.
pub(super) fn typed_regions(atoms: &[Atom], scalar: crate::keys::Scalar) -> Option<Vec<Region>> {
    use crate::keys::{Scalar, is_value_of};
    use crate::policy::condition::{parse_date, parse_number};
    let family = match scalar {
        Scalar::Bool => None,
        Scalar::Numeric => Some(ValueFamily::Number),
        Scalar::Date => Some(ValueFamily::Date),
        Scalar::Ip => Some(ValueFamily::Ip),
        Scalar::String | Scalar::Arn => return None,
    };
    let mut literals: Vec<String> = Vec::new();
    let mut numbers = Vec::new();
    let mut dates = Vec::new();
    let mut nets = Vec::new();
    for a in atoms {
        match (&a.value, family) {
            // Two values: every atom's truth is computed on both.
            (_, None) => {}
            (CondValue::Number(n), Some(ValueFamily::Number)) => numbers.push(*n),
            (CondValue::Date(d), Some(ValueFamily::Date)) => dates.push(*d),
            (CondValue::Ip(n), Some(ValueFamily::Ip)) => nets.push(*n),
            (CondValue::Pattern(_) | CondValue::Binary(_), Some(_)) => {
                let g = a.glob()?;
                let text: String = g
                    .toks
                    .iter()
                    .map(|t| match t {
                        crate::pattern::Tok::Lit(c) => Some(*c),
                        _ => None,
                    })
                    .collect::<Option<String>>()?;
                literals.push(text);
            }
            _ => return None,
        }
    }
    for l in &literals {
        match scalar {
            Scalar::Numeric => numbers.extend(parse_number(l)),
            Scalar::Date => dates.extend(parse_date(l)),
            Scalar::Ip => nets.extend(l.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from)),
            _ => {}
        }
    }
    // A realistic value first: a region no constant splits takes it as its witness, and
    // a key no atom reads still has one value of its type.
    let mut candidates: Vec<String> = match scalar {
        Scalar::Bool => vec!["true".into(), "false".into()],
        Scalar::Numeric => vec!["1".into()],
        Scalar::Date => vec!["2026-01-01T00:00:00Z".into()],
        _ => vec!["203.0.113.7".into(), "2001:db8::7".into()],
    };
    candidates.extend(match scalar {
        Scalar::Bool => Vec::new(),
        Scalar::Numeric => regions::number_candidates(&numbers),
        Scalar::Date => regions::date_candidates(&dates),
        _ => regions::ip_candidates(&nets),
    });
    candidates.extend(literals);
    let matchers: Vec<_> = atoms.iter().map(Atom::matcher).zip(0..).collect();
    let mut seen = FxHashSet::default();
    let mut out: Vec<Region> = Vec::new();
    for w in candidates.into_iter().filter(|w| is_value_of(scalar, w)) {
        let truth = truths(&matchers, &w);
        if seen.insert(truth.clone()) {
            out.push(Region {
                truth,
                witness: Some(w),
            });
        }
    }
    out.sort_by(|a, b| a.truth.cmp(&b.truth));
    Some(out)
}

/// Finds the merged region a value lies in. Literal atoms are looked up by value, and
/// wildcard globs whose text up to the first `:` is literal (`ec2:Describe*`) by that
/// prefix, so a value meets only the globs of its own prefix (22,000 known actions
/// against a ReadOnly-like policy's 1,368 globs made 30 million matches otherwise).
pub struct Classifier<'a> {
    pub(super) domain: &'a Domain,
    pub(super) literal: FxHashMap<(String, bool), Vec<usize>>,
    pub(super) by_prefix: FxHashMap<(String, bool), Vec<(Matcher<'a>, usize)>>,
    pub(super) others: Vec<(Matcher<'a>, usize)>,
}

impl Classifier<'_> {
    pub fn region(&self, v: &str) -> Option<usize> {
        let folded = crate::pattern::fold(v);
        let mut truth: Vec<u32> = Vec::new();
        for key in [(v.to_string(), false), (folded.clone(), true)] {
            for &i in self.literal.get(&key).into_iter().flatten() {
                truth.push(i as u32);
            }
        }
        let prefix_of = |v: &str| v.split_once(':').map(|(p, _)| format!("{p}:"));
        for (prefix, f) in [(prefix_of(v), false), (prefix_of(&folded), true)] {
            let Some(prefix) = prefix else { continue };
            for (m, i) in self.by_prefix.get(&(prefix, f)).into_iter().flatten() {
                if m.holds(v, &folded) {
                    truth.push(*i as u32);
                }
            }
        }
        for (m, i) in &self.others {
            if m.holds(v, &folded) {
                truth.push(*i as u32);
            }
        }
        let d = self.domain;
        let holding = preds_holding(&truth, &d.atom_start, &d.preds_of_atom);
        d.class_of.get(&holding).map(|&c| c as usize)
    }
}

/// A glob's literal text up to and including its first `:`, when no wildcard comes
/// before it (`ec2:` of `ec2:Describe*`).
pub(super) fn literal_prefix(toks: &[crate::pattern::Tok]) -> Option<String> {
    let mut out = String::new();
    for t in toks {
        match t {
            crate::pattern::Tok::Lit(c) => {
                out.push(*c);
                if *c == ':' {
                    return Some(out);
                }
            }
            _ => return None,
        }
    }
    None
}

/// The maximal runs of consecutive numbers in an ascending list, as (first, last).
pub(super) fn runs(sorted: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &r in sorted {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == r => *last = r,
            _ => out.push((r, r)),
        }
    }
    out
}

/// The predicates that hold on a value whose atom truths are `truth`.
pub(super) fn preds_holding(truth: &[u32], atom_start: &[u32], preds_of_atom: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = truth
        .iter()
        .flat_map(|&a| {
            let a = a as usize;
            &preds_of_atom[atom_start[a] as usize..atom_start[a + 1] as usize]
        })
        .copied()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Merges the regions on which the same predicates hold (`preds`: sorted atom positions
/// each). The formula reads a variable only through these predicates, so merged regions
/// are interchangeable: 20,000 literal actions asked as one statement's list make one
/// class, not 20,000 regions. Classes keep the order of their first regions (sorted by
/// atom truths), so a domain where nothing merges is numbered as before.
pub(super) fn merge(regions: Vec<Region>, n_atoms: usize, preds: &[Vec<u32>]) -> Domain {
    let mut atom_start = vec![0u32; n_atoms + 1];
    for list in preds {
        for &a in list {
            atom_start[a as usize + 1] += 1;
        }
    }
    for i in 0..n_atoms {
        atom_start[i + 1] += atom_start[i];
    }
    let mut fill = atom_start.clone();
    let mut preds_of_atom = vec![0u32; atom_start[n_atoms] as usize];
    for (p, list) in preds.iter().enumerate() {
        for &a in list {
            preds_of_atom[fill[a as usize] as usize] = p as u32;
            fill[a as usize] += 1;
        }
    }
    let mut class_of: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
    let mut classes: Vec<Class> = Vec::new();
    for r in regions {
        let holding = preds_holding(&r.truth, &atom_start, &preds_of_atom);
        match class_of.get(&holding) {
            Some(&c) => {
                let class = &mut classes[c as usize];
                if class.witness.is_none() {
                    class.witness = r.witness;
                }
            }
            None => {
                class_of.insert(holding.clone(), classes.len() as u32);
                classes.push(Class {
                    preds: holding,
                    witness: r.witness,
                });
            }
        }
    }
    let mut holders = vec![Vec::new(); preds.len()];
    for (c, class) in classes.iter().enumerate() {
        for &p in &class.preds {
            holders[p as usize].push(c as u32);
        }
    }
    Domain {
        name: String::new(),
        atoms: Vec::new(),
        index: FxHashMap::default(),
        regions: classes,
        pred_index: preds
            .iter()
            .enumerate()
            .map(|(p, list)| (list.clone(), p as u32))
            .collect(),
        holders,
        atom_start,
        preds_of_atom,
        class_of,
        multi: false,
        always_present: false,
    }
}

impl Domain {
    /// The position of an atom of this variable.
    pub(super) fn position(&self, a: &Atom) -> Option<usize> {
        self.index
            .get(&encode::atom_hash(a))?
            .iter()
            .map(|i| i as usize)
            .find(|&i| self.atoms[i] == *a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyType;
    use crate::smt::encode::{Collector, Pred, Sink, Slot, Var};
    use crate::smt::finite::Finite;

    #[test]
    fn a_family_that_never_holds_reads_no_value_of_the_type() {
        use crate::keys::Scalar;
        use crate::policy::condition::{parse_date, parse_ip_net, parse_number};
        let values: &[(Scalar, &[&str])] = &[
            (
                Scalar::Arn,
                &["arn:aws:s3:::b", "arn:1:2:3:4:5", "arn:::::"],
            ),
            (Scalar::Bool, &["true", "false"]),
            (
                Scalar::Ip,
                &["10.1.2.3", "0.0.0.0", "2001:db8::7", "::", "::1", "1::"],
            ),
            (Scalar::Numeric, &["1", "10", "-2.5", "1767225600", "0.0"]),
            (
                Scalar::Date,
                &["2026-01-01T00:00:00Z", "1767225600", "2026-01-01"],
            ),
        ];
        let reads = |family: ValueFamily, v: &str| match family {
            ValueFamily::Number => parse_number(v).is_some(),
            ValueFamily::Date => parse_date(v).is_some(),
            ValueFamily::Ip => {
                v.trim().parse::<std::net::IpAddr>().is_ok() || parse_ip_net(v).is_some()
            }
            ValueFamily::Text => true,
        };
        for (scalar, vs) in values {
            for family in [ValueFamily::Number, ValueFamily::Date, ValueFamily::Ip] {
                if never_holds(*scalar, family) {
                    for v in *vs {
                        assert!(!reads(family, v), "{family:?} reads the {scalar:?} `{v}`");
                    }
                }
            }
        }
        // And where a family does read the type, `never_holds` does not claim otherwise.
        assert!(!never_holds(Scalar::Numeric, ValueFamily::Date));
        assert!(!never_holds(Scalar::Date, ValueFamily::Number));
        assert!(!never_holds(Scalar::String, ValueFamily::Number));
    }

    #[test]
    fn runs_are_maximal() {
        assert_eq!(runs(&[]), Vec::<(usize, usize)>::new());
        assert_eq!(runs(&[3]), vec![(3, 3)]);
        assert_eq!(runs(&[0, 1, 2, 5, 7, 8]), vec![(0, 2), (5, 5), (7, 8)]);
    }

    #[test]
    fn regions_no_predicate_tells_apart_are_merged() {
        let atom = |p: &str| encode::action_atom(&crate::pattern::Glob::action(p));
        let pred = |ps: &[&str]| Pred {
            atoms: ps.iter().map(|p| atom(p)).collect(),
            negated: false,
        };
        let slot = Slot::of(Var::Action);
        let (p1, p2) = (pred(&["s3:a", "s3:b", "s3:c"]), pred(&["s3:b", "s3:d"]));
        let mut c = Collector::default();
        c.note_pred(&slot, &p1);
        c.note_pred(&slot, &p2);
        let mut fin = Finite::new(c, PolicyType::Identity, 10_000).unwrap();
        // "", s3:a and s3:c (P1 only), s3:b (both), s3:d (P2 only): four, not five.
        let d = &fin.vars[&Var::Action];
        assert_eq!(d.regions.len(), 4, "{:?}", d.regions);
        // Each class's predicates are those that hold on its witness.
        for class in &d.regions {
            let w = class.witness.as_deref().unwrap();
            let holding: Vec<u32> = [&p1, &p2]
                .iter()
                .zip(0..)
                .filter(|(p, _)| p.atoms.iter().any(|a| a.holds(w)))
                .map(|(_, i)| i)
                .collect();
            // Predicates are numbered in sorted order of their atom positions: P1 first.
            assert_eq!(class.preds, holding, "{w}");
        }
        assert_eq!(fin.split(&Var::Action, &p1).unwrap().0.len(), 2);
        assert_eq!(fin.split(&Var::Action, &p2).unwrap().0.len(), 2);
        // A predicate the collector never saw is refused, not answered from classes that
        // merge s3:a with s3:c.
        let _ = fin.exists(&slot, &pred(&["s3:a"]));
        assert!(fin.take_error().is_some());
    }

    #[test]
    fn account_atoms_hold_where_the_regions_say() {
        let atoms = vec![
            encode::literal_atom("111122223333", true),
            encode::literal_atom("arn:aws:iam::111122223333:role/x", false),
            encode::arn_atom("arn:*:*:*:*:*"),
            encode::literal_atom("444455556666", true),
            encode::arn_atom("arn:aws:iam::4444*"),
        ];
        let regions = regions_of(&atoms, 10_000, None).unwrap();
        let mut accounts = 0;
        for r in &regions {
            let w = r.witness.as_deref().unwrap();
            let holds: Vec<u32> = (0..atoms.len() as u32)
                .filter(|&i| atoms[i as usize].holds(w))
                .collect();
            assert_eq!(r.truth, holds, "{w}");
            accounts += r.truth.iter().filter(|&&i| i == 0 || i == 3).count();
        }
        // Both accounts, with and without the role, are regions of their own.
        assert!(accounts >= 3, "{regions:?}");
    }

    #[test]
    fn regions_are_numbered_in_truth_order() {
        let atoms: Vec<Atom> = ["s3:get*", "s3:getobject", "s3:list*", "ec2:describe*"]
            .iter()
            .map(|p| encode::action_atom(&crate::pattern::Glob::action(p)))
            .collect();
        let regions = regions_of(&atoms, 10_000, None).unwrap();
        let truths: Vec<&Vec<u32>> = regions.iter().map(|r| &r.truth).collect();
        assert!(truths.windows(2).all(|w| w[0] < w[1]), "{truths:?}");
        // The atom listed first holds on one run of regions.
        let first: Vec<usize> = (0..regions.len())
            .filter(|&r| regions[r].truth.contains(&0))
            .collect();
        assert_eq!(runs(&first).len(), 1, "{truths:?}");
    }
}
