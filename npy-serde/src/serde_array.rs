//! The bulk fast path of the serde format: [`Bulk<A>`](Bulk) around an ndarray array, in
//! any position (a field, an `Option`, a `Vec` element, a map value), moves the array's
//! bytes through serde in one piece: the serializer writes the member straight from the
//! array's memory (no copy when the array is contiguous), and the deserializer reads the
//! member straight into the array's own vector, as [`npz::Reader::read`](crate::npz::Reader::read)
//! does.
//!
//! Plain fields (owned `Array<E, D>` and `Vec<E>` of the [`BulkElement`] types) already move
//! in one piece with no wrapper: the serde format recognises their type (`ser::plain`,
//! `de::plain`). `Bulk` does the same for any array in any position: views and shared
//! arrays, fields of a `#[serde(flatten)]` struct (where serde hides the type), and with
//! other serde formats, where it gives a compact portable form.
//!
//! How: serde has no way to pass a typed array between a `Deserialize` impl and a
//! deserializer, so `deserialize` leaves a typed read request in a thread-local slot, then
//! asks for a newtype struct with a private name (as serde_json's `RawValue` does); the
//! npz deserializer recognises the name, runs the request on the member's data and
//! answers with a unit. Any other deserializer ignores the slot (it is cleared on return)
//! and sees the portable form: with other serde formats the array serializes as a tuple
//! `(descr, shape, fortran_order, data bytes)` and reads back the same way, so the struct
//! stays usable with them.
//!
//! Serializing needs element types whose memory is their dtype ([`BulkElement`]: `bool`,
//! integers, floats, `f16`, complex); deserializing accepts any [`NpyElement`], with the
//! usual widening (`<i4` into `i64`).

use std::cell::RefCell;
use std::fmt;
use std::io::Read;
use std::rc::Rc;

use ndarray::{Array, ArrayBase, Data, Dimension, IxDyn, ShapeBuilder};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};
use serde::Serialize;

use crate::array::NpyArray;
use crate::elements::{DataReader, FixedElement, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::Header;
use crate::read::NpyRead;
use crate::serde_format::{mismatch, BULK_ARRAY};

mod sealed {
    pub trait Sealed {}
}

/// Element types whose in-memory bytes are their dtype's data in native byte order, so an
/// array of them can be written without conversion.
pub trait BulkElement: FixedElement + bytemuck::NoUninit + sealed::Sealed {}

/// Calls `$then!` with every [`BulkElement`] type: the one list the bulk and plain-array
/// fast paths of the serde format share.
macro_rules! bulk_element_types {
    ($then:ident) => {
        $then!(
            bool,
            i8,
            i16,
            i32,
            i64,
            u8,
            u16,
            u32,
            u64,
            half::f16,
            half::bf16,
            f32,
            f64,
            num_complex::Complex<f32>,
            num_complex::Complex<f64>
        );
    };
}
pub(crate) use bulk_element_types;

macro_rules! bulk {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl BulkElement for $t {}
    )*};
}
bulk_element_types!(bulk);

/// An ndarray array that the serde format moves in one piece (the bulk fast path), in
/// any position: a field, an `Option`, a `Vec` element, a map value.
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::Array2;
/// use npy_serde::Bulk;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Model {
///     layers: Vec<Bulk<Array2<f32>>>,
///     moments: BTreeMap<String, Bulk<Array2<f32>>>,
///     frozen: Option<Bulk<Array2<f32>>>,
/// }
///
/// let model = Model {
///     layers: vec![Bulk(Array2::ones((2, 3))), Bulk(Array2::zeros((3, 1)))],
///     moments: BTreeMap::from([("m".to_string(), Bulk(Array2::ones((2, 3))))]),
///     frozen: None,
/// };
/// let bytes = npy_serde::to_vec(&model)?;
/// let names = npy_serde::npz::Reader::new(std::io::Cursor::new(&bytes))?.names();
/// assert_eq!(names, ["layers/0", "layers/1", "moments/m"]);
/// let back: Model = npy_serde::from_slice(&bytes)?;
/// assert_eq!(back, model);
/// assert_eq!(back.layers[0].shape(), [2, 3]); // Bulk derefs to the array
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Bulk<A>(pub A);

