//! The container deployment on a real Docker engine: `docker/test.sh` builds the image, brings
//! up three replicas behind nginx with `docker/compose.yaml`, calls every RPC through the
//! balancer, and stops and kills replicas under a client loop.
//!
//! Skipped, with a message, when no Docker engine answers, unless `TEXTANALYSIS_REQUIRE_DOCKER=1`
//! (as `.ci/run` sets: CI machines have an engine) makes that a failure.

use std::process::Command;

#[test]
fn the_compose_deployment_survives_a_stopped_and_a_killed_replica() {
    let engine = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    if !engine {
        assert!(
            std::env::var_os("TEXTANALYSIS_REQUIRE_DOCKER").is_none_or(|v| v != "1"),
            "TEXTANALYSIS_REQUIRE_DOCKER=1 but no Docker engine answers `docker info`"
        );
        eprintln!("skipped: no Docker engine answers `docker info`");
        return;
    }
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
