//! The `TextAnalysis` handlers: validate, run the core on the pool, convert back.

use std::time::Instant;

use tonic::{Request, Response, Status};

use super::convert::{Job, Limits, Validated};
use super::error::ApiError;
use super::pb::{self, text_analysis_server::TextAnalysis};
use super::pool::WorkPool;
use crate::core::Analyzer;

/// The `textanalysis.v1.TextAnalysis` service.
#[derive(Debug, Clone)]
pub struct TextAnalysisService {
    pool: WorkPool,
    limits: Limits,
}

impl TextAnalysisService {
    /// A service running its analyses on `pool`, within `limits`.
    pub fn new(pool: WorkPool, limits: Limits) -> Self {
        Self { pool, limits }
    }

    /// The life of every call (admitted by `track`): validate, analyse on the pool, convert,
    /// and log one line (method, status, latency, text length; never the text).
    async fn handle<Req, Opts, Resp>(
        &self,
        method: &'static str,
        request: Request<Req>,
        validate: fn(Req, &Limits) -> Validated<Opts>,
        analyse: fn(&Analyzer, &str, &Opts) -> Result<Resp, ApiError>,
    ) -> Result<Response<Resp>, Status>
    where
        Opts: Send + 'static,
        Resp: Send + 'static,
    {
        let started = Instant::now();
        let mut text_chars = 0;
        let result = async {
            let Job { text, options } = validate(request.into_inner(), &self.limits)?;
            text_chars = text.chars().count();
            self.pool
                .run(move |analyzer| analyse(analyzer, &text, &options))
                .await?
        }
        .await;
        let status = result.map(Response::new).map_err(Status::from);
        let code = status.as_ref().err().map_or(tonic::Code::Ok, Status::code);
        let latency_ms = started.elapsed().as_secs_f64() * 1e3;
        if matches!(code, tonic::Code::Internal) {
            tracing::error!(method, ?code, latency_ms, text_chars, "call failed");
        } else {
            tracing::info!(method, ?code, latency_ms, text_chars, "call");
        }
        status
    }
}

#[tonic::async_trait]
impl TextAnalysis for TextAnalysisService {
    async fn segment(
        &self,
        request: Request<pb::SegmentRequest>,
    ) -> Result<Response<pb::SegmentResponse>, Status> {
        self.handle(
            "Segment",
            request,
            pb::SegmentRequest::validate,
            |a, text, options| Ok(a.segment(text, options).into()),
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
            |a, text, options| Ok(a.keywords(text, options).into()),
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
            |a, text, options| Ok(a.analyze(text, options)?.into()),
        )
        .await
    }

    async fn classify(
        &self,
        request: Request<pb::ClassifyRequest>,
    ) -> Result<Response<pb::ClassifyResponse>, Status> {
        self.handle(
            "Classify",
            request,
            pb::ClassifyRequest::validate,
            |a, text, options| Ok(a.classify(text, options)?.into()),
        )
        .await
    }

    async fn list_models(
        &self,
        _request: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let models = self.pool.analyzer().models();
        let default = models.default_name();
        Ok(Response::new(pb::ListModelsResponse {
            models: models
                .iter()
                .map(|m| pb::ModelInfo::new(m, Some(m.name.as_str()) == default))
                .collect(),
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }
}
