//! Value patterns as sets of values: input, patterns with `*` (any run of characters, the empty
//! one included) and `?` (exactly one character), matched case-sensitively as IAM's
//! `StringLike` matches tag values
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String>);
//! output, whether two patterns match a value in common ([`common`]) and whether a pattern
//! matches a value that none of a list of patterns matches ([`uncovered`]), each with such a
//! value when there is one.
//!
//! Both are decided exactly, on automata. A pattern is read as an automaton whose states are
//! the positions between its tokens: a character or `?` moves one position on, a `*` may be
//! skipped or read any character and stay. Only the characters written in the patterns can
//! tell values apart, so the alphabet is those characters and one class for every other
//! character. [`common`] searches the product of two such automata for a state where both
//! accept (at most (n + 1)(m + 1) states); [`uncovered`] runs the pattern's automaton beside the
//! subset construction of the list's, looking for a state where the pattern accepts and no
//! pattern of the list does. That second search can grow exponentially with the `?`s after a
//! `*` (a list of such patterns can state any Boolean formula), so it stops after
//! [`MAX_STATES`] states and says it does not know.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::Hash;

/// The most states [`uncovered`] visits before it gives up: far more than any list of tag
/// values written by hand needs (a list of plain values and patterns with a `*` or two takes
/// tens to hundreds), and few enough that a rule built to blow the search up costs a few
/// hundredths of a second, not seconds. [`common`] needs no bound: its states are at most
/// (n + 1)(m + 1) for patterns of n and m characters (66,049 for two of 256, the longest a tag
/// value may be).
pub const MAX_STATES: usize = 20_000;

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A value with the property asked for.
    Value(String),
    /// No value has it.
    Nothing,
    /// The search stopped after [`MAX_STATES`] states without an answer.
    TooLarge,
}

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`
    One,
    /// `*`
    Run,
}

/// A character of the alphabet: one written in a pattern, or `None` for all others.
type Symbol = Option<char>;

/// A pattern as an automaton: state `i` has matched the first `i` tokens; the last state
/// accepts.
struct Pattern(Vec<Token>);

impl Pattern {
    fn new(pattern: &str) -> Self {
        Self(
            pattern
                .chars()
                .map(|c| match c {
                    '*' => Token::Run,
                    '?' => Token::One,
                    c => Token::Char(c),
                })
                .collect(),
        )
    }

    const fn accepting(&self) -> usize {
        self.0.len()
    }

    /// Add `state` and the states after the `*`s that follow it, which need no character.
    fn close(&self, state: usize, out: &mut BTreeSet<usize>) {
        let mut s = state;
        out.insert(s);
        while self.0.get(s) == Some(&Token::Run) {
            s += 1;
            out.insert(s);
        }
    }

    fn start(&self) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        self.close(0, &mut out);
        out
    }

    /// Add the states reached from `state` by reading `symbol`.
    fn step(&self, state: usize, symbol: Symbol, out: &mut BTreeSet<usize>) {
        match self.0.get(state) {
            Some(Token::Char(c)) if symbol == Some(*c) => self.close(state + 1, out),
            Some(Token::One) => self.close(state + 1, out),
            Some(Token::Run) => self.close(state, out),
            _ => {}
        }
    }

    fn next(&self, state: usize, symbol: Symbol) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        self.step(state, symbol, &mut out);
        out
    }

    fn literals(&self) -> impl Iterator<Item = char> + '_ {
        self.0.iter().filter_map(|t| match t {
            Token::Char(c) => Some(*c),
            Token::One | Token::Run => None,
        })
    }
}

/// The characters written in `patterns`, then the class of all others.
fn alphabet<'p>(patterns: impl Iterator<Item = &'p Pattern>) -> Vec<Symbol> {
    let written: BTreeSet<char> = patterns.flat_map(Pattern::literals).collect();
    written.into_iter().map(Some).chain([None]).collect()
}

/// A character none of `alphabet` is, to stand for the class of all others in a value.
fn other(alphabet: &[Symbol]) -> char {
    ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain((0x100..=0x10_FFFF).filter_map(char::from_u32))
        .find(|c| !alphabet.contains(&Some(*c)))
        .unwrap_or('\u{FFFD}')
}

/// Breadth-first search from `starts` for a state that `accepts`, following `next` on each
/// symbol: the word that reaches the first one found (so a shortest one).
fn search<S: Clone + Eq + Hash>(
    max_states: usize,
    starts: impl IntoIterator<Item = S>,
    alphabet: &[Symbol],
    accepts: impl Fn(&S) -> bool,
    next: impl Fn(&S, Symbol) -> Vec<S>,
) -> Found {
    // Each state seen, with the state and symbol it was reached from.
    let mut nodes: Vec<(S, Option<(usize, Symbol)>)> = Vec::new();
    let mut seen: HashMap<S, usize> = HashMap::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    for s in starts {
        if !seen.contains_key(&s) {
            seen.insert(s.clone(), nodes.len());
            queue.push_back(nodes.len());
            nodes.push((s, None));
        }
    }
    let stand_in = other(alphabet);
    while let Some(i) = queue.pop_front() {
        let Some((state, _)) = nodes.get(i) else {
            break;
        };
        if accepts(state) {
            let mut word = Vec::new();
            let mut at = i;
            while let Some((_, Some((from, symbol)))) = nodes.get(at) {
                word.push(symbol.unwrap_or(stand_in));
                at = *from;
            }
            return Found::Value(word.into_iter().rev().collect());
        }
        let state = state.clone();
        for &symbol in alphabet {
            for n in next(&state, symbol) {
                if seen.contains_key(&n) {
                    continue;
                }
                if nodes.len() >= max_states {
                    return Found::TooLarge;
                }
                seen.insert(n.clone(), nodes.len());
                queue.push_back(nodes.len());
                nodes.push((n, Some((i, symbol))));
            }
        }
    }
    Found::Nothing
}

/// A value that both `a` and `b` match, or [`Found::Nothing`] when they have none in common.
pub fn common(a: &str, b: &str) -> Found {
    let (a, b) = (Pattern::new(a), Pattern::new(b));
    let alphabet = alphabet([&a, &b].into_iter());
    let starts: Vec<(usize, usize)> = a
        .start()
        .into_iter()
        .flat_map(|i| b.start().into_iter().map(move |j| (i, j)))
        .collect();
    search(
        usize::MAX,
        starts,
        &alphabet,
        |&(i, j)| i == a.accepting() && j == b.accepting(),
        |&(i, j), symbol| {
            let next_b = b.next(j, symbol);
            a.next(i, symbol)
                .into_iter()
                .flat_map(|i| next_b.iter().map(move |&j| (i, j)))
                .collect()
        },
    )
}

/// A value that `pattern` matches and no pattern of `list` does, or [`Found::Nothing`] when
/// `list` takes in every value `pattern` matches.
pub fn uncovered(pattern: &str, list: &[String]) -> Found {
    let p = Pattern::new(pattern);
    let list: Vec<Pattern> = list.iter().map(|l| Pattern::new(l)).collect();
    let alphabet = alphabet(std::iter::once(&p).chain(&list));
    // The states of the list's patterns together: (pattern index, state), in order.
    let list_start: BTreeSet<(usize, usize)> = list
        .iter()
        .enumerate()
        .flat_map(|(k, l)| l.start().into_iter().map(move |s| (k, s)))
        .collect();
    let starts: Vec<(usize, BTreeSet<(usize, usize)>)> = p
        .start()
        .into_iter()
        .map(|i| (i, list_start.clone()))
        .collect();
    search(
        MAX_STATES,
        starts,
        &alphabet,
        |(i, set)| {
            *i == p.accepting()
                && !set
                    .iter()
                    .any(|&(k, s)| list.get(k).is_some_and(|l| s == l.accepting()))
        },
        |(i, set), symbol| {
            let mut next_set = BTreeSet::new();
            for &(k, s) in set {
                if let Some(l) = list.get(k) {
                    for n in l.next(s, symbol) {
                        next_set.insert((k, n));
                    }
                }
            }
            p.next(*i, symbol)
                .into_iter()
                .map(|n| (n, next_set.clone()))
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Found, common, uncovered};
    use crate::model::wildcard_match;

    fn value(found: &Found) -> Option<&str> {
        match found {
            Found::Value(v) => Some(v),
            Found::Nothing | Found::TooLarge => None,
        }
    }

    #[test]
    fn test_common_finds_a_value_both_patterns_match() {
        assert_eq!(common("CC-*", "*-12"), Found::Value("CC-12".into()));
        assert_eq!(common("dev", "dev"), Found::Value("dev".into()));
        assert_eq!(common("a?", "?b"), Found::Value("ab".into()));
        // A character neither pattern names stands for every other.
        assert!(value(&common("*", "?")).is_some_and(|v| v.chars().count() == 1));
    }

    #[test]
    fn test_common_is_nothing_for_disjoint_patterns() {
        assert_eq!(common("CC-????", "CC-??"), Found::Nothing);
        assert_eq!(common("dev*", "prod*"), Found::Nothing);
        assert_eq!(common("*a", "*b"), Found::Nothing);
        // Values are compared with their case.
        assert_eq!(common("Dev", "dev"), Found::Nothing);
    }

    #[test]
    fn test_uncovered_is_nothing_when_the_list_takes_in_every_value() {
        let list = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(uncovered("t*", &list(&["t*"])), Found::Nothing);
        assert_eq!(uncovered("CC-????", &list(&["CC-*"])), Found::Nothing);
        assert_eq!(uncovered("*", &list(&["", "?*"])), Found::Nothing);
        assert_eq!(uncovered("a?", &list(&["aa", "a?"])), Found::Nothing);
        assert_eq!(
            uncovered("?", &list(&["a"])),
            Found::Value("b".into()),
            "the class of other characters stands in with a character of its own"
        );
        assert_eq!(
            uncovered("CC-*", &list(&["CC-?*"])),
            Found::Value("CC-".into())
        );
        assert_eq!(uncovered("x", &list(&[])), Found::Value("x".into()));
    }

    #[test]
    fn test_uncovered_gives_up_past_its_bound_rather_than_running_on() {
        // Every value of 20 `a`s and `b`s ending in `a`… the list would need 2^20 subsets.
        let pattern = format!("*a{}", "?".repeat(20));
        let list = vec![
            format!("*b{}", "?".repeat(20)),
            format!("*a{}", "?".repeat(19)),
        ];
        assert_eq!(uncovered(&pattern, &list), Found::TooLarge);
    }

    /// Every string over `a`, `b` and `c` up to `len` characters (`c` is written in no
    /// pattern below: the class of other characters).
    fn strings(len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| ["a", "b", "c"].map(|c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    fn pattern() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('a'), Just('b'), Just('*'), Just('?')],
            0..5,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn test_common_agrees_with_brute_force(a in pattern(), b in pattern()) {
            let found = common(&a, &b);
            prop_assert_ne!(&found, &Found::TooLarge);
            if let Some(v) = value(&found) {
                prop_assert!(wildcard_match(&a, v, false) && wildcard_match(&b, v, false), "{v}");
            }
            let brute = strings(6)
                .into_iter()
                .find(|s| wildcard_match(&a, s, false) && wildcard_match(&b, s, false));
            // A shortest value is found, so one up to 6 characters long is found as such.
            prop_assert_eq!(
                brute.map(|s| s.chars().count()),
                value(&found).map(|v| v.chars().count()).filter(|n| *n <= 6)
            );
        }

        #[test]
        fn test_uncovered_agrees_with_brute_force(
            p in pattern(),
            list in proptest::collection::vec(pattern(), 0..3),
        ) {
            let found = uncovered(&p, &list);
            prop_assert_ne!(&found, &Found::TooLarge);
            let outside = |s: &str| {
                wildcard_match(&p, s, false) && !list.iter().any(|l| wildcard_match(l, s, false))
            };
            if let Some(v) = value(&found) {
                prop_assert!(outside(v), "{v}");
            }
            let brute = strings(6).into_iter().find(|s| outside(s));
            prop_assert_eq!(
                brute.map(|s| s.chars().count()),
                value(&found).map(|v| v.chars().count()).filter(|n| *n <= 6)
            );
        }
    }
}
