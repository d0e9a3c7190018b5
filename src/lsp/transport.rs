//! JSON-RPC over stdio, framed with `Content-Length` headers.
//!
//! `lsp-server`'s own stdio transport ends its reader thread at the first
//! message that is not valid JSON-RPC, which leaves the server deaf; this
//! one reads stdin as bytes, frame by frame, and never gives up before stdin
//! ends. A frame whose body is not a JSON-RPC message (not UTF-8, not JSON)
//! is handed on as `Incoming::Malformed`, which the server answers with an
//! error response. Input that is not a readable frame (a line that is not a
//! `name: value` header, not UTF-8; headers with a missing, negative,
//! duplicated or too large `Content-Length`) is skipped up to the next line
//! that starts a frame, or to a `Content-Length:` glued inside it, with one
//! error answer for the whole run: a client that wrote garbage is told so
//! once, and its next well-formed message is served. Memory stays bounded
//! whatever arrives: a header line keeps at most `MAX_HEADER_LINE` bytes, a
//! length over `MAX_MESSAGE_BYTES` is not trusted (the bytes after it are
//! skipped as garbage), and at most `MAX_QUEUED` messages wait for the
//! server. Messages themselves are `lsp-server`'s types.

use std::io::{self, BufRead, Read};
use std::sync::mpsc;

use lsp_server::Message;

use crate::out::Out;

/// The largest message read: a spec file at the largest size the loader
/// reads, JSON-escaped, with room to spare.
const MAX_MESSAGE_BYTES: u64 = 4 * crate::source::MAX_FILE_BYTES as u64;

/// The most messages read ahead of the server.
const MAX_QUEUED: usize = 256;

/// The longest header line kept. Real headers are a few dozen bytes; of a
/// longer line only its end is kept, where a frame glued to garbage starts.
const MAX_HEADER_LINE: usize = 4096;

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
    // Bounded: a client that sends faster than the server answers waits,
    // rather than queueing without limit.
    let (sender, receiver) = mpsc::sync_channel(MAX_QUEUED);
    let spawned = std::thread::Builder::new().name("lsp-reader".into()).spawn(move || {
        let stdin = io::stdin();
        let mut frames = Frames::new(stdin.lock());
        while let Some(frame) = frames.next_frame() {
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
            let error = if std::str::from_utf8(body).is_err() {
                "the message body is not UTF-8".to_owned()
            } else {
                format!("not a JSON-RPC message: {e}")
            };
            Incoming::Malformed { id, error }
        }
    }
}

/// The frames of a byte stream.
pub(crate) struct Frames<R> {
    input: R,
    /// The line being read, without its line ending; reused from line to
    /// line.
    line: Vec<u8>,
    /// Whether the start of `line` was dropped (it was over-long).
    cut: bool,
    /// The part of a garbage line that starts a frame, to read next.
    pending: Option<Vec<u8>>,
    /// Whether unreadable input was answered since the last good frame: a
    /// run of it (garbage, broken frames) gets one answer, so what the
    /// server writes stays small whatever it is sent.
    skipping: bool,
}

impl<R: BufRead> Frames<R> {
    pub(crate) fn new(input: R) -> Self {
        Frames { input, line: Vec::new(), cut: false, pending: None, skipping: false }
    }

    /// The next frame's body: `None` at the end of the input, `Err` for the
    /// start of a run of input that is not a readable frame.
    pub(crate) fn next_frame(&mut self) -> Option<Result<Vec<u8>, String>> {
        loop {
            let length = match self.headers()? {
                Ok(length) => length,
                Err(_) if self.skipping => continue,
                Err(e) => {
                    self.skipping = true;
                    return Some(Err(format!("{e}; skipped to the next message")));
                }
            };
            self.skipping = false;
            // Grown as bytes arrive: a length that claims more than is sent
            // costs only what is sent.
            let mut body = Vec::with_capacity(length.min(1 << 16) as usize);
            return match (&mut self.input).take(length).read_to_end(&mut body) {
                Ok(n) if n as u64 == length => Some(Ok(body)),
                _ => Some(Err("the input ended inside a message".into())),
            };
        }
    }

