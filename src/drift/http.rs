//! A minimal, blocking HTTP/1.1 client over `std::net`, for the management
//! APIs `drift` and `deploy` talk to (RabbitMQ's, Node-RED's admin API).
//!
//! Plain `http://` only: a TLS stack would be the largest dependency of the
//! crate, and these APIs are reached on a private network, through a tunnel
//! or a sidecar. An `https://` URL is refused with a message that says so,
//! and an answer that is not HTTP (a TLS port behind an `http://` URL
//! answers with a binary alert) is a clear error, never a hang. Every
//! request is bounded: connecting, each read and the whole exchange have
//! deadlines, and the headers and the body have size caps, so a hostile or
//! broken server cannot make wireplan wait or allocate without end. One
//! connection per request (`Connection: close`): the exchanges are few.
//!
//! URLs never carry credentials: they come from the environment (the CLI
//! reads it) as an `Auth`, and `Endpoint::shown` is the URL as it may be
//! printed.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The largest answer read: a broker's definitions or a hub's flows of a
/// large estate fit many times over.
pub(crate) const MAX_BODY: usize = 64 << 20;

/// The largest status line plus headers read.
const MAX_HEAD: usize = 64 << 10;

/// Where an API is: host, port and the path it is mounted under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    host: String,
    port: u16,
    /// The path prefix, without a trailing `/` (empty for the root).
    base: String,
}

impl Endpoint {
    /// Reads an `http://host[:port][/path]` URL. Credentials in it and any
    /// other scheme are refused, with a message that shows the URL masked.
    pub(crate) fn parse(url: &str) -> Result<Endpoint, String> {
        let shown = mask_url(url);
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Err(format!(
                "{shown}: https is not supported; wireplan speaks plain HTTP to management APIs (reach them on a \
                 private network, through an SSH tunnel or a local TLS-terminating proxy)"
            ));
        }
        let Some(rest) = url.get(7..).filter(|_| lower.starts_with("http://")) else {
            return Err(format!("{shown}: not an http:// URL"));
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "{shown}: the URL holds credentials; give them in the environment instead (they would end up in \
                 shell history and CI logs)"
            ));
        }
        if path.contains(['?', '#']) {
            return Err(format!("{shown}: the URL must not have a query or fragment"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                let port = port.parse::<u16>().map_err(|_| format!("{shown}: the port is not a number"))?;
                (host, port)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{shown}: no host"));
        }
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{shown}: the path holds spaces or control characters"));
        }
        Ok(Endpoint { host: host.to_owned(), port, base: path.trim_end_matches('/').to_owned() })
    }

    /// The URL as it may be printed (it never holds credentials).
    pub(crate) fn shown(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("http://{host}:{}{}", self.port, self.base)
    }
}

/// `url` with any `user:password@` replaced by `***@`, for messages.
pub(crate) fn mask_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// How a request proves who sends it.
#[derive(Clone)]
pub(crate) enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

/// An answer: its status, content type and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The body as JSON, or why it is not: an HTML page (a proxy's or a
    /// login page), or text that is not JSON.
    pub(crate) fn json(&self) -> Result<serde_json::Value, String> {
        let start = self.body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        if self.content_type.contains("html") || self.body[start..].starts_with(b"<") {
            return Err(
                "the answer is an HTML page, not the API's JSON (a proxy, a login page or the wrong URL?)".into()
            );
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("the answer is not JSON ({e}); is this the API's URL?"))
    }
}

/// A failed exchange: nothing usable came back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HttpError {
    /// No connection (refused, no route, no such host).
    Unreachable(String),
    /// A deadline passed.
    Timeout,
    /// The answer is larger than `MAX_BODY` (or its head than `MAX_HEAD`).
    TooLarge,
    /// The answer is not HTTP/1.x (a TLS port, another protocol).
    NotHttp(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Unreachable(e) => write!(f, "unreachable: {e}"),
            HttpError::Timeout => f.write_str("no answer in time"),
            HttpError::TooLarge => write!(f, "the answer is larger than {} MiB", MAX_BODY >> 20),
            HttpError::NotHttp(why) => write!(
                f,
                "the answer is not HTTP ({why}): is this the API's port? (a TLS port behind an http:// URL answers so too)"
            ),
        }
    }
}

/// Sends requests to one endpoint.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) endpoint: Endpoint,
    auth: Auth,
    /// The deadline of one whole exchange (connect, send, read).
    timeout: Duration,
    max_body: usize,
}

impl Client {
    pub(crate) fn new(endpoint: Endpoint, auth: Auth, timeout: Duration) -> Client {
        Client { endpoint, auth, timeout, max_body: MAX_BODY }
    }

