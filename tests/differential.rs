//! Differential tests: the reference semantics (`tagc::reference`, computed straight from the
//! checked rules) and the evaluator run on the emitted JSON (`tagc::verify`) decide the same on
//! random requests, for every layer, for every file in `examples/`, for `policies/` as one
//! project, and for randomly generated policies (whose rules may end with `at` and `except`);
//! under every policy, and from each place in the
//! organization the policies attach to, where the tag policies on the path from the root are
//! merged into the effective one (`tests/fixtures/valid/tag_policy_inheritance.tags` is the
//! case of a lower tag policy that must not erase a higher one's enforcement). Also: compiling under the legacy limits (which
//! splits documents) and merging statements (`lower::merge`) or splitting documents
//! (`emit::split_to_fit`) never change a decision.
//!
//! Requests are drawn from a [`Universe`] built from the compiled project: the actions of its
//! rules and actions near them (other creates and the tagging actions of the same services),
//! tag sets with declared and undeclared keys in random casings and values that are allowed,
//! case variants of allowed ones, or junk, principals a policy's `exempt` or a rule's `except`
//! spares and others, tag-on-create and
//! standalone tagging, and resources the rules are scoped to or not. A request is generated as a
//! [`Seed`] of indexes into the universe, so that proptest shrinks it to a small request; a
//! disagreement prints that request and both answers with their explanations.
//!
//! Case counts are explicit (independent of `PROPTEST_CASES`) and sized so that the module runs
//! in a few seconds in a debug build.

#![expect(
    clippy::unwrap_used,
    reason = "fixtures are built outside #[test] functions; a broken one must fail loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::{Index, subsequence};
use proptest::test_runner::{Config, TestCaseError};
use tagc::artifact::{Artifact, ArtifactKind};
use tagc::catalog::Catalog;
use tagc::ir::{Condition, Effect, PolicyDocument, Statement};
use tagc::model::{DEFAULT_PRINCIPAL, Decision, Layer, Project, Request, TagDef, removes_tags};
use tagc::reference;
use tagc::verify::Verifier;
use tagc_eval::{Policy as EvalPolicy, PolicyKind, RequestContext, Verdict, evaluate_policies};

use crate::common::requests::{
    ACCOUNT, arn, compile_project, push_new, relative, resources_of, scoped_and_enforced,
    sources_in,
};
use crate::common::root;

const LAYERS: [Layer; 3] = [Layer::Scp, Layer::Iam, Layer::TagPolicy];

/// An explicit configuration: the same number of cases whatever `PROPTEST_CASES` says.
fn config(cases: u32) -> Config {
    Config {
        cases,
        max_shrink_iters: 2048,
        // Seeds index a universe built from the current rules and catalog, so a saved seed
        // would mean another request after any change; the failure message shows the request.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---- compiled projects ----

/// A compiled project with its evaluator and the requests that exercise it.
struct Fixture {
    /// What it is, for failure messages: a path, or the generated source.
    name: String,
    project: Project,
    artifacts: Vec<Artifact>,
    verifier: Verifier<'static>,
    universe: Universe,
}

impl Fixture {
    /// Compile `sources` (name, text) as one project. Every fixture here is valid, so a
    /// compile error is a failure that shows the diagnostics.
    fn compile(name: &str, sources: &[(String, String)]) -> Result<Self, String> {
        let compiled = compile_project(name, sources)?;
        let universe = Universe::of(&compiled.project);
        Ok(Self {
            name: name.to_owned(),
            project: compiled.project,
            artifacts: compiled.artifacts,
            verifier: compiled.verifier,
            universe,
        })
    }
}

/// Each file of `examples/` on its own.
static EXAMPLES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
    sources_in("examples")
        .into_iter()
        .map(|(name, text)| Fixture::compile(&name, &[(name.clone(), text)]).unwrap())
        .collect()
});

/// `policies/` as one project. Its tests may be made `from` a scope; the differential checks
/// the whole project, where every policy applies.
static POLICIES: LazyLock<Fixture> =
    LazyLock::new(|| Fixture::compile("policies/", &sources_in("policies")).unwrap());

/// The same sources under `limits legacy`, which splits large SCPs into several documents.
fn with_legacy_limits(sources: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = sources
        .iter()
        .map(|(n, t)| (n.clone(), t.replace("limits current", "limits legacy")))
        .collect();
    if !out.iter().any(|(_, t)| t.contains("limits legacy")) {
        out.push((
            "legacy-limits.tags".into(),
            "organization {\n  limits legacy\n}\n".into(),
        ));
    }
    out
}

/// (current limits, legacy limits) for `examples/` and `policies/`, and for a project large
/// enough that its SCP must be split under the legacy 5,120-character limit.
static LIMIT_PAIRS: LazyLock<Vec<(Fixture, Fixture)>> = LazyLock::new(|| {
    let mut projects: Vec<(String, Vec<(String, String)>)> = sources_in("examples")
        .into_iter()
        .map(|(n, t)| (n.clone(), vec![(n, t)]))
        .collect();
    projects.push(("policies/".into(), sources_in("policies")));
    projects.push(("large".into(), vec![("large.tags".into(), LARGE.into())]));
    projects
        .into_iter()
        .map(|(name, sources)| {
            let current = Fixture::compile(&name, &sources).unwrap();
            let legacy =
                Fixture::compile(&format!("{name} (legacy)"), &with_legacy_limits(&sources))
                    .unwrap();
            (current, legacy)
        })
        .collect()
});

/// Every `SageMaker` create, each with a value check and an exact-case check: well over the
/// legacy SCP size.
const LARGE: &str = r#"
tag environment {
  values "dev" "staging" "production"
  exact-case
}
tag CostCenter {
  values "CC-*"
}
policy large {
  require environment, CostCenter on sagemaker:Create*
  only-declared-keys on sagemaker:Create*
  protect environment
  exempt "arn:aws:iam::*:role/TagAdmin"
  grant
  attach to root
}
"#;

// ---- requests ----

/// Everything a request of a project is drawn from.
struct Universe {
    /// `service:Action`: the rules' actions first, then actions near them.
    actions: Vec<String>,
    /// Tagging actions that add tags, which can run as part of a create.
    tagging: BTreeSet<String>,
    /// Per service, the bare names of its creates (for `on_create`).
    creates: BTreeMap<String, Vec<String>>,
    /// Tag keys: declared, then undeclared.
    keys: Vec<String>,
    /// Per key (same index), the values to try: allowed, case variants, junk.
    values: Vec<Vec<String>>,
    /// Principal ARNs: the default, another role, `exempt` and `except` patterns instantiated
    /// and near misses.
    principals: Vec<String>,
    /// Per action, the resource ARNs a request for it can name.
    resources: BTreeMap<String, Vec<String>>,
}

