//! Fuzzes both decoders on stable Rust, with no fuzzing toolchain:
//!
//! ```sh
//! cargo run --release -p emvqr --example fuzz -- --iterations 10000000 [--seed N]
//! ```
//!
//! The seed defaults to a fixed value, so two runs see the same inputs. Exits 1 and prints the
//! input on the first panic or round-trip mismatch.

mod engine;

use std::process::ExitCode;
use std::time::Instant;

const DEFAULT_ITERATIONS: u64 = 10_000_000;
const DEFAULT_SEED: u64 = 0x0A45_5E1D;

fn main() -> ExitCode {
    let (iterations, seed) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}\nusage: fuzz [--iterations N] [--seed N]");
            return ExitCode::from(2);
        }
    };
    // Panics are caught and reported with their input; the default hook would print each one too.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    println!("fuzzing {iterations} inputs from seed {seed}");
    let result = engine::run(iterations, seed, |n| println!("  {n} inputs, {:.1} s", start.elapsed().as_secs_f64()));
    let secs = start.elapsed().as_secs_f64();
    match result {
        Ok(r) => {
            println!(
                "ok: {} inputs in {secs:.1} s ({} MPM and {} CPM decoded and round-tripped), no panic, no mismatch",
                r.inputs, r.mpm_decoded, r.cpm_decoded
            );
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("FAILED ({}) after {secs:.1} s: {}\ninput: {:?}", f.mode, f.what, f.input);
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<(u64, u64), String> {
    let (mut iterations, mut seed) = (DEFAULT_ITERATIONS, DEFAULT_SEED);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            v.replace('_', "").parse().map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match arg.as_str() {
            "--iterations" => iterations = value("--iterations")?,
            "--seed" => seed = value("--seed")?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((iterations, seed))
}
