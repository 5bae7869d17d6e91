//! IAM patterns: wildcards, ARN segments, policy variables and case folding.
//!
//! Every string constraint of a policy compiles to one [`Template`]: a sequence of
//! wildcard/literal tokens and (in `2012-10-17` policies) policy variables. Resolving a
//! template against a request context gives a [`Glob`], a plain token sequence that
//! both the concrete evaluator and the SMT finitization consume, so the two layers
//! share one definition of what a pattern matches.

use std::fmt;

/// One token of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tok {
    /// Exactly this character.
    Lit(char),
    /// `?`: any one character.
    Any,
    /// `?` inside ARN segments 1–5: any one character except `:`.
    AnyNoColon,
    /// `*`: any run of characters.
    Star,
    /// `*` inside ARN segments 1–5: any run of characters without `:`.
    StarNoColon,
}

/// The text of tokens that are all literal characters; `None` if one is a wildcard.
pub fn literal_text(toks: &[Tok]) -> Option<String> {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        })
        .collect()
}

impl Tok {
    /// Whether this single-character token accepts `c` (false for the star tokens).
    pub fn accepts(self, c: char) -> bool {
        match self {
            Tok::Lit(l) => l == c,
            Tok::Any => true,
            Tok::AnyNoColon => c != ':',
            Tok::Star | Tok::StarNoColon => false,
        }
    }

    /// Whether a star token may consume `c` (false for single-character tokens).
    pub fn star_accepts(self, c: char) -> bool {
        match self {
            Tok::Star => true,
            Tok::StarNoColon => c != ':',
            _ => false,
        }
    }

    pub fn is_star(self) -> bool {
        matches!(self, Tok::Star | Tok::StarNoColon)
    }

    /// One word per token, distinct for distinct tokens: what hashes write.
    pub fn word(self) -> u64 {
        match self {
            Tok::Lit(c) => u64::from(c),
            Tok::Any => 1 << 32,
            Tok::AnyNoColon => 2 << 32,
            Tok::Star => 3 << 32,
            Tok::StarNoColon => 4 << 32,
        }
    }
}

/// How the characters of a pattern are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Every character is literal (StringEquals, Bool, ArnEquals never: see `Arn`).
    Literal,
    /// `*` and `?` are wildcards that match any character (Action, StringLike).
    Wildcard,
    /// ARN: split on the first five `:`; wildcards in segments 1–5 stay inside their
    /// segment, in the sixth they match anything; a pattern of fewer than six segments
    /// whose last character is `*` covers every continuation (DESIGN.md §2).
    Arn,
}

/// Hashes of an action glob, computed once while parsing: slicing a query compares tens
/// of thousands of patterns by them, and reading each pattern's tokens again costs a
/// cache miss apiece. Equal globs have equal keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionKey {
    /// A hash of the tokens.
    pub hash: u64,
    /// A hash of the service part: the literal characters before the first `:` (all of
    /// them when there is none). `None` when a wildcard comes first. Every action the
    /// glob matches has the same service part, so globs whose service hashes differ
    /// share no action.
    pub service: Option<u64>,
    /// No wildcard.
    pub literal: bool,
}

impl ActionKey {
    fn of_toks(toks: impl Iterator<Item = Tok>) -> ActionKey {
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        let (mut h, mut n) = (0, 0);
        let mut service = None;
        let mut literal = true;
        for t in toks {
            match t {
                Tok::Lit(':') if literal && service.is_none() => service = Some(mix(h, n)),
                Tok::Lit(_) => {}
                _ => literal = false,
            }
            h = mix(h, t.word());
            n += 1;
        }
        let hash = mix(h, n);
        ActionKey {
            hash,
            service: if literal && service.is_none() {
                Some(hash)
            } else {
                service
            },
            literal,
        }
    }

    /// The key of a (folded) action name: every character literal.
    pub fn of_text(text: &str) -> ActionKey {
        ActionKey::of_toks(text.chars().map(Tok::Lit))
    }

