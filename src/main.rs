/// mimalloc: a check on a 20,000-action policy spends a quarter of its time in glibc's
/// malloc/free (millions of small strings and vectors); mimalloc's thread-local free
/// lists roughly halve that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hornbeam::cli::main()
}
