//! The exported classes: `WasmClient` (query, mutate, subscribe, reconnectRealtime over the
//! core's `AppSyncClient` with the browser's WebSocket) and `WasmSubscription` (unsubscribe).
//! Every argument arrives as a raw JS value and is checked here, so wrong input from JS is a
//! typed error (a JS `Error` with `name` and `code`), never a trap.

use crate::js::{error_value, event_value, from_json, to_json};
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

fn config_error(key: &str, expected: &str, value: &JsValue) -> AppSyncError {
    AppSyncError::Config(ConfigError {
        source_name: "<arguments>".into(),
        key: key.into(),
        expected: expected.into(),
        found: value.js_typeof().as_string().unwrap_or_default(),
    })
}

fn read_request(value: &JsValue) -> Result<GraphQLRequest, AppSyncError> {
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
    client: AppSyncClient,
}

#[wasm_bindgen]
impl WasmClient {
    /// Builds a client from the text of `amplify_outputs.json` or a Gen 1 config, the name to
    /// use in errors, and the provider functions. Throws a `ConfigError` for a bad config or a
    /// provider that is not a function.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = configText, unchecked_param_type = "string")] config_text: JsValue,
        #[wasm_bindgen(js_name = sourceName, unchecked_param_type = "string")] source_name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] providers: JsValue,
    ) -> Result<WasmClient, JsValue> {
        let Some(config_text) = config_text.as_string() else {
            return Err(error_value(&config_error(
                "configText",
                "the config file's text",
                &config_text,
            )));
        };
        let source_name = source_name
            .as_string()
            .unwrap_or_else(|| "<config>".to_owned());
        let config = ClientConfig::from_json_str(&config_text, &source_name)
            .map_err(|e| error_value(&e.into()))?;
        let providers = providers_from_js(&providers).map_err(|e| error_value(&e.into()))?;
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
        self.execute(request, false)
    }

    /// Runs a mutation; resolves to `{data, errors}`, rejects with a typed error.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn mutate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] request: JsValue,
    ) -> js_sys::Promise {
        self.execute(request, true)
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
        wasm_bindgen_futures::spawn_local(deliver(subscription, on_event, cancelled));
        Ok(WasmSubscription {
            cancel: RefCell::new(Some(cancel)),
        })
    }

    /// Reconnects every realtime connection now (call it when the network changes).
    #[wasm_bindgen(js_name = reconnectRealtime)]
    pub fn reconnect_realtime(&self) {
        self.client.reconnect_realtime();
    }
}

impl WasmClient {
    fn execute(&self, request: JsValue, mutation: bool) -> js_sys::Promise {
        let client = self.client.clone();
        let request = read_request(&request);
        wasm_bindgen_futures::future_to_promise(async move {
            let request = request.map_err(|e| error_value(&e))?;
            let result = if mutation {
                client.mutate(request).await
            } else {
                client.query(request).await
            };
            match result {
                Ok(response) => Ok(from_json(&crate::encode::response_to_json(&response))),
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

#[wasm_bindgen]
impl WasmSubscription {
    /// Stops the subscription: no event is delivered after this returns.
    pub fn unsubscribe(&self) {
        if let Some(cancel) = self.cancel.borrow_mut().take() {
            let _ = cancel.send(());
        }
    }
}