    /// Whether a glob with this key may match an action with key `action` (from
    /// [`ActionKey::of_text`]); `false` is certain, and reads no token.
    pub fn may_match(&self, action: &ActionKey) -> bool {
        if self.literal {
            self.hash == action.hash
        } else {
            self.service.is_none_or(|s| action.service == Some(s))
        }
    }
}

/// A resolved pattern: tokens only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Glob {
    pub toks: Vec<Tok>,
}

impl Glob {
    /// An action pattern: case-folded, `*` and `?` wildcards, no variables, no ARN
    /// segments. The same glob as `Template::parse(text, Wildcard, true, false)` gives,
    /// built in one pass (a 20,000-action policy spent most of its parse time there).
    pub fn action(text: &str) -> Glob {
        let mut toks = Vec::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '*' => toks.push(Tok::Star),
                '?' => toks.push(Tok::Any),
                c if c.is_ascii() => toks.push(Tok::Lit(c.to_ascii_lowercase())),
                c => toks.extend(c.to_lowercase().map(Tok::Lit)),
            }
        }
        Glob { toks }
    }

    /// The glob's [`ActionKey`].
    pub fn action_key(&self) -> ActionKey {
        ActionKey::of_toks(self.toks.iter().copied())
    }

    /// Whether the glob has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.toks.iter().all(|t| matches!(t, Tok::Lit(_)))
    }

    /// The literal string this glob matches, if it has no wildcard.
    pub fn as_literal(&self) -> Option<String> {
        literal_text(&self.toks)
    }

    /// Whether `text` is in the glob's language (a linear NFA simulation; no backtracking).
    pub fn matches(&self, text: &str) -> bool {
        let n = self.toks.len();
        if n < 128 {
            return self.matches_bits(text);
        }
        self.matches_vec(text)
    }

    /// The general simulation, one flag per position.
    fn matches_vec(&self, text: &str) -> bool {
        let n = self.toks.len();
        let mut live = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        live[0] = true;
        close(&self.toks, &mut live);
        for c in text.chars() {
            next.fill(false);
            let mut any = false;
            for i in 0..n {
                if !live[i] {
                    continue;
                }
                let t = self.toks[i];
                if t.is_star() {
                    if t.star_accepts(c) {
                        next[i] = true;
                        any = true;
                    }
                } else if t.accepts(c) {
                    next[i + 1] = true;
                    any = true;
                }
            }
            if !any {
                return false;
            }
            close(&self.toks, &mut next);
            std::mem::swap(&mut live, &mut next);
        }
        live[n]
    }
}

impl Glob {
    /// [`Glob::matches`] for globs of fewer than 128 tokens, with the live positions in
    /// one integer: the evaluator and the region builder call it millions of times, and
    /// the vectors of the general loop cost more than the matching.
    fn matches_bits(&self, text: &str) -> bool {
        let toks = &self.toks;
        let close = |mut live: u128| {
            for (i, t) in toks.iter().enumerate() {
                if live >> i & 1 == 1 && t.is_star() {
                    live |= 1 << (i + 1);
                }
            }
            live
        };
        let mut live = close(1);
        for c in text.chars() {
            let mut next = 0u128;
            let mut rest = live;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                let Some(t) = toks.get(i) else { continue };
                if t.is_star() {
                    if t.star_accepts(c) {
                        next |= 1 << i;
                    }
                } else if t.accepts(c) {
                    next |= 1 << (i + 1);
                }
            }
            if next == 0 {
                return false;
            }
            live = close(next);
        }
        live >> toks.len() & 1 == 1
    }
}

/// Closes a set of live positions under skipping star tokens (which may match nothing).
fn close(toks: &[Tok], live: &mut [bool]) {
    for i in 0..toks.len() {
        if live[i] && toks[i].is_star() {
            live[i + 1] = true;
        }
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.toks {
            match t {
                Tok::Lit(c) => write!(f, "{c}")?,
                Tok::Any | Tok::AnyNoColon => write!(f, "?")?,
                Tok::Star | Tok::StarNoColon => write!(f, "*")?,
            }
        }
        Ok(())
    }
}

/// One part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Tok(Tok),
    /// `${key}` or `${key, 'default'}`: an index into the template's `vars`. Eight
    /// bytes a part: most parts are characters, and a 20,000-action policy builds
    /// over a million of them (a boxed variable made each part sixteen).
    Var(u32),
}