impl<A> Bulk<A> {
    /// The array.
    pub fn into_inner(self) -> A {
        self.0
    }
}

impl<A> std::ops::Deref for Bulk<A> {
    type Target = A;
    fn deref(&self) -> &A {
        &self.0
    }
}

impl<A> std::ops::DerefMut for Bulk<A> {
    fn deref_mut(&mut self) -> &mut A {
        &mut self.0
    }
}

impl<A> From<A> for Bulk<A> {
    fn from(array: A) -> Self {
        Bulk(array)
    }
}

impl<A, D, T> Serialize for Bulk<ArrayBase<A, D>>
where
    A: Data<Elem = T>,
    D: Dimension,
    T: BulkElement,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, serializer)
    }
}

impl<'de, T, D> de::Deserialize<'de> for Bulk<Array<T, D>>
where
    T: NpyElement + 'static,
    D: Dimension + 'static,
{
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        deserialize(deserializer).map(Bulk)
    }
}

/// `Bulk<NpyArray>`: a member whose dtype is known only at run time, on the bulk path
/// (what adapters use for a framework's tensors, whose dtype the struct does not fix). It
/// saves in its own dtype and byte order and loads any dtype but objects, as
/// [`NpyArray`] does.
///
/// ```
/// use npy_serde::{Bulk, NpyArray};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct State {
///     any: Bulk<NpyArray>,
/// }
///
/// let any = NpyArray::from_values(vec![1u16, 2, 3], vec![3])?;
/// let bytes = npy_serde::to_vec(&State { any: Bulk(any.clone()) })?;
/// let back: State = npy_serde::from_slice(&bytes)?;
/// assert_eq!(back.any.0, any);
/// # Ok::<(), npy_serde::Error>(())
/// ```
impl Serialize for Bulk<NpyArray> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let data = self.0.data_bytes().map_err(serde::ser::Error::custom)?;
        let bulk = BulkArray {
            descr: self.0.dtype().to_string(),
            shape: self.0.shape(),
            fortran_order: self.0.fortran_order(),
            data: &data,
        };
        serializer.serialize_newtype_struct(BULK_ARRAY, &bulk)
    }
}

impl<'de> de::Deserialize<'de> for Bulk<NpyArray> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        deserialize_bulk(deserializer).map(Bulk)
    }
}

/// An array that the bulk path reads: an ndarray array of a fixed element type and rank,
/// or an [`NpyArray`] whose dtype is known only at run time. One request and one visitor
/// serve both.
trait BulkValue: Sized + 'static {
    /// Reads the member straight from its data (the npz deserializer's path).
    fn read(header: &Header, data: &mut DataReader<'_, &mut dyn Read>) -> Result<Self>;

    /// Builds the array from the portable form: its header and data bytes.
    fn decode(header: Header, bytes: Vec<u8>) -> Result<Self>;

    /// Reads the portable form's first part, the descr; a type that also reads nested
    /// rows of numbers (what a self-describing format holds) may instead return the whole
    /// array from them.
    fn descr_or_rows<'de, A: SeqAccess<'de>>(
        seq: &mut A,
        expected: &dyn de::Expected,
    ) -> Result<DescrOrRows<Self>, A::Error>;
}

/// The start of the portable form, or a whole array read from nested rows.
enum DescrOrRows<V> {
    Descr(String),
    Rows(V),
}

impl<T: NpyElement + 'static, D: Dimension + 'static> BulkValue for Array<T, D> {
    fn read(header: &Header, data: &mut DataReader<'_, &mut dyn Read>) -> Result<Self> {
        read_array(header, data)
    }

    fn decode(header: Header, bytes: Vec<u8>) -> Result<Self> {
        decode(&header, &bytes)
    }

    fn descr_or_rows<'de, A: SeqAccess<'de>>(
        seq: &mut A,
        _: &dyn de::Expected,
    ) -> Result<DescrOrRows<Self>, A::Error> {
        // Nested lists of numbers are what a self-describing value holds (serde's
        // buffering of `#[serde(flatten)]` fields).
        let rows = match seq.next_element::<Loose>()? {
            Some(Loose::Str(descr)) => return Ok(DescrOrRows::Descr(descr)),
            // An empty list: an array with no rows.
            None => Vec::new(),
            Some(first) => {
                let mut rows = vec![first];
                while let Some(row) = seq.next_element::<Loose>()? {
                    rows.push(row);
                }
                rows
            }
        };
        from_rows(Loose::Seq(rows))
            .map(DescrOrRows::Rows)
            .map_err(de::Error::custom)
    }
}

