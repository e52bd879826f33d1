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
    futures_timer::Delay::new(duration).await;
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

/// Starts a background task on the browser's event loop.
#[cfg(target_family = "wasm")]
pub fn spawn<F>(future: F)
where
    F: Future<Output = ()> + 'static,
{
    wasm_bindgen_futures::spawn_local(future);
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
