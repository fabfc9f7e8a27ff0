//! `ls-auth generate`: shell completions and man pages, made from the same clap definitions
//! as the parser, so they cannot describe an option the binary does not have. Packagers and
//! `scripts/install-cli` call it; nothing here reads a key or a token.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Subcommand};
use clap_complete::Shell;

use crate::{Cli, CliError};

const BIN: &str = "ls-auth";

/// What `ls-auth generate` writes.
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Print the completion script for a shell to standard output.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Write the man pages: ls-auth.1 and one page per subcommand (ls-auth-verify.1, ...).
    Man {
        /// The directory to write the pages into (created if missing). Without it, ls-auth.1
        /// alone is printed to standard output.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// Runs `ls-auth generate …`: exit 0, or 1 when the output cannot be written.
pub fn run(what: Generate) -> Result<ExitCode, CliError> {
    let mut cmd = Cli::command();
    let written = match what {
        Generate::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, BIN, &mut script);
            if shell == Shell::Bash {
                script = bash_states_spelled_once(&script);
            }
            write_stdout(&script).map_err(|e| format!("cannot write the completions: {e}"))
        }
        Generate::Man { out_dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .and_then(|()| write_stdout(&page))
                .map_err(|e| format!("cannot write the man page: {e}"))
        }
        Generate::Man { out_dir: Some(dir) } => std::fs::create_dir_all(&dir)
            .and_then(|()| clap_mangen::generate_to(cmd, &dir))
            .map_err(|e| format!("cannot write the man pages into {}: {e}", dir.display())),
    };
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            err!("error: {message}");
            Ok(ExitCode::from(1))
        }
    }
}

fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()
}

/// clap_complete's bash script names its states two ways when the binary's name has a hyphen:
/// the loop that reads the words builds `ls__auth__subcmd__verify`, the case arms that offer
/// the options say `ls__subcmd__auth__subcmd__verify`, so nothing after a subcommand ever
/// completes (clap-rs/clap#6421, open). Spell the arms as the loop does. When upstream is
/// fixed there is nothing left to replace; scripts/test-dist runs the completion either way.
fn bash_states_spelled_once(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let arm = BIN.replace('-', "__subcmd__");
    let state = BIN.replace('-', "__");
    text.replace(&arm, &state).into_bytes()
}
