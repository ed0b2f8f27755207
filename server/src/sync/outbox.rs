//! What one live connection may hold in memory: its messages waiting for the socket, bounded by
//! bytes, not by count (a count of large events is megabytes per device that does not read).

use futures::{Stream, StreamExt};
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_stream::wrappers::UnboundedReceiverStream;

/// The sending side, owned by the task that feeds the connection.
pub struct Outbox<T> {
    tx: mpsc::UnboundedSender<Held<T>>,
    room: Arc<Semaphore>,
    capacity: usize,
    buffered: Arc<AtomicUsize>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The connection is gone.
    Closed,
    /// The outbox stayed full for the whole wait: the client does not read fast enough.
    Full,
}

/// A message and its share of the budget, given back when the socket's side takes it.
struct Held<T> {
    message: Option<T>,
    _permit: OwnedSemaphorePermit,
    bytes: usize,
    buffered: Arc<AtomicUsize>,
}

impl<T> Drop for Held<T> {
    fn drop(&mut self) {
        self.buffered.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// An outbox of `capacity` bytes and the stream of its messages, for the response. `buffered`
/// counts the bytes waiting, added up over every outbox that shares it.
pub fn outbox<T: Send + 'static>(
    capacity: usize,
    buffered: Arc<AtomicUsize>,
) -> (Outbox<T>, impl Stream<Item = T> + Send + 'static) {
    let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let (tx, rx) = mpsc::unbounded_channel::<Held<T>>();
    let outbox = Outbox { tx, room: Arc::new(Semaphore::new(capacity)), capacity, buffered };
    // Handing a message over gives its bytes back: from there, hyper's bounded buffer holds it.
    (outbox, UnboundedReceiverStream::new(rx).map(|held| held.take()))
}

impl<T> Held<T> {
    fn take(mut self) -> T {
        self.message.take().expect("a message is taken once")
    }
}

impl<T> Outbox<T> {
    /// Queues `message`, `bytes` long, once the outbox has room for it (a message larger than the
    /// whole outbox waits until it is empty). Refused when the connection is gone, or when no
    /// room came within `wait`.
    pub async fn send(&self, message: T, bytes: usize, wait: Duration) -> Result<(), Refused> {
        let share = bytes.clamp(1, self.capacity);
        let permit = tokio::select! {
            _ = self.tx.closed() => return Err(Refused::Closed),
            permit = tokio::time::timeout(wait, self.room.clone().acquire_many_owned(share as u32)) => {
                permit.map_err(|_| Refused::Full)?.expect("the semaphore is never closed")
            }
        };
        self.buffered.fetch_add(share, Ordering::SeqCst);
        let held = Held { message: Some(message), _permit: permit, bytes: share, buffered: self.buffered.clone() };
        self.tx.send(held).map_err(|_| Refused::Closed)
    }

    /// Bytes the outbox holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Resolves when the connection is gone.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}
