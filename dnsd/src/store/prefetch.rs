//! A hint to the CPU to start loading a cache line that will be read soon.
//! Walking the whole index costs two dependent cache misses per name (the
//! map's entry, then the node's bytes); issuing the loads a few names ahead
//! lets them overlap instead of queueing one after the other.
#![allow(unsafe_code)]

/// Asks for the cache line holding `value`; never faults, never changes
/// anything the program can observe.
#[inline(always)]
pub fn prefetch<T: ?Sized>(value: &T) {
    let ptr = (value as *const T).cast::<i8>();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it does not dereference in a way that
    // can fault, and `ptr` points into a live reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}
