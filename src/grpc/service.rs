//! The `TextAnalysis` handlers: validate, run the core on the pool, convert back.

use std::time::Instant;

use tonic::{Request, Response, Status};

use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use futures_util::{Stream, StreamExt};
use tonic::Streaming;

use super::convert::document_error;
use super::pb::{self, text_analysis_server::TextAnalysis};
use super::pool::{WorkPool, WorkSize};
use super::validate::{Job, Shaped, TextRequest, Validated};
use super::wire;
use crate::core::{Analyzer, Deadline, Profiles};
use crate::edge::{
    ApiError, Arrived, Call, FieldViolation, Limits, MAX_BATCH, Protocol, client_deadline,
    client_fault,
};
use crate::metrics::Metrics;

/// The `textanalysis.v1.TextAnalysis` service.
#[derive(Debug, Clone)]
pub struct TextAnalysisService {
    /// The dictionary profiles a request chooses among.
    profiles: Arc<Profiles>,
    pool: WorkPool,
    limits: Limits,
    metrics: Arc<Metrics>,
}

impl TextAnalysisService {
    /// A service analysing with the analyzers `profiles` serve, its work on `pool`, within
    /// `limits`, counting calls in `metrics`.
    pub fn new(
        profiles: Arc<Profiles>,
        pool: WorkPool,
        limits: Limits,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            profiles,
            pool,
            limits,
            metrics,
        }
    }

    /// The life of every call (admitted by `track`): validate, analyse on the pool, convert,
    /// and log one line (method, status, latency, text length; never the text).
    async fn handle<Req, Opts, Resp>(
        &self,
        method: &'static str,
        request: Request<Req>,
        validate: fn(Req, &Limits) -> Validated<Opts>,
        analyse: fn(&Analyzer, &Job<Opts>, Deadline) -> Result<Resp, ApiError>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: TextRequest,
        Opts: Send + 'static,
        Resp: Send + 'static,
    {
        let started = Arrived::of(request.extensions());
        let protocol = Call::in_extensions(request.extensions()).protocol;
        let deadline = self.limits.deadline(request.metadata(), started);
        let text_chars = request.get_ref().text().chars().count();
        let result = async {
            // Past already (a body slow to arrive): say so now, not through a timer that might
            // fire after the transport's.
            deadline.check().map_err(|_| ApiError::DeadlineExceeded)?;
            let job = validate(request.into_inner(), &self.limits)?;
            let analyzer = analyzer_of(&self.profiles, &job.profile)?;
            let work = self.pool.run_on(
                analyzer,
                WorkSize::text(text_chars),
                deadline,
                move |analyzer| analyse(analyzer, &job, deadline),
            );
            // Answer when the deadline passes, not when the work notices it at its next check.
            match deadline.instant() {
                Some(at) => tokio::time::timeout_at(at.into(), work)
                    .await
                    .unwrap_or(Err(ApiError::DeadlineExceeded)),
                None => work.await,
            }
        }
        .await;
        let status = result.map(Response::new).map_err(Status::from);
        log_call(
            &self.metrics,
            (method, protocol),
            status.as_ref().err(),
            started,
            text_chars,
            1,
        );
        status
    }
}

/// The analyzer the profile called `profile` (the default when empty) serves now.
fn analyzer_of(profiles: &Profiles, profile: &str) -> Result<Arc<Analyzer>, ApiError> {
    Ok(profiles.get(profile)?.current())
}

/// One log line per call (method, door, status, latency, text length, documents; never the
/// text), and the same in the metrics.
fn log_call(
    metrics: &Metrics,
    (method, protocol): (&str, Protocol),
    error: Option<&Status>,
    started: Instant,
    text_chars: usize,
    documents: usize,
) {
    let code = error.map_or(tonic::Code::Ok, Status::code);
    let latency = started.elapsed();
    metrics.record_call(
        method,
        protocol.as_str(),
        &format!("{code:?}"),
        latency,
        text_chars,
    );
    // Microsecond precision: the float's last digits are noise in a log line.
    let latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3;
    let protocol = protocol.as_str();
    if matches!(code, tonic::Code::Internal) {
        tracing::error!(
            method,
            protocol,
            ?code,
            latency_ms,
            text_chars,
            documents,
            "call failed"
        );
    } else {
        tracing::info!(
            method,
            protocol,
            ?code,
            latency_ms,
            text_chars,
            documents,
            "call"
        );
    }
}