impl BulkValue for NpyArray {
    fn read(header: &Header, data: &mut DataReader<'_, &mut dyn Read>) -> Result<Self> {
        NpyArray::read_npy_data(header, data)
    }

    fn decode(header: Header, bytes: Vec<u8>) -> Result<Self> {
        NpyArray::from_raw(header.dtype, header.shape, header.fortran_order, bytes)
    }

    fn descr_or_rows<'de, A: SeqAccess<'de>>(
        seq: &mut A,
        expected: &dyn de::Expected,
    ) -> Result<DescrOrRows<Self>, A::Error> {
        next(seq, 0, expected).map(DescrOrRows::Descr)
    }
}

/// Deserializes an array from one member: read straight into the array by the npz
/// deserializer, or from the portable form by any other.
fn deserialize_bulk<'de, De: Deserializer<'de>, V: BulkValue>(
    deserializer: De,
) -> Result<V, De::Error> {
    let delivered = Rc::new(RefCell::new(None));
    let request = Request {
        delivered: Rc::clone(&delivered),
    };
    PENDING.with(|pending| *pending.borrow_mut() = Some(Box::new(request)));
    let result = deserializer.deserialize_newtype_struct(BULK_ARRAY, BulkVisitor { delivered });
    // Another format never takes the request: do not leave it for a later call.
    PENDING.with(|pending| pending.borrow_mut().take());
    result
}

/// Serializes an ndarray array as one member whose bytes are written straight from memory.
pub(crate) fn serialize<S, A, D, T>(
    array: &ArrayBase<A, D>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    A: Data<Elem = T>,
    D: Dimension,
    T: BulkElement,
{
    let copied: Vec<T>;
    let (values, fortran_order) = if let Some(values) = array.as_slice() {
        (values, false)
    } else if let Some(values) = array
        .as_slice_memory_order()
        .filter(|_| array.t().is_standard_layout())
    {
        (values, true)
    } else {
        copied = array.iter().copied().collect();
        (&copied[..], false)
    };
    let bulk = BulkArray {
        descr: T::dtype().to_string(),
        shape: array.shape(),
        fortran_order,
        data: bytemuck::cast_slice(values),
    };
    serializer.serialize_newtype_struct(BULK_ARRAY, &bulk)
}

/// Deserializes an ndarray array from one member, read straight into the array's vector.
pub(crate) fn deserialize<'de, De, T, D>(deserializer: De) -> Result<Array<T, D>, De::Error>
where
    De: Deserializer<'de>,
    T: NpyElement + 'static,
    D: Dimension + 'static,
{
    deserialize_bulk(deserializer)
}

/// A read of one member into an array, waiting for the deserializer.
pub(crate) trait DirectRead {
    /// Reads the member whose header is `header` from `data`.
    fn read(&mut self, header: &Header, data: &mut DataReader<'_, &mut dyn Read>) -> Result<()>;
}

thread_local! {
    static PENDING: RefCell<Option<Box<dyn DirectRead>>> = const { RefCell::new(None) };
}

/// True when a [`deserialize`] call is waiting for its member.
pub(crate) fn read_pending() -> bool {
    PENDING.with(|pending| pending.borrow().is_some())
}

/// A member read by the pending request; the array goes to the request's caller.
pub(crate) struct DirectMember;

impl NpyRead for DirectMember {
    fn read_npy_data<R: Read>(header: &Header, data: &mut DataReader<'_, R>) -> Result<Self> {
        let mut request = PENDING
            .with(|pending| pending.borrow_mut().take())
            .ok_or_else(|| ErrorKind::Custom("no bulk array read is pending".into()))?;
        let (reader, offset, available) = data.parts();
        let mut reader: &mut dyn Read = reader;
        request.read(header, &mut DataReader::new(&mut reader, offset, available))?;
        Ok(DirectMember)
    }
}

/// The pending read of one [`deserialize_bulk`] call.
struct Request<V> {
    delivered: Rc<RefCell<Option<V>>>,
}

impl<V: BulkValue> DirectRead for Request<V> {
    fn read(&mut self, header: &Header, data: &mut DataReader<'_, &mut dyn Read>) -> Result<()> {
        *self.delivered.borrow_mut() = Some(V::read(header, data)?);
        Ok(())
    }
}

/// What goes through serde: `(descr, shape, fortran_order, data)`.
struct BulkArray<'a> {
    descr: String,
    shape: &'a [usize],
    fortran_order: bool,
    data: &'a [u8],
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl Serialize for BulkArray<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(4)?;
        tuple.serialize_element(&self.descr)?;
        tuple.serialize_element(self.shape)?;
        tuple.serialize_element(&self.fortran_order)?;
        tuple.serialize_element(&Bytes(self.data))?;
        tuple.end()
    }
}

