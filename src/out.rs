//! The one way text leaves wireplan: standard output, standard error,
//! reports written for the user, the language server's messages and panic
//! messages all go through an `Out`, which masks the credentials of every
//! spec the run has checked (`redact`).
//!
//! A command makes one `Out` when it starts and tells it each spec it
//! checks (`learn`) before printing anything about it, so a new command
//! cannot print a detected secret by forgetting to mask it: there is no
//! other way to print. A test below holds the code to that: no module but
//! this one names `stdout`, `stderr` or a printing macro.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use crate::redact::Redactor;
use crate::write::{WriteError, Writer};

/// Prints through the redactor of every spec checked so far.
#[derive(Clone, Default)]
pub(crate) struct Out {
    // Shared with the panic hook, which prints from wherever a panic is.
    redactor: Arc<RwLock<Redactor>>,
}

impl Out {
    /// An `Out` with nothing to mask yet.
    pub(crate) fn new() -> Self {
        Out::default()
    }

    /// Masks what `redactor` masks, from now on, as well.
    pub(crate) fn learn(&self, redactor: &Redactor) {
        self.redactor.write().unwrap_or_else(PoisonError::into_inner).merge(redactor);
    }

    /// Masks what `redactor` masks instead of what was learned before: for
    /// the language server, whose specs change as the user types (it passes
    /// every spec it holds in one redactor).
    pub(crate) fn replace(&self, redactor: Redactor) {
        *self.redactor.write().unwrap_or_else(PoisonError::into_inner) = redactor;
    }

    /// `text` with every credential learned so far masked.
    /// `text` with the credentials masked; borrowed, not copied, when it
    /// holds none (a report can be tens of megabytes).
    fn masked<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.redactor.read().unwrap_or_else(PoisonError::into_inner).apply(text)
    }

    /// Writes `text` to standard output.
    pub(crate) fn print(&self, text: &str) -> io::Result<()> {
        let text = self.masked(text);
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    }

    /// Writes `text` to standard error; a closed standard error is ignored,
    /// as there is nowhere left to say so.
    pub(crate) fn eprint(&self, text: &str) {
        let text = self.masked(text);
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }

    /// Writes `line` and a line break to standard error.
    pub(crate) fn eprintln(&self, line: impl std::fmt::Display) {
        self.eprint(&format!("{line}\n"));
    }

    /// Writes a report the user asked for (a baseline, an HTML page) to
    /// `path` with the one writer.
    pub(crate) fn write_file(&self, writer: &Writer, path: &Path, text: &str) -> Result<(), WriteError> {
        writer.write_file(path, self.masked(text).as_bytes())
    }

    /// Writes one language-server message (`body`, a JSON-RPC object) to
    /// standard output with its `Content-Length` header. Masks keep the
    /// number of characters, not of bytes, so the length is of the masked body.
    pub(crate) fn frame(&self, body: &str) -> io::Result<()> {
        let body = self.masked(body);
        let mut out = io::stdout().lock();
        write!(out, "Content-Length: {}\r\n\r\n{body}", body.len()).and_then(|()| out.flush())
    }

    /// Prints panics (the message a panic carries may quote the spec: a
    /// string sliced badly is shown in the message) masked and escaped,
    /// instead of the standard hook's raw message.
    pub(crate) fn install_panic_hook(&self) {
        let out = self.clone();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            out.eprintln(format_args!("wireplan panicked{at}: {}", crate::escape::one_line(&payload)));
        }));
    }
}

/// Whether standard output is a terminal (for colour).
pub(crate) fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Whether standard error is a terminal (for colour).
pub(crate) fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::{Path, PathBuf};

    /// What may print, and why: this module, the binary's one fixed
    /// sentence after a panic (its hook, installed by the CLI, has printed
    /// the masked message already), and the fuzz target's panic hook, which
    /// prints nothing: it records the panics it catches and hands every
    /// other to the hook before it.
    const ALLOWED: &[&str] = &["out.rs", "main.rs", "fuzz/mod.rs"];

    /// Ways to reach standard output or error without this module.
    const FORBIDDEN: &[&str] = &[
        "print!(",
        "println!(",
        "eprint!(",
        "eprintln!(",
        "dbg!(",
        "stdout(",
        "stderr(",
        "io::Stdout",
        "io::Stderr",
        ".print()",
        "set_hook(",
    ];

    fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }

    /// Every module prints through `Out`: a `println!` or a handle on
    /// standard output anywhere else (outside tests) fails this test, so
    /// no command, present or future, can print a secret unmasked.
    #[test]
    fn nothing_prints_except_through_out() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.sort();
        let mut found = Vec::new();
        for file in &files {
            let rel = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            if ALLOWED.contains(&rel.as_str()) || rel.contains("tests") {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap();
            // Tests sit at the end of a file, after `#[cfg(test)]`.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for what in FORBIDDEN {
                    // `eprint!(` is not `print!(`, nor `use_stderr(` `stderr(`.
                    // A child process's `.stdout(Stdio::piped())` prints nothing.
                    let named = line.match_indices(what).any(|(at, _)| {
                        let piped = line[at + what.len()..].starts_with("Stdio::");
                        !piped
                            && (!what.starts_with(char::is_alphabetic)
                                || !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
                    });
                    if named {
                        found.push(format!("src/{rel}:{}: `{what}`: print through `out::Out`", n + 1));
                    }
                }
            }
        }
        assert!(found.is_empty(), "output that bypasses the redacting writer:\n{}", found.join("\n"));
        let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
        assert!(
            main.lines().filter(|l| l.contains("eprintln!(")).all(|l| !l.contains('{')),
            "main.rs prints one fixed sentence, nothing formatted"
        );
    }
}