fn service_of(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

impl Universe {
    fn of(project: &Project) -> Self {
        let catalog = Catalog::builtin();
        let mut actions = Vec::new();
        let mut creates: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Per service: ARNs the rules are scoped to, and ARNs of the types a tag policy
        // enforces.
        let (scoped, enforced) = scoped_and_enforced(project);
        let mut services = BTreeSet::new();
        for p in &project.policies {
            let rule_actions = p
                .requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.only_declared.iter().flat_map(|o| &o.actions));
            for a in rule_actions {
                push_new(&mut actions, a.name.to_string());
                push_new(
                    creates.entry(a.name.service().to_owned()).or_default(),
                    a.name.action().to_owned(),
                );
                services.insert(a.name.service().to_owned());
            }
            for a in p
                .protects
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.forbids.iter().flat_map(|f| &f.actions))
            {
                push_new(&mut actions, a.name.to_string());
                services.insert(a.name.service().to_owned());
            }
            for t in &p.tagging_on_create {
                push_new(&mut actions, t.tagging_action.to_string());
            }
            for t in p.enforce.iter().flat_map(|r| &r.resource_types) {
                services.insert(t.service().to_owned());
            }
        }
        let mut tagging = BTreeSet::new();
        for service in &services {
            let Some(svc) = catalog.service(service) else {
                continue;
            };
            for t in &svc.tagging_actions {
                let full = format!("{}:{t}", svc.prefix);
                if !removes_tags(&full.parse().unwrap()) {
                    tagging.insert(full.clone());
                }
                push_new(&mut actions, full);
            }
            // Near: creates and starts of the same service that no rule names.
            let near = svc
                .actions
                .iter()
                .filter(|a| !a.tagging_only)
                .filter(|a| a.name.starts_with("Create") || a.name.starts_with("Start"))
                .map(|a| a.name.clone())
                .filter(|n| !actions.contains(&format!("{}:{n}", svc.prefix)))
                .take(3)
                .collect::<Vec<_>>();
            for n in near {
                push_new(creates.entry(svc.prefix.clone()).or_default(), n.clone());
                push_new(&mut actions, format!("{}:{n}", svc.prefix));
            }
        }
        push_new(&mut actions, "s3:GetObject".into());
        let resources = actions
            .iter()
            .map(|a| (a.clone(), resources_of(a, &scoped, &enforced)))
            .collect();

        let mut keys: Vec<String> = project.tags.iter().map(|t| t.key.clone()).collect();
        for undeclared in ["ticket", "Team", "aws-cost"] {
            if project.tag_ignore_case(undeclared).is_none() {
                keys.push(undeclared.into());
            }
        }
        let values = keys
            .iter()
            .map(|k| values_for(project.tag(k), &tested_patterns(project, k)))
            .collect();

        let principals = principals_of(project);
        Self {
            actions,
            tagging,
            creates,
            keys,
            values,
            principals,
            resources,
        }
    }

    /// The request a seed selects.
    fn request(&self, seed: &Seed) -> Request {
        let action = seed.action.get(&self.actions).clone();
        let service = service_of(&action).to_owned();
        // A removing action names the keys it removes; their values are empty.
        let removing = removes_tags(&action.parse().unwrap());
        let mut tags: Vec<(String, String)> = Vec::new();
        for (k, casing, v) in &seed.tags {
            let i = k.index(self.keys.len());
            let key = spell(&self.keys[i], casing.index(6));
            // Never two keys equal ignoring case: IAM's `aws:RequestTag/K` lookup is ambiguous
            // there, and services reject such requests.
            if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(&key)) {
                continue;
            }
            let value = if removing {
                String::new()
            } else {
                v.get(&self.values[i]).clone()
            };
            tags.push((key, value));
        }
        let on_create = seed
            .on_create
            .filter(|_| self.tagging.contains(&action))
            .and_then(|i| {
                self.creates
                    .get(&service)
                    .filter(|c| !c.is_empty())
                    .map(|c| i.get(c).clone())
            });
        let resource = seed.resource.and_then(|i| {
            self.resources
                .get(&action)
                .filter(|r| !r.is_empty())
                .map(|r| i.get(r).clone())
        });
        Request {
            principal: seed.principal.get(&self.principals).clone(),
            action: action.parse().unwrap(),
            tags,
            on_create,
            resource,
        }
    }
}

/// The default principal, another role, and each `exempt` and `except` pattern instantiated,
/// with near misses.
fn principals_of(project: &Project) -> Vec<String> {
    let mut principals = vec![
        DEFAULT_PRINCIPAL.to_owned(),
        "arn:aws:iam::444455556666:role/Developer".to_owned(),
    ];
    let excepts = project.policies.iter().flat_map(|p| {
        p.requires
            .iter()
            .flat_map(|r| &r.except)
            .chain(p.only_declared.iter().flat_map(|o| &o.except))
            .chain(p.protects.iter().flat_map(|r| &r.except))
            .chain(p.forbids.iter().flat_map(|f| &f.except))
    });
    for pattern in project
        .policies
        .iter()
        .flat_map(|p| &p.exempt)
        .chain(excepts)
    {
        let exact = arn(pattern);
        // Near misses: ARNs compare case-sensitively, and a longer name is another role.
        let lower = match exact.rsplit_once('/') {
            Some((head, name)) => format!("{head}/{}", name.to_lowercase()),
            None => exact.to_lowercase(),
        };
        push_new(&mut principals, exact.clone());
        push_new(&mut principals, lower);
        push_new(&mut principals, format!("{exact}-other"));
        push_new(&mut principals, exact.replace(":role/", ":user/"));
    }
    principals
}

/// The key in one of several casings; most seeds (and the shrunk ones) keep it as declared.
fn spell(key: &str, casing: usize) -> String {
    match casing {
        3 => key.to_lowercase(),
        4 => key.to_uppercase(),
        5 => {
            let mut chars = key.chars();
            chars.next().map_or_else(String::new, |c| {
                let flipped: String = if c.is_uppercase() {
                    c.to_lowercase().collect()
                } else {
                    c.to_uppercase().collect()
                };
                flipped + chars.as_str()
            })
        }
        _ => key.to_owned(),
    }
}

/// The value patterns `forbid` and `when` test on `key`: tried as well, hit and missed.
fn tested_patterns<'p>(project: &'p Project, key: &str) -> Vec<&'p String> {
    project
        .policies
        .iter()
        .flat_map(|p| {
            p.forbids
                .iter()
                .map(|f| &f.test)
                .chain(p.requires.iter().filter_map(|r| r.when.as_deref()))
        })
        .filter(|t| t.key.eq_ignore_ascii_case(key))
        .flat_map(|t| &t.values)
        .collect()
}

/// Values to try for a key: allowed ones and those of the `forbid` and `when` patterns on it
/// (wildcards filled in, a `?` left out or doubled, and the pattern itself), their case
/// variants, then junk.
fn values_for(tag: Option<&TagDef>, tested: &[&String]) -> Vec<String> {
    let mut out = Vec::new();
    let allowed = tag.and_then(|t| t.values.as_ref());
    if allowed.is_none() {
        push_new(&mut out, "x1".into());
    }
    for p in allowed.into_iter().flatten().chain(tested.iter().copied()) {
        push_new(&mut out, p.replace('?', "7").replace('*', "1042"));
        push_new(&mut out, p.replace('?', "7").replace('*', ""));
        // One character short, and one too many, for each `?`: what `StringLike` refuses
        // and the tag policy's widened `*` may admit.
        push_new(&mut out, p.replacen('?', "", 1).replace(['?', '*'], "7"));
        push_new(&mut out, p.replace('?', "77").replace('*', ""));
        push_new(&mut out, p.clone());
    }
    for v in out.clone() {
        push_new(&mut out, v.to_uppercase());
        push_new(&mut out, v.to_lowercase());
    }
    for junk in ["", "junk", "prod", "Dev", "cc-7"] {
        push_new(&mut out, junk.into());
    }
    out
}

/// A request as indexes into a [`Universe`]: proptest shrinks these toward the first entries
/// (the rules' own actions, keys as declared, allowed values, the default principal).
#[derive(Debug, Clone)]
struct Seed {
    action: Index,
    tags: Vec<(Index, Index, Index)>,
    principal: Index,
    on_create: Option<Index>,
    resource: Option<Index>,
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        any::<Index>(),
        prop::collection::vec((any::<Index>(), any::<Index>(), any::<Index>()), 0..6),
        any::<Index>(),
        prop::option::weighted(0.4, any::<Index>()),
        prop::option::weighted(0.4, any::<Index>()),
    )
        .prop_map(|(action, tags, principal, on_create, resource)| Seed {
            action,
            tags,
            principal,
            on_create,
            resource,
        })
}

