//! The launch-day question: while a crowd signs up, does everybody else still get served?
//!
//! The server runs on this process's runtime, as `anshin serve` would. The crowd and the probe
//! each run on a thread and runtime of their own, as they would on other machines, so the figure
//! is the server's latency rather than the bench's own task scheduling. They still share the
//! machine's cores with the server, which makes the figure pessimistic, not flattering.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Measurement, bench_identity, signed_in_user, summarise};
use crate::storage::{Db, ids::random_hex_128};

const CROWD: usize = 200;
const TARGET_P99_MS: f64 = 50.0;
/// Pause between `GET /v1/me` calls, so the probe samples the storm rather than adding to it.
const PROBE_PAUSE_MS: u64 = 5;

/// How the crowd treats a refusal.
#[derive(Clone, Copy)]
enum Crowd {
    /// Waits for `Retry-After`, as browsers on our pages and the documented client contract do.
    Polite,
    /// Sends the next sign-up at once: a script, or a thundering herd of retry buttons.
    Flood,
}

impl Crowd {
    fn describe(self) -> &'static str {
        match self {
            Crowd::Polite => "honouring Retry-After",
            Crowd::Flood => "retrying at once (no back-off)",
        }
    }
}

struct Outcome {
    probe: Measurement,
    accepted: u64,
    shed: u64,
}

pub async fn run(engine: &str, url: &str, duration: Duration) -> anyhow::Result<()> {
    use crate::http::{self, AppState, HttpConfig};
    use crate::identity::password::{HashParams, PasswordHasher};
    let db = Db::open(url).await?.with_keys(crate::keys::Keys::random());
    // The server's own pool: all cores but one hash; the rest of the machine serves everyone else.
    let hasher = PasswordHasher::new(HashParams::OWASP_MINIMUM, PasswordHasher::default_workers(), 64)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity = bench_identity(&db, hasher);
    // One signed-in user for the cheap request, through the real registration flow.
    let session = signed_in_user(&db, &identity).await?;
    let state = AppState::new(db.clone(), HttpConfig::default(), None, false, false).with_identity(identity);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let router = http::router(state);
    let server = tokio::spawn(async move {
        http::serve(listener, router, None, &HttpConfig::default(), std::future::pending()).await
    });
    let mut failure = None;
    for crowd in [Crowd::Polite, Crowd::Flood] {
        match storm(&base_url, &session, crowd, duration).await {
            Ok(o) => println!(
                "  {engine}: {CROWD} clients signing up, {} ({} accepted, {} shed with 503/429): GET /v1/me p50 {:.2} ms, p99 {:.2} ms over {} requests (target p99 < {TARGET_P99_MS} ms: {})",
                crowd.describe(),
                o.accepted,
                o.shed,
                o.probe.p50_ms,
                o.probe.p99_ms,
                o.probe.ops,
                if o.probe.p99_ms < TARGET_P99_MS { "met" } else { "NOT met" }
            ),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        // Let the hashing queue drain so one phase does not start inside the other's backlog.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    server.abort();
    db.close().await;
    failure.map_or(Ok(()), Err)
}

async fn storm(base_url: &str, session: &str, crowd: Crowd, duration: Duration) -> anyhow::Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let (accepted, shed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let crowd_thread = {
        let (url, stop, accepted, shed) = (base_url.to_owned(), stop.clone(), accepted.clone(), shed.clone());
        std::thread::spawn(move || -> anyhow::Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(sign_up_crowd(url, crowd, stop, accepted, shed));
            Ok(())
        })
    };
    // Let the storm build before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe_thread = {
        let (url, session) = (base_url.to_owned(), session.to_owned());
        std::thread::spawn(move || -> anyhow::Result<Measurement> {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(probe(url, session, duration))
        })
    };
    let probed = tokio::task::spawn_blocking(move || probe_thread.join()).await?;
    stop.store(true, Ordering::Relaxed);
    let crowd_result = tokio::task::spawn_blocking(move || crowd_thread.join()).await?;
    let probe = probed.map_err(|_| anyhow::anyhow!("the probe thread panicked"))??;
    crowd_result.map_err(|_| anyhow::anyhow!("the crowd thread panicked"))??;
    Ok(Outcome { probe, accepted: accepted.load(Ordering::Relaxed), shed: shed.load(Ordering::Relaxed) })
}

async fn sign_up_crowd(
    url: String,
    crowd: Crowd,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicU64>,
    shed: Arc<AtomicU64>,
) {
    let client = reqwest::Client::new();
    let run_id = random_hex_128()[..8].to_owned();
    let mut members = Vec::with_capacity(CROWD);
    for c in 0..CROWD {
        let (client, url, stop, run_id, accepted, shed) =
            (client.clone(), url.clone(), stop.clone(), run_id.clone(), accepted.clone(), shed.clone());
        members.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = serde_json::json!({
                    "email": format!("storm-{run_id}-{c}-{n}@example.jp"),
                    "phone": format!("+8180{:08}", c * 100_000 + n),
                    "password": "quiet river lantern 58",
                    "legal_name": "Storm",
                    "date_of_birth": "1990-01-01",
                });
                n += 1;
                let wait_secs = match client.post(format!("{url}/v1/registrations")).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 202 => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        0
                    }
                    Ok(r) => {
                        shed.fetch_add(1, Ordering::Relaxed);
                        retry_after_secs(&r)
                    }
                    Err(_) => {
                        shed.fetch_add(1, Ordering::Relaxed);
                        1
                    }
                };
                if matches!(crowd, Crowd::Polite) && wait_secs > 0 {
                    tokio::time::sleep(Duration::from_secs(wait_secs)).await;
                }
            }
        }));
    }
    for m in members {
        let _ = m.await;
    }
}

fn retry_after_secs(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

async fn probe(url: String, session: String, duration: Duration) -> anyhow::Result<Measurement> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut latencies_us = Vec::new();
    while started.elapsed() < duration {
        let t = Instant::now();
        let r = client.get(format!("{url}/v1/me")).bearer_auth(&session).send().await?;
        anyhow::ensure!(r.status().is_success(), "GET /v1/me failed during the storm: {}", r.status());
        latencies_us.push(t.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_millis(PROBE_PAUSE_MS)).await;
    }
    Ok(summarise(latencies_us, started.elapsed().as_secs_f64()))
}
