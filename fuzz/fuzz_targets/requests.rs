//! Any bytes, decoded as a request of one of the TextAnalysis calls and handled by the real
//! service (validation, the pool, the analyzer, conversion back): the answer must be a
//! response or a status other than INTERNAL, and nothing may panic.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use prost::Message;
use textanalysis::core::{Analyzer, AnalyzerConfig, LiveAnalyzer};
use textanalysis::grpc::pb::text_analysis_server::TextAnalysis;
use textanalysis::grpc::pb::{
    AnalyzeBatchRequest, AnalyzeRequest, ClassifyRequest, ExtractKeywordsRequest, SegmentRequest,
};
use textanalysis::grpc::{Limits, TextAnalysisService, WorkPool};
use textanalysis::metrics::Metrics;
use tonic::{Code, Request, Status};

fn setup() -> &'static (tokio::runtime::Runtime, TextAnalysisService) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, TextAnalysisService)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let analyzer = Arc::new(Analyzer::new(&AnalyzerConfig::default()).expect("built-in data"));
        let metrics = Arc::new(Metrics::new());
        let live = Arc::new(LiveAnalyzer::with_analyzer(analyzer, AnalyzerConfig::default()));
        let pool = WorkPool::new(live, 1, 16, Arc::clone(&metrics));
        (runtime, TextAnalysisService::new(pool, Limits::default(), metrics))
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
