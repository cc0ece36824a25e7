//! The `Admin` handlers: reload the dictionaries, add and remove words. Each runs the change on
//! a blocking thread (building an analyzer takes a few hundred milliseconds) and logs one line.

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};

use super::error::ApiError;
use super::pb::{self, admin_server::Admin};
use crate::core::word_edits::WordViolation;
use crate::core::{Analyzer, ChangeError, LiveAnalyzer};
use crate::metrics::Metrics;

/// The `textanalysis.v1.Admin` service.
#[derive(Debug, Clone)]
pub struct AdminService {
    live: Arc<LiveAnalyzer>,
    metrics: Arc<Metrics>,
}

/// A change that took effect: the analyzer now serving, and how long the change took.
struct Changed {
    analyzer: Arc<Analyzer>,
    build_ms: u32,
}

impl AdminService {
    /// Admin calls changing what `live` serves, counted in `metrics`.
    pub fn new(live: Arc<LiveAnalyzer>, metrics: Arc<Metrics>) -> Self {
        Self { live, metrics }
    }

    async fn change(
        &self,
        change: &'static str,
        apply: impl FnOnce(&LiveAnalyzer) -> Result<Arc<Analyzer>, ChangeError> + Send + 'static,
        field: fn(&WordViolation) -> String,
    ) -> Result<Changed, Status> {
        let started = Instant::now();
        let live = Arc::clone(&self.live);
        let result = tokio::task::spawn_blocking(move || apply(&live))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))
            .and_then(|r| r.map_err(|e| ApiError::from_change(e, field)));
        apply_result(&self.metrics, change, started, result.map_err(Status::from))
    }
}

/// Logs a change, counts it, and on success describes the new analyzer in the metrics.
fn apply_result(
    metrics: &Metrics,
    change: &'static str,
    started: Instant,
    result: Result<Arc<Analyzer>, Status>,
) -> Result<Changed, Status> {
    let build_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    metrics.record_change(change, result.is_ok());
    match result {
        Ok(analyzer) => {
            let identity = analyzer.identity();
            tracing::info!(
                change,
                generation = identity.generation,
                added_words = identity.added_words,
                removed_words = identity.removed_words,
                build_ms,
                "dictionary changed"
            );
            metrics.describe(&analyzer);
            Ok(Changed { analyzer, build_ms })
        }
        Err(status) => {
            tracing::warn!(
                change,
                code = ?status.code(),
                error = status.message(),
                build_ms,
                "dictionary change refused; the analyzer serving before still serves"
            );
            Err(status)
        }
    }
}

/// Reloads every file as SIGHUP asks, logging and counting the outcome like `Admin/Reload`.
pub async fn reload(live: Arc<LiveAnalyzer>, metrics: Arc<Metrics>) {
    let service = AdminService::new(live, metrics);
    let _ = service
        .change("reload", LiveAnalyzer::reload, |_| String::new())
        .await;
}

fn add_field(v: &WordViolation) -> String {
    match v.index {
        Some(i) => format!("words[{i}].{}", v.part),
        None => "words".to_owned(),
    }
}

fn remove_field(v: &WordViolation) -> String {
    match v.index {
        Some(i) => format!("words[{i}]"),
        None => "words".to_owned(),
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn reload(
        &self,
        _request: Request<pb::ReloadRequest>,
    ) -> Result<Response<pb::ReloadResponse>, Status> {
        let Changed { analyzer, build_ms } = self
            .change("reload", LiveAnalyzer::reload, |_| String::new())
            .await?;
        Ok(Response::new(pb::ReloadResponse {
            dictionary: Some(analyzer.identity().into()),
            build_ms,
        }))
    }

    async fn add_words(
        &self,
        request: Request<pb::AddWordsRequest>,
    ) -> Result<Response<pb::WordEditResponse>, Status> {
        let entries = request
            .into_inner()
            .words
            .into_iter()
            .map(Into::into)
            .collect();
        let Changed { analyzer, build_ms } = self
            .change("add_words", move |live| live.add_words(entries), add_field)
            .await?;
        Ok(Response::new(pb::WordEditResponse {
            dictionary: Some(analyzer.identity().into()),
            build_ms,
        }))
    }

    async fn remove_words(
        &self,
        request: Request<pb::RemoveWordsRequest>,
    ) -> Result<Response<pb::WordEditResponse>, Status> {
        let words = request.into_inner().words;
        let Changed { analyzer, build_ms } = self
            .change(
                "remove_words",
                move |live| live.remove_words(words),
                remove_field,
            )
            .await?;
        Ok(Response::new(pb::WordEditResponse {
            dictionary: Some(analyzer.identity().into()),
            build_ms,
        }))
    }
}
