//! Health, draining and responsiveness of the real server.

use crate::common::{TestServer, long_text};
use textanalysis::grpc::pb::{AnalyzeRequest, SegmentOptions, SegmentRequest, SegmentResponse};
use textanalysis::server::{SERVICE_NAME, Settings};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn check(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.into(),
    }
}

type Call = tokio::task::JoinHandle<Result<tonic::Response<SegmentResponse>, tonic::Status>>;

/// Starts `n` long tagging calls at once, each on its own task.
fn spawn_tagging_calls(server: &TestServer, n: usize) -> Vec<Call> {
    let text = long_text(8);
    (0..n)
        .map(|_| {
            let mut client = server.client();
            let request = SegmentRequest {
                text: text.clone(),
                with_pos: true,
                ..Default::default()
            };
            tokio::spawn(async move { client.segment(request).await })
        })
        .collect()
}

#[tokio::test]
async fn health_is_serving_for_the_server_and_the_service() {
    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in ["", SERVICE_NAME] {
        let status = health
            .check(check(service))
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = health.check(check("no.such.Service")).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    server.shutdown().await;
}

#[tokio::test]
async fn watch_sees_not_serving_when_the_drain_starts() {
    let mut server = TestServer::with_options(Settings {
        grace_period: std::time::Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let mut health = HealthClient::new(server.channel.clone());
    let mut overall = health.watch(check("")).await.unwrap().into_inner();
    let mut service = health
        .watch(check(SERVICE_NAME))
        .await
        .unwrap()
        .into_inner();
    for stream in [&mut overall, &mut service] {
        let first = stream.message().await.unwrap().unwrap();
        assert_eq!(first.status(), ServingStatus::Serving);
    }
    server.begin_shutdown();
    for stream in [&mut overall, &mut service] {
        let next = stream.message().await.unwrap().unwrap();
        assert_eq!(next.status(), ServingStatus::NotServing);
    }
    // The open Watch streams cannot hold the drain past the grace period.
    server.shutdown().await;
}

#[tokio::test]
async fn calls_in_flight_finish_during_the_drain_and_new_ones_are_refused() {
    let mut server = TestServer::with_options(Settings {
        workers: 1,
        ..Default::default()
    })
    .await;
    let text = long_text(8);
    let mut calls = Vec::new();
    for _ in 0..3 {
        let mut client = server.client();
        let request = SegmentRequest {
            text: text.clone(),
            ..Default::default()
        };
        calls.push(tokio::spawn(async move { client.segment(request).await }));
    }
    server.wait_for_in_flight(3).await;
    server.begin_shutdown();
    for call in calls {
        let tokens = call
            .await
            .unwrap()
            .expect("in-flight call finishes")
            .into_inner()
            .tokens;
        assert!(tokens.len() > 10_000);
    }
    let addr = server.addr;
    server.shutdown().await;
    // The listener is closed: a new connection is refused.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn after_the_drain_begins_calls_are_answered_until_the_client_sees_goaway() {
    let mut server = TestServer::with_options(Settings {
        workers: 1,
        grace_period: std::time::Duration::from_secs(30),
        ..Default::default()
    })
    .await;
    let text = long_text(8);
    let mut client = server.client();
    let busy = {
        let mut client = server.client();
        let request = SegmentRequest {
            text: text.repeat(3),
            ..Default::default()
        };
        tokio::spawn(async move { client.segment(request).await })
    };
    server.wait_for_in_flight(1).await;
    server.begin_shutdown();
    // Calls racing the GOAWAY are served (a balancer in front must not see them fail); once the
    // client has it, it cannot open new calls here: the listener is closed.
    let refused = loop {
        let late = client
            .segment(SegmentRequest {
                text: "迟到的请求".into(),
                ..Default::default()
            })
            .await;
        match late {
            Ok(answer) => assert_eq!(answer.into_inner().tokens.len(), 3),
            Err(status) => break status,
        }
    };
    // tonic reports a call its connection refused after GOAWAY as CANCELLED, and the failed
    // reconnection as UNAVAILABLE: neither is an answer from the server.
    assert!(
        matches!(refused.code(), Code::Unavailable | Code::Cancelled),
        "{refused:?}"
    );
    assert!(!busy.is_finished(), "the call in flight holds the drain");
    busy.await.unwrap().expect("the call in flight finishes");
    server.shutdown().await;
}

#[tokio::test]
async fn health_answers_while_every_worker_is_busy() {
    let server = TestServer::with_options(Settings {
        workers: 1,
        ..Default::default()
    })
    .await;
    let calls = spawn_tagging_calls(&server, 4);
    let mut health = HealthClient::new(server.channel.clone());
    for _ in 0..20 {
        let status = health
            .check(check(SERVICE_NAME))
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving);
    }
    // Health answered twenty times while four long analyses were queued on one worker.
    assert!(
        !calls.iter().all(|c| c.is_finished()),
        "analyses still running"
    );
    for call in calls {
        call.await.unwrap().unwrap();
    }
    server.shutdown().await;
}

#[tokio::test]
async fn work_beyond_the_queue_is_shed_with_resource_exhausted() {
    let server = TestServer::with_options(Settings {
        workers: 1,
        max_queued: 2,
        ..Default::default()
    })
    .await;
    let calls = spawn_tagging_calls(&server, 12);
    let mut health = HealthClient::new(server.channel.clone());
    let status = health.check(check("")).await.unwrap().into_inner().status();
    assert_eq!(
        status,
        ServingStatus::Serving,
        "health answers while the pool is full"
    );
    let (mut ok, mut shed) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                shed += 1;
            }
        }
    }
    // One runs and two wait at any moment: of twelve sent together, some are shed.
    assert!(ok >= 1 && shed >= 1, "ok {ok}, shed {shed}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_cannot_hold_the_drain_past_the_grace_period() {
    let server = TestServer::with_options(Settings {
        grace_period: std::time::Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let text = long_text(8);
    // An endless stream of long documents whose answers are never read: flow control stops
    // the server's writes, and the call stays open.
    let requests = tokio_stream::iter((0u64..).map(move |i| AnalyzeRequest {
        id: i.to_string(),
        text: text.clone(),
        segment: Some(SegmentOptions::default()),
        ..Default::default()
    }));
    let stuck = server.client().analyze_stream(requests).await.unwrap();
    server.wait_for_in_flight(1).await;
    let started = std::time::Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the drain took {:?}",
        started.elapsed()
    );
    drop(stuck);
}
