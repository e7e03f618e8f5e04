//! User words for grammar rules, so that syntax errors say "expected `on`", not "expected
//! `kw_on`".

use super::parser::Rule;

/// How a rule is named in "expected …" messages; `None` hides it (rules that only make sense
/// together with a more telling alternative at the same spot).
pub fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_tag => "`tag`",
        Rule::kw_values => "`values`",
        Rule::kw_exact_case => "`exact-case`",
        Rule::kw_description => "`description`",
        Rule::kw_policy => "`policy`",
        Rule::kw_require => "`require`",
        Rule::kw_only_declared_keys => "`only-declared-keys`",
        Rule::kw_protect => "`protect`",
        Rule::kw_exempt => "`exempt`",
        Rule::kw_enforce => "`enforce`",
        Rule::kw_report => "`report`",
        Rule::kw_attach => "`attach`",
        Rule::kw_to => "`to`",
        Rule::kw_grant => "`grant`",
        Rule::kw_on => "`on`",
        Rule::kw_for => "`for`",
        Rule::kw_root => "`root`",
        Rule::kw_ou => "`ou`",
        Rule::kw_account => "`account`",
        Rule::kw_test => "`test`",
        Rule::kw_request => "`request`",
        Rule::kw_tags => "`tags`",
        Rule::kw_by => "`by`",
        Rule::kw_during => "`during`",
        Rule::kw_from => "`from`",
        Rule::kw_resource => "`resource`",
        Rule::kw_expect => "`expect`",
        Rule::kw_allow => "`allow`",
        Rule::kw_deny => "`deny`",
        Rule::kw_in => "`in`",
        Rule::kw_scp => "`scp`",
        Rule::kw_iam => "`iam`",
        Rule::kw_tag_policy => "`tag-policy`",
        Rule::kw_organization => "`organization`",
        Rule::kw_scp_strategy => "`scp-strategy`",
        Rule::kw_deny_list => "`deny-list`",
        Rule::kw_allow_list => "`allow-list`",
        Rule::kw_limits => "`limits`",
        Rule::kw_project => "`project`",
        Rule::kw_current => "`current`",
        Rule::kw_legacy => "`legacy`",
        Rule::kw_actions => "`actions`",
        Rule::kw_exact => "`exact`",
        Rule::kw_compact => "`compact`",
        Rule::kw_at => "`at`",
        Rule::kw_except => "`except`",
        Rule::kw_forbid => "`forbid`",
        Rule::kw_when => "`when`",
        Rule::value_list => "a quoted value",
        Rule::kw_set => "`set`",
        Rule::kw_targets => "`targets`",
        Rule::kw_services => "`services`",
        Rule::kw_principals => "`principals`",
        Rule::kw_resource_types => "`resource-types`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::comma => "`,`",
        Rule::equals | Rule::value_equals => "`=`",
        Rule::string => "a quoted string",
        Rule::tag_name | Rule::bare_tag => "a tag name",
        Rule::ident => "a name",
        Rule::action => "an action such as `sagemaker:CreateTrainingJob`",
        Rule::service => "a service prefix such as `sagemaker`",
        Rule::resource_type => "a resource type such as `sagemaker:training-job`",
        Rule::set_ref => "a set such as `$name`",
        // A list reports itself when its first item could be an element or a set.
        Rule::tag_list => "a tag name or a set such as `$name`",
        Rule::action_list => {
            "an action such as `sagemaker:CreateTrainingJob` or a set such as `$name`"
        }
        Rule::service_list => "a service prefix such as `sagemaker` or a set such as `$name`",
        Rule::resource_type_list => {
            "a resource type such as `sagemaker:training-job` or a set such as `$name`"
        }
        Rule::principal_list => "a quoted principal ARN or a set such as `$name`",
        Rule::target_list => "`root`, `ou`, `account` or a set such as `$name`",
        Rule::EOI => "end of file",
        _ => return None,
    })
}
