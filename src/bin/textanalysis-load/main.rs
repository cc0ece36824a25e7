//! `textanalysis-load`: a load generator for a running textanalysis server (or anything serving
//! `textanalysis.v1.TextAnalysis/Segment`). It counts a call as good only when it ends with gRPC
//! status OK, and reports requests/s, MB/s of text and latency percentiles.
//!
//! Closed loop by default (`--concurrency` calls always outstanding); with `--rate`, calls start
//! on a fixed schedule and latency counts from the scheduled start, so a stalled server cannot
//! hide its queueing (no coordinated omission).
//!
//! With `--service-config` it follows a gRPC service config as gRPC's own clients do: it
//! retries calls per the method's `retryPolicy` (a call counts once, by its last attempt's
//! status; retries are reported apart) and balances `round_robin` over every address the
//! server's name resolves to at start.
//!
//! With `--in-process` it calls no server: `--concurrency` threads share one `jieba_rs::Jieba`
//! and segment the same texts the way `Segment` does by default (precise, HMM on), which is the
//! ceiling a server can approach: with `tokenize`, which makes offsets as the full answer
//! carries them, or with `cut` for `--answer words` and `--answer boundaries`.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use jieba_rs::TokenizeMode;
use prost::bytes::Buf;
use textanalysis::grpc::pb::{
    AnalyzeRequest, ClassifyOptions, ClassifyRequest, ExtractKeywordsRequest, KeywordOptions,
    SegmentAnswer, SegmentMode, SegmentOptions, SegmentRequest,
};
use tokio::sync::{Mutex, mpsc};
use tonic::client::Grpc;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic_prost::ProstEncoder;

mod service_config;

use service_config::{Retry, ServiceConfig};

#[derive(Debug, Parser)]
#[command(version, about = "Load generator for the textanalysis gRPC service")]
struct Args {
    /// The server, as a URI.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// The call to make.
    #[arg(long, value_enum, default_value_t = Rpc::Segment)]
    rpc: Rpc,
    /// Texts to send, one a line (cycled through); without it, one short sentence.
    #[arg(long)]
    texts: Option<PathBuf>,
    /// Send the whole `--texts` file as one text instead of a text a line.
    #[arg(long, requires = "texts")]
    whole: bool,
    /// Calls outstanding at once (closed loop), or at most (with `--rate`).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// HTTP/2 connections to spread the calls over.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// How long to send calls, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Calls started per second on a fixed schedule (open loop); closed loop when absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of calls made first and left out of the figures.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Each call's deadline, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Segment in this process with jieba-rs on `--concurrency` threads instead of calling a
    /// server (only with `--rpc segment`, closed loop).
    #[arg(long, conflicts_with = "rate")]
    in_process: bool,
    /// What `Segment` answers (`--rpc segment`): every token, or only the words, or only the
    /// ends of the words.
    #[arg(long, value_enum, default_value_t = Answer::Tokens)]
    answer: Answer,
    /// A gRPC service config (JSON, e.g. examples/service-config.json): its retry policy and
    /// `round_robin` are followed.
    #[arg(long, conflicts_with = "in_process")]
    service_config: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Rpc {
    /// Segment (precise mode, HMM on).
    Segment,
    /// Segment with part-of-speech tags.
    Pos,
    /// Segment in mode ACCURATE (the trained segmenter).
    Accurate,
    /// Segment in mode ACCURATE with part-of-speech tags.
    AccuratePos,
    /// ExtractKeywords (TF-IDF, top 20).
    Keywords,
    /// Classify with the default model.
    Classify,
    /// Analyze: segment, keywords and classification in one call.
    Analyze,
}

/// The shape of `Segment`'s answer (`SegmentAnswer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Answer {
    /// Tokens with offsets.
    Tokens,
    /// The words alone.
    Words,
    /// The ends of the words alone.
    Boundaries,
}

