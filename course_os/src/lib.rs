//! The operating system's counters and limits, read in one place for the course's crates
//! (`support`, where it is `support::os`, and the `loadgen` program): CPU time (this process
//! alone, or with the child processes it has waited for), the machine's CPU ticks (Linux's
//! `/proc/stat`, steal time apart), the control group's CPU quota, usage and throttling (cgroup
//! v2 and v1 alike), the open-file limit, this process's threads and resident memory.
//!
//! Everything here answers `None`, or an error of kind [`io::ErrorKind::Unsupported`], where
//! the system does not tell, never a guess: the callers say "not available" rather than judge on
//! a number nobody measured.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The error for a counter this system does not have.
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what} cannot be read on {}", std::env::consts::OS),
    )
}

/// CPU time (user + system) this process has used so far, all its threads together.
///
/// ```
/// let before = course_os::process_cpu()?;
/// let mut x = 0u64;
/// for i in 0..20_000_000u64 { x = std::hint::black_box(x + i); }
/// assert!(course_os::process_cpu()? > before);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn process_cpu() -> io::Result<Duration> {
    #[cfg(unix)]
    {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec for the duration of the call, and
        // CLOCK_PROCESS_CPUTIME_ID is a clock every supported Unix provides.
        if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } == 0 {
            return Ok(Duration::new(
                u64::try_from(now.tv_sec).unwrap_or(0),
                u32::try_from(now.tv_nsec).unwrap_or(0),
            ));
        }
        Err(io::Error::last_os_error())
    }
    #[cfg(not(unix))]
    Err(unsupported("this process's CPU time"))
}

/// CPU time of this process plus that of its child processes that have ended and been waited
/// for: work run in worker processes (chapter 05) or in a Python interpreter counts as ours.
/// Where children's time cannot be read (not Unix), this process's alone.
///
/// ```
/// let own = course_os::process_cpu()?;
/// assert!(course_os::process_and_children_cpu()? >= own);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn process_and_children_cpu() -> io::Result<Duration> {
    let own = process_cpu()?;
    #[cfg(unix)]
    {
        // SAFETY: an all-zero rusage is a valid value of this plain C struct, and getrusage
        // only writes into the one we pass, for the duration of the call.
        let mut children: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above; RUSAGE_CHILDREN is defined on every Unix.
        if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut children) } == 0 {
            let timeval = |t: libc::timeval| {
                Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), 0)
                    + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
            };
            return Ok(own + timeval(children.ru_utime) + timeval(children.ru_stime));
        }
    }
    Ok(own)
}

/// The machine's CPU clock ticks, all logical CPUs together, from Linux's `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ticks {
    /// Ticks spent running programs (user, nice, system, irq, softirq), every program's.
    pub busy: u64,
    /// Ticks the hypervisor gave this virtual machine's CPUs to someone else while they had
    /// work to do (*steal*): a busy host, invisible to the programs inside.
    pub steal: u64,
    /// All ticks (busy, idle, waiting for I/O, steal).
    pub total: u64,
}

impl Ticks {
    /// The counters now, where the system has them (Linux); `None` elsewhere.
    pub fn now() -> Option<Ticks> {
        parse_proc_stat(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Cores kept busy, and cores stolen, between `self` (earlier) and `later`, on a machine of
    /// `cpus` logical CPUs: each a number of cores on average over the interval.
    pub fn cores_between(self, later: Ticks, cpus: usize) -> Option<(f64, f64)> {
        let total = later.total.checked_sub(self.total).filter(|&t| t > 0)? as f64;
        let busy = later.busy.saturating_sub(self.busy) as f64;
        let steal = later.steal.saturating_sub(self.steal) as f64;
        let cpus = cpus as f64;
        Some((busy / total * cpus, steal / total * cpus))
    }
}

/// Reads the first (`cpu `) line of `/proc/stat`: user nice system idle iowait irq softirq
/// steal (guest time is already counted in user).
fn parse_proc_stat(stat: &str) -> Option<Ticks> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let t: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map_while(|t| t.parse().ok())
        .collect();
    if t.len() < 4 {
        return None;
    }
    let at = |i: usize| t.get(i).copied().unwrap_or(0);
    Some(Ticks {
        busy: at(0) + at(1) + at(2) + at(5) + at(6),
        steal: at(7),
        total: (0..8).map(at).sum(),
    })
}

/// How many logical CPUs the machine has, counted in `/proc/stat` (one `cpuN` line each);
/// `None` where there is no `/proc/stat`.
pub fn logical_cpus() -> Option<usize> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let n = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    (n > 0).then_some(n)
}

