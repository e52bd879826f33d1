//! Single-flight credential caching: one fetch at a time per credential, shared by every request
//! that needs it while it runs, and a refresh forced only by the request that saw the rejection
//! of the credential it actually used (so ten concurrent 401s cause one refresh, not ten).

use futures::lock::Mutex;
use std::future::Future;

/// Refresh this long before the stated expiry, so a request never leaves with a token that
/// expires on the way.
pub const EXPIRY_MARGIN_MS: i64 = 30_000;

#[derive(Debug)]
struct State<T> {
    value: Option<(T, Option<i64>)>,
    generation: u64,
    force_next: bool,
}

/// A cached credential of type `T` with its expiry.
#[derive(Debug)]
pub struct SingleFlight<T> {
    state: Mutex<State<T>>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight {
            state: Mutex::new(State {
                value: None,
                generation: 0,
                force_next: false,
            }),
        }
    }
}

impl<T: Clone> SingleFlight<T> {
    /// Returns the cached value if still valid at `now_ms`, else calls `fetch(force_refresh)`
    /// while holding the lock, so concurrent callers wait for that one fetch. The generation
    /// identifies the value for [`SingleFlight::invalidate`].
    pub async fn get<E, F, Fut>(
        &self,
        now_ms: i64,
        fetch: F,
        expiry_of: impl Fn(&T) -> Option<i64>,
    ) -> Result<(T, u64), E>
    where
        F: FnOnce(bool) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut state = self.state.lock().await;
        if let Some((value, expiry)) = &state.value {
            let fresh = expiry.is_none_or(|at| now_ms < at - EXPIRY_MARGIN_MS);
            if fresh && !state.force_next {
                return Ok((value.clone(), state.generation));
            }
        }
        let force = state.force_next || state.value.is_some();
        let value = fetch(force).await?;
        let expiry = expiry_of(&value);
        state.value = Some((value.clone(), expiry));
        state.generation += 1;
        state.force_next = false;
        Ok((value, state.generation))
    }

    /// Marks the value of `generation` as rejected; a newer value is left alone.
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            state.force_next = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(SingleFlight::<String>::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(
                        0,
                        |_| async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok::<_, ()>("t".to_owned())
                        },
                        |_| None,
                    )
                    .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn expired_values_are_fetched_again_with_force() {
        let cache = SingleFlight::<i64>::default();
        let (_, g1) = cache
            .get(
                0,
                |force| async move {
                    assert!(!force);
                    Ok::<_, ()>(1)
                },
                |_| Some(60_000),
            )
            .await
            .unwrap();
        let (v, g2) = cache
            .get(
                40_000,
                |force| async move {
                    assert!(force);
                    Ok::<_, ()>(2)
                },
                |_| Some(1_000_000),
            )
            .await
            .unwrap();
        assert_eq!((v, g2), (2, g1 + 1));
    }

    #[tokio::test]
    async fn invalidating_an_old_generation_keeps_the_new_value() {
        let cache = SingleFlight::<i64>::default();
        let (_, g1) = cache
            .get(0, |_| async { Ok::<_, ()>(1) }, |_| None)
            .await
            .unwrap();
        cache.invalidate(g1).await;
        let (v, g2) = cache
            .get(
                0,
                |force| async move {
                    assert!(force);
                    Ok::<_, ()>(2)
                },
                |_| None,
            )
            .await
            .unwrap();
        assert_eq!(v, 2);
        cache.invalidate(g1).await;
        let (v, g3) = cache
            .get(0, |_| async { Ok::<_, ()>(3) }, |_| None)
            .await
            .unwrap();
        assert_eq!((v, g3), (2, g2));
    }
}