    /// The same client with a smaller body cap (for tests).
    #[cfg(test)]
    pub(crate) fn with_max_body(mut self, max_body: usize) -> Client {
        self.max_body = max_body;
        self
    }

    /// Sends `method path` (relative to the endpoint's base; segments
    /// already encoded with `segment`) with an optional JSON body.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Response, HttpError> {
        let deadline = Instant::now() + self.timeout;
        let mut stream = self.connect(deadline)?;
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\nUser-Agent: wireplan/{}\r\n",
            self.endpoint.base,
            self.endpoint.host,
            env!("CARGO_PKG_VERSION")
        );
        match &self.auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                head.push_str("Authorization: Basic ");
                head.push_str(&base64(format!("{user}:{password}").as_bytes()));
                head.push_str("\r\n");
            }
            Auth::Bearer(token) => {
                head.push_str("Authorization: Bearer ");
                head.push_str(token);
                head.push_str("\r\n");
            }
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        } else if matches!(method, "POST" | "PUT") {
            head.push_str("Content-Length: 0\r\n");
        }
        head.push_str("\r\n");
        let written = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.unwrap_or_default()));
        written.map_err(|e| io_error(&e))?;
        read_response(&mut stream, deadline, self.max_body)
    }

    fn connect(&self, deadline: Instant) -> Result<TcpStream, HttpError> {
        let addrs = (self.endpoint.host.as_str(), self.endpoint.port)
            .to_socket_addrs()
            .map_err(|e| HttpError::Unreachable(format!("cannot resolve {}: {e}", self.endpoint.host)))?;
        let mut last = String::from("no address");
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HttpError::Timeout);
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => {
                    stream.set_nodelay(true).map_err(|e| io_error(&e))?;
                    stream.set_write_timeout(Some(left)).map_err(|e| io_error(&e))?;
                    return Ok(stream);
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => last = "connecting timed out".into(),
                Err(e) => last = e.to_string(),
            }
        }
        Err(HttpError::Unreachable(last))
    }
}

fn io_error(e: &std::io::Error) -> HttpError {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => HttpError::Timeout,
        _ => HttpError::Unreachable(e.to_string()),
    }
}

/// Reads what the server sends until it closes, or the deadline passes, or
/// more than the caps arrive; then parses the head and decodes the body.
fn read_response(stream: &mut TcpStream, deadline: Instant, max_body: usize) -> Result<Response, HttpError> {
    let mut raw: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut head_end = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        stream.set_read_timeout(Some(left)).map_err(|e| io_error(&e))?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(&e)),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if head_end.is_none() {
            if !raw.starts_with(&b"HTTP/1."[..raw.len().min(7)]) {
                return Err(HttpError::NotHttp(describe_start(&raw)));
            }
            head_end = find(&raw, b"\r\n\r\n").map(|i| i + 4);
            if head_end.is_none() && raw.len() > MAX_HEAD {
                return Err(HttpError::TooLarge);
            }
        }
        if let Some(end) = head_end
            && raw.len() - end > max_body + 64 * 1024
        {
            return Err(HttpError::TooLarge);
        }
    }
    let Some(end) = head_end else {
        return Err(HttpError::NotHttp(if raw.is_empty() {
            "the connection closed without an answer".into()
        } else {
            describe_start(&raw)
        }));
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| HttpError::NotHttp("no status".into()))?;
    let mut content_type = String::new();
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.to_ascii_lowercase(),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "content-length" => length = value.parse::<usize>().ok(),
            _ => {}
        }
    }
    let rest = &raw[end..];
    let body = if chunked {
        dechunk(rest, max_body)?
    } else {
        let body = match length {
            Some(n) => rest.get(..n).ok_or_else(|| HttpError::NotHttp("the body ends early".into()))?,
            None => rest,
        };
        if body.len() > max_body {
            return Err(HttpError::TooLarge);
        }
        body.to_vec()
    };
    Ok(Response { status, content_type, body })
}

