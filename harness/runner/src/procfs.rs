//! Process CPU time and peak RSS from `/proc` (Linux; no libc, no unsafe).
//!
//! Elsewhere these read as `None` and the runner reports 0.

/// Kernel clock ticks per second for `/proc/<pid>/stat` times. `USER_HZ` is 100 on every
/// mainstream Linux architecture (it is fixed ABI, independent of the kernel's `HZ`).
pub const USER_HZ: u64 = 100;

/// User + system CPU time of the whole process (all threads, live and exited), in ns.
pub fn cpu_time_ns() -> Option<u64> {
    parse_stat_cpu_ns(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Time the calling thread has spent on a CPU, in ns (`/proc/thread-self/schedstat`, first
/// field: the scheduler's `sum_exec_runtime`, nanosecond resolution). Time the thread waited
/// while other work ran on its core is not in it.
pub fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Peak resident set size (`VmHWM`) in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    parse_status_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line, in ns. The command name
/// (field 2) may contain spaces and parentheses, so fields are counted after the last `)`.
pub fn parse_stat_cpu_ns(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): field 14 is index 11, field 15 is index 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * (1_000_000_000 / USER_HZ))
}

/// The `VmHWM:` line of `/proc/<pid>/status` (in kB) as bytes.
pub fn parse_status_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_name() {
        let stat = "1234 (we ird) name)) R 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0";
        assert_eq!(parse_stat_cpu_ns(stat), Some(300 * 10_000_000));
        assert_eq!(parse_stat_cpu_ns("garbage"), None);
    }

    #[test]
    fn status_hwm() {
        let s = "Name:\tx\nVmPeak:\t 9 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_status_hwm(s), Some(2048 * 1024));
        assert_eq!(parse_status_hwm("Name: x"), None);
    }

    #[test]
    fn live_process_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(cpu_time_ns().is_some());
            assert!(peak_rss_bytes().unwrap() > 0);
        }
    }
}
