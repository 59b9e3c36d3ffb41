//! `carillon`: the Carillon SIP server and its administration commands.
//!
//! ```text
//! carillon serve                      run the server (UDP and TCP on port 5060 of every address)
//! carillon user add alice@example.com add a user (password prompted, or --password)
//! carillon user list | user remove U  list or remove users
//! carillon registrations              who is registered, where, until when
//! carillon config check FILE          check a configuration file
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use carillon::{cli, listen, server};
use clap::{Parser, Subcommand};

/// mimalloc: returns freed memory to the system and keeps fragmentation low on a server
/// that allocates per message from several threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Carillon SIP server.
#[derive(Debug, Parser)]
#[command(name = "carillon", version, about)]
struct Cli {
    /// Configuration file (TOML). Without it the embedded defaults apply.
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (the SQLite database). Overrides `server.data_dir`; default
    /// `./carillon-data`. Every subcommand must be given the same place.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// Socket to open: ADDR:PORT (UDP and TCP) or udp:|tcp:|tls:|ws:|wss:ADDR:PORT.
        /// Repeatable; replaces `server.listen` of the configuration.
        #[arg(long, short = 'l', value_name = "ADDR:PORT")]
        listen: Vec<listen::ListenSpec>,
        /// Address of the Prometheus endpoint (`/metrics`); overrides `metrics.listen`.
        #[arg(long, value_name = "ADDR:PORT")]
        metrics: Option<SocketAddr>,
    },
    /// Manages users.
    #[command(subcommand)]
    User(UserCommand),
    /// Lists live registrations: address of record, contact, source, expiry.
    Registrations,
    /// Lists the abuse protection's bans, or lifts one.
    Bans {
        #[command(subcommand)]
        command: Option<BansCommand>,
    },
    /// Configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Adds a user, or sets the password of an existing one.
    Add {
        /// user@domain; the domain becomes served and is the digest realm.
        user: String,
        /// The password; prompted for when absent (standard input when not a terminal).
        #[arg(long)]
        password: Option<String>,
    },
    /// Adds or updates many users from a file: one `user@domain password` per line
    /// (blank lines and lines starting with `#` are skipped).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Lists users.
    List,
    /// Removes a user and its registrations.
    Remove {
        /// user@domain
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum BansCommand {
    /// Lifts a ban: an address (`192.0.2.7`, lifting every ban of it) or a user at an
    /// address (`alice@192.0.2.7`). The running server applies it within seconds.
    Lift {
        /// The banned address or user@address.
        target: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Checks a configuration file and prints the first problem with its line.
    Check {
        /// The file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let result = match args.command {
        Command::Config(ConfigCommand::Check { file }) => cli::config_check(&file),
        Command::Serve { listen, metrics } => cli::load(args.config.as_deref(), args.data)
            .and_then(|mut settings| {
                if !listen.is_empty() {
                    settings.config.server.listen = listen.into_iter().flat_map(|l| l.0).collect();
                }
                if let Some(m) = metrics {
                    settings.config.metrics.listen = m;
                    settings.config.metrics.enabled = true;
                }
                server::run(settings)
            }),
        Command::User(cmd) => {
            cli::load(args.config.as_deref(), args.data).and_then(|s| match cmd {
                UserCommand::Add { user, password } => cli::user_add(&s, &user, password),
                UserCommand::Import { file } => cli::user_import(&s, &file),
                UserCommand::List => cli::user_list(&s),
                UserCommand::Remove { user } => cli::user_remove(&s, &user),
            })
        }
        Command::Bans { command } => {
            cli::load(args.config.as_deref(), args.data).and_then(|s| match command {
                None => cli::bans(&s),
                Some(BansCommand::Lift { target }) => cli::bans_lift(&s, &target),
            })
        }
        Command::Registrations => {
            cli::load(args.config.as_deref(), args.data).and_then(|s| cli::registrations(&s))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carillon: {e}");
            ExitCode::FAILURE
        }
    }
}