struct BulkVisitor<V> {
    /// Where the npz deserializer leaves the array it read directly.
    delivered: Rc<RefCell<Option<V>>>,
}

impl<'de, V: BulkValue> Visitor<'de> for BulkVisitor<V> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array as (descr, shape, fortran_order, data bytes)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.delivered
            .borrow_mut()
            .take()
            .ok_or_else(|| de::Error::custom("the bulk array was not delivered"))
    }

    fn visit_newtype_struct<De: Deserializer<'de>>(self, d: De) -> Result<Self::Value, De::Error> {
        d.deserialize_tuple(4, self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let descr = match V::descr_or_rows(&mut seq, &self)? {
            DescrOrRows::Descr(descr) => descr,
            DescrOrRows::Rows(array) => return Ok(array),
        };
        let shape: Vec<usize> = next(&mut seq, 1, &self)?;
        let fortran_order: bool = next(&mut seq, 2, &self)?;
        let data: ByteBuf = next(&mut seq, 3, &self)?;
        let header = Header {
            dtype: descr.parse().map_err(de::Error::custom)?,
            shape,
            fortran_order,
        };
        V::decode(header, data.0).map_err(de::Error::custom)
    }
}

/// Any value a self-describing format holds: an array's rows, or the portable form's
/// first part (the descr).
enum Loose {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Str(String),
    Seq(Vec<Loose>),
}

