//! The one check of what a load test may target: this machine, by IP address and port.

use crate::Invalid;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A URL that passed [`check_url`]: where to connect, the host as written (for the `Host`
/// header) and the path (`/` when the URL has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `127.0.0.1:PORT` or `[::1]:PORT`.
    pub addr: SocketAddr,
    /// The host and port as the URL wrote them.
    pub host: String,
    /// The path, with its query if any.
    pub path: String,
}

/// Checks a load test's URL: `http://`, an IP address and a port (not 0), this machine only
/// (`127.0.0.1` or `[::1]`), and a path with no spaces or control characters (it goes into the
/// request line as it is).
///
/// ```
/// let target = loadgen::check_url("http://127.0.0.1:8080/api/sun/97227/us")?;
/// assert_eq!(target.path, "/api/sun/97227/us");
/// assert!(loadgen::check_url("http://10.1.2.3:80/").is_err());
/// assert!(loadgen::check_url("http://localhost:80/").is_err());
/// # Ok::<(), loadgen::Invalid>(())
/// ```
pub fn check_url(url: &str) -> Result<Target, Invalid> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Invalid(format!("a load test needs an http:// URL, not {url:?}")))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let addr: SocketAddr = host.parse().map_err(|_| {
        Invalid(format!(
            "a load test targets an IP address and port, like 127.0.0.1:8080, not {host:?}"
        ))
    })?;
    if addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) && addr.ip() != IpAddr::V6(Ipv6Addr::LOCALHOST)
    {
        return Err(Invalid(format!(
            "load tests only target this machine (127.0.0.1 or [::1]), not {}",
            addr.ip()
        )));
    }
    if addr.port() == 0 {
        return Err(Invalid("a load test needs the server's port, not 0".into()));
    }
    if path
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return Err(Invalid(format!(
            "a load test's URL path may not hold spaces or control characters: {path:?}"
        )));
    }
    Ok(Target {
        addr,
        host: host.to_string(),
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_by_address_and_port() {
        assert_eq!(check_url("http://127.0.0.1:9").unwrap().path, "/");
        assert!(check_url("http://[::1]:9/x").is_ok());
        for bad in [
            "https://127.0.0.1:1/",
            "http://example.com/",
            "http://127.0.0.1:0/",
            "http://127.0.0.1/",
            "http://127.0.0.1:80/a b",
            "http://127.0.0.1:80/a\r\nX: y",
            "http://10.1.2.3:80/",
            "http://0.0.0.0:80/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let err = check_url("http://10.1.2.3:80/").unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }
}
