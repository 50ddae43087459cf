//! `jenzyme-worker`: without arguments, the framed stdin/stdout server; with `--in ...`, the one-shot CLI.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        None | Some("--serve") => jenzyme_worker::serve::run(),
        Some("--help" | "-h") => {
            println!("{}", jenzyme_worker::cli::USAGE);
            0
        }
        Some(_) => jenzyme_worker::cli::run(&args),
    };
    std::process::exit(code);
}
