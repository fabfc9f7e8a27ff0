//! Step lines: a spinner while a step runs and a mark when it ends on a terminal; one plain
//! line per finished step when the output is piped; nothing at all in `--json` mode (the
//! steps go into the JSON instead).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Warn,
    Fail,
    Info,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
            Outcome::Info => "info",
        }
    }

    fn mark(self) -> &'static str {
        match self {
            Outcome::Ok => "\u{2713}",
            Outcome::Warn => "!",
            Outcome::Fail => "\u{2717}",
            Outcome::Info => "\u{b7}",
        }
    }
}

/// A spinner drawn by a thread until dropped, on standard output or standard error.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn draw(stderr: bool, text: &str) {
    if stderr {
        let mut out = std::io::stderr().lock();
        let _ = write!(out, "{text}");
        let _ = out.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{text}");
        let _ = out.flush();
    }
}

impl Spinner {
    /// Starts spinning `label` (nothing is drawn unless that stream is a terminal).
    pub fn start(label: &str, stderr: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let terminal = if stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        let handle = terminal.then(|| {
            let label = label.to_owned();
            let flag = stop.clone();
            std::thread::spawn(move || {
                const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                let mut i = 0;
                while !flag.load(Ordering::Relaxed) {
                    draw(
                        stderr,
                        &format!("\r\x1b[2K{} {label}…", FRAMES[i % FRAMES.len()]),
                    );
                    i += 1;
                    std::thread::sleep(Duration::from_millis(80));
                }
                draw(stderr, "\r\x1b[2K");
            })
        });
        Spinner { stop, handle }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Prints steps to standard output.
pub struct Steps {
    terminal: bool,
    json: bool,
    recorded: Vec<Value>,
    spinner: Option<Spinner>,
}

impl Steps {
    /// Spinner and marks when standard output is a terminal; plain lines otherwise.
    pub fn new(json: bool) -> Self {
        Steps {
            terminal: !json && std::io::stdout().is_terminal(),
            json,
            recorded: Vec::new(),
            spinner: None,
        }
    }

    /// Announces a step that is about to take time (a request).
    pub fn start(&mut self, label: &str) {
        self.spinner = None;
        if self.terminal {
            self.spinner = Some(Spinner::start(label, false));
        }
    }

    /// Ends the current step (or records one that took no time).
    pub fn finish(&mut self, outcome: Outcome, name: &str, detail: &str) {
        self.spinner = None;
        self.recorded.push(json!({
            "step": name,
            "outcome": outcome.word().to_lowercase(),
            "detail": detail,
        }));
        if self.json {
            return;
        }
        if self.terminal {
            out!("{} {name}: {detail}", outcome.mark());
        } else {
            out!("{:<4} {name}: {detail}", outcome.word());
        }
    }

    /// Every step so far, for `--json`.
    pub fn recorded(&self) -> &[Value] {
        &self.recorded
    }
}
