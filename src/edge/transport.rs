//! The TCP connections the server accepts: no Nagle delay, a time limit on every phase of a
//! connection's life, the answer bytes each has not yet written, a lingering close, and an
//! accept loop that backs off when descriptors run out.
//!
//! Every connection is watched (see [`ConnectionLimits`]): one that has not sent the HTTP/2
//! preface within the handshake timeout (or, in plain-text HTTP/1.1, a request's head within
//! that long of its first byte), one with answers pending and nothing written for the
//! stall timeout (a client that stopped reading), and one with no call open for the idle
//! timeout are closed. The answer bytes a connection has made and not yet written are counted
//! in [`ConnectionState`] and in the server's [`MemoryBudget`].
//!
//! When a drained HTTP/2 connection has sent its last response, h2 shuts the socket down and
//! drops it. If the client's last flow-control updates arrive after that, Linux answers them
//! with a reset, and the client's kernel throws away response bytes it has not read yet: a
//! large answer, fully written, is lost. The close therefore sends FIN, then reads and discards
//! what the client still sends until it closes its side (or [`LINGER`] passes), as web servers
//! do, so every written byte reaches the client.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tonic::transport::server::Connected;

use super::budget::MemoryBudget;

/// The longest a closing connection waits for the client to close its side.
pub const LINGER: Duration = Duration::from_secs(1);

/// The client connection preface every HTTP/2 connection starts with (RFC 9113, 3.4).
const PREFACE_LEN: u64 = 24;

/// How often a connection's limits are checked.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The first and the longest pause of the accept loop after an error (descriptors exhausted).
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Time limits and bounds on each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The client must have sent the HTTP/2 preface within this long of the accept (an HTTP/1.1
    /// client each request's head within this long of its first byte).
    pub handshake_timeout: Duration,
    /// A connection with no call open for this long is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// A connection with answers pending that writes nothing for this long (its client stopped
    /// reading) is closed, and its calls with it.
    pub stall_timeout: Duration,
    /// Past this many answer bytes made and not yet written, the connection's new calls are
    /// refused until it catches up.
    pub max_pending_answer_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(300)),
            stall_timeout: Duration::from_secs(30),
            max_pending_answer_bytes: 16 << 20,
        }
    }
}

/// What the server's layers know of one connection, shared through the request's
/// [`ConnectionInfo`].
#[derive(Debug)]
pub struct ConnectionState {
    budget: MemoryBudget,
    limits: ConnectionLimits,
    born: Instant,
    /// Answer bytes made and not yet written.
    pending: AtomicUsize,
    /// Calls open on the connection.
    open_calls: AtomicUsize,
    /// Milliseconds after `born` of the last write, or of answers becoming pending.
    last_write_ms: AtomicU64,
    /// Milliseconds after `born` when the last call ended.
    last_call_ms: AtomicU64,
    /// Milliseconds after `born` when bytes of an HTTP/1.1 request began to arrive with no
    /// call open and no request taken since ([`NO_REQUEST_PENDING`]: none).
    head_since_ms: AtomicU64,
}

/// `head_since_ms` when no HTTP/1.1 request head is arriving.
const NO_REQUEST_PENDING: u64 = u64::MAX;

