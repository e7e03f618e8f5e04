//! Benchmarks of the compiler on generated projects (see `generator.rs`) of three sizes each:
//! builds of 10, 100 and 1,000 policies; checks of 100, 1,000 and 10,000 tags; builds of 10,
//! 100 and 1,000 policies whose `require` rules are wildcard patterns. Also the evaluator, and
//! the parse of the built-in catalog that every compiling command pays once.
//!
//! Run outside CI, briefly on a shared machine:
//!
//! ```sh
//! cargo bench --no-default-features --bench compile -- --warm-up-time 1 --measurement-time 3 --sample-size 10
//! ```
//!
//! Speed is measured here, never in timed tests. `scripts/bench-floor.sh` compares the built
//! binary with `jq`, and reports memory.

mod generator;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use generator::Shape;
use tagc::catalog::Catalog;
use tagc::model::{Layer, Request};
use tagc::source::SourceFile;
use tagc::verify::Verifier;

fn sources(shape: Shape) -> Vec<Arc<SourceFile>> {
    generator::project(shape)
        .into_iter()
        .map(|(name, text)| SourceFile::new(name, text))
        .collect()
}

/// Parse, check, lower and emit: everything `tagc build` does but writing the files.
fn build(c: &mut Criterion, group: &str, shapes: [Shape; 3]) {
    let catalog = Catalog::builtin();
    let mut g = c.benchmark_group(group);
    for shape in shapes {
        let sources = sources(shape);
        g.throughput(Throughput::Elements(shape.policies as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(shape.name()),
            &sources,
            |b, s| {
                b.iter(|| black_box(tagc::compile_sources(s, catalog)));
            },
        );
    }
    g.finish();
}

/// Parse and check only, as `tagc check` does: for the tag-heavy projects.
fn check(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut g = c.benchmark_group("check-tags");
    for tags in [100, 1_000, 10_000] {
        let shape = Shape::tags(tags);
        let sources = sources(shape);
        g.throughput(Throughput::Elements(tags as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(shape.name()),
            &sources,
            |b, s| {
                b.iter(|| {
                    let files: Vec<_> = s.iter().map(|f| tagc::syntax::parse(f).0).collect();
                    black_box(tagc::check::check(&files, catalog))
                });
            },
        );
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    c.bench_function("catalog: parse the built-in catalog", |b| {
        b.iter(|| black_box(Catalog::try_builtin()));
    });
    build(
        c,
        "build-policies",
        [
            Shape::policies(10),
            Shape::policies(100),
            Shape::policies(1_000),
        ],
    );
    check(c);
    build(
        c,
        "build-wildcards",
        [
            Shape::wildcards(10),
            Shape::wildcards(100),
            Shape::wildcards(1_000),
        ],
    );
    let catalog = Catalog::builtin();
    let compiled = tagc::compile_sources(&sources(Shape::policies(100)), catalog);
    let Ok(verifier) = Verifier::new(compiled.artifacts(), catalog) else {
        return;
    };
    let request = Request {
        principal: "arn:aws:iam::111122223333:role/developer".into(),
        action: tagc::model::ActionName::new("sagemaker", "CreateTrainingJob"),
        tags: vec![
            ("environment".into(), "dev".into()),
            ("CostCenter".into(), "CC-1".into()),
            ("project".into(), "churn".into()),
        ],
        on_create: None,
        resource: None,
    };
    c.bench_function("eval: one request against the SCPs of 100 policies", |b| {
        b.iter(|| black_box(verifier.decide(Layer::Scp, &request)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