/// The property: the evaluator on the emitted JSON decides as the reference semantics does.
fn agree(f: &Fixture, layer: Layer, request: &Request) -> Result<(), TestCaseError> {
    let got = f.verifier.decide(layer, request);
    let want = reference::decide(&f.project, layer, request);
    prop_assert_eq!(
        got.decision,
        want.decision,
        "{}: the {} layer disagrees on\n{:#?}\nevaluator on the emitted JSON: {}\n  {}\nreference semantics: {}\n  {}",
        f.name,
        layer,
        request,
        got.decision,
        got.explanation,
        want.decision,
        want.reason
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn test_scp_agrees_with_reference_on_examples(file in any::<Index>(), seed in seed()) {
        let f = file.get(&EXAMPLES);
        agree(f, Layer::Scp, &f.universe.request(&seed))?;
    }

    #[test]
    fn test_iam_agrees_with_reference_on_examples(file in any::<Index>(), seed in seed()) {
        let f = file.get(&EXAMPLES);
        agree(f, Layer::Iam, &f.universe.request(&seed))?;
    }

    #[test]
    fn test_tag_policy_agrees_with_reference_on_examples(file in any::<Index>(), seed in seed()) {
        let f = file.get(&EXAMPLES);
        agree(f, Layer::TagPolicy, &f.universe.request(&seed))?;
    }

    #[test]
    fn test_scp_agrees_with_reference_on_policies(seed in seed()) {
        agree(&POLICIES, Layer::Scp, &POLICIES.universe.request(&seed))?;
    }

    #[test]
    fn test_iam_agrees_with_reference_on_policies(seed in seed()) {
        agree(&POLICIES, Layer::Iam, &POLICIES.universe.request(&seed))?;
    }

    #[test]
    fn test_tag_policy_agrees_with_reference_on_policies(seed in seed()) {
        agree(&POLICIES, Layer::TagPolicy, &POLICIES.universe.request(&seed))?;
    }
}

/// Without this the agreement tests could pass on requests that every layer allows: in each
/// layer, the requests drawn for `policies/` and for the examples meet both decisions, and
/// the tag-policy layer blocks some.
#[test]
fn test_requests_reach_both_decisions_in_every_layer() {
    use proptest::strategy::ValueTree as _;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = seed();
    for f in EXAMPLES.iter().chain(std::iter::once(&*POLICIES)) {
        for layer in LAYERS {
            let mut seen = BTreeSet::new();
            for _ in 0..3000 {
                let s = strategy.new_tree(&mut runner).unwrap().current();
                let decision = reference::decide(&f.project, layer, &f.universe.request(&s));
                seen.insert(decision.decision.to_string());
            }
            assert_eq!(
                seen.len(),
                2,
                "{}: the {layer} layer only ever decides {seen:?}",
                f.name
            );
        }
    }
}

// ---- the grant form on resource-scoped creates ----

/// Whether a granting policy's rule names the request's action only for other resources than
/// the request's.
fn outside_grant_scope(project: &Project, request: &Request) -> bool {
    let Some(resource) = &request.resource else {
        return false;
    };
    project
        .policies
        .iter()
        .filter(|p| p.grant)
        .flat_map(|p| p.requires.iter().flat_map(|r| &r.actions))
        .any(|a| {
            a.name == request.action
                && !a.resources().is_empty()
                && !a
                    .resources()
                    .iter()
                    .any(|pattern| tagc::model::wildcard_match(pattern, resource, false))
        })
}

#[test]
fn test_grant_form_allows_untagged_resources_of_a_create() {
    let source = "tag owner {\n}\npolicy p {\n  require owner on ec2:RunInstances\n  grant\n  attach to root\n}\n";
    let f = Fixture::compile("grant", &[("grant.tags".into(), source.into())]).unwrap();
    // Launching an instance with its tag: AWS also authorizes the image it is launched from.
    let request = Request {
        principal: DEFAULT_PRINCIPAL.into(),
        action: "ec2:RunInstances".parse().unwrap(),
        tags: vec![("owner".into(), "me".into())],
        on_create: None,
        resource: Some("arn:aws:ec2:us-east-1::image/ami-0abc".into()),
    };
    assert!(outside_grant_scope(&f.project, &request));
    let got = f.verifier.decide(Layer::Iam, &request);
    let want = reference::decide(&f.project, Layer::Iam, &request);
    assert_eq!(got.decision, Decision::Allow, "{}", got.explanation);
    assert_eq!(
        got.decision, want.decision,
        "evaluator: {}; reference: {}",
        got.explanation, want.reason
    );
}

// ---- generated policies ----

/// Tags a generated project may declare: (key, allowed values).
const GEN_TAGS: [(&str, &[&str]); 6] = [
    ("environment", &["dev", "staging", "production"]),
    ("CostCenter", &["CC-*"]),
    ("project", &[]),
    ("owner", &["*@example.com"]),
    ("Team", &["a", "B"]),
    // `?` patterns: exact in IAM, widened in the tag policy.
    ("code", &["X-??", "Y?-*"]),
];

/// Value patterns a generated `forbid` or `when` may test: allowed values of the tags above,
/// values none allows, and `?` and `*` patterns.
const GEN_TESTED_VALUES: [&str; 8] = [
    "production",
    "dev",
    "test",
    "CC-*",
    "X-??",
    "a",
    "?*",
    "*@example.com",
];

/// Real actions that can carry tags at creation.
const GEN_ACTIONS: [&str; 9] = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateModel",
    "ec2:RunInstances",
    "ec2:CreateVolume",
    "sqs:CreateQueue",
    "lambda:CreateFunction",
    "dynamodb:CreateTable",
    "sagemaker:Create*Job",
];

/// Actions a generated `forbid` may name: creates, their services' tagging actions, and
/// patterns (which, in a `forbid`, keep the tagging actions they match).
const GEN_FORBID_ACTIONS: [&str; 7] = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:AddTags",
    "ec2:RunInstances",
    "ec2:CreateTags",
    "lambda:TagResource",
    "sqs:CreateQueue",
    "sagemaker:Create*Job",
];

const GEN_SERVICES: [&str; 5] = ["sagemaker", "ec2", "sqs", "lambda", "dynamodb"];

const GEN_TYPES: [&str; 6] = [
    "sagemaker:training-job",
    "ec2:instance",
    "ec2:volume",
    "sqs:ALL_SUPPORTED",
    "lambda:ALL_SUPPORTED",
    "dynamodb:ALL_SUPPORTED",
];

const GEN_EXEMPT: [&str; 2] = [
    "arn:aws:iam::*:role/TagAdmin",
    "arn:aws:iam::111122223333:role/Ops*",
];

/// The patterns of rules' `except`: one of them the same as an `exempt`'s.
const GEN_EXCEPT: [&str; 3] = [
    "arn:aws:iam::*:role/FinOps",
    "arn:aws:iam::111122223333:role/Deploy*",
    "arn:aws:iam::*:role/TagAdmin",
];

/// A rule's `at` and `except`: `at` one of the choices of [`GenProject::at`], or none.
#[derive(Debug, Clone)]
struct GenScope {
    at: Option<usize>,
    except: Vec<&'static str>,
}

fn gen_scope() -> impl Strategy<Value = GenScope> {
    (
        prop::option::of(0..3_usize),
        subsequence(GEN_EXCEPT.to_vec(), 0..=2),
    )
        .prop_map(|(at, except)| GenScope { at, except })
}

/// A generated tag declaration.
#[derive(Debug, Clone)]
struct GenTag {
    key: &'static str,
    restricted: bool,
    exact_case: bool,
}

