//! `tagc lsp`: the real binary driven over stdio with JSON-RPC (Content-Length framing), as an
//! editor drives it. Every wait has a timeout, so a hung server fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use lsp_types::Url;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A language client talking to a `tagc lsp` process.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    /// Start `tagc lsp` in `dir` and initialize it with these client capabilities.
    fn start(dir: &Path, capabilities: Value) -> (Self, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tagc"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.unwrap()];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut client = Self {
            child,
            stdin,
            messages: rx,
            next_id: 0,
        };
        let mut params = json!({ "processId": null, "rootUri": null });
        params["capabilities"] = capabilities;
        let init = client.request("initialize", params);
        client.notify("initialized", json!({}));
        (client, init)
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        let mut message = json!({ "jsonrpc": "2.0", "method": method });
        message["params"] = params;
        self.send(&message);
    }

    /// Send a request and wait for its response, `result` or `error`.
    fn respond(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        message["params"] = params;
        self.send(&message);
        self.wait(|m| m["id"] == json!(id))
    }

    /// Send a request and wait for its response's `result`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        message["params"] = params;
        self.send(&message);
        let m = self.wait(|m| m["id"] == json!(id));
        assert!(m.get("error").is_none(), "{method}: {m}");
        m["result"].clone()
    }

    /// The next message that satisfies `pred`, skipping the others.
    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("no message from the server in time: {e}"));
            if pred(&m) {
                return m;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &Url) -> Vec<Value> {
        let uri = json!(uri.as_str());
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn open(&mut self, uri: &Url, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "tags", "version": 1, "text": text } }),
        );
    }

    /// `shutdown` then `exit`; the exit code of the server.
    fn stop(mut self) -> i32 {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const GOOD: &str = "tag owner {\n  values \"ml\" \"data\"\n}\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n";

/// A project directory holding `main.tags` with `text`, and the file's URI.
fn project(text: &str) -> (tempfile::TempDir, Url) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.tags");
    std::fs::write(&path, text).unwrap();
    let uri = Url::from_file_path(&path).unwrap();
    (dir, uri)
}

/// A project of one file, `main.tags` holding `text`, with a server started on it and the file
/// open; the directory lives as long as the first value.
fn open_project(text: &str) -> (tempfile::TempDir, Url, Client) {
    let (dir, uri) = project(text);
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, text);
    (dir, uri, client)
}

/// The Markdown of the hover at the first `needle` of `text`, the open document at `uri`.
fn hover_text(client: &mut Client, uri: &Url, text: &str, needle: &str) -> String {
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": position(text, needle) }),
    );
    hover["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover text: {hover}"))
        .to_owned()
}

fn position(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count();
    let column = text[..at]
        .rsplit('\n')
        .next()
        .unwrap()
        .encode_utf16()
        .count();
    json!({ "line": line, "character": column })
}

