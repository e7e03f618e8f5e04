//! "Did you mean" suggestions.

/// The candidate closest to `input`, if one is close enough to be what the user meant. A
/// candidate equal ignoring case always wins: that is the commonest slip with tag keys.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = input.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let cl = c.to_lowercase();
        if cl == lower {
            return Some(c);
        }
        let score = strsim::jaro_winkler(&lower, &cl);
        if score > 0.85 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
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
}