/// A policy variable of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variable {
    /// Lower-cased: keys are case-insensitive.
    pub key: String,
    pub default: Option<String>,
}

/// A pattern as written in a policy: tokens plus unresolved policy variables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Template {
    pub parts: Vec<Part>,
    /// The variables `Part::Var` points to, in order of appearance; empty exactly when
    /// no part is a variable.
    pub vars: Vec<Variable>,
    /// Whether literals (including substituted variable values) are case-folded.
    pub folded: bool,
}

/// One word per part (the derived hash wrote three: two discriminants and the
/// character); the encoder hashes every atom's template on each walk, 80,000 times for
/// two 20,000-action policies. Equal templates write equal words.
impl std::hash::Hash for Template {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_usize(self.parts.len());
        for p in &self.parts {
            h.write_u64(match *p {
                Part::Tok(t) => t.word(),
                Part::Var(i) => (5 << 32) | u64::from(i),
            });
        }
        self.vars.hash(h);
        self.folded.hash(h);
    }
}

/// Why a pattern string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// `${` without a matching `}`.
    UnterminatedVariable,
    /// `${}` or a malformed default value.
    BadVariable(String),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::UnterminatedVariable => {
                write!(
                    f,
                    "`${{` starts a policy variable that is never closed with `}}`"
                )
            }
            PatternError::BadVariable(v) => write!(
                f,
                "malformed policy variable `${{{v}}}`; write `${{key}}` or `${{key, 'default'}}`"
            ),
        }
    }
}