#[test]
fn test_lsp_initialize_announces_its_capabilities_and_shutdown_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (client, init) = Client::start(dir.path(), json!({}));
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"], json!(1), "{init}");
    assert_eq!(caps["positionEncoding"], "utf-16", "{init}");
    for provider in [
        "completionProvider",
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[provider].is_null(), "no {provider}: {init}");
    }
    assert_eq!(init["serverInfo"]["name"], "tagc");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_publishes_an_error_with_its_code_and_utf16_range() {
    // The unknown tag comes after a non-ASCII key on its line: its column counts UTF-16 units
    // (`ü` is one, `𝄞` two), not bytes.
    let text = "tag owner\ntag \"Eigentümer-𝄞\"\n\npolicy p {\n  require \"Eigentümer-𝄞\", ownr on sqs:CreateQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let diagnostics = client.diagnostics(&uri);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "tagc::check::unknown-tag")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(d["severity"], 1);
    let start = position(text, "ownr");
    assert_eq!(start["character"], 27);
    assert_eq!(d["range"]["start"], start, "{d}");
    assert_eq!(
        d["range"]["end"]["character"],
        json!(start["character"].as_u64().unwrap() + 4)
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `owner`?"),
        "{d}"
    );

    // Fixing the buffer clears the file's diagnostics.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": GOOD }] }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_diagnostics_name_related_places_in_other_files() {
    let (dir, uri) = project("tag owner\n");
    let other = dir.path().join("other.tags");
    std::fs::write(&other, "tag owner\n").unwrap();
    let other_uri = Url::from_file_path(&other).unwrap();
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, "tag owner\n");
    let diagnostics = client.diagnostics(&uri);
    let mut all = diagnostics.clone();
    all.extend(client.diagnostics(&other_uri));
    let duplicate = all
        .iter()
        .find(|d| d["code"].as_str().is_some_and(|c| c.contains("duplicate")))
        .unwrap_or_else(|| panic!("{all:?}"));
    let related = duplicate["relatedInformation"].as_array().unwrap();
    assert!(!related.is_empty(), "{duplicate}");
    assert!(
        related
            .iter()
            .all(|r| r["location"]["uri"] == json!(uri.as_str())
                || r["location"]["uri"] == json!(other_uri.as_str())),
        "{duplicate}"
    );
    assert_eq!(client.stop(), 0);
}

