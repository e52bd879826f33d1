//! `appsync mock`: the local AppSync server, and `appsync mock token` to mint JWTs for it.

use appsync_mock::auth::appsync_name;
use appsync_mock::auth::jwt::JwtKeys;
use appsync_mock::data::Data;
use appsync_mock::tls::TlsIdentity;
use appsync_mock::{AuthMode, ConflictMode, MockConfig, MockServer};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The schema served when none is given: the one the SDK's own tests use.
const EXAMPLE_SCHEMA: &str = include_str!("../../tests/fixtures/schema.graphql");

#[derive(Debug, Args)]
pub struct MockArgs {
    #[command(subcommand)]
    command: Option<MockCommand>,
    /// Schema with @model types (default: a Todo/Post/Secret example).
    #[arg(long)]
    schema: Option<PathBuf>,
    #[arg(long, default_value_t = 20002)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, value_enum, default_value_t = Conflict::Automerge)]
    conflict: Conflict,
    /// Enabled auth modes, the first being the default.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "api-key,user-pools,oidc,iam,lambda"
    )]
    auth: Vec<Mode>,
    /// SQLite file to keep data (and the JWT key) across restarts.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where to write amplify_outputs.json and amplifyconfiguration.json (and the TLS files).
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Serve https and wss with a self-signed certificate (appsync-mock-cert.pem in --out-dir,
    /// created once and reused).
    #[arg(long)]
    tls: bool,
}