/// Analyses one document of a batch or stream with the analyzer of the profile it names (or
/// why there is none); its failure is carried in its response.
fn analyze_document(
    analyzer: Result<&Analyzer, ApiError>,
    limits: &Limits,
    request: pb::AnalyzeRequest,
    deadline: Deadline,
) -> pb::AnalyzeResponse {
    let id = request.id.clone();
    let result = request
        .validate(limits)
        .map_err(ApiError::from)
        .and_then(|job| {
            let Shaped { options, answer } = &job.options;
            analyzer?
                .analyze(&job.normalized(), options, deadline)
                .map(|analysis| pb::AnalyzeResponse::shaped(analysis, *answer))
                .map_err(ApiError::from)
        });
    let mut response = result.unwrap_or_else(|e| pb::AnalyzeResponse {
        error: Some(document_error(e)),
        ..Default::default()
    });
    response.id = id;
    response
}

/// Logs a stream's one line when the stream ends (or is dropped), with what it carried.
struct StreamLog {
    metrics: Arc<Metrics>,
    protocol: Protocol,
    started: Instant,
    documents: usize,
    text_chars: usize,
    error: Option<Status>,
}

impl Drop for StreamLog {
    fn drop(&mut self) {
        log_call(
            &self.metrics,
            ("AnalyzeStream", self.protocol),
            self.error.as_ref(),
            self.started,
            self.text_chars,
            self.documents,
        );
    }
}

#[tonic::async_trait]
impl TextAnalysis for TextAnalysisService {
    async fn segment(
        &self,
        request: Request<pb::SegmentRequest>,
    ) -> Result<Response<wire::SegmentResponse>, Status> {
        self.handle(
            "Segment",
            request,
            pb::SegmentRequest::validate,
            |a, job, deadline| {
                let mut response =
                    wire::SegmentResponse::for_text(job.text.len(), job.options.answer);
                let text = job.normalized();
                a.segment_each(&text, &job.options.options, deadline, |tokens| {
                    response.extend(&tokens)
                })?;
                Ok(response)
            },
        )
        .await
    }

    async fn extract_keywords(
        &self,
        request: Request<pb::ExtractKeywordsRequest>,
    ) -> Result<Response<pb::ExtractKeywordsResponse>, Status> {
        self.handle(
            "ExtractKeywords",
            request,
            pb::ExtractKeywordsRequest::validate,
            |a, job, deadline| {
                Ok(a.keywords(&job.normalized(), &job.options, deadline)?
                    .into())
            },
        )
        .await
    }

    async fn analyze(
        &self,
        request: Request<pb::AnalyzeRequest>,
    ) -> Result<Response<pb::AnalyzeResponse>, Status> {
        self.handle(
            "Analyze",
            request,
            pb::AnalyzeRequest::validate,
            |a, job, deadline| {
                let text = job.normalized();
                let analysis = a.analyze(&text, &job.options.options, deadline)?;
                let mut response = pb::AnalyzeResponse::shaped(analysis, job.options.answer);
                response.id.clone_from(&job.id);
                Ok(response)
            },
        )
        .await
    }

    async fn analyze_batch(
        &self,
        request: Request<pb::AnalyzeBatchRequest>,
    ) -> Result<Response<pb::AnalyzeBatchResponse>, Status> {
        let started = Arrived::of(request.extensions());
        let protocol = Call::in_extensions(request.extensions()).protocol;
        let deadline = self.limits.deadline(request.metadata(), started);
        let documents = request.into_inner().documents;
        let (count, text_chars) = (
            documents.len(),
            documents.iter().map(|d| d.text.chars().count()).sum(),
        );
        let result = async {
            if count > MAX_BATCH {
                return Err(ApiError::InvalidArgument(vec![FieldViolation::new(
                    "documents",
                    format!("has {count} documents; at most {MAX_BATCH} are accepted a call"),
                )]));
            }
            // One share of the documents per worker, so a batch spreads over every core; all
            // on one analyzer per profile, so a reload meanwhile cannot split a batch between
            // dictionaries.
            let analyzers = Arc::new(self.profiles.current());
            let share = count.div_ceil(self.pool.workers()).max(1);
            let mut shares = Vec::new();
            let mut documents = documents.into_iter().peekable();
            while documents.peek().is_some() {
                let part: Vec<pb::AnalyzeRequest> = documents.by_ref().take(share).collect();
                let limits = self.limits;
                let size = WorkSize::documents(part.iter().map(|d| d.text.chars().count()));
                shares.push(self.pool.run_on(
                    Arc::clone(&analyzers),
                    size,
                    deadline,
                    move |analyzers| {
                        Ok(part
                            .into_iter()
                            .map(|d| {
                                let analyzer = analyzers.get(&d.profile);
                                analyze_document(
                                    analyzer.as_deref().map_err(|e| ApiError::from(e.clone())),
                                    &limits,
                                    d,
                                    deadline,
                                )
                            })
                            .collect::<Vec<_>>())
                    },
                ));
            }
            let mut results = Vec::with_capacity(count);
            for share in join_all(shares).await {
                results.extend(share?);
            }
            Ok(pb::AnalyzeBatchResponse { results })
        }
        .await;
        let status = result.map(Response::new).map_err(Status::from);
        log_call(
            &self.metrics,
            ("AnalyzeBatch", protocol),
            status.as_ref().err(),
            started,
            text_chars,
            count,
        );
        status
    }