/// The labels offered at the `|` of `text` (which is opened without it).
fn labels_at(client: &mut Client, uri: &Url, text: &str, version: &mut i32) -> Vec<String> {
    let at = text.find('|').unwrap();
    let clean = text.replacen('|', "", 1);
    *version += 1;
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": *version }, "contentChanges": [{ "text": clean }] }),
    );
    let line = clean[..at].matches('\n').count();
    let column = clean[..at]
        .rsplit('\n')
        .next()
        .unwrap()
        .encode_utf16()
        .count();
    let items = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": column } }),
    );
    items
        .as_array()
        .unwrap_or_else(|| panic!("{items}"))
        .iter()
        .filter_map(|i| i["label"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn test_lsp_completes_keywords_declared_tags_and_catalog_actions() {
    let text = "tag owner\n\npolicy p {\n  require owner on sqs:Cre\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let mut at = position(text, "sqs:Cre");
    at["character"] = json!(at["character"].as_u64().unwrap() + 7);
    let items = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": at }),
    );
    let create = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "sqs:CreateQueue")
        .unwrap_or_else(|| panic!("{items}"));
    assert_eq!(create["detail"], "can carry tags on create", "{create}");
    assert_eq!(create["textEdit"]["newText"], "sqs:CreateQueue");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_completion_offers_what_the_grammar_accepts_at_the_cursor() {
    let head = "tag owner {\n  values \"ml\" \"data\"\n}\n\nset actions creates {\n  sqs:CreateQueue\n}\n\nset services queues {\n  sqs\n}\n\n";
    let text = format!(
        "{head}policy p {{\n  require owner on $creates\n  protect owner on $queues\n  attach to root\n}}\n"
    );
    let (dir, uri) = project(&text);
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, &text);
    let mut version = 1;
    let mut at = |body: &str| {
        labels_at(
            &mut client,
            &uri,
            &format!(
                "{head}policy p {{\n  require owner on $creates\n  protect owner on $queues\n  {body}\n}}\n"
            ),
            &mut version,
        )
    };
    let has = |labels: &[String], l: &str| labels.iter().any(|x| x == l);

    // The start of a statement: the policy's statement keywords only.
    let labels = at("|");
    assert!(
        has(&labels, "require") && has(&labels, "attach"),
        "{labels:?}"
    );
    assert!(
        !has(&labels, "values") && !has(&labels, "owner"),
        "{labels:?}"
    );
    assert!(!has(&labels, "sqs:"), "{labels:?}");

    // After `require`: tags and sets of tags, not keywords or actions.
    let labels = at("require |");
    assert!(has(&labels, "owner"), "{labels:?}");
    assert!(
        !has(&labels, "require") && !has(&labels, "sqs:"),
        "{labels:?}"
    );
    assert!(!has(&labels, "$creates"), "{labels:?}");

    // After `on` of a require: services to type an action in, and sets of actions only.
    let labels = at("require owner on |");
    assert!(
        has(&labels, "sqs:") && has(&labels, "$creates"),
        "{labels:?}"
    );
    assert!(
        !has(&labels, "$queues") && !has(&labels, "owner"),
        "{labels:?}"
    );

    // After `protect … on`: service prefixes and sets of services.
    let labels = at("protect owner on |");
    assert!(has(&labels, "sqs") && has(&labels, "$queues"), "{labels:?}");
    assert!(
        !has(&labels, "sqs:") && !has(&labels, "$creates"),
        "{labels:?}"
    );

    // After `attach to`: the targets' keywords.
    let labels = at("attach to |");
    assert!(has(&labels, "root") && has(&labels, "ou"), "{labels:?}");
    assert!(!has(&labels, "require"), "{labels:?}");

    // Inside a test's `tags K="…"`: the key's declared values.
    let labels = labels_at(
        &mut client,
        &uri,
        &format!(
            "{head}test \"t\" {{\n  request sqs:CreateQueue tags owner=\"|\"\n  expect deny\n}}\n"
        ),
        &mut version,
    );
    assert_eq!(labels, ["ml", "data"]);
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_shows_expansion_layers_and_tag_values() {
    let text = "tag owner {\n  values \"ml\" \"data\"\n}\n\npolicy p {\n  require owner on sqs:Create*\n  enforce owner for ec2:instance\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let value = hover_text(&mut client, &uri, text, "ec2:instance");
    assert!(value.contains("resource type `ec2:instance`"), "{value}");
    assert!(value.contains("`enforce owner` — tag policy"), "{value}");
    let value = hover_text(&mut client, &uri, text, "Create*");
    assert!(value.contains("`sqs:Create*` → "), "{value}");
    assert!(value.contains("sqs:CreateQueue"), "{value}");
    assert!(
        value.contains("policy `p`") && value.contains("SCP and IAM guardrail"),
        "{value}"
    );

    let value = hover_text(&mut client, &uri, text, "owner on");
    assert!(value.contains("tag `owner`"), "{value}");
    assert!(value.contains("`ml`, `data`"), "{value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_on_a_tag_shows_its_tag_policy_copy_and_value_rules() {
    let text = "tag code {\n  values \"X-??\"\n}\ntag env {\n  values \"dev\" \"test\"\n}\n\npolicy p {\n  require code on sqs:CreateQueue when env = \"dev\"\n  forbid env = \"test\" on sqs:CreateQueue, sqs:TagQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let value = hover_text(&mut client, &uri, text, "code on");
    assert!(value.contains("Tag policy: `X-*`"), "{value}");
    assert!(
        value.contains("`require` on 1 actions when `env` matches"),
        "{value}"
    );
    let value = hover_text(&mut client, &uri, text, "env = \"test\"");
    assert!(value.contains("`forbid` of `test` on 2 actions"), "{value}");
    assert!(value.contains("`when` of a `require` of code"), "{value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_shows_no_tag_policy_copy_of_a_tag_no_tag_policy_holds() {
    let text = "tag code {\n  values \"X-??\"\n}\n\npolicy p {\n  forbid code = \"X-00\" on sqs:CreateQueue, sqs:TagQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let value = hover_text(&mut client, &uri, text, "code =");
    assert!(value.contains("`forbid` of `X-00`"), "{value}");
    assert!(!value.contains("Tag policy:"), "{value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_goes_to_the_declaration_of_a_tag() {
    let (dir, uri) = project(GOOD);
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, GOOD);
    let def = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri }, "position": position(GOOD, "owner on") }),
    );
    assert_eq!(def["uri"], json!(uri.as_str()), "{def}");
    assert_eq!(def["range"]["start"]["line"], 0, "{def}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_formatting_equals_tagc_fmt_and_refuses_syntax_errors() {
    let messy =
        "tag   owner\npolicy p {\n require owner on sqs:CreateQueue\n      attach to root }\n";
    let (dir, uri) = project(messy);
    let fmt = Command::new(env!("CARGO_BIN_EXE_tagc"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(messy.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let expected = String::from_utf8(fmt.stdout).unwrap();
    assert_ne!(expected, messy);
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["newText"], json!(expected));
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 4, "character": 0 })
    );

    let broken = "tag owner\npolicy p {\n  require owner on\n";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": broken }] }),
    );
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]));
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_offers_a_quick_fix_for_each_did_you_mean() {
    let text = "tag owner\n\npolicy p {\n  require ownr on sqs:CreatQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let diagnostics = client.diagnostics(&uri);
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 6, "character": 0 } },
            "context": { "diagnostics": diagnostics }
        }),
    );
    let fixes: Vec<(String, Value)> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["kind"], "quickfix");
            let edit = a["edit"]["changes"][uri.as_str()][0].clone();
            (
                edit["newText"].as_str().unwrap().to_owned(),
                edit["range"].clone(),
            )
        })
        .collect();
    let owner = fixes
        .iter()
        .find(|(t, _)| t == "owner")
        .unwrap_or_else(|| panic!("{actions}"));
    assert_eq!(owner.1["start"], position(text, "ownr"));
    assert!(
        fixes.iter().any(|(t, _)| t == "sqs:CreateQueue"),
        "{actions}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_offers_except_for_exempt_after_a_rule_and_not_after_attach() {
    let text = "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue exempt \"arn:aws:iam::*:role/A\"\n  attach to root exempt \"arn:aws:iam::*:role/B\"\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let diagnostics = client.diagnostics(&uri);
    let warned = diagnostics
        .iter()
        .filter(|d| d["code"] == "tagc::check::exempt-on-rule-line")
        .count();
    assert_eq!(warned, 2, "{diagnostics:?}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 6, "character": 0 } },
            "context": { "diagnostics": diagnostics }
        }),
    );
    let actions = actions.as_array().unwrap();
    // Only the rule's line: `attach to root except …` would not parse.
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["isPreferred"], false);
    let edit = &actions[0]["edit"]["changes"][uri.as_str()][0];
    assert_eq!(edit["newText"], "except");
    assert_eq!(
        edit["range"]["start"],
        position(text, "exempt \"arn:aws:iam::*:role/A")
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_names_the_part_and_the_except_of_a_rule() {
    let text = "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue at ou \"Root/ML\" except \"arn:aws:iam::*:role/A\"\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let value = hover_text(&mut client, &uri, text, "owner on");
    assert!(
        value.contains(
            "policy `p` at ou Root/ML: `require` on 1 actions, except `arn:aws:iam::*:role/A`"
        ),
        "{value}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_positions_are_utf8_bytes_when_the_client_offers_utf8() {
    let text = "tag owner\ntag \"Eigentümer-𝄞\"\n\npolicy p {\n  require \"Eigentümer-𝄞\", ownr on sqs:CreateQueue\n  attach to root\n}\n";
    let (dir, uri) = project(text);
    let caps = json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } });
    let (mut client, init) = Client::start(dir.path(), caps);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8", "{init}");
    client.open(&uri, text);
    let diagnostics = client.diagnostics(&uri);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "tagc::check::unknown-tag")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    let line = text.lines().nth(4).unwrap();
    assert_eq!(
        d["range"]["start"]["character"],
        json!(line.find("ownr").unwrap())
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_vscode_grammar_highlights_exactly_the_language_keywords() {
    let path = crate::common::root().join("editors/vscode/syntaxes/tags.tmLanguage.json");
    let grammar: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pattern = grammar["repository"]["keyword"]["match"].as_str().unwrap();
    let inner = pattern
        .split_once("(?:")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(alternatives, _)| alternatives)
        .unwrap();
    let mut in_grammar: Vec<&str> = inner.split('|').collect();
    in_grammar.sort_unstable();
    let mut keywords = tagc::lsp::keywords();
    keywords.sort_unstable();
    assert_eq!(in_grammar, keywords);
}

