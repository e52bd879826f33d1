//! The exported classes: `WasmClient` (query, mutate, subscribe, reconnectRealtime over the
//! core's `AppSyncClient` with the browser's `fetch` and WebSocket; the full build adds the
//! cache's methods (`cache.rs`) and the outbox's (`outbox.rs`)) and `WasmSubscription`
//! (unsubscribe, for subscriptions, watched queries and outbox events).
//! Every argument arrives as a raw JS value and is checked here, so wrong input from JS is a
//! typed error (a JS `Error` with `name` and `code`), never a trap.

use crate::js::{error_value, event_value, to_json};
use crate::providers::providers_from_js;
use crate::request::request_from_json;
use crate::websocket::BrowserWebSocketConnector;
use appsync_core::graphql::DocumentError;
use appsync_core::{
    AppSyncClient, AppSyncError, ClientConfig, ClientOptions, ConfigError, GraphQLRequest,
    Subscription,
};
use futures::channel::oneshot;
use futures::future::{select, Either};
use futures::StreamExt;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

pub(crate) fn config_error(key: &str, expected: &str, value: &JsValue) -> AppSyncError {
    AppSyncError::Config(ConfigError {
        source_name: "<arguments>".into(),
        key: key.into(),
        expected: expected.into(),
        found: value.js_typeof().as_string().unwrap_or_default(),
    })
}

pub(crate) fn read_request(value: &JsValue) -> Result<GraphQLRequest, AppSyncError> {
    let json = to_json(value).map_err(|e| {
        AppSyncError::InvalidDocument(DocumentError {
            message: format!("the request cannot be read as JSON: {e}"),
        })
    })?;
    request_from_json(json)
}

/// An AppSync client for the browser (the TypeScript `AppSyncClient` wraps it).
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmClient {
    pub(crate) client: AppSyncClient,
    #[cfg(feature = "offline")]
    outbox: std::cell::OnceCell<appsync_core::outbox::Outbox>,
    #[cfg(feature = "offline")]
    pub(crate) resolver: crate::outbox::ResolverSlot,
    /// The outbox's timings and limits (from the options, checked when the client is built).
    #[cfg(feature = "offline")]
    outbox_options: appsync_core::outbox::OutboxOptions,
    /// The objects of readQuery's segment reads (`js/segments.js`).
    #[cfg(feature = "offline")]
    pub(crate) segments: JsValue,
}

/// The config and providers from the constructor's arguments (either build's).
fn config_and_providers(
    config_text: &JsValue,
    source_name: &JsValue,
    providers: &JsValue,
) -> Result<(ClientConfig, appsync_core::AuthProviders), JsValue> {
    let Some(config_text) = config_text.as_string() else {
        return Err(error_value(&config_error(
            "configText",
            "the config file's text",
            config_text,
        )));
    };
    let source_name = source_name
        .as_string()
        .unwrap_or_else(|| "<config>".to_owned());
    let config = ClientConfig::from_json_str(&config_text, &source_name)
        .map_err(|e| error_value(&e.into()))?;
    let providers = providers_from_js(providers).map_err(|e| error_value(&e.into()))?;
    Ok((config, providers))
}

#[wasm_bindgen]
impl WasmClient {
    /// Builds a client from the text of `amplify_outputs.json` or a Gen 1 config, the name to
    /// use in errors, the provider functions, the options, and the function that opens the
    /// IndexedDB store (`openStore` of `ts/store.ts`; without it the cache is memory only).
    /// Throws a `ConfigError` for a bad config or a provider that is not a function.
    #[cfg(feature = "offline")]
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = configText, unchecked_param_type = "string")] config_text: JsValue,
        #[wasm_bindgen(js_name = sourceName, unchecked_param_type = "string")] source_name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] providers: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] options: JsValue,
        #[wasm_bindgen(js_name = openStore)] open_store: Option<js_sys::Function>,
    ) -> Result<WasmClient, JsValue> {
        let (config, providers) = config_and_providers(&config_text, &source_name, &providers)?;
        let storage = crate::cache::storage_options(&options).map_err(|e| error_value(&e))?;
        let outbox_options = appsync_core::outbox::OutboxOptions::tuned(storage.tuning, "options")
            .map_err(|e| error_value(&AppSyncError::Config(e)))?;
        let options = ClientOptions {
            transport: Some(Arc::new(crate::fetch::FetchTransport)),
            websocket: Some(Arc::new(BrowserWebSocketConnector)),
            cache_store: storage.open(&config, open_store),
            ..ClientOptions::default()
        };
        Ok(WasmClient {
            client: AppSyncClient::with_options(config, providers, options),
            outbox: std::cell::OnceCell::new(),
            resolver: Default::default(),
            outbox_options,
            segments: crate::cache::new_segments(),
        })
    }

    /// Builds a client from the text of `amplify_outputs.json` or a Gen 1 config, the name to
    /// use in errors and the provider functions (this build has no cache, so no options).
    /// Throws a `ConfigError` for a bad config or a provider that is not a function.
    #[cfg(not(feature = "offline"))]
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = configText, unchecked_param_type = "string")] config_text: JsValue,
        #[wasm_bindgen(js_name = sourceName, unchecked_param_type = "string")] source_name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] providers: JsValue,
    ) -> Result<WasmClient, JsValue> {
        let (config, providers) = config_and_providers(&config_text, &source_name, &providers)?;
        let options = ClientOptions {
            transport: Some(Arc::new(crate::fetch::FetchTransport)),
            websocket: Some(Arc::new(BrowserWebSocketConnector)),
            ..ClientOptions::default()
        };
        Ok(WasmClient {
            client: AppSyncClient::with_options(config, providers, options),
        })
    }

    /// Runs a query; resolves to `{data, errors}`, rejects with a typed error.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
    ) -> js_sys::Promise {
        self.execute(request, None)
    }

    /// Sends a mutation at once; resolves to `{data, errors}`, rejects with a typed error.
    /// `update` (a function or null) runs once, on the server's answer (see `enqueueMutation`).
    #[cfg(feature = "offline")]
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn mutate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] update: JsValue,
    ) -> js_sys::Promise {
        let update = match crate::outbox::update_function(update) {
            Ok(update) => update,
            Err(e) => return js_sys::Promise::reject(&error_value(&e)),
        };
        self.execute(request, Some(update))
    }

    /// Sends a mutation; resolves to `{data, errors}`, rejects with a typed error.
    #[cfg(not(feature = "offline"))]
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn mutate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
    ) -> js_sys::Promise {
        self.execute(request, Some(()))
    }

    /// Starts a subscription; `onEvent` receives each event (`{type, ...}`). Throws a typed
    /// error when the request cannot be sent (bad document, variables, realtime unavailable).
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
        #[wasm_bindgen(js_name = onEvent, unchecked_param_type = "(event: unknown) => void")]
        on_event: JsValue,
    ) -> Result<WasmSubscription, JsValue> {
        let Some(on_event) = on_event.dyn_ref::<js_sys::Function>().cloned() else {
            return Err(error_value(&config_error(
                "onEvent",
                "a function",
                &on_event,
            )));
        };
        let request = read_request(&request).map_err(|e| error_value(&e))?;
        let subscription = self
            .client
            .subscribe(request)
            .map_err(|e| error_value(&e))?;
        let (cancel, cancelled) = oneshot::channel();
        appsync_core::runtime::spawn(deliver(subscription, on_event, cancelled));
        Ok(WasmSubscription::new(cancel))
    }

    /// Reconnects every realtime connection now (call it when the network changes).
    #[wasm_bindgen(js_name = reconnectRealtime)]
    pub fn reconnect_realtime(&self) {
        self.client.reconnect_realtime();
    }
}

