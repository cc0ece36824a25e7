//! The TCP connections the server accepts: no Nagle delay, and a lingering close.
//!
//! When a drained HTTP/2 connection has sent its last response, h2 shuts the socket down and
//! drops it. If the client's last flow-control updates arrive after that, Linux answers them
//! with a reset, and the client's kernel throws away response bytes it has not read yet: a
//! large answer, fully written, is lost. [`LingeringClose`] sends FIN, then reads and discards
//! what the client still sends until it closes its side (or [`LINGER`] passes), as web servers
//! do, so every written byte reaches the client.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The longest a closing connection waits for the client to close its side.
pub const LINGER: Duration = Duration::from_secs(1);

/// The connections accepted on `listener`, with `TCP_NODELAY` set and a lingering close.
pub fn incoming(
    listener: TcpListener,
) -> impl Stream<Item = io::Result<LingeringClose>> + Send + 'static {
    TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        // Small answers go out at once instead of waiting for the client's delayed ACK.
        stream.set_nodelay(true)?;
        Ok(LingeringClose {
            stream,
            closing: Closing::Open,
        })
    })
}

/// A TCP stream whose shutdown waits for the peer to finish (see the module documentation).
#[derive(Debug)]
pub struct LingeringClose {
    stream: TcpStream,
    closing: Closing,
}

#[derive(Debug)]
enum Closing {
    Open,
    /// FIN sent; discarding what arrives until the peer's FIN or the deadline.
    Lingering(Pin<Box<Sleep>>),
    Closed,
}

impl AsyncRead for LingeringClose {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringClose {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
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

impl Connected for LingeringClose {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}