    type AnalyzeStreamStream =
        Pin<Box<dyn Stream<Item = Result<pb::AnalyzeResponse, Status>> + Send + 'static>>;

    async fn analyze_stream(
        &self,
        request: Request<Streaming<pb::AnalyzeRequest>>,
    ) -> Result<Response<Self::AnalyzeStreamStream>, Status> {
        let (pool, limits) = (self.pool.clone(), self.limits);
        let profiles = Arc::clone(&self.profiles);
        let started = Arrived::of(request.extensions());
        let protocol = Call::in_extensions(request.extensions()).protocol;
        // The client's deadline bounds the whole stream; the server's default bounds each
        // document, so that a long-lived stream is not cut off.
        let stream_deadline = client_deadline(request.metadata(), started);
        let log = Arc::new(Mutex::new(StreamLog {
            protocol,
            metrics: Arc::clone(&self.metrics),
            started,
            documents: 0,
            text_chars: 0,
            error: None,
        }));
        let in_flight = pool.workers();
        // Up to one document per worker is analysed at once, answers leave in request order,
        // and nothing more is read while the client is not reading answers (h2 flow control).
        let responses = request
            .into_inner()
            .map(move |message| {
                let (pool, log) = (pool.clone(), Arc::clone(&log));
                let profiles = Arc::clone(&profiles);
                async move {
                    let request = match message {
                        Ok(request) => request,
                        Err(status) => {
                            let status = client_fault(status);
                            if let Ok(mut log) = log.lock() {
                                log.error = Some(status.clone());
                            }
                            return Err(status);
                        }
                    };
                    let chars = request.text.chars().count();
                    if let Ok(mut log) = log.lock() {
                        log.documents += 1;
                        log.text_chars += chars;
                    }
                    let deadline =
                        stream_deadline.earliest(limits.default_deadline(Instant::now()));
                    let response = match analyzer_of(&profiles, &request.profile) {
                        Ok(analyzer) => pool
                            .run_on(analyzer, WorkSize::text(chars), deadline, move |analyzer| {
                                Ok(analyze_document(Ok(analyzer), &limits, request, deadline))
                            })
                            .await
                            .map_err(Status::from),
                        Err(unknown) => {
                            Ok(analyze_document(Err(unknown), &limits, request, deadline))
                        }
                    };
                    if let (Err(status), Ok(mut log)) = (&response, log.lock()) {
                        log.error = Some(status.clone());
                    }
                    response
                }
            })
            .buffered(in_flight);
        Ok(Response::new(Box::pin(responses)))
    }

    async fn classify(
        &self,
        request: Request<pb::ClassifyRequest>,
    ) -> Result<Response<pb::ClassifyResponse>, Status> {
        self.handle(
            "Classify",
            request,
            pb::ClassifyRequest::validate,
            |a, job, deadline| {
                Ok(a.classify(&job.normalized(), &job.options, deadline)?
                    .into())
            },
        )
        .await
    }

    async fn list_models(
        &self,
        request: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let started = Instant::now();
        let protocol = Call::in_extensions(request.extensions()).protocol;
        let profiles: Vec<pb::DictionaryInfo> = self
            .profiles
            .all()
            .into_iter()
            .map(|(name, live)| pb::DictionaryInfo::new(&name, live.current().identity()))
            .collect();
        let analyzer = self.profiles.default_profile().current();
        let models = analyzer.models();
        let default = models.default_name();
        let response = pb::ListModelsResponse {
            models: models
                .iter()
                .map(|m| pb::ModelInfo::new(m, Some(m.name.as_str()) == default))
                .collect(),
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
            dictionary: profiles.first().cloned(),
            profiles,
            segmenter: Some(pb::SegmenterInfo::new(analyzer.segmenter())),
        };
        log_call(&self.metrics, ("ListModels", protocol), None, started, 0, 0);
        Ok(Response::new(response))
    }
}
