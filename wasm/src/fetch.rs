//! The browser's `fetch` as the core's [`HttpTransport`], so the browser build carries neither
//! reqwest nor the `url` crate. Works in windows and workers (it calls the global `fetch`).
//! Timeouts are the core's; a failed fetch (network down, CORS refused) is a transport error.

use appsync_core::runtime::BoxFuture;
use appsync_core::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

/// Sends HTTP requests with the global `fetch`.
#[derive(Debug, Default, Clone, Copy)]
pub struct FetchTransport;

fn describe(value: &JsValue) -> String {
    crate::js::describe_thrown(value)
}

async fn send(request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let fail = |what: &str, value: JsValue| TransportError(format!("{what}: {}", describe(&value)));
    let headers = Headers::new().map_err(|e| fail("headers", e))?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(|e| fail("header", e))?;
    }
    let init = RequestInit::new();
    init.set_method(&request.method);
    init.set_headers(&headers);
    if !request.body.is_empty() {
        init.set_body(&Uint8Array::from(request.body.as_slice()));
    }
    let js_request =
        Request::new_with_str_and_init(&request.url, &init).map_err(|e| fail("request", e))?;
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &JsValue::from_str("fetch"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| TransportError("this JavaScript environment has no fetch".into()))?;
    let promise: Promise = fetch
        .call1(&global, &js_request)
        .map_err(|e| fail("fetch", e))?
        .dyn_into()
        .map_err(|e| fail("fetch", e))?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| fail("fetch failed", e))?
        .dyn_into()
        .map_err(|e| fail("fetch", e))?;
    let mut response_headers = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&response.headers()) {
        for entry in entries.flatten() {
            let pair = Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                response_headers.push((name.to_ascii_lowercase(), value));
            }
        }
    }
    let buffer = response.array_buffer().map_err(|e| fail("body", e))?;
    let body = JsFuture::from(buffer).await.map_err(|e| fail("body", e))?;
    Ok(HttpResponse {
        status: response.status(),
        headers: response_headers,
        body: Uint8Array::new(&body).to_vec(),
    })
}

impl HttpTransport for FetchTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(send(request))
    }
}
