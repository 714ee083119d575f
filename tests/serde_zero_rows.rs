//! serde reads of members whose rows hold no bytes (a zero-length axis that is not the
//! first, as in `np.zeros((10**15, 0))`, a shape NumPy accepts): the work must be bounded
//! by the bytes in the archive, not by the shape. A 258-byte archive read into
//! `Vec<Vec<f64>>` once built 10^15 empty rows until the process aborted.
//!
//! Kept in its own test binary: before the fix, the failure is an abort, which would take
//! every other test of the binary with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

/// Counts the bytes allocated (never freed back): a bound on the work done.
struct CountingAllocator;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[derive(Deserialize, Debug)]
struct Rows {
    rows: Vec<Vec<f64>>,
}

/// An archive with one stored member `rows`: `<f8` of `shape`, no data bytes.
fn archive(shape: &[usize]) -> Vec<u8> {
    let mut writer = npy_serde::npz::Writer::new(std::io::Cursor::new(Vec::new()));
    let header = npy_serde::npy::Header::new("<f8".parse().unwrap(), shape.to_vec());
    let npy = header.to_bytes().unwrap();
    let array: npy_serde::NpyArray = npy_serde::npy::from_slice(&npy).unwrap();
    writer.add("rows", &array).unwrap();
    writer.finish().unwrap().into_inner()
}

#[test]
fn rows_of_zero_length_cost_nothing_however_many_the_shape_declares() {
    // A few empty rows are still rows.
    let few: Rows = npy_serde::from_slice(&archive(&[3, 0])).unwrap();
    assert_eq!(few.rows, vec![Vec::<f64>::new(); 3]);

    let bytes = archive(&[1_000_000_000_000_000, 0]);
    assert!(bytes.len() < 1024, "{} bytes", bytes.len());
    let before = ALLOCATED.load(Ordering::Relaxed);
    let result = npy_serde::from_slice::<Rows>(&bytes);
    let allocated = ALLOCATED.load(Ordering::Relaxed) - before;
    let err = result.expect_err("10^15 rows cannot be built");
    assert!(err.to_string().contains("rows"), "{err}");
    assert!(allocated < 16 << 20, "{allocated} bytes allocated");
}
