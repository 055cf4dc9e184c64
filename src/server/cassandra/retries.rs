//! Trying a request again after a transient failure.

use super::error::is_transient;
use scylla::errors::ExecutionError;
use std::future::Future;
use std::time::Duration;

/// Runs a request again after a transient failure (a node just went down, a timeout), a few
/// times with a short pause: the driver tries once more at most, which a node's death can use
/// up. Only for requests that are safe to repeat; the callers say why theirs are.
pub async fn with_retries<T, Request, Answer>(mut request: Request) -> Result<T, ExecutionError>
where
    Request: FnMut() -> Answer,
    Answer: Future<Output = Result<T, ExecutionError>>,
{
    const ATTEMPTS: u64 = 4;
    let mut attempt = 1;
    loop {
        match request().await {
            Err(error) if attempt < ATTEMPTS && is_transient(&error) => {
                let pause = Duration::from_millis(attempt * 100 + rand::random::<u64>() % 100);
                tracing::debug!(attempt, ?pause, %error, "trying again");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}