/// Which cgroup version holds a controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// The unified hierarchy (`cpu.max`, `cpu.stat`).
    V2,
    /// A controller mounted on its own (`cpu.cfs_quota_us`, `cpuacct.usage`).
    V1,
}

/// This process's control group, as far as CPU time goes: where its CPU quota and throttling
/// are read (the `cpu` controller) and where its usage is (`cpu` under v2, `cpuacct` under v1).
/// Each controller is looked up on its own, because a machine may mount v1 controllers beside
/// a v2 hierarchy that holds none of them (this course's test machines do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    /// The `cpu` controller's directory for this process, and its version.
    pub cpu: Option<(PathBuf, CgroupVersion)>,
    /// The directory whose usage counter covers this process, and its version.
    pub usage: Option<(PathBuf, CgroupVersion)>,
    /// The directories above `cpu` up to its mount point, nearest first: a quota set on a
    /// parent limits this process too.
    cpu_parents: Vec<PathBuf>,
}

impl Cgroup {
    /// Finds this process's cgroup directories (Linux); every field `None` elsewhere.
    pub fn detect() -> Cgroup {
        let (Ok(membership), Ok(mounts)) = (
            std::fs::read_to_string("/proc/self/cgroup"),
            std::fs::read_to_string("/proc/self/mountinfo"),
        ) else {
            return Cgroup {
                cpu: None,
                usage: None,
                cpu_parents: Vec::new(),
            };
        };
        Cgroup::from_texts(&membership, &mounts, Path::new("/"))
    }

    /// The group whose `cpu` controller and usage counter are both in `dir`, with no parents:
    /// a group found some other way, or a test's stand-in for one (a directory holding the
    /// files the kernel would: `cpu.max` and `cpu.stat` for v2).
    pub fn at(dir: impl Into<PathBuf>, version: CgroupVersion) -> Cgroup {
        let dir = dir.into();
        Cgroup {
            cpu: Some((dir.clone(), version)),
            usage: Some((dir, version)),
            cpu_parents: Vec::new(),
        }
    }