#[test]
fn test_vscode_manifest_starts_tagc_lsp_for_tags_files() {
    let dir = crate::common::root().join("editors/vscode");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "tags");
    assert_eq!(language["extensions"], json!([".tags"]));
    assert_eq!(
        manifest["contributes"]["configuration"]["properties"]["tagc.path"]["default"],
        "tagc"
    );
    let extension = std::fs::read_to_string(dir.join("extension.js")).unwrap();
    assert!(extension.contains("args: ['lsp']"), "{extension}");
}

#[test]
fn test_lsp_without_an_editor_reports_the_protocol_error_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::common::tagc(dir.path(), &["lsp"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::lsp::protocol"),
        "{}",
        run.transcript()
    );
}

#[test]
fn test_lsp_publishes_warnings_but_not_those_an_allow_comment_acknowledges() {
    let warned = "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n}\n";
    let (dir, uri) = project(warned);
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, warned);
    let diagnostics = client.diagnostics(&uri);
    let warning = diagnostics
        .iter()
        .find(|d| d["code"] == "tagc::check::no-targets")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(warning["severity"], 2);

    let allowed = warned.replace(
        "policy p {",
        "policy p {   # tagc: allow no-targets -- attached by hand",
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": allowed }] }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_quick_fix_for_an_unknown_service_replaces_only_the_service() {
    let text =
        "tag owner\n\npolicy p {\n  require owner on sqss:CreateQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let diagnostics = client.diagnostics(&uri);
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 3, "character": 0 }, "end": { "line": 4, "character": 0 } },
            "context": { "diagnostics": diagnostics }
        }),
    );
    let edit = &actions[0]["edit"]["changes"][uri.as_str()][0];
    assert_eq!(edit["newText"], "sqs", "{actions}");
    let start = position(text, "sqss");
    assert_eq!(edit["range"]["start"], start, "{actions}");
    assert_eq!(
        edit["range"]["end"]["character"],
        json!(start["character"].as_u64().unwrap() + 4),
        "{actions}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_and_definition_of_a_set_reference_in_another_file() {
    let text = "tag owner\n\npolicy p {\n  require owner on $queues\n  attach to root\n}\n";
    let sets = "set actions queues {\n  sqs:CreateQueue, sns:CreateTopic\n}\n";
    let (dir, uri) = project(text);
    let sets_path = dir.path().join("sets.tags");
    std::fs::write(&sets_path, sets).unwrap();
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, text);
    let at = position(text, "$queues");
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": at }),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("set actions `queues`"), "{value}");
    assert!(
        value.contains("`sqs:CreateQueue`") && value.contains("`sns:CreateTopic`"),
        "{value}"
    );
    let def = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri }, "position": at }),
    );
    let sets_uri = Url::from_file_path(&sets_path).unwrap();
    assert_eq!(def["uri"], json!(sets_uri.as_str()), "{def}");
    assert_eq!(def["range"]["start"], position(sets, "queues"), "{def}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_hover_and_definition_on_a_set_name_where_it_is_declared() {
    let text = "tag owner\n\npolicy p {\n  require owner on $queues\n  only-declared-keys on $queues\n  attach to root\n}\n";
    let sets = "set actions queues {\n  sqs:CreateQueue, sns:CreateTopic\n}\n\nset actions more {\n  $queues\n}\n\nset tags lonely {\n  owner\n}\n";
    let (dir, _) = project(text);
    let sets_path = dir.path().join("sets.tags");
    std::fs::write(&sets_path, sets).unwrap();
    let sets_uri = Url::from_file_path(&sets_path).unwrap();
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&sets_uri, sets);
    // What hover on a use shows, and the three uses: two in a policy, one in another set.
    let value = hover_text(&mut client, &sets_uri, sets, "ueues {");
    assert!(value.contains("set actions `queues`"), "{value}");
    assert!(
        value.contains("`sqs:CreateQueue`") && value.contains("`sns:CreateTopic`"),
        "{value}"
    );
    assert!(value.contains("Used in 3 places"), "{value}");
    let main = dir.path().join("main.tags").display().to_string();
    assert!(value.contains(&format!("`{main}` line 4")), "{value}");
    assert!(value.contains(&format!("`{main}` line 5")), "{value}");
    let value = hover_text(&mut client, &sets_uri, sets, "lonely");
    assert!(value.contains("set tags `lonely`"), "{value}");
    assert!(value.contains("Never used"), "{value}");
    // Definition on the declared name is the declaration itself.
    let def = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": sets_uri }, "position": position(sets, "ueues {") }),
    );
    assert_eq!(def["uri"], json!(sets_uri.as_str()), "{def}");
    assert_eq!(def["range"]["start"], position(sets, "queues"), "{def}");
    assert_eq!(def["range"]["end"], position(sets, " {"), "{def}");
    assert_eq!(client.stop(), 0);
}

