//! One member under construction: [`ArrayBuilder`] gathers the leaves (numbers, bools,
//! `f16`, complex numbers, strings, records) in native byte order and C order, checks that
//! nested sequences are rectangular, and writes the result as one `.npy` member (or, for a
//! sequence that turned out to be groups, the records built so far as indexed groups).

use super::leaf::{LeafKind, Scalar};
use crate::dtype::{DType, Endian, Record};
use crate::elements::{FixedElement, NpyElement};
use crate::errors::{Error, Result};
use crate::header::Header;
use crate::serde_format::{escape_key, join_path, shape_text, RawMember, WriteMembers};
use crate::write::Shaped;

/// One member under construction: the leaves' kind and bytes (native order, C order), and
/// the length seen at each nesting depth, checked to be the same for every row.
#[derive(Default)]
pub struct ArrayBuilder {
    kind: Option<LeafKind>,
    leaf_depth: usize,
    lens: Vec<Option<usize>>,
    /// Fixed-width leaves, or the fixed-width fields of each finished record.
    bytes: Vec<u8>,
    /// String leaves, or the string fields of each finished record.
    strings: Vec<String>,
    /// The fields of record elements, set by the first one.
    record: Vec<(String, LeafKind)>,
    /// Records finished (a record is kept only once all its fields are in).
    records: usize,
    /// The record being built: its fixed-width bytes and strings.
    pending_bytes: Vec<u8>,
    pending_strings: Vec<String>,
    /// The length the outermost sequence announced (ndarray's flat data does): room for
    /// that many leaves is made when the first one fixes their size.
    len_hint: Option<usize>,
    /// Set when an element of the outermost sequence cannot be an array element but can
    /// be a group (a struct holding arrays, a map, an ndarray, a record unlike the first):
    /// the sequence is then written as indexed groups.
    irregular: bool,
}

impl ArrayBuilder {
    /// Empties the builder, keeping its buffers' capacity for the next member.
    pub(super) fn reset(&mut self) {
        self.kind = None;
        self.leaf_depth = 0;
        self.lens.clear();
        self.bytes.clear();
        self.strings.clear();
        self.record.clear();
        self.records = 0;
        self.len_hint = None;
        self.pending_bytes.clear();
        self.pending_strings.clear();
        self.irregular = false;
    }

    /// The length of the outermost sequence, when it says.
    pub(super) fn set_len_hint(&mut self, len: Option<usize>) {
        self.len_hint = len;
    }

    /// The length the outermost sequence of an element announced, kept only while no
    /// leaf has fixed the member's kind (ndarray's flat data announces its length).
    pub(super) fn set_outer_len(&mut self, len: Option<usize>) {
        if self.kind.is_none() {
            self.len_hint = len;
        }
    }

    /// Marks the sequence being built as one of groups, after an element at `depth` that
    /// cannot be an array element: an element of the outermost sequence (records built
    /// before it become groups too), or a deeper one while nothing is built yet
    /// (`Vec<Vec<Layer>>` becomes `x/0/0/…`).
    pub(super) fn mark_irregular(&mut self, depth: usize) {
        let nothing_built = self.records == 0 && self.bytes.is_empty() && self.strings.is_empty();
        if depth == 1 || (depth > 1 && nothing_built) {
            self.irregular = true;
        }
    }

    /// Whether the last element failed for being a group (and clears the mark).
    pub(super) fn take_irregular(&mut self) -> bool {
        std::mem::take(&mut self.irregular)
    }

