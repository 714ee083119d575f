//! Plain array values read in one piece: when the value being deserialized is exactly
//! `Vec<E>`, `ndarray::Array<E, D>` or `ndarray::ArcArray<E, D>` (`D` from `Ix0` to `Ix6`,
//! or `IxDyn`) for a
//! [`BulkElement`](crate::serde_array::BulkElement) `E`, and the visitor is that type's own
//! (serde's for `Vec`, ndarray's for arrays), the member is read through the typed reader
//! the npz reader uses ([`NpyRead`]) and the value handed over whole, instead of one serde
//! call per element.
//!
//! Serde shows the deserializer only a visitor; but the visitor's type and the type of the
//! value it makes are known. Their lifetime-erased type ids ([`typeid::of`]) are looked up
//! among the plain array types'. The value type must be the candidate itself (they hold no
//! lifetimes, so equal ids mean the very type), and the visitor must be the one the
//! candidate's own `Deserialize` impl hands over (found once by asking it to deserialize
//! from a probe that notes its visitor's type id), so that a `deserialize_with` function
//! with a visitor of its own making is never bypassed.
//!
//! The typed read is taken only where it gives what the element path gives: a member of at
//! least one dimension (0-d members convert by value), of the rank asked for (one for a
//! `Vec`), with elements, whose dtype the conversion table lets into `E`. Fortran-order
//! members come out in C order, as from the element path. Any other member is read as the
//! element path reads it, so its conversions and errors are exactly as before.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use ndarray::{ArcArray, Array, Dimension, Ix0, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn};
use serde::de::{self, DeserializeOwned, Visitor};
use serde::forward_to_deserialize_any;

use crate::convert::{self, FromValue, Target};
use crate::elements::{DataReader, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::read::NpyRead;
use crate::serde_array::bulk_element_types;
use crate::serde_format::{MemberData, ReadMembers};

/// The shape a plain array type takes a member in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    /// `Vec<E>`: a 1-D member.
    Vec,
    /// `Array<E, IxN>`: an N-D member.
    Fixed(usize),
    /// `Array<E, IxDyn>`: a member of any rank.
    Dyn,
}

/// A plain array type, as the reader needs it: its element type and rank.
#[derive(Debug, Clone, Copy)]
pub(super) struct PlainType {
    element: Target,
    rank: Rank,
    /// An `ArcArray` rather than an `Array` (or `Vec`).
    shared: bool,
}

/// A plain array type's entry: the visitor its own `Deserialize` impl uses, and the type.
struct Registered {
    visitor: TypeId,
    plain: PlainType,
}

/// The plain array types by the type id of the value.
fn plain_types() -> &'static HashMap<TypeId, Registered> {
    static TYPES: OnceLock<HashMap<TypeId, Registered>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut types = HashMap::new();
        macro_rules! register {
            ($($e:ty),*) => {$(
                let element = <$e as FromValue>::TARGET;
                register::<Vec<$e>>(&mut types, element, Rank::Vec, false);
                register_ranks!($e, element, Array, false);
                register_ranks!($e, element, ArcArray, true);
            )*};
        }
        macro_rules! register_ranks {
            ($e:ty, $element:ident, $array:ident, $shared:expr) => {
                register::<$array<$e, Ix0>>(&mut types, $element, Rank::Fixed(0), $shared);
                register::<$array<$e, Ix1>>(&mut types, $element, Rank::Fixed(1), $shared);
                register::<$array<$e, Ix2>>(&mut types, $element, Rank::Fixed(2), $shared);
                register::<$array<$e, Ix3>>(&mut types, $element, Rank::Fixed(3), $shared);
                register::<$array<$e, Ix4>>(&mut types, $element, Rank::Fixed(4), $shared);
                register::<$array<$e, Ix5>>(&mut types, $element, Rank::Fixed(5), $shared);
                register::<$array<$e, Ix6>>(&mut types, $element, Rank::Fixed(6), $shared);
                register::<$array<$e, IxDyn>>(&mut types, $element, Rank::Dyn, $shared);
            };
        }
        bulk_element_types!(register);
        types
    })
}

/// Registers `C` with the visitor its `Deserialize` impl uses (none found: not registered,
/// so it keeps the element path).
fn register<C: DeserializeOwned + 'static>(
    types: &mut HashMap<TypeId, Registered>,
    element: Target,
    rank: Rank,
    shared: bool,
) {
    if let Err(Probed(Some(visitor))) = C::deserialize(VisitorProbe) {
        let plain = PlainType {
            element,
            rank,
            shared,
        };
        types.insert(typeid::of::<C>(), Registered { visitor, plain });
    }
}

/// A deserializer that notes the type id of the visitor it is handed, then fails.
struct VisitorProbe;

/// The probe's answer: the visitor's type id (none when a `Deserialize` impl failed for
/// another reason).
#[derive(Debug)]
struct Probed(Option<TypeId>);

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probe for the visitor's type")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probed(None)
    }
}