/// A generated `protect`: keys, services, scope.
type GenProtect = (Vec<usize>, Option<Vec<&'static str>>, GenScope);

/// A generated `require`: keys, actions, `when`, scope.
type GenRequire = (Vec<usize>, Vec<&'static str>, Option<GenTest>, GenScope);

/// A generated policy, as choices over the pools above.
#[derive(Debug, Clone)]
struct GenPolicy {
    requires: Vec<GenRequire>,
    forbid: Option<(GenTest, Vec<&'static str>, GenScope)>,
    only_declared: Option<(Vec<&'static str>, GenScope)>,
    protect: Option<GenProtect>,
    exempt: Vec<&'static str>,
    /// `enforce` takes `at` only: `except` has no meaning in a tag policy.
    enforce: Option<(Vec<usize>, Vec<&'static str>, Option<usize>)>,
    grant: bool,
}

/// `KEY = VALUES` of a generated `when` or `forbid`: a key index and value patterns.
type GenTest = (usize, Vec<&'static str>);

/// A generated project: its source text is what is compiled.
#[derive(Clone)]
struct GenProject {
    tags: Vec<GenTag>,
    policies: Vec<GenPolicy>,
    /// Whether each list is written through a named set (`$s0`) rather than in place.
    through_sets: bool,
}

/// The lists of a rendered project, written in place or each through a named set.
struct Lists {
    through_sets: bool,
    sets: String,
    count: usize,
}

impl Lists {
    /// `elements` as they go in a statement: themselves, or `$sN` with `set KIND sN { … }`
    /// declared after the policies (sets are project-wide, so their place does not matter).
    fn write(&mut self, kind: &str, elements: &str) -> String {
        use std::fmt::Write as _;
        if !self.through_sets {
            return elements.to_owned();
        }
        let name = format!("s{}", self.count);
        self.count += 1;
        let _ = writeln!(self.sets, "set {kind} {name} {{\n  {elements}\n}}");
        format!("${name}")
    }
}

impl std::fmt::Debug for GenProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl GenProject {
    /// The text of policy `n`'s `at` choice: below its own target (one OU, or two for the
    /// others), an account (for the root's policy), or its own target (which makes no part).
    /// The OUs are the policy's own, so that no two policies enforce a key at one target.
    fn at(n: usize, choice: usize) -> String {
        if n == 0 {
            return match choice {
                0 => " at ou \"Root/Workloads/At0\"".to_owned(),
                1 => format!(" at account \"{ACCOUNT}\""),
                _ => " at root".to_owned(),
            };
        }
        let path: Vec<String> = (1..=n).map(|i| format!("P{i}")).collect();
        let path = format!("Root/Workloads/{}", path.join("/"));
        match choice {
            0 => format!(" at ou \"{path}/At\""),
            1 => format!(" at ou \"{path}/At\", ou \"{path}/Bt\""),
            _ => format!(" at ou \"{path}\""),
        }
    }

    /// The `at` and `except` clauses of a rule of policy `n`.
    fn scope(n: usize, scope: &GenScope) -> String {
        use std::fmt::Write as _;
        let mut s = scope.at.map(|c| Self::at(n, c)).unwrap_or_default();
        if !scope.except.is_empty() {
            let quoted: Vec<String> = scope.except.iter().map(|e| format!("\"{e}\"")).collect();
            let _ = write!(s, " except {}", quoted.join(", "));
        }
        s
    }

    fn render(&self) -> String {
        self.render_lists(self.through_sets)
    }

    /// The tag declarations.
    fn render_tags(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for t in &self.tags {
            let _ = writeln!(s, "tag {} {{", t.key);
            let values = GEN_TAGS
                .iter()
                .find(|(k, _)| *k == t.key)
                .map_or(&[][..], |(_, v)| *v);
            if t.restricted && !values.is_empty() {
                let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                let _ = writeln!(s, "  values {}", quoted.join(" "));
            }
            if t.exact_case {
                s.push_str("  exact-case\n");
            }
            s.push_str("}\n");
        }
        s
    }

    fn render_lists(&self, through_sets: bool) -> String {
        use std::fmt::Write as _;
        let mut lists = Lists {
            through_sets,
            sets: String::new(),
            count: 0,
        };
        let mut s = self.render_tags();
        let key = |i: &usize| self.tags[i % self.tags.len()].key;
        let keys = |ks: &[usize]| {
            let mut names: Vec<&str> = Vec::new();
            for k in ks {
                if !names.contains(&key(k)) {
                    names.push(key(k));
                }
            }
            names.join(", ")
        };
        for (n, p) in self.policies.iter().enumerate() {
            let _ = writeln!(s, "policy p{n} {{");
            let test = |(k, values): &GenTest| {
                let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                format!("{} = {}", key(k), quoted.join(", "))
            };
            for (ks, actions, when, scope) in &p.requires {
                let _ = write!(
                    s,
                    "  require {} on {}",
                    lists.write("tags", &keys(ks)),
                    lists.write("actions", &actions.join(", "))
                );
                // A `when` on a key the rule requires is an error; such a draw has none.
                if let Some(w) = when
                    .as_ref()
                    .filter(|(k, _)| !ks.iter().any(|r| key(r) == key(k)))
                {
                    let _ = write!(s, " when {}", test(w));
                }
                s.push_str(&Self::scope(n, scope));
                s.push('\n');
            }
            if let Some((t, actions, scope)) = &p.forbid {
                let _ = writeln!(
                    s,
                    "  forbid {} on {}{}",
                    test(t),
                    lists.write("actions", &actions.join(", ")),
                    Self::scope(n, scope)
                );
            }
            if let Some((actions, scope)) = &p.only_declared {
                let _ = writeln!(
                    s,
                    "  only-declared-keys on {}{}",
                    lists.write("actions", &actions.join(", ")),
                    Self::scope(n, scope)
                );
            }
            if let Some((ks, services, scope)) = &p.protect {
                let _ = write!(s, "  protect {}", lists.write("tags", &keys(ks)));
                if let Some(services) = services {
                    let _ = write!(s, " on {}", lists.write("services", &services.join(", ")));
                }
                s.push_str(&Self::scope(n, scope));
                s.push('\n');
            }
            if !p.exempt.is_empty() {
                let quoted: Vec<String> = p.exempt.iter().map(|e| format!("\"{e}\"")).collect();
                let _ = writeln!(
                    s,
                    "  exempt {}",
                    lists.write("principals", &quoted.join(", "))
                );
            }
            if let Some((ks, types, at)) = &p.enforce {
                let at = at.map(|c| Self::at(n, c)).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  enforce {} for {}{at}",
                    lists.write("tags", &keys(ks)),
                    lists.write("resource-types", &types.join(", "))
                );
            }
            if p.grant {
                s.push_str("  grant\n");
            }
            // Distinct targets: two policies setting `enforced_for` of one key at one target
            // would be a (deliberate) conflict error. Each is one level below the one before,
            // so that tag policies inherit from each other.
            let target = if n == 0 {
                "root".to_owned()
            } else {
                let path: Vec<String> = (1..=n).map(|i| format!("P{i}")).collect();
                format!("ou \"Root/Workloads/{}\"", path.join("/"))
            };
            let _ = writeln!(s, "  attach to {}", lists.write("targets", &target));
            s.push_str("}\n");
        }
        s.push_str(&lists.sets);
        s
    }
}

fn some_of<T: Clone + std::fmt::Debug + 'static>(
    items: &[T],
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    subsequence(items.to_vec(), 1..=max.min(items.len()))
}

fn key_indexes() -> impl Strategy<Value = Vec<usize>> {
    subsequence((0..GEN_TAGS.len()).collect::<Vec<_>>(), 1..=3)
}

fn gen_test() -> impl Strategy<Value = GenTest> {
    (0..GEN_TAGS.len(), some_of(&GEN_TESTED_VALUES, 2))
}

fn gen_policy() -> impl Strategy<Value = GenPolicy> {
    (
        prop::collection::vec(
            (
                key_indexes(),
                some_of(&GEN_ACTIONS, 3),
                prop::option::weighted(0.3, gen_test()),
                gen_scope(),
            ),
            1..=2,
        ),
        prop::option::weighted(
            0.4,
            (gen_test(), some_of(&GEN_FORBID_ACTIONS, 3), gen_scope()),
        ),
        prop::option::of((some_of(&GEN_ACTIONS, 2), gen_scope())),
        prop::option::of((
            key_indexes(),
            prop::option::of(some_of(&GEN_SERVICES, 2)),
            gen_scope(),
        )),
        subsequence(GEN_EXEMPT.to_vec(), 0..=2),
        prop::option::of((
            key_indexes(),
            some_of(&GEN_TYPES, 2),
            prop::option::of(0..3_usize),
        )),
        any::<bool>(),
    )
        .prop_map(
            |(requires, forbid, only_declared, protect, exempt, enforce, grant)| GenPolicy {
                requires,
                forbid,
                only_declared,
                protect,
                exempt,
                enforce,
                grant,
            },
        )
}

fn gen_project() -> impl Strategy<Value = GenProject> {
    (
        subsequence((0..GEN_TAGS.len()).collect::<Vec<_>>(), 1..=GEN_TAGS.len()),
        prop::collection::vec((any::<bool>(), any::<bool>()), GEN_TAGS.len()),
        prop::collection::vec(gen_policy(), 1..=2),
        any::<bool>(),
    )
        .prop_map(|(chosen, flags, policies, through_sets)| GenProject {
            tags: chosen
                .iter()
                .map(|&i| GenTag {
                    key: GEN_TAGS[i].0,
                    restricted: flags[i].0,
                    exact_case: flags[i].1,
                })
                .collect(),
            policies,
            through_sets,
        })
}

fn compile_generated(project: &GenProject, legacy: bool) -> Result<Fixture, TestCaseError> {
    // A grant whose Allow would need more exact-case tests than IAM has operators is refused
    // (`grant-exact-case-limit`); such a project has nothing to compare.
    for p in project.policies.iter().filter(|p| p.grant) {
        let mut exact: BTreeSet<&str> = BTreeSet::new();
        for (keys, _, _, _) in &p.requires {
            for k in keys {
                let tag = &project.tags[k % project.tags.len()];
                if tag.exact_case {
                    exact.insert(tag.key);
                }
            }
        }
        if exact.len() > tagc::lower::EXACT_KEY_OPERATORS.len() {
            return Err(TestCaseError::reject(
                "the grant form cannot test this many exact-case keys",
            ));
        }
    }
    let mut sources = vec![("generated.tags".to_owned(), project.render())];
    if legacy {
        sources = with_legacy_limits(&sources);
    }
    Fixture::compile(
        &format!("generated project\n{}", project.render()),
        &sources,
    )
    .map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn test_every_layer_agrees_with_reference_on_generated_policies(
        project in gen_project(),
        seeds in prop::collection::vec(seed(), 1..24),
    ) {
        let f = compile_generated(&project, false)?;
        for seed in &seeds {
            let request = f.universe.request(seed);
            for layer in LAYERS {
                agree(&f, layer, &request)?;
            }
        }
    }
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn test_every_layer_agrees_with_reference_from_every_scope_of_generated_policies(
        project in gen_project(),
        seeds in prop::collection::vec(seed(), 1..12),
    ) {
        let f = compile_generated(&project, false)?;
        for scope in scopes_of(&f.project) {
            for seed in &seeds {
                let request = f.universe.request(seed);
                for layer in LAYERS {
                    agree_from(&f, &scope, layer, &request)?;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// A list written through a named set means what the list written in place means: the two
    /// projects compile to the same documents, byte for byte.
    #[test]
    fn test_lists_through_sets_compile_to_the_same_documents_as_inline_lists(
        project in gen_project(),
    ) {
        let inline = project.render_lists(false);
        let through_sets = project.render_lists(true);
        prop_assert!(through_sets.contains("set "), "{through_sets}");
        let a = tagc::compile_sources(
            &[tagc::source::SourceFile::new("generated.tags", &inline)],
            tagc::catalog::Catalog::builtin(),
        );
        let b = tagc::compile_sources(
            &[tagc::source::SourceFile::new("generated.tags", &through_sets)],
            tagc::catalog::Catalog::builtin(),
        );
        prop_assert_eq!(a.diagnostics.codes(), b.diagnostics.codes(), "{}", through_sets);
        let documents = |c: &tagc::Compiled| {
            c.artifacts()
                .iter()
                .map(|a| (a.file.clone(), a.content.to_string()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(documents(&a), documents(&b), "{}", through_sets);
    }
}

// ---- merging and splitting keep the meaning ----

/// The property: two builds of one project decide the same on every layer.
fn same_decisions(a: &Fixture, b: &Fixture, request: &Request) -> Result<(), TestCaseError> {
    for layer in LAYERS {
        let (x, y) = (
            a.verifier.decide(layer, request),
            b.verifier.decide(layer, request),
        );
        prop_assert_eq!(
            x.decision,
            y.decision,
            "the {} layer decides differently on\n{:#?}\n{}: {}\n  {}\n{}: {}\n  {}",
            layer,
            request,
            a.name,
            x.decision,
            x.explanation,
            b.name,
            y.decision,
            y.explanation
        );
    }
    Ok(())
}

fn count(f: &Fixture, kind: ArtifactKind) -> usize {
    f.artifacts.iter().filter(|a| a.kind == kind).count()
}

/// Without this the legacy comparison could pass without a single split document.
#[test]
fn test_legacy_limits_split_the_large_scp() {
    let split = LIMIT_PAIRS
        .iter()
        .filter(|(current, legacy)| {
            count(legacy, ArtifactKind::Scp) > count(current, ArtifactKind::Scp)
        })
        .count();
    assert!(
        split > 0,
        "no project's SCP was split under the legacy limits"
    );
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn test_split_documents_under_legacy_limits_decide_like_current_ones(
        which in any::<Index>(),
        seed in seed(),
    ) {
        let (current, legacy) = which.get(&LIMIT_PAIRS);
        same_decisions(current, legacy, &current.universe.request(&seed))?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn test_legacy_limits_decide_like_current_on_generated_policies(
        project in gen_project(),
        seeds in prop::collection::vec(seed(), 1..16),
    ) {
        let current = compile_generated(&project, false)?;
        let legacy = compile_generated(&project, true)?;
        for seed in &seeds {
            same_decisions(&current, &legacy, &current.universe.request(seed))?;
        }
    }
}

/// The pieces statements are built from in the merge and split tests: the scopes (effect,
/// resources, conditions) and actions of the statements tagc lowers `policies/` and the
/// examples to, so that the conditions are the real ones.
struct Parts {
    scopes: Vec<(Effect, Vec<String>, Vec<Condition>)>,
    actions: Vec<String>,
}

static PARTS: LazyLock<Parts> = LazyLock::new(|| {
    let mut scopes: Vec<(Effect, Vec<String>, Vec<Condition>)> = Vec::new();
    let mut actions = Vec::new();
    for f in EXAMPLES.iter().chain(std::iter::once(&*POLICIES)) {
        for low in tagc::lower::lower(&f.project, tagc::catalog::Catalog::builtin()) {
            for s in low.scp.statements.iter().chain(&low.iam.statements) {
                let scope = (s.effect, s.resources.clone(), s.conditions.clone());
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
    }
    // The actions requests are drawn from, so that statements and requests meet.
    for a in &POLICIES.universe.actions {
        push_new(&mut actions, a.clone());
    }
    Parts { scopes, actions }
});

/// A list of statements: each a scope and a few actions; scopes repeat, so merging has work.
fn statements() -> impl Strategy<Value = Vec<Statement>> {
    (
        any::<Index>(),
        prop::collection::vec(
            (any::<Index>(), prop::collection::vec(any::<Index>(), 1..4)),
            1..10,
        ),
    )
        .prop_map(|(window, picks)| {
            let parts = &*PARTS;
            // A few scopes per list, so that statements share them.
            let start = window.index(parts.scopes.len());
            let scopes: Vec<_> = parts
                .scopes
                .iter()
                .cycle()
                .skip(start)
                .take(picks.len().clamp(2, 4))
                .collect();
            picks
                .iter()
                .enumerate()
                .map(|(n, (scope, actions))| {
                    let (effect, resources, conditions) = scope.get(&scopes);
                    let mut names: Vec<String> = Vec::new();
                    for a in actions {
                        push_new(&mut names, a.get(&parts.actions).clone());
                    }
                    Statement {
                        sid: format!("S{n}"),
                        effect: *effect,
                        actions: names,
                        resources: resources.clone(),
                        not_resource: false,
                        conditions: conditions.clone(),
                    }
                })
                .collect()
        })
}

fn verdict(docs: &[PolicyDocument], kind: PolicyKind, ctx: &RequestContext) -> Verdict {
    let policies: Vec<EvalPolicy> = docs
        .iter()
        .map(|d| EvalPolicy::parse(&d.to_json()).unwrap())
        .collect();
    evaluate_policies(&policies, kind, ctx).verdict
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn test_merging_statements_keeps_decisions(
        statements in statements(),
        seeds in prop::collection::vec(seed(), 1..8),
    ) {
        let unmerged = PolicyDocument { statements: statements.clone() };
        let merged = PolicyDocument { statements: tagc::lower::merge(statements) };
        for seed in &seeds {
            let request = POLICIES.universe.request(seed);
            let ctx = tagc::verify::context(&request, Catalog::builtin());
            for kind in [PolicyKind::Scp, PolicyKind::Identity] {
                prop_assert_eq!(
                    verdict(std::slice::from_ref(&unmerged), kind, &ctx),
                    verdict(std::slice::from_ref(&merged), kind, &ctx),
                    "{:?} on {:#?}\nunmerged: {}\nmerged: {}",
                    kind,
                    request,
                    unmerged.to_json(),
                    merged.to_json()
                );
            }
        }
    }

    #[test]
    fn test_splitting_documents_keeps_decisions(
        statements in statements(),
        limit in 200usize..2000,
        seeds in prop::collection::vec(seed(), 1..8),
    ) {
        let whole = PolicyDocument { statements };
        let parts = tagc::emit::split_to_fit(&whole, limit);
        for seed in &seeds {
            let request = POLICIES.universe.request(seed);
            let ctx = tagc::verify::context(&request, Catalog::builtin());
            for kind in [PolicyKind::Scp, PolicyKind::Identity] {
                prop_assert_eq!(
                    verdict(std::slice::from_ref(&whole), kind, &ctx),
                    verdict(&parts, kind, &ctx),
                    "{:?} on {:#?}\nwhole: {}\nsplit at {} characters into {} parts",
                    kind,
                    request,
                    whole.to_json(),
                    limit,
                    parts.len()
                );
            }
        }
    }
}

// ---- tag-policy inheritance ----

/// The inheritance fixture: `a` enforces `env` on training jobs at the root, `b` on processing
/// jobs in `Root/ML`.
fn inheritance_fixture() -> Fixture {
    let path = root().join("tests/fixtures/valid/tag_policy_inheritance.tags");
    let text = std::fs::read_to_string(&path).unwrap();
    Fixture::compile(&relative(&path), &[(relative(&path), text)]).unwrap()
}

/// The emitted tag policies attached at `target`.
fn tag_policies_at(f: &Fixture, target: &tagc::model::Target) -> Vec<serde_json::Value> {
    f.artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::TagPolicy && a.targets.contains(target))
        .map(|a| a.document().unwrap())
        .collect()
}

/// AWS merges the root's tag policy and `Root/ML`'s into the effective policy of an account in
/// `Root/ML`: a child statement on the same key must not erase what the root enforces or
/// reports.
#[test]
fn test_child_tag_policy_keeps_the_roots_enforcement() {
    use tagc::model::Target;
    let f = inheritance_fixture();
    let levels = [
        tag_policies_at(&f, &Target::Root),
        tag_policies_at(&f, &Target::OuPath("Root/ML".to_owned())),
    ];
    assert!(levels.iter().all(|l| l.len() == 1), "{levels:?}");
    let effective = tagc_eval::effective_policy(&levels).unwrap();
    let env = effective.statement("env").unwrap();
    assert_eq!(
        env.enforced_for.as_deref(),
        Some(
            &[
                "sagemaker:training-job".to_owned(),
                "sagemaker:processing-job".to_owned()
            ][..]
        )
    );
    assert_eq!(
        env.report_required_tag_for.as_deref(),
        Some(
            &[
                "sagemaker:endpoint".to_owned(),
                "sagemaker:notebook-instance".to_owned()
            ][..]
        )
    );
    let qa = [("env".to_owned(), "qa".to_owned())];
    assert!(effective.check("sagemaker:training-job", &qa).blocked());
    assert!(effective.check("sagemaker:processing-job", &qa).blocked());
}

static INHERITANCE: LazyLock<Fixture> = LazyLock::new(inheritance_fixture);

/// The places a request can be made from, for a project: each target, an OU below each OU
/// path, an OU elsewhere, and an account.
fn scopes_of(project: &Project) -> Vec<tagc::model::Target> {
    use tagc::model::Target;
    let mut scopes = vec![
        Target::OuPath("Root/Elsewhere".to_owned()),
        Target::Account(ACCOUNT.to_owned()),
    ];
    for t in project.policies.iter().flat_map(|p| &p.targets) {
        if let Target::OuPath(p) = t {
            scopes.push(Target::OuPath(format!("{p}/Below")));
        }
        scopes.push(t.clone());
    }
    scopes.sort();
    scopes.dedup();
    scopes
}

/// The property for a request made from `scope`: the evaluator on the documents that apply
/// there, tag policies merged along the path, decides as the rules attached at or above it.
fn agree_from(
    f: &Fixture,
    scope: &tagc::model::Target,
    layer: Layer,
    request: &Request,
) -> Result<(), TestCaseError> {
    let project = f.project.scoped(scope);
    let selected: Vec<Artifact> = f
        .artifacts
        .iter()
        .filter(|a| project.policies.iter().any(|p| p.name == a.policy))
        .cloned()
        .collect();
    let verifier = Verifier::at(&selected, Catalog::builtin(), Some(scope))
        .map_err(|e| TestCaseError::fail(format!("{}: {e}", f.name)))?;
    let got = verifier.decide(layer, request);
    let want = reference::decide(&project, layer, request);
    prop_assert_eq!(
        got.decision,
        want.decision,
        "{} from {}: the {} layer disagrees on\n{:#?}\nevaluator on the emitted JSON: {}\n  {}\nreference semantics: {}\n  {}",
        f.name,
        scope,
        layer,
        request,
        got.decision,
        got.explanation,
        want.decision,
        want.reason
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn test_tag_policy_agrees_with_reference_from_every_scope_of_inheritance_fixture(
        seed in seed(),
    ) {
        let f = &*INHERITANCE;
        for scope in scopes_of(&f.project) {
            agree_from(f, &scope, Layer::TagPolicy, &f.universe.request(&seed))?;
        }
    }

    #[test]
    fn test_tag_policy_agrees_with_reference_from_every_scope_of_policies(
        scope in any::<Index>(),
        seed in seed(),
    ) {
        let f = &*POLICIES;
        let scope = scope.get(&scopes_of(&f.project)).clone();
        agree_from(f, &scope, Layer::TagPolicy, &f.universe.request(&seed))?;
    }

    #[test]
    fn test_every_layer_agrees_with_reference_from_every_scope_of_examples(
        file in any::<Index>(),
        scope in any::<Index>(),
        layer in any::<Index>(),
        seed in seed(),
    ) {
        let f = file.get(&EXAMPLES);
        let scope = scope.get(&scopes_of(&f.project)).clone();
        agree_from(f, &scope, *layer.get(&LAYERS), &f.universe.request(&seed))?;
    }
}

/// The inheritance fixture's requests reach both decisions from `Root/ML`, so its agreement
/// test cannot pass on requests every scope allows.
#[test]
fn test_inheritance_requests_reach_both_decisions_in_root_ml() {
    use proptest::strategy::ValueTree as _;
    let f = &*INHERITANCE;
    let project = f
        .project
        .scoped(&tagc::model::Target::OuPath("Root/ML".to_owned()));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..3000 {
        let s = seed().new_tree(&mut runner).unwrap().current();
        let request = f.universe.request(&s);
        seen.insert(
            reference::decide(&project, Layer::TagPolicy, &request)
                .decision
                .to_string(),
        );
    }
    assert_eq!(seen.len(), 2, "only ever {seen:?}");
}

// ---- scenarios an independent check found ----

/// A request by `principal` for `action` with `tags`, standalone, on no named resource.
fn scenario_request(principal: &str, action: &str, tags: &[(&str, &str)]) -> Request {
    Request {
        principal: principal.into(),
        action: action.parse().unwrap(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        on_create: None,
        resource: None,
    }
}

/// The evaluator on the emitted documents and the reference semantics both decide `want` in
/// `layer`.
fn assert_both_decide(f: &Fixture, layer: Layer, request: &Request, want: Decision) {
    let got = f.verifier.decide(layer, request);
    let reference = reference::decide(&f.project, layer, request);
    assert_eq!(
        got.decision, want,
        "{layer}: evaluator on the emitted JSON for {request:#?}: {}",
        got.explanation
    );
    assert_eq!(
        reference.decision, want,
        "{layer}: reference semantics for {request:#?}: {}",
        reference.reason
    );
}

const TAG_ADMIN: &str = "arn:aws:iam::111122223333:role/TagAdmin";

#[test]
fn test_protect_denies_a_removal_that_names_no_key() {
    let source = "tag CostCenter {\n  values \"CC-*\"\n}\n\npolicy p {\n  require CostCenter on ec2:RunInstances\n  protect CostCenter on ec2\n  exempt \"arn:aws:iam::*:role/TagAdmin\"\n  attach to root\n}\n";
    let f = Fixture::compile("bypass", &[("bypass.tags".into(), source.into())]).unwrap();
    // `ec2:DeleteTags` without `Tag` deletes every user tag (EC2 API reference, DeleteTags):
    // CostCenter with them.
    let remove_all = scenario_request(DEFAULT_PRINCIPAL, "ec2:DeleteTags", &[]);
    let remove_other = scenario_request(DEFAULT_PRINCIPAL, "ec2:DeleteTags", &[("owner", "")]);
    let admin_removes_all = scenario_request(TAG_ADMIN, "ec2:DeleteTags", &[]);
    for layer in [Layer::Scp, Layer::Iam] {
        assert_both_decide(&f, layer, &remove_all, Decision::Deny);
        assert_both_decide(&f, layer, &remove_other, Decision::Allow);
        assert_both_decide(&f, layer, &admin_removes_all, Decision::Allow);
    }
    // Tag-on-create names its keys and runs in the create's context: still allowed.
    let mut on_create = scenario_request(
        DEFAULT_PRINCIPAL,
        "ec2:CreateTags",
        &[("CostCenter", "CC-1")],
    );
    on_create.on_create = Some("RunInstances".into());
    assert_both_decide(&f, Layer::Scp, &on_create, Decision::Allow);
}

#[test]
fn test_grant_allows_the_tagging_action_a_tagged_create_authorizes() {
    for (service, create, tagging) in [
        ("lambda", "CreateFunction", "TagResource"),
        ("secretsmanager", "CreateSecret", "TagResource"),
        ("dynamodb", "CreateTable", "TagResource"),
        ("rds", "CreateDBInstance", "AddTagsToResource"),
    ] {
        let source = format!(
            "tag project\n\npolicy p {{\n  require project on {service}:{create}\n  grant\n  attach to root\n}}\n"
        );
        let f = Fixture::compile(service, &[(format!("{service}.tags"), source)]).unwrap();
        let create = format!("{service}:{create}");
        let tagged = scenario_request(DEFAULT_PRINCIPAL, &create, &[("project", "x1")]);
        assert_both_decide(&f, Layer::Iam, &tagged, Decision::Allow);
        let untagged = scenario_request(DEFAULT_PRINCIPAL, &create, &[]);
        assert_both_decide(&f, Layer::Iam, &untagged, Decision::Deny);
        // What the Allow on the tagging action also permits: tagging with the required keys.
        let tagging = format!("{service}:{tagging}");
        let retag = scenario_request(DEFAULT_PRINCIPAL, &tagging, &[("project", "x2")]);
        assert_both_decide(&f, Layer::Iam, &retag, Decision::Allow);
        let undeclared = scenario_request(DEFAULT_PRINCIPAL, &tagging, &[("ticket", "x2")]);
        assert_both_decide(&f, Layer::Iam, &undeclared, Decision::Deny);
    }
}

#[test]
fn test_a_tagged_create_is_denied_when_its_tagging_action_is_not_allowed() {
    // An identity policy that allows the create but not the tagging action it authorizes.
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}]
    });
    let content = tagc::emit::written(&doc);
    let artifact = Artifact {
        policy: "p".into(),
        kind: ArtifactKind::IamPolicy,
        name: "tagc-p-iam-policy".into(),
        description: String::new(),
        file: "p/iam-policy.json".into(),
        targets: Vec::new(),
        size: content.len(),
        limit: 6_144,
        hash: tagc::artifact::content_hash(&content),
        content: content.into(),
    };
    let verifier = Verifier::new(&[artifact], Catalog::builtin()).unwrap();
    let tagged = scenario_request(
        DEFAULT_PRINCIPAL,
        "lambda:CreateFunction",
        &[("project", "x")],
    );
    let got = verifier.decide(Layer::Iam, &tagged);
    assert_eq!(got.decision, Decision::Deny, "{}", got.explanation);
    assert!(
        got.explanation.contains("lambda:TagResource"),
        "{}",
        got.explanation
    );
    let untagged = scenario_request(DEFAULT_PRINCIPAL, "lambda:CreateFunction", &[]);
    assert_eq!(
        verifier.decide(Layer::Iam, &untagged).decision,
        Decision::Allow
    );
}

#[test]
fn test_grant_checks_exact_case_keys_for_exempt_principals() {
    let source = "tag environment {\n  values \"dev\" \"production\"\n  exact-case\n}\n\npolicy p {\n  require environment on sagemaker:CreateTrainingJob\n  exempt \"arn:aws:iam::*:role/TagAdmin\"\n  grant\n  attach to root\n}\n";
    let f = Fixture::compile("exact", &[("exact.tags".into(), source.into())]).unwrap();
    let create = "sagemaker:CreateTrainingJob";
    let wrong_case = scenario_request(TAG_ADMIN, create, &[("Environment", "dev")]);
    assert_both_decide(&f, Layer::Iam, &wrong_case, Decision::Deny);
    let right = scenario_request(TAG_ADMIN, create, &[("environment", "dev")]);
    assert_both_decide(&f, Layer::Iam, &right, Decision::Allow);
}

#[test]
fn test_grant_needs_every_overlapping_require_for_exempt_principals() {
    let source = "tag environment {\n  values \"dev\" \"production\"\n}\n\ntag CostCenter {\n  values \"CC-*\"\n}\n\npolicy p {\n  require environment on sagemaker:CreateTrainingJob, sagemaker:CreateModel\n  require CostCenter on sagemaker:CreateTrainingJob\n  exempt \"arn:aws:iam::*:role/TagAdmin\"\n  grant\n  attach to root\n}\n";
    let f = Fixture::compile("overlap", &[("overlap.tags".into(), source.into())]).unwrap();
    let job = "sagemaker:CreateTrainingJob";
    let only_env = scenario_request(TAG_ADMIN, job, &[("environment", "dev")]);
    assert_both_decide(&f, Layer::Iam, &only_env, Decision::Deny);
    let only_cc = scenario_request(TAG_ADMIN, job, &[("CostCenter", "CC-1")]);
    assert_both_decide(&f, Layer::Iam, &only_cc, Decision::Deny);
    let both = scenario_request(
        TAG_ADMIN,
        job,
        &[("environment", "dev"), ("CostCenter", "CC-1")],
    );
    assert_both_decide(&f, Layer::Iam, &both, Decision::Allow);
    // The model needs only environment.
    let model = scenario_request(
        TAG_ADMIN,
        "sagemaker:CreateModel",
        &[("environment", "dev")],
    );
    assert_both_decide(&f, Layer::Iam, &model, Decision::Allow);
}

#[test]
fn test_tagc_test_and_eval_agree_with_the_rules_on_these_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let source = r#"tag CostCenter {
  values "CC-*"
}

tag project

policy cost-center {
  require CostCenter on ec2:RunInstances
  protect CostCenter on ec2
  exempt "arn:aws:iam::*:role/TagAdmin"
  attach to root
}

policy functions {
  require project on lambda:CreateFunction
  grant
  attach to root
}

test "removing every tag removes the cost center" {
  request ec2:DeleteTags
  expect deny
}

test "removing another tag is allowed" {
  request ec2:DeleteTags tags owner=""
  expect allow
}

test "the tag admin may remove every tag" {
  request ec2:DeleteTags by "arn:aws:iam::111122223333:role/TagAdmin"
  expect allow
}

test "a function with its project tag can be created" {
  request lambda:CreateFunction tags project="churn"
  expect allow in iam
}
"#;
    std::fs::write(dir.path().join("p.tags"), source).unwrap();
    let run = crate::common::tagc(dir.path(), &["test", "p.tags"]);
    insta::assert_snapshot!(run.transcript());
    let run = crate::common::tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "lambda:CreateFunction",
            "--tag",
            "project=churn",
            "p.tags",
        ],
    );
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_a_tagged_update_is_not_judged_as_the_removal_it_may_authorize() {
    // `cognito-idp:UpdateUserPool` authorizes both `TagResource` and `UntagResource`; its tags
    // are the ones it sets, so a rule on removals says nothing about it.
    let source = "tag project\n\npolicy p {\n  only-declared-keys on cognito-idp:UntagResource\n  attach to root\n}\n";
    let f = Fixture::compile("update", &[("update.tags".into(), source.into())]).unwrap();
    let update = scenario_request(
        DEFAULT_PRINCIPAL,
        "cognito-idp:UpdateUserPool",
        &[("ticket", "x1")],
    );
    for layer in [Layer::Scp, Layer::Iam] {
        assert_both_decide(&f, layer, &update, Decision::Allow);
    }
    let removal = scenario_request(
        DEFAULT_PRINCIPAL,
        "cognito-idp:UntagResource",
        &[("ticket", "")],
    );
    assert_both_decide(&f, Layer::Scp, &removal, Decision::Deny);
}

// ---- EC2 launch shapes ----
//
// AWS authorizes `ec2:RunInstances` once per resource the call touches, each time with the
// request tags given for that resource type only (`TagSpecifications`): a launch is allowed
// when every one of those requests is. These are the common launches, as such requests, checked
// against rules with the default scope and with `for`, on the emitted JSON and the reference.

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc";
const VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc";
const ENI: &str = "arn:aws:ec2:us-east-1:111122223333:network-interface/eni-0abc";
const SPOT: &str = "arn:aws:ec2:us-east-1:111122223333:spot-instances-request/sir-0abc";
const IMAGE: &str = "arn:aws:ec2:us-east-1::image/ami-0abc";
const SUBNET: &str = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc";

/// One launch: the resources it touches, each with the tags the call gives it.
struct Launch {
    name: &'static str,
    resources: Vec<(&'static str, bool)>,
}

impl Launch {
    fn requests(&self) -> Vec<Request> {
        self.resources
            .iter()
            .map(|(arn, tagged)| Request {
                principal: DEFAULT_PRINCIPAL.into(),
                action: "ec2:RunInstances".parse().unwrap(),
                tags: if *tagged {
                    vec![("CostCenter".into(), "CC-1".into())]
                } else {
                    Vec::new()
                },
                on_create: None,
                resource: Some((*arn).into()),
            })
            .collect()
    }
}

/// The launch shapes: the console's default and most launch templates tag only the instance;
/// a template may tag instances and volumes; a spot launch also makes a spot request, untagged;
/// a launch into an existing network interface creates none and tags none.
fn launches() -> Vec<Launch> {
    vec![
        Launch {
            name: "console default (instance tagged)",
            resources: vec![
                (INSTANCE, true),
                (VOLUME, false),
                (ENI, false),
                (IMAGE, false),
                (SUBNET, false),
            ],
        },
        Launch {
            name: "template tagging instance and volumes",
            resources: vec![
                (INSTANCE, true),
                (VOLUME, true),
                (ENI, false),
                (IMAGE, false),
                (SUBNET, false),
            ],
        },
        Launch {
            name: "spot launch (spot request untagged)",
            resources: vec![
                (INSTANCE, true),
                (VOLUME, true),
                (ENI, false),
                (SPOT, false),
                (IMAGE, false),
            ],
        },
        Launch {
            name: "existing network interface",
            resources: vec![
                (INSTANCE, true),
                (VOLUME, true),
                (ENI, false),
                (IMAGE, false),
            ],
        },
        Launch {
            name: "untagged launch",
            resources: vec![
                (INSTANCE, false),
                (VOLUME, false),
                (ENI, false),
                (IMAGE, false),
            ],
        },
    ]
}

/// The decision on a launch in `layer`: denied when any of its requests is. Each request's
/// evaluator answer must agree with the reference.
fn launch_decision(f: &Fixture, layer: Layer, launch: &Launch) -> Decision {
    let mut out = Decision::Allow;
    for request in launch.requests() {
        let got = f.verifier.decide(layer, &request);
        let want = reference::decide(&f.project, layer, &request);
        assert_eq!(
            got.decision, want.decision,
            "{}: {layer} on {}: evaluator {} ({}), reference {} ({})",
            f.name, launch.name, got.decision, got.explanation, want.decision, want.reason
        );
        if got.decision == Decision::Deny {
            out = Decision::Deny;
        }
    }
    out
}

/// Expect per launch (in [`launches`] order) the decision of the SCP and of the IAM policy.
fn check_launches(rule: &str, expected: [Decision; 5]) {
    for grant in ["", "  grant\n"] {
        let source = format!(
            "tag CostCenter {{\n  values \"CC-*\"\n}}\n\npolicy launch {{\n  {rule}\n{grant}  attach to root\n}}\n"
        );
        let f = Fixture::compile(rule, &[("launch.tags".into(), source)]).unwrap();
        for (launch, want) in launches().iter().zip(expected) {
            for layer in [Layer::Scp, Layer::Iam] {
                assert_eq!(
                    launch_decision(&f, layer, launch),
                    want,
                    "`{rule}`{}: {layer} on the {}",
                    if grant.is_empty() { "" } else { " with grant" },
                    launch.name
                );
            }
        }
    }
}

#[test]
fn test_run_instances_requires_tags_on_the_instance_by_default() {
    use Decision::{Allow, Deny};
    check_launches(
        "require CostCenter on ec2:RunInstances",
        [Allow, Allow, Allow, Allow, Deny],
    );
}

#[test]
fn test_run_instances_for_instance_and_volume_follows_aws_example() {
    use Decision::{Allow, Deny};
    check_launches(
        "require CostCenter on ec2:RunInstances for ec2:instance, ec2:volume",
        [Deny, Allow, Allow, Allow, Deny],
    );
}

#[test]
fn test_run_instances_for_spot_requests_denies_an_untagged_spot_request() {
    use Decision::{Allow, Deny};
    check_launches(
        "require CostCenter on ec2:RunInstances for ec2:instance, ec2:spot-instances-request",
        [Allow, Allow, Deny, Allow, Deny],
    );
}

// ---- replace-all tagging ----

/// `s3:PutJobTagging` "replaces the tag set"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutJobTagging.html>): a call whose
/// new set lacks the protected key removes it, though `aws:TagKeys` never names it.
#[test]
fn test_protect_denies_a_replace_all_that_leaves_out_the_protected_key() {
    let source = "tag CostCenter {\n  values \"CC-*\"\n}\n\npolicy p {\n  protect CostCenter on s3\n  exempt \"arn:aws:iam::*:role/TagAdmin\"\n  attach to root\n}\n";
    let f = Fixture::compile("replace-all", &[("replace.tags".into(), source.into())]).unwrap();
    for action in ["s3:PutJobTagging", "s3:PutStorageLensConfigurationTagging"] {
        let without = scenario_request(DEFAULT_PRINCIPAL, action, &[("owner", "data")]);
        let with = scenario_request(
            DEFAULT_PRINCIPAL,
            action,
            &[("CostCenter", "CC-1"), ("owner", "data")],
        );
        let other_case = scenario_request(DEFAULT_PRINCIPAL, action, &[("costcenter", "CC-1")]);
        let admin = scenario_request(TAG_ADMIN, action, &[("owner", "data")]);
        for layer in [Layer::Scp, Layer::Iam] {
            assert_both_decide(&f, layer, &without, Decision::Deny);
            // Naming the key is a change to it: the existing statement denies that.
            assert_both_decide(&f, layer, &with, Decision::Deny);
            assert_both_decide(&f, layer, &other_case, Decision::Deny);
            assert_both_decide(&f, layer, &admin, Decision::Allow);
        }
    }
    // `s3:TagResource` adds to the set: a call naming another key leaves CostCenter alone.
    let add_other = scenario_request(DEFAULT_PRINCIPAL, "s3:TagResource", &[("owner", "data")]);
    for layer in [Layer::Scp, Layer::Iam] {
        assert_both_decide(&f, layer, &add_other, Decision::Allow);
    }
}

/// The same bypass through the real binary: `tagc test` on the fixture's test blocks.
#[test]
fn test_tagc_test_denies_a_replace_all_without_the_protected_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::common::root().join("tests/fixtures/valid/protect_replace_all.tags"),
        dir.path().join("replace.tags"),
    )
    .unwrap();
    let run = crate::common::tagc(dir.path(), &["test", "replace.tags"]);
    insta::assert_snapshot!(run.transcript());
}
