//! Pools that work like Python's (chapters 05 and 06): a process pool of long-lived workers,
//! and the task handle that both it and a thread pool written in a notebook give back.
//!
//! Python's `ProcessPoolExecutor` and `multiprocessing.Pool` start a fixed number of worker
//! processes (by default one per core) and feed every task to one of them; a worker handles one
//! task after another until the pool shuts down. [`ProcessPool`] does the same with the worker
//! programs of [`crate::process`]: each worker is started once with `--serve`, reads one request
//! per line on its standard input and answers each on its standard output (the protocol is in
//! `support/workers/serve_core.rs`).
//!
//! A submitted task gives back a [`TaskHandle`], the counterpart of Python's `Future` and
//! `AsyncResult`:
//!
//! | Python | here |
//! |---|---|
//! | `pool.submit(fn, *args)`, `pool.apply_async(fn, args)` | [`ProcessPool::submit`] (never blocks) |
//! | `future.result()`, `result.get()` | [`TaskHandle::result`] |
//! | `future.result(timeout)`, `result.get(timeout)` | [`TaskHandle::result_timeout`] |
//! | `future.done()`, `result.ready()` | [`TaskHandle::done`] |
//! | `result.successful()` | [`TaskHandle::successful`] |
//! | `future.cancel()` (only while queued) | [`TaskHandle::cancel`] |
//! | `pool.close()` then `pool.join()`; leaving `with` | [`ProcessPool::close`], [`ProcessPool::join`]; dropping the pool |
//! | `BrokenProcessPool` | [`TaskError::BrokenPool`], [`TaskError::WorkerDied`] |
//! | an exception raised by the task | [`TaskError::Failed`], [`TaskError::Panicked`] |
//!
//! Python's `join()` waits as long as the work takes. Here every wait of the pool's own is
//! bounded: [`ProcessPool::join`] gives the work [`JOIN_LIMIT`] (or the limit given to
//! [`ProcessPool::join_within`]), then kills what has not finished and says so in its error.
//! Dropping a pool stops it at once, as leaving `with multiprocessing.Pool() as pool:` does
//! (its `__exit__` calls `terminate()`): queued tasks fail, running ones lose their worker.
//!
//! A thread pool gives the same handles with [`task`]: the pool keeps the [`Promise`] and the
//! caller gets the [`TaskHandle`].
//!
//! ```
//! use support::pool::ProcessPool;
//! use support::process::Worker;
//! let pool = ProcessPool::new(&Worker::build("do_math")?, 2)?;
//! let tasks: Vec<_> = [("0", "15000000"), ("15000000", "30000000")]
//!     .iter()
//!     .map(|(start, end)| pool.submit(&[start, end]))
//!     .collect::<Result<_, _>>()?;
//! let lines: Vec<String> = tasks.into_iter().map(|t| t.result()).collect::<Result<_, _>>()?;
//! assert!(lines[0].ends_with(" 6566667") && lines[1].ends_with(" 10750000"));
//! pool.join()?;   // every worker has exited and been waited for
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::process::Worker;
use std::any::Any;
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long [`ProcessPool::join`] lets the work run before it kills what has not finished.
pub const JOIN_LIMIT: Duration = Duration::from_secs(60);

/// The fewest worker processes [`max_processes`] allows on any machine.
pub const MIN_PROCESS_LIMIT: usize = 256;

/// The most worker processes a pool may start: [`MIN_PROCESS_LIMIT`], or twice the cores this
/// process may use if that is more. A pool exists to use the cores; a count far beyond them is
/// a typo (a hundred thousand processes would exhaust the system's), refused before anything
/// starts.
pub fn max_processes() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    MIN_PROCESS_LIMIT.max(2 * cores)
}

/// Why a task has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task ran and failed: the worker answered with this error, or its answer could not
    /// be read.
    Failed(String),
    /// The task panicked (in a thread pool's job, or in the parser given to
    /// [`ProcessPool::submit_parsed`]); the worker lives on.
    Panicked(String),
    /// The worker (a process, or a thread) ended while running the task.
    WorkerDied(String),
    /// The task was cancelled before it started.
    Cancelled,
    /// The pool broke (a worker died), was stopped, or was dropped before the task could run.
    BrokenPool(String),
}

