//! Any bytes, decoded as a request of one of the TextAnalysis calls and handled by the real
//! service (validation, the pool, the analyzer, conversion back), every segmentation mode
//! included: the answer must be a response or a status other than INTERNAL, and nothing may
//! panic.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use prost::Message;
use textanalysis::core::{AnalyzerConfig, Profiles};
use textanalysis::grpc::pb::text_analysis_server::TextAnalysis;
use textanalysis::grpc::pb::{
    AnalyzeBatchRequest, AnalyzeRequest, ClassifyRequest, ExtractKeywordsRequest, SegmentRequest,
};
use textanalysis::edge::Limits;
use textanalysis::grpc::{TextAnalysisService, WorkPool};
use textanalysis::metrics::Metrics;
use tonic::{Code, Request, Status};

fn setup() -> &'static (tokio::runtime::Runtime, TextAnalysisService) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, TextAnalysisService)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let profiles = Profiles::start(&AnalyzerConfig::default(), None, &[], 1)
            .expect("the built-in profile");
        let metrics = Arc::new(Metrics::new());
        let pool = WorkPool::new(1, 16, Arc::clone(&metrics));
        let service = TextAnalysisService::new(Arc::new(profiles), pool, Limits::default(), metrics);
        (runtime, service)
    })
}

fn check<T>(result: Result<tonic::Response<T>, Status>) {
    if let Err(status) = result {
        assert_ne!(status.code(), Code::Internal, "{status:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (runtime, service) = setup();
    runtime.block_on(async {
        match selector % 5 {
            0 => {
                if let Ok(m) = SegmentRequest::decode(body) {
                    check(service.segment(Request::new(m)).await);
                }
            }
            1 => {
                if let Ok(m) = ExtractKeywordsRequest::decode(body) {
                    check(service.extract_keywords(Request::new(m)).await);
                }
            }
            2 => {
                if let Ok(m) = AnalyzeRequest::decode(body) {
                    check(service.analyze(Request::new(m)).await);
                }
            }
            3 => {
                if let Ok(m) = ClassifyRequest::decode(body) {
                    check(service.classify(Request::new(m)).await);
                }
            }
            _ => {
                if let Ok(m) = AnalyzeBatchRequest::decode(body) {
                    check(service.analyze_batch(Request::new(m)).await);
                }
            }
        }
    });
});
