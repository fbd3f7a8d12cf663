//! `midonet-cli`: MidoNet's command line for our api-gateway (or MidoNet itself). The program
//! lives in `src/cli/`; `midonet-cli --help` describes it.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
