//! A row stream observed from its statement's start to its last row: its
//! span stays open, and its duration runs, until the stream ends, fails or
//! is dropped.

use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{Stream, StreamExt};
use tracing::Instrument;

use super::TenantTelemetry;
use super::call::Call;
use crate::Error;

/// `rows`, observed by `call` until it ends.
pub(crate) struct ObservedStream<T: Deref<Target = TenantTelemetry>, S> {
    /// `None` once the stream has ended and the call is recorded.
    call: Option<Call<T>>,
    rows: S,
    /// Rows read so far.
    read: u64,
}

impl<T: Deref<Target = TenantTelemetry>> Call<T> {
    /// Observes the row stream `start` opens: a failed start ends the call
    /// at once; an opened stream carries the call, its span entered while
    /// it is polled, until its end, its first error, or its drop (the rows
    /// read so far, as done).
    pub(crate) async fn observe_stream<S, Fut>(
        self,
        start: impl FnOnce() -> Fut,
    ) -> Result<ObservedStream<T, S>, Error>
    where
        Fut: Future<Output = Result<S, Error>>,
    {
        match start().instrument(self.span().clone()).await {
            Ok(rows) => Ok(ObservedStream {
                call: Some(self),
                rows,
                read: 0,
            }),
            Err(error) => {
                self.ended(0, Some(&error));
                Err(error)
            }
        }
    }
}

impl<T: Deref<Target = TenantTelemetry>, S> ObservedStream<T, S> {
    fn end(&mut self, error: Option<&Error>) {
        if let Some(call) = self.call.take() {
            call.ended(self.read, error);
        }
    }
}

impl<T, S, R> Stream for ObservedStream<T, S>
where
    T: Deref<Target = TenantTelemetry> + Unpin,
    S: Stream<Item = Result<R, Error>> + Unpin,
{
    type Item = Result<R, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = {
            let _entered = this.call.as_ref().map(|call| call.span().enter());
            this.rows.poll_next_unpin(cx)
        };
        match &polled {
            Poll::Ready(Some(Ok(_))) => this.read += 1,
            Poll::Ready(Some(Err(error))) => this.end(Some(error)),
            Poll::Ready(None) => this.end(None),
            Poll::Pending => {}
        }
        polled
    }
}

impl<T: Deref<Target = TenantTelemetry>, S> Drop for ObservedStream<T, S> {
    fn drop(&mut self) {
        self.end(None);
    }
}
