fn main() -> std::process::ExitCode {
    anshin::cli::main()
}
