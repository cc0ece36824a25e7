//! Bearer-token authentication against the real server: calls need a configured token, health
//! checks do not.

use crate::common::TestServer;
use textanalysis::edge::BearerTokens;
use textanalysis::grpc::pb::SegmentRequest;
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::server::Settings;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

async fn segment_with(
    server: &TestServer,
    authorization: Option<&str>,
) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(SegmentRequest {
        text: "我来到北京清华大学".into(),
        ..Default::default()
    });
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    TextAnalysisClient::new(server.channel.clone())
        .segment(request)
        .await
        .map(drop)
}

#[tokio::test]
async fn calls_need_a_configured_bearer_token_and_health_does_not() {
    let tokens = BearerTokens::load(None, Some("first-secret-token,second-secret-token"))
        .unwrap()
        .expect("tokens configured");
    let server = TestServer::with_options(Settings {
        auth: Some(tokens),
        ..Default::default()
    })
    .await;
    for refused in [
        None,
        Some("Bearer wrong-token"),
        Some("Bearer first-secret-toke"),
        Some("first-secret-token"),
        Some("Basic Zmlyc3Q6c2VjcmV0"),
    ] {
        let status = segment_with(&server, refused).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{refused:?}: {status:?}"
        );
    }
    segment_with(&server, Some("Bearer first-secret-token"))
        .await
        .unwrap();
    segment_with(&server, Some("Bearer second-secret-token"))
        .await
        .unwrap();
    // Probes reach health without a token.
    let health = HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest {
            service: "textanalysis.v1.TextAnalysis".into(),
        })
        .await
        .unwrap();
    assert_eq!(health.into_inner().status, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn without_tokens_the_server_is_open() {
    let server = TestServer::start().await;
    segment_with(&server, None).await.unwrap();
    segment_with(&server, Some("Bearer anything"))
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn two_authorization_headers_are_unauthenticated_even_on_admin() {
    let admin_token = "admin-secret-token";
    let server = TestServer::with_options(Settings {
        admin: BearerTokens::load(None, Some(admin_token)).unwrap(),
        ..Default::default()
    })
    .await;
    let mut request = tonic::Request::new(textanalysis::grpc::pb::ReloadRequest::default());
    for _ in 0..2 {
        request.metadata_mut().append(
            "authorization",
            format!("Bearer {admin_token}").parse().unwrap(),
        );
    }
    let status = textanalysis::grpc::pb::admin_client::AdminClient::new(server.channel.clone())
        .reload(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    server.shutdown().await;
}