#[derive(Debug, Subcommand)]
enum MockCommand {
    /// Mints a JWT the mock accepts.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// A running mock to ask (its base URL).
    #[arg(long, default_value = "http://127.0.0.1:20002")]
    endpoint: String,
    /// Mint offline with the key stored in this data file instead of asking a server.
    #[arg(long)]
    data: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = TokenProvider::UserPools)]
    provider: TokenProvider,
    /// Extra claims as a JSON object (e.g. '{"sub":"alice","cognito:groups":["admin"]}').
    #[arg(long)]
    claims: Option<String>,
    /// Lifetime in seconds (negative for an already expired token).
    #[arg(long, default_value_t = 3600)]
    expires_in: i64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Conflict {
    None,
    Optimistic,
    Automerge,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    ApiKey,
    UserPools,
    Oidc,
    Iam,
    Lambda,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenProvider {
    UserPools,
    Oidc,
}

impl From<Mode> for AuthMode {
    fn from(mode: Mode) -> AuthMode {
        match mode {
            Mode::ApiKey => AuthMode::ApiKey,
            Mode::UserPools => AuthMode::UserPools,
            Mode::Oidc => AuthMode::Oidc,
            Mode::Iam => AuthMode::Iam,
            Mode::Lambda => AuthMode::Lambda,
        }
    }
}

pub async fn run(args: MockArgs) -> Result<(), String> {
    if let Some(MockCommand::Token(token)) = args.command {
        return mint(token).await;
    }
    let sdl = match &args.schema {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => EXAMPLE_SCHEMA.to_owned(),
    };
    let modes: Vec<AuthMode> = args.auth.iter().map(|m| AuthMode::from(*m)).collect();
    let mut config = MockConfig::new(sdl)
        .conflict(match args.conflict {
            Conflict::None => ConflictMode::None,
            Conflict::Optimistic => ConflictMode::Optimistic,
            Conflict::Automerge => ConflictMode::Automerge,
        })
        .auth_modes(&modes)
        .bind(SocketAddr::new(args.host, args.port));
    if let Some(data) = &args.data {
        config = config.data_file(data);
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("{}: {e}", args.out_dir.display()))?;
    if args.tls {
        config = config.tls(TlsIdentity::load_or_create(&args.out_dir).map_err(|e| e.to_string())?);
    }
    let server = MockServer::start(config)
        .await
        .map_err(|e| match &args.schema {
            Some(path) => format!("{}: {e}", path.display()),
            None => e.to_string(),
        })?;
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("{}: {e}", args.out_dir.display()))?;
    let outputs = args.out_dir.join("amplify_outputs.json");
    let gen1 = args.out_dir.join("amplifyconfiguration.json");
    write_json(&outputs, &server.amplify_outputs())?;
    write_json(&gen1, &server.amplify_configuration())?;

    println!("AppSync mock ({:?} conflict detection)", args.conflict);
    println!("  GraphQL:   {}", server.graphql_url());
    println!("  Realtime:  {}", server.realtime_url());
    println!(
        "  Auth:      {}",
        modes
            .iter()
            .map(|m| appsync_name(*m))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(key) = server.api_key() {
        println!("  API key:   {key}");
    }
    if modes.contains(&AuthMode::UserPools) {
        let token = server
            .mint_token(AuthMode::UserPools, &json!({}))
            .map_err(|e| e.to_string())?;
        println!("  Sample user pool token (1 h): {token}");
    }
    println!(
        "  IAM:       access key {} (secret in `appsync_mock::config`)",
        appsync_mock::config::DEFAULT_ACCESS_KEY_ID
    );
    println!(
        "  Lambda:    token {}",
        appsync_mock::config::DEFAULT_LAMBDA_TOKEN
    );
    println!("  Wrote {} and {}", outputs.display(), gen1.display());
    println!(
        "  Faults:    POST {}/__mock/faults (see mock/README.md)",
        server.graphql_url().trim_end_matches("/graphql")
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    server.shutdown();
    Ok(())
}

fn write_json(path: &std::path::Path, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

async fn mint(args: TokenArgs) -> Result<(), String> {
    let mut claims: Value = match &args.claims {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| format!("--claims is not JSON: {e}"))?
        }
        None => json!({}),
    };
    if !claims.is_object() {
        return Err("--claims must be a JSON object".into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    if let Some(path) = &args.data {
        let data = Data::open(path).map_err(|e| e.to_string())?;
        let pem = data
            .meta("jwt_private_key_pem")
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "{} holds no JWT key: start `appsync mock --data` with it once",
                    path.display()
                )
            })?;
        let keys = JwtKeys::from_pkcs8_pem(&pem).map_err(|e| e.to_string())?;
        let defaults = MockConfig::new("");
        let issuer = match args.provider {
            TokenProvider::UserPools => defaults.auth.user_pool,
            TokenProvider::Oidc => defaults.auth.oidc,
        };
        let mut base = json!({"sub": "mock-user", "iss": issuer.issuer, "iat": now, "exp": now + args.expires_in,
            "token_use": "id", "cognito:username": "mock-user"});
        if let Some(aud) = issuer.client_id {
            base["aud"] = json!(aud);
        }
        if let (Some(base), Some(extra)) = (base.as_object_mut(), claims.as_object()) {
            base.extend(extra.clone());
        }
        println!("{}", keys.mint(&base).map_err(|e| e.to_string())?);
        return Ok(());
    }
    claims["exp"] = json!(now + args.expires_in);
    let provider = match args.provider {
        TokenProvider::UserPools => "userPools",
        TokenProvider::Oidc => "oidc",
    };
    let body = json!({"provider": provider, "claims": claims})
        .to_string()
        .into_bytes();
    use appsync_core::transport::{HttpRequest, HttpTransport, ReqwestTransport};
    let response = ReqwestTransport::new()
        .send(HttpRequest {
            method: "POST".into(),
            url: format!("{}/__mock/token", args.endpoint.trim_end_matches('/')),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        })
        .await
        .map_err(|e| format!("cannot reach the mock at {}: {e}", args.endpoint))?;
    let reply: Value =
        serde_json::from_slice(&response.body).map_err(|e| format!("unexpected answer: {e}"))?;
    match reply.get("token").and_then(Value::as_str) {
        Some(token) => {
            println!("{token}");
            Ok(())
        }
        None => Err(format!("the mock refused: {reply}")),
    }
}
