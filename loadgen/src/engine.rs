//! The generator itself: connections on one thread, the window, the drain, and the count.

use crate::{Report, Settings, Target};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A send more than this after its due time is a late send (open loop).
const LATE: f64 = 0.010;
/// How long a connection waits before it tries again after a failed connect.
const RECONNECT_PAUSE: Duration = Duration::from_millis(50);
/// File descriptors the process needs besides its connections (stdio, epoll, wakers, spares).
const SPARE_FDS: u64 = 32;

/// What the tasks of a run read: the settings, with the request written out once.
#[derive(Debug, Clone)]
struct Config {
    addr: SocketAddr,
    request: Vec<u8>,
    connections: usize,
    window: Duration,
    timeout: Duration,
    drain: Duration,
    settle_limit: Duration,
    ramp_batch: usize,
    ramp_pause: Duration,
    rate: Option<f64>,
}

impl Config {
    fn new(target: &Target, settings: &Settings) -> Config {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: loadgen\r\n\r\n",
            target.path, target.host
        );
        Config {
            addr: target.addr,
            request: request.into_bytes(),
            connections: settings.connections,
            window: settings.window,
            timeout: settings.timeout,
            drain: settings.drain_value(),
            settle_limit: settings.settle_limit,
            ramp_batch: settings.ramp_batch,
            ramp_pause: settings.ramp_pause,
            rate: settings.rate,
        }
    }
}

