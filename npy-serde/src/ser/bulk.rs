//! The bulk fast path: an array handed over as `(descr, shape, fortran_order, data
//! bytes)` by [`serde_array`](crate::serde_array) or [`Bulk`](crate::Bulk), written as one
//! member straight from the borrowed bytes.

use serde::ser::{self, Serialize};

use super::capture::{Capture, Captured};
use super::Impossible;
use crate::errors::{Error, Result};
use crate::header::Header;
use crate::serde_format::{shape_text, RawMember, WriteMembers};

/// Receives the tuple [`serde_array`](crate::serde_array) serializes and writes the member
/// straight from the borrowed data bytes.
pub struct BulkSerializer<'r, S> {
    sink: &'r mut S,
    path: &'r str,
}

impl<'r, S> BulkSerializer<'r, S> {
    pub(super) fn new(sink: &'r mut S, path: &'r str) -> Self {
        BulkSerializer { sink, path }
    }

    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!(
            "the private bulk-array name was used for {what}, not by npy_serde::serde_array"
        ))
    }
}

impl<'r, S: WriteMembers> ser::Serializer for BulkSerializer<'r, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = BulkTuple<'r, S>;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_bytes serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple_struct serialize_tuple_variant
        serialize_map serialize_struct serialize_struct_variant);

    fn serialize_tuple(self, _: usize) -> Result<BulkTuple<'r, S>> {
        Ok(BulkTuple {
            sink: self.sink,
            path: self.path,
            items: Vec::new(),
            written: false,
        })
    }
}

pub struct BulkTuple<'r, S> {
    sink: &'r mut S,
    path: &'r str,
    items: Vec<Captured>,
    written: bool,
}

impl<S: WriteMembers> ser::SerializeTuple for BulkTuple<'_, S> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        if self.items.len() < 3 {
            self.items.push(value.serialize(Capture::plain())?);
            return Ok(());
        }
        let header = match &self.items[..] {
            [Captured::Str(descr), shape @ Captured::Seq(_), fortran] => Header {
                dtype: descr.parse()?,
                shape: shape.as_shape().ok_or_else(|| {
                    Error::unwritable("bulk array shape is not a list of lengths")
                })?,
                fortran_order: fortran
                    .as_bool()
                    .ok_or_else(|| Error::unwritable("bulk array order is not a bool"))?,
            },
            _ => return Err(Error::unwritable("malformed bulk array")),
        };
        value.serialize(BulkBytes {
            sink: self.sink,
            path: self.path,
            header,
        })?;
        self.written = true;
        Ok(())
    }

    fn end(self) -> Result<()> {
        if !self.written {
            return Err(Error::unwritable("bulk array without data"));
        }
        Ok(())
    }
}

/// The data bytes of a bulk array: written as the member as soon as they arrive.
pub struct BulkBytes<'r, S> {
    sink: &'r mut S,
    path: &'r str,
    header: Header,
}

impl<S> BulkBytes<'_, S> {
    fn reject(self, what: &str) -> Error {
        Error::unwritable(format!("bulk array data must be bytes, found {what}"))
    }
}

impl<S: WriteMembers> ser::Serializer for BulkBytes<'_, S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible;
    type SerializeTuple = Impossible;
    type SerializeTupleStruct = Impossible;
    type SerializeTupleVariant = Impossible;
    type SerializeMap = Impossible;
    type SerializeStruct = Impossible;
    type SerializeStructVariant = Impossible;

    reject!(serialize_bool serialize_i8 serialize_i16 serialize_i32 serialize_i64 serialize_u8
        serialize_u16 serialize_u32 serialize_u64 serialize_f32 serialize_f64 serialize_char
        serialize_str serialize_none serialize_some serialize_unit
        serialize_unit_struct serialize_unit_variant serialize_newtype_struct
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_map serialize_struct serialize_struct_variant);

    fn serialize_bytes(self, bytes: &[u8]) -> Result<()> {
        let needed = self.header.data_len()?;
        if needed != bytes.len() as u64 {
            return Err(Error::unwritable(format!(
                "bulk array of shape {} {} needs {needed} bytes, {} given",
                shape_text(&self.header.shape),
                self.header.dtype,
                bytes.len()
            )));
        }
        self.sink.add_member(
            self.path,
            &RawMember {
                header: self.header,
                bytes,
            },
        )
    }
}