impl TaskError {
    /// [`TaskError::Panicked`] with the panic's message, from what `catch_unwind` gave back.
    ///
    /// ```
    /// use support::pool::TaskError;
    /// let caught = std::panic::catch_unwind(|| -> u8 { std::panic::resume_unwind(Box::new("no page")) });
    /// assert_eq!(TaskError::panicked(caught.unwrap_err()), TaskError::Panicked("no page".into()));
    /// ```
    pub fn panicked(payload: Box<dyn Any + Send>) -> TaskError {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        TaskError::Panicked(message)
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskError::Failed(m) => write!(f, "the task failed: {m}"),
            TaskError::Panicked(m) => write!(f, "the task panicked: {m}"),
            TaskError::WorkerDied(m) => write!(f, "the worker died: {m}"),
            TaskError::Cancelled => write!(f, "the task was cancelled before it started"),
            TaskError::BrokenPool(m) => write!(f, "the pool is broken: {m}"),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<TaskError> for std::io::Error {
    fn from(e: TaskError) -> Self {
        std::io::Error::other(e.to_string())
    }
}

impl From<TaskError> for Error {
    fn from(e: TaskError) -> Self {
        Error::Failed(e.to_string())
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for a free worker; [`TaskHandle::cancel`] can still stop it.
    Queued,
    /// A worker is running it.
    Running,
    /// It finished, failed or was cancelled: [`TaskHandle::result`] returns at once.
    Done,
}

/// When a task was submitted, started by a worker, and finished (for a timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskTimes {
    /// When it was submitted (its handle made).
    pub submitted: Instant,
    /// When a worker took it, if one has.
    pub started: Option<Instant>,
    /// When it finished, failed or was cancelled, if it has.
    pub finished: Option<Instant>,
}

enum Slot<T> {
    Queued,
    Running,
    Done(std::result::Result<T, TaskError>),
    Taken,
}

struct State<T> {
    slot: Slot<T>,
    times: TaskTimes,
}

impl<T> State<T> {
    /// Finishes the task with `result` unless it already was; `true` if this finished it.
    fn finish(&mut self, result: std::result::Result<T, TaskError>) -> bool {
        if matches!(self.slot, Slot::Queued | Slot::Running) {
            self.slot = Slot::Done(result);
            self.times.finished = Some(Instant::now());
            true
        } else {
            false
        }
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    changed: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code runs while this lock is held that can panic half-way through a change, so a
        // poisoned lock still guards a whole state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The caller's side of a submitted task: wait for its result, ask whether it is done, or cancel
/// it while it is still queued. Made by a pool's `submit`, or by [`task`].
pub struct TaskHandle<T> {
    shared: Arc<Shared<T>>,
}

/// What [`TaskHandle::result_timeout`] found.
pub enum Waited<T> {
    /// The task finished in time (or had already): its result.
    Ready(std::result::Result<T, TaskError>),
    /// It had not finished: the handle, to wait again or cancel.
    TimedOut(TaskHandle<T>),
}

impl<T> std::fmt::Debug for Waited<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Waited::Ready(Ok(_)) => write!(f, "Ready(Ok(..))"),
            Waited::Ready(Err(e)) => write!(f, "Ready(Err({e:?}))"),
            Waited::TimedOut(h) => write!(f, "TimedOut({:?})", h.state()),
        }
    }
}

impl<T> std::fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("state", &self.state())
            .finish()
    }
}

impl<T> TaskHandle<T> {
    /// Queued, running or done.
    pub fn state(&self) -> TaskState {
        match self.shared.lock().slot {
            Slot::Queued => TaskState::Queued,
            Slot::Running => TaskState::Running,
            Slot::Done(_) | Slot::Taken => TaskState::Done,
        }
    }

    /// When the task was submitted, started and finished, so far.
    pub fn times(&self) -> TaskTimes {
        self.shared.lock().times
    }

    /// Whether the task has finished, failed or been cancelled (Python's `done()` and `ready()`).
    pub fn done(&self) -> bool {
        self.state() == TaskState::Done
    }

    /// Whether it finished without an error; `None` until it is done (Python's `successful()`,
    /// which raises instead).
    pub fn successful(&self) -> Option<bool> {
        match &self.shared.lock().slot {
            Slot::Done(result) => Some(result.is_ok()),
            _ => None,
        }
    }

    /// Cancels the task if no worker has started it: returns `true` if it is now cancelled (its
    /// result is [`TaskError::Cancelled`]), `false` if it is running or done (a running task is
    /// never interrupted, as in Python's `concurrent.futures`).
    pub fn cancel(&self) -> bool {
        let mut state = self.shared.lock();
        if matches!(state.slot, Slot::Queued) {
            state.finish(Err(TaskError::Cancelled));
            self.shared.changed.notify_all();
            true
        } else {
            false
        }
    }

