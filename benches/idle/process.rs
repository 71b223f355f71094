//! What a running process costs, from /proc: resident memory (split into the
//! private heap and stacks, "anonymous", and the pages of files it maps: its own
//! binary, the shared libraries, fonts) and CPU time.

use std::time::{Duration, Instant};

/// Resident memory of a process, in kB.
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_field_names, reason = "each name says its unit")]
pub struct Memory {
    pub rss_kb: u64,
    /// Heap, stacks and other private memory (`Anonymous` in smaps_rollup).
    pub anon_kb: u64,
    /// Proportional set size: each page divided by the processes that map it (the
    /// binary's and libraries' code is shared with the page cache, not with other
    /// processes, unless another launch runs).
    pub pss_kb: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Memory {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).expect("smaps_rollup");
        let field = |name: &str| {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .expect("a smaps_rollup field")
        };
        Memory {
            rss_kb: field("Rss:"),
            anon_kb: field("Anonymous:"),
            pss_kb: field("Pss:"),
        }
    }

    pub fn mb(self) -> f64 {
        kb_to_mb(self.rss_kb)
    }

    /// "14.2 MB (anonymous 8.0, files 6.2; PSS 13.9)".
    pub fn describe(self) -> String {
        format!(
            "{:.1} MB (anonymous {:.1}, files {:.1}; PSS {:.1})",
            self.mb(),
            kb_to_mb(self.anon_kb),
            kb_to_mb(self.rss_kb.saturating_sub(self.anon_kb)),
            kb_to_mb(self.pss_kb)
        )
    }
}

pub fn kb_to_mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The fields of /proc/PID/stat after the command name (which may hold spaces):
/// `stat_fields(pid)[0]` is field 3 of proc(5), the state.
fn stat_fields(pid: u32) -> Vec<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).expect("stat fields");
    // The state is a letter: 0 in its place keeps the numbering.
    rest.split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .collect()
}

/// User plus system CPU time in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: u32) -> u64 {
    let fields = stat_fields(pid);
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11] + fields[12]
}

/// Page faults so far: minor (the page was in memory, e.g. code in the page
/// cache, and only had to be mapped) and major (it had to be read from disk).
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub minor: u64,
    pub major: u64,
}

impl Faults {
    pub fn of(pid: u32) -> Faults {
        let fields = stat_fields(pid);
        // minflt and majflt: fields 10 and 12 of the line.
        Faults {
            minor: fields[7],
            major: fields[9],
        }
    }

    /// The faults since `before`.
    pub fn since(self, before: Faults) -> Faults {
        Faults {
            minor: self.minor - before.minor,
            major: self.major - before.major,
        }
    }
}

/// What a process used while it waited.
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    pub memory: Memory,
    /// Percent of one core.
    pub cpu_pct: f64,
    pub over: Duration,
}

/// Lets the process sit for `period` and measures it: CPU over the period, memory at
/// its end.
pub async fn idle(pid: u32, period: Duration) -> Idle {
    let (start_cpu, start) = (cpu_ticks(pid), Instant::now());
    tokio::time::sleep(period).await;
    let ticks = cpu_ticks(pid) - start_cpu;
    let over = start.elapsed();
    Idle {
        memory: Memory::of(pid),
        cpu_pct: ticks as f64 / 100.0 / over.as_secs_f64() * 100.0,
        over,
    }
}

/// With `GODKEND_BENCH_SMAPS_DIR` set: keeps the process's memory map
/// (`/proc/PID/smaps`) and its threads' names as `LABEL.smaps` and `LABEL.threads`
/// there, to see where the memory of a figure is (which mappings, which arenas).
pub fn keep_map(pid: u32, label: &str) {
    let Some(dir) = std::env::var_os("GODKEND_BENCH_SMAPS_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("the smaps dir");
    let smaps = std::fs::read(format!("/proc/{pid}/smaps")).expect("smaps");
    std::fs::write(dir.join(format!("{label}.smaps")), smaps).expect("write smaps");
    let mut threads = String::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("the threads") {
        let comm = task.expect("a thread").path().join("comm");
        threads.push_str(&std::fs::read_to_string(comm).unwrap_or_default());
    }
    std::fs::write(dir.join(format!("{label}.threads")), threads).expect("write threads");
}
