//! Serving on loopback: a listener that only this machine can reach and that queues thousands of
//! connections ([`listen_on_loopback`]), and [`AppServer`], which runs any axum app on a runtime
//! of its own (chapter 08's apps, and the load generator's tests). The fake internet serves
//! from the same listener.

use crate::error::{Error, Result};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::thread::JoinHandle;
use std::time::Duration;

/// How many connections the kernel may queue for a listener before they are accepted (the
/// standard library asks for 128; Linux caps this at `net.core.somaxconn`, 4,096 by default).
pub const BACKLOG: i32 = 4096;

/// The most blocking threads an [`AppServer`]'s runtime may be given: a guard against a typo.
/// (tokio's default is 512.)
pub const MAX_BLOCKING_THREADS: usize = 4096;

/// Binds `127.0.0.1:{port}` (0: any free port) for `who` (named in errors), listening with a
/// backlog of [`BACKLOG`] connections, non-blocking (ready for tokio); returns the listener and
/// its address.
///
/// ```
/// let (listener, addr) = support::server::listen_on_loopback(0, "a test")?;
/// assert!(addr.ip().is_loopback() && addr.port() != 0);
/// # drop(listener);
/// # Ok::<(), support::Error>(())
/// ```
pub fn listen_on_loopback(port: u16, who: &str) -> Result<(TcpListener, SocketAddr)> {
    use socket2::{Domain, Socket, Type};
    let system = |what: &str, e: std::io::Error| Error::System(format!("{who} {what}: {e}"));
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)
        .map_err(|e| system("could not open a socket", e))?;
    // As the standard library's `TcpListener::bind` does on Unix: a port in TIME_WAIT after
    // an earlier server can be taken again at once.
    #[cfg(unix)]
    socket
        .set_reuse_address(true)
        .map_err(|e| system("could not set SO_REUSEADDR", e))?;
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    socket.bind(&addr.into()).map_err(|e| {
        Error::System(format!(
            "{who} could not listen on 127.0.0.1:{port}: {e}{}",
            if e.kind() == std::io::ErrorKind::AddrInUse {
                " (the port is in use: pick another, or 0 for any free port)"
            } else {
                ""
            }
        ))
    })?;
    socket
        .listen(BACKLOG)
        .map_err(|e| system("could not listen", e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| system("could not make the socket non-blocking", e))?;
    let listener: TcpListener = socket.into();
    let addr = listener
        .local_addr()
        .map_err(|e| system("could not read the server's address", e))?;
    Ok((listener, addr))
}

/// Joins a server's thread (if it is still there) and passes on how the server ended.
pub(crate) fn join_server(thread: Option<JoinHandle<Result<()>>>, who: &str) -> Result<()> {
    match thread {
        Some(thread) => thread
            .join()
            .map_err(|_| Error::System(format!("{who}'s thread panicked")))?,
        None => Ok(()),
    }
}

