/// glibc's allocator spent about a tenth of a payment's CPU in malloc and free under load (perf,
/// `anshin bench pay`); mimalloc's per-thread heaps take most of that away.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    anshin::cli::main()
}