/// A one-shot signal between tasks of the one thread.
#[derive(Default)]
struct Event {
    fired: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Event {
    fn fire(&self) {
        self.fired.set(true);
        for waker in self.wakers.take() {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.fired.get() {
                Poll::Ready(())
            } else {
                self.wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// One answered request: when it was sent (closed loop) or due (open loop), when its answer
/// arrived (both in seconds since the start), its status, and whether it was sent late.
struct Record {
    reference: f64,
    answered: f64,
    status: u16,
    late: bool,
}

/// What one connection has done, read by the coordinator at the end.
#[derive(Default)]
struct Conn {
    records: Vec<Record>,
    /// The request waiting for its answer: its reference time and whether it was sent late.
    in_flight: Option<(f64, bool)>,
    /// Open loop: the index of the next request not yet sent.
    next_k: u64,
}

/// State every task of the run shares (one thread, so cells suffice).
struct Shared {
    config: Config,
    start: Instant,
    /// Connections whose first connect attempt has finished (connected or failed).
    tried: Cell<usize>,
    all_tried: Event,
    ramp_done: Cell<Option<Instant>>,
    /// Connections that have had their first answer.
    first_answers: Cell<usize>,
    all_answered: Event,
    /// Open loop: the schedule's start, in seconds since the start.
    t0: Cell<Option<f64>>,
    t0_set: Event,
    /// When the window opened, and how many connections were still waiting for their
    /// first answer then.
    open: Cell<Option<(Instant, usize)>>,
    /// When the window closes (known once it has opened).
    close: Cell<Option<Instant>>,
    in_flight: Cell<usize>,
    errors: Cell<usize>,
    first_error: RefCell<Option<String>>,
    sent_total: Cell<usize>,
    answered_total: Cell<usize>,
}

impl Shared {
    fn secs(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.start).as_secs_f64()
    }

    fn at(&self, secs: f64) -> Instant {
        self.start + Duration::from_secs_f64(secs.max(0.0))
    }

    /// The window has closed: no new request may be sent.
    fn sending_over(&self, now: Instant) -> bool {
        self.close.get().is_some_and(|close| now >= close)
    }

    /// The latest the window can close: its close once known, else the settle limit plus
    /// the window (it opens at the settle limit at the latest).
    fn latest_close(&self) -> Instant {
        self.close
            .get()
            .unwrap_or(self.start + self.config.settle_limit + self.config.window)
    }

    fn error(&self, what: String) {
        self.errors.set(self.errors.get() + 1);
        self.first_error.borrow_mut().get_or_insert(what);
    }

    fn tried(&self) {
        let tried = self.tried.get() + 1;
        self.tried.set(tried);
        if tried == self.config.connections {
            let now = Instant::now();
            self.ramp_done.set(Some(now));
            self.start_schedule(now);
            self.all_tried.fire();
        }
    }

    fn first_answer(&self) {
        let answered = self.first_answers.get() + 1;
        self.first_answers.set(answered);
        if answered == self.config.connections {
            // Opened right here, so the request this connection sends next is in the window.
            self.open_window(Instant::now());
            self.all_answered.fire();
        }
    }

    /// Starts the open loop's schedule at `at`, unless it has started.
    fn start_schedule(&self, at: Instant) {
        if self.t0.get().is_none() {
            self.t0.set(Some(self.secs(at)));
            self.t0_set.fire();
        }
    }

    /// Opens the measuring window at `at`, unless it is open.
    fn open_window(&self, at: Instant) {
        if self.open.get().is_none() {
            let waiting = self.config.connections - self.first_answers.get();
            self.open.set(Some((at, waiting)));
            self.close.set(Some(at + self.config.window));
        }
    }

    /// Open loop: when connection `c`'s `k`-th request is due, in seconds since the start.
    fn due(&self, t0: f64, rate: f64, c: usize, k: u64) -> f64 {
        t0 + (c as f64 + k as f64 * self.config.connections as f64) / rate
    }

    /// Connects, trying again after a pause when it fails, until the window has closed
    /// (`None`). `first` is set to false once the first attempt has finished.
    async fn connect(&self, first: &mut bool) -> Option<TcpStream> {
        loop {
            if self.sending_over(Instant::now()) {
                return None;
            }
            let attempt = tokio::time::timeout_at(
                self.latest_close().into(),
                TcpStream::connect(self.config.addr),
            )
            .await;
            let failed = match attempt {
                Err(_) => return None,
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    if std::mem::take(first) {
                        self.tried();
                    }
                    return Some(stream);
                }
                Ok(Err(e)) => e,
            };
            self.error(format!("connect: {failed}"));
            if std::mem::take(first) {
                self.tried();
            }
            tokio::time::sleep(RECONNECT_PAUSE).await;
        }
    }
}

/// One keep-alive connection, sending requests until the window closes. It is dropped (and
/// its socket closed) by the coordinator when the drain ends.
async fn connection(c: usize, shared: Rc<Shared>, conn: Rc<RefCell<Conn>>) {
    let mut first = true;
    let mut answered_once = false;
    let mut stream = shared.connect(&mut first).await;
    let mut buffer = Vec::with_capacity(2048);
    let rate = shared.config.rate;
    let mut t0 = 0.0;
    if rate.is_some() {
        shared.t0_set.wait().await;
        t0 = shared.t0.get().unwrap_or(0.0);
    }
    let mut k: u64 = 0;
    loop {
        // Open loop: wait for the next request's due time.
        let due = rate.map(|rate| shared.due(t0, rate, c, k));
        if let Some(due) = due {
            let due_at = shared.at(due);
            if shared.close.get().is_some_and(|close| due_at >= close) {
                break;
            }
            if due_at > Instant::now() {
                tokio::time::sleep_until(due_at.into()).await;
            }
        }
        let mut live = match stream.take() {
            Some(live) => live,
            None => match shared.connect(&mut first).await {
                Some(live) => live,
                None => break,
            },
        };
        let now = Instant::now();
        // A closed loop sends nothing once the window has closed. An open loop's request that
        // fell due inside the window is sent even if this task woke a moment after it closed
        // (timers are not exact): it belongs to the sample, and the drain waits for it.
        if due.is_none() && shared.sending_over(now) {
            break;
        }
        let sent = shared.secs(now);
        let reference = due.unwrap_or(sent);
        let late = due.is_some_and(|due| sent - due > LATE);
        {
            let mut conn = conn.borrow_mut();
            conn.in_flight = Some((reference, late));
            conn.next_k = k + 1;
        }
        k += 1;
        shared.in_flight.set(shared.in_flight.get() + 1);
        shared.sent_total.set(shared.sent_total.get() + 1);
        let outcome = exchange(&mut live, &shared.config.request, &mut buffer).await;
        shared.in_flight.set(shared.in_flight.get() - 1);
        conn.borrow_mut().in_flight = None;
        match outcome {
            Ok((status, keep_alive)) => {
                let answered = shared.secs(Instant::now());
                conn.borrow_mut().records.push(Record {
                    reference,
                    answered,
                    status,
                    late,
                });
                shared.answered_total.set(shared.answered_total.get() + 1);
                if !std::mem::replace(&mut answered_once, true) {
                    shared.first_answer();
                }
                if keep_alive {
                    stream = Some(live);
                }
            }
            Err(e) => shared.error(e.to_string()),
        }
    }
}

async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    stream.write_all(request).await?;
    read_response(stream, buffer).await
}

/// Appends what the next read gives (up to 2 KiB) to `buffer`; 0 at the end of the stream.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    let old = buffer.len();
    buffer.resize(old + 2048, 0);
    let read = stream.read(&mut buffer[old..]).await;
    let n = *read.as_ref().unwrap_or(&0);
    buffer.truncate(old + n);
    read
}

/// Reads one response: its status line, headers and `Content-Length` body. Returns its status
/// and whether the connection may be used again.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    buffer.clear();
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 64 * 1024 {
            return Err(std::io::Error::other("response headers over 64 KiB"));
        }
        if read_more(stream, buffer).await? == 0 {
            return Err(std::io::Error::other("the server closed the connection"));
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("a response without a status line"))?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("a response without Content-Length"))?;
    let keep_alive = !head
        .lines()
        .any(|l| l.starts_with("connection:") && l.contains("close"));
    let mut have = buffer.len() - head_end;
    while have < length {
        buffer.clear();
        let n = read_more(stream, buffer).await?;
        if n == 0 {
            return Err(std::io::Error::other(
                "the server closed the connection mid-body",
            ));
        }
        have += n;
    }
    Ok((status, keep_alive))
}

