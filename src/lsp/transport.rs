//! JSON-RPC over stdio, framed with `Content-Length` headers.
//!
//! `lsp-server`'s own stdio transport ends its reader thread at the first
//! message that is not valid JSON-RPC, which leaves the server deaf; this
//! one reads stdin as bytes, frame by frame, and never gives up before stdin
//! ends. A frame it cannot read (a broken or missing `Content-Length`, a body
//! that is not JSON-RPC) is handed on as `Incoming::Malformed`, which the
//! server answers with an error response. Bytes that are not a header at all
//! (not UTF-8, no `name: value`) are skipped up to the next line that starts
//! a frame, or to a `Content-Length:` inside them, with one error answer for
//! the whole run of them: a client that wrote garbage is told so once, and
//! its next well-formed message is served. Memory stays bounded: a header
//! line keeps at most `MAX_HEADER_LINE` bytes, and a body is refused when its
//! length is over `MAX_MESSAGE_BYTES` (its bytes are then skipped as
//! garbage rather than trusted). Messages themselves are `lsp-server`'s types.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc;

use lsp_server::Message;

/// The largest message read: a spec file at the largest size the loader
/// reads, JSON-escaped, with room to spare.
const MAX_MESSAGE_BYTES: u64 = 4 * crate::source::MAX_FILE_BYTES as u64;

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
pub(crate) fn stdin_reader() -> mpsc::Receiver<Incoming> {
    let (sender, receiver) = mpsc::channel();
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
        eprintln!("wireplan lsp: cannot start the reader thread: {e}");
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

/// One line of input, without its line ending.
struct Line {
    bytes: Vec<u8>,
    /// Whether the start of an over-long line was dropped.
    cut: bool,
}

/// The frames of a byte stream.
pub(crate) struct Frames<R> {
    input: R,
    /// The part of a garbage line that starts a frame, to read next.
    pending: Option<Line>,
    /// Whether garbage was reported since the last frame: a run of it gets
    /// one answer.
    skipping: bool,
}

impl<R: BufRead> Frames<R> {
    pub(crate) fn new(input: R) -> Self {
        Frames { input, pending: None, skipping: false }
    }

    /// The next frame's body: `None` at the end of the input, `Err` for a
    /// frame that cannot be read or a run of bytes that are not one.
    pub(crate) fn next_frame(&mut self) -> Option<Result<Vec<u8>, String>> {
        let mut length: Option<Result<u64, String>> = None;
        let mut in_headers = false;
        loop {
            let Some(line) = self.next_line() else {
                return in_headers.then(|| Err("the input ended inside a message's headers".to_owned()));
            };
            if line.bytes.is_empty() && !line.cut {
                if in_headers {
                    break;
                }
                // Blank lines between messages are tolerated.
                continue;
            }
            // A frame starts with one of the two headers LSP defines; other
            // headers are ignored inside a frame, and garbage before one.
            let known = |name: &str| ["content-length", "content-type"].iter().any(|h| name.eq_ignore_ascii_case(h));
            let Some((name, value)) = header(&line).filter(|(name, _)| in_headers || known(name)) else {
                // Not a header: skip it, but read on from a `Content-Length:`
                // in it (after its start, unless that was cut off: the line
                // as it is was just refused).
                let from = usize::from(!line.cut);
                if let Some(at) = find_ignoring_case(line.bytes.get(from..).unwrap_or_default(), b"content-length:") {
                    self.pending = Some(Line { bytes: line.bytes[from + at..].to_vec(), cut: false });
                }
                if self.skipping {
                    length = None;
                    in_headers = false;
                    continue;
                }
                self.skipping = true;
                return Some(Err(if in_headers {
                    "a message's headers hold a line that is not a header; skipped to the next message".to_owned()
                } else {
                    "bytes that are not a message header; skipped to the next message".to_owned()
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
        // A frame's length that is missing or not trusted makes its body, if
        // any, garbage: it is skipped up to the next frame, without an
        // answer of its own (this one tells).
        self.skipping = !matches!(length, Some(Ok(_)));
        let length = match length {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Some(Err(format!("{e}; skipped to the next message"))),
            None => {
                return Some(Err("a message without a Content-Length header; skipped to the next message".into()));
            }
        };
        // Grown as bytes arrive: a length that claims more than is sent
        // costs only what is sent.
        let mut body = Vec::with_capacity(length.min(1 << 16) as usize);
        match (&mut self.input).take(length).read_to_end(&mut body) {
            Ok(n) if n as u64 == length => Some(Ok(body)),
            _ => Some(Err("the input ended inside a message".into())),
        }
    }

    /// The next line (up to `\n`, without it or a `\r` before it); `None` at
    /// the end of the input or on a read error (the client is gone).
    fn next_line(&mut self) -> Option<Line> {
        if let Some(line) = self.pending.take() {
            return Some(line);
        }
        let mut line = Line { bytes: Vec::new(), cut: false };
        let mut read_any = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            };
            if buf.is_empty() {
                return read_any.then_some(line);
            }
            read_any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            line.bytes.extend_from_slice(chunk);
            self.input.consume(used);
            // Keep the end of an over-long line; trimming at twice the
            // limit keeps the copying linear.
            if line.bytes.len() > 2 * MAX_HEADER_LINE {
                line.bytes.drain(..line.bytes.len() - MAX_HEADER_LINE);
                line.cut = true;
            }
            if done {
                break;
            }
        }
        if line.bytes.last() == Some(&b'\r') {
            line.bytes.pop();
        }
        if line.bytes.len() > MAX_HEADER_LINE {
            line.bytes.drain(..line.bytes.len() - MAX_HEADER_LINE);
            line.cut = true;
        }
        Some(line)
    }
}

/// A header line's name and value: a name of token characters, a colon,
/// and a value of printable ASCII (and tabs).
fn header(line: &Line) -> Option<(&str, &str)> {
    if line.cut {
        return None;
    }
    let colon = memchr::memchr(b':', &line.bytes)?;
    let (name, value) = (&line.bytes[..colon], &line.bytes[colon + 1..]);
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
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Writes messages to stdout.
pub(crate) struct Output {
    out: io::Stdout,
}

impl Output {
    pub(crate) fn new() -> Self {
        Output { out: io::stdout() }
    }

    pub(crate) fn send(&mut self, message: Message) {
        let mut out = self.out.lock();
        // A client that went away is noticed by the reader: stdin ends.
        let _ = message.write(&mut out);
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
        let mut out = self.out.lock();
        let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len()).and_then(|()| out.flush());
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
        let line = frames.next_line().unwrap();
        assert!(line.cut && line.bytes.len() <= MAX_HEADER_LINE);
    }

    #[test]
    fn a_length_longer_than_the_input_ends_it() {
        assert_eq!(frames(b"Content-Length: 1000000\r\n\r\n{}"), ["!"]);
    }
}
