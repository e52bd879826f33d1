//! The one platform switch of the core: spawning, sleeping, timeouts, the wall clock, reading a
//! float literal, and the `Send` bounds that only exist outside wasm. Everything else in the core is
//! written once against these items.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// `Send + Sync` natively; nothing on wasm, where futures and JS values are single-threaded.
#[cfg(not(target_family = "wasm"))]
pub trait SendSyncOutsideWasm: Send + Sync {}
#[cfg(not(target_family = "wasm"))]
impl<T: Send + Sync + ?Sized> SendSyncOutsideWasm for T {}
#[cfg(target_family = "wasm")]
pub trait SendSyncOutsideWasm {}
#[cfg(target_family = "wasm")]
impl<T: ?Sized> SendSyncOutsideWasm for T {}

/// `Send` natively; nothing on wasm.
#[cfg(not(target_family = "wasm"))]
pub trait SendOutsideWasm: Send {}
#[cfg(not(target_family = "wasm"))]
impl<T: Send + ?Sized> SendOutsideWasm for T {}
#[cfg(target_family = "wasm")]
pub trait SendOutsideWasm {}
#[cfg(target_family = "wasm")]
impl<T: ?Sized> SendOutsideWasm for T {}

/// A boxed future that is `Send` wherever the platform has threads.
#[cfg(not(target_family = "wasm"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
#[cfg(target_family = "wasm")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A shared callback taking `&T`: `Send + Sync` natively; plain on wasm.
#[cfg(not(target_family = "wasm"))]
pub type Callback<T> = std::sync::Arc<dyn Fn(&T) + Send + Sync>;
#[cfg(target_family = "wasm")]
pub type Callback<T> = std::sync::Arc<dyn Fn(&T)>;

/// Milliseconds since the Unix epoch by the device clock (`Date.now()` on wasm, where
/// `SystemTime::now()` panics).
pub fn now_ms() -> i64 {
    #[cfg(not(target_family = "wasm"))]
    {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(e) => -(e.duration().as_millis() as i64),
        }
    }
    #[cfg(target_family = "wasm")]
    {
        js_sys::Date::now() as i64
    }
}

/// The nearest `f64` to a decimal literal that the caller's grammar already accepted (NaN if it
/// cannot be read). On wasm the JS engine's correctly rounded `parseFloat` reads it: Rust's own
/// parser brings about 14 KB of tables (13 KB gzip) into the web build.
pub(crate) fn parse_f64(text: &str) -> f64 {
    #[cfg(not(target_family = "wasm"))]
    {
        text.parse().unwrap_or(f64::NAN)
    }
    #[cfg(target_family = "wasm")]
    {
        js_sys::parse_float(text)
    }
}

/// Sleeps without blocking a thread.
pub async fn sleep(duration: Duration) {
    #[cfg(not(target_family = "wasm"))]
    tokio::time::sleep(duration).await;
    #[cfg(target_family = "wasm")]
    timer::Timeout::new(duration).await;
}

/// The browser's `setTimeout` as a future, cleared if dropped first: what `futures-timer`'s wasm
/// `Delay` (over gloo-timers) does, including its millisecond conversion, without that stack's
/// thread checks and channel.
#[cfg(target_family = "wasm")]
mod timer {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = setTimeout)]
        fn set_timeout(handler: &js_sys::Function, timeout: i32) -> JsValue;
        #[wasm_bindgen(js_name = clearTimeout)]
        fn clear_timeout(id: &JsValue);
    }

    pub(super) struct Timeout {
        id: JsValue,
        fired: JsFuture,
    }

    impl Timeout {
        pub(super) fn new(duration: Duration) -> Timeout {
            let mut id = JsValue::UNDEFINED;
            let promise = js_sys::Promise::new(&mut |resolve, _| {
                id = set_timeout(&resolve, duration.as_millis() as u32 as i32);
            });
            Timeout {
                id,
                fired: JsFuture::from(promise),
            }
        }
    }

    impl Future for Timeout {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.fired).poll(cx).map(drop)
        }
    }

    impl Drop for Timeout {
        fn drop(&mut self) {
            clear_timeout(&self.id);
        }
    }
}

/// Runs `future` for at most `duration`; `None` when the time ran out first.
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
    use futures::future::{select, Either};
    let future = std::pin::pin!(future);
    let timer = std::pin::pin!(sleep(duration));
    match select(future, timer).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

/// Starts a background task on the platform's executor (tokio natively, the browser's event loop
/// on wasm). Natively it must be called from inside a tokio runtime.
#[cfg(not(target_family = "wasm"))]
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(future);
}

/// Starts a background task on the browser's event loop. The task is boxed first, so the
/// executor's spawning code exists once in the web build instead of once per kind of task.
#[cfg(target_family = "wasm")]
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + 'static,
{
    let task: Pin<Box<dyn Future<Output = ()>>> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(task);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_returns_none_when_the_future_is_slower() {
        let slow = sleep(Duration::from_millis(200));
        assert!(timeout(Duration::from_millis(10), slow).await.is_none());
        assert_eq!(
            timeout(Duration::from_millis(200), async { 7 }).await,
            Some(7)
        );
    }

    #[test]
    fn now_ms_is_after_2020() {
        assert!(now_ms() > 1_577_836_800_000);
    }
}