/// Case folding used by case-insensitive comparisons (actions, IgnoreCase operators,
/// condition key names).
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl Template {
    /// Compiles pattern text. With `variables` (policy Version `2012-10-17`), `${...}` is a
    /// policy variable and `${*}`, `${?}`, `${$}` are the literal characters; otherwise the
    /// text is taken as written.
    pub fn parse(
        text: &str,
        syntax: Syntax,
        folded: bool,
        variables: bool,
    ) -> Result<Template, PatternError> {
        let chars: Vec<char> = text.chars().collect();
        // Raw parts first (wildcard-or-literal char, or variable), then tokens by segment.
        enum Raw {
            Char(char),
            Escaped(char),
            Var(String, Option<String>),
        }
        let mut raw = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if variables && chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
                let close = chars[i + 2..]
                    .iter()
                    .position(|&c| c == '}')
                    .ok_or(PatternError::UnterminatedVariable)?;
                let inner: String = chars[i + 2..i + 2 + close].iter().collect();
                raw.push(parse_variable(&inner)?);
                i += close + 3;
                continue;
            }
            raw.push(Raw::Char(chars[i]));
            i += 1;
        }
        fn parse_variable(inner: &str) -> Result<Raw, PatternError> {
            let trimmed = inner.trim();
            match trimmed {
                "*" => return Ok(Raw::Escaped('*')),
                "?" => return Ok(Raw::Escaped('?')),
                "$" => return Ok(Raw::Escaped('$')),
                _ => {}
            }
            let (key, default) = match trimmed.split_once(',') {
                None => (trimmed, None),
                Some((k, d)) => {
                    let d = d.trim();
                    let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
                    if !quoted {
                        return Err(PatternError::BadVariable(inner.to_string()));
                    }
                    (k.trim(), Some(d[1..d.len() - 1].to_string()))
                }
            };
            let key_ok = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_:/.@+=,".contains(c));
            if !key_ok {
                return Err(PatternError::BadVariable(inner.to_string()));
            }
            Ok(Raw::Var(fold(key), default))
        }

        // Segment bookkeeping for ARNs: the first five literal `:` end segments 1–5.
        let mut parts = Vec::with_capacity(raw.len());
        let mut vars = Vec::new();
        let mut segment = 0usize;
        let total_segments = 1 + raw
            .iter()
            .filter(|r| matches!(r, Raw::Char(':')))
            .count()
            .min(5);
        let last_index = raw.len().checked_sub(1);
        for (idx, r) in raw.into_iter().enumerate() {
            match r {
                Raw::Char(c) if syntax != Syntax::Literal && (c == '*' || c == '?') => {
                    let crossing = match syntax {
                        Syntax::Arn => {
                            segment >= 5
                                || (c == '*' && total_segments < 6 && Some(idx) == last_index)
                        }
                        _ => true,
                    };
                    parts.push(Part::Tok(match (c, crossing) {
                        ('*', true) => Tok::Star,
                        ('*', false) => Tok::StarNoColon,
                        (_, true) => Tok::Any,
                        (_, false) => Tok::AnyNoColon,
                    }));
                }
                Raw::Char(c) | Raw::Escaped(c) => {
                    if c == ':' && segment < 5 {
                        segment += 1;
                    }
                    push_literal(&mut parts, c, folded);
                }
                Raw::Var(key, default) => {
                    // AWS substitutes a variable in any ARN field (AWS managed policies
                    // put `${aws:PrincipalAccount}` in the account field).
                    parts.push(Part::Var(vars.len() as u32));
                    vars.push(Variable {
                        key,
                        default: default.map(|d| if folded { fold(&d) } else { d }),
                    });
                }
            }
        }
        Ok(Template {
            parts,
            vars,
            folded,
        })
    }

    pub fn has_variables(&self) -> bool {
        !self.vars.is_empty()
    }

    /// A template of literal and wildcard tokens only.
    pub fn of_parts(parts: Vec<Part>, folded: bool) -> Template {
        debug_assert!(!parts.iter().any(|p| matches!(p, Part::Var(_))));
        Template {
            parts,
            vars: Vec::new(),
            folded,
        }
    }

    /// The variable a `Part::Var` points to.
    pub fn var(&self, i: u32) -> &Variable {
        &self.vars[i as usize]
    }

    /// Resolves the variables with `lookup` (given the lower-cased key; returns the
    /// key's single value). `None` when a variable has neither a value nor a default:
    /// the pattern then matches nothing.
    pub fn resolve<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> Option<Glob> {
        // Built as tokens directly: collecting parts first cost a second allocation per
        // pattern (70,000 of them for a 20,000-action policy).
        let mut toks = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            match p {
                Part::Tok(t) => toks.push(*t),
                Part::Var(i) => {
                    let v = self.var(*i);
                    let value = match lookup(&v.key) {
                        Some(value) => value,
                        None => v.default.as_deref()?,
                    };
                    toks.extend(value.chars().flat_map(|c| literal(c, self.folded)));
                }
            }
        }
        Some(Glob { toks })
    }

    /// A glob as a template without variables.
    pub fn of_glob(glob: &Glob, folded: bool) -> Template {
        Template::of_parts(glob.toks.iter().map(|t| Part::Tok(*t)).collect(), folded)
    }

    /// The glob of a template without variables.
    pub fn glob(&self) -> Option<Glob> {
        if self.has_variables() {
            None
        } else {
            self.resolve(|_| None)
        }
    }
}

/// The literal tokens of a character (its lower case when `folded`).
fn literal(c: char, folded: bool) -> impl Iterator<Item = Tok> {
    let lower = folded.then(|| c.to_lowercase());
    let plain = (!folded).then_some(c);
    lower.into_iter().flatten().chain(plain).map(Tok::Lit)
}

fn push_literal(parts: &mut Vec<Part>, c: char, folded: bool) {
    parts.extend(literal(c, folded).map(Part::Tok));
}

/// Splits an ARN into its six fields on the first five `:` (fewer if it has fewer).
pub fn arn_fields(arn: &str) -> Vec<&str> {
    arn.splitn(6, ':').collect()
}

