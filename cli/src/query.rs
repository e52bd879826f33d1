//! `appsync query`: one request with any auth mode, credentials from flags or the standard AWS
//! environment variables, the JSON response on stdout.

use appsync_core::auth::{StaticCredentials, StaticToken};
use appsync_core::{
    AppSyncClient, AuthMode, AuthProviders, AuthToken, AwsCredentials, ClientConfig, ErrorPolicy,
    GraphQLRequest, GraphQLResponse,
};
use clap::Args;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// amplify_outputs.json, amplifyconfiguration.json or the JSON of aws-exports.
    #[arg(long)]
    config: std::path::PathBuf,
    /// api-key, user-pools, oidc, lambda, iam or none (default: the config's).
    #[arg(long)]
    auth_mode: Option<AuthMode>,
    #[command(flatten)]
    credentials: CredentialArgs,
    /// Variables as a JSON object.
    #[arg(long)]
    variables: Option<String>,
    #[arg(long)]
    operation_name: Option<String>,
    /// The GraphQL document (query or mutation).
    document: String,
}

/// IAM credentials from the standard AWS environment variables.
fn credentials_from_env() -> Option<AwsCredentials> {
    let access_key_id = std::env::var("AWS_ACCESS_KEY_ID").ok()?;
    let secret_access_key = std::env::var("AWS_SECRET_ACCESS_KEY").ok()?;
    Some(AwsCredentials {
        access_key_id,
        secret_access_key,
        session_token: std::env::var("AWS_SESSION_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        expires_at_ms: None,
    })
}

/// Where credentials come from on the command line.
#[derive(Debug, Args)]
pub struct CredentialArgs {
    /// The token for user-pools, oidc or lambda.
    #[arg(long, env = "APPSYNC_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Providers from `--token` and the standard AWS environment variables.
pub fn providers_from(args: &CredentialArgs) -> AuthProviders {
    let mut providers = AuthProviders::new();
    if let Some(token) = &args.token {
        let token = StaticToken(AuthToken::new(token.clone()));
        providers = providers
            .user_pools(token.clone())
            .oidc(token.clone())
            .lambda(token);
    }
    if let Some(credentials) = credentials_from_env() {
        providers = providers.iam(StaticCredentials(credentials));
    }
    providers
}

pub async fn run(args: QueryArgs) -> Result<(), String> {
    let config = ClientConfig::from_file(&args.config).map_err(|e| e.to_string())?;
    let providers = providers_from(&args.credentials);
    let mut request = GraphQLRequest::new(args.document).error_policy(ErrorPolicy::All);
    if let Some(variables) = &args.variables {
        let value =
            serde_json::from_str(variables).map_err(|e| format!("--variables is not JSON: {e}"))?;
        request = request.variables(value);
    }
    if let Some(name) = args.operation_name {
        request = request.operation_name(name);
    }
    if let Some(mode) = args.auth_mode {
        request = request.auth_mode(mode);
    }
    let client = AppSyncClient::new(config, providers);
    let is_mutation = appsync_core::graphql::Operation::parse(
        &request.document,
        request.operation_name.as_deref(),
    )
    .map(|op| op.kind() == appsync_core::graphql::OperationKind::Mutation)
    .unwrap_or(false);
    let response = if is_mutation {
        client.mutate(request).await
    } else {
        client.query(request).await
    };
    let response: GraphQLResponse = response.map_err(|e| format!("{} ({})", e, e.code()))?;
    let text = serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?;
    println!("{text}");
    if response.has_errors() {
        return Err("the response has errors".into());
    }
    Ok(())
}