impl<'de> de::Deserialize<'de> for Loose {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("numbers, bools or strings, nested in lists")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
                Ok(Loose::Bool(v))
            }
            fn visit_i8<E>(self, v: i8) -> Result<Loose, E> {
                Ok(Loose::I8(v))
            }
            fn visit_i16<E>(self, v: i16) -> Result<Loose, E> {
                Ok(Loose::I16(v))
            }
            fn visit_i32<E>(self, v: i32) -> Result<Loose, E> {
                Ok(Loose::I32(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose::I64(v))
            }
            fn visit_u8<E>(self, v: u8) -> Result<Loose, E> {
                Ok(Loose::U8(v))
            }
            fn visit_u16<E>(self, v: u16) -> Result<Loose, E> {
                Ok(Loose::U16(v))
            }
            fn visit_u32<E>(self, v: u32) -> Result<Loose, E> {
                Ok(Loose::U32(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose::U64(v))
            }
            fn visit_f32<E>(self, v: f32) -> Result<Loose, E> {
                Ok(Loose::F32(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose::F64(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose::Str(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Loose::Seq(items))
            }
        }
        deserializer.deserialize_any(LooseVisitor)
    }
}

/// An array from nested rows of numbers: the shape from the nesting (rectangular), the
/// dtype from the first number, then the usual conversion to `T`.
fn from_rows<T: NpyElement, D: Dimension>(rows: Loose) -> Result<Array<T, D>> {
    let mut shape = Vec::new();
    let mut probe = &rows;
    while let Loose::Seq(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let mut leaves = Vec::new();
    flatten_rows(rows, &shape, 0, &mut leaves)?;
    // Nested lists hold no lengths after an empty axis: those axes are empty too (an
    // empty (0, 2) array comes back (0, 0)).
    if let Some(ndim) = D::NDIM.filter(|&ndim| ndim > shape.len() && leaves.is_empty()) {
        shape.resize(ndim, 0);
    }
    let ragged = || Error::invalid_data("nested lists of unequal lengths are not an array");
    macro_rules! typed {
        ($variant:ident, $t:ty) => {{
            let values = leaves
                .into_iter()
                .map(|leaf| match leaf {
                    Loose::$variant(v) => Ok(v),
                    _ => Err(Error::invalid_data(
                        "an array's elements must all be of one kind",
                    )),
                })
                .collect::<Result<Vec<$t>>>()?;
            crate::array::NpyArray::from_values(values, shape)?
        }};
    }
    let array = match leaves.first() {
        // No element to take a dtype from: an empty array of T, whatever T.
        None => {
            return ndarray::ArrayD::from_shape_vec(IxDyn(&shape), Vec::new())
                .map_err(|e| Error::invalid_data(e.to_string()))?
                .into_dimensionality::<D>()
                .map_err(|e| Error::invalid_data(format!("{e}")))
        }
        Some(Loose::Bool(_)) => typed!(Bool, bool),
        Some(Loose::I8(_)) => typed!(I8, i8),
        Some(Loose::I16(_)) => typed!(I16, i16),
        Some(Loose::I32(_)) => typed!(I32, i32),
        Some(Loose::I64(_)) => typed!(I64, i64),
        Some(Loose::U8(_)) => typed!(U8, u8),
        Some(Loose::U16(_)) => typed!(U16, u16),
        Some(Loose::U32(_)) => typed!(U32, u32),
        Some(Loose::U64(_)) => typed!(U64, u64),
        Some(Loose::F32(_)) => typed!(F32, f32),
        Some(Loose::F64(_)) => typed!(F64, f64),
        Some(Loose::Str(_)) => typed!(Str, String),
        Some(Loose::Seq(_)) => return Err(ragged()),
    };
    array
        .to_array::<T>()?
        .into_dimensionality::<D>()
        .map_err(|e| Error::invalid_data(format!("{e}")))
}

fn flatten_rows(value: Loose, shape: &[usize], depth: usize, out: &mut Vec<Loose>) -> Result<()> {
    match value {
        Loose::Seq(items) if depth < shape.len() && items.len() == shape[depth] => items
            .into_iter()
            .try_for_each(|item| flatten_rows(item, shape, depth + 1, out)),
        leaf if depth == shape.len() && !matches!(leaf, Loose::Seq(_)) => {
            out.push(leaf);
            Ok(())
        }
        _ => Err(Error::invalid_data(
            "nested lists of unequal lengths are not an array",
        )),
    }
}

fn next<'de, A: SeqAccess<'de>, V: de::Deserialize<'de>>(
    seq: &mut A,
    index: usize,
    expected: &dyn de::Expected,
) -> Result<V, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(index, expected))
}

/// Checks that a member with `header` can be read as an array of `T` and rank `D`.
fn check<T: NpyElement, D: Dimension>(header: &Header) -> Result<()> {
    let rank_fits = D::NDIM.is_none_or(|ndim| ndim == header.shape.len());
    let dtype_fits = header.element_count()? == 0 || T::check_readable(&header.dtype).is_ok();
    if !rank_fits || !dtype_fits {
        return Err(mismatch(
            D::NDIM,
            &crate::serde_format::dtype_name(&T::write_dtype(&[])),
            header,
        ));
    }
    Ok(())
}

/// The array for a member with no elements, of any dtype (empty arrays carry no values
/// to convert); `None` when there are elements.
fn empty<T: NpyElement, D: Dimension>(header: &Header) -> Result<Option<Array<T, D>>> {
    if header.element_count()? != 0 {
        return Ok(None);
    }
    let dim = D::from_dimension(&IxDyn(&header.shape)).ok_or_else(|| ErrorKind::ShapeMismatch {
        expected: format!("{:?} dimensions", D::NDIM),
        found: header.shape.clone(),
    })?;
    Array::from_shape_vec(dim.set_f(header.fortran_order), Vec::new())
        .map(Some)
        .map_err(|e| Error::invalid_data(e.to_string()))
}

