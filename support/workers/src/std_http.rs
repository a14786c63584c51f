//! A blocking HTTP/1.1 GET with nothing but the standard library: a `TcpStream`, a request
//! written by hand, the response read to its end. Enough for the fake internet on 127.0.0.1
//! (chapters 06 to 10): `Connection: close`, up to five redirects, `Content-Length` or chunked
//! bodies.
//!
//! Why not `reqwest::blocking`: chapter 06 calls [`get`] on purpose from the thread an async
//! runtime runs its tasks on, to show a blocking call holding the event loop, and in a debug
//! build (evcxr builds the kernel's dependencies with debug assertions, as `cargo run` does)
//! reqwest's blocking client panics there instead of blocking: it checks, and chapter 10 shows
//! the panic. A release build skips the check and blocks like this client. The worker programs
//! built from this crate also stay free of dependencies, so they build in seconds.
//!
//! Every wait is bounded and every input checked: a URL holding a space or a control character
//! is refused before anything is sent (a CR LF in a path would end the request line and add a
//! header of its own); a connection must be made within [`CONNECT_TIMEOUT`], the whole
//! response must arrive within [`READ_TIMEOUT`] and hold at most [`MAX_RESPONSE`] bytes; the
//! body is decoded only once it is whole, so a chunk that ends inside a character is fine.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long a connection may take to be made.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the whole response may take to arrive once the request is sent.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest response read, headers included: 16 MiB (the fake internet's pages are a few
/// kilobytes).
pub const MAX_RESPONSE: usize = 16 << 20;

/// How many redirects are followed.
pub const MAX_REDIRECTS: usize = 5;

/// A response: its status and its body, decoded as UTF-8 (bytes that are not UTF-8 become
/// U+FFFD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// GETs `url` (`http://host:port/path`), following redirects, and returns the final response
/// whatever its status.
pub fn get(url: &str) -> io::Result<Response> {
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let Target { host, path } = target(&url)?;
        let raw = exchange(host, path)?;
        let Raw {
            status,
            headers,
            body,
        } = parse(&raw)?;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if (300..400).contains(&status) {
            let location =
                header("location").ok_or_else(|| bad("a redirect without a Location"))?;
            url = if location.starts_with('/') {
                format!("http://{host}{location}")
            } else {
                location.to_string()
            };
            continue;
        }
        let body = match (header("transfer-encoding"), header("content-length")) {
            (Some(te), _) if te.eq_ignore_ascii_case("chunked") => dechunk(body)?,
            (_, Some(length)) => {
                let length: usize = length
                    .parse()
                    .map_err(|_| bad(format!("a Content-Length that is not a number: {length}")))?;
                body.get(..length)
                    .ok_or_else(|| bad("a body shorter than its Content-Length"))?
                    .to_vec()
            }
            _ => body.to_vec(),
        };
        let body = String::from_utf8_lossy(&body).into_owned();
        return Ok(Response { status, body });
    }
    Err(bad(format!(
        "more than {MAX_REDIRECTS} redirects from {url}"
    )))
}

/// GETs `url` and returns the body of a 2xx answer; any other status is an error naming it.
pub fn get_ok(url: &str) -> io::Result<String> {
    let Response { status, body } = get(url)?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(io::Error::other(format!("{url} answered {status}")))
    }
}

/// Where a URL points.
struct Target<'a> {
    host: &'a str,
    path: &'a str,
}

fn target(url: &str) -> io::Result<Target<'_>> {
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a URL may not hold spaces or control characters ({c:?} in {url:?})"),
        ));
    }
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("only http:// URLs are supported: {url}"),
        )
    })?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if host.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a URL without a host: {url}"),
        ));
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok(Target { host, path })
}

/// Sends the request and reads the whole response, within the bounds above.
fn exchange(host: &str, path: &str) -> io::Result<Vec<u8>> {
    let mut stream = connect(host)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: async-techniques-in-rust\r\n\
         Accept: text/html\r\nConnection: close\r\n\r\n"
    )?;
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no whole answer from {host} within {READ_TIMEOUT:?}"),
            ));
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Ok(raw);
        }
        if raw.len() + n > MAX_RESPONSE {
            return Err(bad(format!(
                "the answer from {host} is larger than {} MiB",
                MAX_RESPONSE >> 20
            )));
        }
        raw.extend_from_slice(&buffer[..n]);
    }
}

/// Connects to `host` (`name:port`, port 80 if none), trying each of its addresses for at most
/// [`CONNECT_TIMEOUT`].
fn connect(host: &str) -> io::Result<TcpStream> {
    let with_port = if host.rsplit_once(':').is_some_and(|(_, p)| !p.contains(']')) {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let mut last = None;
    for addr in with_port.to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
    }))
}

/// A response split up: its status, its headers, and its body, still encoded.
struct Raw<'a> {
    status: u16,
    headers: Vec<(String, String)>,
    body: &'a [u8],
}

