//! The `Admin` handlers: reload the dictionaries, add and remove words, each through
//! [`dictionary_changes::apply`] (the path SIGHUP takes too); create, remove and list
//! profiles (`dictionary_changes::create_profile`, `remove_profile`).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::pb::{self, admin_server::Admin};
use crate::core::word_edits::WordViolation;
use crate::core::{Profiles, profiles_version};
use crate::dictionary_changes::{self, Change, ChangeFailed, Changed, ProfileFailed};
use crate::edge::ApiError;
use crate::metrics::Metrics;

/// The `textanalysis.v1.Admin` service.
#[derive(Debug, Clone)]
pub struct AdminService {
    profiles: Arc<Profiles>,
    metrics: Arc<Metrics>,
}

impl AdminService {
    /// Admin calls changing what `profiles` serve, counted in `metrics`.
    pub fn new(profiles: Arc<Profiles>, metrics: Arc<Metrics>) -> Self {
        Self { profiles, metrics }
    }

    /// Applies `change` to the profile called `profile` (the default when empty); `field`
    /// names the request field of a bad word.
    async fn change(
        &self,
        profile: &str,
        change: Change,
        field: fn(&WordViolation) -> String,
    ) -> Result<pb::WordEditResponse, Status> {
        let (name, live) = self.profiles.named(profile).map_err(ApiError::from)?;
        match dictionary_changes::apply(&name, &live, &self.metrics, change).await {
            Ok(Changed { analyzer, build_ms }) => Ok(pb::WordEditResponse {
                dictionary: Some(pb::DictionaryInfo::new(&name, analyzer.identity())),
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
        request: Request<pb::ReloadRequest>,
    ) -> Result<Response<pb::ReloadResponse>, Status> {
        let profile = request.into_inner().profile;
        let changed = self
            .change(&profile, Change::Reload, |_| String::new())
            .await?;
        Ok(Response::new(pb::ReloadResponse {
            dictionary: changed.dictionary,
            build_ms: changed.build_ms,
        }))
    }

    async fn add_words(
        &self,
        request: Request<pb::AddWordsRequest>,
    ) -> Result<Response<pb::WordEditResponse>, Status> {
        let request = request.into_inner();
        let entries = request.words.into_iter().map(Into::into).collect();
        let changed = self
            .change(&request.profile, Change::AddWords(entries), add_field)
            .await?;
        Ok(Response::new(changed))
    }

    async fn remove_words(
        &self,
        request: Request<pb::RemoveWordsRequest>,
    ) -> Result<Response<pb::WordEditResponse>, Status> {
        let request = request.into_inner();
        let changed = self
            .change(
                &request.profile,
                Change::RemoveWords(request.words),
                remove_field,
            )
            .await?;
        Ok(Response::new(changed))
    }

    async fn create_profile(
        &self,
        request: Request<pb::CreateProfileRequest>,
    ) -> Result<Response<pb::CreateProfileResponse>, Status> {
        let request = request.into_inner();
        let words = request.words.into_iter().map(Into::into).collect();
        match dictionary_changes::create_profile(
            &self.profiles,
            &self.metrics,
            request.profile.clone(),
            words,
        )
        .await
        {
            Ok(Changed { analyzer, build_ms }) => Ok(Response::new(pb::CreateProfileResponse {
                dictionary: Some(pb::DictionaryInfo::new(
                    &request.profile,
                    analyzer.identity(),
                )),
                build_ms,
            })),
            Err(e) => Err(profile_status(e)),
        }
    }

    async fn remove_profile(
        &self,
        request: Request<pb::RemoveProfileRequest>,
    ) -> Result<Response<pb::RemoveProfileResponse>, Status> {
        let profile = request.into_inner().profile;
        dictionary_changes::remove_profile(&self.profiles, &self.metrics, profile)
            .await
            .map_err(profile_status)?;
        Ok(Response::new(pb::RemoveProfileResponse {}))
    }

    async fn list_profiles(
        &self,
        _request: Request<pb::ListProfilesRequest>,
    ) -> Result<Response<pb::ListProfilesResponse>, Status> {
        let profiles: Vec<pb::DictionaryInfo> = self
            .profiles
            .all()
            .into_iter()
            .map(|(name, live)| pb::DictionaryInfo::new(&name, live.current().identity()))
            .collect();
        let profiles_version = profiles_version(
            profiles
                .iter()
                .map(|p| (p.profile.as_str(), p.content_version.as_str())),
        );
        Ok(Response::new(pb::ListProfilesResponse {
            profiles,
            profiles_version,
        }))
    }
}

/// The status of a profile not created or removed.
fn profile_status(error: ProfileFailed) -> Status {
    match error {
        ProfileFailed::Refused(e) => ApiError::from_profile_change(e, add_field).into(),
        e @ ProfileFailed::Panicked(_) => ApiError::Internal(e.to_string()).into(),
    }
}
