//! The bulk fast path: a whole member handed to [`serde_array`](crate::serde_array) /
//! [`Bulk`](crate::Bulk) as `(descr, shape, fortran_order, data bytes)`.

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::member::DimDe;
use crate::errors::{Error, Result};
use crate::serde_format::OwnedRawMember;

// ---------------------------------------------------------------------------------------
// The bulk fast path
// ---------------------------------------------------------------------------------------

/// A member handed to [`serde_array`](crate::serde_array) as `(descr, shape,
/// fortran_order, data bytes)`.
pub(super) struct BulkDe {
    pub(super) raw: OwnedRawMember,
}

impl<'de> de::Deserializer<'de> for BulkDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(BulkParts {
            raw: Some(self.raw),
            part: 0,
        })
    }

    forward_everything_to_any!();
}

struct BulkParts {
    raw: Option<OwnedRawMember>,
    part: usize,
}

impl<'de> de::SeqAccess<'de> for BulkParts {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.part += 1;
        let Some(raw) = &self.raw else {
            return Ok(None);
        };
        let header = &raw.header;
        match self.part {
            1 => {
                let descr: StringDeserializer<Error> = header.dtype.to_string().into_deserializer();
                seed.deserialize(descr).map(Some)
            }
            2 => seed.deserialize(DimDe { header }).map(Some),
            3 => {
                let order: de::value::BoolDeserializer<Error> =
                    header.fortran_order.into_deserializer();
                seed.deserialize(order).map(Some)
            }
            _ => {
                let raw = self.raw.take().expect("checked");
                seed.deserialize(ByteBufDe(raw.bytes)).map(Some)
            }
        }
    }
}

/// Owned bytes, handed over with `visit_byte_buf`.
struct ByteBufDe(Vec<u8>);

impl<'de> de::Deserializer<'de> for ByteBufDe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_byte_buf(self.0)
    }

    forward_everything_to_any!();
}
