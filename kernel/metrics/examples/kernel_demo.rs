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
//! * Watches the TOML file named by `RON_CONFIG` (`amnesia = true|false`, `version = N`).
//!   On a real content change (not a touch) it flips `amnesia_mode`, bumps the config
//!   generation (`config_reloads_total`) and publishes `ConfigUpdated`. A parse error keeps
//!   the old config, is logged and counted in `config_reload_errors_total`. `/readyz` turns
//!   200 once a config is loaded. Without `RON_CONFIG` the built-in defaults count as
//!   loaded.
//! * `--large` (or `RON_METRICS_LOAD=large`) registers 10,000 synthetic series, for load
//!   tests of a big exposition.
//! * `RON_TLS_FLUSH_THRESHOLD` is validated at startup: a non-number exits with status 2.

use prometheus::{IntCounter, IntCounterVec, Opts};
use ron_bus::{Bus, Packed, RecvError};
use ron_metrics::{registry, tls, BaseLabels, HealthState, Metrics, GATE_CONFIG_LOADED};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
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

/// The watched config file's schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoConfig {
    #[serde(default)]
    amnesia: bool,
    #[serde(default)]
    version: u64,
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
    if let Err(e) = runtime.block_on(run(args)) {
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
        Some(d) => tokio::time::sleep(d).await,
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    say!("kernel_demo: shutting down");
    for task in [publisher, watcher, server] {
        task.abort();
    }
    Ok(())
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

/// The config watcher's counters (registered once: the watcher runs once per process).
struct ReloadCounters {
    reloads: IntCounter,
    errors: IntCounter,
}

impl ReloadCounters {
    fn register() -> Self {
        let reg = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("static metric opts");
            registry()
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        ReloadCounters {
            reloads: reg(
                "config_reloads_total",
                "Config changes applied (the generation)",
            ),
            errors: reg(
                "config_reload_errors_total",
                "Config files that failed to parse",
            ),
        }
    }
}

/// Polls the config file; applies real content changes, keeps the old config on errors.
async fn watch_config(
    path: Option<PathBuf>,
    bus: Bus<DemoEvent>,
    metrics: Arc<Metrics>,
    health: Arc<HealthState>,
) {
    let counters = ReloadCounters::register();
    let Some(path) = path else {
        say!("config: RON_CONFIG unset, using defaults (amnesia = false, version = 0)");
        let _ = health.set_gate(GATE_CONFIG_LOADED, true);
        return;
    };
    let mut last_bytes: Option<Vec<u8>> = None;
    let mut current: Option<DemoConfig> = None;
    let mut generation = 0u64;
    let mut poll = tokio::time::interval(CONFIG_POLL);
    loop {
        poll.tick().await;
        let Ok(bytes) = tokio::fs::read(&path).await else {
            continue; // not there (yet): stay on the current config
        };
        if last_bytes.as_deref() == Some(bytes.as_slice()) {
            continue; // unchanged content (a touch changes only the mtime)
        }
        last_bytes = Some(bytes.clone());
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| toml::from_str::<DemoConfig>(text).map_err(|e| e.to_string()));
        let new = match parsed {
            Ok(c) => c,
            Err(e) => {
                counters.errors.inc();
                eprintln!(
                    "config: {} does not parse, keeping the previous config: {}",
                    path.display(),
                    e.trim()
                );
                continue;
            }
        };
        if current == Some(new) {
            continue; // same values, different formatting
        }
        generation += 1;
        counters.reloads.inc();
        metrics.set_amnesia(new.amnesia);
        say!(
            "config: generation {generation}: version {} amnesia {} (from {})",
            new.version,
            new.amnesia,
            path.display()
        );
        if current.is_none() {
            let _ = health.set_gate(GATE_CONFIG_LOADED, true);
        }
        current = Some(new);
        bus.publish(DemoEvent::ConfigUpdated {
            generation,
            version: new.version,
            amnesia: new.amnesia,
        });
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
