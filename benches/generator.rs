//! Generated projects for the benchmarks: input, a [`Shape`] (how many policies and tags, and
//! whether `require` names exact actions or wildcard patterns); output, the `.tags` files of a
//! project that compiles without diagnostics, deterministic for a given shape.
//!
//! Shared by `benches/compile.rs`, by the `generate-project` example that
//! `scripts/bench-floor.sh` runs, and by a test that checks every shape the benches use
//! compiles. Every policy has its own OU, so no target runs out of attachment slots however
//! many policies there are.

use std::fmt::Write as _;

/// The size and kind of a generated project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Number of policies.
    pub policies: usize,
    /// Number of tags declared (at least the four every policy uses).
    pub tags: usize,
    /// `require` on wildcard patterns (`sagemaker:Create*`) rather than exact action names.
    pub wildcards: bool,
}

impl Shape {
    /// `policies` policies with exact action names, over as many tags as policies (at least
    /// the four every policy uses).
    pub const fn policies(policies: usize) -> Self {
        Self {
            policies,
            tags: policies,
            wildcards: false,
        }
    }

    /// `tags` tags declared and one policy using a few of them.
    pub const fn tags(tags: usize) -> Self {
        Self {
            policies: 1,
            tags,
            wildcards: false,
        }
    }

    /// `policies` policies whose `require` rules are wildcard patterns.
    pub const fn wildcards(policies: usize) -> Self {
        Self {
            policies,
            tags: policies,
            wildcards: true,
        }
    }

    /// A short name for benchmark ids and directories: `policies-100`, `tags-1000`,
    /// `wildcards-10`.
    pub fn name(&self) -> String {
        if self.wildcards {
            format!("wildcards-{}", self.policies)
        } else if self.policies == 1 {
            format!("tags-{}", self.tags)
        } else {
            format!("policies-{}", self.policies)
        }
    }
}

/// Taggable creates named exactly, a few per policy, in rotation.
const ACTIONS: [&str; 12] = [
    "sqs:CreateQueue",
    "sns:CreateTopic",
    "lambda:CreateFunction",
    "dynamodb:CreateTable",
    "s3:CreateBucket",
    "ec2:RunInstances",
    "ec2:CreateVolume",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateEndpoint",
    "secretsmanager:CreateSecret",
    "rds:CreateDBInstance",
    "glue:CreateDatabase",
];

/// Wildcard patterns over services with many taggable creates, a few per policy, in rotation.
const PATTERNS: [&str; 8] = [
    "sagemaker:Create*",
    "rds:Create*",
    "glue:Create*",
    "iot:Create*",
    "elasticloadbalancing:Create*",
    "ecs:Create*",
    "eks:Create*",
    "lambda:Create*",
];

/// The tags every policy uses.
const BASE_TAGS: &str = r#"tag environment {
  description "Deployment stage"
  values "dev" "staging" "production"
  exact-case
}

tag CostCenter {
  values "CC-*"
  exact-case
}

tag project

tag owner {
  values "*@example.com"
}
"#;

/// The project of `shape`, as (file name, text): the tags in one file, the policies in files
/// of up to 100 policies each.
pub fn project(shape: Shape) -> Vec<(String, String)> {
    let mut tags = String::from(BASE_TAGS);
    for i in 0..shape.tags.saturating_sub(4) {
        // Writing to a String cannot fail.
        let _ = write!(tags, "\ntag team-{i} {{\n  values \"t{i}-*\"\n}}\n");
    }
    let mut files = vec![("tags.tags".to_owned(), tags)];
    let mut current = String::new();
    for i in 0..shape.policies {
        current.push_str(&policy(shape, i));
        if (i + 1) % 100 == 0 || i + 1 == shape.policies {
            files.push((
                format!("policies-{:04}.tags", i / 100),
                std::mem::take(&mut current),
            ));
        }
    }
    files
}

/// Policy number `i`: three `require` rules, `protect`, an exemption, tag-policy rules, and
/// its own OU.
fn policy(shape: Shape, i: usize) -> String {
    let pick = |list: &[&str], n: usize| -> String {
        (0..n)
            .map(|k| list[(i + k * 5) % list.len()])
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (first, second) = if shape.wildcards {
        (pick(&PATTERNS, 1), pick(&PATTERNS[1..], 1))
    } else {
        (pick(&ACTIONS, 4), pick(&ACTIONS[3..], 2))
    };
    let team = if shape.tags > 4 {
        format!("team-{}", i % (shape.tags - 4))
    } else {
        "owner".to_owned()
    };
    format!(
        r#"
policy p{i} {{
  description "Generated policy {i}"
  require environment, CostCenter on {first}
  require project, {team} on {second}
  require owner on sqs:CreateQueue
  protect environment, CostCenter on sagemaker
  exempt "arn:aws:iam::*:role/TagAdmin"
  enforce environment, CostCenter for sagemaker:training-job, ec2:instance
  report project for s3:bucket
  attach to ou "Root/Unit{i}"
}}
"#
    )
}