/// The (file name, line, character) of each location of a `textDocument/references` answer.
fn places(locations: &Value) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = locations
        .as_array()
        .unwrap_or_else(|| panic!("no locations: {locations}"))
        .iter()
        .map(|l| {
            let path = Url::parse(l["uri"].as_str().unwrap())
                .unwrap()
                .to_file_path()
                .unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let start = &l["range"]["start"];
            (
                name,
                start["line"].as_u64().unwrap(),
                start["character"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn test_lsp_references_of_a_tag_and_a_set_across_files() {
    let text = "tag owner {\n  values \"ml\" \"data\"\n}\ntag env\n\npolicy p {\n  require owner on $queues\n  require env on sqs:CreateQueue when owner = \"ml\"\n  forbid owner = \"data\" on sqs:CreateQueue, sqs:TagQueue\n  enforce $keys for ec2:instance\n  attach to root\n}\n\ntest \"t\" {\n  request sqs:CreateQueue tags Owner=\"ml\", env=\"x\"\n  expect allow\n}\n";
    let sets = "set actions queues {\n  sqs:CreateQueue\n}\n\nset tags keys {\n  owner\n}\n\nset tags spare {\n  owner\n}\n";
    let (dir, uri) = project(text);
    std::fs::write(dir.path().join("sets.tags"), sets).unwrap();
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, text);
    let references = |client: &mut Client, needle: &str, declaration: bool| {
        places(&client.request(
            "textDocument/references",
            json!({
                "textDocument": { "uri": uri },
                "position": position(text, needle),
                "context": { "includeDeclaration": declaration },
            }),
        ))
    };
    let main = |line: u64, character: u64| ("main.tags".to_owned(), line, character);
    // `owner`: the require, the when, the forbid, the tag set the enforce uses and one no rule
    // uses, and the test's request (whose key finds the tag ignoring case, as IAM does).
    let owner = vec![
        main(6, 10),
        main(7, 38),
        main(8, 9),
        main(14, 31),
        ("sets.tags".to_owned(), 5, 2),
        ("sets.tags".to_owned(), 9, 2),
    ];
    assert_eq!(references(&mut client, "owner on", false), owner);
    let mut with_declaration = owner.clone();
    with_declaration.push(main(0, 4));
    with_declaration.sort();
    assert_eq!(references(&mut client, "owner on", true), with_declaration);
    // Asked from the declaration, the same.
    assert_eq!(references(&mut client, "owner {", false), owner);
    // A set: each `$name`, in whichever file.
    assert_eq!(references(&mut client, "$queues", false), [main(6, 19)]);
    assert_eq!(
        references(&mut client, "$keys", true),
        [main(9, 10), ("sets.tags".to_owned(), 4, 9)]
    );
    // Anything else is no tag and no set.
    let none = client.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": uri },
            "position": position(text, "CreateQueue, sqs"),
            "context": { "includeDeclaration": true },
        }),
    );
    assert!(none.is_null(), "{none}");
    assert_eq!(client.stop(), 0);
}

