//! Fault injection for crash tests: `ANSHIN_FAILPOINTS=name,name` makes the process abort (like
//! `kill -9`) when it reaches one of the named points. The points sit between the steps of
//! flows whose steps must commit together, so a test can prove that a crash there loses nothing
//! and spends nothing. Unset (always, outside tests) it costs one atomic load per point.

use std::sync::OnceLock;

static POINTS: OnceLock<Vec<String>> = OnceLock::new();

pub fn hit(name: &str) {
    let points = POINTS.get_or_init(|| {
        std::env::var("ANSHIN_FAILPOINTS")
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    });
    if points.iter().any(|p| p == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
