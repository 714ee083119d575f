//! Hash maps written in sorted key order, so that saving the same value twice gives the
//! same bytes.
//!
//! A `HashMap` iterates in an order that changes from one process to the next (its hasher
//! is seeded at random), and serde hands its entries over in that order. Maps that keep an
//! order of their own (`BTreeMap`, `IndexMap`, any other) are written in it; maps known to
//! iterate in hash order (std's and hashbrown's `HashMap`, recognised by type where the
//! serializer holds the map as a `&T`) are written sorted by key: integer and bool keys by
//! value, others by text.
//!
//! In bounded memory, since such a map can hold gigabytes of arrays. The map is serialized
//! once with a serializer that keeps each entry's key and an estimate of the bytes its
//! members take ([`estimate`]: plain and bulk arrays by their length, other values by
//! walking them), skipping the values themselves. The entries in sorted order are cut into
//! windows: an entry big enough that copying it would cost more than one more iteration of
//! the map ([`PASS_BYTES_PER_ENTRY`] per entry iterated) is a window of its own, and the
//! others are grouped into windows whose estimates add up to at most [`WINDOW_BYTES`]. Then
//! the map is serialized once per window: entries outside the window are skipped
//! unserialized; a window of one entry writes it as it comes, from its own memory for a
//! plain array; a window of several gathers their members in memory and writes them in
//! order at the end of the pass. Each value is serialized once; the cost is one more
//! iteration of the map per window (keys captured again, values untouched), one copy of
//! the members of the small entries, and one extra walk of values that are neither plain
//! nor bulk arrays.

use std::marker::PhantomData;
use std::ops::Range;

use serde::ser::{self, Serialize};

use super::capture::Capture;
use super::plain::plain_array;
use super::{Impossible, Root};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::options::WriteOptions;
use crate::serde_format::{escape_key, in_member, join_path, RawMember, WriteMembers};
use crate::write::NpyWrite;

/// Most bytes of members gathered in memory to write a window of entries in order.
const WINDOW_BYTES: usize = 64 << 20;

/// The bytes whose copy costs about as much as one map entry does in one more pass over
/// the map (its key captured and compared, its value skipped: about 100 ns, the time to
/// copy a few hundred bytes into fresh memory): an entry of at least this many bytes per
/// entry of the map is written alone in a pass of its own rather than copied.
const PASS_BYTES_PER_ENTRY: usize = 256;

/// Type-name prefixes of the maps that iterate in hash order.
const UNORDERED_MAPS: [&str; 2] = [
    "std::collections::hash::map::HashMap<",
    "hashbrown::map::HashMap<",
];

/// How the value of a map entry is written: the serializer's entry point for a value at a
/// path, handed in by the caller (`group`), so that this module needs nothing above it.
pub(super) trait WriteValue {
    fn write_value<S: WriteMembers, V: ?Sized + Serialize>(
        root: &mut Root<S>,
        path: String,
        value: &V,
    ) -> Result<()>;
}

/// Whether values of type `T` (a reference looked through) are maps iterating in hash
/// order.
pub(super) fn is_unordered_map<T: ?Sized>() -> bool {
    let name = std::any::type_name::<T>().trim_start_matches('&');
    UNORDERED_MAPS.iter().any(|prefix| name.starts_with(prefix))
}

/// Writes the map `value` at `path` (the top level for `""`) in sorted key order. False,
/// with nothing written, when its keys cannot be read (a key with no text form, or not a
/// map after all): the ordinary path then writes it, or says what is wrong.
pub(super) fn write_sorted_map<S, T, W>(root: &mut Root<S>, path: &str, value: &T) -> Result<bool>
where
    S: WriteMembers,
    T: ?Sized + Serialize,
    W: WriteValue,
{
    let budget = Budget {
        window_bytes: WINDOW_BYTES,
        pass_bytes_per_entry: PASS_BYTES_PER_ENTRY,
    };
    write_sorted_map_within::<S, T, W>(root, path, value, budget)
}