/// `text` with the edits of a `WorkspaceEdit` for `uri` applied (ASCII text: a character is a
/// byte).
fn apply(text: &str, edit: &Value, uri: &Url) -> String {
    let offset = |p: &Value| {
        let line = usize::try_from(p["line"].as_u64().unwrap()).unwrap();
        let character = usize::try_from(p["character"].as_u64().unwrap()).unwrap();
        text.split_inclusive('\n')
            .take(line)
            .map(str::len)
            .sum::<usize>()
            + character
    };
    let mut edits: Vec<(usize, usize, String)> = edit["changes"][uri.as_str()]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_owned();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

#[test]
fn test_lsp_renames_a_tag_and_a_set_everywhere_and_refuses_a_taken_or_invalid_name() {
    let text = "tag owner {\n  values \"ml\" \"data\"\n}\ntag env\n\npolicy p {\n  require owner on $queues\n  require env on sqs:CreateQueue when owner = \"ml\"\n  forbid owner = \"data\" on sqs:CreateQueue, sqs:TagQueue\n  enforce $keys for ec2:instance\n  attach to root\n}\n\ntest \"t\" {\n  request sqs:CreateQueue tags Owner=\"ml\", env=\"x\"\n  expect allow\n}\n";
    let sets = "set actions queues {\n  sqs:CreateQueue\n}\n\nset tags keys {\n  owner\n}\n";
    let (dir, uri) = project(text);
    let sets_path = dir.path().join("sets.tags");
    std::fs::write(&sets_path, sets).unwrap();
    let sets_uri = Url::from_file_path(&sets_path).unwrap();
    let (mut client, _) = Client::start(dir.path(), json!({}));
    client.open(&uri, text);
    let rename = |client: &mut Client, needle: &str, new: &str| {
        client.respond(
            "textDocument/rename",
            json!({
                "textDocument": { "uri": uri },
                "position": position(text, needle),
                "newName": new,
            }),
        )
    };
    // Each renamed project still checks, with the new name in every place of the old.
    let compiles = |main: &str, sets: &str| {
        let c = tagc::compile_files(
            vec![
                ("main.tags".to_owned(), main.as_bytes().to_vec()),
                ("sets.tags".to_owned(), sets.as_bytes().to_vec()),
            ],
            tagc::catalog::Catalog::builtin(),
        );
        assert!(c.ok(), "{main}{sets}{}", c.diagnostics.render_human(false));
    };
    compiles(text, sets);
    for (new, written) in [
        ("team-owner", "team-owner"),
        ("cost center", "\"cost center\""),
    ] {
        let edit = rename(&mut client, "owner on", new)["result"].clone();
        let (main, in_sets) = (apply(text, &edit, &uri), apply(sets, &edit, &sets_uri));
        assert_eq!(main.matches(written).count(), 5, "{main}");
        assert_eq!(in_sets.matches(written).count(), 1, "{in_sets}");
        // No other `owner`, in any case, is left: the test's `Owner` is renamed too.
        let rest = |t: &str| t.replace(written, "").to_lowercase();
        assert!(!rest(&main).contains("owner"), "{main}");
        assert!(!rest(&in_sets).contains("owner"), "{in_sets}");
        compiles(&main, &in_sets);
    }
    // A set, from a use: each `$name` and the declaration (the new name may be typed with
    // its `$`).
    let edit = rename(&mut client, "$queues", "$ml-queues")["result"].clone();
    let (main, in_sets) = (apply(text, &edit, &uri), apply(sets, &edit, &sets_uri));
    assert!(main.contains("require owner on $ml-queues"), "{main}");
    assert!(in_sets.contains("set actions ml-queues {"), "{in_sets}");
    compiles(&main, &in_sets);
    // Before renaming, the editor asks what is under the cursor: the place, and the name to
    // offer (a set's without `$`); nothing on a keyword.
    let prepare = |client: &mut Client, needle: &str| {
        client.request(
            "textDocument/prepareRename",
            json!({ "textDocument": { "uri": uri }, "position": position(text, needle) }),
        )
    };
    let set = prepare(&mut client, "$queues");
    assert_eq!(set["placeholder"], "queues", "{set}");
    assert_eq!(set["range"]["start"], position(text, "$queues"), "{set}");
    assert_eq!(
        set["range"]["end"],
        position(text, "\n  require env"),
        "{set}"
    );
    let tag = prepare(&mut client, "owner = \"data\"");
    assert_eq!(tag["placeholder"], "owner", "{tag}");
    assert_eq!(
        tag["range"]["start"],
        position(text, "owner = \"data\""),
        "{tag}"
    );
    assert!(prepare(&mut client, "require env").is_null());
    // A set renamed to its own name is no clash.
    let same = rename(&mut client, "$queues", "queues");
    assert!(same.get("error").is_none(), "{same}");
    // Refused, with the reason: another tag's key in any case, an invalid key, a taken or
    // invalid set name.
    for (needle, new, reason) in [
        ("owner on", "ENV", "a tag `env` is already declared"),
        ("owner on", "aws:owner", "reserved"),
        ("$queues", "keys", "a set `keys` is already declared"),
        ("$queues", "my queues", "is not a set name"),
    ] {
        let response = rename(&mut client, needle, new);
        let message = response["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{new}: {response}");
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_references_of_a_quoted_tag_key_from_inside_its_quotes() {
    let text = "tag \"cost center\"\n\npolicy p {\n  require \"cost center\" on sqs:CreateQueue\n  attach to root\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    // On the space between the words, which is no word.
    let found = places(&client.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": uri },
            "position": position(text, " center\" on"),
            "context": { "includeDeclaration": true },
        }),
    ));
    let main = |line: u64, character: u64| ("main.tags".to_owned(), line, character);
    assert_eq!(found, [main(0, 4), main(3, 10)]);
    assert_eq!(client.stop(), 0);
}

