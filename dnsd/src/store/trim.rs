//! Hands memory that the start freed back to the kernel.
#![allow(unsafe_code)]

/// Loading the index frees many short-lived buffers between the index's own
/// allocations, and glibc keeps those pages mapped unless asked: ~2.5 MiB
/// of resident memory at 100,000 hosts (docs/PERFORMANCE.md).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only walks glibc's own
    // free lists and releases whole free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}
