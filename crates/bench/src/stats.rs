//! Measurement helpers: latency percentiles, peak resident memory of a
//! process (`VmHWM` from `/proc`), folder sizes.

use std::path::Path;
use std::time::Duration;

/// Latency percentiles of a set of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    pub samples: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Percentiles {
    /// Computes percentiles (nearest rank); empty input gives zeros.
    pub fn of(samples: &[Duration]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Percentiles { samples: sorted.len(), p50: rank(0.50), p95: rank(0.95), p99: rank(0.99) }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p50 {} p95 {} p99 {} (n={})", ms(self.p50), ms(self.p95), ms(self.p99), self.samples)
    }
}

/// A duration in milliseconds with three decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

/// Peak resident set (`VmHWM`) of a process in bytes, if it is still there.
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = proc_field(&status, "VmHWM")?.trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// The value of the first `name: value` line of a `/proc` file
/// (`/proc/<pid>/status`, `/proc/cpuinfo`, `/proc/meminfo`).
pub(crate) fn proc_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// Clock ticks per second of the CPU times in `/proc/<pid>/stat` (Linux's
/// `USER_HZ`, 100 on every architecture it exports to user space).
const USER_HZ: f64 = 100.0;

/// The CPU times of a process from its `/proc/<pid>/stat` text, in clock
/// ticks: its own user and system time, then those of the children it has
/// waited for (fields 14-17 of proc(5)).
fn stat_cpu_ticks(stat: &str) -> Option<[u64; 4]> {
    // The name, in parentheses, may hold spaces: fields count from after it.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok());
    Some([ticks(11)?, ticks(12)?, ticks(13)?, ticks(14)?])
}

/// CPU seconds (user + system) of a process, with those of the children
/// it has waited for, from its `/proc/<pid>/stat` text.
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    Some(stat_cpu_ticks(stat)?.iter().sum::<u64>() as f64 / USER_HZ)
}

/// CPU seconds (user + system) a running process has used itself.
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let [user, system, _, _] = stat_cpu_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    Some((user + system) as f64 / USER_HZ)
}

/// CPU seconds of the child processes this process has waited for.
pub fn waited_children_cpu_seconds() -> Option<f64> {
    let [_, _, children_user, children_system] = stat_cpu_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    Some((children_user + children_system) as f64 / USER_HZ)
}

/// CPU seconds of every process on this machine whose name is `name`, with
/// the children each has waited for (a PostgreSQL server's backends are
/// its children); `None` when there is no such process (a server on
/// another machine).
pub fn cpu_seconds_of_processes_named(name: &str) -> Option<f64> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let named = stat.find('(').zip(stat.rfind(')')).and_then(|(open, close)| stat.get(open + 1..close));
        if named == Some(name) {
            if let Some(seconds) = stat_cpu_seconds(&stat) {
                total = Some(total.unwrap_or(0.0) + seconds);
            }
        }
    }
    total
}

/// Peak resident set of this process in bytes.
pub fn own_peak_rss_bytes() -> u64 {
    peak_rss_bytes(std::process::id()).unwrap_or(0)
}

/// Total size of the files under a folder.
pub fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => folder_bytes(&entry.path()),
            Ok(_) => entry.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_second(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
}

/// Items per second.
pub fn per_second(items: usize, elapsed: Duration) -> f64 {
    items as f64 / elapsed.as_secs_f64().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&samples);
        assert_eq!(
            (p.p50, p.p95, p.p99),
            (Duration::from_millis(50), Duration::from_millis(95), Duration::from_millis(99))
        );
    }

    #[test]
    fn own_peak_rss_is_known() {
        assert!(own_peak_rss_bytes() > 0);
    }

    #[test]
    fn cpu_times_come_from_the_fields_after_the_name() {
        // pid (name with spaces) state ppid ... utime stime cutime cstime ...
        let stat = "42 (post gres) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 700 30 20 0 1 0 5 0 0";
        assert_eq!(stat_cpu_ticks(stat), Some([250, 50, 700, 30]));
        assert_eq!(stat_cpu_seconds(stat), Some(10.3));
        assert_eq!(stat_cpu_ticks("42 (x) S"), None);
    }

    #[test]
    fn a_process_own_cpu_time_grows_as_it_works() {
        let before = process_cpu_seconds(std::process::id()).unwrap();
        // Spin until 50 ms of CPU time show (however busy the machine is).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut spin = 0u64;
        loop {
            let after = process_cpu_seconds(std::process::id()).unwrap();
            if after - before >= 0.05 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no CPU time counted: {before} -> {after}");
            for _ in 0..100_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
        }
        assert_eq!(process_cpu_seconds(u32::MAX), None, "no such process");
    }

    #[test]
    fn processes_are_found_by_name_and_a_waited_child_counts() {
        let own = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert!(cpu_seconds_of_processes_named(own.trim()).is_some());
        assert_eq!(cpu_seconds_of_processes_named("no-such-process-name"), None);
        let before = waited_children_cpu_seconds().unwrap();
        let busy = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done";
        assert!(std::process::Command::new("sh").args(["-c", busy]).status().unwrap().success());
        assert!(waited_children_cpu_seconds().unwrap() > before, "a busy child's CPU counts once waited for");
    }
}
