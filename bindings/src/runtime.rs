//! The tokio runtime the binding owns: core futures run here whatever the host's executor is.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

fn runtime() -> Result<&'static Runtime, String> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("appsync")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the appsync runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs `future` on the binding's runtime and awaits it from whatever executor the host uses.
/// `Err` when the runtime cannot start or the task panicked (never across the FFI).
pub async fn run<F, T>(future: F) -> Result<T, String>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    runtime()?
        .spawn(future)
        .await
        .map_err(|e| format!("internal task failed: {e}"))
}

/// Runs `f` inside the runtime's context (for calls that spawn tasks).
pub fn within<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let _guard = runtime()?.enter();
    Ok(f())
}

/// Spawns a task on the binding's runtime.
pub fn spawn<F>(future: F) -> Result<tokio::task::JoinHandle<()>, String>
where
    F: Future<Output = ()> + Send + 'static,
{
    Ok(runtime()?.spawn(future))
}