impl Rpc {
    /// The method's path.
    fn path(self) -> &'static str {
        match self {
            Rpc::Segment | Rpc::Pos | Rpc::Accurate | Rpc::AccuratePos => {
                "/textanalysis.v1.TextAnalysis/Segment"
            }
            Rpc::Keywords => "/textanalysis.v1.TextAnalysis/ExtractKeywords",
            Rpc::Classify => "/textanalysis.v1.TextAnalysis/Classify",
            Rpc::Analyze => "/textanalysis.v1.TextAnalysis/Analyze",
        }
    }
}

/// What the calls in the measured window did.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    codes: BTreeMap<String, u64>,
    text_bytes: u64,
    /// Attempts made again after a retryable status (`--service-config`).
    retries: u64,
}

impl Tally {
    /// Counts one call that started at `started` and has just ended with `code`.
    fn record(&mut self, started: Instant, code: tonic::Code, text: &str) {
        self.latencies_us.push(started.elapsed().as_micros() as u64);
        *self.codes.entry(format!("{code:?}")).or_default() += 1;
        if code == tonic::Code::Ok {
            self.text_bytes += text.len() as u64;
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        for (code, n) in other.codes {
            *self.codes.entry(code).or_default() += n;
        }
        self.text_bytes += other.text_bytes;
        self.retries += other.retries;
    }
}

/// Sends requests as protobuf and drops the answers' bytes unread, as h2load would: whether a
/// call succeeded comes from its gRPC status, and the client's own cost stays small next to
/// the server's even for large answers.
struct DiscardAnswers<M>(PhantomData<M>);

impl<M: prost::Message + Send + 'static> Codec for DiscardAnswers<M> {
    type Encode = M;
    type Decode = ();
    type Encoder = ProstEncoder<M>;
    type Decoder = Discard;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        Discard
    }
}

/// See [`DiscardAnswers`].
struct Discard;

impl Decoder for Discard {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

async fn unary<M: prost::Message + Send + 'static>(
    grpc: &mut Grpc<Channel>,
    method: &'static str,
    message: M,
) -> Result<(), tonic::Status> {
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(message),
        PathAndQuery::from_static(method),
        DiscardAnswers(PhantomData),
    )
    .await
    .map(drop)
}

