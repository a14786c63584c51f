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
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Why a task has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task ran and failed: the worker answered with this error.
    Failed(String),
    /// The worker (a process, or a thread that panicked) ended while running the task.
    WorkerDied(String),
    /// The task was cancelled before it started.
    Cancelled,
    /// The pool broke (a worker died) or was terminated before the task could run.
    BrokenPool(String),
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskError::Failed(m) => write!(f, "the task failed: {m}"),
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
        Error::System(e.to_string())
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

enum Slot<T> {
    Queued,
    Running,
    Done(std::result::Result<T, TaskError>),
    Taken,
}

struct Shared<T> {
    slot: Mutex<Slot<T>>,
    changed: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // A panic while the lock is held cannot leave a slot half-written: every change is one
        // assignment. So a poisoned lock is still safe to use.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
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
        match *self.shared.lock() {
            Slot::Queued => TaskState::Queued,
            Slot::Running => TaskState::Running,
            Slot::Done(_) | Slot::Taken => TaskState::Done,
        }
    }

    /// Whether the task has finished, failed or been cancelled (Python's `done()` and `ready()`).
    pub fn done(&self) -> bool {
        self.state() == TaskState::Done
    }

    /// Whether it finished without an error; `None` until it is done (Python's `successful()`,
    /// which raises instead).
    pub fn successful(&self) -> Option<bool> {
        match &*self.shared.lock() {
            Slot::Done(result) => Some(result.is_ok()),
            _ => None,
        }
    }

    /// Cancels the task if no worker has started it: returns `true` if it is now cancelled (its
    /// result is [`TaskError::Cancelled`]), `false` if it is running or done (a running task is
    /// never interrupted, as in Python).
    pub fn cancel(&self) -> bool {
        let mut slot = self.shared.lock();
        if matches!(*slot, Slot::Queued) {
            *slot = Slot::Done(Err(TaskError::Cancelled));
            self.shared.changed.notify_all();
            true
        } else {
            false
        }
    }

    /// Waits for the task and returns its result (Python's `result()` and `get()`).
    pub fn result(self) -> std::result::Result<T, TaskError> {
        let mut slot = self.shared.lock();
        loop {
            if let Slot::Done(_) = *slot {
                return take(&mut slot);
            }
            slot = self
                .shared
                .changed
                .wait(slot)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits at most `timeout` for the result; if the task has not finished by then, gives the
    /// handle back ([`Waited::TimedOut`]) so the caller can wait again or cancel (Python's
    /// `result(timeout)` raises `TimeoutError` and keeps the future).
    pub fn result_timeout(self, timeout: Duration) -> Waited<T> {
        let deadline = Instant::now().checked_add(timeout);
        {
            let mut slot = self.shared.lock();
            loop {
                if let Slot::Done(_) = *slot {
                    return Waited::Ready(take(&mut slot));
                }
                let left = match deadline {
                    Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                    None => Duration::from_secs(3600),
                };
                if left.is_zero() {
                    break;
                }
                slot = self
                    .shared
                    .changed
                    .wait_timeout(slot, left)
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
/// (say, by a worker thread that panicked) finishes its task with [`TaskError::WorkerDied`], so
/// a handle never waits forever.
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
        let mut slot = shared.lock();
        if matches!(*slot, Slot::Queued) {
            *slot = Slot::Running;
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
            let mut slot = shared.lock();
            if matches!(*slot, Slot::Queued | Slot::Running) {
                *slot = Slot::Done(result);
            }
            shared.changed.notify_all();
        }
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let mut slot = shared.lock();
            if matches!(*slot, Slot::Queued | Slot::Running) {
                *slot = Slot::Done(Err(TaskError::WorkerDied(
                    "the task ended without an answer (its worker stopped or panicked)".into(),
                )));
            }
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
        slot: Mutex::new(Slot::Queued),
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

    fn finish(self: Box<Self>, answer: std::result::Result<String, TaskError>) {
        let Parsed { promise, parse, .. } = *self;
        promise.finish(answer.and_then(|line| {
            parse(&line).map_err(|e| TaskError::Failed(format!("{e} (the worker said {line:?})")))
        }));
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Box<dyn Job>>,
    closed: bool,
    broken: Option<String>,
}

#[derive(Default)]
struct Inbox {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the pool broken and fails every queued task (Python's `BrokenProcessPool`).
    fn break_pool(&self, why: String) {
        let jobs: Vec<Box<dyn Job>> = {
            let mut queue = self.lock();
            queue.broken.get_or_insert(why.clone());
            queue.jobs.drain(..).collect()
        };
        self.ready.notify_all();
        for job in jobs {
            job.finish(Err(TaskError::BrokenPool(why.clone())));
        }
    }
}

/// A fixed number of long-lived worker processes, fed tasks from one queue: Python's
/// `ProcessPoolExecutor` and `multiprocessing.Pool`. See the [module docs](self).
///
/// Dropping the pool (or [`ProcessPool::join`]) closes the queue, lets the workers finish every
/// task already submitted, closes their input and waits for every process: none is left behind.
/// A worker that dies mid-task fails that task with [`TaskError::WorkerDied`] and breaks the
/// pool: queued tasks fail with [`TaskError::BrokenPool`], later submissions are refused, and
/// the other workers are stopped.
pub struct ProcessPool {
    inbox: Arc<Inbox>,
    feeders: Vec<JoinHandle<()>>,
    pids: Vec<u32>,
    worker: String,
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
    /// Starts `processes` copies of `worker` (at least one), each waiting for tasks. Fails with
    /// [`Error::InvalidInput`] for 0 and [`Error::System`] if a process cannot be started (the
    /// ones already started are stopped and waited for).
    pub fn new(worker: &Worker, processes: usize) -> Result<ProcessPool> {
        let processes = crate::error::workers(processes).map_err(|_| {
            Error::InvalidInput("a process pool needs at least 1 worker process, not 0".into())
        })?;
        let inbox = Arc::new(Inbox::default());
        let mut pool = ProcessPool {
            inbox: Arc::clone(&inbox),
            feeders: Vec::with_capacity(processes),
            pids: Vec::with_capacity(processes),
            worker: worker.name().to_string(),
        };
        for i in 0..processes {
            let mut child = Command::new(worker.path())
                .arg("--serve")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| {
                    Error::System(format!("could not start worker {}: {e}", worker.name()))
                })?;
            let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::System("a worker's pipes were not opened".into()));
            };
            pool.pids.push(child.id());
            let inbox = Arc::clone(&inbox);
            let fed = std::thread::Builder::new()
                .name(format!("process-pool-feeder-{i}"))
                .spawn(move || feed(child, input, BufReader::new(output), &inbox));
            match fed {
                Ok(feeder) => pool.feeders.push(feeder),
                Err(e) => {
                    // The child went with the closure that failed to start: its pipes are
                    // closed, so it exits; `Drop` joins the feeders already running.
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
    /// (run by the pool when the answer arrives); a parse error fails the task with
    /// [`TaskError::Failed`].
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

    /// Closes the pool, waits until every queued task has run and every worker process has
    /// exited and been waited for (Python's `close()` then `join()`). Returns an error if the
    /// pool broke on the way; the processes are waited for either way.
    pub fn join(mut self) -> Result<()> {
        self.shutdown();
        match self.broken() {
            Some(why) => Err(Error::System(format!("the pool broke: {why}"))),
            None => Ok(()),
        }
    }

    /// Stops at once (Python's `terminate()`): queued tasks fail with
    /// [`TaskError::BrokenPool`], running ones with [`TaskError::WorkerDied`], and every worker
    /// process is killed and waited for.
    pub fn terminate(mut self) {
        // Kill first: no feeder has waited for its process yet, so every id is still its own.
        for &pid in &self.pids {
            kill(pid);
        }
        self.inbox.break_pool("the pool was terminated".into());
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.close();
        for feeder in self.feeders.drain(..) {
            let _ = feeder.join();
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(unix)]
fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill takes plain integers. The process is our child and has not been waited
        // for (its feeder waits for it only after this), so the id is still its own.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill(_pid: u32) {}

/// One feeder thread per worker process: takes a task from the queue, writes its request to the
/// worker, reads the answer, and finally closes the worker's input and waits for it.
fn feed(
    mut child: Child,
    mut input: ChildStdin,
    mut output: BufReader<ChildStdout>,
    inbox: &Inbox,
) {
    let pid = child.id();
    loop {
        let job = {
            let mut queue = inbox.lock();
            loop {
                if queue.broken.is_some() {
                    break None;
                }
                if let Some(job) = queue.jobs.pop_front() {
                    break Some(job);
                }
                if queue.closed {
                    break None;
                }
                queue = inbox.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        let Some(job) = job else { break };
        if !job.start() {
            continue; // cancelled while it waited
        }
        let mut line = String::new();
        let exchanged = writeln!(input, "{}", job.request())
            .and_then(|()| input.flush())
            .and_then(|()| output.read_line(&mut line));
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
                let status = child
                    .wait()
                    .map_or_else(|e| format!("not known: {e}"), |s| s.to_string());
                let why = format!("worker process {pid} ended while running a task ({status})");
                job.finish(Err(TaskError::WorkerDied(why.clone())));
                inbox.break_pool(why);
                return;
            }
        }
    }
    let broken = inbox.lock().broken.is_some();
    drop(input); // end of input: the worker's loop ends and it exits
    if broken {
        let _ = child.kill();
    }
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::child_processes;

    fn math_pool(processes: usize) -> ProcessPool {
        ProcessPool::new(&Worker::build("do_math").unwrap(), processes).unwrap()
    }

    fn pid_of(line: &str) -> u32 {
        line.split(' ').next().unwrap().parse().unwrap()
    }

    #[test]
    fn zero_workers_is_a_clear_error() {
        let _processes = crate::process_test_lock();
        let worker = Worker::build("do_math").unwrap();
        let err = ProcessPool::new(&worker, 0).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        assert!(err.to_string().contains("at least 1"), "{err}");
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
    }

    #[test]
    fn a_queued_task_can_be_cancelled_and_a_running_one_cannot() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let long = pool.submit(&["0", "100000000"]).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        while long.state() == TaskState::Queued {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!long.cancel());
        assert!(queued.cancel());
        assert!(queued.done());
        assert_eq!(queued.successful(), Some(false));
        assert_eq!(queued.result(), Err(TaskError::Cancelled));
        assert!(long.result().is_ok());
    }

    #[test]
    fn result_timeout_gives_the_handle_back() {
        let _processes = crate::process_test_lock();
        let pool = math_pool(1);
        let task = pool.submit(&["0", "100000000"]).unwrap();
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
    }

    #[test]
    fn a_worker_killed_mid_task_gives_an_error_and_a_broken_pool() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(2);
        let doomed = pool.submit(&["0", "1e11"]).unwrap();
        let other = pool.submit(&["0", "1e11"]).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        while doomed.state() == TaskState::Queued || other.state() == TaskState::Queued {
            std::thread::sleep(Duration::from_millis(1));
        }
        kill(pool.pids()[0]);
        kill(pool.pids()[1]);
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

    #[test]
    fn dropping_the_pool_runs_what_was_queued_and_waits_for_every_child() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(2);
        let tasks: Vec<_> = (0..5)
            .map(|_| pool.submit(&["0", "1000000"]).unwrap())
            .collect();
        let pids = pool.pids().to_vec();
        drop(pool);
        assert_eq!(child_processes().unwrap(), before);
        assert!(tasks.iter().all(TaskHandle::done));
        for task in tasks {
            let line = task.result().unwrap();
            assert!(pids.contains(&pid_of(&line)), "{line}");
            assert!(line.ends_with(" 499999"), "one million steps: {line}");
        }
    }

    #[test]
    fn terminate_stops_everything_at_once() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let pool = math_pool(1);
        let running = pool.submit(&["0", "1e11"]).unwrap();
        let queued = pool.submit(&["0", "10"]).unwrap();
        while running.state() == TaskState::Queued {
            std::thread::sleep(Duration::from_millis(1));
        }
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

    #[test]
    fn a_promise_dropped_without_an_answer_fails_its_task() {
        let (promise, handle) = task::<u8>();
        let thread = std::thread::spawn(move || {
            assert!(promise.start());
            panic!("the job panicked");
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
