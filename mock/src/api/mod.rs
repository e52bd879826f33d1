//! The generated API, running: the schema it serves, its data, and the resolvers of every root
//! field (`getX`, `listX`, `syncX`, `createX`, `updateX`, `deleteX`) with AppSync's conflict
//! detection semantics (PROTOCOL.md §4).

pub mod execute;
pub mod index;
mod resolvers;
pub mod subscription;
mod tokens;

use crate::clock::MockClock;
use crate::data::Data;
use crate::schema::{AuthMode, ConflictMode, ModelSchema};
use index::TypeIndex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

pub use execute::{GraphQLBody, Outcome};

/// Default time a change stays in the delta log (AppSync's DeltaSyncTableTTL: 30 minutes).
pub const DEFAULT_DELTA_TTL_MS: i64 = 30 * 60 * 1000;
/// Default time a tombstone stays in the base table (30 days).
pub const DEFAULT_TOMBSTONE_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A root field failed: AppSync's `errorType`, `message` and, for conflicts, `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub error_type: String,
    pub message: String,
    pub data: Option<Value>,
}

impl FieldError {
    pub fn new(error_type: &str, message: impl Into<String>) -> Self {
        FieldError {
            error_type: error_type.to_owned(),
            message: message.into(),
            data: None,
        }
    }
}

/// A change made by a mutation, for subscriptions.
#[derive(Debug, Clone)]
pub struct MutationEvent {
    /// The mutation field, e.g. `createTodo`.
    pub mutation: String,
    pub model: String,
    /// The full item after the change.
    pub item: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    List,
    Sync,
    Create,
    Update,
    Delete,
}

/// How the API runs: conflict mode, default auth mode and TTLs.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub conflict: ConflictMode,
    pub default_mode: AuthMode,
    pub delta_ttl_ms: i64,
    pub tombstone_ttl_ms: i64,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            conflict: ConflictMode::Automerge,
            default_mode: AuthMode::ApiKey,
            delta_ttl_ms: DEFAULT_DELTA_TTL_MS,
            tombstone_ttl_ms: DEFAULT_TOMBSTONE_TTL_MS,
        }
    }
}

/// One running API.
#[derive(Debug)]
pub struct Api {
    pub sdl: String,
    pub(crate) schema: ModelSchema,
    pub(crate) index: TypeIndex,
    pub(crate) options: ApiOptions,
    pub(crate) default_mode: AuthMode,
    roots: HashMap<String, (Op, String)>,
    pub(crate) data: Mutex<Data>,
    pub clock: MockClock,
    pub events: broadcast::Sender<MutationEvent>,
}

/// The auth mode an `@aws_*` directive names.
pub fn mode_from_directive(name: &str) -> Option<AuthMode> {
    Some(match name {
        "aws_api_key" => AuthMode::ApiKey,
        "aws_iam" => AuthMode::Iam,
        "aws_cognito_user_pools" => AuthMode::UserPools,
        "aws_oidc" => AuthMode::Oidc,
        "aws_lambda" => AuthMode::Lambda,
        _ => return None,
    })
}

impl Api {
    /// Builds the API for `schema`. The index is built from the generated SDL itself.
    pub fn new(
        schema: ModelSchema,
        options: ApiOptions,
        data: Data,
        clock: MockClock,
    ) -> Result<Api, String> {
        let sdl = crate::schema::generate_api_sdl_with_default_auth(
            &schema,
            options.conflict,
            options.default_mode,
        );
        let index = TypeIndex::from_sdl(&sdl)
            .map_err(|e| format!("generated schema does not parse: {e}"))?;
        let versioned = options.conflict != ConflictMode::None;
        let mut roots = HashMap::new();
        for model in &schema.models {
            let (name, plural) = (&model.name, &model.plural);
            roots.insert(format!("get{name}"), (Op::Get, name.clone()));
            roots.insert(format!("list{plural}"), (Op::List, name.clone()));
            if versioned {
                roots.insert(format!("sync{plural}"), (Op::Sync, name.clone()));
            }
            roots.insert(format!("create{name}"), (Op::Create, name.clone()));
            roots.insert(format!("update{name}"), (Op::Update, name.clone()));
            roots.insert(format!("delete{name}"), (Op::Delete, name.clone()));
        }
        let (events, _) = broadcast::channel(65_536);
        Ok(Api {
            sdl,
            default_mode: options.default_mode,
            schema,
            index,
            options,
            roots,
            data: Mutex::new(data),
            clock,
            events,
        })
    }

    pub fn conflict(&self) -> ConflictMode {
        self.options.conflict
    }

    /// Model names, in schema order.
    pub fn model_names(&self) -> Vec<String> {
        self.schema.models.iter().map(|m| m.name.clone()).collect()
    }

    /// Number of stored items of a model (tombstones included).
    pub fn count(&self, model: &str) -> usize {
        self.data.lock().map(|d| d.count(model)).unwrap_or(0)
    }

    /// A stored item by id, as the server holds it.
    pub fn item(&self, model: &str, id: &str) -> Option<Value> {
        self.data.lock().ok()?.get(model, id).cloned()
    }

    pub(crate) fn resolve(
        &self,
        field: &str,
        args: serde_json::Map<String, Value>,
    ) -> Result<Value, FieldError> {
        let Some((op, model)) = self.roots.get(field) else {
            return Err(FieldError::new(
                "UnsupportedOperation",
                format!("{field} has no resolver"),
            ));
        };
        let mut data = self
            .data
            .lock()
            .map_err(|_| FieldError::new("InternalFailure", "the data lock is poisoned"))?;
        let now = self.clock.now_ms();
        data.expire(
            now - self.options.delta_ttl_ms,
            now - self.options.tombstone_ttl_ms,
        )
        .map_err(|e| FieldError::new("InternalFailure", e.to_string()))?;
        let result = match op {
            Op::Get => self.get(&data, model, &args),
            Op::List => self.list(&data, model, &args),
            Op::Sync => self.sync(&data, model, &args, now),
            Op::Create => self.create(&mut data, model, &args, now),
            Op::Update => self.update(&mut data, model, &args, now),
            Op::Delete => self.delete(&mut data, model, &args, now),
        }?;
        if matches!(op, Op::Create | Op::Update | Op::Delete) {
            // Nobody listening is fine: subscriptions come and go.
            let _ = self.events.send(MutationEvent {
                mutation: field.to_owned(),
                model: model.clone(),
                item: result.clone(),
            });
        }
        Ok(result)
    }
}
