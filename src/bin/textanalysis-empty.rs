//! `textanalysis-empty`: a tonic server on textanalysis's own API that analyses nothing, for the
//! benchmark's row (d) (`bench/run.sh`, BENCHMARKS.md). Every call answers an empty response at
//! once, so its calls per second are the framework's own ceiling on this machine: what taking
//! in a request and sending an answer costs through tonic, hyper and h2, with nothing else.
//!
//! It runs as `textanalysis` does (a multi-threaded tokio runtime, jemalloc, tonic's default
//! transport), so the two are compared like for like: `textanalysis-empty --addr 127.0.0.1:50063`.

use std::net::SocketAddr;
use std::pin::Pin;

use clap::Parser;
use futures_util::Stream;
use textanalysis::grpc::pb::text_analysis_server::{TextAnalysis, TextAnalysisServer};
use textanalysis::grpc::{pb, wire};
use tonic::{Request, Response, Status, Streaming};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An empty TextAnalysis server, the framework's ceiling for benchmarks.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:50063")]
    addr: SocketAddr,
}

/// Answers every call with an empty response.
struct Empty;

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl TextAnalysis for Empty {
    async fn segment(&self, _: Request<pb::SegmentRequest>) -> Answer<wire::SegmentResponse> {
        Ok(Response::new(wire::SegmentResponse::default()))
    }

    async fn extract_keywords(
        &self,
        _: Request<pb::ExtractKeywordsRequest>,
    ) -> Answer<pb::ExtractKeywordsResponse> {
        Ok(Response::new(pb::ExtractKeywordsResponse::default()))
    }

    async fn analyze(&self, _: Request<pb::AnalyzeRequest>) -> Answer<pb::AnalyzeResponse> {
        Ok(Response::new(pb::AnalyzeResponse::default()))
    }

    async fn analyze_batch(
        &self,
        _: Request<pb::AnalyzeBatchRequest>,
    ) -> Answer<pb::AnalyzeBatchResponse> {
        Ok(Response::new(pb::AnalyzeBatchResponse::default()))
    }

    type AnalyzeStreamStream =
        Pin<Box<dyn Stream<Item = Result<pb::AnalyzeResponse, Status>> + Send + 'static>>;

    async fn analyze_stream(
        &self,
        _: Request<Streaming<pb::AnalyzeRequest>>,
    ) -> Answer<Self::AnalyzeStreamStream> {
        Ok(Response::new(Box::pin(futures_util::stream::empty())))
    }

    async fn classify(&self, _: Request<pb::ClassifyRequest>) -> Answer<pb::ClassifyResponse> {
        Ok(Response::new(pb::ClassifyResponse::default()))
    }

    async fn list_models(
        &self,
        _: Request<pb::ListModelsRequest>,
    ) -> Answer<pb::ListModelsResponse> {
        Ok(Response::new(pb::ListModelsResponse::default()))
    }
}

#[tokio::main]
async fn main() -> Result<(), tonic::transport::Error> {
    let args = Args::parse();
    tonic::transport::Server::builder()
        .add_service(TextAnalysisServer::new(Empty))
        .serve(args.addr)
        .await
}
