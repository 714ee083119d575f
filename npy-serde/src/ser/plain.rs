//! Plain array values written in one piece: a value whose type is exactly `Vec<E>`,
//! `ndarray::Array<E, D>` or `ndarray::ArcArray<E, D>` (`D` from `Ix0` to `Ix6`, or
//! `IxDyn`) for a [`BulkElement`] `E`, or a reference to one, is written from its memory as
//! one member, instead of through serde's element-by-element form.
//!
//! Serde shows the serializer a value's form, not its type; but wherever the serializer
//! holds a member-level value (a struct field, a map value, an element of indexed groups,
//! `Some(x)`, a newtype's inner value) it holds it as a `&T`, and `T` is known. Its
//! lifetime-erased type id ([`typeid::of`]) is looked up among the plain array types'. The
//! candidates hold no lifetimes, so equal ids mean `T` is that type, and the reference can
//! be used as one. Their `Serialize` impls are serde's and ndarray's own (no other crate may
//! implement `Serialize` for them), so what they would have produced element by element is
//! known, and the member written here is byte for byte the same: native byte order, C
//! order, shape `(len,)` for a `Vec`. Empty arrays keep the element path, which writes them
//! as `float64` (what `np.array([])` gives), as documented in [`ser`](super).

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::OnceLock;

use ndarray::{
    ArcArray, Array, ArrayBase, Data, Dimension, Ix0, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn,
};

use crate::errors::Result;
use crate::header::Header;
use crate::serde_array::{bulk_element_types, BulkElement};
use crate::serde_format::RawMember;

/// A plain array, whatever its element type and rank.
pub(super) trait PlainArray {
    /// The bytes of its elements.
    fn byte_len(&self) -> usize;

    /// Calls `write` with the array as a member: native byte order, C order (an array in
    /// another layout is copied into C order first, as the element path did). `None` for
    /// an empty array, which keeps the element path.
    fn with_member(&self, write: &mut dyn FnMut(&RawMember) -> Result<()>) -> Option<Result<()>>;
}

impl<E: BulkElement> PlainArray for Vec<E> {
    fn byte_len(&self) -> usize {
        std::mem::size_of_val(self.as_slice())
    }

    fn with_member(&self, write: &mut dyn FnMut(&RawMember) -> Result<()>) -> Option<Result<()>> {
        if self.is_empty() {
            return None;
        }
        let member = RawMember {
            header: Header::new(E::dtype(), vec![self.len()]),
            bytes: bytemuck::cast_slice(self),
        };
        write_counted(write, &member)
    }
}

/// Owned and shared arrays (ndarray serializes every array kind alike).
impl<E: BulkElement, S: Data<Elem = E>, D: Dimension> PlainArray for ArrayBase<S, D> {
    fn byte_len(&self) -> usize {
        self.len() * size_of::<E>()
    }

    fn with_member(&self, write: &mut dyn FnMut(&RawMember) -> Result<()>) -> Option<Result<()>> {
        if self.is_empty() {
            return None;
        }
        // Borrowed when the array is in C order already (the common case), else a copy.
        let standard = self.as_standard_layout();
        let values = standard.as_slice().expect("standard layout is contiguous");
        let member = RawMember {
            header: Header::new(E::dtype(), self.shape().to_vec()),
            bytes: bytemuck::cast_slice(values),
        };
        write_counted(write, &member)
    }
}

#[cfg(test)]
thread_local! {
    /// Plain arrays written in one piece by this thread: tests check where the path is taken.
    pub(super) static WRITTEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Calls `write` with `member`, counting it for the tests.
fn write_counted(
    write: &mut dyn FnMut(&RawMember) -> Result<()>,
    member: &RawMember,
) -> Option<Result<()>> {
    #[cfg(test)]
    WRITTEN.with(|written| written.set(written.get() + 1));
    Some(write(member))
}

/// A shared borrow of a value whose type was erased: it is known from elsewhere.
#[derive(Clone, Copy)]
struct ErasedRef<'a> {
    value: *const (),
    borrow: PhantomData<&'a ()>,
}

/// Reads an erased borrow of a `C` as a plain array.
///
/// # Safety
///
/// `value` must come from a `&'a C`.
unsafe fn as_plain<'a, C: PlainArray + 'static>(value: ErasedRef<'a>) -> &'a dyn PlainArray {
    // SAFETY: the caller promises that `value` was a `&'a C`.
    unsafe { &*value.value.cast::<C>() }
}

/// Reads an erased borrow of a `&C` as a plain array.
///
/// # Safety
///
/// `value` must come from a `&'a &C`.
unsafe fn as_plain_through_ref<'a, C: PlainArray + 'static>(
    value: ErasedRef<'a>,
) -> &'a dyn PlainArray {
    // SAFETY: the caller promises that `value` was a `&'a &C`; the `C` it refers to lives
    // at least as long.
    unsafe { *value.value.cast::<&C>() }
}

type AsPlain = for<'a> unsafe fn(ErasedRef<'a>) -> &'a dyn PlainArray;

/// Hashes type ids, which are hashes already, with one multiply per word: the table is
/// looked up for every member-level value (and every element of a map value whose size is
/// estimated), where SipHash would cost more than the rest of the check.
#[derive(Default)]
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for word in bytes.chunks(8) {
            let mut buffer = [0u8; 8];
            buffer[..word.len()].copy_from_slice(word);
            let word = u64::from_ne_bytes(buffer);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type TypeTable = HashMap<TypeId, AsPlain, BuildHasherDefault<TypeIdHasher>>;

/// The plain array types by type id, each with the function that reads a pointer to one.
fn plain_types() -> &'static TypeTable {
    static TYPES: OnceLock<TypeTable> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut types = TypeTable::default();
        macro_rules! register {
            ($($e:ty),*) => {$(
                register::<Vec<$e>>(&mut types);
                register_ranks!($e, Array);
                register_ranks!($e, ArcArray);
            )*};
        }
        macro_rules! register_ranks {
            ($e:ty, $array:ident) => {
                register::<$array<$e, Ix0>>(&mut types);
                register::<$array<$e, Ix1>>(&mut types);
                register::<$array<$e, Ix2>>(&mut types);
                register::<$array<$e, Ix3>>(&mut types);
                register::<$array<$e, Ix4>>(&mut types);
                register::<$array<$e, Ix5>>(&mut types);
                register::<$array<$e, Ix6>>(&mut types);
                register::<$array<$e, IxDyn>>(&mut types);
            };
        }
        bulk_element_types!(register);
        types
    })
}

/// Registers the plain array type `C`, and references to it (a struct of `&Array2<f32>`
/// fields, saving borrowed state).
fn register<C: PlainArray + 'static>(types: &mut TypeTable) {
    types.insert(typeid::of::<C>(), as_plain::<C>);
    types.insert(typeid::of::<&C>(), as_plain_through_ref::<C>);
}

/// `value` as a plain array, when its type is one (or a reference to one).
pub(super) fn plain_array<T: ?Sized>(value: &T) -> Option<&dyn PlainArray> {
    let as_plain = plain_types().get(&typeid::of::<T>())?;
    let erased = ErasedRef {
        value: (value as *const T).cast::<()>(),
        borrow: PhantomData,
    };
    // SAFETY: `as_plain` was registered under the type id of the type it reads the borrow
    // as (`C` or `&C`), and that id is `T`'s. Those types hold no lifetimes but the
    // reference's, which does not change how the value is read, so `T` is that type, and
    // `erased` is the `&T` we were given.
    Some(unsafe { as_plain(erased) })
}
