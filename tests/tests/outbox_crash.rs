//! Crash test of the outbox: a child process enqueues a chain of mutations while its outbox
//! drains, and is killed with SIGKILL at a random point (while enqueuing or while replaying);
//! a second child is started on the same database and may be killed too; a last one drains the
//! rest. After each run every mutation whose enqueue was acknowledged has reached the mock
//! exactly once and in order: the item's `_version` is one more than the number of updates, and
//! its name is the last step's (each update carries the version the previous one leaves, so a
//! duplicate or a reordering cannot pass the server's optimistic concurrency check).
//!
//! Runs: `OUTBOX_CRASH_RUNS` (default 200). Prints the counts.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appsync_core::{AppSyncClient, AuthProviders, FetchPolicy, GraphQLRequest};
use appsync_mock::ConflictMode;
use appsync_scenarios::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHILD: &str = env!("CARGO_BIN_EXE_outbox-crash-child");

/// A small xorshift generator: reproducible runs from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Starts a child; its stdout lines arrive on the returned channel.
fn spawn(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(CHILD)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// Lets a child run for `after`, then SIGKILLs it; returns the lines it printed.
fn kill_after(mut child: Child, lines: &mpsc::Receiver<String>, after: Duration) -> Vec<String> {
    let deadline = Instant::now() + after;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    // Everything the child printed before it died: the reader thread ends at the pipe's end of
    // file (`try_iter` here could miss a line it had not forwarded yet, undercounting what the
    // child acknowledged).
    seen.extend(lines.iter());
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_every_mutation_reaches_the_server_once_in_order() {
    let runs: u64 = std::env::var("OUTBOX_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("OUTBOX_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_u64);
    let server = start_mock(ConflictMode::Optimistic).await;
    let dir = std::env::temp_dir().join(format!("appsync-outbox-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outputs = dir.join("amplify_outputs.json");
    std::fs::write(&outputs, server.amplify_outputs().to_string()).unwrap();
    let outputs = outputs.display().to_string();
    let checker = AppSyncClient::new(gen2_config(&server), AuthProviders::new());

    let mut rng = Rng(seed);
    let (mut killed_enqueuing, mut killed_replaying, mut acknowledged_total) = (0u64, 0u64, 0u64);
    for run in 0..runs {
        let db = dir.join(format!("run-{run}.db")).display().to_string();
        let item = format!("crash-{run}");
        let steps = 3 + rng.below(6); // 3..=8 mutations
        let (child, lines) = spawn(&[&outputs, &db, "enqueue", &item, "0", &steps.to_string()]);
        let seen = kill_after(child, &lines, Duration::from_millis(rng.below(60)));
        let acknowledged = seen.iter().filter(|l| l.starts_with("enqueued")).count() as u64;
        if acknowledged < steps {
            killed_enqueuing += 1;
        } else {
            killed_replaying += 1;
        }
        // Restart; maybe kill again while it replays.
        if rng.below(2) == 0 {
            let (child, lines) = spawn(&[&outputs, &db, "drain"]);
            kill_after(child, &lines, Duration::from_millis(rng.below(40)));
        }
        let (child, lines) = spawn(&[&outputs, &db, "drain"]);
        let line = lines.recv_timeout(Duration::from_secs(30));
        let mut child = child;
        let status = child.wait().unwrap();
        assert!(
            status.success() && line.as_deref() == Ok("drained"),
            "run {run}: the last drain failed ({line:?})"
        );

        let response = checker
            .query(
                GraphQLRequest::new("query G($id: ID!) { getTodo(id: $id) { id name _version } }")
                    .variables(json!({"id": item}))
                    .fetch_policy(FetchPolicy::NetworkOnly),
            )
            .await
            .unwrap();
        let got = &response.data.unwrap()["getTodo"];
        if acknowledged == 0 && got.is_null() {
            continue; // killed before the first enqueue committed: nothing was promised
        }
        // Every acknowledged step arrived; the one in flight at the kill may have too.
        let version = got["_version"].as_u64().unwrap();
        let applied = version; // create = 1, each update +1
        assert!(
            applied == acknowledged || applied == acknowledged + 1 && acknowledged < steps,
            "run {run}: {acknowledged} acknowledged, the server applied {applied}: {got}"
        );
        assert_eq!(
            got["name"],
            format!("step {}", applied - 1),
            "run {run}: in order"
        );
        acknowledged_total += acknowledged;
        let _ = std::fs::remove_file(&db);
        let _ = std::fs::remove_file(format!("{db}-wal"));
        let _ = std::fs::remove_file(format!("{db}-shm"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "outbox crash test: {runs} runs (seed {seed}), {killed_enqueuing} killed while enqueuing, \
         {killed_replaying} while replaying, {acknowledged_total} acknowledged mutations, each \
         applied exactly once, in order"
    );
}