/// How [`write_sorted_map`] cuts the sorted entries into windows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Most bytes of members gathered in memory for one window.
    pub(super) window_bytes: usize,
    /// An entry of at least this many bytes per entry of the map is a window of its own.
    pub(super) pass_bytes_per_entry: usize,
}

/// [`write_sorted_map`] with windows cut as `budget` says.
pub(super) fn write_sorted_map_within<S, T, W>(
    root: &mut Root<S>,
    path: &str,
    value: &T,
    budget: Budget,
) -> Result<bool>
where
    S: WriteMembers,
    T: ?Sized + Serialize,
    W: WriteValue,
{
    let mut keys = Vec::new();
    if value.serialize(KeyPass { keys: &mut keys }).is_err() {
        return Ok(false);
    }
    let mut sorted: Vec<usize> = (0..keys.len()).collect();
    sorted.sort_by(|&a, &b| keys[a].order.cmp(&keys[b].order));
    let mut ranks = vec![0; keys.len()];
    for (rank, &entry) in sorted.iter().enumerate() {
        ranks[entry] = rank;
    }
    let sizes: Vec<usize> = sorted.iter().map(|&entry| keys[entry].bytes).collect();
    let written_before = root.written;
    for window in windows(&sizes, budget) {
        value.serialize(WindowPass::<S, W> {
            root: &mut *root,
            path,
            keys: &keys,
            ranks: &ranks,
            window,
            seen: 0,
            gathered: Vec::new(),
            write: PhantomData,
        })?;
    }
    // As for any group: an empty map leaves an empty member, so that it reads back.
    if root.written == written_before && !path.is_empty() {
        root.write_empty_member(path)?;
    }
    Ok(true)
}

/// Cuts entries of `sizes` bytes (in writing order) into consecutive windows: an entry of
/// at least `pass_bytes_per_entry` bytes per entry alone, the others in windows of at most
/// `window_bytes` bytes together (or of one entry).
fn windows(sizes: &[usize], budget: Budget) -> Vec<Range<usize>> {
    let alone_from = budget.pass_bytes_per_entry.saturating_mul(sizes.len());
    let mut windows = Vec::new();
    let mut start = 0;
    let mut bytes = 0usize;
    for (index, &size) in sizes.iter().enumerate() {
        let alone = size >= alone_from;
        let full = bytes.saturating_add(size) > budget.window_bytes;
        if index > start && (alone || full) {
            windows.push(start..index);
            start = index;
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
        if alone {
            windows.push(index..index + 1);
            start = index + 1;
            bytes = 0;
        }
    }
    if start < sizes.len() {
        windows.push(start..sizes.len());
    }
    windows
}

/// One map entry as the key pass saw it.
struct KeyEntry {
    /// The key as a member-path component (before escaping).
    text: String,
    /// What the entry sorts by: the key's number for integer and bool keys, then its text.
    order: (Option<i128>, String),
    /// Estimated bytes of the members of its value.
    bytes: usize,
}

/// The key of a map entry, or `None` when it has no text form.
fn key_of<K: ?Sized + Serialize>(key: &K) -> Option<(Option<i128>, String)> {
    let captured = key.serialize(Capture::plain()).ok()?;
    let text = captured.as_key_text()?;
    Some((captured.as_key_number(), text))
}

fn not_a_map() -> Error {
    Error::from(ErrorKind::Custom("not a map".into()))
}

// ---------------------------------------------------------------------------------------
// The key pass
// ---------------------------------------------------------------------------------------

/// Serializes a map into its entries' keys and size estimates; anything else is an error.
struct KeyPass<'k> {
    keys: &'k mut Vec<KeyEntry>,
}

impl KeyPass<'_> {
    fn reject(self, _: &str) -> Error {
        not_a_map()
    }
}

impl<'k> ser::Serializer for KeyPass<'k> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Self;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_bytes serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_struct serialize_struct_variant);

    fn serialize_map(self, len: Option<usize>) -> Result<Self> {
        self.keys.reserve(len.unwrap_or(0));
        Ok(self)
    }
}

