//! "Did you mean": the one rule by which every stage suggests a known name for a misspelt one
//! (tag names, services, actions, resource types, OU paths).
//!
//! Input: what the user wrote and the names it could have meant. Output: the closest name, if
//! one is close enough to be a slip. Names compare ignoring case, by Damerau–Levenshtein
//! distance (a swapped pair of letters is one edit), and a name is close when it is at most a
//! third of the input's length away (at least one edit). A name equal ignoring case is at
//! distance 0, so it always wins: that is the commonest slip with tag keys.

/// The edit distance between two names, ignoring case.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(&a.to_lowercase(), &b.to_lowercase())
}

/// The candidate closest to `input`, if one is close enough to be what the user meant; of
/// candidates equally close, the first in name order.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(input, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn test_did_you_mean_prefers_case_insensitive_match() {
        assert_eq!(
            did_you_mean("costcenter", ["CostCentre", "CostCenter"]),
            Some("CostCenter")
        );
    }

    #[test]
    fn test_did_you_mean_finds_typos_and_rejects_strangers() {
        assert_eq!(
            did_you_mean("enviroment", ["environment", "owner"]),
            Some("environment")
        );
        assert_eq!(did_you_mean("project", ["environment", "owner"]), None);
    }

    #[test]
    fn test_did_you_mean_counts_a_swapped_pair_as_one_edit() {
        // Three letters allow one edit: a transposition must count as one.
        assert_eq!(did_you_mean("nev", ["env", "owner"]), Some("env"));
    }

    #[test]
    fn test_did_you_mean_breaks_ties_by_name() {
        assert_eq!(did_you_mean("cat", ["cut", "bat"]), Some("bat"));
    }
}
