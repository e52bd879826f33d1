//! `appsync subscribe`: one subscription, each event printed as a JSON line, until interrupted
//! or after `--count N` data events.

use crate::query::{providers_from, CredentialArgs};
use appsync_core::{
    AppSyncClient, AuthMode, ClientConfig, ConnectionState, GraphQLRequest, SubscriptionEvent,
};
use clap::Args;
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct SubscribeArgs {
    #[arg(long)]
    config: std::path::PathBuf,
    #[arg(long)]
    auth_mode: Option<AuthMode>,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// Variables as a JSON object.
    #[arg(long)]
    variables: Option<String>,
    /// Stop after this many data events.
    #[arg(long)]
    count: Option<u64>,
    /// The subscription document.
    document: String,
}

fn line(event: &SubscriptionEvent) -> Value {
    match event {
        SubscriptionEvent::Started => json!({"event": "started"}),
        SubscriptionEvent::Data(data) => json!({"event": "data", "data": data}),
        SubscriptionEvent::Errors(errors) => json!({"event": "errors", "errors": errors}),
        SubscriptionEvent::Resubscribed => json!({"event": "resubscribed"}),
        SubscriptionEvent::Completed => json!({"event": "completed"}),
        SubscriptionEvent::Failed(e) => {
            json!({"event": "failed", "code": e.code(), "message": e.to_string()})
        }
        SubscriptionEvent::ConnectionState(state) => match state {
            ConnectionState::Connecting => json!({"event": "connection", "state": "connecting"}),
            ConnectionState::Connected => json!({"event": "connection", "state": "connected"}),
            ConnectionState::Disrupted { reason } => {
                json!({"event": "connection", "state": "disrupted", "reason": reason})
            }
            ConnectionState::Reconnecting { attempt } => {
                json!({"event": "connection", "state": "reconnecting", "attempt": attempt})
            }
            ConnectionState::Disconnected => {
                json!({"event": "connection", "state": "disconnected"})
            }
        },
    }
}

pub async fn run(args: SubscribeArgs) -> Result<(), String> {
    let config = ClientConfig::from_file(&args.config).map_err(|e| e.to_string())?;
    let client = AppSyncClient::new(config, providers_from(&args.credentials));
    let mut request = GraphQLRequest::new(args.document);
    if let Some(variables) = &args.variables {
        request = request.variables(
            serde_json::from_str(variables).map_err(|e| format!("--variables is not JSON: {e}"))?,
        );
    }
    if let Some(mode) = args.auth_mode {
        request = request.auth_mode(mode);
    }
    let mut subscription = client
        .subscribe(request)
        .map_err(|e| format!("{e} ({})", e.code()))?;
    let mut received = 0u64;
    loop {
        let event = tokio::select! {
            event = subscription.next_event() => event,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(event) = event else { return Ok(()) };
        println!("{}", line(&event));
        match event {
            SubscriptionEvent::Data(_) => {
                received += 1;
                if args.count.is_some_and(|n| received >= n) {
                    return Ok(());
                }
            }
            SubscriptionEvent::Failed(e) => return Err(format!("{e} ({})", e.code())),
            SubscriptionEvent::Completed => return Ok(()),
            _ => {}
        }
    }
}