/// The first bytes of an answer that is not HTTP, for the message.
fn describe_start(raw: &[u8]) -> String {
    if raw.first() == Some(&0x15) || raw.first() == Some(&0x16) {
        return "it starts with a TLS record".into();
    }
    let shown: String = String::from_utf8_lossy(&raw[..raw.len().min(24)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    format!("it starts with {shown:?}")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body, bounded by `max_body`.
fn dechunk(mut rest: &[u8], max_body: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or_else(|| HttpError::NotHttp("a chunk without its size".into()))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| HttpError::NotHttp("a bad chunk size".into()))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if body.len().saturating_add(size) > max_body {
            return Err(HttpError::TooLarge);
        }
        let chunk = rest.get(..size).ok_or_else(|| HttpError::NotHttp("the body ends early".into()))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

/// Percent-encodes one path segment (a vhost, a queue name): everything
/// but RFC 3986's unreserved characters.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 with padding (for HTTP Basic authentication).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    use super::{Auth, Client, Endpoint, HttpError, base64, mask_url, segment};

    #[test]
    fn urls_are_read_and_credentials_refused() {
        let e = Endpoint::parse("http://127.0.0.1:15672/").unwrap();
        assert_eq!(e.shown(), "http://127.0.0.1:15672");
        assert_eq!(Endpoint::parse("http://hub.local/admin/").unwrap().shown(), "http://hub.local:80/admin");
        let err = Endpoint::parse("http://guest:s3cret@host:15672").unwrap_err();
        assert!(err.contains("***@host") && !err.contains("s3cret"), "{err}");
        let err = Endpoint::parse("https://user:pw@host").unwrap_err();
        assert!(err.contains("https is not supported") && !err.contains("pw"), "{err}");
        assert!(Endpoint::parse("ftp://host").is_err());
        assert!(Endpoint::parse("http://").is_err());
        assert!(Endpoint::parse("http://host:99999").is_err());
        assert!(Endpoint::parse("http://host/a b").is_err());
        assert_eq!(mask_url("http://a:b@c/d@e"), "http://***@c/d@e");
    }

    #[test]
    fn encodes() {
        assert_eq!(base64(b"guest:guest"), "Z3Vlc3Q6Z3Vlc3Q=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
        assert_eq!(segment("/"), "%2F");
        assert_eq!(segment("a b/ü"), "a%20b%2F%C3%BC");
    }

    /// Serves `answer` once, on a port of its own.
    fn serve(answer: Vec<u8>, delay: Duration) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                std::thread::sleep(delay);
                let _ = s.write_all(&answer);
            }
        });
        port
    }

    fn client(port: u16) -> Client {
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        Client::new(endpoint, Auth::None, Duration::from_secs(2))
    }

    #[test]
    fn reads_lengths_and_chunks() {
        let port = serve(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            Duration::ZERO,
        );
        let r = client(port).request("GET", "/x", &[], None).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let port = serve(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[1\r\n1\r\n]\r\n0\r\n\r\n".to_vec(),
            Duration::ZERO,
        );
        let r = client(port).request("GET", "/x", &[], None).unwrap();
        assert_eq!(r.json().unwrap(), serde_json::json!([1]));
    }

    #[test]
    fn hostile_answers_are_errors() {
        let port = serve(b"\x15\x03\x01\x00\x02\x02\x46".to_vec(), Duration::ZERO);
        let e = client(port).request("GET", "/", &[], None).unwrap_err();
        assert!(matches!(&e, HttpError::NotHttp(why) if why.contains("TLS")), "{e:?}");
        let port = serve(b"SSH-2.0-OpenSSH\r\n".to_vec(), Duration::ZERO);
        assert!(matches!(client(port).request("GET", "/", &[], None), Err(HttpError::NotHttp(_))));
        let port =
            serve(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>login</html>".to_vec(), Duration::ZERO);
        let r = client(port).request("GET", "/", &[], None).unwrap();
        assert!(r.json().unwrap_err().contains("HTML"));
        let port = serve(b"HTTP/1.1 200 OK\r\n\r\n{\"a\": ".to_vec(), Duration::ZERO);
        assert!(client(port).request("GET", "/", &[], None).unwrap().json().unwrap_err().contains("not JSON"));
        let mut huge = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        huge.resize(huge.len() + 300_000, b' ');
        let port = serve(huge, Duration::ZERO);
        assert_eq!(client(port).with_max_body(1000).request("GET", "/", &[], None).unwrap_err(), HttpError::TooLarge);
        let port =
            serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nab".to_vec(), Duration::ZERO);
        assert_eq!(client(port).with_max_body(1000).request("GET", "/", &[], None).unwrap_err(), HttpError::TooLarge);
        let port = serve(b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), Duration::from_secs(5));
        let slow = Client::new(
            Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            Auth::None,
            Duration::from_millis(300),
        );
        assert_eq!(slow.request("GET", "/", &[], None).unwrap_err(), HttpError::Timeout);
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert!(matches!(client(closed).request("GET", "/", &[], None), Err(HttpError::Unreachable(_))));
    }
}
