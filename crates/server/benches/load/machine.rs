//! What /proc/stat says about the machine: how much CPU time the hypervisor gave to
//! other guests while a figure was measured.

/// The machine's CPU ticks so far, and the part of them the hypervisor gave to other
/// guests (steal). On a VM whose host is busy the same work runs slower and counts
/// more CPU time (the EPYC VM's server CPU per round trip moved from 2.3 to 3.7 ms
/// between quiet and busy hours), so latency and CPU figures carry this beside them.
#[derive(Debug, Clone, Copy)]
pub struct MachineTicks {
    total: u64,
    steal: u64,
}

pub fn machine_ticks() -> MachineTicks {
    use procfs::CurrentSI as _;
    let cpu = procfs::KernelStats::current().expect("/proc/stat").total;
    let steal = cpu.steal.unwrap_or(0);
    let total = cpu.user
        + cpu.nice
        + cpu.system
        + cpu.idle
        + cpu.iowait.unwrap_or(0)
        + cpu.irq.unwrap_or(0)
        + cpu.softirq.unwrap_or(0)
        + steal;
    MachineTicks { total, steal }
}

impl MachineTicks {
    /// Percent of the machine's CPU time since `before` that went to other guests.
    pub fn steal_pct_since(self, before: MachineTicks) -> f64 {
        let total = self.total.saturating_sub(before.total).max(1);
        self.steal.saturating_sub(before.steal) as f64 * 100.0 / total as f64
    }
}