    /// The same from the texts of `/proc/self/cgroup` and `/proc/self/mountinfo`, with the
    /// file system rooted at `root` (for tests).
    fn from_texts(membership: &str, mounts: &str, root: &Path) -> Cgroup {
        let find = |controller: &str| -> Option<(PathBuf, Vec<PathBuf>, CgroupVersion)> {
            // v1: a hierarchy of its own that holds this controller.
            for line in membership.lines() {
                let mut parts = line.splitn(3, ':');
                let (Some(_), Some(names), Some(path)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                if names.split(',').any(|n| n == controller)
                    && let Some((dir, parents)) = v1_dir(mounts, controller, path, root)
                {
                    return Some((dir, parents, CgroupVersion::V1));
                }
            }
            // v2: the unified hierarchy, if it has the controller enabled.
            let path = membership.lines().find_map(|l| l.strip_prefix("0::"))?;
            let (dir, parents) = v2_dir(mounts, path, root)?;
            let enabled = std::fs::read_to_string(dir.join("cgroup.controllers"))
                .or_else(|_| {
                    std::fs::read_to_string(
                        parents.last().unwrap_or(&dir).join("cgroup.controllers"),
                    )
                })
                .ok()?;
            let has =
                enabled.split_whitespace().any(|c| c == "cpu") || dir.join("cpu.stat").exists();
            has.then_some((dir, parents, CgroupVersion::V2))
        };
        let cpu = find("cpu");
        // The group path of each v1 controller: a usage counter counts the processes of its
        // own group, so it only speaks for the `cpu` group when both are the same group.
        let path_of = |controller: &str| {
            membership.lines().find_map(|line| {
                let mut parts = line.splitn(3, ':');
                let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
                names
                    .split(',')
                    .any(|n| n == controller)
                    .then(|| path.to_string())
            })
        };
        let usage = match &cpu {
            Some((dir, _, CgroupVersion::V2)) => Some((dir.clone(), CgroupVersion::V2)),
            Some((_, _, CgroupVersion::V1)) if path_of("cpu") == path_of("cpuacct") => {
                find("cpuacct").map(|(dir, _, v)| (dir, v))
            }
            _ => None,
        };
        Cgroup {
            cpu_parents: cpu.as_ref().map(|(_, p, _)| p.clone()).unwrap_or_default(),
            cpu: cpu.map(|(dir, _, v)| (dir, v)),
            usage,
        }
    }

    /// The CPU quota in cores (e.g. 1.0 on Binder), the smallest set on this group or a parent;
    /// `None` when there is none.
    pub fn quota(&self) -> Option<f64> {
        let (dir, version) = self.cpu.as_ref()?;
        std::iter::once(dir)
            .chain(&self.cpu_parents)
            .filter_map(|d| match version {
                CgroupVersion::V2 => std::fs::read_to_string(d.join("cpu.max"))
                    .ok()
                    .and_then(|t| parse_cpu_max(&t)),
                CgroupVersion::V1 => {
                    let quota = std::fs::read_to_string(d.join("cpu.cfs_quota_us")).ok()?;
                    let period = std::fs::read_to_string(d.join("cpu.cfs_period_us")).ok()?;
                    parse_cfs(&quota, &period)
                }
            })
            .min_by(f64::total_cmp)
    }

    /// CPU time every process in the group has used, in microseconds.
    pub fn usage_usec(&self) -> Option<u64> {
        let (dir, version) = self.usage.as_ref()?;
        match version {
            CgroupVersion::V2 => stat_field(&dir.join("cpu.stat"), "usage_usec"),
            CgroupVersion::V1 => std::fs::read_to_string(dir.join("cpuacct.usage"))
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
                .map(|ns| ns / 1000),
        }
    }

    /// Time the quota has held the group back, in microseconds.
    pub fn throttled_usec(&self) -> Option<u64> {
        let (dir, version) = self.cpu.as_ref()?;
        match version {
            CgroupVersion::V2 => stat_field(&dir.join("cpu.stat"), "throttled_usec"),
            CgroupVersion::V1 => {
                stat_field(&dir.join("cpu.stat"), "throttled_time").map(|ns| ns / 1000)
            }
        }
    }

    /// Which version holds the `cpu` controller, for the set-up table.
    pub fn cpu_version(&self) -> Option<CgroupVersion> {
        self.cpu.as_ref().map(|(_, v)| *v)
    }
}

/// One `name value` line of a cgroup `cpu.stat` file.
fn stat_field(path: &Path, name: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The fields of a `/proc/self/mountinfo` line: (root within the hierarchy, mount point,
/// file-system type, super options).
fn mount_fields(line: &str) -> Option<(&str, &str, &str, &str)> {
    let (before, after) = line.split_once(" - ")?;
    let mut before = before.split_whitespace();
    let root = before.nth(3)?;
    let point = before.next()?;
    let mut after = after.split_whitespace();
    let fstype = after.next()?;
    let _source = after.next();
    let options = after.next().unwrap_or("");
    Some((root, point, fstype, options))
}

/// The directory of `path` in the mount whose root is `mount_root` at `point`, and its parents
/// up to the mount point.
fn under_mount(
    point: &str,
    mount_root: &str,
    path: &str,
    root: &Path,
) -> Option<(PathBuf, Vec<PathBuf>)> {
    let relative = if mount_root == "/" {
        path
    } else {
        path.strip_prefix(mount_root).unwrap_or("/")
    };
    let top = root.join(point.trim_start_matches('/'));
    let dir = top.join(relative.trim_start_matches('/'));
    let mut parents = Vec::new();
    let mut at = dir.as_path();
    while at != top {
        at = at.parent()?;
        parents.push(at.to_path_buf());
    }
    dir.is_dir().then_some((dir, parents))
}

fn v1_dir(
    mounts: &str,
    controller: &str,
    path: &str,
    root: &Path,
) -> Option<(PathBuf, Vec<PathBuf>)> {
    mounts.lines().find_map(|line| {
        let (mount_root, point, fstype, options) = mount_fields(line)?;
        (fstype == "cgroup" && options.split(',').any(|o| o == controller))
            .then(|| under_mount(point, mount_root, path, root))?
    })
}

fn v2_dir(mounts: &str, path: &str, root: &Path) -> Option<(PathBuf, Vec<PathBuf>)> {
    mounts.lines().find_map(|line| {
        let (mount_root, point, fstype, _) = mount_fields(line)?;
        (fstype == "cgroup2").then(|| under_mount(point, mount_root, path, root))?
    })
}

/// The quota in a v2 `cpu.max` ("200000 100000" = 2 cores; "max 100000" = none).
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota: f64 = fields.next()?.parse().ok()?;
    let period: f64 = fields.next()?.parse().ok()?;
    (period > 0.0 && quota > 0.0).then(|| quota / period)
}

/// The quota in v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us` (-1 = none).
fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (period > 0.0 && quota > 0.0).then(|| quota / period)
}

/// Runs `command` to completion with its stdout and stderr captured, and kills it (and waits
/// for it) if it is still running after `limit`: an error of kind [`io::ErrorKind::TimedOut`]
/// then. Both pipes are read while the child runs, so a child that writes more than a pipe's
/// buffer holds never stalls waiting for us. Its stdin is closed.
///
/// ```
/// use std::process::Command;
/// use std::time::Duration;
/// let out = course_os::run_with_deadline(Command::new("sh").args(["-c", "echo hi"]), Duration::from_secs(10))?;
/// assert_eq!(out.stdout, b"hi\n");
/// let slow = course_os::run_with_deadline(Command::new("sleep").arg("5"), Duration::from_millis(100));
/// assert_eq!(slow.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn run_with_deadline(
    command: &mut std::process::Command,
    limit: Duration,
) -> io::Result<std::process::Output> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    fn drain(pipe: Option<impl Read>) -> Vec<u8> {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the capture; the status still says how the child ended.
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    }
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let deadline = std::time::Instant::now() + limit;
    let (status, stdout, stderr) = std::thread::scope(|s| {
        let stdout = s.spawn(move || drain(out));
        let stderr = s.spawn(move || drain(err));
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => {
                    // Killing closes the child's ends of the pipes, so the readers finish.
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("still running after {limit:?}, so it was stopped"),
                    ));
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(e);
                }
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        (status, stdout, stderr)
    });
    Ok(std::process::Output {
        status: status?,
        stdout,
        stderr,
    })
}

