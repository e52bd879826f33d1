//! The `appsync` command: a local mock AppSync (`appsync mock`), one-off GraphQL requests
//! against any AppSync API (`appsync query`), subscriptions (`appsync subscribe`), and the
//! end-to-end demo (`appsync demo`).

mod demo;
mod mock;
mod query;
mod subscribe;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "appsync",
    version,
    about = "Offline-first AWS AppSync client tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends one query or mutation and prints the JSON response.
    Query(query::QueryArgs),
    /// Subscribes and prints each event as a JSON line.
    Subscribe(subscribe::SubscribeArgs),
    /// Runs a local AppSync-compatible server (or mints a token for one).
    Mock(mock::MockArgs),
    /// Runs the end-to-end demo against an embedded mock server on 127.0.0.1.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("appsync: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Query(args) => query::run(args).await,
            Command::Subscribe(args) => subscribe::run(args).await,
            Command::Mock(args) => mock::run(args).await,
            Command::Demo => demo::run().await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("appsync: {message}");
            ExitCode::FAILURE
        }
    }
}
