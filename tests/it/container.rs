//! The fleet on a real Docker engine: `docker/test.sh` builds the image, brings up
//! `docker/compose.yaml` (three replicas sharing a dictionary volume, HAProxy, Prometheus),
//! calls every RPC through the balancer, and under a retrying client loop adds a word (served
//! by every replica), stops, kills and scales replicas, with no failed call.
//!
//! Opt-in, because it builds images for minutes: it runs only with
//! `TEXTANALYSIS_DOCKER_TESTS=1` (as `.ci/run` sets), and then fails if no Docker engine
//! answers. Each run uses its own compose project name and a free port.

use std::process::Command;

#[test]
fn the_compose_fleet_agrees_on_edits_and_survives_stop_kill_and_scale() {
    if std::env::var_os("TEXTANALYSIS_DOCKER_TESTS").is_none_or(|v| v != "1") {
        eprintln!("skipped: set TEXTANALYSIS_DOCKER_TESTS=1 to run the Docker deployment test");
        return;
    }
    let engine = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        engine,
        "TEXTANALYSIS_DOCKER_TESTS=1 but no Docker engine answers `docker info`"
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("bash")
        .arg(format!("{root}/docker/test.sh"))
        .env("TEXTANALYSIS_LOAD", env!("CARGO_BIN_EXE_textanalysis-load"))
        .output()
        .expect("bash runs docker/test.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert!(output.status.success(), "docker/test.sh failed:\n{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("docker-test: passed"), "{stdout}");
    eprintln!("{summary}");
}
