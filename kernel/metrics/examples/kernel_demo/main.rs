//! kernel_demo: ron-metrics and ron-bus together in one small process.
//!
//! ```text
//! cargo run -p ron-metrics --example kernel_demo -- [--addr HOST:PORT] [--run-for SECS] [--large]
//! ```
//!
//! * Serves `/metrics`, `/healthz` and `/readyz` on `--addr` (env `RON_METRICS_ADDR`,
//!   default `127.0.0.1:9600`; port 0 picks a free port) and prints the URLs.
//! * Publishes a `Tick` on a ron-bus every 100 ms; a subscriber thread reports itself to the
//!   `HealthState` (the `services_ok` gate) and logs `ConfigUpdated` events.
//! * Watches the TOML file named by `RON_CONFIG` (`amnesia = true|false` and
//!   `version = N`, N >= 1, both required), polling every 200 ms. Only a regular file of at
//!   most 64 KiB is read (see `config.rs`). On a real content change (not a touch) it flips
//!   `amnesia_mode`, bumps the config generation (`config_reloads_total`) and publishes
//!   `ConfigUpdated`. A file that is missing, not regular, too big, empty, half-written or
//!   invalid keeps the last good config; the error is logged, counted in
//!   `config_reload_errors_total`, shown under `errors.config` in `/readyz`, and
//!   `config_last_reload_successful` is 0 until a good file is read again. `/readyz`
//!   turns 200 once a config is loaded. Without `RON_CONFIG` the built-in defaults
//!   (`amnesia = false`, version 0) count as loaded.
//! * `--large` (or `RON_METRICS_LOAD=large`) registers 10,000 synthetic series, for load
//!   tests of a big exposition.
//! * `RON_TLS_FLUSH_THRESHOLD` is validated at startup: a non-number exits with status 2.
//! * Ctrl-C (SIGINT) or SIGTERM stops it (also before `--run-for` ends); shutdown waits at
//!   most 1 s for blocking work.

mod config;

use config::{Outcome, ReadError, Watcher};
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts};
use ron_bus::{Bus, Packed, RecvError};
use ron_metrics::{registry, tls, BaseLabels, HealthState, Metrics, GATE_CONFIG_LOADED};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// `println!` that ignores a closed stdout (e.g. piped into `head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

const DEFAULT_ADDR: &str = "127.0.0.1:9600";
const CONFIG_POLL: Duration = Duration::from_millis(200);
/// How long shutdown waits for blocking work (a config read on a hung file system).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// The `/readyz` error source of the config watcher.
const CONFIG_ERROR_SOURCE: &str = "config";
const LARGE_SERIES: usize = 10_000;

/// What the demo publishes on its bus, in the compact layout (MOG B5): a `u8` tag and a small
/// inline payload, `Copy`, stored in the ring's slots as [`Packed`] words (3 of them), so a
/// publish allocates nothing and a delivery is a copy. A variant that had to carry heap data
/// (a path, a key list) would hold it in an `Arc` and the bus would use `Bus::new`;
/// `comparables/examples/b5_layout.rs` measures both against the naive layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum DemoEvent {
    Tick(u64) = 1,
    ConfigUpdated {
        generation: u64,
        version: u64,
        amnesia: bool,
    } = 2,
}

/// `[tag | amnesia << 8, tick or generation, version]`.
impl Packed for DemoEvent {
    const WORDS: usize = 3;
    fn pack(&self, w: &mut [u64]) {
        match *self {
            DemoEvent::Tick(n) => (w[0], w[1], w[2]) = (1, n, 0),
            DemoEvent::ConfigUpdated {
                generation,
                version,
                amnesia,
            } => (w[0], w[1], w[2]) = (2 | u64::from(amnesia) << 8, generation, version),
        }
    }
    fn unpack(w: &[u64]) -> Self {
        match w[0] & 0xff {
            1 => DemoEvent::Tick(w[1]),
            // `pack` writes no other tag: the words a receiver gets are always `pack`'s.
            _ => DemoEvent::ConfigUpdated {
                generation: w[1],
                version: w[2],
                amnesia: w[0] >> 8 & 1 == 1,
            },
        }
    }
}