/// This process's limit on open files (sockets count as files): (soft, hard). The soft limit
/// is the one in force; a process may raise it up to the hard limit.
///
/// ```
/// if let Ok((soft, hard)) = course_os::open_file_limits() {
///     assert!(soft <= hard);
/// }
/// ```
pub fn open_file_limits() -> io::Result<(u64, u64)> {
    #[cfg(unix)]
    {
        let limit = rlimit_nofile()?;
        // `rlim_t` is `u64` on the platforms we run on; the conversion keeps others compiling.
        #[allow(clippy::useless_conversion)]
        Ok((u64::from(limit.rlim_cur), u64::from(limit.rlim_max)))
    }
    #[cfg(not(unix))]
    Err(unsupported("the open-file limit"))
}

/// Raises this process's open-file limit as far as it is allowed (the soft limit to the hard
/// one) and returns the limits now in force: (soft, hard).
///
/// ```
/// if let Ok((soft, hard)) = course_os::raise_open_file_limit() {
///     assert_eq!(soft, hard);
/// }
/// ```
pub fn raise_open_file_limit() -> io::Result<(u64, u64)> {
    #[cfg(unix)]
    {
        let mut limit = rlimit_nofile()?;
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            // SAFETY: setrlimit only reads the struct we own, for the duration of the call.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        open_file_limits()
    }
    #[cfg(not(unix))]
    Err(unsupported("the open-file limit"))
}