impl ser::SerializeMap for KeyPass<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<K: ?Sized + Serialize>(&mut self, key: &K) -> Result<()> {
        let (number, text) = key_of(key).ok_or_else(not_a_map)?;
        self.keys.push(KeyEntry {
            order: (number, text.clone()),
            text,
            bytes: 0,
        });
        Ok(())
    }

    fn serialize_value<V: ?Sized + Serialize>(&mut self, value: &V) -> Result<()> {
        let entry = self.keys.last_mut().ok_or_else(not_a_map)?;
        estimate(value, &mut entry.bytes);
        Ok(())
    }

    fn end(self) -> Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The window passes
// ---------------------------------------------------------------------------------------

/// Serializes a map writing only the entries whose sorted positions are in `window`, each
/// with `W`.
struct WindowPass<'p, 'r, S, W> {
    root: &'r mut Root<S>,
    /// The map's path.
    path: &'p str,
    /// The entries as the key pass saw them, in iteration order.
    keys: &'p [KeyEntry],
    /// Each entry's sorted position.
    ranks: &'p [usize],
    window: Range<usize>,
    /// Entries seen so far in this pass.
    seen: usize,
    /// The members of the window's entries gathered so far, with their sorted positions
    /// (windows of several entries only).
    gathered: Vec<(usize, MemberBuffer)>,
    write: PhantomData<W>,
}

impl<S, W> WindowPass<'_, '_, S, W> {
    fn reject(self, _: &str) -> Error {
        not_a_map()
    }

    /// The error for a map that did not iterate as in the key pass.
    fn changed(&self) -> Error {
        Error::from(ErrorKind::Custom(
            "the map's entries changed between two passes over it".into(),
        ))
    }
}

impl<'p, 'r, S: WriteMembers, W: WriteValue> ser::Serializer for WindowPass<'p, 'r, S, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Self;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_bytes serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_struct serialize_struct_variant);

    fn serialize_map(self, _: Option<usize>) -> Result<Self> {
        Ok(self)
    }
}

impl<S: WriteMembers, W: WriteValue> ser::SerializeMap for WindowPass<'_, '_, S, W> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<K: ?Sized + Serialize>(&mut self, key: &K) -> Result<()> {
        let expected = self.keys.get(self.seen).ok_or_else(|| self.changed())?;
        match key_of(key) {
            Some((_, text)) if text == expected.text => Ok(()),
            _ => Err(self.changed()),
        }
    }

    fn serialize_value<V: ?Sized + Serialize>(&mut self, value: &V) -> Result<()> {
        let entry = self.seen;
        self.seen += 1;
        let rank = self.ranks[entry];
        if !self.window.contains(&rank) {
            return Ok(());
        }
        let separator = self.root.separator.clone();
        let key = escape_key(&self.keys[entry].text, &separator);
        let path = join_path(self.path, &key, &separator);
        if self.window.len() == 1 {
            return W::write_value(self.root, path, value);
        }
        let mut buffer = MemberBuffer::default();
        let mut gathering = Root::new(&mut buffer, &separator);
        W::write_value(&mut gathering, path, value)?;
        self.gathered.push((rank, buffer));
        Ok(())
    }

    fn end(mut self) -> Result<()> {
        if self.seen != self.keys.len() {
            return Err(self.changed());
        }
        self.gathered.sort_by_key(|(rank, _)| *rank);
        let (mut sink, _) = self.root.parts();
        for (_, buffer) in &self.gathered {
            for member in &buffer.members {
                let raw = RawMember {
                    header: member.header.clone(),
                    bytes: &member.bytes,
                };
                sink.add_member(&member.path, &raw)
                    .map_err(|e| in_member(e, &member.path))?;
            }
        }
        Ok(())
    }
}

/// Members kept in memory, in the order they came: an entry's members, to be written when
/// the entries before it in sorted order are.
#[derive(Default)]
struct MemberBuffer {
    members: Vec<BufferedMember>,
}

struct BufferedMember {
    path: String,
    header: Header,
    /// The data, laid out as `header` says.
    bytes: Vec<u8>,
}

