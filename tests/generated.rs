//! The generated projects the benchmarks measure compile, without a diagnostic, into the
//! artifacts their shape implies: the benchmarks time real builds, not error paths.

#[path = "../benches/generator.rs"]
mod generator;

use std::sync::Arc;

use generator::Shape;
use tagc::catalog::Catalog;
use tagc::source::SourceFile;

fn compile(shape: Shape) -> tagc::Compiled {
    let sources: Vec<Arc<SourceFile>> = generator::project(shape)
        .into_iter()
        .map(|(name, text)| SourceFile::new(name, text))
        .collect();
    tagc::compile_sources(&sources, Catalog::builtin())
}

#[test]
fn test_every_benchmarked_shape_compiles_without_diagnostics() {
    // The smallest of each kind the benches use (the larger ones only repeat the pattern).
    for shape in [Shape::policies(10), Shape::tags(100), Shape::wildcards(10)] {
        let c = compile(shape);
        assert!(
            c.diagnostics.is_empty(),
            "{}:\n{}",
            shape.name(),
            c.diagnostics.render_human(false)
        );
        let project = c.project.as_ref().unwrap();
        assert_eq!(project.policies.len(), shape.policies, "{}", shape.name());
        assert_eq!(project.tags.len(), shape.tags.max(4), "{}", shape.name());
        // Every policy has an SCP, an IAM policy and a tag policy.
        let policies: std::collections::BTreeSet<&str> =
            c.artifacts().iter().map(|a| a.policy.as_str()).collect();
        assert_eq!(policies.len(), shape.policies, "{}", shape.name());
        assert!(
            c.artifacts().len() >= 3 * shape.policies,
            "{}",
            shape.name()
        );
    }
}

#[test]
fn test_wildcard_shape_expands_patterns_and_exact_shape_does_not() {
    let exact = compile(Shape::policies(10));
    let wild = compile(Shape::wildcards(10));
    let expansions = |c: &tagc::Compiled| -> usize {
        c.project
            .as_ref()
            .unwrap()
            .policies
            .iter()
            .flat_map(|p| &p.requires)
            .map(|r| r.actions.len())
            .sum()
    };
    let (wild, exact) = (expansions(&wild), expansions(&exact));
    assert!(
        wild > 3 * exact,
        "{wild} actions from patterns, {exact} named"
    );
}

#[test]
fn test_generated_projects_are_deterministic() {
    let shape = Shape::policies(20);
    assert_eq!(generator::project(shape), generator::project(shape));
    assert_eq!(shape.name(), "policies-20");
    assert_eq!(Shape::tags(100).name(), "tags-100");
    assert_eq!(Shape::wildcards(10).name(), "wildcards-10");
}