/// A mutation's update function, run on the server's answer (the full build's; the lite build
/// has no cache to update).
#[cfg(feature = "offline")]
type MutationUpdate = Option<appsync_core::outbox::UpdateFn>;
#[cfg(not(feature = "offline"))]
type MutationUpdate = ();

impl WasmClient {
    /// The client's outbox, started on first use (loading what an earlier page queued).
    #[cfg(feature = "offline")]
    pub(crate) fn outbox(&self) -> appsync_core::outbox::Outbox {
        self.outbox
            .get_or_init(|| {
                crate::outbox::new_outbox(
                    &self.client,
                    self.resolver.clone(),
                    self.outbox_options.clone(),
                )
            })
            .clone()
    }

    /// A query (`mutation` None) or a mutation sent at once, with its update function.
    fn execute(&self, request: JsValue, mutation: Option<MutationUpdate>) -> js_sys::Promise {
        let client = self.client.clone();
        let request = read_request(&request);
        crate::js::promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            // The data stays the server's (or the cache's) JSON text until `JSON.parse`.
            let result = match mutation {
                #[cfg(feature = "offline")]
                Some(Some(update)) => {
                    let result = client.mutate(request).await;
                    if let Ok(appsync_core::GraphQLResponse {
                        data: Some(data), ..
                    }) = &result
                    {
                        let cache =
                            appsync_core::outbox::UpdateCache::server_pass(client.cache().clone());
                        update(cache, data.clone()).await;
                    }
                    return match result {
                        Ok(response) => Ok(crate::js::from_json(&crate::encode::response_to_json(
                            &response,
                        ))),
                        Err(error) => Err(error_value(&error)),
                    };
                }
                Some(_) => client.mutate_text(request).await,
                None => client.query_text(request).await,
            };
            match result {
                Ok(response) => Ok(crate::js::from_json_text(
                    &crate::encode::text_response_to_json(&response),
                )),
                Err(error) => Err(error_value(&error)),
            }
        })
    }
}

/// Hands events to the JS callback until the subscription ends or is cancelled; the
/// subscription is dropped (which stops it on the server) when this returns.
async fn deliver(
    mut subscription: Subscription,
    on_event: js_sys::Function,
    mut cancelled: oneshot::Receiver<()>,
) {
    // Cancellation is polled first: an `unsubscribe()` from inside the callback stops the very
    // next event. The loop ends on cancel (or the handle freed) and when the stream ends.
    while let Either::Right((Some(event), _)) = select(&mut cancelled, subscription.next()).await {
        // A throwing callback must not end the subscription.
        let _ = on_event.call1(&JsValue::UNDEFINED, &event_value(&event));
    }
}

/// A running subscription; `unsubscribe()` stops it (idempotent).
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmSubscription {
    cancel: RefCell<Option<oneshot::Sender<()>>>,
}

impl WasmSubscription {
    pub(crate) fn new(cancel: oneshot::Sender<()>) -> WasmSubscription {
        WasmSubscription {
            cancel: RefCell::new(Some(cancel)),
        }
    }
}

#[wasm_bindgen]
impl WasmSubscription {
    /// Stops the subscription: no event is delivered after this returns.
    pub fn unsubscribe(&self) {
        if let Some(cancel) = self.cancel.borrow_mut().take() {
            let _ = cancel.send(());
        }
    }
}