#[cfg(unix)]
fn rlimit_nofile() -> io::Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we own, for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit)
}

/// How many threads this process has now. Linux reads `/proc/self/status`; macOS asks the
/// kernel with `proc_pidinfo` (`PROC_PIDTASKINFO`); elsewhere an error of kind `Unsupported`.
///
/// ```
/// if let Ok(n) = course_os::threads_in_process() {
///     assert!(n >= 1);
/// }
/// ```
pub fn threads_in_process() -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        threads_from_status(&std::fs::read_to_string("/proc/self/status")?)
    }
    #[cfg(target_os = "macos")]
    {
        let info = task_info()?;
        usize::try_from(info.pti_threadnum)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                io::Error::other(format!(
                    "proc_pidinfo counted {} threads",
                    info.pti_threadnum
                ))
            })
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
    Err(unsupported("this process's thread count"))
}

/// The thread count in the text of a Linux `/proc/<pid>/status` file (its `Threads:` line).
#[cfg(any(target_os = "linux", target_os = "android", test))]
fn threads_from_status(status: &str) -> io::Result<usize> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "no Threads: line in /proc/self/status",
            )
        })
}

/// The memory this process holds in RAM now (its resident set), in bytes. Linux reads
/// `/proc/self/statm`; macOS asks `proc_pidinfo`; elsewhere an error of kind `Unsupported`.
///
/// ```
/// if let Ok(before) = course_os::memory_in_use() {
///     let block = vec![7u8; 64 << 20]; // 64 MiB, every page written
///     let after = course_os::memory_in_use().unwrap();
///     assert!(after >= before + (32 << 20), "{before} → {after}");
///     drop(block);
/// }
/// ```
pub fn memory_in_use() -> io::Result<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let statm = std::fs::read_to_string("/proc/self/statm")?;
        // SAFETY: `sysconf` only reads a configuration value; `_SC_PAGESIZE` is always defined.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        resident_from_statm(&statm, u64::try_from(page).unwrap_or(4096))
    }
    #[cfg(target_os = "macos")]
    {
        Ok(task_info()?.pti_resident_size)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
    Err(unsupported("this process's memory"))
}

/// Resident bytes from the text of `/proc/<pid>/statm` (its second field, in pages).
#[cfg(any(target_os = "linux", target_os = "android", test))]
fn resident_from_statm(statm: &str, page_size: u64) -> io::Result<u64> {
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse::<u64>().ok())
        .map(|pages| pages * page_size)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("/proc/self/statm is not as expected: {statm:?}"),
            )
        })
}

