//! What /proc says about a process: its CPU time, context switches and memory.
//! Shared by the load bench and the statement-cost bench (`#[path]`), which reads
//! its own process.

/// CPU seconds (user + system, and the system part), context switches of every
/// thread, and resident memory of a process, from /proc. The switches count the
/// hand-offs between threads exactly, where CPU time moves with the machine's noise.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub system_seconds: f64,
    pub switches: u64,
    pub rss_bytes: u64,
}

pub fn usage_of(pid: i32) -> Usage {
    let process = procfs::process::Process::new(pid).expect("the process exists");
    let stat = process.stat().expect("/proc/PID/stat");
    let ticks = procfs::ticks_per_second() as f64;
    let switches = process.tasks().map_or(0, |tasks| {
        tasks
            .flatten()
            .filter_map(|task| task.status().ok())
            .map(|s| {
                s.voluntary_ctxt_switches.unwrap_or(0) + s.nonvoluntary_ctxt_switches.unwrap_or(0)
            })
            .sum()
    });
    Usage {
        cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
        system_seconds: stat.stime as f64 / ticks,
        switches,
        rss_bytes: stat.rss * procfs::page_size(),
    }
}

/// This process's own usage (the load generator's, the statement bench's).
pub fn own_usage() -> Usage {
    usage_of(i32::try_from(std::process::id()).expect("a pid fits"))
}
