//! What kind of file a few first bytes start: the magic strings of `.npy` (`\x93NUMPY`),
//! zip archives (`PK\x03\x04`, or `PK\x05\x06` for an empty one) and Python pickles
//! (`\x80` + protocol). The one place that tells them apart: `npz::open_any`, the
//! readers' "this is an .npz, not an .npy" errors and the `npy` command all ask
//! [`FileKind::sniff`].

/// The magic string every `.npy` file starts with.
pub(crate) const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Bytes [`FileKind::sniff`] needs to decide: the `.npy` magic string.
pub(crate) const SNIFF_LEN: usize = NPY_MAGIC.len();

/// The kind of file that bytes start, as `np.load` tells them apart by their first bytes.
///
/// ```
/// use npy_serde::npz::FileKind;
///
/// assert_eq!(FileKind::sniff(b"\x93NUMPY\x01\x00"), Some(FileKind::Npy));
/// assert_eq!(FileKind::sniff(b"PK\x03\x04\x14\x00"), Some(FileKind::Npz));
/// assert_eq!(FileKind::sniff(b"\x80\x04\x95"), Some(FileKind::Pickle));
/// assert_eq!(FileKind::sniff(b"hello"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A `.npy` file: one array.
    Npy,
    /// A zip archive: an `.npz` of arrays.
    Npz,
    /// A Python pickle (what `np.save` of an object array without a header, or
    /// `pickle.dump`, writes), which only the safe pickle reader may read.
    Pickle,
}

impl FileKind {
    /// The kind of file whose first bytes are `first` (at least 6 bytes are needed to
    /// recognise a `.npy`; fewer only ever give `None` or a zip or pickle).
    pub fn sniff(first: &[u8]) -> Option<FileKind> {
        if first.starts_with(NPY_MAGIC) {
            Some(FileKind::Npy)
        } else if first.starts_with(b"PK\x03\x04") || first.starts_with(b"PK\x05\x06") {
            Some(FileKind::Npz)
        } else if first.first() == Some(&0x80) {
            Some(FileKind::Pickle)
        } else {
            None
        }
    }

    /// How messages name the kind: `.npy file`, `.npz archive`, `Python pickle`.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Npy => ".npy file",
            FileKind::Npz => ".npz archive",
            FileKind::Pickle => "Python pickle",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_empty_inputs_are_not_recognised_as_npy() {
        assert_eq!(FileKind::sniff(b""), None);
        assert_eq!(FileKind::sniff(b"\x93NUMP"), None);
        assert_eq!(FileKind::sniff(b"PK\x05\x06"), Some(FileKind::Npz));
        assert_eq!(FileKind::sniff(b"PK\x01\x02"), None);
    }
}
