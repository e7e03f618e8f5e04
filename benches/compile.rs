//! Benchmarks of the compiler pipeline and the evaluator, on the shipped policy set.
//!
//! Run with `cargo bench`. Speed is measured here, never in timed tests.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tagc::catalog::Catalog;
use tagc::model::{Layer, Request};
use tagc::source::SourceFile;
use tagc::verify::Verifier;

fn policies() -> Vec<Arc<SourceFile>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tags"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some(SourceFile::new(p.display().to_string(), text))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let sources = policies();
    c.bench_function("catalog: parse the built-in catalog", |b| {
        b.iter(|| black_box(Catalog::try_builtin()));
    });
    c.bench_function("syntax: parse policies/", |b| {
        b.iter(|| {
            for s in &sources {
                black_box(tagc::syntax::parse(s));
            }
        });
    });
    c.bench_function("compile: policies/ end to end", |b| {
        b.iter(|| black_box(tagc::compile_sources(&sources, catalog)));
    });
    let compiled = tagc::compile_sources(&sources, catalog);
    let Ok(verifier) = Verifier::new(&compiled.artifacts, catalog) else {
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
    c.bench_function("eval: one request against every SCP of policies/", |b| {
        b.iter(|| black_box(verifier.decide(Layer::Scp, &request)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