/// macOS: `proc_pidinfo(PROC_PIDTASKINFO)` on this process. Written for macOS and type-checked
/// for it, but not run by the course's tests, which run on Linux.
#[cfg(target_os = "macos")]
fn task_info() -> io::Result<libc::proc_taskinfo> {
    let size = std::mem::size_of::<libc::proc_taskinfo>() as libc::c_int;
    // SAFETY: `proc_taskinfo` holds only integers, so all-zero bytes are a valid value of it.
    // `proc_pidinfo` writes at most `size` bytes, the size of `info`, into the buffer we pass,
    // which is `info` itself, borrowed mutably for the length of the call only; it asks about
    // this process (`getpid` cannot fail).
    let (written, info) = unsafe {
        let mut info: libc::proc_taskinfo = std::mem::zeroed();
        let written = libc::proc_pidinfo(
            libc::getpid(),
            libc::PROC_PIDTASKINFO,
            0,
            (&raw mut info).cast::<libc::c_void>(),
            size,
        );
        (written, info)
    };
    if written != size {
        return Err(io::Error::other(format!(
            "proc_pidinfo returned {written}, not {size}: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_is_read_as_busy_steal_and_total_ticks() {
        let stat = "cpu  100 0 50 800 50 0 0 30 0 0\ncpu0 50 0 25 400 25 0 0 15 0 0\n";
        assert_eq!(
            parse_proc_stat(stat),
            Some(Ticks {
                busy: 150,
                steal: 30,
                total: 1030
            })
        );
        assert_eq!(parse_proc_stat("intr 1 2 3"), None);
        let (a, b) = (
            Ticks {
                busy: 0,
                steal: 0,
                total: 0,
            },
            Ticks {
                busy: 100,
                steal: 20,
                total: 200,
            },
        );
        assert_eq!(a.cores_between(b, 2), Some((1.0, 0.2)));
        assert_eq!(b.cores_between(a, 2), None);
    }

    #[test]
    fn the_thread_count_is_read_from_the_threads_line() {
        let status = "Name:\tevcxr\nState:\tS (sleeping)\nThreads:\t17\nSigQ:\t0/63455\n";
        assert_eq!(threads_from_status(status).unwrap(), 17);
        assert!(threads_from_status("Name:\tevcxr\n").is_err());
    }

    #[test]
    fn resident_memory_is_the_second_field_of_statm_in_pages() {
        assert_eq!(
            resident_from_statm("5120 300 120 1 0 400 0\n", 4096).unwrap(),
            300 * 4096
        );
        assert!(resident_from_statm("", 4096).is_err());
        assert!(resident_from_statm("12 many", 4096).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_open_file_limit_can_be_raised_to_its_hard_limit() {
        let (soft, hard) = open_file_limits().unwrap();
        assert!(soft <= hard);
        let (raised, same_hard) = raise_open_file_limit().unwrap();
        assert_eq!((raised, same_hard), (hard, hard));
    }

    #[cfg(unix)]
    #[test]
    fn a_child_that_fills_its_pipes_is_not_stalled() {
        // 1 MiB on stdout and on stderr: far more than a pipe holds (64 KiB on Linux).
        let started = std::time::Instant::now();
        let out = run_with_deadline(
            std::process::Command::new("sh").args([
                "-c",
                "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2",
            ]),
            Duration::from_secs(20),
        )
        .unwrap();
        assert!(out.status.success());
        assert_eq!((out.stdout.len(), out.stderr.len()), (1 << 20, 1 << 20));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[cfg(unix)]
    #[test]
    fn a_child_past_its_deadline_is_killed_and_reaped() {
        // The child writes its pid (`exec` keeps it), so the test can look for it afterwards.
        let pid_file =
            std::env::temp_dir().join(format!("course-os-deadline-{}.pid", std::process::id()));
        let started = std::time::Instant::now();
        let err = run_with_deadline(
            std::process::Command::new("sh").args([
                "-c",
                &format!("echo $$ > '{}'; exec sleep 30", pid_file.display()),
            ]),
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid = std::fs::read_to_string(&pid_file).expect("the child wrote its pid");
        let _ = std::fs::remove_file(&pid_file);
        // Killed and not reaped, it would stay in /proc as a zombie (state Z) until this
        // process exits; reaped, its entry is gone. (Only Linux has /proc to look in.)
        if cfg!(target_os = "linux") {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
            assert!(
                stat.is_err(),
                "the child is still in the process table: {stat:?}"
            );
        }
    }

    #[test]
    fn quotas_are_read_in_cores() {
        assert_eq!(parse_cpu_max("100000 100000\n"), Some(1.0));
        assert_eq!(parse_cpu_max("150000 100000"), Some(1.5));
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cpu_max(""), None);
        assert_eq!(parse_cfs("50000\n", "100000\n"), Some(0.5));
        assert_eq!(parse_cfs("-1\n", "100000\n"), None);
    }

    /// A fake file system with v1 `cpu` and `cpuacct` beside an empty v2 hierarchy, as on the
    /// course's test machines, and a quota of one CPU on a parent group.
    #[test]
    fn v1_controllers_beside_an_empty_v2_hierarchy_are_found() {
        let root =
            std::env::temp_dir().join(format!("course-os-cgroup-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let cpu = root.join("sys/fs/cgroup/cpu/box/kernel");
        let acct = root.join("sys/fs/cgroup/cpuacct/box/kernel");
        let unified = root.join("sys/fs/cgroup/unified");
        for dir in [&cpu, &acct, &unified] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(unified.join("cgroup.controllers"), "\n").unwrap();
        std::fs::write(cpu.join("cpu.cfs_quota_us"), "-1\n").unwrap();
        std::fs::write(cpu.join("cpu.cfs_period_us"), "100000\n").unwrap();
        std::fs::write(cpu.parent().unwrap().join("cpu.cfs_quota_us"), "100000\n").unwrap();
        std::fs::write(cpu.parent().unwrap().join("cpu.cfs_period_us"), "100000\n").unwrap();
        std::fs::write(
            cpu.join("cpu.stat"),
            "nr_periods 10\nnr_throttled 4\nthrottled_time 2500000\n",
        )
        .unwrap();
        std::fs::write(acct.join("cpuacct.usage"), "7000000\n").unwrap();
        let membership = "2:cpuacct:/box/kernel\n1:cpu:/box/kernel\n0::/\n";
        let mounts = "30 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n\
                      31 25 0:27 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n\
                      32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let group = Cgroup::from_texts(membership, mounts, &root);
        assert_eq!(group.cpu_version(), Some(CgroupVersion::V1));
        assert_eq!(group.quota(), Some(1.0));
        assert_eq!(group.throttled_usec(), Some(2500));
        assert_eq!(group.usage_usec(), Some(7000));
        // The cpu group is a box of its own, but cpuacct still counts the whole machine: its
        // usage would count other programs as ours' neighbours, so it is not used.
        let boxed = Cgroup::from_texts("2:cpuacct:/\n1:cpu:/box/kernel\n0::/\n", mounts, &root);
        assert_eq!(boxed.quota(), Some(1.0));
        assert_eq!(boxed.usage_usec(), None);

        // The same process under v2 with a quota of half a CPU.
        let v2 = root.join("v2/sys/fs/cgroup/pod");
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(
            root.join("v2/sys/fs/cgroup/cgroup.controllers"),
            "cpu memory\n",
        )
        .unwrap();
        std::fs::write(v2.join("cgroup.controllers"), "cpu memory\n").unwrap();
        std::fs::write(v2.join("cpu.max"), "50000 100000\n").unwrap();
        std::fs::write(v2.join("cpu.stat"), "usage_usec 900\nthrottled_usec 40\n").unwrap();
        let group = Cgroup::from_texts(
            "0::/pod\n",
            "40 25 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            &root.join("v2"),
        );
        assert_eq!(group.cpu_version(), Some(CgroupVersion::V2));
        assert_eq!(group.quota(), Some(0.5));
        assert_eq!(
            (group.usage_usec(), group.throttled_usec()),
            (Some(900), Some(40))
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