impl<'de> de::Deserializer<'de> for VisitorProbe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Probed> {
        Err(Probed(Some(typeid::of::<V>())))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The plain array type `V` makes, when `V` is that type's own visitor.
pub(super) fn plain_type<'de, V: Visitor<'de>>() -> Option<PlainType> {
    let registered = plain_types().get(&typeid::of::<V::Value>())?;
    (registered.visitor == typeid::of::<V>()).then_some(registered.plain)
}

/// A member read for a plain array type.
pub(super) enum PlainMember {
    /// The value itself (boxed as the plain array type).
    Value(Box<dyn Any>),
    /// A member the typed read does not fit, read as the element path reads it.
    Other(MemberData),
}

/// Reads member `path` for the plain array type `plain`.
pub(super) fn read<S: ReadMembers>(
    source: &mut S,
    path: &str,
    plain: PlainType,
) -> Result<PlainMember> {
    macro_rules! by_element {
        ($($e:ty),*) => {$(
            if plain.element == <$e as FromValue>::TARGET {
                return read_rank::<$e, S>(source, path, plain.rank, plain.shared);
            }
        )*};
    }
    bulk_element_types!(by_element);
    unreachable!("only bulk element types are registered")
}

fn read_rank<E, S>(source: &mut S, path: &str, rank: Rank, shared: bool) -> Result<PlainMember>
where
    E: NpyElement + FromValue + Clone + 'static,
    S: ReadMembers,
{
    match rank {
        Rank::Vec => read_as::<E, Ix1, S>(source, path, |array| {
            // One dimension: the vector holds the elements in order, from its start.
            Box::new(array.into_raw_vec_and_offset().0)
        }),
        Rank::Fixed(0) => read_array::<E, Ix0, S>(source, path, shared),
        Rank::Fixed(1) => read_array::<E, Ix1, S>(source, path, shared),
        Rank::Fixed(2) => read_array::<E, Ix2, S>(source, path, shared),
        Rank::Fixed(3) => read_array::<E, Ix3, S>(source, path, shared),
        Rank::Fixed(4) => read_array::<E, Ix4, S>(source, path, shared),
        Rank::Fixed(5) => read_array::<E, Ix5, S>(source, path, shared),
        Rank::Fixed(6) => read_array::<E, Ix6, S>(source, path, shared),
        Rank::Fixed(_) => unreachable!("ndarray's fixed ranks end at 6"),
        Rank::Dyn => read_array::<E, IxDyn, S>(source, path, shared),
    }
}

/// Reads an array in C order, as ndarray's visitor builds it from the element path; an
/// `ArcArray` when `shared`.
fn read_array<E, D, S>(source: &mut S, path: &str, shared: bool) -> Result<PlainMember>
where
    E: NpyElement + FromValue + Clone + 'static,
    D: Dimension + 'static,
    S: ReadMembers,
{
    read_as::<E, D, S>(source, path, |array| {
        let array = if array.is_standard_layout() {
            array
        } else {
            array.as_standard_layout().into_owned()
        };
        if shared {
            Box::new(array.into_shared())
        } else {
            Box::new(array)
        }
    })
}

fn read_as<E, D, S>(
    source: &mut S,
    path: &str,
    into_value: impl FnOnce(Array<E, D>) -> Box<dyn Any>,
) -> Result<PlainMember>
where
    E: NpyElement + FromValue,
    D: Dimension,
    S: ReadMembers,
{
    Ok(match source.read_member::<Fitted<E, D>>(path)? {
        Fitted::Array(array) => {
            #[cfg(test)]
            READ.with(|read| read.set(read.get() + 1));
            PlainMember::Value(into_value(array))
        }
        Fitted::Other(member) => PlainMember::Other(member),
    })
}

#[cfg(test)]
thread_local! {
    /// Plain arrays read in one piece by this thread: tests check where the path is taken.
    pub(super) static READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A member read as an array of `E` and rank `D` when it fits, as member data otherwise.
enum Fitted<E, D> {
    Array(Array<E, D>),
    Other(MemberData),
}

impl<E: NpyElement + FromValue, D: Dimension> NpyRead for Fitted<E, D> {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        if fits::<E, D>(header)? {
            Array::<E, D>::read_npy_data(header, data).map(Fitted::Array)
        } else {
            MemberData::read_npy_data(header, data).map(Fitted::Other)
        }
    }

    fn from_objects(objects: crate::pickle::ObjectArray) -> Result<Self> {
        MemberData::from_objects(objects).map(Fitted::Other)
    }
}

/// Whether the typed read of a member with `header` gives what the element path gives:
/// not 0-d (those convert by value), of rank `D`, not empty (the element path reads an
/// empty member of any dtype), and of a dtype the conversion table lets into `E`.
fn fits<E: FromValue, D: Dimension>(header: &Header) -> Result<bool> {
    let ndim = header.shape.len();
    Ok(ndim > 0
        && D::NDIM.is_none_or(|wanted| wanted == ndim)
        && header.element_count()? > 0
        && convert::array_conversion(&header.dtype, E::TARGET).is_allowed())
}

/// The value read for the plain array type `V` makes, as `V`'s value.
pub(super) fn into_value<'de, V: Visitor<'de>>(value: Box<dyn Any>) -> Result<V::Value> {
    let stored: &dyn Any = &*value;
    if stored.type_id() != typeid::of::<V::Value>() {
        return Err(Error::from(ErrorKind::Custom(
            "a plain array was read as another type than its visitor's".into(),
        )));
    }
    // SAFETY: the box holds a value whose type id is `V::Value`'s, checked above. The plain
    // array types hold no lifetimes, so `V::Value` is that very type: the pointer points to
    // a valid `V::Value` in an allocation made for one, which `Box::from_raw` takes back.
    Ok(unsafe { *Box::from_raw(Box::into_raw(value).cast::<V::Value>()) })
}
