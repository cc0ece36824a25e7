//! The `textanalysis` binary: parse the configuration, start logging, read and check every
//! file, build the analyzers (one per dictionary profile), bind and serve until SIGTERM or SIGINT. Everything else lives in
//! the library.

use std::process::ExitCode;
use std::sync::Arc;

use textanalysis::config::{Cli, Command, ServeArgs};
use textanalysis::core::Profiles;
use textanalysis::server::Server;
use textanalysis::{commands, health, metrics, server, telemetry};

/// jemalloc instead of glibc's malloc: a segmented document is tens of thousands of small
/// strings made and freed per call, which glibc serves markedly slower; and with its
/// background thread (`.cargo/config.toml`) the process gives back what a burst of calls used
/// within seconds, which mimalloc, the allocator before it, never did (BENCHMARKS.md, "Memory").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit code for configuration the server cannot start with (as clap uses for bad flags).
const CONFIG_ERROR: u8 = 2;

fn main() -> ExitCode {
    let command = Cli::parse_or_exit().into_command();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("textanalysis: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Serve(args) => runtime.block_on(serve(*args)),
        Command::Health(args) => match runtime.block_on(health::check(&args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("textanalysis health: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Train(args) => report(commands::train(&args, &mut std::io::stderr()).map(drop)),
        Command::Eval(args) => report(commands::eval(&args, &mut std::io::stdout())),
        Command::TrainSegmenter(args) => report(commands::train_segmenter(&args).map(drop)),
        Command::EvalSegmenter(args) => {
            report(commands::eval_segmenter(&args, &mut std::io::stdout()))
        }
        Command::Openapi => {
            print!("{}", textanalysis::json::OPENAPI);
            ExitCode::SUCCESS
        }
    }
}

/// Exit code of a `train` or `eval` run: its errors are all bad input.
fn report(result: Result<(), commands::CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("textanalysis: {e}");
            ExitCode::from(CONFIG_ERROR)
        }
    }
}

/// Logs why serving could not start (one line) and gives the exit code.
fn failed(error: impl std::fmt::Display, code: u8) -> ExitCode {
    tracing::error!(error = %error, "cannot start");
    ExitCode::from(code)
}

async fn serve(args: ServeArgs) -> ExitCode {
    let _logs = telemetry::init(args.log_format);
    #[cfg(unix)]
    let hangups = server::hangups();
    // Everything is read and checked before a port is bound.
    let settings = match args.settings() {
        Ok(settings) => settings,
        Err(e) => return failed(e, CONFIG_ERROR),
    };
    let config = args.analyzer_config();
    let (state_dir, declared) = (args.state_dir.clone(), args.profiles.clone());
    let max_profiles = usize::from(args.max_profiles);
    let max_profile_bytes = args.max_profiles_memory_mb.saturating_mul(1 << 20);
    let profiles = match tokio::task::spawn_blocking(move || {
        let mut profiles = Profiles::start(&config, state_dir.as_deref(), &declared, max_profiles)?;
        profiles.limit_memory(max_profile_bytes)?;
        Ok(profiles)
    })
    .await
    {
        Ok(Ok(profiles)) => {
            // The names, up to 20 (a server of tenants may have thousands).
            let all = profiles.all();
            let names: Vec<&str> = all.iter().map(|(name, _)| &**name).take(20).collect();
            let more = if all.len() > 20 { ", …" } else { "" };
            tracing::info!(
                count = all.len(),
                profiles = format!("{}{more}", names.join(", ")),
                "dictionary profiles"
            );
            Arc::new(profiles)
        }
        Ok(Err(e)) => return failed(ServeArgs::explain(&e), CONFIG_ERROR),
        Err(e) => return failed(format!("building the analyzer failed: {e}"), 1),
    };
    let server = match Server::new(profiles, settings) {
        Ok(server) => server,
        Err(e) => return failed(e, CONFIG_ERROR),
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => return failed(format!("cannot listen on {}: {e}", args.addr), 1),
    };
    if let Some(metrics_addr) = args.metrics_addr {
        match tokio::net::TcpListener::bind(metrics_addr).await {
            Ok(metrics_listener) => {
                let addr = metrics_listener.local_addr().map_or(metrics_addr, |a| a);
                tracing::info!(%addr, "metrics at /metrics");
                tokio::spawn(metrics::serve(metrics_listener, server.metrics()));
            }
            Err(e) => {
                return failed(
                    format!("cannot listen for metrics on {metrics_addr}: {e}"),
                    1,
                );
            }
        }
    }
    #[cfg(unix)]
    match hangups {
        Ok(hangups) => drop(tokio::spawn(
            hangups.reload(server.profiles(), server.metrics()),
        )),
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP; reload with Admin/Reload"),
    }
    let addr = listener.local_addr().map_or(args.addr, |a| a);
    tracing::info!(%addr, version = env!("CARGO_PKG_VERSION"), "serving");
    match server.run(listener, server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}