    /// Waits for the task and returns its result (Python's `result()` and `get()`).
    pub fn result(self) -> std::result::Result<T, TaskError> {
        let mut state = self.shared.lock();
        loop {
            if let Slot::Done(_) = state.slot {
                return take(&mut state.slot);
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits at most `timeout` for the result; if the task has not finished by then, gives the
    /// handle back ([`Waited::TimedOut`]) so the caller can wait again or cancel (Python's
    /// `result(timeout)` raises `TimeoutError` and keeps the future).
    pub fn result_timeout(self, timeout: Duration) -> Waited<T> {
        let deadline = Instant::now().checked_add(timeout);
        {
            let mut state = self.shared.lock();
            loop {
                if let Slot::Done(_) = state.slot {
                    return Waited::Ready(take(&mut state.slot));
                }
                let left = match deadline {
                    Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                    None => Duration::from_secs(3600),
                };
                if left.is_zero() {
                    break;
                }
                state = self
                    .shared
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        Waited::TimedOut(self)
    }
}

fn take<T>(slot: &mut Slot<T>) -> std::result::Result<T, TaskError> {
    match std::mem::replace(slot, Slot::Taken) {
        Slot::Done(result) => result,
        // `result` consumes the only handle, so a result is never taken twice.
        _ => Err(TaskError::WorkerDied("the result was already taken".into())),
    }
}

/// The pool's side of a task: [`Promise::start`] it when a worker picks it up (unless it was
/// cancelled), then [`Promise::finish`] it with the result. A promise dropped without an answer
/// (by a worker that stopped) finishes its task with [`TaskError::WorkerDied`], so a handle
/// never waits forever.
pub struct Promise<T> {
    shared: Option<Arc<Shared<T>>>,
}

impl<T> std::fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promise")
            .field("answered", &self.shared.is_none())
            .finish()
    }
}

impl<T> Promise<T> {
    /// Marks the task as running; `false` if it was cancelled (or already finished), and then
    /// the worker must not run it.
    pub fn start(&self) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        let mut state = shared.lock();
        if matches!(state.slot, Slot::Queued) {
            state.slot = Slot::Running;
            state.times.started = Some(Instant::now());
            shared.changed.notify_all();
            true
        } else {
            false
        }
    }

    /// Hands the task its result and wakes whoever waits for it. A cancelled task keeps its
    /// [`TaskError::Cancelled`].
    pub fn finish(mut self, result: std::result::Result<T, TaskError>) {
        if let Some(shared) = self.shared.take() {
            shared.lock().finish(result);
            shared.changed.notify_all();
        }
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.lock().finish(Err(TaskError::WorkerDied(
                "the task ended without an answer (its worker stopped)".into(),
            )));
            shared.changed.notify_all();
        }
    }
}

/// A new queued task: the [`Promise`] for the pool, the [`TaskHandle`] for the caller.
///
/// ```
/// let (promise, handle) = support::pool::task::<u32>();
/// let worker = std::thread::spawn(move || {
///     if promise.start() {
///         promise.finish(Ok(6 * 7));
///     }
/// });
/// assert_eq!(handle.result(), Ok(42));
/// worker.join().unwrap();
/// ```
pub fn task<T>() -> (Promise<T>, TaskHandle<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            slot: Slot::Queued,
            times: TaskTimes {
                submitted: Instant::now(),
                started: None,
                finished: None,
            },
        }),
        changed: Condvar::new(),
    });
    (
        Promise {
            shared: Some(Arc::clone(&shared)),
        },
        TaskHandle { shared },
    )
}

/// A queued request, whatever type its handle returns.
trait Job: Send {
    fn request(&self) -> &str;
    fn start(&self) -> bool;
    fn finish(self: Box<Self>, answer: std::result::Result<String, TaskError>);
}

struct Parsed<T, F> {
    request: String,
    promise: Promise<T>,
    parse: F,
}

