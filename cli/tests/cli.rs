//! The `appsync` binary end to end: a mock started from the command line, queried with each
//! credential source, tokens minted, bad configs reported, and the demo.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_appsync");

struct Mock {
    child: Child,
    url: String,
    dir: std::path::PathBuf,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_mock(name: &str) -> Mock {
    let dir = std::env::temp_dir().join(format!("appsync-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(BIN)
        .args(["mock", "--port", "0", "--out-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("GraphQL:") {
            url = rest.trim().to_owned();
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "the mock printed its endpoint: {url}"
    );
    Mock { child, url, dir }
}

fn appsync(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("APPSYNC_TOKEN");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn mock_then_query_with_each_credential_source() {
    let mock = start_mock("query");
    let outputs = mock.dir.join("amplify_outputs.json");
    let gen1 = mock.dir.join("amplifyconfiguration.json");
    let config = outputs.to_str().unwrap();

    let (ok, out, err) = appsync(
        &[
            "query",
            "--config",
            config,
            "--variables",
            r#"{"input":{"id":"c1","name":"from cli"}}"#,
            "mutation M($input: CreateTodoInput!) { createTodo(input: $input) { id name } }",
        ],
        &[],
    );
    assert!(ok, "{err}");
    let response: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["data"]["createTodo"]["name"], "from cli");

    let (ok, out, err) = appsync(
        &[
            "query",
            "--config",
            gen1.to_str().unwrap(),
            "{ getTodo(id: \"c1\") { name } }",
        ],
        &[],
    );
    assert!(ok && out.contains("from cli"), "{out}{err}");

    let base = mock.url.trim_end_matches("/graphql");
    let (ok, token, err) = appsync(
        &[
            "mock",
            "token",
            "--endpoint",
            base,
            "--claims",
            r#"{"sub":"bob"}"#,
        ],
        &[],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = appsync(
        &[
            "query",
            "--config",
            config,
            "--auth-mode",
            "user-pools",
            "--token",
            token.trim(),
            "{ listSecrets { items { id } } }",
        ],
        &[],
    );
    assert!(ok, "{out}{err}");

    let (ok, _, err) = appsync(
        &[
            "query",
            "--config",
            config,
            "--auth-mode",
            "lambda",
            "--token",
            "wrong",
            "{ listTodos { items { id } } }",
        ],
        &[],
    );
    assert!(!ok && err.contains("401"), "{err}");

    let env = [
        (
            "AWS_ACCESS_KEY_ID",
            appsync_mock::config::DEFAULT_ACCESS_KEY_ID,
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            appsync_mock::config::DEFAULT_SECRET_ACCESS_KEY,
        ),
    ];
    let (ok, out, err) = appsync(
        &[
            "query",
            "--config",
            config,
            "--auth-mode",
            "iam",
            "{ listTodos { items { id } } }",
        ],
        &env,
    );
    assert!(ok && out.contains("c1"), "{out}{err}");

    let (ok, out, _) = appsync(
        &[
            "query",
            "--config",
            config,
            "{ listTodos { items { id } } listSecrets { items { id } } }",
        ],
        &[],
    );
    assert!(
        !ok && out.contains("Unauthorized"),
        "partial results are printed, and the exit code says errors: {out}"
    );
}

#[test]
fn bad_configs_and_documents_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("appsync-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("amplify_outputs.json");
    std::fs::write(
        &path,
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "COGNITO"}}"#,
    )
    .unwrap();
    let (ok, _, err) = appsync(&["query", "--config", path.to_str().unwrap(), "{ a }"], &[]);
    assert!(!ok);
    assert!(
        err.contains("amplify_outputs.json: data.default_authorization_type"),
        "{err}"
    );
    std::fs::write(
        &path,
        r#"{"data": {"url": "https://x/graphql", "default_authorization_type": "NONE"}}"#,
    )
    .unwrap();
    let (ok, _, err) = appsync(&["query", "--config", path.to_str().unwrap(), "{ a("], &[]);
    assert!(!ok && err.contains("INVALID_DOCUMENT"), "{err}");
    let (ok, _, err) = appsync(
        &[
            "query",
            "--config",
            path.to_str().unwrap(),
            "--auth-mode",
            "cognito",
            "{ a }",
        ],
        &[],
    );
    assert!(!ok && err.contains("cognito"), "{err}");
    let schema = dir.join("bad.graphql");
    std::fs::write(
        &schema,
        "type Todo @model {\n  id: ID!\n  posts: [Post] @hasMany\n}\n",
    )
    .unwrap();
    let (ok, _, err) = appsync(
        &["mock", "--port", "0", "--schema", schema.to_str().unwrap()],
        &[],
    );
    assert!(!ok && err.contains("line 3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_runs_to_completion() {
    let (ok, out, err) = appsync(&["demo"], &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("Demo complete"));
}

#[test]
fn subscribe_prints_events_as_json_lines_until_the_count() {
    let mock = start_mock("subscribe");
    let config = mock.dir.join("amplify_outputs.json");
    let mut subscriber = Command::new(BIN)
        .args([
            "subscribe",
            "--config",
            config.to_str().unwrap(),
            "--count",
            "1",
            "subscription { onCreateTodo(filter: {name: {beginsWith: \"cli\"}}) { id name } }",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(subscriber.stdout.take().unwrap()).lines();
    loop {
        let line = lines
            .next()
            .expect("the subscriber prints until started")
            .unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["event"] == "started" {
            break;
        }
    }
    let (ok, _, err) = appsync(
        &[
            "query",
            "--config",
            config.to_str().unwrap(),
            "mutation { createTodo(input: {id: \"s1\", name: \"cli event\"}) { id name } }",
        ],
        &[],
    );
    assert!(ok, "{err}");
    let data = lines
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
        .find(|e| e["event"] == "data")
        .expect("a data line");
    assert_eq!(data["data"]["onCreateTodo"]["name"], "cli event");
    assert!(
        subscriber.wait().unwrap().success(),
        "exits after --count events"
    );
}
