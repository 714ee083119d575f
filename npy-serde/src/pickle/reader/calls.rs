//! What the allowed globals build when a pickle calls them (`REDUCE`, `NEWOBJ`) or sets
//! their state (`BUILD`): NumPy arrays, dtypes and scalars, and builtin containers and
//! numbers, each by a few lines of Rust that build what Python would have built.

use std::io::Read;

use num_complex::Complex;

use super::{node_cost, Global, Id, Machine, Node};
use crate::dtype::{DType, Endian};
use crate::errors::Result;
use crate::header::{self, Header};
use crate::pickle::value::PickledArray;

impl<R: Read> Machine<R> {
    /// `callable(*args)` for an allowed global: the node it gives, or an existing node.
    pub(super) fn call(&mut self, callable: Id, args: Id, what: &str) -> Result<Result<Node, Id>> {
        let Node::Global(global) = self.nodes[callable] else {
            return Err(self.error(format!(
                "{what}: calling a {}, not an allowed global",
                self.nodes[callable].describe()
            )));
        };
        let args = self.tuple_items(args, what)?;
        self.charge(args.len() * size_of::<Id>())?;
        let bad = |machine: &Self| {
            machine.error(format!(
                "{what}: unexpected arguments for {} ({})",
                global.python_name(),
                args.iter()
                    .map(|&id| machine.nodes[id].describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        let node = match (global, args.as_slice()) {
            (Global::Reconstruct, [class, _shape, _typecode]) => {
                if self.nodes[*class] != Node::Global(Global::NdArray) {
                    return Err(self.error("_reconstruct of something other than numpy.ndarray"));
                }
                Node::ArrayStub
            }
            (Global::DType, [name, ..]) if args.len() <= 3 => {
                let name = self.text(*name).ok_or_else(|| bad(self))?;
                Node::DTypeStub(name)
            }
            (Global::Scalar, [dtype, rest @ ..]) => {
                let Node::DType(dtype) = &self.nodes[*dtype] else {
                    return Err(bad(self));
                };
                if *dtype == DType::Object {
                    return match rest {
                        [object] => Ok(Err(*object)),
                        _ => Err(bad(self)),
                    };
                }
                let dtype = dtype.clone();
                let data = match rest {
                    [data] => self.bytes_of(*data).ok_or_else(|| bad(self))?.to_vec(),
                    _ => return Err(bad(self)),
                };
                let scalar = PickledArray::from_bytes(Header::new(dtype, Vec::new()), data)
                    .map_err(|e| self.error(format!("numpy scalar: {e}")))?;
                Node::Scalar(scalar)
            }
            (Global::FromBuffer, [buffer, dtype, shape, order]) => {
                let Node::DType(dtype) = &self.nodes[*dtype] else {
                    return Err(bad(self));
                };
                let dtype = dtype.clone();
                let shape = self.shape(*shape)?;
                let fortran_order = match self.text(*order).as_deref() {
                    Some("C") => false,
                    Some("F") => true,
                    _ => return Err(bad(self)),
                };
                let data = self.bytes_of(*buffer).ok_or_else(|| bad(self))?.to_vec();
                self.array(dtype, shape, fortran_order, data)?
            }
            (Global::Set | Global::FrozenSet | Global::List | Global::Tuple, []) => {
                container(global, Vec::new())
            }
            (Global::Set | Global::FrozenSet | Global::List | Global::Tuple, [items]) => {
                let items = match &self.nodes[*items] {
                    Node::List(items)
                    | Node::Tuple(items)
                    | Node::Set(items)
                    | Node::FrozenSet(items) => items.clone(),
                    _ => return Err(bad(self)),
                };
                container(global, items)
            }
            (Global::Dict, []) => Node::Dict(Vec::new()),
            (Global::Dict, [dict]) => match &self.nodes[*dict] {
                Node::Dict(pairs) => Node::Dict(pairs.clone()),
                _ => return Err(bad(self)),
            },
            (Global::ByteArray | Global::Bytes, []) => bytes_node(global, Vec::new()),
            (Global::ByteArray | Global::Bytes, [bytes]) => {
                let bytes = match &self.nodes[*bytes] {
                    Node::Bytes(bytes) | Node::ByteArray(bytes) => bytes.clone(),
                    _ => return Err(bad(self)),
                };
                bytes_node(global, bytes)
            }
            (Global::ByteArray | Global::Bytes | Global::CodecsEncode, [text, encoding]) => {
                let encoding = self.text(*encoding).ok_or_else(|| bad(self))?;
                if !matches!(encoding.as_str(), "latin1" | "latin-1" | "iso-8859-1") {
                    return Err(self.error(format!(
                        "{what}: text encoded as {encoding:?}; only latin-1 is supported"
                    )));
                }
                let Node::Str(text) = &self.nodes[*text] else {
                    return Err(bad(self));
                };
                let bytes = text
                    .chars()
                    .map(u8::try_from)
                    .collect::<std::result::Result<Vec<u8>, _>>()
                    .map_err(|_| self.error(format!("{what}: text beyond latin-1")))?;
                bytes_node(global, bytes)
            }
            (Global::Complex, [real, rest @ ..]) if rest.len() <= 1 => {
                let real = self.float_of(*real).ok_or_else(|| bad(self))?;
                let imag = match rest {
                    [imag] => self.float_of(*imag).ok_or_else(|| bad(self))?,
                    _ => 0.0,
                };
                Node::Complex(Complex::new(real, imag))
            }
            (Global::Str, [text]) => match &self.nodes[*text] {
                Node::Str(text) => Node::Str(text.clone()),
                _ => return Err(bad(self)),
            },
            (Global::Int, [value]) => match &self.nodes[*value] {
                Node::Int(value) => Node::Int(*value),
                Node::BigInt(value) => Node::BigInt(value.clone()),
                Node::Bool(value) => Node::Int((*value).into()),
                _ => return Err(bad(self)),
            },
            (Global::Float, [value]) => {
                Node::Float(self.float_of(*value).ok_or_else(|| bad(self))?)
            }
            (Global::Bool, [value]) => {
                Node::Bool(self.int_of(*value).ok_or_else(|| bad(self))? != 0)
            }
            (Global::NdArray, _) => {
                return Err(self.error(
                    "calling numpy.ndarray directly is not supported (NumPy pickles arrays \
                     through _reconstruct)",
                ))
            }
            _ => return Err(bad(self)),
        };
        Ok(Ok(node))
    }

    fn shape(&self, id: Id) -> Result<Vec<usize>> {
        let items = match &self.nodes[id] {
            Node::Tuple(items) | Node::List(items) => items,
            Node::Int(_) => std::slice::from_ref(&id),
            other => return Err(self.error(format!("array shape: a {}", other.describe()))),
        };
        items
            .iter()
            .map(|&item| {
                self.int_of(item)
                    .and_then(|dim| usize::try_from(dim).ok())
                    .ok_or_else(|| self.error("array shape: not a tuple of non-negative ints"))
            })
            .collect()
    }

    fn array(
        &self,
        dtype: DType,
        shape: Vec<usize>,
        fortran_order: bool,
        data: Vec<u8>,
    ) -> Result<Node> {
        let header = Header {
            dtype,
            shape,
            fortran_order,
        };
        PickledArray::from_bytes(header, data)
            .map(Node::Array)
            .map_err(|e| self.error(format!("array data: {e}")))
    }

    /// `BUILD`: sets the state of an array or dtype made by `_reconstruct` or `dtype()`.
    pub(super) fn build(&mut self, target: Id, state: Id) -> Result<()> {
        let node = match &self.nodes[target] {
            Node::ArrayStub => {
                let items = self.tuple_items(state, "ndarray state")?;
                let (shape, dtype, fortran, data) = match items.as_slice() {
                    [_, shape, dtype, fortran, data] | [shape, dtype, fortran, data] => {
                        (*shape, *dtype, *fortran, *data)
                    }
                    _ => return Err(self.error("ndarray state: not 4 or 5 items")),
                };
                let shape = self.shape(shape)?;
                let Node::DType(dtype) = &self.nodes[dtype] else {
                    return Err(self.error("ndarray state: no dtype"));
                };
                let dtype = dtype.clone();
                let fortran_order = self
                    .int_of(fortran)
                    .ok_or_else(|| self.error("ndarray state: order flag is not a bool"))?
                    != 0;
                if dtype == DType::Object {
                    let Node::List(items) = &self.nodes[data] else {
                        return Err(self.error("object ndarray state: data is not a list"));
                    };
                    let count = header::element_count(&shape)
                        .map_err(|e| self.error(format!("ndarray state: {e}")))?;
                    if count != items.len() {
                        return Err(self.error(format!(
                            "object ndarray state: shape {shape:?} holds {count} elements, the \
                             list has {}",
                            items.len()
                        )));
                    }
                    Node::ObjectArray {
                        shape,
                        fortran_order,
                        items: items.clone(),
                    }
                } else if dtype.has_object() {
                    return Err(self.error("record dtypes with object fields are not supported"));
                } else {
                    let mut data = self
                        .bytes_of(data)
                        .ok_or_else(|| self.error("ndarray state: data is not bytes"))?
                        .to_vec();
                    // NumPy's __setstate__ swaps data of the other byte order to native
                    // order (only _frombuffer, protocol 5, keeps it).
                    let dtype = if dtype.is_native_endian() {
                        dtype
                    } else {
                        dtype.reorder_bytes(Endian::NATIVE, &mut data);
                        dtype.with_endian(Endian::NATIVE)
                    };
                    self.array(dtype, shape, fortran_order, data)?
                }
            }
            Node::DTypeStub(name) => Node::DType(self.dtype(name, state)?),
            other => {
                return Err(self.error(format!(
                    "BUILD on a {}: only NumPy arrays and dtypes are built",
                    other.describe()
                )))
            }
        };
        self.charge(node_cost(&node))?;
        self.nodes[target] = node;
        Ok(())
    }

    /// The dtype `numpy.dtype(name)` with `state` (`(3, '<', None, None, None, -1, -1, 0)`;
    /// version 4 adds datetime metadata).
    fn dtype(&self, name: &str, state: Id) -> Result<DType> {
        let items = self.tuple_items(state, "dtype state")?;
        if items.len() < 8 {
            return Err(self.error(format!(
                "dtype state of {} items (8 or 9 expected)",
                items.len()
            )));
        }
        let endian = match self.text(items[1]).as_deref() {
            Some("<") => "<",
            Some(">") => ">",
            Some("|") => "|",
            Some("=") if Endian::NATIVE == Endian::Little => "<",
            Some("=") => ">",
            _ => return Err(self.error("dtype state: byte order is not <, >, | or =")),
        };
        if items[2..5].iter().any(|&id| self.nodes[id] != Node::None) {
            return Err(self.error(format!(
                "dtype {name}: record and subarray dtypes inside object arrays are not supported"
            )));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric()) || name.is_empty() {
            return Err(self.error(format!("dtype name {name:?} is not a type code")));
        }
        let kind = name.as_bytes()[0];
        let elsize = self.int_of(items[5]).unwrap_or(-1);
        let descr = match kind {
            b'O' => return Ok(DType::Object),
            b'U' => format!("{endian}U{}", elsize.max(0) / 4),
            b'S' | b'V' => format!("|{}{}", char::from(kind), elsize.max(0)),
            b'M' | b'm' => {
                let unit = items
                    .get(8)
                    .and_then(|&meta| self.datetime_unit(meta))
                    .ok_or_else(|| self.error(format!("dtype {name}: no datetime unit")))?;
                format!("{endian}{}8[{unit}]", char::from(kind))
            }
            _ => format!("{endian}{name}"),
        };
        descr
            .parse::<DType>()
            .map_err(|e| self.error(format!("dtype {descr}: {e}")))
    }

    /// `(None, (b'ns', 1, 1, 1))` → `"ns"`; a multiplier other than 1 → `"10ms"`.
    fn datetime_unit(&self, meta: Id) -> Option<String> {
        let Node::Tuple(items) = &self.nodes[meta] else {
            return None;
        };
        let Node::Tuple(unit) = &self.nodes[*items.get(1)?] else {
            return None;
        };
        let name = self.text(*unit.first()?).or_else(|| {
            self.bytes_of(*unit.first()?)
                .map(|b| String::from_utf8_lossy(b).into_owned())
        })?;
        if !name.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let count = self.int_of(*unit.get(1)?)?;
        Some(if count == 1 {
            name
        } else {
            format!("{count}{name}")
        })
    }
}

fn container(global: Global, items: Vec<Id>) -> Node {
    match global {
        Global::Set => Node::Set(items),
        Global::FrozenSet => Node::FrozenSet(items),
        Global::List => Node::List(items),
        _ => Node::Tuple(items),
    }
}

fn bytes_node(global: Global, bytes: Vec<u8>) -> Node {
    match global {
        Global::ByteArray => Node::ByteArray(bytes),
        _ => Node::Bytes(bytes),
    }
}