/// What the run counted, before it becomes a [`Report`].
struct Counted {
    ramp_secs: f64,
    settle_secs: f64,
    waiting_at_open: usize,
    answers_in_window: usize,
    latencies: Vec<f64>,
    unfinished_lower_bounds: Vec<f64>,
    timeouts: usize,
    non_2xx: usize,
    errors: usize,
    first_error: Option<String>,
    sent_total: usize,
    answered_total: usize,
    late_sends: usize,
}

async fn coordinate(config: Config) -> Counted {
    let start = Instant::now();
    let connections = config.connections;
    let shared = Rc::new(Shared {
        config,
        start,
        tried: Cell::new(0),
        all_tried: Event::default(),
        ramp_done: Cell::new(None),
        first_answers: Cell::new(0),
        all_answered: Event::default(),
        t0: Cell::new(None),
        t0_set: Event::default(),
        open: Cell::new(None),
        close: Cell::new(None),
        in_flight: Cell::new(0),
        errors: Cell::new(0),
        first_error: RefCell::new(None),
        sent_total: Cell::new(0),
        answered_total: Cell::new(0),
    });
    let conns: Vec<Rc<RefCell<Conn>>> = (0..connections)
        .map(|_| Rc::new(RefCell::new(Conn::default())))
        .collect();

    // Ramp up: a batch of connections, a pause, the next batch.
    {
        let shared = Rc::clone(&shared);
        let conns = conns.clone();
        tokio::task::spawn_local(async move {
            let batch = shared.config.ramp_batch;
            for (i, chunk) in conns.chunks(batch).enumerate() {
                if shared.sending_over(Instant::now()) {
                    break;
                }
                if i > 0 && !shared.config.ramp_pause.is_zero() {
                    tokio::time::sleep(shared.config.ramp_pause).await;
                }
                for (j, conn) in chunk.iter().enumerate() {
                    let c = i * batch + j;
                    tokio::task::spawn_local(connection(c, Rc::clone(&shared), Rc::clone(conn)));
                }
            }
        });
    }

    let settle_at = start + shared.config.settle_limit;
    // The open loop's schedule starts when every connection is connected (or at the settle
    // limit, if some never are).
    tokio::select! {
        _ = shared.all_tried.wait() => {}
        _ = tokio::time::sleep_until(settle_at.into()) => {}
    }
    shared.start_schedule(Instant::now());
    // The window opens when every connection has had an answer, or at the settle limit.
    tokio::select! {
        _ = shared.all_answered.wait() => {}
        _ = tokio::time::sleep_until(settle_at.into()) => {}
    }
    shared.open_window(Instant::now());
    let (open, waiting_at_open) = shared.open.get().unwrap_or((Instant::now(), connections));
    let close = open + shared.config.window;
    tokio::time::sleep_until(close.into()).await;
    // The drain: requests in flight may finish, none is sent.
    let drain_end = close + shared.config.drain;
    let close_secs = shared.secs(close);
    // Open loop: a connection whose next request fell due inside the window but whose timer
    // has not fired yet still has a request to send (timers are not exact).
    let due_unsent = || {
        shared.config.rate.is_some_and(|rate| {
            let t0 = shared.t0.get().unwrap_or(0.0);
            conns
                .iter()
                .enumerate()
                .any(|(c, conn)| shared.due(t0, rate, c, conn.borrow().next_k) < close_secs)
        })
    };
    loop {
        let now = Instant::now();
        if (shared.in_flight.get() == 0 && !due_unsent()) || now >= drain_end {
            break;
        }
        let step = (drain_end - now).min(Duration::from_millis(2));
        tokio::time::sleep(step).await;
    }
    let end = Instant::now();

    // Count.
    let (open_s, close_s, end_s) = (shared.secs(open), shared.secs(close), shared.secs(end));
    let in_window = |t: f64| t >= open_s && t < close_s;
    let t0 = shared.t0.get().unwrap_or(0.0);
    let mut report = Counted {
        ramp_secs: shared.ramp_done.get().map_or(end_s, |at| shared.secs(at)),
        settle_secs: open_s,
        waiting_at_open,
        answers_in_window: 0,
        latencies: Vec::new(),
        unfinished_lower_bounds: Vec::new(),
        timeouts: 0,
        non_2xx: 0,
        errors: shared.errors.get(),
        first_error: shared.first_error.borrow().clone(),
        sent_total: shared.sent_total.get(),
        answered_total: shared.answered_total.get(),
        late_sends: 0,
    };
    for (c, conn) in conns.iter().enumerate() {
        let conn = conn.borrow();
        for record in &conn.records {
            if in_window(record.answered) {
                report.answers_in_window += 1;
                if !(200..300).contains(&record.status) {
                    report.non_2xx += 1;
                }
            }
            if in_window(record.reference) {
                report.latencies.push(record.answered - record.reference);
                report.late_sends += usize::from(record.late);
            }
        }
        if let Some((reference, late)) = conn.in_flight
            && in_window(reference)
        {
            report.unfinished_lower_bounds.push(end_s - reference);
            report.late_sends += usize::from(late);
        }
        // Open loop: requests due in the window but never sent waited from their due time.
        if let Some(rate) = shared.config.rate {
            let mut k = conn.next_k;
            loop {
                let due = shared.due(t0, rate, c, k);
                if due >= close_s {
                    break;
                }
                if due >= open_s {
                    report.unfinished_lower_bounds.push(end_s - due);
                }
                k += 1;
            }
        }
    }
    let timeout = shared.config.timeout.as_secs_f64();
    report.timeouts = report
        .latencies
        .iter()
        .chain(&report.unfinished_lower_bounds)
        .filter(|&&l| l > timeout)
        .count();
    report.latencies.sort_by(f64::total_cmp);
    report.unfinished_lower_bounds.sort_by(f64::total_cmp);
    report
}