async fn call(grpc: &mut Grpc<Channel>, plan: &Plan, text: &str) -> tonic::Code {
    let text = text.to_owned();
    let rpc = plan.rpc;
    let result = match rpc {
        Rpc::Segment | Rpc::Pos | Rpc::Accurate | Rpc::AccuratePos => {
            let answer = match plan.answer {
                Answer::Tokens => SegmentAnswer::Tokens,
                Answer::Words => SegmentAnswer::Words,
                Answer::Boundaries => SegmentAnswer::Boundaries,
            };
            let request = SegmentRequest {
                text,
                with_pos: matches!(rpc, Rpc::Pos | Rpc::AccuratePos),
                mode: if matches!(rpc, Rpc::Accurate | Rpc::AccuratePos) {
                    SegmentMode::Accurate as i32
                } else {
                    SegmentMode::Precise as i32
                },
                answer: answer as i32,
                ..Default::default()
            };
            unary(grpc, rpc.path(), request).await
        }
        Rpc::Keywords => {
            let request = ExtractKeywordsRequest {
                text,
                top_k: 20,
                ..Default::default()
            };
            unary(grpc, rpc.path(), request).await
        }
        Rpc::Classify => {
            let request = ClassifyRequest {
                text,
                ..Default::default()
            };
            unary(grpc, rpc.path(), request).await
        }
        Rpc::Analyze => {
            let request = AnalyzeRequest {
                text,
                segment: Some(SegmentOptions::default()),
                keywords: Some(KeywordOptions::default()),
                classify: Some(ClassifyOptions::default()),
                ..Default::default()
            };
            unary(grpc, rpc.path(), request).await
        }
    };
    match result {
        Ok(()) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

fn load_texts(args: &Args) -> anyhow::Result<Vec<String>> {
    let Some(path) = &args.texts else {
        return Ok(vec![
            "这家店的菜很好吃，服务也周到，下次还会再来。价格略贵，但环境安静，适合朋友聚会。"
                .into(),
        ]);
    };
    let content = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let texts: Vec<String> = if args.whole {
        vec![content]
    } else {
        content
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    anyhow::ensure!(!texts.is_empty(), "{} holds no text", path.display());
    Ok(texts)
}

struct Plan {
    rpc: Rpc,
    texts: Vec<String>,
    measure_from: Instant,
    end: Instant,
    /// With `--rate`: the scheduled starts, handed out by [`pace`] to whichever worker is free.
    slots: Option<Mutex<mpsc::UnboundedReceiver<Instant>>>,
    /// How failed calls are retried (`--service-config`).
    retry: Option<Retry>,
    /// What `Segment` answers.
    answer: Answer,
}

impl Plan {
    /// When the next call's time starts (its scheduled start with `--rate`, else now), or `None`
    /// when the run is over.
    async fn next_start(&self) -> Option<Instant> {
        match &self.slots {
            None => {
                let now = Instant::now();
                (now < self.end).then_some(now)
            }
            Some(slots) => slots.lock().await.recv().await,
        }
    }
}

/// Hands out a start every `interval` from `start` until `end`. tokio's timer wakes up to a
/// millisecond late, which would send calls in bursts; so it sleeps until just before each
/// start and yields until the start itself. A start nobody is free to take waits in the
/// channel, and its call's latency counts from the start (no coordinated omission).
async fn pace(
    start: Instant,
    end: Instant,
    interval: Duration,
    slots: mpsc::UnboundedSender<Instant>,
) {
    for n in 0u64.. {
        let at = start + interval.mul_f64(n as f64);
        if at >= end {
            break;
        }
        if let Some(early) = at.checked_sub(Duration::from_millis(2)) {
            tokio::time::sleep_until(early.into()).await;
        }
        while Instant::now() < at {
            tokio::task::yield_now().await;
        }
        if slots.send(at).is_err() {
            break;
        }
    }
}

async fn worker(mut client: Grpc<Channel>, plan: Arc<Plan>, offset: usize) -> Tally {
    let mut tally = Tally::default();
    let mut i = offset;
    while let Some(scheduled) = plan.next_start().await {
        let text = &plan.texts[i % plan.texts.len()];
        i += 1;
        let mut attempt = 1;
        let code = loop {
            let code = call(&mut client, &plan, text).await;
            match &plan.retry {
                Some(retry) if retry.retries(code) && attempt < retry.max_attempts => {
                    attempt += 1;
                    tokio::time::sleep(retry.backoff(attempt)).await;
                }
                _ => break code,
            }
        };
        if scheduled >= plan.measure_from {
            tally.record(scheduled, code, text);
            tally.retries += u64::from(attempt - 1);
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    anyhow::ensure!(args.duration > 0.0, "--duration must be positive");
    let texts = load_texts(&args)?;
    let service_config = match &args.service_config {
        Some(path) => Some(ServiceConfig::load(path)?),
        None => None,
    };

    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);
    let slots = args.rate.map(|rate| {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(pace(start, end, Duration::from_secs_f64(1.0 / rate), tx));
        Mutex::new(rx)
    });
    let plan = Arc::new(Plan {
        rpc: args.rpc,
        texts,
        measure_from,
        end,
        slots,
        retry: service_config
            .as_ref()
            .and_then(|config| config.retry(args.rpc.path())),
        answer: args.answer,
    });
    let mut tally = if args.in_process {
        anyhow::ensure!(
            matches!(args.rpc, Rpc::Segment),
            "--in-process measures only --rpc segment"
        );
        let (plan, threads) = (Arc::clone(&plan), args.concurrency);
        tokio::task::spawn_blocking(move || in_process(&plan, threads)).await?
    } else {
        let round_robin = service_config
            .as_ref()
            .is_some_and(ServiceConfig::round_robin);
        over_grpc(&args, &plan, round_robin).await?
    };
    let secs = measure_from.elapsed().as_secs_f64().max(args.duration);
    report(&args, &mut tally, secs);
    Ok(())
}

/// A channel to `--addr`; with `round_robin`, balanced over every address its name resolves
/// to now.
async fn channel(args: &Args, round_robin: bool) -> anyhow::Result<Channel> {
    let endpoint =
        Endpoint::from_shared(args.addr.clone())?.timeout(Duration::from_millis(args.timeout_ms));
    if !round_robin {
        return endpoint
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", args.addr));
    }
    let uri = endpoint.uri();
    let host = uri.host().unwrap_or("127.0.0.1").trim_matches(['[', ']']);
    let port = uri.port_u16().unwrap_or(80);
    let scheme = uri.scheme_str().unwrap_or("http");
    let endpoints: Vec<Endpoint> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot resolve {host}: {e}"))?
        .map(|addr| {
            Endpoint::from_shared(format!("{scheme}://{addr}"))
                .map(|e| e.timeout(Duration::from_millis(args.timeout_ms)))
        })
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(!endpoints.is_empty(), "{host} resolves to no address");
    Ok(Channel::balance_list(endpoints.into_iter()))
}

/// Runs the plan against the server: `--concurrency` workers over `--connections` channels.
async fn over_grpc(args: &Args, plan: &Arc<Plan>, round_robin: bool) -> anyhow::Result<Tally> {
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let channel = channel(args, round_robin).await?;
        clients.push(
            Grpc::new(channel)
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
        );
    }

    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            let client = clients[w % clients.len()].clone();
            tokio::spawn(worker(client, Arc::clone(plan), w * 7919))
        })
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await?);
    }
    Ok(tally)
}

