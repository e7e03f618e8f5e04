//! IAM's wildcard matching, as used by `Action`, `Resource`, `StringLike` and `ArnLike`.
//!
//! Input: a pattern and a text. Output: whether they match: `*` matches any run of characters
//! (also none), `?` any one character
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String>).
//! Action names match without regard to case
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>);
//! everything else is case-sensitive.

/// Whether `text` matches `pattern`, folding case when `ignore_case` is set.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (fold(pattern), fold(text));
    // Greedy with one backtrack point (the last `*`): linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn test_star_matches_any_run_and_question_mark_one_character() {
        assert!(wildcard_match("CC-*", "CC-1", false));
        assert!(wildcard_match("CC-*", "CC-", false));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("a*b*c", "aXbYbZc", false));
        assert!(!wildcard_match("x*y", "xay!", false));
    }

    #[test]
    fn test_case_folds_only_when_asked() {
        assert!(!wildcard_match("CC-*", "cc-1", false));
        assert!(wildcard_match("CC-*", "cc-1", true));
        assert!(wildcard_match(
            "sagemaker:Create*",
            "SageMaker:createtrainingjob",
            true
        ));
    }

    #[test]
    fn test_arn_patterns() {
        assert!(wildcard_match(
            "arn:aws:iam::*:role/TagAdmin",
            "arn:aws:iam::1:role/TagAdmin",
            false
        ));
        assert!(!wildcard_match(
            "arn:aws:iam::*:role/TagAdmin",
            "arn:aws:iam::1:role/TagAdmins",
            false
        ));
    }
}
