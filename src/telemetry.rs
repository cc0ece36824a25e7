//! Logging through `tracing`, filtered by `RUST_LOG` (default `info`), as text or JSON.
//!
//! Log lines are written to standard error by a thread of their own, in batches: a call only
//! appends its line to a shared buffer, and the log thread, woken by the first line of a batch,
//! writes out what has gathered [`FLUSH_EVERY`] later. A slow log reader never stalls a call
//! (past [`MAX_BUFFERED`] bytes waiting, lines are dropped and counted), and under load the
//! log thread wakes once a batch, not once a line: with a line per call, a queue that woke its
//! writer for each line (tracing-appender's) cost the serving core a thread switch per call,
//! which showed in the tail latency of short calls. An idle server's log thread sleeps.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// How long a line may wait in the buffer before the log thread writes it.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Bytes of log lines that may wait; beyond them, lines are dropped (and counted).
pub const MAX_BUFFERED: usize = 16 << 20;

/// Installs the global subscriber. Keep the returned guard until the process ends: dropping it
/// writes out what is still buffered. Calling it twice is harmless.
pub fn init(format: LogFormat) -> Logs {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = Logs::start(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(logs.writer());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    logs
}

/// What the calls and the log thread share.
#[derive(Debug, Default)]
struct Shared {
    /// Lines waiting to be written, and whether the log thread should write them and stop.
    state: Mutex<State>,
    /// Wakes the log thread: for the first line after it wrote the last batch out, and to stop.
    wake: Condvar,
    /// Lines dropped since the log thread last said so.
    dropped: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    lines: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves at worst a partial line: keep logging.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The log thread; dropping it writes out what is buffered and stops the thread.
#[derive(Debug)]
pub struct Logs {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Logs {
    /// Starts the thread that writes the buffered lines to `out`.
    fn start(out: impl Write + Send + 'static) -> Self {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("textanalysis-logs".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || write_out(&shared, out)
            })
            .ok();
        Self { shared, thread }
    }

    /// The writer the subscriber formats lines into.
    fn writer(&self) -> LogWriter {
        LogWriter(Arc::clone(&self.shared))
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The log thread: sleeps until a line arrives, lets more gather for [`FLUSH_EVERY`] (less
/// when told to stop), and writes them out.
fn write_out(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let stopping = {
            let state = shared
                .wake
                .wait_while(shared.state(), |s| s.lines.is_empty() && !s.stopping)
                .unwrap_or_else(PoisonError::into_inner);
            let (mut state, _) = shared
                .wake
                .wait_timeout_while(state, FLUSH_EVERY, |s| !s.stopping)
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut batch, &mut state.lines);
            state.stopping
        };
        let dropped = shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "textanalysis: {dropped} log lines dropped: standard error was not read fast enough"
            );
        }
        // Nowhere to report a failed write to standard error: the lines are lost.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if stopping {
            return;
        }
    }
}

/// Appends each formatted line to the shared buffer (the subscriber writes a line in one
/// `write`), or drops it when [`MAX_BUFFERED`] bytes are already waiting.
#[derive(Debug, Clone)]
struct LogWriter(Arc<Shared>);

impl Write for LogWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.0.state();
        if state.lines.len() + line.len() > MAX_BUFFERED {
            drop(state);
            self.0.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            let first = state.lines.is_empty();
            state.lines.extend_from_slice(line);
            drop(state);
            if first {
                self.0.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose bytes a test can read.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_in_order_soon_and_all_of_them_at_drop() {
        let sink = Sink::default();
        let logs = Logs::start(sink.clone());
        let mut writer = logs.writer();
        writer.write_all(b"one\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "not written out");
            std::thread::sleep(Duration::from_millis(1));
        }
        writer.write_all(b"two\n").unwrap();
        writer.write_all(b"three\n").unwrap();
        drop(logs);
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"one\ntwo\nthree\n");
    }

    #[test]
    fn lines_beyond_the_bound_are_dropped_and_counted() {
        let shared = Arc::new(Shared::default());
        let mut writer = LogWriter(Arc::clone(&shared));
        let line = vec![b'x'; MAX_BUFFERED / 2];
        for _ in 0..3 {
            assert_eq!(writer.write(&line).unwrap(), line.len());
        }
        assert_eq!(shared.state().lines.len(), MAX_BUFFERED);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 1);

        let sink = Sink::default();
        shared.state().stopping = true;
        write_out(&shared, sink.clone());
        let written = sink.0.lock().unwrap();
        assert!(written.starts_with(b"textanalysis: 1 log lines dropped"));
        assert_eq!(
            written.len() - written.iter().position(|&b| b == b'\n').unwrap() - 1,
            MAX_BUFFERED
        );
    }
}
