//! TLS and mutual TLS with certificates made at test time (rcgen): never committed keys.

use crate::common::{Pki, TestServer, pki};
use textanalysis::grpc::pb::SegmentRequest;
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::server::Settings;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity, ServerTlsConfig};

async fn tls_server(pki: &Pki, mutual: bool) -> TestServer {
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(&pki.server.0, &pki.server.1));
    if mutual {
        tls = tls.client_ca_root(Certificate::from_pem(&pki.ca));
    }
    TestServer::with_options(Settings {
        tls: Some(tls),
        ..Default::default()
    })
    .await
}

async fn segment(server: &TestServer, tls: Option<ClientTlsConfig>) -> Result<usize, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Channel::from_shared(format!("{scheme}://{}", server.addr)).unwrap();
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).unwrap();
    }
    let channel = endpoint.connect().await.map_err(|e| format!("{e:?}"))?;
    TextAnalysisClient::new(channel)
        .segment(SegmentRequest {
            text: "我来到北京清华大学".into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().tokens.len())
        .map_err(|s| format!("{s:?}"))
}

fn client_tls(pki: &Pki, with_identity: bool) -> ClientTlsConfig {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca))
        .domain_name("localhost");
    if with_identity {
        tls.identity(Identity::from_pem(&pki.client.0, &pki.client.1))
    } else {
        tls
    }
}

#[tokio::test]
async fn tls_serves_clients_that_trust_the_ca_and_refuses_plaintext() {
    let pki = pki();
    let server = tls_server(&pki, false).await;
    assert_eq!(segment(&server, Some(client_tls(&pki, false))).await, Ok(4));
    assert!(
        segment(&server, None).await.is_err(),
        "plaintext is refused"
    );
    // A client that trusts another CA refuses the server.
    let other = crate::common::pki();
    assert!(
        segment(&server, Some(client_tls(&other, false)))
            .await
            .is_err()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = pki();
    let server = tls_server(&pki, true).await;
    assert_eq!(segment(&server, Some(client_tls(&pki, true))).await, Ok(4));
    assert!(
        segment(&server, Some(client_tls(&pki, false)))
            .await
            .is_err(),
        "a client without a certificate is refused"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_api_is_served_over_tls() {
    let pki = pki();
    let server = tls_server(&pki, false).await;
    let dir = crate::common::temp_dir("tls-json");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca).unwrap();
    let port = server.addr.port();
    let answer = tokio::task::spawn_blocking(move || {
        // curl offers h2 and http/1.1 by ALPN; the server takes h2.
        std::process::Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert"])
            .arg(&ca)
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .args([
                "-w",
                "\n%{http_version}",
                "-d",
                r#"{"text":"我来到北京清华大学"}"#,
            ])
            .arg(format!("https://localhost:{port}/v1/segment"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&answer.stdout).into_owned();
    let (body, version) = text.rsplit_once('\n').unwrap();
    assert_eq!(
        version,
        "2",
        "{text} {}",
        String::from_utf8_lossy(&answer.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["tokens"].as_array().unwrap().len(), 4);
    server.shutdown().await;
}
