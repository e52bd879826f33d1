//! The client object hosts hold: query, mutate and subscribe over the core's `AppSyncClient`.

use crate::error::AppSyncException;
use crate::providers::AuthProviders;
use crate::runtime;
use crate::types::{GraphQlRequest, GraphQlResponse, SubscriptionEvent};
use appsync_core as core;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Receives a subscription's events, in order, on a background thread.
#[uniffi::export(with_foreign)]
pub trait SubscriptionListener: Send + Sync {
    fn on_event(&self, event: SubscriptionEvent);
}

/// An AppSync client. Thread-safe; share one per API.
#[derive(Debug, uniffi::Object)]
pub struct AppSyncClient {
    pub(crate) inner: core::AppSyncClient,
    pub(crate) outbox: crate::outbox::OutboxSlot,
    /// `mutate` goes through the outbox unless the app turned offline support off.
    pub(crate) offline: bool,
    /// The outbox's timings and limits (checked when the client is built).
    pub(crate) outbox_options: core::outbox::OutboxOptions,
}

pub(crate) fn internal(message: String) -> AppSyncException {
    AppSyncException::Network { detail: message }
}

pub(crate) fn to_core(request: GraphQlRequest) -> Result<core::GraphQLRequest, AppSyncException> {
    let mut out = core::GraphQLRequest::new(request.document);
    if let Some(text) = request.variables_json {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| AppSyncException::InvalidDocument {
                detail: format!("variables are not valid JSON: {e}"),
            })?;
        out = out.variables(value);
    }
    if let Some(name) = request.operation_name {
        out = out.operation_name(name);
    }
    if let Some(mode) = request.auth_mode {
        out = out.auth_mode(mode.into());
    }
    for (name, value) in request.headers {
        out = out.header(name, value);
    }
    if let Some(ms) = request.timeout_ms {
        out = out.timeout(Duration::from_millis(ms));
    }
    if request.partial_results {
        out = out.error_policy(core::ErrorPolicy::All);
    }
    if let Some(policy) = request.fetch_policy {
        out = out.fetch_policy(policy.into());
    }
    Ok(out)
}

#[uniffi::export]
impl AppSyncClient {
    /// A client from the text of `amplify_outputs.json`, `amplifyconfiguration.json` or the JSON
    /// of aws-exports; `source_name` names the file in configuration errors.
    #[uniffi::constructor]
    pub fn new(
        config_json: String,
        source_name: String,
        providers: AuthProviders,
    ) -> Result<Arc<Self>, AppSyncException> {
        Self::with_options(
            config_json,
            source_name,
            providers,
            crate::cache::ClientOptions::default(),
        )
    }

    /// Like `new`, with options: where the cache persists and under which namespace.
    #[uniffi::constructor]
    pub fn with_options(
        config_json: String,
        source_name: String,
        providers: AuthProviders,
        options: crate::cache::ClientOptions,
    ) -> Result<Arc<Self>, AppSyncException> {
        let config = core::ClientConfig::from_json_str(&config_json, &source_name)?;
        let offline = !options.disable_offline;
        let outbox_options =
            core::outbox::OutboxOptions::tuned(options.outbox_tuning(), "ClientOptions")
                .map_err(core::AppSyncError::Config)?;
        let options = crate::cache::core_options(&options, &config);
        let client = runtime::within(|| {
            core::AppSyncClient::with_options(config, providers.into(), options)
        })
        .map_err(internal)?;
        Ok(Arc::new(AppSyncClient {
            inner: client,
            outbox: Default::default(),
            offline,
            outbox_options,
        }))
    }

    /// Runs a query.
    pub async fn query(
        &self,
        request: GraphQlRequest,
    ) -> Result<GraphQlResponse, AppSyncException> {
        let request = to_core(request)?;
        let client = self.inner.clone();
        // The data stays the server's (or the cache's) JSON text all the way to the app.
        let result = runtime::run(async move { client.query_text(request).await })
            .await
            .map_err(internal)?;
        Ok(result?.into())
    }

    /// Starts a subscription; events reach `listener` until the handle is cancelled (or
    /// released), or the subscription completes or fails.
    pub fn subscribe(
        &self,
        request: GraphQlRequest,
        listener: Arc<dyn SubscriptionListener>,
    ) -> Result<Arc<SubscriptionHandle>, AppSyncException> {
        let request = to_core(request)?;
        let client = self.inner.clone();
        let mut subscription =
            runtime::within(|| client.subscribe(request)).map_err(internal)??;
        let cancel = subscription.handle();
        let task = runtime::spawn(async move {
            while let Some(event) = subscription.next_event().await {
                let last = matches!(
                    event,
                    core::SubscriptionEvent::Completed | core::SubscriptionEvent::Failed(_)
                );
                listener.on_event(event.into());
                if last {
                    break;
                }
            }
        })
        .map_err(internal)?;
        Ok(Arc::new(SubscriptionHandle {
            cancel,
            task: Mutex::new(Some(task)),
        }))
    }

    /// Reconnects realtime connections now: call it when the device's network changes.
    pub fn reconnect_realtime(&self) {
        self.inner.reconnect_realtime();
    }
}

/// Cancels a subscription. Released handles cancel too.
#[derive(Debug, uniffi::Object)]
pub struct SubscriptionHandle {
    cancel: core::SubscriptionHandle,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[uniffi::export]
impl SubscriptionHandle {
    /// Stops the subscription (`stop` is sent); the listener gets nothing more.
    pub fn cancel(&self) {
        self.cancel.cancel();
        if let Ok(mut task) = self.task.lock() {
            if let Some(task) = task.take() {
                task.abort();
            }
        }
    }

    pub fn id(&self) -> String {
        self.cancel.id().to_owned()
    }
}

impl Drop for SubscriptionHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}
