//! The offline mutation queue for JS: enqueue with an optimistic response, outcomes, events,
//! entries (retry, edit, discard), the browser's network status, and a conflict resolver
//! written as an async JS function.

use crate::cache::{parse_operation, read_data, read_fragment_options};
use crate::client::{read_request, WasmClient, WasmSubscription};
use crate::encode::{outbox_event_to_json, outcome_to_json, queued_to_json};
use crate::js::{describe_thrown, error_value, from_json, to_json};
use appsync_core::graphql::DocumentError;
use appsync_core::outbox::{
    Conflict, ConflictDecision, ConflictResolver, NewMutation, Outbox, OutboxOptions, Outcome,
    UpdateCache, UpdateFn,
};
use appsync_core::runtime::BoxFuture;
use appsync_core::AppSyncError;
use futures::channel::oneshot;
use futures::future::{select, Either};
use futures::StreamExt;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// The app's resolver (a JS function), swappable at any time.
pub(crate) type ResolverSlot = Rc<RefCell<Option<js_sys::Function>>>;

struct JsResolver(ResolverSlot);

impl ConflictResolver for JsResolver {
    fn resolve(&self, conflict: Conflict) -> BoxFuture<'static, ConflictDecision> {
        let resolver = self.0.borrow().clone();
        Box::pin(async move {
            let Some(resolver) = resolver else {
                return ConflictDecision::Park;
            };
            let argument = from_json(&json!({
                "mutationId": conflict.mutation.id,
                "document": conflict.mutation.document,
                "variables": conflict.mutation.variables,
                "serverData": conflict.server_data,
                "retries": conflict.retries,
                "errorType": conflict.error_type,
            }));
            let returned = match resolver.call1(&JsValue::UNDEFINED, &argument) {
                Ok(value) => value,
                // A throwing resolver decides nothing: the mutation waits for the app.
                Err(_) => return ConflictDecision::Park,
            };
            let settled = match returned.dyn_into::<js_sys::Promise>() {
                Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
                Err(value) => Ok(value),
            };
            let Ok(decision) = settled.and_then(|v| to_json(&v).map_err(JsValue::from)) else {
                return ConflictDecision::Park;
            };
            match decision["type"].as_str() {
                Some("retry") if decision["variables"].is_object() => {
                    ConflictDecision::Retry(decision["variables"].clone())
                }
                Some("discard") => ConflictDecision::Discard,
                _ => ConflictDecision::Park,
            }
        })
    }
}

pub(crate) fn new_outbox(
    client: &appsync_core::AppSyncClient,
    resolver: ResolverSlot,
    options: OutboxOptions,
) -> Outbox {
    Outbox::new(
        client.clone(),
        OutboxOptions {
            resolver: Some(Arc::new(JsResolver(resolver))),
            ..options
        },
    )
}

/// The cache as an update function sees it (the TypeScript `MutationCache` wraps it). Reads see
/// everything, optimistic layers too; `writeQuery` writes into the mutation's optimistic layer
/// on the optimistic pass and into the cache on the server's answer. Valid during the call only.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmMutationCache(UpdateCache);

#[wasm_bindgen]
impl WasmMutationCache {
    /// True on the optimistic pass, false on the server's answer.
    #[wasm_bindgen(getter, js_name = isOptimistic)]
    pub fn is_optimistic(&self) -> bool {
        self.0.is_optimistic()
    }

    /// The query's data, `null` when the cache lacks part of it.
    #[wasm_bindgen(js_name = readQuery, unchecked_return_type = "Promise<unknown>")]
    pub fn read_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
    ) -> js_sys::Promise {
        let cache = self.0.clone();
        let request = read_request(&request);
        crate::js::promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            let operation = parse_operation(&request)?;
            let read = cache
                .read_query(&operation, request.variables.as_ref())
                .await
                .map_err(|e| error_value(&e.into()))?;
            Ok(read.data.as_ref().map_or(JsValue::NULL, from_json))
        })
    }

    /// Entity `key` through a fragment (`{fragment, key, fragmentName?, variables?}`); `null`
    /// when the cache lacks part of it.
    #[wasm_bindgen(js_name = readFragment, unchecked_return_type = "Promise<unknown>")]
    pub fn read_fragment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: JsValue,
    ) -> js_sys::Promise {
        let cache = self.0.clone();
        let options = read_fragment_options(&options, false);
        crate::js::promise(async move {
            let (fragment, key, variables, _) = options.map_err(|e| error_value(&e))?;
            let read = cache
                .read_fragment(&fragment, &key, variables.as_ref())
                .await
                .map_err(|e| error_value(&e.into()))?;
            Ok(read.data.as_ref().map_or(JsValue::NULL, from_json))
        })
    }

    /// Writes `data` as the query's result; resolves to what did not match the document.
    #[wasm_bindgen(js_name = writeQuery, unchecked_return_type = "Promise<string[]>")]
    pub fn write_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] data: JsValue,
    ) -> js_sys::Promise {
        let cache = self.0.clone();
        let request = read_request(&request);
        let data = read_data(&data);
        crate::js::promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            let data = data.map_err(|e| error_value(&e))?;
            let operation = parse_operation(&request)?;
            let warnings = cache
                .write_query(&operation, request.variables.as_ref(), &data)
                .await
                .map_err(|e| error_value(&e.into()))?;
            Ok(from_json(&Value::from(warnings)))
        })
    }
}