    /// Reads up to the end of a frame's headers and returns its body's
    /// length; `Err` for a line that is no header (the caller reads on from
    /// the next line) or headers without one trusted length (the body, if
    /// any, is then skipped as garbage); `None` at the end of the input.
    fn headers(&mut self) -> Option<Result<u64, String>> {
        let mut length: Option<Result<u64, String>> = None;
        let mut in_headers = false;
        loop {
            if !self.next_line() {
                return in_headers.then(|| Err("the input ended inside a message's headers".to_owned()));
            }
            if self.line.is_empty() && !self.cut {
                if in_headers {
                    return Some(length.unwrap_or_else(|| Err("a message without a Content-Length header".into())));
                }
                // Blank lines between messages are tolerated.
                continue;
            }
            // A frame starts with one of the two headers LSP defines; other
            // headers are ignored inside a frame, and garbage before one.
            let known = |name: &str| ["content-length", "content-type"].iter().any(|h| name.eq_ignore_ascii_case(h));
            let Some((name, value)) = header(&self.line, self.cut).filter(|(name, _)| in_headers || known(name)) else {
                // Not a header: skip it, but read on from a `Content-Length:`
                // in it (after its start, unless that was cut off: the line
                // as it is was just refused).
                let from = usize::from(!self.cut);
                let rest = self.line.get(from..).unwrap_or_default();
                if let Some(at) = find_ignoring_case(rest, b"content-length:") {
                    self.pending = Some(rest[at..].to_vec());
                }
                return Some(Err(if in_headers {
                    "a message's headers hold a line that is not a header".to_owned()
                } else {
                    "bytes that are not a message header".to_owned()
                }));
            };
            in_headers = true;
            if name.eq_ignore_ascii_case("content-length") {
                let this = content_length(value);
                length = match (length, this) {
                    (None, this) => Some(this),
                    (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
                    (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Some(Err(e)),
                    (Some(Ok(_)), Ok(_)) => Some(Err("two different Content-Length headers".to_owned())),
                };
            }
        }
    }

    /// Reads the next line into `line` (up to `\n`, without it or a `\r`
    /// before it); `false` at the end of the input or on a read error (the
    /// client is gone).
    fn next_line(&mut self) -> bool {
        self.line.clear();
        self.cut = false;
        if let Some(pending) = self.pending.take() {
            self.line = pending;
            return true;
        }
        let mut read_any = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            if buf.is_empty() {
                if !read_any {
                    return false;
                }
                break;
            }
            read_any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            self.line.extend_from_slice(chunk);
            self.input.consume(used);
            // Keep the end of an over-long line; trimming at twice the
            // limit keeps the copying linear.
            if self.line.len() > 2 * MAX_HEADER_LINE {
                self.line.drain(..self.line.len() - MAX_HEADER_LINE);
                self.cut = true;
            }
            if done {
                break;
            }
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.len() > MAX_HEADER_LINE {
            self.line.drain(..self.line.len() - MAX_HEADER_LINE);
            self.cut = true;
        }
        true
    }
}

/// A header line's name and value: a name of token characters, a colon,
/// and a value of printable ASCII (and tabs).
fn header(line: &[u8], cut: bool) -> Option<(&str, &str)> {
    if cut {
        return None;
    }
    let colon = memchr::memchr(b':', line)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if name.is_empty() || !name.iter().all(token) || !value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return None;
    }
    // Both are ASCII, checked above.
    Some((std::str::from_utf8(name).ok()?, std::str::from_utf8(value).ok()?))
}

/// A `Content-Length` value: decimal digits only (no sign), at most
/// `MAX_MESSAGE_BYTES`.
fn content_length(value: &str) -> Result<u64, String> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = value.chars().take(40).collect();
        return Err(format!("bad Content-Length `{shown}`: expected a number of bytes"));
    }
    match value.parse::<u64>() {
        Ok(n) if n <= MAX_MESSAGE_BYTES => Ok(n),
        _ => Err(format!("a Content-Length over {MAX_MESSAGE_BYTES} bytes is refused")),
    }
}

