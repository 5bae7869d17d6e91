fn main() -> std::process::ExitCode {
    hornbeam::cli::main()
}