/// Splits a response into its status, its headers and its (still encoded) body.
fn parse(raw: &[u8]) -> io::Result<Raw<'_>> {
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| bad("a response without headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers that are not text"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("a response without a status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Raw {
        status,
        headers,
        body: &raw[end + 4..],
    })
}

/// Joins the chunks of a chunked body, as bytes (a chunk may end inside a character).
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = find(rest, b"\r\n").ok_or_else(|| bad("a chunk without its size"))?;
        let size = std::str::from_utf8(&rest[..line])
            .ok()
            .and_then(|s| s.split(';').next())
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .ok_or_else(|| bad("a chunk size that is not a number"))?;
        rest = &rest[line + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| bad("a chunk shorter than its size"))?;
        body.extend_from_slice(chunk);
        rest = rest[size..]
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("a chunk not followed by CR LF"))?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn bad(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// Runs `f` on a thread and gives up after `limit`: `None` if it had not returned.
    fn within<T: Send + 'static>(
        limit: Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit).ok()
    }

    /// A one-shot server on loopback: answers the first connection with `response` and hands
    /// back the request it read.
    fn serve_once(response: Vec<u8>) -> (String, mpsc::Receiver<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tx.send(request);
                let _ = stream.write_all(&response);
            }
        });
        (format!("http://{addr}"), rx)
    }

    #[test]
    fn a_chunk_may_end_inside_a_character() {
        // "é" is two bytes, C3 A9, sent in two chunks of one byte. Decoding the response before
        // joining the chunks turned each byte into a three-byte U+FFFD and sliced into it.
        let (url, _) = serve_once(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n\xC3\r\n1\r\n\xA9\r\n0\r\n\r\n"
                .to_vec(),
        );
        let got = within(Duration::from_secs(10), move || {
            std::panic::catch_unwind(|| get_ok(&format!("{url}/")).map_err(|e| e.to_string())).ok()
        });
        assert_eq!(got, Some(Some(Ok("é".to_string()))));
    }

    #[test]
    fn a_crlf_in_a_path_is_refused_before_anything_is_sent() {
        let (url, asked) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec());
        let got = get(&format!("{url}/a\r\nX-Injected: yes"));
        assert_eq!(got.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert!(asked.recv_timeout(Duration::from_millis(300)).is_err());
        assert!(get(&format!("{url}/a b")).is_err());
    }

    #[test]
    fn a_response_beyond_the_bound_is_refused() {
        let mut response = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        response.extend(std::iter::repeat_n(b'x', MAX_RESPONSE + 1));
        let (url, _) = serve_once(response);
        let got = within(Duration::from_secs(20), move || {
            get(&format!("{url}/"))
                .map(|r| r.body.len())
                .map_err(|e| e.kind())
        });
        assert_eq!(got, Some(Err(io::ErrorKind::InvalidData)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_that_is_never_accepted_times_out() {
        use std::os::fd::AsRawFd;
        // A listener with a backlog of 0 that never accepts: once its queue is full, Linux
        // drops further connection attempts and connect() waits for minutes.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // SAFETY: listen takes the listener's own open descriptor and an integer.
        assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        while let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            queued.push(stream);
            assert!(queued.len() < 64, "the listener's queue never filled");
        }
        let started = Instant::now();
        let got = within(CONNECT_TIMEOUT * 3, move || {
            get(&format!("http://{addr}/")).map_err(|e| e.kind())
        });
        assert_eq!(got, Some(Err(io::ErrorKind::TimedOut)));
        assert!(started.elapsed() >= CONNECT_TIMEOUT);
    }

    #[test]
    fn statuses_lengths_and_redirects() {
        let (url, _) =
            serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngoneEXTRA".to_vec());
        let response = get(&format!("{url}/x")).unwrap();
        assert_eq!((response.status, response.body.as_str()), (404, "gone"));
        let (url, _) =
            serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone".to_vec());
        assert!(
            get_ok(&format!("{url}/x"))
                .unwrap_err()
                .to_string()
                .contains("404")
        );
        let (target, _) = serve_once(b"HTTP/1.1 200 OK\r\n\r\narrived".to_vec());
        let redirect = format!("HTTP/1.1 302 Found\r\nLocation: {target}/\r\n\r\n");
        let (url, _) = serve_once(redirect.into_bytes());
        assert_eq!(get_ok(&format!("{url}/")).unwrap(), "arrived");
        assert!(get("https://example.com/").is_err());
        assert!(get("http:///path").is_err());
    }

    #[test]
    fn bodies_that_do_not_add_up_are_errors() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert!(dechunk(b"5\r\nhel").is_err());
        assert!(dechunk(b"zz\r\nhello\r\n0\r\n\r\n").is_err());
        assert!(dechunk(b"5\r\nhelloXX0\r\n\r\n").is_err());
    }
}