/// Runs a load test of `target` with `settings` in this process (a single-threaded runtime:
/// one core at most) and returns what it measured. It first raises this process's open-file
/// limit to the hard limit, and fails if that leaves too few for the connections.
pub fn run(target: &Target, settings: &Settings) -> Result<Report, String> {
    let began = Instant::now();
    let (fd_soft, fd_hard) = course_os::raise_open_file_limit()
        .map_err(|e| format!("could not raise the open-file limit: {e}"))?;
    let needed = settings.connections as u64 + SPARE_FDS;
    if fd_soft < needed {
        return Err(format!(
            "{} connections need about {needed} open files, but this process may open only \
             {fd_soft} (its hard limit is {fd_hard}): use fewer connections or raise the hard \
             limit (ulimit -Hn)",
            settings.connections
        ));
    }
    let config = Config::new(target, settings);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not build a tokio runtime: {e}"))?;
    let local = tokio::task::LocalSet::new();
    let counted = local.block_on(&runtime, coordinate(config));
    // Every connection is closed here, before the report is written.
    drop(local);
    drop(runtime);
    let window_secs = settings.window.as_secs_f64();
    Ok(Report {
        connections: settings.connections,
        open_loop_rate: settings.rate,
        ramp_secs: counted.ramp_secs,
        settle_secs: counted.settle_secs,
        waiting_at_open: counted.waiting_at_open,
        window_secs,
        requests: counted.answers_in_window,
        per_second: counted.answers_in_window as f64 / window_secs,
        sent_total: counted.sent_total,
        answered_total: counted.answered_total,
        latencies: counted.latencies,
        unfinished_lower_bounds: counted.unfinished_lower_bounds,
        timeout_secs: settings.timeout.as_secs_f64(),
        timeouts: counted.timeouts,
        non_2xx: counted.non_2xx,
        errors: counted.errors,
        first_error: counted.first_error,
        late_sends: counted.late_sends,
        generator_cpu_secs: course_os::process_cpu().map_or(0.0, |t| t.as_secs_f64()),
        generator_wall_secs: began.elapsed().as_secs_f64(),
        fd_limit: fd_soft,
        app_cpu_secs: 0.0,
        app_wall_secs: 0.0,
    })
}
