//! A short run of the fuzz example's engine, so every `cargo test` feeds both decoders mutated
//! golden payloads and checks the round trip. The long run is
//! `cargo run --release -p emvqr --example fuzz -- --iterations 10000000`.

#[path = "../examples/fuzz/engine.rs"]
mod engine;

/// Enough to reach every mutation many times; a debug build does it in seconds.
const QUICK_ITERATIONS: u64 = 100_000;

#[test]
fn a_hundred_thousand_fuzzed_inputs_never_panic_and_round_trip() {
    match engine::run(QUICK_ITERATIONS, 7, |_| {}) {
        Ok(r) => {
            assert_eq!(r.inputs, QUICK_ITERATIONS);
            // Mutations that never decode would test only the first check.
            assert!(r.mpm_decoded > QUICK_ITERATIONS / 50, "only {} MPM inputs decoded", r.mpm_decoded);
            assert!(r.cpm_decoded > QUICK_ITERATIONS / 50, "only {} CPM inputs decoded", r.cpm_decoded);
        }
        Err(f) => panic!("{} failed: {}\ninput: {:?}", f.mode, f.what, f.input),
    }
}