/// Validated command line and environment.
#[derive(Debug)]
struct Args {
    addr: SocketAddr,
    run_for: Option<Duration>,
    large: bool,
    config: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut addr = std::env::var("RON_METRICS_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.into());
    let mut run_for = None;
    let mut large = std::env::var("RON_METRICS_LOAD").is_ok_and(|v| v == "large");
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--addr" => addr = it.next().ok_or("--addr needs HOST:PORT")?,
            "--run-for" => {
                let secs = it.next().ok_or("--run-for needs SECS")?;
                let secs: f64 = secs
                    .parse()
                    .map_err(|_| format!("--run-for {secs:?} is not a number of seconds"))?;
                run_for = Some(Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())?);
            }
            "--large" => large = true,
            "-h" | "--help" => {
                say!("usage: kernel_demo [--addr HOST:PORT] [--run-for SECS] [--large]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let addr = addr
        .parse()
        .map_err(|_| format!("address {addr:?} is not HOST:PORT (RON_METRICS_ADDR or --addr)"))?;
    let config = std::env::var_os("RON_CONFIG").map(PathBuf::from);
    Ok(Args {
        addr,
        run_for,
        large,
        config,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kernel_demo: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = tls::init_threshold_from_env() {
        eprintln!("kernel_demo: {e}");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(run(args));
    // Never wait on a blocking thread that is stuck: shutdown stays prompt.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    if let Err(e) = result {
        eprintln!("kernel_demo: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let instance = std::env::var("RON_INSTANCE").unwrap_or_else(|_| "demo-1".into());
    let metrics = Metrics::new(BaseLabels::new(
        "kernel_demo",
        instance,
        env!("CARGO_PKG_VERSION"),
    ));
    if args.large {
        register_large_registry();
    }
    let health = Arc::new(HealthState::new());
    let (server, addr) = metrics
        .clone()
        .serve(args.addr, Arc::clone(&health))
        .await
        .map_err(|e| e.to_string())?;
    say!("kernel_demo listening (threshold {}):", tls::threshold());
    for path in ["metrics", "healthz", "readyz"] {
        say!("  {path}: http://{addr}/{path}");
    }

    let bus: Bus<DemoEvent> = Bus::new_packed(64);
    spawn_subscriber(&bus, Arc::clone(&health));
    let publisher = tokio::spawn(publish_ticks(bus.clone()));
    let watcher = tokio::spawn(watch_config(args.config, bus, metrics, health));

    match args.run_for {
        Some(d) => tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = stop_signal() => {}
        },
        None => stop_signal().await,
    }
    say!("kernel_demo: shutting down");
    for task in [publisher, watcher, server] {
        task.abort();
    }
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM (what service managers send).
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// A thread subscriber: reports itself healthy, then logs config events until the bus closes.
fn spawn_subscriber(bus: &Bus<DemoEvent>, health: Arc<HealthState>) {
    let mut rx = bus.subscribe();
    health.set_service("bus_subscriber", true);
    std::thread::spawn(move || {
        let (mut ticks, mut last_tick) = (0u64, 0u64);
        loop {
            match rx.blocking_recv() {
                Ok(DemoEvent::Tick(n)) => (ticks, last_tick) = (ticks + 1, n),
                Ok(DemoEvent::ConfigUpdated {
                    generation,
                    version,
                    amnesia,
                }) => say!(
                    "bus: ConfigUpdated generation={generation} version={version} \
                     amnesia={amnesia} (after {ticks} ticks, last #{last_tick})"
                ),
                Err(RecvError::Lagged(n)) => eprintln!("bus: subscriber lagged by {n}"),
                Err(RecvError::Closed) => break,
            }
        }
        health.set_service("bus_subscriber", false);
    });
}

async fn publish_ticks(bus: Bus<DemoEvent>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for n in 0.. {
        tick.tick().await;
        bus.publish(DemoEvent::Tick(n));
    }
}

/// The config watcher's metrics (in the process registry, registered once).
struct ReloadMetrics {
    reloads: IntCounter,
    errors: IntCounter,
    last_ok: IntGauge,
}

impl ReloadMetrics {
    fn get() -> &'static ReloadMetrics {
        static METRICS: OnceLock<ReloadMetrics> = OnceLock::new();
        METRICS.get_or_init(|| {
            let reg = |c: Box<dyn prometheus::core::Collector>| {
                registry().register(c).expect("registered once");
            };
            let reloads = IntCounter::new(
                "config_reloads_total",
                "Config changes applied (the generation)",
            )
            .expect("static metric opts");
            let errors = IntCounter::new(
                "config_reload_errors_total",
                "Config files that could not be read, parsed or validated (the last good config stayed)",
            )
            .expect("static metric opts");
            let last_ok = IntGauge::new(
                "config_last_reload_successful",
                "1 when the last config read applied or confirmed the config, 0 when it failed",
            )
            .expect("static metric opts");
            reg(Box::new(reloads.clone()));
            reg(Box::new(errors.clone()));
            reg(Box::new(last_ok.clone()));
            ReloadMetrics {
                reloads,
                errors,
                last_ok,
            }
        })
    }
}

/// Polls the config file; applies valid changes, keeps the last good config on errors.
async fn watch_config(
    path: Option<PathBuf>,
    bus: Bus<DemoEvent>,
    metrics: Arc<Metrics>,
    health: Arc<HealthState>,
) {
    let m = ReloadMetrics::get();
    let Some(path) = path else {
        say!("config: RON_CONFIG unset, using defaults (amnesia = false, version = 0)");
        m.last_ok.set(1);
        let _ = health.set_gate(GATE_CONFIG_LOADED, true);
        return;
    };
    let mut watcher = Watcher::new(path.clone());
    let mut poll = tokio::time::interval(CONFIG_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        poll.tick().await;
        let read = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || config::read_bounded(&path))
                .await
                .unwrap_or_else(|e| Err(ReadError::Io(e.to_string())))
        };
        match watcher.observe(read) {
            Outcome::Unchanged => {}
            Outcome::Same => {
                m.last_ok.set(1);
                health.clear_error(CONFIG_ERROR_SOURCE);
            }
            Outcome::Failed(message) => {
                m.errors.inc();
                m.last_ok.set(0);
                let kept = if watcher.current().is_some() {
                    "keeping the last good config"
                } else {
                    "no config loaded yet"
                };
                eprintln!("{message}; {kept}");
                health.set_error(CONFIG_ERROR_SOURCE, format!("{message}; {kept}"));
            }
            Outcome::Applied { generation, config } => {
                m.reloads.inc();
                m.last_ok.set(1);
                health.clear_error(CONFIG_ERROR_SOURCE);
                metrics.set_amnesia(config.amnesia);
                say!(
                    "config: generation {generation}: version {} amnesia {} (from {})",
                    config.version,
                    config.amnesia,
                    path.display()
                );
                let _ = health.set_gate(GATE_CONFIG_LOADED, true);
                bus.publish(DemoEvent::ConfigUpdated {
                    generation,
                    version: config.version,
                    amnesia: config.amnesia,
                });
            }
        }
    }
}

/// 10,000 synthetic series in the process registry (`RON_METRICS_LOAD=large`).
fn register_large_registry() {
    let vec = IntCounterVec::new(
        Opts::new(
            "synthetic_load_total",
            "Synthetic series for exposition load tests",
        ),
        &["shard", "series"],
    )
    .expect("static metric opts");
    registry()
        .register(Box::new(vec.clone()))
        .expect("registered once");
    for i in 0..LARGE_SERIES {
        let shard = format!("{}", i % 100);
        let series = format!("s{i:05}");
        vec.with_label_values(&[shard.as_str(), series.as_str()])
            .inc_by(i as u64);
    }
    say!("large registry: {LARGE_SERIES} synthetic series registered");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Polls `cond` for up to 10 s (never reached when passing).
    fn eventually(mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        cond()
    }

    fn config_error(health: &HealthState) -> Option<String> {
        health.snapshot().errors.get(CONFIG_ERROR_SOURCE).cloned()
    }

    /// The defect: a FIFO at the config path blocked the watcher for good (later changes
    /// never applied) and kept the runtime from shutting down (Ctrl-C did not stop the
    /// demo). Now the FIFO is refused and reported, the file that replaces it is applied,
    /// a half-written edit and a 200 MB file keep the last good config (reported), and the
    /// runtime drops promptly.
    #[test]
    fn a_fifo_config_is_refused_and_the_watcher_keeps_going() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // If an assertion fails, shut down in the background instead of hanging the test
        // binary on a blocked reader.
        struct Guard(Option<tokio::runtime::Runtime>);
        impl Drop for Guard {
            fn drop(&mut self) {
                if let Some(runtime) = self.0.take() {
                    runtime.shutdown_background();
                }
            }
        }
        let mut runtime = Guard(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        ));
        let metrics = Metrics::new(BaseLabels::new("kernel_demo", "test", "0"));
        let health = Arc::new(HealthState::new());
        let m = ReloadMetrics::get();
        let errors_before = m.errors.get();
        let task = runtime.0.as_ref().unwrap().spawn(watch_config(
            Some(path.clone()),
            Bus::new(8),
            Arc::clone(&metrics),
            Arc::clone(&health),
        ));

        assert!(
            eventually(|| config_error(&health).is_some_and(|e| e.contains("is a FIFO"))),
            "{:?}",
            config_error(&health)
        );
        assert!(!health.is_ready());
        assert_eq!(m.last_ok.get(), 0);
        assert!(m.errors.get() > errors_before);

        // Replace the FIFO with a good file (write + rename): it is applied.
        let tmp = dir.path().join("demo.toml.tmp");
        std::fs::write(&tmp, "amnesia = true\nversion = 3\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert!(eventually(|| metrics.amnesia() && m.last_ok.get() == 1));
        assert_eq!(config_error(&health), None);
        assert!(health
            .snapshot()
            .missing
            .iter()
            .all(|g| g != GATE_CONFIG_LOADED));

        // A half-written edit is reported and changes nothing.
        std::fs::write(&path, "amnesia = fa").unwrap();
        assert!(eventually(
            || config_error(&health).is_some_and(|e| e.contains("keeping the last good config"))
        ));
        assert!(metrics.amnesia(), "a half-written config flipped amnesia");
        assert_eq!(m.last_ok.get(), 0);

        // 200 MB (sparse) at the path: refused from its size, never read.
        let big = dir.path().join("big.tmp");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(200 << 20)
            .unwrap();
        std::fs::rename(&big, &path).unwrap();
        assert!(
            eventually(
                || config_error(&health).is_some_and(|e| e.contains("over the 65536-byte limit"))
            ),
            "{:?}",
            config_error(&health)
        );
        assert!(metrics.amnesia());

        // Shutdown (what Ctrl-C leads to) is not held up by any blocked reader.
        task.abort();
        let runtime = runtime.0.take().unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(runtime);
            let _ = done_tx.send(());
        });
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the runtime did not shut down: a blocking read is stuck");
    }
}
