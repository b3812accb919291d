//! `dualnet`: run the whole system on one node, and tools around it.

#![cfg_attr(test, allow(clippy::too_many_lines))]

mod asyncapi;
mod bearer;
mod bench;
mod demo;
mod events;
mod token;
mod up;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "dualnet", version, about = "The linked dual network of grassroots governance")]
struct Cli {
    /// TOML configuration file (settings also come from DUALNET_* variables).
    #[arg(long, global = true, env = "DUALNET_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// All four services in one process on one gRPC port, on the PostgreSQL
    /// log transport. Without database.url it runs a private PostgreSQL.
    Up(up::Args),
    /// Read the event flow as JSON lines.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Print the AsyncAPI 3 document of every topic and message (JSON).
    Asyncapi,
    /// Write the compiled protobuf contract (a FileDescriptorSet) to stdout,
    /// for subscribers that decode payloads without the .proto files.
    DescriptorSet,
    /// Drive a running system with complaints; report filing and linkage
    /// latency, throughput, CPU and memory against the broker and database
    /// floor measured in the same run.
    Bench(bench::Args),
    /// Mint a bearer token for local use and demos, signed with the
    /// configured key (auth.signing_kid).
    Token(token::Args),
    /// Inspect, retry or discard dead letters.
    #[command(subcommand)]
    Deadletter(events::DeadletterCommand),
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Print events of the topics as JSON lines, decoded from protobuf.
    Tail(events::TailArgs),
    /// Move a stopped service's consumer group back to an offset or a time.
    Replay(events::ReplayArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = dualnet_platform::config::Config::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Up(args) => runtime.block_on(up::run(args, config)),
        Command::Events(EventsCommand::Tail(args)) => runtime.block_on(events::tail(args, config)),
        Command::Events(EventsCommand::Replay(args)) => runtime.block_on(events::replay(args, config)),
        Command::Deadletter(command) => runtime.block_on(events::deadletter(command, config)),
        Command::Bench(args) => runtime.block_on(bench::run(args, config)),
        Command::Token(args) => token::run(args, &config),
        Command::Asyncapi => print_json(&asyncapi::document()?),
        Command::DescriptorSet => {
            use std::io::Write;
            Ok(std::io::stdout().write_all(dualnet_proto::FILE_DESCRIPTOR_SET)?)
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