/// The account field of an ARN, if the text has one.
pub fn arn_account(arn: &str) -> Option<&str> {
    // As `arn_fields`, without collecting the fields.
    let mut f = arn.splitn(6, ':');
    if f.next()? != "arn" {
        return None;
    }
    let account = f.nth(3)?;
    f.next().map(|_| account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bitset_matcher_equals_the_general_one() {
        // Every glob of up to 4 tokens against every string of up to 5 characters.
        let toks = [
            Tok::Lit('a'),
            Tok::Lit(':'),
            Tok::Any,
            Tok::AnyNoColon,
            Tok::Star,
            Tok::StarNoColon,
        ];
        let mut globs = vec![Vec::new()];
        let mut frontier = vec![Vec::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for g in &frontier {
                for t in toks {
                    let mut g: Vec<Tok> = g.clone();
                    g.push(t);
                    next.push(g);
                }
            }
            globs.extend(next.iter().cloned());
            frontier = next;
        }
        let mut texts = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let next: Vec<String> = frontier
                .iter()
                .flat_map(|t| ["a", ":", "b"].map(|c| format!("{t}{c}")))
                .collect();
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        for toks in globs {
            let g = Glob { toks };
            let key = g.action_key();
            for t in &texts {
                assert_eq!(g.matches_bits(t), g.matches_vec(t), "{g:?} on {t:?}");
                // The action key's shortcut never refuses a match.
                if g.matches(t) {
                    assert!(key.may_match(&ActionKey::of_text(t)), "{g:?} on {t:?}");
                }
            }
        }
        // Long globs take the general path and agree with the bitset at the boundary.
        let long = Glob::action(&format!("s3:{}*", "a".repeat(140)));
        assert!(long.matches(&format!("s3:{}zz", "A".repeat(140).to_lowercase())));
        assert!(!long.matches("s3:aaa"));
    }

    #[test]
    fn the_account_field_needs_six_fields() {
        for (arn, account) in [
            ("arn:aws:iam::111122223333:root", Some("111122223333")),
            ("arn:aws:s3:::bucket", Some("")),
            ("arn:aws:iam::111122223333", None),
            ("aws:iam::111122223333:root:x", None),
            ("arn:aws:iam::1:role/a:b:c", Some("1")),
            ("", None),
        ] {
            assert_eq!(arn_account(arn), account, "{arn}");
            let f = arn_fields(arn);
            let old = (f.len() == 6 && f[0] == "arn").then(|| f[4]);
            assert_eq!(arn_account(arn), old, "{arn}");
        }
    }

    #[test]
    fn the_action_fast_path_equals_the_general_parser() {
        for text in [
            "s3:GetObject",
            "*",
            "S3:Get*",
            "ec2:?escribe*",
            "İam:Pass",
            "ß:ẞ",
            "*:*",
            "a?b*c",
        ] {
            let general = Template::parse(text, Syntax::Wildcard, true, false)
                .ok()
                .and_then(|t| t.glob());
            assert_eq!(Some(Glob::action(text)), general, "{text}");
        }
    }

    fn m(pattern: &str, syntax: Syntax, text: &str) -> bool {
        Template::parse(pattern, syntax, false, true)
            .unwrap()
            .glob()
            .unwrap()
            .matches(text)
    }

    #[test]
    fn wildcards() {
        assert!(m("s3:Get*", Syntax::Wildcard, "s3:GetObject"));
        assert!(m("s3:Get*", Syntax::Wildcard, "s3:Get"));
        assert!(!m("s3:Get*", Syntax::Wildcard, "s3:PutObject"));
        assert!(m("s3:?et*", Syntax::Wildcard, "s3:Set"));
        assert!(!m("s3:?et*", Syntax::Wildcard, "s3:et"));
        assert!(m("*a*b*", Syntax::Wildcard, "xxaxxbxx"));
        assert!(!m("*a*b*", Syntax::Wildcard, "xxbxxaxx"));
        assert!(m("a*", Syntax::Literal, "a*"));
        assert!(!m("a*", Syntax::Literal, "ab"));
    }

    #[test]
    fn arn_segments_do_not_let_wildcards_cross_colons() {
        let p = "arn:aws:iam::*:role/x";
        assert!(m(p, Syntax::Arn, "arn:aws:iam::123:role/x"));
        assert!(!m(p, Syntax::Arn, "arn:aws:iam::1:2:role/x"));
        assert!(!m(
            "arn:aws:iam::1?3:role/x",
            Syntax::Arn,
            "arn:aws:iam::1:3:role/x"
        ));
        // In the sixth segment wildcards cross `/` and `:`.
        assert!(m("arn:aws:s3:::b/*", Syntax::Arn, "arn:aws:s3:::b/a:b/c"));
        assert!(m(
            "arn:aws:iam::1:role/?",
            Syntax::Arn,
            "arn:aws:iam::1:role/:"
        ));
    }

    #[test]
    fn short_arn_patterns_with_trailing_star_cover_every_continuation() {
        assert!(m(
            "arn:aws:lambda:*",
            Syntax::Arn,
            "arn:aws:lambda:us-east-1:1:function:f"
        ));
        assert!(!m("arn:aws:lambda:*", Syntax::Arn, "arn:aws:s3:::b"));
        assert!(m("*", Syntax::Arn, "arn:aws:s3:::b"));
        assert!(m("*", Syntax::Arn, "anything at all"));
        // A star that is not the last character stays inside its segment.
        assert!(!m("arn:*:s3", Syntax::Arn, "arn:a:b:s3"));
    }

    #[test]
    fn variables() {
        let t =
            Template::parse("arn:aws:s3:::b/${aws:username}/*", Syntax::Arn, false, true).unwrap();
        let g = t
            .resolve(|k| (k == "aws:username").then_some("al*ce"))
            .unwrap();
        assert!(g.matches("arn:aws:s3:::b/al*ce/x"));
        // The substituted value is literal, not a wildcard.
        assert!(!g.matches("arn:aws:s3:::b/alXXce/x"));
        assert!(t.resolve(|_| None).is_none());
        let d = Template::parse("${aws:username, 'none'}", Syntax::Literal, false, true).unwrap();
        assert!(d.resolve(|_| None).unwrap().matches("none"));
        let e = Template::parse("a${*}${?}${$}", Syntax::Wildcard, false, true).unwrap();
        assert!(e.glob().unwrap().matches("a*?$"));
        assert!(!e.glob().unwrap().matches("ab?$"));
        // Without variables enabled the text is literal.
        let lit = Template::parse("${aws:username}", Syntax::Literal, false, false).unwrap();
        assert!(lit.glob().unwrap().matches("${aws:username}"));
    }

    #[test]
    fn variable_errors() {
        assert_eq!(
            Template::parse("a${x", Syntax::Literal, false, true),
            Err(PatternError::UnterminatedVariable)
        );
        assert!(matches!(
            Template::parse("${}", Syntax::Literal, false, true),
            Err(PatternError::BadVariable(_))
        ));
        assert!(matches!(
            Template::parse("${a, b}", Syntax::Literal, false, true),
            Err(PatternError::BadVariable(_))
        ));
    }

    #[test]
    fn variables_in_every_arn_field() {
        let t = Template::parse(
            "arn:*:kms:*:${aws:PrincipalAccount}:key/*",
            Syntax::Arn,
            false,
            true,
        )
        .expect("a variable may stand in any ARN field");
        let g = t
            .resolve(|k| (k == "aws:principalaccount").then_some("111122223333"))
            .expect("resolves");
        assert!(g.matches("arn:aws:kms:us-east-1:111122223333:key/k"));
        assert!(!g.matches("arn:aws:kms:us-east-1:444455556666:key/k"));
        let r = Template::parse(
            "arn:aws:s3:${aws:RequestedRegion}::b",
            Syntax::Arn,
            false,
            true,
        )
        .expect("in the region field too");
        assert!(
            r.resolve(|_| Some("us-east-1"))
                .expect("resolves")
                .matches("arn:aws:s3:us-east-1::b")
        );
    }

    #[test]
    fn folding() {
        let t = Template::parse("S3:GetObject", Syntax::Wildcard, true, false).unwrap();
        assert!(t.glob().unwrap().matches(&fold("s3:getobject")));
        assert!(t.glob().unwrap().matches(&fold("S3:GETOBJECT")));
    }

    #[test]
    fn arn_helpers() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/a:b"),
            Some("123456789012")
        );
        assert_eq!(arn_account("123456789012"), None);
        assert_eq!(arn_fields("arn:aws:s3:::b:c").len(), 6);
    }
}
