//! Any bytes, decoded as a request of one of the Admin calls (Reload, AddWords, RemoveWords)
//! and handled by the real service on a real profile with a state directory: the answer must be
//! a response or a status other than INTERNAL, and nothing may panic. Accepted edits rebuild the
//! analyzer (a tenth of a second each), so this target runs far fewer inputs a second than
//! `requests`; most inputs are refused by validation, which is what it is after.

#![no_main]

use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use prost::Message;
use textanalysis::core::{AnalyzerConfig, Profiles};
use textanalysis::grpc::AdminService;
use textanalysis::grpc::pb::admin_server::Admin;
use textanalysis::grpc::pb::{AddWordsRequest, ReloadRequest, RemoveWordsRequest};
use textanalysis::metrics::Metrics;
use tonic::{Code, Request, Status};

/// Accepted edits after which the service starts again from an empty state, so that the
/// dictionary (and each rebuild) does not grow without bound over a long run.
const RESTART_AFTER: usize = 200;

struct Setup {
    runtime: tokio::runtime::Runtime,
    state: std::path::PathBuf,
    service: Mutex<(AdminService, usize)>,
}

fn service(state: &std::path::Path) -> AdminService {
    let _ = std::fs::remove_dir_all(state);
    std::fs::create_dir_all(state).expect("a state directory");
    let profiles = Profiles::start(&AnalyzerConfig::default(), Some(state), &[], 4)
        .expect("the built-in profile");
    AdminService::new(Arc::new(profiles), Arc::new(Metrics::new()))
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let state = std::env::temp_dir().join(format!("textanalysis-fuzz-admin-{}", std::process::id()));
        Setup {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            service: Mutex::new((service(&state), 0)),
            state,
        }
    })
}

/// Whether the call changed the dictionary; a failure must be the client's or a refusal.
fn check<T>(result: Result<tonic::Response<T>, Status>) -> bool {
    match result {
        Ok(_) => true,
        Err(status) => {
            assert_ne!(status.code(), Code::Internal, "{status:?}");
            false
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let setup = setup();
    let mut held = setup.service.lock().unwrap_or_else(|e| e.into_inner());
    let (service, accepted) = &mut *held;
    let changed = setup.runtime.block_on(async {
        match selector % 3 {
            0 => match AddWordsRequest::decode(body) {
                Ok(m) => check(service.add_words(Request::new(m)).await),
                Err(_) => false,
            },
            1 => match RemoveWordsRequest::decode(body) {
                Ok(m) => check(service.remove_words(Request::new(m)).await),
                Err(_) => false,
            },
            _ => match ReloadRequest::decode(body) {
                Ok(m) => check(service.reload(Request::new(m)).await),
                Err(_) => false,
            },
        }
    });
    *accepted += usize::from(changed);
    if *accepted >= RESTART_AFTER {
        *held = (self::service(&setup.state), 0);
    }
});