impl ConnectionState {
    fn new(budget: MemoryBudget, limits: ConnectionLimits) -> Self {
        Self {
            budget,
            limits,
            born: Instant::now(),
            pending: AtomicUsize::new(0),
            open_calls: AtomicUsize::new(0),
            last_write_ms: AtomicU64::new(0),
            last_call_ms: AtomicU64::new(0),
            head_since_ms: AtomicU64::new(NO_REQUEST_PENDING),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn since(&self, ms: &AtomicU64) -> Duration {
        Duration::from_millis(self.now_ms().saturating_sub(ms.load(Ordering::Relaxed)))
    }

    /// `n` bytes of answer were made for this connection; they count until written.
    pub fn answer_made(&self, n: usize) {
        if self.pending.fetch_add(n, Ordering::Relaxed) == 0 {
            self.last_write_ms.store(self.now_ms(), Ordering::Relaxed);
        }
        self.budget.hold(n);
    }

    /// `n` bytes were written to the socket: as many pending answer bytes are done.
    fn written(&self, n: usize) {
        let before = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(n))
            })
            .unwrap_or(0);
        self.budget.release(before.min(n));
        self.last_write_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Answer bytes made and not yet written.
    pub fn pending_answer_bytes(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// The most answer bytes the connection may leave unread.
    pub fn max_pending_answer_bytes(&self) -> usize {
        self.limits.max_pending_answer_bytes
    }

    /// Whether the connection's client is so far behind that its new calls are refused.
    pub fn saturated(&self) -> bool {
        self.pending_answer_bytes() > self.limits.max_pending_answer_bytes
    }

    /// A request's head has arrived in full (the guard has it): the connection is no longer
    /// waiting for one.
    pub fn request_arrived(&self) {
        self.head_since_ms
            .store(NO_REQUEST_PENDING, Ordering::Relaxed);
    }

    /// HTTP/1.1 bytes arrived: with no call open they begin a request, whose head must arrive
    /// within the handshake timeout.
    fn http1_bytes_read(&self) {
        if self.open_calls.load(Ordering::Relaxed) == 0 {
            let _ = self.head_since_ms.compare_exchange(
                NO_REQUEST_PENDING,
                self.now_ms(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// Counts a call as open on the connection until the guard is dropped.
    pub fn call_opened(self: &Arc<Self>) -> OpenCall {
        self.open_calls.fetch_add(1, Ordering::Relaxed);
        OpenCall(Arc::clone(self))
    }

    /// Why the connection must close now, if it must.
    fn expired(&self, preface_read: bool) -> Option<&'static str> {
        if !preface_read && self.born.elapsed() >= self.limits.handshake_timeout {
            return Some("no HTTP/2 preface within the handshake timeout");
        }
        let head = self.head_since_ms.load(Ordering::Relaxed);
        if head != NO_REQUEST_PENDING
            && Duration::from_millis(self.now_ms().saturating_sub(head))
                >= self.limits.handshake_timeout
        {
            return Some("an HTTP/1.1 request's head did not arrive within the handshake timeout");
        }
        if self.pending_answer_bytes() > 0
            && self.since(&self.last_write_ms) >= self.limits.stall_timeout
        {
            return Some("answers pending and nothing written within the stall timeout");
        }
        if let Some(idle) = self.limits.idle_timeout
            && self.open_calls.load(Ordering::Relaxed) == 0
            && self.since(&self.last_call_ms) >= idle
        {
            return Some("no call open within the idle timeout");
        }
        None
    }
}

/// Keeps a call counted as open on its connection while it lives.
#[derive(Debug)]
pub struct OpenCall(Arc<ConnectionState>);

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0
            .last_call_ms
            .store(self.0.now_ms(), Ordering::Relaxed);
        self.0.open_calls.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a request knows of its connection (in its extensions, also over TLS).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The client's address.
    pub remote: Option<SocketAddr>,
    /// The connection's shared state.
    pub state: Arc<ConnectionState>,
}

/// Told of each failed accept (descriptors exhausted, say) by [`incoming`].
pub type AcceptErrors = Arc<dyn Fn(&io::Error) + Send + Sync>;

/// The connections accepted on `listener`, with `TCP_NODELAY` set, watched within `limits`,
/// and their pending answers counted in `budget`. A failed accept is reported to `errors`
/// (logged at most once a second) and the loop pauses, doubling from 5 ms to 1 s while
/// accepts keep failing, instead of spinning; it resumes as soon as an accept succeeds.
pub fn incoming(
    listener: TcpListener,
    limits: ConnectionLimits,
    budget: MemoryBudget,
    errors: AcceptErrors,
) -> impl Stream<Item = io::Result<ServerConnection>> + Send + 'static {
    let state = (listener, ACCEPT_BACKOFF.0, None::<Instant>);
    futures_util::stream::unfold(state, move |(listener, mut backoff, mut warned)| {
        let (budget, errors) = (budget.clone(), Arc::clone(&errors));
        async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        // Small answers go out at once instead of waiting for the delayed ACK.
                        if stream.set_nodelay(true).is_err() {
                            continue;
                        }
                        let connection = ServerConnection::new(stream, limits, budget);
                        return Some((Ok(connection), (listener, ACCEPT_BACKOFF.0, warned)));
                    }
                    Err(error) => {
                        errors(&error);
                        if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                            tracing::warn!(%error, pause_ms = backoff.as_millis(), "accept failed; pausing");
                            warned = Some(Instant::now());
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    }
                }
            }
        }
    })
}