/// An app's update function, `(cache, data) => Promise<void> | void`, as the core's; `null` or
/// `undefined` for none. What it throws or rejects with is ignored: the mutation goes on.
pub(crate) fn update_function(value: JsValue) -> Result<Option<UpdateFn>, AppSyncError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let function = value.dyn_into::<js_sys::Function>().map_err(|other| {
        invalid(format!(
            "update must be a function, found {}",
            describe_thrown(&other)
        ))
    })?;
    let update: UpdateFn = Arc::new(move |cache: UpdateCache, data: Value| {
        let function = function.clone();
        Box::pin(async move {
            let cache = JsValue::from(WasmMutationCache(cache));
            let Ok(returned) = function.call2(&JsValue::UNDEFINED, &cache, &from_json(&data))
            else {
                return;
            };
            if let Ok(promise) = returned.dyn_into::<js_sys::Promise>() {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            }
        })
    });
    Ok(Some(update))
}

fn invalid(message: String) -> AppSyncError {
    AppSyncError::InvalidDocument(DocumentError { message })
}

fn text(value: &JsValue, what: &str) -> Result<String, AppSyncError> {
    value.as_string().ok_or_else(|| {
        invalid(format!(
            "{what} must be a string, found {}",
            describe_thrown(value)
        ))
    })
}

fn optional_json(value: &JsValue, what: &str) -> Result<Option<Value>, AppSyncError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    to_json(value)
        .map(Some)
        .map_err(|e| invalid(format!("{what} cannot be read as JSON: {e}")))
}

fn outcome_value(outcome: &Outcome) -> JsValue {
    let value = from_json(&outcome_to_json(outcome));
    if let Outcome::Parked { error, .. } = outcome {
        let _ = js_sys::Reflect::set(&value, &"error".into(), &error_value(error));
    }
    value
}

