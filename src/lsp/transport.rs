//! JSON-RPC over stdio, framed with `Content-Length` headers.
//!
//! `lsp-server`'s own stdio transport ends its reader thread at the first
//! message that is not valid JSON-RPC, which leaves the server deaf; this
//! one reads each frame on its own, hands a malformed one on as
//! `Incoming::Malformed` (the server answers it with an error response), and
//! only stops when stdin ends. Messages themselves are `lsp-server`'s types.

use std::io::{self, BufRead, Read};
use std::sync::mpsc;

use lsp_server::Message;

use crate::out::Out;

/// The largest message read (a whole 256 MiB spec, JSON-escaped, and more).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

pub(crate) enum Incoming {
    Message(Message),
    /// A frame whose body is not a JSON-RPC message; `id` is its `id` when
    /// the body is JSON and has one.
    Malformed {
        id: Option<serde_json::Value>,
        error: String,
    },
}

/// Starts the thread that reads stdin; the receiver disconnects when stdin
/// ends (the client closed it or died).
pub(crate) fn stdin_reader(out: &Out) -> mpsc::Receiver<Incoming> {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new().name("lsp-reader".into()).spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        while let Some(frame) = read_frame(&mut input) {
            let incoming = match frame {
                Ok(body) => parse(&body),
                Err(error) => Incoming::Malformed { id: None, error },
            };
            if sender.send(incoming).is_err() {
                return;
            }
        }
    });
    if let Err(e) = spawned {
        out.eprintln(format_args!("wireplan lsp: cannot start the reader thread: {e}"));
    }
    receiver
}

fn parse(body: &[u8]) -> Incoming {
    match serde_json::from_slice::<Message>(body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => {
            let id = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v.get("id").cloned());
            Incoming::Malformed { id, error: format!("not a JSON-RPC message: {e}") }
        }
    }
}

/// Reads one frame: `None` at the end of the input, `Err` for a frame whose
/// headers are broken (its body, if any, is skipped).
pub(crate) fn read_frame(input: &mut impl BufRead) -> Option<Result<Vec<u8>, String>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut line = String::new();
    let mut saw_header = false;
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => {
                return if saw_header { Some(Err("the input ended inside a message's headers".into())) } else { None };
            }
            Ok(_) => {}
            Err(e) => return if saw_header { Some(Err(e.to_string())) } else { None },
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between messages are tolerated.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value.trim().parse::<usize>().map_err(|_| format!("bad Content-Length `{}`", value.trim())).and_then(
                    |n| if n > MAX_MESSAGE_BYTES { Err(format!("a message of {n} bytes is too large")) } else { Ok(n) },
                ),
            );
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Some(Err(e)),
        None => return Some(Err("a message without a Content-Length header".into())),
    };
    let mut body = Vec::new();
    match input.take(length as u64).read_to_end(&mut body) {
        Ok(n) if n == length => Some(Ok(body)),
        _ => Some(Err("the input ended inside a message".into())),
    }
}

/// Writes messages to stdout, through the one redacting writer: every
/// message masks the credentials of the specs the server holds.
pub(crate) struct Output {
    out: Out,
}

impl Output {
    pub(crate) fn new(out: &Out) -> Self {
        Output { out: out.clone() }
    }

    /// Masks what `redactor` masks in every message from now on (instead
    /// of what it masked before).
    pub(crate) fn mask(&mut self, redactor: crate::redact::Redactor) {
        self.out.replace(redactor);
    }

    pub(crate) fn send(&mut self, message: Message) {
        // `lsp-server` frames the message itself; the body is what follows
        // the headers.
        let mut framed = Vec::new();
        if message.write(&mut framed).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&framed);
        let body = text.split_once("\r\n\r\n").map_or(&*text, |(_, body)| body);
        // A client that went away is noticed by the reader: stdin ends.
        let _ = self.out.frame(body);
    }

    /// An error response to a message that could not be read as a request,
    /// so it has no usable id.
    pub(crate) fn send_error(&mut self, id: Option<serde_json::Value>, code: i32, message: &str) {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id.unwrap_or(serde_json::Value::Null),
            "error": { "code": code, "message": message },
        })
        .to_string();
        let _ = self.out.frame(&body);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_one_by_one_and_broken_ones_reported() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\n\r\nContent-Length: 3\r\n\r\nabc\r\nContent-Length: x\r\n\r\n";
        let mut input = &input[..];
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"{}");
        assert!(read_frame(&mut input).unwrap().is_err());
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"abc");
        assert!(read_frame(&mut input).unwrap().is_err());
        assert!(read_frame(&mut input).is_none());
        assert!(matches!(parse(b"{\"id\": 4, \"method\": 5}"), Incoming::Malformed { id: Some(_), .. }));
    }
}
