//! The final [`Value`] tree built from the arena once the pickle's `STOP` is reached:
//! shared references copied into each place, under the depth limit and the size budget.

use std::io::Read;

use super::{Budget, Id, Machine, Node, BUDGET_BASE, BUDGET_PER_BYTE, MAX_DEPTH};
use crate::errors::Result;
use crate::pickle::value::{ObjectArray, PickleEncoding, PickledArray, Value};

impl<R: Read> Machine<R> {
    pub(super) fn value(&self, id: Id, depth: usize, budget: &mut Budget) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "values nested deeper than {MAX_DEPTH} levels, or an object that contains itself"
            )));
        }
        let over = || {
            self.error(format!(
                "the values take more memory than {BUDGET_PER_BYTE} bytes per pickle byte (plus \
                 {} MiB): shared references are copied into each place that uses them",
                BUDGET_BASE >> 20
            ))
        };
        let node = &self.nodes[id];
        let payload = match node {
            Node::Str(text) => text.len(),
            Node::Py2Str(bytes) | Node::Bytes(bytes) | Node::ByteArray(bytes) => bytes.len(),
            Node::BigInt(value) => value.bits() as usize / 8,
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.len() * size_of::<Value>()
            }
            Node::Dict(pairs) => pairs.len() * 2 * size_of::<Value>(),
            Node::ObjectArray { items, .. } => items.len() * size_of::<Value>(),
            Node::Array(array) | Node::Scalar(array) => array.data_size(),
            _ => 0,
        };
        if !budget.charge(payload) {
            return Err(over());
        }
        let items = |items: &[Id], budget: &mut Budget| -> Result<Vec<Value>> {
            items
                .iter()
                .map(|&item| self.value(item, depth + 1, budget))
                .collect()
        };
        Ok(match node {
            Node::None => Value::None,
            Node::Bool(value) => Value::Bool(*value),
            Node::Int(value) => Value::Int(*value),
            Node::BigInt(value) => Value::BigInt(value.clone()),
            Node::Float(value) => Value::Float(*value),
            Node::Complex(value) => Value::Complex(*value),
            Node::Str(text) => Value::Str(text.clone()),
            Node::Py2Str(bytes) => self.py2_str(bytes)?,
            Node::Bytes(bytes) => Value::Bytes(bytes.clone()),
            Node::ByteArray(bytes) => Value::ByteArray(bytes.clone()),
            Node::List(ids) => Value::List(items(ids, budget)?),
            Node::Tuple(ids) => Value::Tuple(items(ids, budget)?),
            Node::Set(ids) => Value::Set(items(ids, budget)?),
            Node::FrozenSet(ids) => Value::FrozenSet(items(ids, budget)?),
            Node::Dict(pairs) => Value::Dict(
                pairs
                    .iter()
                    .map(|&(key, value)| {
                        Ok((
                            self.value(key, depth + 1, budget)?,
                            self.value(value, depth + 1, budget)?,
                        ))
                    })
                    .collect::<Result<_>>()?,
            ),
            Node::Array(array) => Value::Array(Box::new(array.clone())),
            Node::Scalar(array) => Value::Scalar(Box::new(array.clone())),
            Node::ObjectArray {
                shape,
                fortran_order,
                items: ids,
            } => Value::Array(Box::new(PickledArray::from_objects(ObjectArray {
                shape: shape.clone(),
                fortran_order: *fortran_order,
                values: items(ids, budget)?,
            }))),
            Node::Global(_) | Node::ArrayStub | Node::DTypeStub(_) | Node::DType(_) => {
                return Err(self.error(format!(
                    "a {} is not supported as a value of an object array",
                    node.describe()
                )))
            }
        })
    }

    fn py2_str(&self, bytes: &[u8]) -> Result<Value> {
        Ok(match self.encoding {
            PickleEncoding::Bytes => Value::Bytes(bytes.to_vec()),
            PickleEncoding::Latin1 => Value::Str(bytes.iter().map(|&b| char::from(b)).collect()),
            PickleEncoding::Ascii => {
                if !bytes.is_ascii() {
                    return Err(self.error(
                        "a Python 2 str that is not ASCII: choose how to read such strings \
                         with ReadOptions::with_pickle_encoding(PickleEncoding::Latin1 or \
                         Bytes), NumPy's encoding='latin1' or 'bytes'",
                    ));
                }
                Value::Str(String::from_utf8(bytes.to_vec()).expect("ASCII"))
            }
        })
    }
}
