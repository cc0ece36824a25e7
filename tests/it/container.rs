//! The deployments on a real Docker engine, each driven by its script:
//!
//! - `docker/test.sh`: the image (also read-only and unprivileged, as a restricted Kubernetes
//!   pod runs it), then `docker/compose.yaml` (three replicas sharing a dictionary volume,
//!   HAProxy, Prometheus): every RPC through the balancer, and under a retrying client loop a
//!   word added (served by every replica), replicas stopped, killed and scaled, with no failed
//!   call.
//! - `docker/test-swarm.sh`: `docker/stack.yaml` on a single-node swarm: a word added, a rolling
//!   update, a killed replica and a scale from 3 to 5 under the client loop, with no failed
//!   call.
//!
//! Opt-in, because they build images and run for minutes: both are `#[ignore]`d, so `cargo test`
//! lists them as ignored, and `cargo test --test it container -- --ignored` runs them (as
//! `.ci/run` does), failing if no Docker engine answers. Each run uses its own project or stack
//! name and free ports.

use std::process::Command;

/// Runs `docker/<script>` and checks it passed: its last line of output starts with
/// `<prefix>: passed`.
fn run_deployment_test(script: &str, prefix: &str) {
    let engine = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(engine, "no Docker engine answers `docker info`");
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("bash")
        .arg(format!("{root}/docker/{script}"))
        .env("TEXTANALYSIS_LOAD", env!("CARGO_BIN_EXE_textanalysis-load"))
        .output()
        .expect("bash runs the script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(output.status.success(), "docker/{script} failed:\n{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{prefix}: passed")),
        "{stdout}"
    );
    eprintln!("{summary}");
}

#[test]
#[ignore = "builds images and runs for minutes on a Docker engine: run with -- --ignored"]
fn the_compose_fleet_agrees_on_edits_and_survives_stop_kill_and_scale() {
    run_deployment_test("test.sh", "docker-test");
}

#[test]
#[ignore = "makes a Docker swarm and runs for minutes: run with -- --ignored"]
fn the_swarm_stack_survives_a_rolling_update_a_kill_and_a_scale() {
    run_deployment_test("test-swarm.sh", "swarm-test");
}
