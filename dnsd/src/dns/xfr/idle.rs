//! Sending transfers at the lowest CPU priority. A zone transfer is bulk
//! work that can wait a little; queries cannot. A thread under `SCHED_IDLE`
//! runs only when nothing else of the process wants the CPU (within its
//! cgroup too), so a transfer to a secondary takes what queries leave
//! instead of taking from them, and on an idle server runs at full speed.
#![allow(unsafe_code)]

/// Puts the calling thread under `SCHED_IDLE`; false if the kernel refused.
pub fn lower_this_thread() -> bool {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param for
    // the call's duration. Lowering one's own priority needs no privilege.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 }
}