/// Reads an array of `T` and rank `D` from a member's header and data.
fn read_array<T: NpyElement, D: Dimension, R: Read>(
    header: &Header,
    data: &mut DataReader<'_, R>,
) -> Result<Array<T, D>> {
    check::<T, D>(header)?;
    match empty(header)? {
        Some(array) => Ok(array),
        None => Array::<T, D>::read_npy_data(header, data),
    }
}

/// Decodes an array of `T` and rank `D` from a member's header and data bytes.
fn decode<T: NpyElement, D: Dimension>(header: &Header, bytes: &[u8]) -> Result<Array<T, D>> {
    let mut reader = bytes;
    read_array(
        header,
        &mut DataReader::new(&mut reader, 0, Some(bytes.len() as u64)),
    )
}

/// Owned bytes from any deserializer (bytes, a byte buffer or a sequence of u8).
struct ByteBuf(Vec<u8>);

impl<'de> de::Deserialize<'de> for ByteBuf {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        d.deserialize_byte_buf(ByteBufVisitor)
    }
}

struct ByteBufVisitor;

impl<'de> Visitor<'de> for ByteBufVisitor {
    type Value = ByteBuf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("array data bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
        Ok(ByteBuf(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
        Ok(ByteBuf(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(byte) = seq.next_element()? {
            bytes.push(byte);
        }
        Ok(ByteBuf(bytes))
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{array, Array2, Array3};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Arrays {
        #[serde(with = "crate::serde_array")]
        c: Array2<u16>,
        #[serde(with = "crate::serde_array")]
        f: Array2<f64>,
        #[serde(with = "crate::serde_array")]
        strided: Array3<bool>,
    }

    fn arrays() -> Arrays {
        let base = array![[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]];
        Arrays {
            c: array![[1, 2], [3, 4]],
            f: base.t().to_owned().reversed_axes().reversed_axes(),
            strided: Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i + j + k) % 2 == 0),
        }
    }

    #[test]
    fn bulk_arrays_round_trip_through_npz_directly() {
        let mut value = arrays();
        value.f = array![[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]].reversed_axes();
        let bytes = crate::ser::to_vec(&value).unwrap();
        let back: Arrays = crate::de::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
        assert!(!super::read_pending(), "no request is left behind");
    }

    #[test]
    fn bulk_arrays_widen_and_check_rank() {
        #[derive(Deserialize, Debug)]
        struct Wide {
            #[serde(with = "crate::serde_array")]
            c: Array2<i64>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct WrongRank {
            #[serde(with = "crate::serde_array")]
            c: Array3<u16>,
        }
        let bytes = crate::ser::to_vec(&arrays()).unwrap();
        let wide: Wide = crate::de::from_slice(&bytes).unwrap();
        assert_eq!(wide.c, array![[1, 2], [3, 4]]);
        let err = crate::de::from_slice::<WrongRank>(&bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"c\"") && err.contains("3-D"), "{err}");
        assert!(!super::read_pending());
    }

    #[test]
    fn dynamic_arrays_take_the_same_paths() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Dynamic {
            any: crate::Bulk<crate::NpyArray>,
        }
        let any = crate::NpyArray::from_values(vec![1u16, 2, 3, 4], vec![2, 2]).unwrap();
        let value = Dynamic {
            any: crate::Bulk(any),
        };
        let bytes = crate::ser::to_vec(&value).unwrap();
        assert_eq!(crate::de::from_slice::<Dynamic>(&bytes).unwrap(), value);
        assert!(!super::read_pending());
        let json = serde_json::to_string(&value).unwrap();
        assert!(
            json.starts_with(r#"{"any":["'<u2'",[2,2],false,["#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Dynamic>(&json).unwrap(), value);
        assert!(!super::read_pending());
        // Nested rows are not a dynamic array's portable form.
        assert!(serde_json::from_str::<Dynamic>(r#"{"any":[[1,2],[3,4]]}"#).is_err());
    }

    #[test]
    fn other_formats_see_the_portable_form() {
        let value = arrays();
        let json = serde_json::to_string(&value).unwrap();
        assert!(json.starts_with(r#"{"c":["'<u2'",[2,2],false,["#), "{json}");
        let back: Arrays = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value);
        assert!(!super::read_pending());
    }
}