/// An axum app served on `127.0.0.1` (a free port) by a runtime of its own, with a given
/// number of worker threads, on a thread of its own, so the calling thread stays free (to run
/// a load test, say). Stopping it (or dropping it) closes the listener, drops every connection
/// and joins the runtime's threads, so nothing is left running; a thread stuck in a blocking
/// call is waited for up to 10 s.
///
/// ```
/// use support::axum::{Router, routing::get};
/// let app = Router::new().route("/", get(|| async { "hello" }));
/// let server = support::server::AppServer::start(app, 1)?;
/// assert_eq!(support::titles::fetch(&server.url("/"))?, "hello");
/// server.stop()?;
/// assert!(support::server::AppServer::start(Router::new(), 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AppServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl AppServer {
    /// Starts serving `app` with `workers` worker threads (1 to
    /// [`MAX_WORKERS`](crate::rt::MAX_WORKERS)) and tokio's default pool of at most 512
    /// blocking threads (for `spawn_blocking`).
    pub fn start(app: axum::Router, workers: usize) -> Result<AppServer> {
        AppServer::with_blocking_threads(app, workers, 512)
    }

    /// Like [`AppServer::start`], with a pool of at most `blocking_threads` threads for
    /// `spawn_blocking` (1 to [`MAX_BLOCKING_THREADS`]).
    ///
    /// ```
    /// use support::server::AppServer;
    /// let app = support::axum::Router::new();
    /// assert!(AppServer::with_blocking_threads(app.clone(), 2, 8).is_ok());
    /// assert!(AppServer::with_blocking_threads(app.clone(), 2, 0).is_err());
    /// assert!(AppServer::with_blocking_threads(app, 100_000, 8).is_err());
    /// ```
    pub fn with_blocking_threads(
        app: axum::Router,
        workers: usize,
        blocking_threads: usize,
    ) -> Result<AppServer> {
        if !(1..=crate::rt::MAX_WORKERS).contains(&workers) {
            return Err(Error::InvalidInput(format!(
                "an app server runs 1 to {} worker threads, not {workers}",
                crate::rt::MAX_WORKERS
            )));
        }
        if !(1..=MAX_BLOCKING_THREADS).contains(&blocking_threads) {
            return Err(Error::InvalidInput(format!(
                "an app server's blocking pool holds 1 to {MAX_BLOCKING_THREADS} threads, not \
                 {blocking_threads}"
            )));
        }
        let (listener, addr) = listen_on_loopback(0, "the app server")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .max_blocking_threads(blocking_threads)
            .thread_name("app-server")
            .enable_all()
            .build()
            .map_err(|e| Error::System(format!("could not build the server's runtime: {e}")))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("app-server-main".into())
            .spawn(move || {
                let outcome = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| {
                        Error::System(format!("could not register the socket: {e}"))
                    })?;
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => served
                            .map_err(|e| Error::System(format!("the app server stopped: {e}"))),
                        _ = stopped => Ok(()),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(10));
                outcome
            })
            .map_err(|e| Error::System(format!("could not start the server thread: {e}")))?;
        Ok(AppServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and joins its threads.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        join_server(self.thread.take(), "the app server")
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn the_server_stops_and_frees_its_port() {
        let server = AppServer::start(axum::Router::new(), 1).unwrap();
        let addr = server.addr();
        assert!(addr.ip().is_loopback());
        server.stop().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    /// Issue 25: `AppServer::start` accepted any number of workers (a typo spawned a hundred
    /// thousand threads).
    #[test]
    fn absurd_worker_counts_are_refused() {
        for workers in [0, crate::rt::MAX_WORKERS + 1, 100_000] {
            assert!(
                matches!(
                    AppServer::start(axum::Router::new(), workers),
                    Err(Error::InvalidInput(_))
                ),
                "{workers} workers were accepted"
            );
        }
        for threads in [0, MAX_BLOCKING_THREADS + 1] {
            assert!(
                AppServer::with_blocking_threads(axum::Router::new(), 1, threads).is_err(),
                "{threads} blocking threads were accepted"
            );
        }
    }

    /// The blocking pool's bound holds: with 2 blocking threads, four 200 ms blocking calls
    /// take two rounds.
    #[test]
    fn the_blocking_pool_is_bounded() {
        use axum::routing::get;
        let app = axum::Router::new().route(
            "/",
            get(|| async {
                let slept = tokio::task::spawn_blocking(|| {
                    std::thread::sleep(Duration::from_millis(200));
                });
                slept.await.map(|()| "done").unwrap_or("failed")
            }),
        );
        let server = AppServer::with_blocking_threads(app, 2, 2).unwrap();
        let url = server.url("/");
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert_eq!(crate::titles::fetch(&url).unwrap(), "done"));
            }
        });
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(390), "{took:?}");
        server.stop().unwrap();
    }

    /// The listener queues many more connections than the standard library's 128 before they
    /// are accepted: a crowd of clients connecting at once is not turned away.
    #[test]
    fn the_listener_queues_a_crowd() {
        let (soft, _) = course_os::raise_open_file_limit().unwrap();
        let crowd = 600.min(soft.saturating_sub(64) as usize);
        let (listener, addr) = listen_on_loopback(0, "a test").unwrap();
        // On loopback a connection the backlog has room for is made at once; one it has no room
        // for waits (its SYN is dropped), so the first that waits 500 ms ends the count.
        let connected = (0..crowd)
            .map_while(|_| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()
            })
            .collect::<Vec<_>>();
        assert_eq!(
            connected.len(),
            crowd,
            "only {} of {crowd} connected",
            connected.len()
        );
        drop(listener);
    }

    #[test]
    fn a_port_in_use_is_a_clear_error() {
        let (_listener, addr) = listen_on_loopback(0, "the first").unwrap();
        let err = listen_on_loopback(addr.port(), "the second").unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
    }
}
