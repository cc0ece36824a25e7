//! Any bytes as the JSON body of each HTTP/JSON route, as the door transcodes it, and as a
//! protobuf answer it writes back as JSON: nothing may panic, a request is either a well-framed
//! gRPC message or INVALID_ARGUMENT/RESOURCE_EXHAUSTED, and an answer that decodes is written
//! as JSON that parses.

#![no_main]

use libfuzzer_sys::fuzz_target;
use textanalysis::edge::routes::ROUTES;
use textanalysis::json::{answer_json, request_message};
use tonic::Code;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let route = &ROUTES[usize::from(selector) % ROUTES.len()];
    match request_message(route.path, body).expect("a route") {
        Ok(message) => {
            assert!(message.len() >= 5 && message[0] == 0);
            let length = u32::from_be_bytes([message[1], message[2], message[3], message[4]]);
            assert_eq!(length as usize, message.len() - 5);
        }
        Err(status) => assert!(
            matches!(status.code(), Code::InvalidArgument | Code::ResourceExhausted),
            "{status:?}"
        ),
    }
    if let Ok(json) = answer_json(route.path, body).expect("a route") {
        serde_json::from_slice::<serde_json::Value>(&json).expect("the answer's JSON parses");
    }
});