/// Runs the plan in this process: `threads` threads segmenting with one shared jieba-rs.
fn in_process(plan: &Arc<Plan>, threads: usize) -> Tally {
    let jieba = Arc::new(textanalysis::core::builtin_jieba());
    let threads: Vec<_> = (0..threads)
        .map(|t| {
            let (jieba, plan) = (Arc::clone(&jieba), Arc::clone(plan));
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                let mut i = t * 7919;
                loop {
                    let started = Instant::now();
                    if started >= plan.end {
                        break tally;
                    }
                    let text = &plan.texts[i % plan.texts.len()];
                    i += 1;
                    if plan.answer == Answer::Tokens {
                        std::hint::black_box(jieba.tokenize(text, TokenizeMode::Default, true));
                    } else {
                        std::hint::black_box(jieba.cut(text, true));
                    }
                    if started >= plan.measure_from {
                        tally.record(started, tonic::Code::Ok, text);
                    }
                }
            })
        })
        .collect();
    let mut tally = Tally::default();
    for thread in threads {
        tally.merge(thread.join().expect("a segmenting thread panicked"));
    }
    tally
}

fn report(args: &Args, tally: &mut Tally, secs: f64) {
    tally.latencies_us.sort_unstable();
    let calls = tally.latencies_us.len() as u64;
    let ok = tally.codes.get("Ok").copied().unwrap_or(0);
    let failed = calls - ok;
    let p = |q| percentile(&tally.latencies_us, q);
    let rps = ok as f64 / secs;
    let mb_per_s = tally.text_bytes as f64 / secs / 1e6;
    if args.json {
        let codes: serde_json::Map<_, _> = tally
            .codes
            .iter()
            .map(|(c, n)| (c.clone(), serde_json::Value::from(*n)))
            .collect();
        let summary = serde_json::json!({
            "rpc": format!("{:?}", args.rpc).to_lowercase(),
            "answer": format!("{:?}", args.answer).to_lowercase(),
            "concurrency": args.concurrency,
            "rate": args.rate,
            "secs": secs,
            "calls": calls,
            "ok": ok,
            "failed": failed,
            "retries": tally.retries,
            "codes": codes,
            "rps": rps,
            "mb_per_s": mb_per_s,
            "p50_us": p(50.0),
            "p90_us": p(90.0),
            "p99_us": p(99.0),
            "max_us": p(100.0),
        });
        println!("{summary}");
    } else {
        println!(
            "{calls} calls in {secs:.1} s: {ok} OK, {failed} failed {:?}; {} retries",
            tally.codes, tally.retries
        );
        println!("{rps:.0} calls/s, {mb_per_s:.2} MB/s of text");
        println!(
            "latency p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            p(50.0),
            p(90.0),
            p(99.0),
            p(100.0)
        );
    }
}
