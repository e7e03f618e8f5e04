//! tagc: a compiler for AWS tag governance.
//!
//! Tag rules written in the tagc language (`.tags` files) are compiled into the three AWS
//! mechanisms that enforce tags: service control policies, Organizations tag policies and IAM
//! identity policies. The pipeline, one module per stage:
//!
//! ```text
//! syntax::parse  → ast        text to syntax tree (pest)
//! check::check   → model      names resolved, actions expanded against the catalog, rules validated
//! lower::lower   → ir         the meaning of each rule as IAM/tag-policy statements, per layer
//! emit::emit     → artifact   JSON documents, sized against limits, hashed, with a manifest
//! ```
//!
//! Around it: [`catalog`] (AWS's action catalog), [`eval`] (an IAM and tag-policy evaluator that
//! proves the emitted documents mean what the rules say) and `aws` (plan and apply to AWS
//! Organizations).

pub mod artifact;
#[cfg(feature = "aws")]
pub mod aws;
pub mod model;
pub mod source;