#[test]
fn test_lsp_outlines_the_document_items_in_order_with_their_names() {
    let text = "tag owner\n\nset actions queues {\n  sqs:CreateQueue\n}\n\npolicy p {\n  require owner on $queues\n  attach to root\n}\n\ntest \"queues need an owner\" {\n  request sqs:CreateQueue\n  expect deny\n}\n\norganization {\n  limits current\n}\n";
    let (_dir, uri, mut client) = open_project(text);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let outline: Vec<(&str, &str, u64)> = symbols
        .as_array()
        .unwrap_or_else(|| panic!("no symbols: {symbols}"))
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["detail"].as_str().unwrap(),
                s["kind"].as_u64().unwrap(),
            )
        })
        .collect();
    // LSP symbol kinds: namespace 3, function 12, array 18, object 19, key 20.
    assert_eq!(
        outline,
        [
            ("owner", "tag", 20),
            ("$queues", "set actions", 18),
            ("p", "policy", 3),
            ("queues need an owner", "test", 12),
            ("organization", "organization", 19),
        ]
    );
    // The whole policy, and its name to select.
    let policy = &symbols[2];
    assert_eq!(
        policy["range"]["start"],
        position(text, "policy p"),
        "{policy}"
    );
    assert_eq!(
        policy["range"]["end"],
        position(text, "\n\ntest"),
        "{policy}"
    );
    assert_eq!(
        policy["selectionRange"]["start"],
        position(text, "p {"),
        "{policy}"
    );
    assert_eq!(client.stop(), 0);
}