impl<T, F> Job for Parsed<T, F>
where
    T: Send,
    F: FnOnce(&str) -> std::result::Result<T, String> + Send,
{
    fn request(&self) -> &str {
        &self.request
    }

    fn start(&self) -> bool {
        self.promise.start()
    }

    /// Runs the caller's parser on the answer. It runs on the feeder's thread, so a parser that
    /// panics must not take the feeder (and with it the worker and every later task) down: the
    /// panic becomes this task's [`TaskError::Panicked`].
    fn finish(self: Box<Self>, answer: std::result::Result<String, TaskError>) {
        let Parsed { promise, parse, .. } = *self;
        let result =
            answer.and_then(
                |line| match catch_unwind(AssertUnwindSafe(|| parse(&line))) {
                    Ok(Ok(value)) => Ok(value),
                    Ok(Err(e)) => Err(TaskError::Failed(format!("{e} (the worker said {line:?})"))),
                    Err(payload) => Err(TaskError::panicked(payload)),
                },
            );
        promise.finish(result);
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Box<dyn Job>>,
    closed: bool,
    broken: Option<String>,
    /// Feeders that have not ended yet.
    feeding: usize,
}

#[derive(Default)]
struct Inbox {
    queue: Mutex<Queue>,
    /// A job arrived, or the queue was closed or broken.
    ready: Condvar,
    /// A feeder ended.
    ended: Condvar,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next job for a feeder, waiting for one; `None` once the queue is closed and empty,
    /// or broken.
    fn next_job(&self) -> Option<Box<dyn Job>> {
        let mut queue = self.lock();
        loop {
            if queue.broken.is_some() {
                return None;
            }
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if queue.closed {
                return None;
            }
            queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Marks the pool broken (keeping the first reason) and fails every queued task (Python's
    /// `BrokenProcessPool`).
    fn break_pool(&self, why: String) {
        let jobs: Vec<Box<dyn Job>> = {
            let mut queue = self.lock();
            queue.broken.get_or_insert(why.clone());
            queue.closed = true;
            queue.jobs.drain(..).collect()
        };
        self.ready.notify_all();
        for job in jobs {
            job.finish(Err(TaskError::BrokenPool(why.clone())));
        }
    }

    fn feeder_ended(&self) {
        self.lock().feeding -= 1;
        self.ended.notify_all();
    }

    /// Waits until every feeder has ended, for at most `limit`; `true` if they all did.
    fn wait_for_feeders(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut queue = self.lock();
        while queue.feeding > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            queue = self
                .ended
                .wait_timeout(queue, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

/// One worker process, shared by its feeder (which waits for it) and the pool (which may kill
/// it). Both go through the one [`Child`], so no signal is ever sent to a process id that has
/// already been waited for, when it may belong to another process.
struct Process {
    pid: u32,
    child: Mutex<Child>,
    /// Running a task right now.
    busy: AtomicBool,
}

impl Process {
    fn lock(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kills the process unless it has exited: `true` if a signal was sent. An exited process
    /// is waited for here, under the same lock, and std's `Child::kill` sends nothing to a child
    /// it has waited for.
    fn kill(&self) -> bool {
        let mut child = self.lock();
        match child.try_wait() {
            Ok(None) => child.kill().is_ok(),
            _ => false,
        }
    }

    /// Waits for the process to exit. It polls rather than blocking in `wait`, so that the lock
    /// is free for [`Process::kill`] meanwhile.
    fn reap(&self) -> io::Result<ExitStatus> {
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(status) = self.lock().try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

/// Starts feeder threads: `std::thread::Builder`, or, in a test, one that fails.
type SpawnFeeder<'a> =
    dyn FnMut(String, Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>> + 'a;

/// A fixed number of long-lived worker processes, fed tasks from one queue: Python's
/// `ProcessPoolExecutor` and `multiprocessing.Pool`. See the [module docs](self).
///
/// [`ProcessPool::join`] closes the queue, lets the workers finish every task already submitted
/// (for at most [`JOIN_LIMIT`]), closes their input and waits for every process. Dropping the
/// pool instead stops it at once. A worker that dies mid-task fails that task with
/// [`TaskError::WorkerDied`] and breaks the pool: queued tasks fail with
/// [`TaskError::BrokenPool`], later submissions are refused, and the other workers are stopped.
/// Whichever way it ends, every worker process is waited for: none is left behind.
pub struct ProcessPool {
    inbox: Arc<Inbox>,
    processes: Vec<Arc<Process>>,
    feeders: Vec<JoinHandle<()>>,
    pids: Vec<u32>,
    worker: String,
    stopped: bool,
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("worker", &self.worker)
            .field("pids", &self.pids)
            .finish()
    }
}

impl ProcessPool {
    /// Starts `processes` copies of `worker` with `--serve`, each waiting for tasks. Fails with
    /// [`Error::InvalidInput`] for 0 or more than [`max_processes`], and with
    /// [`Error::System`] if a process or its feeder thread cannot be started (the processes
    /// already started are then stopped and waited for).
    pub fn new(worker: &Worker, processes: usize) -> Result<ProcessPool> {
        ProcessPool::start(worker, processes, &mut |name, feed| {
            std::thread::Builder::new().name(name).spawn(feed)
        })
    }

    fn start(
        worker: &Worker,
        processes: usize,
        spawn: &mut SpawnFeeder<'_>,
    ) -> Result<ProcessPool> {
        if processes == 0 || processes > max_processes() {
            return Err(Error::InvalidInput(format!(
                "a process pool takes 1 to {} worker processes, not {processes}",
                max_processes()
            )));
        }
        let inbox = Arc::new(Inbox::default());
        let mut pool = ProcessPool {
            inbox: Arc::clone(&inbox),
            processes: Vec::with_capacity(processes),
            feeders: Vec::with_capacity(processes),
            pids: Vec::with_capacity(processes),
            worker: worker.name().to_string(),
            stopped: false,
        };
        for i in 0..processes {
            // On any error below, `pool` is dropped: every process it holds is killed and
            // waited for, this one included.
            let mut child = Command::new(worker.path())
                .arg("--serve")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| {
                    Error::System(format!("could not start worker {}: {e}", worker.name()))
                })?;
            let pipes = (child.stdin.take(), child.stdout.take());
            let process = Arc::new(Process {
                pid: child.id(),
                child: Mutex::new(child),
                busy: AtomicBool::new(false),
            });
            pool.pids.push(process.pid);
            pool.processes.push(Arc::clone(&process));
            let (Some(input), Some(output)) = pipes else {
                return Err(Error::System("a worker's pipes were not opened".into()));
            };
            inbox.lock().feeding += 1;
            let feeder_inbox = Arc::clone(&inbox);
            let feed = Box::new(move || {
                feed(&process, input, BufReader::new(output), &feeder_inbox);
                feeder_inbox.feeder_ended();
            });
            match spawn(format!("process-pool-feeder-{i}"), feed) {
                Ok(feeder) => pool.feeders.push(feeder),
                Err(e) => {
                    inbox.lock().feeding -= 1; // it never started
                    return Err(Error::System(format!(
                        "could not start a feeder thread: {e}"
                    )));
                }
            }
        }
        Ok(pool)
    }

    /// One worker process per core this process may use
    /// ([`Machine::parallel_cores`](crate::machine::Machine::parallel_cores)), as Python's pools
    /// default to `os.cpu_count()`.
    pub fn with_cores(worker: &Worker) -> Result<ProcessPool> {
        ProcessPool::new(worker, crate::machine::Machine::detect().parallel_cores())
    }

    /// Queues a task (its fields: the worker's command-line arguments) and returns at once; the
    /// handle's result is the worker's output line. Fails with [`Error::InvalidInput`] for a
    /// field holding a tab or a line break (they would split the request) and
    /// [`Error::Unavailable`] once the pool is closed or broken.
    pub fn submit(&self, fields: &[&str]) -> Result<TaskHandle<String>> {
        self.submit_parsed(fields, |line| Ok(line.to_string()))
    }

    /// Like [`ProcessPool::submit`], with the worker's output line turned into a `T` by `parse`
    /// (run by the pool when the answer arrives): an `Err` from it fails the task with
    /// [`TaskError::Failed`], a panic with [`TaskError::Panicked`], and the pool carries on.
    pub fn submit_parsed<T, F>(&self, fields: &[&str], parse: F) -> Result<TaskHandle<T>>
    where
        T: Send + 'static,
        F: FnOnce(&str) -> std::result::Result<T, String> + Send + 'static,
    {
        if let Some(bad) = fields.iter().find(|f| f.contains(['\t', '\n', '\r'])) {
            return Err(Error::InvalidInput(format!(
                "a task's fields cannot hold tabs or line breaks: {bad:?}"
            )));
        }
        let (promise, handle) = task();
        let job = Box::new(Parsed {
            request: fields.join("\t"),
            promise,
            parse,
        });
        {
            let mut queue = self.inbox.lock();
            if let Some(why) = &queue.broken {
                return Err(Error::Unavailable(format!("the pool is broken: {why}")));
            }
            if queue.closed {
                return Err(Error::Unavailable(
                    "the pool is closed: it takes no new tasks".into(),
                ));
            }
            queue.jobs.push_back(job);
        }
        self.inbox.ready.notify_one();
        Ok(handle)
    }

    /// The worker processes' ids, in the order they were started.
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// How many worker processes the pool started.
    pub fn processes(&self) -> usize {
        self.pids.len()
    }

    /// Tasks submitted and not yet picked up by a worker.
    pub fn queued(&self) -> usize {
        self.inbox.lock().jobs.len()
    }

    /// Why the pool broke, if it did.
    pub fn broken(&self) -> Option<String> {
        self.inbox.lock().broken.clone()
    }

    /// Takes no more tasks (Python's `Pool.close()`); those already queued still run.
    pub fn close(&self) {
        self.inbox.lock().closed = true;
        self.inbox.ready.notify_all();
    }

    /// Closes the pool and waits until every queued task has run and every worker process has
    /// exited and been waited for (Python's `close()` then `join()`), for at most
    /// [`JOIN_LIMIT`]; see [`ProcessPool::join_within`].
    pub fn join(self) -> Result<()> {
        self.join_within(JOIN_LIMIT)
    }

    /// Like [`ProcessPool::join`], for at most `limit`. If the work has not finished by then,
    /// the workers are killed: the running tasks fail with [`TaskError::WorkerDied`], the
    /// queued ones with [`TaskError::BrokenPool`], and this returns an error that says how many
    /// of each there were. It also returns an error if the pool broke on the way. Every
    /// process is waited for, either way.
    pub fn join_within(mut self, limit: Duration) -> Result<()> {
        self.close();
        if !self.inbox.wait_for_feeders(limit) {
            let running = self
                .processes
                .iter()
                .filter(|p| p.busy.load(Ordering::SeqCst))
                .count();
            let queued = self.queued();
            self.stop(format!(
                "the pool's join gave the work {limit:?}, and it had not finished"
            ));
            return Err(Error::Failed(format!(
                "the pool's work did not finish within {limit:?}: {running} running task(s) \
                 lost their worker, which was killed, and {queued} queued task(s) did not run"
            )));
        }
        let broken = self.broken();
        self.stop("the pool was joined".into());
        match broken {
            Some(why) => Err(Error::System(format!("the pool broke: {why}"))),
            None => Ok(()),
        }
    }

    /// Stops at once (Python's `terminate()`): queued tasks fail with
    /// [`TaskError::BrokenPool`], running ones with [`TaskError::WorkerDied`], and every worker
    /// process is killed and waited for. Dropping the pool does the same.
    pub fn terminate(mut self) {
        self.stop("the pool was terminated".into());
    }

    /// Breaks the pool (unless every feeder has already ended), kills every worker still
    /// running, and waits for every feeder and every process.
    fn stop(&mut self, why: String) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.inbox.break_pool(why);
        for process in &self.processes {
            process.kill();
        }
        for feeder in self.feeders.drain(..) {
            let _ = feeder.join();
        }
        for process in &self.processes {
            let _ = process.reap();
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.stop("the pool was dropped before this task could run".into());
    }
}

/// One feeder thread per worker process: takes a task from the queue, writes its request to the
/// worker, reads the answer, and finally closes the worker's input and waits for it.
fn feed(
    process: &Process,
    mut input: ChildStdin,
    mut output: BufReader<ChildStdout>,
    inbox: &Inbox,
) {
    while let Some(job) = inbox.next_job() {
        if !job.start() {
            continue; // cancelled while it waited
        }
        process.busy.store(true, Ordering::SeqCst);
        let mut line = String::new();
        let exchanged = writeln!(input, "{}", job.request())
            .and_then(|()| input.flush())
            .and_then(|()| output.read_line(&mut line));
        process.busy.store(false, Ordering::SeqCst);
        match exchanged {
            Ok(n) if n > 0 && line.ends_with('\n') => {
                let line = line.trim_end_matches(['\n', '\r']);
                let answer = match line.split_once('\t') {
                    Some(("ok", out)) => Ok(out.to_string()),
                    Some(("err", message)) => Err(TaskError::Failed(message.to_string())),
                    _ => Err(TaskError::Failed(format!("the worker said {line:?}"))),
                };
                job.finish(answer);
            }
            _ => {
                // No whole answer: the process ended (crashed, was killed, or exited).
                drop(input);
                let status = process
                    .reap()
                    .map_or_else(|e| format!("not known: {e}"), |s| s.to_string());
                let why = match inbox.lock().broken.clone() {
                    Some(stopped) => format!(
                        "{stopped}; worker process {} was killed ({status})",
                        process.pid
                    ),
                    None => format!(
                        "worker process {} ended while running a task ({status})",
                        process.pid
                    ),
                };
                job.finish(Err(TaskError::WorkerDied(why.clone())));
                inbox.break_pool(why);
                return;
            }
        }
    }
    drop(input); // end of input: the worker's serve loop ends and it exits
    if inbox.lock().broken.is_some() {
        process.kill();
    }
    let _ = process.reap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{child_pids, child_processes};
    use std::sync::mpsc;

    fn math_pool(processes: usize) -> ProcessPool {
        ProcessPool::new(&Worker::build("do_math").unwrap(), processes).unwrap()
    }

    fn pid_of(line: &str) -> u32 {
        line.split(' ').next().unwrap().parse().unwrap()
    }

    fn wait_until_running<T>(task: &TaskHandle<T>) {
        while task.state() == TaskState::Queued {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

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

    /// A long task: a billion steps (the most the worker takes), a second or more.
    const LONG: [&str; 2] = ["0", "1e9"];

    #[test]
    fn zero_and_absurd_worker_counts_are_clear_errors() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let worker = Worker::build("do_math").unwrap();
        for count in [0, max_processes() + 1, 100_000] {
            let err = ProcessPool::new(&worker, count).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{err}");
            assert!(err.to_string().contains("1 to"), "{err}");
        }
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn workers_are_reused_across_tasks() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(2);
        assert_eq!(child_processes().unwrap(), before + 2);
        let tasks: Vec<_> = (0..6)
            .map(|i| pool.submit(&["0", &format!("{}", 1000 * (i + 1))]).unwrap())
            .collect();
        let lines: Vec<String> = tasks.into_iter().map(|t| t.result().unwrap()).collect();
        let pids: std::collections::BTreeSet<u32> = lines.iter().map(|l| pid_of(l)).collect();
        assert!(pids.len() <= 2 && pids.iter().all(|p| pool.pids().contains(p)));
        assert_eq!(pool.processes(), 2);
        pool.join().unwrap();
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn the_course_results_come_back_in_order() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(2);
        let a = pool.submit(&["0", "15000000"]).unwrap();
        let b = pool.submit(&["15000000", "30000000"]).unwrap();
        assert!(b.result().unwrap().ends_with(" 10750000"));
        assert!(a.result().unwrap().ends_with(" 6566667"));
        pool.join().unwrap();
    }

    #[test]
    fn a_queued_task_can_be_cancelled_and_a_running_one_cannot() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let long = pool.submit(&["0", "1e8"]).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        wait_until_running(&long);
        assert!(!long.cancel());
        assert!(queued.cancel());
        assert!(queued.done());
        assert_eq!(queued.successful(), Some(false));
        let times = queued.times();
        assert!(times.started.is_none() && times.finished.is_some());
        assert_eq!(queued.result(), Err(TaskError::Cancelled));
        let times = long.times();
        assert!(long.result().is_ok());
        assert!(times.started.unwrap() >= times.submitted);
        pool.join().unwrap();
    }

    #[test]
    fn result_timeout_gives_the_handle_back() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let task = pool.submit(&["0", "1e8"]).unwrap();
        let task = match task.result_timeout(Duration::from_millis(1)) {
            Waited::TimedOut(task) => task,
            Waited::Ready(r) => panic!("100 million steps in 1 ms: {r:?}"),
        };
        assert!(!task.done());
        assert_eq!(task.successful(), None);
        match task.result_timeout(Duration::from_secs(60)) {
            Waited::Ready(Ok(line)) => assert!(line.contains(' ')),
            other => panic!("{other:?}"),
        }
        pool.join().unwrap();
    }

    #[test]
    fn a_worker_killed_mid_task_gives_an_error_and_a_broken_pool() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(2);
        let doomed = pool.submit(&LONG).unwrap();
        let other = pool.submit(&LONG).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        wait_until_running(&doomed);
        wait_until_running(&other);
        for process in &pool.processes {
            assert!(process.kill());
        }
        for task in [doomed, other] {
            assert!(matches!(task.result(), Err(TaskError::WorkerDied(_))));
        }
        assert!(matches!(queued.result(), Err(TaskError::BrokenPool(_))));
        assert!(pool.broken().is_some());
        assert!(matches!(
            pool.submit(&["0", "10"]),
            Err(Error::Unavailable(_))
        ));
        assert!(pool.join().is_err());
        assert_eq!(child_processes().unwrap(), before);
    }

    /// Failed before: `terminate()` sent SIGKILL to every recorded pid, even to a worker its
    /// feeder had already waited for, whose id another process may have taken since.
    #[test]
    fn no_signal_goes_to_a_process_already_waited_for() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let task = pool.submit(&LONG).unwrap();
        wait_until_running(&task);
        let process = Arc::clone(&pool.processes[0]);
        assert!(process.kill(), "the running worker is signalled");
        assert!(matches!(task.result(), Err(TaskError::WorkerDied(_))));
        // Its feeder has waited for it (the task's error comes after that).
        assert!(!child_pids().unwrap().contains(&process.pid));
        assert!(
            !process.kill(),
            "a signal went to a process id already waited for"
        );
        pool.terminate();
        assert!(!process.kill());
    }

    /// Failed before: `drop` waited for every queued task, with no bound (a runaway task, such
    /// as `-inf` to 0 before the worker refused it, held the cell forever).
    #[test]
    fn dropping_a_pool_stops_its_work_at_once() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(1);
        let running = pool.submit(&LONG).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        wait_until_running(&running);
        let started = Instant::now();
        drop(pool);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "drop took {:?}",
            started.elapsed()
        );
        assert!(matches!(running.result(), Err(TaskError::WorkerDied(_))));
        assert!(matches!(queued.result(), Err(TaskError::BrokenPool(m)) if m.contains("dropped")));
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn join_lets_the_work_finish_and_waits_for_every_child() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(2);
        let tasks: Vec<_> = (0..5)
            .map(|_| pool.submit(&["0", "1000000"]).unwrap())
            .collect();
        let pids = pool.pids().to_vec();
        pool.join().unwrap();
        assert_eq!(child_processes().unwrap(), before);
        assert!(tasks.iter().all(TaskHandle::done));
        for task in tasks {
            let line = task.result().unwrap();
            assert!(pids.contains(&pid_of(&line)), "{line}");
            assert!(line.ends_with(" 499999"), "one million steps: {line}");
        }
    }

    #[test]
    fn a_join_that_runs_out_of_time_kills_and_says_so() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(1);
        let running = pool.submit(&LONG).unwrap();
        let queued = pool.submit(&LONG).unwrap();
        wait_until_running(&running);
        let started = Instant::now();
        let err = pool.join_within(Duration::from_millis(50)).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(800),
            "{:?}",
            started.elapsed()
        );
        let message = err.to_string();
        assert!(
            message.contains("1 running task") && message.contains("1 queued"),
            "{message}"
        );
        assert!(matches!(running.result(), Err(TaskError::WorkerDied(_))));
        assert!(matches!(queued.result(), Err(TaskError::BrokenPool(_))));
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn terminate_stops_everything_at_once() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(1);
        let running = pool.submit(&LONG).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        wait_until_running(&running);
        pool.terminate();
        assert!(matches!(running.result(), Err(TaskError::WorkerDied(_))));
        assert!(queued.result().is_err());
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn bad_requests_fail_the_task_not_the_pool() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let bad = pool.submit(&["ten"]).unwrap();
        assert!(matches!(bad.result(), Err(TaskError::Failed(m)) if m.contains("usage")));
        let endless = pool.submit(&["-inf", "0"]).unwrap();
        assert!(matches!(endless.result(), Err(TaskError::Failed(m)) if m.contains("2^53")));
        assert!(matches!(
            pool.submit(&["0\t1"]),
            Err(Error::InvalidInput(_))
        ));
        let parsed = pool
            .submit_parsed(&["0", "15000000"], |line| {
                line.split_once(' ')
                    .and_then(|(_, v)| v.parse::<i64>().ok())
                    .ok_or_else(|| "not a number".to_string())
            })
            .unwrap();
        assert_eq!(parsed.result(), Ok(6566667));
        let unparsable = pool
            .submit_parsed(&["0", "10"], |_| Err::<i64, _>("no".to_string()))
            .unwrap();
        assert!(matches!(unparsable.result(), Err(TaskError::Failed(_))));
        pool.close();
        assert!(pool.submit(&["0", "10"]).is_err());
        pool.join().unwrap();
    }

    /// Failed before: the parser ran unguarded on the feeder's thread, so its panic ended the
    /// feeder; on a one-worker pool every later `result()` waited forever, and the worker was
    /// left a zombie.
    #[test]
    fn a_panicking_parser_fails_only_its_task() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(1);
        let bad = pool
            .submit_parsed(&["0", "10"], |_| -> std::result::Result<u8, String> {
                std::panic::resume_unwind(Box::new("a parser bug")) // a panic, without the report
            })
            .unwrap();
        let good = pool.submit(&["0", "10"]).unwrap();
        let results = within(Duration::from_secs(10), move || {
            (bad.result(), good.result())
        });
        let (bad, good) = results.expect("the next task's result() did not return within 10 s");
        assert_eq!(bad, Err(TaskError::Panicked("a parser bug".into())));
        assert!(good.is_ok(), "{good:?}");
        pool.join().unwrap();
        assert_eq!(child_processes().unwrap(), before);
    }

    /// Failed before: the child went into the feeder's closure, so when the thread could not
    /// start, it was dropped without being waited for: a zombie.
    #[test]
    fn a_feeder_that_cannot_start_leaves_no_child() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let worker = Worker::build("do_math").unwrap();
        let mut started = 0;
        let err = ProcessPool::start(&worker, 3, &mut |name, feed| {
            started += 1;
            if started < 3 {
                std::thread::Builder::new().name(name).spawn(feed)
            } else {
                Err(io::Error::other("no more threads"))
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("feeder"), "{err}");
        assert_eq!(child_processes().unwrap(), before);
    }

    #[test]
    fn a_promise_dropped_without_an_answer_fails_its_task() {
        let (promise, handle) = task::<u8>();
        let thread = std::thread::spawn(move || {
            assert!(promise.start());
            std::panic::resume_unwind(Box::new("the job panicked"));
        });
        assert!(thread.join().is_err());
        assert!(matches!(handle.result(), Err(TaskError::WorkerDied(_))));
        let (promise, handle) = task::<u8>();
        assert!(handle.cancel());
        assert!(!promise.start());
        promise.finish(Ok(1));
        assert_eq!(handle.result(), Err(TaskError::Cancelled));
    }
}
