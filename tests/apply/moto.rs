//! A moto server for one test: started on a free loopback port, stopped on drop.
//!
//! `moto_server` is found through `TAGC_MOTO_SERVER`, then `.venv/bin/` of the project (what
//! `.ci/install-moto` creates), then `PATH`; when none has it, `.ci/install-moto` runs once for
//! the test run. When that fails the test fails: an emulator test that skips would hide a
//! broken `apply`.

#![expect(
    clippy::panic,
    clippy::expect_used,
    reason = "a test harness: failing loudly with a clear message is its job"
)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_organizations::config::{Credentials, Region};
use tagc::aws::sdk::{ConnectOptions, SdkOrganizations};

/// A running moto server.
pub struct Moto {
    child: Child,
    log: tempfile::NamedTempFile,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

/// The outcome of installing moto, once per test run.
static INSTALL: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();

/// Where `moto_server` is.
fn find_moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("TAGC_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.is_file() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("moto_server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    // A fresh machine: install moto once for the whole test run, so that `cargo test` alone
    // runs every test.
    crate::common::venv_program("TAGC_MOTO_SERVER", "install-moto", "moto_server", &INSTALL)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

impl Moto {
    /// Starts a fresh server (no organization yet) and waits until it answers.
    pub fn start() -> Self {
        let program = find_moto_server();
        let mut last_log = String::new();
        // The port is free when picked but another process may take it first: try a few.
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("temp file");
            let child = Command::new(&program)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("log"))
                .stderr(log.reopen().expect("log"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            let mut moto = Self {
                child,
                log,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            if moto.wait_ready(port) {
                return moto;
            }
            last_log = std::fs::read_to_string(moto.log.path()).unwrap_or_default();
        }
        panic!(
            "moto_server ({}) did not start; its output:\n{last_log}",
            program.display()
        );
    }

    /// The Python beside `moto_server`, which has boto3 (moto depends on it): for tests that
    /// create resources in the server with a script.
    pub fn python() -> PathBuf {
        find_moto_server().with_file_name("python")
    }

    fn wait_ready(&mut self, port: u16) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The environment that points the AWS SDK (and the `tagc` binary) at this server with
    /// dummy credentials, no retries and no shared config files.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_MAX_ATTEMPTS", "1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ]
    }

    /// A tagc API client for this server: endpoint override, dummy credentials, SDK retries off.
    pub fn api(&self) -> SdkOrganizations {
        let options = ConnectOptions {
            profile: None,
            region: Some("us-east-1".to_owned()),
            endpoint_url: Some(self.endpoint.clone()),
        };
        SdkOrganizations::connect(&options, |loader| {
            loader
                .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
                .region(Region::new("us-east-1"))
                .retry_config(aws_config::retry::RetryConfig::disabled())
        })
        .expect("connect to moto")
    }

    /// Creates an organization with all features and the OUs `paths` (each `Root/…/Name`, parents
    /// listed before their children); returns every id by path, `Root` included.
    pub fn create_organization(
        api: &SdkOrganizations,
        paths: &[&str],
    ) -> std::collections::BTreeMap<String, String> {
        let c = api.client();
        api.block_on(
            c.create_organization()
                .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
                .send(),
        )
        .expect("CreateOrganization");
        let roots = api.block_on(c.list_roots().send()).expect("ListRoots");
        let root = roots
            .roots()
            .first()
            .and_then(|r| r.id())
            .expect("a root")
            .to_owned();
        let mut ids = std::collections::BTreeMap::from([("Root".to_owned(), root)]);
        for path in paths {
            let (parent, name) = path.rsplit_once('/').expect("an OU path under Root");
            let out = api
                .block_on(
                    c.create_organizational_unit()
                        .parent_id(&ids[parent])
                        .name(name)
                        .send(),
                )
                .expect("CreateOrganizationalUnit");
            let id = out
                .organizational_unit()
                .and_then(|o| o.id())
                .expect("an OU id")
                .to_owned();
            ids.insert((*path).to_owned(), id);
        }
        ids
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
