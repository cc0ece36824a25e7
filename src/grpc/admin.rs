//! The `Admin` handlers: reload the dictionaries, add and remove words, each through
//! [`dictionary_changes::apply`] (the path SIGHUP takes too).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::error::ApiError;
use super::pb::{self, admin_server::Admin};
use crate::core::LiveAnalyzer;
use crate::core::word_edits::WordViolation;
use crate::dictionary_changes::{self, Change, ChangeFailed, Changed};
use crate::metrics::Metrics;

/// The `textanalysis.v1.Admin` service.
#[derive(Debug, Clone)]
pub struct AdminService {
    live: Arc<LiveAnalyzer>,
    metrics: Arc<Metrics>,
}

impl AdminService {
    /// Admin calls changing what `live` serves, counted in `metrics`.
    pub fn new(live: Arc<LiveAnalyzer>, metrics: Arc<Metrics>) -> Self {
        Self { live, metrics }
    }

    /// Applies `change`; `field` names the request field of a bad word.
    async fn change(
        &self,
        change: Change,
        field: fn(&WordViolation) -> String,
    ) -> Result<pb::WordEditResponse, Status> {
        match dictionary_changes::apply(&self.live, &self.metrics, change).await {
            Ok(Changed { analyzer, build_ms }) => Ok(pb::WordEditResponse {
                dictionary: Some(analyzer.identity().into()),
                build_ms,
            }),
            Err(ChangeFailed::Refused(e)) => Err(ApiError::from_change(e, field).into()),
            Err(e @ ChangeFailed::Panicked(_)) => Err(ApiError::Internal(e.to_string()).into()),
        }
    }
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
        let changed = self.change(Change::Reload, |_| String::new()).await?;
        Ok(Response::new(pb::ReloadResponse {
            dictionary: changed.dictionary,
            build_ms: changed.build_ms,
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
        let changed = self.change(Change::AddWords(entries), add_field).await?;
        Ok(Response::new(changed))
    }

    async fn remove_words(
        &self,
        request: Request<pb::RemoveWordsRequest>,
    ) -> Result<Response<pb::WordEditResponse>, Status> {
        let words = request.into_inner().words;
        let changed = self
            .change(Change::RemoveWords(words), remove_field)
            .await?;
        Ok(Response::new(changed))
    }
}