impl WriteMembers for MemberBuffer {
    fn add_member<A: NpyWrite + ?Sized>(&mut self, path: &str, array: &A) -> Result<()> {
        // The serializer's members are in native byte order whatever the options (all but
        // strings ignore them), so the defaults are what a writer would ask for.
        let header = array.header(&WriteOptions::default())?;
        let mut bytes = Vec::with_capacity(usize::try_from(header.data_len()?).unwrap_or(0));
        array.write_data(&header, &mut bytes)?;
        self.members.push(BufferedMember {
            path: path.to_string(),
            header,
            bytes,
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Size estimates
// ---------------------------------------------------------------------------------------

/// Adds to `total` an estimate of the bytes the members of `value` take: a plain array by
/// its length (no walk), anything else by walking its serde form (numbers by their size,
/// strings at four bytes a character as in a `U` member, bulk arrays by their data bytes).
fn estimate<T: ?Sized + Serialize>(value: &T, total: &mut usize) {
    if let Some(array) = plain_array(value) {
        *total = total.saturating_add(array.byte_len());
        return;
    }
    // A value that fails part way is an estimate of what was walked: the real pass then
    // reports the failure.
    let _ = value.serialize(SizeEstimate { total });
}

/// The walker of [`estimate`]: adds what it is shown to `total`.
struct SizeEstimate<'t> {
    total: &'t mut usize,
}

impl SizeEstimate<'_> {
    fn add(self, bytes: usize) -> Result<()> {
        *self.total = self.total.saturating_add(bytes);
        Ok(())
    }
}

/// Implements number methods of `SizeEstimate` as their size.
macro_rules! count_number {
    ($($method:ident($t:ty) => $kind:ident),*) => {$(
        fn $method(self, _: $t) -> Result<()> {
            self.add(size_of::<$t>())
        }
    )*};
}

impl<'t> ser::Serializer for SizeEstimate<'t> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    numbers!(count_number);

    fn serialize_bool(self, _: bool) -> Result<()> {
        self.add(1)
    }
    fn serialize_char(self, _: char) -> Result<()> {
        self.add(4)
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.add(4 * v.len())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.add(v.len())
    }
    fn serialize_none(self) -> Result<()> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        estimate(value, self.total);
        Ok(())
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.add(4 * variant.len())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        estimate(value, self.total);
        Ok(())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        estimate(value, self.total);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self> {
        Ok(self)
    }
}

impl SizeEstimate<'_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        estimate(value, self.total);
        Ok(())
    }

    fn finish(self) -> Result<()> {
        Ok(())
    }
}

sequence_impls!([] SizeEstimate<'_> => (): SerializeSeq::serialize_element,
    SerializeTuple::serialize_element, SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field);

impl ser::SerializeMap for SizeEstimate<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<()> {
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeStruct for SizeEstimate<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for SizeEstimate<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_hold_at_most_the_budget_or_one_big_entry() {
        let budget = |window_bytes, pass_bytes_per_entry| Budget {
            window_bytes,
            pass_bytes_per_entry,
        };
        let never_alone = budget(10, usize::MAX);
        assert_eq!(windows(&[], never_alone), Vec::<Range<usize>>::new());
        assert_eq!(windows(&[3, 3, 3, 3], never_alone), [0..3, 3..4]);
        assert_eq!(
            windows(&[20, 1, 1, 20, 5], never_alone),
            [0..1, 1..3, 3..4, 4..5]
        );
        assert_eq!(
            windows(&[usize::MAX, usize::MAX], never_alone),
            [0..1, 1..2]
        );
        // Five entries, alone from 5 * 2 = 10 bytes.
        assert_eq!(
            windows(&[1, 10, 2, 3, 12], budget(100, 2)),
            [0..1, 1..2, 2..4, 4..5]
        );
        assert_eq!(windows(&[0, 0, 0], budget(100, 0)), [0..1, 1..2, 2..3]);
    }

    #[test]
    fn hash_maps_are_recognised_by_type() {
        use std::collections::{BTreeMap, HashMap};
        assert!(is_unordered_map::<HashMap<String, Vec<f32>>>());
        assert!(is_unordered_map::<&HashMap<u32, u8>>());
        assert!(!is_unordered_map::<BTreeMap<String, Vec<f32>>>());
        assert!(!is_unordered_map::<Vec<(String, f32)>>());
    }
}