/// Where `needle` (lowercase ASCII) first occurs in `hay`, ignoring ASCII case.
fn find_ignoring_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    // Only where the first letter is: a megabyte of garbage is skipped at
    // `memchr`'s speed.
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), hay)
        .find(|&at| hay.get(at..at + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(needle)))
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

    /// Sends a notification, its parameters written straight into the
    /// message: a spec's diagnostics are thousands of objects, and making
    /// them a `serde_json::Value` first (as `lsp-server`'s types hold them)
    /// cost more than the check.
    pub(crate) fn notify(&mut self, method: &str, params: &impl serde::Serialize) {
        #[derive(serde::Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a P,
        }
        let message = Notification { jsonrpc: "2.0", method, params };
        if let Ok(body) = serde_json::to_string(&message) {
            let _ = self.out.frame(&body);
        }
    }

    /// Sends the answer to request `id`, written straight into the message
    /// (see `notify`); `Err` when it cannot be written as JSON, and nothing
    /// was sent.
    pub(crate) fn respond(&mut self, id: lsp_server::RequestId, result: &impl serde::Serialize) -> Result<(), String> {
        #[derive(serde::Serialize)]
        struct Response<'a, R> {
            jsonrpc: &'static str,
            id: lsp_server::RequestId,
            result: &'a R,
        }
        let body = serde_json::to_string(&Response { jsonrpc: "2.0", id, result }).map_err(|e| e.to_string())?;
        let _ = self.out.frame(&body);
        Ok(())
    }

    /// Writes a line to standard error, which editors show as the server's
    /// log.
    pub(crate) fn log(&self, line: &str) {
        self.out.eprintln(format_args!("wireplan lsp: {line}"));
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

    /// Every frame of `input`: a body as text, an error as `!`.
    fn frames(input: &[u8]) -> Vec<String> {
        let mut frames = Frames::new(input);
        std::iter::from_fn(|| frames.next_frame())
            .map(|f| f.map_or_else(|_| "!".to_owned(), |b| String::from_utf8_lossy(&b).into_owned()))
            .collect()
    }

    #[test]
    fn frames_are_read_one_by_one_and_broken_ones_reported() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Type: x\r\n\r\nContent-Length: 3\r\n\r\nabc\r\nContent-Length: x\r\n\r\n";
        assert_eq!(frames(input), ["{}", "!", "abc", "!"]);
        assert!(matches!(parse(b"{\"id\": 4, \"method\": 5}"), Incoming::Malformed { id: Some(_), .. }));
        assert!(matches!(parse(b"\xff"), Incoming::Malformed { error, .. } if error.contains("UTF-8")));
    }

    #[test]
    fn garbage_is_skipped_to_the_next_frame_with_one_error() {
        let frame = b"Content-Length: 2\r\n\r\nok";
        let cases: &[&[u8]] = &[
            // Not UTF-8, on a line of its own and glued to the header.
            b"\xff\xfe\xfd\r\n",
            b"\xff\xfe\xfd",
            b"garbage\nmore garbage\r\n\x00\x01\r\n",
            // Lengths that are negative, signed, huge, not numbers, twice.
            b"Content-Length: -5\r\n\r\n{}\r\n",
            b"Content-Length: +2\r\n\r\nxx",
            b"Content-Length: 99999999999999999999999\r\n\r\n{}",
            b"Content-Length: 1099511627776\r\n\r\n{\"jsonrpc\": \"2.0\"}",
            b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            b"Content-Type: text\r\n\r\n{}\n",
            // A header cut by a bare `\r`, and a header in the middle of a
            // line.
            b"Content-Length: 2\r\r{}",
            b"abc: \xff\r\n",
        ];
        for garbage in cases {
            let input = [*garbage, frame].concat();
            assert_eq!(frames(&input), ["!", "ok"], "{}", String::from_utf8_lossy(garbage));
        }
        // A run of broken frames and garbage is answered once.
        let run = [&b"Content-Length: -1\r\n\r\n"[..], b"\xff\n", b"Content-Length: x\r\n\r\n"].concat().repeat(1000);
        assert_eq!(frames(&[&run[..], frame, &run[..], frame].concat()), ["!", "ok", "!", "ok"]);
        // A duplicated header with the same value is one header.
        assert_eq!(frames(b"Content-Length: 2\r\ncontent-length:2\n\nok"), ["ok"]);
        // Headers ended by `\n` alone are read.
        assert_eq!(frames(b"Content-Length: 2\n\nok"), ["ok"]);
    }

    #[test]
    fn a_long_line_costs_bounded_memory_and_its_end_is_read() {
        let mut input = vec![b'x'; 10 << 20];
        input.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
        assert_eq!(frames(&input), ["!", "ok"]);
        let mut frames = Frames::new(&input[..]);
        assert!(frames.next_line());
        assert!(frames.cut && frames.line.len() <= MAX_HEADER_LINE);
    }

    #[test]
    fn a_length_longer_than_the_input_ends_it() {
        assert_eq!(frames(b"Content-Length: 1000000\r\n\r\n{}"), ["!"]);
    }
}
