// The course's `get_title`, with nothing but the standard library, shared by two builds: the
// `get_title` worker program (chapter 06's process pool) includes this file, and so does
// `support::titles` (its thread pool), so both pools run exactly the same code.
//
// It speaks just enough HTTP/1.1 for the fake internet on 127.0.0.1: a GET, redirects followed,
// `Content-Length` or chunked bodies. And it finds the title the way the course did: the text
// of the `<h1>`, or else the text of a link inside it, or else that link's `title` attribute,
// or else "NONE".

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Fetches `url` (`http://host:port/path`), following up to five redirects, and returns the
/// body of the final page. Errors for other schemes, bad responses and non-2xx statuses.
pub fn fetch(url: &str) -> io::Result<String> {
    let (status, body) = fetch_with_status(url)?;
    if !(200..300).contains(&status) {
        return Err(io::Error::other(format!("{url} answered {status}")));
    }
    Ok(body)
}

/// Like [`fetch`], but returns the final status with the body instead of failing on a status
/// that is not 2xx (a JSON service may explain a 404 in its body).
pub fn fetch_with_status(url: &str) -> io::Result<(u16, String)> {
    let mut url = url.to_string();
    for _ in 0..=5 {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| io::Error::other(format!("only http:// URLs are supported: {url}")))?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let mut stream = TcpStream::connect(host)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: async-techniques-in-rust\r\n\
             Accept: text/html\r\nConnection: close\r\n\r\n"
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| io::Error::other("a response without headers"))?;
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("a response without a status"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        if (300..400).contains(&status) {
            let location = header("location")
                .ok_or_else(|| io::Error::other("a redirect without a Location"))?;
            url = if location.starts_with('/') {
                format!("http://{host}{location}")
            } else {
                location
            };
            continue;
        }
        let body = match header("transfer-encoding") {
            Some(te) if te.eq_ignore_ascii_case("chunked") => dechunk(body),
            _ => body.to_string(),
        };
        return Ok((status, body));
    }
    Err(io::Error::other(format!("too many redirects from {url}")))
}

/// Joins the chunks of a chunked HTTP body.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// Removes every tag from `html`, squeezes the whitespace, and trims it.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The title of a page, found as the course's `get_title` did: the `<h1>`'s own text, else the
/// text of a link inside the `<h1>`, else that link's `title` attribute, else `"NONE"`.
pub fn title_of(html: &str) -> String {
    let Some(start) = html.find("<h1") else {
        return "NONE".to_string();
    };
    let inner_start = html[start..].find('>').map_or(html.len(), |i| start + i + 1);
    let inner_end = html[inner_start..]
        .find("</h1>")
        .map_or(html.len(), |i| inner_start + i);
    let inner = &html[inner_start..inner_end];
    // The heading's own text: everything outside its links.
    let mut own = String::new();
    let mut rest = inner;
    while let Some(a) = rest.find("<a") {
        own.push_str(&rest[..a]);
        rest = rest[a..].find("</a>").map_or("", |e| &rest[a + e + 4..]);
    }
    own.push_str(rest);
    let own = text_of(&own);
    if !own.is_empty() {
        return own;
    }
    if let Some(a) = inner.find("<a") {
        let tag_end = inner[a..].find('>').map_or(inner.len(), |i| a + i);
        let tag = &inner[a..tag_end];
        let link_end = inner[tag_end..].find("</a>").map_or(inner.len(), |i| tag_end + i);
        let link_text = text_of(&inner[(tag_end + 1).min(link_end)..link_end]);
        if !link_text.is_empty() {
            return link_text;
        }
        if let Some(t) = tag.find("title=\"") {
            let value = &tag[t + 7..];
            if let Some(end) = value.find('"') {
                return value[..end].trim().to_string();
            }
        }
    }
    "NONE".to_string()
}

/// Fetches `url` and returns its title ([`title_of`]).
pub fn get_title(url: &str) -> io::Result<String> {
    fetch(url).map(|html| title_of(&html))
}