/// An accepted connection (see the module documentation).
#[derive(Debug)]
pub struct ServerConnection {
    stream: TcpStream,
    state: Arc<ConnectionState>,
    /// Bytes read so far, up to the preface's length.
    read: u64,
    /// Whether the client speaks HTTP/1.1 in plain text (its first bytes are not the HTTP/2
    /// preface's, nor a TLS record's); `None` before the first byte.
    http1: Option<bool>,
    watch: Pin<Box<Sleep>>,
    closing: Closing,
}

#[derive(Debug)]
enum Closing {
    Open,
    /// FIN sent; discarding what arrives until the peer's FIN or the deadline.
    Lingering(Pin<Box<Sleep>>),
    Closed,
}

impl ServerConnection {
    fn new(stream: TcpStream, limits: ConnectionLimits, budget: MemoryBudget) -> Self {
        Self {
            stream,
            state: Arc::new(ConnectionState::new(budget, limits)),
            read: 0,
            http1: None,
            watch: Box::pin(tokio::time::sleep(
                WATCH_EVERY.min(limits.handshake_timeout),
            )),
            closing: Closing::Open,
        }
    }

    /// Checks the limits when the watch timer fires (and arms it again); an error closes the
    /// connection.
    fn watch(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if !matches!(self.closing, Closing::Open) {
            return Ok(());
        }
        while self.watch.as_mut().poll(cx).is_ready() {
            if let Some(why) = self.state.expired(self.read >= PREFACE_LEN) {
                tracing::info!(
                    remote = ?self.stream.peer_addr().ok(),
                    pending_answer_bytes = self.state.pending_answer_bytes(),
                    "closing a connection: {why}"
                );
                return Err(io::Error::new(io::ErrorKind::TimedOut, why));
            }
            let next = tokio::time::Instant::now() + WATCH_EVERY;
            self.watch.as_mut().reset(next);
        }
        Ok(())
    }
}

impl Drop for ServerConnection {
    fn drop(&mut self) {
        // Answers never written are not held any more.
        let pending = self.state.pending.swap(0, Ordering::Relaxed);
        self.state.budget.release(pending);
    }
}

impl AsyncRead for ServerConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.watch(cx)?;
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
        let filled = &buf.filled()[before..];
        if self.http1.is_none()
            && let Some(&first) = filled.first()
        {
            // "PRI * HTTP/2.0" starts HTTP/2; 0x16 a TLS handshake (its requests are not seen
            // here, and hyper's own 30-second header timeout holds them).
            self.http1 = Some(first != b'P' && first != 0x16);
        }
        let n = filled.len() as u64;
        if n > 0 && self.http1 == Some(true) {
            self.state.http1_bytes_read();
        }
        self.read = (self.read + n).min(PREFACE_LEN);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ServerConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.watch(cx)?;
        let n = ready!(Pin::new(&mut self.stream).poll_write(cx, buf))?;
        self.state.written(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.closing {
                Closing::Open => {
                    ready!(Pin::new(&mut self.stream).poll_shutdown(cx))?;
                    self.closing = Closing::Lingering(Box::pin(tokio::time::sleep(LINGER)));
                }
                Closing::Lingering(deadline) => {
                    if deadline.as_mut().poll(cx).is_ready() {
                        self.closing = Closing::Closed;
                        continue;
                    }
                    let mut scratch = [0u8; 4096];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match ready!(Pin::new(&mut self.stream).poll_read(cx, &mut buf)) {
                        // More flow-control updates or pings: discard and keep reading.
                        Ok(()) if !buf.filled().is_empty() => {}
                        // The peer closed its side (or the connection broke): done.
                        Ok(()) | Err(_) => self.closing = Closing::Closed,
                    }
                }
                Closing::Closed => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl Connected for ServerConnection {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        ConnectionInfo {
            remote: self.stream.peer_addr().ok(),
            state: Arc::clone(&self.state),
        }
    }
}
