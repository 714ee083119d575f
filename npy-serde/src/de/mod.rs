//! Deserializing Rust values from npz archives: each field is looked up as a member (or,
//! for nested structs and maps, a group of members under its path), so the order of
//! members in the file does not matter.
//!
//! A member is read when its field is reached and dropped when the field's value is built,
//! so reading holds at most the member being decoded plus the value being built. Element
//! types follow serde's visitors with the checks NumPy users expect: a member's dtype must
//! be the field's element type or widen to it without loss (`<i4` into `i64`, `<f4` into
//! `f64`); anything else is an error naming the member, its shape and dtype. Missing
//! members are errors unless the field is an `Option` (then `None`) or has
//! `#[serde(default)]`; members no field asks for are ignored (unless the struct has
//! `#[serde(deny_unknown_fields)]`). See [`ser`](crate::ser) for the whole mapping.
//!
//! Split by concern: `group` finds members by path (groups, escaped and integer keys,
//! empty groups, indexed sequences); `member` decodes one member's elements through the
//! conversion table of [`convert`](crate::convert); `plain` reads plain `Vec` and ndarray
//! values in one piece through the typed reader; `bulk` hands whole members to
//! [`serde_array`](crate::serde_array) / [`Bulk`](crate::Bulk).

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use serde::de::{self, DeserializeOwned, Visitor};
use serde::forward_to_deserialize_any;

use crate::errors::{Error, Result};
use crate::npz::Reader;
use crate::serde_format::{ReadMembers, SerdeOptions};

/// Forwards every `deserialize_*` method but `deserialize_any` to it.
macro_rules! forward_everything_to_any {
    () => {
        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            enum identifier ignored_any
        }
    };
}

mod bulk;
mod group;
mod member;
mod object;
mod plain;

use group::{Archive, TopLevel};

/// Loads a `T` from the `.npz` archive at `path` (written by [`to_path`](crate::to_path),
/// `np.savez` or `np.savez_compressed`). Errors name the file and the member.
///
/// ```
/// use std::collections::HashMap;
/// use ndarray::ArrayD;
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("state.npz");
/// // An archive as `np.savez(path, **{"layer0/weight": w})` writes it.
/// let mut writer = npy_serde::npz::Writer::create(&path)?;
/// writer.add("layer0/weight", &ArrayD::<f32>::zeros(vec![4, 3]))?;
/// writer.finish()?;
/// // Names with the separator come back as nested maps, or through a struct.
/// let nested: HashMap<String, HashMap<String, ArrayD<f32>>> = npy_serde::from_path(&path)?;
/// assert_eq!(nested["layer0"]["weight"].shape(), [4, 3]);
///
/// // A map key holding the separator is escaped when saved, so it comes back as it was.
/// let mut state: HashMap<String, ArrayD<f32>> = HashMap::new();
/// state.insert("layer0/weight".into(), ArrayD::zeros(vec![4, 3]));
/// npy_serde::to_path(&path, &state)?;
/// let back: HashMap<String, ArrayD<f32>> = npy_serde::from_path(&path)?;
/// assert_eq!(back, state);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_path<T: DeserializeOwned, P: AsRef<Path>>(path: P) -> Result<T> {
    from_path_with(path, &SerdeOptions::default())
}

/// [`from_path`] with options (limits, object members, path separator).
pub fn from_path_with<T: DeserializeOwned, P: AsRef<Path>>(
    path: P,
    options: &SerdeOptions,
) -> Result<T> {
    let path = path.as_ref();
    let result = Reader::open_with(path, &options.read)
        .and_then(|reader| deserialize_members(reader, options));
    result.map_err(|e| e.in_file(path))
}

/// Reads a `T` from an `.npz` archive in `reader`. A zip archive's directory is at its
/// end, so the reader must also [`Seek`] (a `File`, a `Cursor`).
pub fn from_reader<T: DeserializeOwned, R: Read + Seek>(reader: R) -> Result<T> {
    from_reader_with(reader, &SerdeOptions::default())
}