#[wasm_bindgen]
impl WasmClient {
    /// Queues a mutation durably (IndexedDB) and shows `optimisticResponse` at once; resolves to
    /// its id. `update` (a function or null) runs on the optimistic response and again on the
    /// server's answer, with a `WasmMutationCache`.
    #[wasm_bindgen(js_name = enqueueMutation, unchecked_return_type = "Promise<string>")]
    pub fn enqueue_mutation(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(js_name = optimisticResponse, unchecked_param_type = "unknown")]
        optimistic: JsValue,
        #[wasm_bindgen(js_name = mutationId, unchecked_param_type = "unknown")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] update: JsValue,
    ) -> js_sys::Promise {
        let outbox = self.outbox();
        let update = update_function(update);
        let request = read_request(&request);
        let optimistic = optional_json(&optimistic, "optimisticResponse");
        let id = if id.is_undefined() || id.is_null() {
            Ok(None)
        } else {
            text(&id, "mutationId").map(Some)
        };
        crate::js::promise(async move {
            let mutation = NewMutation {
                request: request.map_err(|e| error_value(&e))?,
                optimistic_response: optimistic.map_err(|e| error_value(&e))?,
                id: id.map_err(|e| error_value(&e))?,
                update: update.map_err(|e| error_value(&e))?,
            };
            let pending = outbox
                .enqueue(mutation)
                .await
                .map_err(|e| error_value(&e))?;
            Ok(JsValue::from_str(&pending.id))
        })
    }

    /// Resolves to a queued mutation's outcome (as long as the device is offline).
    #[wasm_bindgen(js_name = mutationOutcome, unchecked_return_type = "Promise<unknown>")]
    pub fn mutation_outcome(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> js_sys::Promise {
        let outbox = self.outbox();
        let id = text(&id, "id");
        crate::js::promise(async move {
            let id = id.map_err(|e| error_value(&e))?;
            let outcome = outbox.outcome(&id).await.map_err(|e| error_value(&e))?;
            Ok(outcome_value(&outcome))
        })
    }

    /// Resolves to every queued mutation in order, pending and parked.
    #[wasm_bindgen(js_name = outboxEntries, unchecked_return_type = "Promise<unknown[]>")]
    pub fn outbox_entries(&self) -> js_sys::Promise {
        let outbox = self.outbox();
        crate::js::promise(async move {
            let entries = outbox.entries().await.map_err(|e| error_value(&e))?;
            Ok(from_json(&Value::Array(
                entries.iter().map(queued_to_json).collect(),
            )))
        })
    }

    /// Sends a parked mutation again.
    #[wasm_bindgen(js_name = retryMutation, unchecked_return_type = "Promise<void>")]
    pub fn retry_mutation(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> js_sys::Promise {
        let outbox = self.outbox();
        let id = text(&id, "id");
        crate::js::promise(async move {
            let id = id.map_err(|e| error_value(&e))?;
            outbox.retry(&id).await.map_err(|e| error_value(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Replaces a queued mutation's variables (and optimistic response, when given).
    #[wasm_bindgen(js_name = editMutation, unchecked_return_type = "Promise<void>")]
    pub fn edit_mutation(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] variables: JsValue,
        #[wasm_bindgen(js_name = optimisticResponse, unchecked_param_type = "unknown")]
        optimistic: JsValue,
    ) -> js_sys::Promise {
        let outbox = self.outbox();
        let id = text(&id, "id");
        let variables = optional_json(&variables, "variables");
        let optimistic = optional_json(&optimistic, "optimisticResponse");
        crate::js::promise(async move {
            let id = id.map_err(|e| error_value(&e))?;
            let variables = variables
                .map_err(|e| error_value(&e))?
                .unwrap_or(Value::Null);
            let optimistic = optimistic.map_err(|e| error_value(&e))?;
            outbox
                .edit(&id, variables, optimistic)
                .await
                .map_err(|e| error_value(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Removes a queued mutation for good; its optimistic response is rolled back.
    #[wasm_bindgen(js_name = discardMutation, unchecked_return_type = "Promise<void>")]
    pub fn discard_mutation(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> js_sys::Promise {
        let outbox = self.outbox();
        let id = text(&id, "id");
        crate::js::promise(async move {
            let id = id.map_err(|e| error_value(&e))?;
            outbox.discard(&id).await.map_err(|e| error_value(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Reports connectivity (`navigator.onLine`, the `online` / `offline` events).
    #[wasm_bindgen(js_name = setNetworkOnline)]
    pub fn set_network_online(&self, online: bool) {
        self.outbox().set_online(online);
    }

    /// Sets (or clears, with `null`) the conflict resolver: `(conflict) => Promise<{type:
    /// 'retry', variables} | {type: 'discard'} | {type: 'park'}>`.
    #[wasm_bindgen(js_name = setConflictResolver)]
    pub fn set_conflict_resolver(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] resolver: JsValue,
    ) -> Result<(), JsValue> {
        let function = if resolver.is_null() || resolver.is_undefined() {
            None
        } else {
            match resolver.dyn_into::<js_sys::Function>() {
                Ok(f) => Some(f),
                Err(other) => {
                    return Err(error_value(&invalid(format!(
                        "the conflict resolver must be a function, found {}",
                        describe_thrown(&other)
                    ))))
                }
            }
        };
        *self.resolver.borrow_mut() = function;
        Ok(())
    }

    /// Hands the outbox's events to `onEvent` until `unsubscribe()`.
    #[wasm_bindgen(js_name = watchOutbox)]
    pub fn watch_outbox(
        &self,
        #[wasm_bindgen(js_name = onEvent, unchecked_param_type = "(event: unknown) => void")]
        on_event: JsValue,
    ) -> Result<WasmSubscription, JsValue> {
        let Some(on_event) = on_event.dyn_ref::<js_sys::Function>().cloned() else {
            return Err(error_value(&invalid("onEvent must be a function".into())));
        };
        let mut events = self.outbox().events();
        let (cancel, mut cancelled) = oneshot::channel();
        appsync_core::runtime::spawn(async move {
            while let Either::Right((Some(event), _)) = select(&mut cancelled, events.next()).await
            {
                let value = from_json(&outbox_event_to_json(&event));
                if let appsync_core::outbox::OutboxEvent::Done {
                    outcome: outcome @ Outcome::Parked { .. },
                    ..
                } = &event
                {
                    let _ =
                        js_sys::Reflect::set(&value, &"outcome".into(), &outcome_value(outcome));
                }
                let _ = on_event.call1(&JsValue::UNDEFINED, &value);
            }
        });
        Ok(WasmSubscription::new(cancel))
    }
}