    /// Appends one fixed-width leaf.
    #[inline]
    pub(super) fn push(&mut self, kind: LeafKind, depth: usize, bytes: &[u8]) -> Result<()> {
        if self.kind != Some(kind) || self.leaf_depth != depth {
            self.start_leaf(kind, depth)?;
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends one scalar leaf (a complex number made of its parts).
    pub(super) fn push_scalar(&mut self, scalar: Scalar, depth: usize) -> Result<()> {
        self.push(scalar.kind, depth, scalar.bytes())
    }

    pub(super) fn push_str(&mut self, depth: usize, text: String) -> Result<()> {
        check_no_trailing_nul(&text)?;
        if self.kind != Some(LeafKind::Str) || self.leaf_depth != depth {
            self.start_leaf(LeafKind::Str, depth)?;
        }
        self.strings.push(text);
        Ok(())
    }

    /// Checks a leaf of `kind` at `depth` against the leaves so far: the first one sets
    /// the kind and the number of dimensions.
    pub(super) fn start_leaf(&mut self, kind: LeafKind, depth: usize) -> Result<()> {
        match self.kind {
            None => {
                if self.lens.len() > depth {
                    return Err(ragged(depth));
                }
                self.kind = Some(kind);
                self.leaf_depth = depth;
                if let (Some(len), 1) = (self.len_hint.take(), depth) {
                    self.reserve(kind, len);
                }
                Ok(())
            }
            Some(first) if first != kind => Err(Error::unwritable(format!(
                "elements of different types in one array: {} and {}",
                first.name(),
                kind.name()
            ))),
            Some(_) if self.leaf_depth != depth => Err(ragged(depth.min(self.leaf_depth))),
            Some(_) => Ok(()),
        }
    }

    /// Makes room for `len` leaves of `kind` in one allocation (huge pages when large),
    /// rather than doubling through the copy of a large array.
    fn reserve(&mut self, kind: LeafKind, len: usize) {
        match kind.dtype() {
            Some(dtype) if self.bytes.capacity() < len * dtype.itemsize() => {
                let needed = len.saturating_mul(dtype.itemsize());
                self.bytes = crate::buffer::vec_for_write(needed);
            }
            None if kind == LeafKind::Str => self.strings.reserve(len),
            _ => {}
        }
    }

    /// Checks that a sequence may start at `depth` (not where elements are).
    pub(super) fn start_seq(&self, depth: usize) -> Result<()> {
        if self.kind.is_some() && depth >= self.leaf_depth {
            return Err(ragged(self.leaf_depth));
        }
        Ok(())
    }

    /// Records a sequence of `count` items at `depth`: all must have the same length.
    pub(super) fn end_seq(&mut self, depth: usize, count: usize) -> Result<()> {
        if self.lens.len() <= depth {
            self.lens.resize(depth + 1, None);
        }
        match self.lens[depth] {
            None => self.lens[depth] = Some(count),
            Some(first) if first != count => {
                return Err(Error::unwritable(format!(
                    "ragged nested sequence: rows at depth {depth} have {first} and {count} \
                     items; an array needs rows of equal length"
                )))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Starts a record element at `depth`; true when it is the first, which defines the
    /// record's fields.
    pub(super) fn start_record(&mut self, depth: usize) -> Result<bool> {
        let defining = self.kind.is_none();
        self.start_leaf(LeafKind::Record, depth)?;
        self.pending_bytes.clear();
        self.pending_strings.clear();
        Ok(defining)
    }

    /// Adds a field to the record's definition (while the first record is built).
    pub(super) fn define_record_field(&mut self, name: &str, kind: LeafKind) {
        self.record.push((name.to_string(), kind));
    }

    /// Field `index` of the record's definition: its name and kind.
    pub(super) fn record_field(&self, index: usize) -> Option<(&str, LeafKind)> {
        self.record
            .get(index)
            .map(|(name, kind)| (name.as_str(), *kind))
    }

    pub(super) fn record_field_count(&self) -> usize {
        self.record.len()
    }

    /// A fixed-width field value of the record being built.
    pub(super) fn push_record_bytes(&mut self, bytes: &[u8]) {
        self.pending_bytes.extend_from_slice(bytes);
    }

    /// A string field value of the record being built.
    pub(super) fn push_record_string(&mut self, text: String) {
        self.pending_strings.push(text);
    }

    /// Keeps the record being built, now that all its fields are in.
    pub(super) fn finish_record(&mut self) {
        self.bytes.extend_from_slice(&self.pending_bytes);
        self.strings.append(&mut self.pending_strings);
        self.pending_bytes.clear();
        self.records += 1;
    }

    /// The shape of what was built.
    fn shape(&self) -> Vec<usize> {
        let ndim = match self.kind {
            Some(_) => self.leaf_depth,
            None => self.lens.len(),
        };
        self.lens[..ndim.min(self.lens.len())]
            .iter()
            .map(|len| len.unwrap_or(0))
            .collect()
    }

    /// Writes what was built as member `path`, with `shape` instead of the built one when
    /// given (ndarray's flat data).
    pub(super) fn write_member<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        shape: Option<Vec<usize>>,
    ) -> Result<()> {
        let built = self.shape();
        let shape = match shape {
            None => built,
            Some(shape) => {
                let count: usize = built.iter().product();
                if crate::header::element_count(&shape)? != count || built.len() != 1 {
                    return Err(Error::unwritable(format!(
                        "array of shape {} has {count} elements",
                        shape_text(&shape)
                    )));
                }
                shape
            }
        };
        let dtype = match self.kind {
            Some(LeafKind::Str) => {
                return sink.add_member(path, &Shaped::new(&self.strings, &shape));
            }
            Some(LeafKind::Record) => return self.write_records(sink, path, shape),
            Some(kind) => kind.dtype().expect("fixed kind"),
            // No element to take a dtype from: NumPy's default for `np.array([])`.
            None => f64::dtype(),
        };
        let header = Header::new(dtype, shape);
        sink.add_member(
            path,
            &RawMember {
                header,
                bytes: &self.bytes,
            },
        )
    }

    /// Writes the finished records as one structured member: fixed fields as they are,
    /// strings as `<U{longest}` of their field.
    fn write_records<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        shape: Vec<usize>,
    ) -> Result<()> {
        let string_fields = self
            .record
            .iter()
            .filter(|(_, k)| *k == LeafKind::Str)
            .count();
        let widths: Vec<usize> = (0..string_fields)
            .map(|j| {
                (0..self.records)
                    .map(|r| self.strings[r * string_fields + j].chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        let mut widths_iter = widths.iter();
        let fields: Vec<(String, DType)> = self
            .record
            .iter()
            .map(|(name, kind)| {
                let dtype = match kind {
                    LeafKind::Str => DType::Unicode {
                        chars: *widths_iter.next().expect("one width per string field"),
                        endian: Endian::NATIVE,
                    },
                    other => other.dtype().expect("fixed field"),
                };
                (name.clone(), dtype)
            })
            .collect();
        let dtype = DType::Record(Record::packed(fields));
        let header = Header::new(dtype.clone(), shape);
        if string_fields == 0 {
            return sink.add_member(
                path,
                &RawMember {
                    header,
                    bytes: &self.bytes,
                },
            );
        }
        let DType::Record(record) = &dtype else {
            unreachable!("built above")
        };
        let fixed_size: usize = self.bytes.len() / self.records.max(1);
        let mut bytes = vec![0u8; record.itemsize * self.records];
        for r in 0..self.records {
            let out = &mut bytes[r * record.itemsize..(r + 1) * record.itemsize];
            let mut fixed = &self.bytes[r * fixed_size..(r + 1) * fixed_size];
            let mut strings = self.strings[r * string_fields..(r + 1) * string_fields].iter();
            for field in &record.fields {
                let size = field.dtype.itemsize();
                let slot = &mut out[field.offset..field.offset + size];
                match field.dtype {
                    DType::Unicode { .. } => {
                        let text = strings.next().expect("one string per string field");
                        String::encode(std::iter::once(text), &field.dtype, slot, size)?;
                    }
                    _ => {
                        slot.copy_from_slice(&fixed[..size]);
                        fixed = &fixed[size..];
                    }
                }
            }
        }
        sink.add_member(
            path,
            &RawMember {
                header,
                bytes: &bytes,
            },
        )
    }

    /// Writes the finished records (elements `0..count` of the sequence at `path`) as
    /// indexed groups of 0-d members, `path/0/x`, `path/0/y`, …: a sequence that turned out
    /// not to be one record array.
    pub(super) fn write_records_indexed<S: WriteMembers>(
        &self,
        sink: &mut S,
        path: &str,
        separator: &str,
        count: usize,
    ) -> Result<()> {
        match self.kind {
            _ if count == 0 => return Ok(()),
            Some(LeafKind::Record) => {}
            Some(kind) => {
                return Err(Error::unwritable(format!(
                    "elements of different kinds in one sequence: {} and a group of members",
                    kind.name()
                )))
            }
            None => return Err(Error::unwritable("mixed elements in one sequence")),
        }
        let string_fields = self
            .record
            .iter()
            .filter(|(_, k)| *k == LeafKind::Str)
            .count();
        let fixed_size: usize = self.bytes.len() / self.records.max(1);
        for r in 0..self.records {
            let element = join_path(path, &r.to_string(), separator);
            let mut fixed = &self.bytes[r * fixed_size..(r + 1) * fixed_size];
            let mut strings = self.strings[r * string_fields..(r + 1) * string_fields].iter();
            for (name, kind) in &self.record {
                let member = join_path(&element, &escape_key(name, separator), separator);
                match kind {
                    LeafKind::Str => {
                        let text = strings.next().expect("one string per string field");
                        sink.add_member(&member, &Shaped::new(std::slice::from_ref(text), &[]))?;
                    }
                    kind => {
                        let dtype = kind.dtype().expect("fixed field");
                        let size = dtype.itemsize();
                        let header = Header::new(dtype, vec![]);
                        sink.add_member(
                            &member,
                            &RawMember {
                                header,
                                bytes: &fixed[..size],
                            },
                        )?;
                        fixed = &fixed[size..];
                    }
                }
            }
        }
        Ok(())
    }
}
/// NumPy's `U` strings end at their first trailing NUL (`np.array(["a\0"])[0] == "a"`), so
/// a string ending in NUL would not load back as it was: refused at save.
pub(super) fn check_no_trailing_nul(text: &str) -> Result<()> {
    if text.ends_with('\0') {
        return Err(Error::unwritable(format!(
            "the string {text:?} ends in NUL, which NumPy's 'U' strings strip (it would load \
             back shorter)"
        )));
    }
    Ok(())
}

fn ragged(depth: usize) -> Error {
    Error::unwritable(format!(
        "ragged nested sequence: some items at depth {depth} are sequences and some are \
         not, or rows differ in nesting"
    ))
}