/// [`from_reader`] with options (limits, object members, path separator).
pub fn from_reader_with<T: DeserializeOwned, R: Read + Seek>(
    reader: R,
    options: &SerdeOptions,
) -> Result<T> {
    let reader = Reader::with_options(reader, &options.read)?;
    deserialize_members(reader, options)
}

/// Reads a `T` from the bytes of an `.npz` archive (the in-memory counterpart of
/// [`from_path`]).
///
/// ```
/// let mut state = std::collections::BTreeMap::new();
/// state.insert("lr".to_string(), 0.001f32);
/// let bytes = npy_serde::to_vec(&state)?;
/// let back: std::collections::BTreeMap<String, f32> = npy_serde::from_slice(&bytes)?;
/// assert_eq!(back, state);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    from_reader(Cursor::new(bytes))
}

/// [`from_slice`] with options (limits, object members, path separator).
pub fn from_slice_with<T: DeserializeOwned>(bytes: &[u8], options: &SerdeOptions) -> Result<T> {
    from_reader_with(Cursor::new(bytes), options)
}

/// The serde `Deserializer` of the npz format, for callers that drive serde themselves
/// (`serde_path_to_error`, one archive read into several types): `&mut Deserializer` is
/// the serde deserializer.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Step { loss: f32 }
///
/// let mut state = std::collections::BTreeMap::new();
/// state.insert("loss", 0.5f32);
/// let bytes = npy_serde::to_vec(&state)?;
/// let mut deserializer = npy_serde::Deserializer::from_slice(&bytes)?;
/// let step = Step::deserialize(&mut deserializer)?;
/// assert_eq!(step.loss, 0.5);
/// # Ok::<(), npy_serde::Error>(())
/// ```
pub struct Deserializer<R: Read + Seek> {
    archive: Archive<Reader<R>>,
}

impl Deserializer<File> {
    /// A deserializer of the archive at `path`.
    pub fn from_path<P: AsRef<Path>>(path: P) -> Result<Self> {
        Self::from_path_with(path, &SerdeOptions::default())
    }

    /// [`from_path`](Self::from_path) with options (limits, object members, separator).
    pub fn from_path_with<P: AsRef<Path>>(path: P, options: &SerdeOptions) -> Result<Self> {
        let path = path.as_ref();
        let reader = Reader::open_with(path, &options.read)?;
        Deserializer::new(reader, options).map_err(|e| e.in_file(path))
    }
}

impl<R: Read + Seek> Deserializer<R> {
    /// A deserializer of the archive in `reader`.
    pub fn from_reader(reader: R) -> Result<Self> {
        Self::from_reader_with(reader, &SerdeOptions::default())
    }

    /// [`from_reader`](Self::from_reader) with options (limits, object members,
    /// separator).
    pub fn from_reader_with(reader: R, options: &SerdeOptions) -> Result<Self> {
        Deserializer::new(Reader::with_options(reader, &options.read)?, options)
    }

    fn new(reader: Reader<R>, options: &SerdeOptions) -> Result<Self> {
        options.check()?;
        Ok(Deserializer {
            archive: Archive::new(reader, options),
        })
    }
}

impl<'b> Deserializer<Cursor<&'b [u8]>> {
    /// A deserializer of the archive in `bytes`.
    pub fn from_slice(bytes: &'b [u8]) -> Result<Self> {
        Self::from_slice_with(bytes, &SerdeOptions::default())
    }

    /// [`from_slice`](Self::from_slice) with options (limits, object members, separator).
    pub fn from_slice_with(bytes: &'b [u8], options: &SerdeOptions) -> Result<Self> {
        Self::from_reader_with(Cursor::new(bytes), options)
    }
}

impl<'de, R: Read + Seek> de::Deserializer<'de> for &mut Deserializer<R> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_struct(name, fields, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        TopLevel {
            archive: &mut self.archive,
        }
        .deserialize_newtype_struct(name, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// Deserializes a `T` from the members of `source`.
pub(crate) fn deserialize_members<S, T>(source: S, options: &SerdeOptions) -> Result<T>
where
    S: ReadMembers,
    T: DeserializeOwned,
{
    options.check()?;
    let mut archive = Archive::new(source, options);
    T::deserialize(TopLevel {
        archive: &mut archive,
    })
}

#[cfg(test)]
mod tests;
