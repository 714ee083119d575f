//! The opcode loop of the safe pickle reader: it interprets pickle opcodes (protocols 0–5;
//! text opcodes for strings of protocol 0 excepted) without importing or calling anything.
//! A global is looked up in the allow-list ([`lookup_global`]) the moment it is named, and
//! "calls" (`REDUCE`, `NEWOBJ`, `BUILD`) are carried out here only for the allowed ones,
//! each by a few lines of Rust that build the value Python would have built.
//!
//! Objects live in an arena and the stack and memo hold their indices, so a memo entry
//! refers to the object itself (a list memoized empty and filled later is seen filled, as
//! in Python), nothing is copied while the opcodes run, and the memory used is bounded by
//! the number of opcodes. Shared and self-referencing objects are copied (or refused) only
//! when the final [`Value`] tree is built, under a depth limit and a size budget.

use std::collections::HashMap;
use std::io::Read;

use num_bigint::BigInt;
use num_complex::Complex;
use num_traits::ToPrimitive;

use super::globals::{lookup_global, Global};
use super::value::{PickleEncoding, PickledArray, Unpickled, Value};
use crate::buffer::read_up_to;
use crate::dtype::DType;
use crate::errors::{Error, ErrorKind, Result};

/// Deepest nesting of lists, tuples, dicts and arrays in the values built. Deeper data
/// (or an object that contains itself) is refused rather than risking the stack.
pub const MAX_DEPTH: usize = 200;

/// Longest text line (protocol 0/1 `GLOBAL` names, `INT`, `LONG`, `FLOAT` and memo keys).
const MAX_LINE: usize = 64 * 1024;

/// What the built values may take beyond what the pickle's bytes hold: shared references
/// (`GET` of one object many times) are copied into each place, so the expansion is capped
/// at `BUDGET_PER_BYTE` bytes per pickle byte plus [`BUDGET_BASE`].
const BUDGET_PER_BYTE: u64 = 64;
const BUDGET_BASE: u64 = 64 << 20;

type Id = usize;

mod calls;
mod values;

/// One object under construction.
#[derive(Debug)]
enum Node {
    None,
    Bool(bool),
    Int(i64),
    BigInt(BigInt),
    Float(f64),
    Complex(Complex<f64>),
    Str(String),
    /// A Python 2 `str` (`STRING`, `BINSTRING`, `SHORT_BINSTRING`): bytes whose meaning the
    /// encoding option decides; raw bytes where NumPy uses them as data.
    Py2Str(Vec<u8>),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    FrozenSet(Vec<Id>),
    Global(Global),
    /// `_reconstruct(ndarray, (0,), b'b')`, waiting for its `BUILD`.
    ArrayStub,
    /// `dtype('f8', False, True)`, waiting for its `BUILD`.
    DTypeStub(String),
    DType(DType),
    Array(PickledArray),
    ObjectArray {
        shape: Vec<usize>,
        fortran_order: bool,
        items: Vec<Id>,
    },
    Scalar(PickledArray),
}

impl Node {
    fn describe(&self) -> &'static str {
        match self {
            Node::None => "None",
            Node::Bool(_) => "bool",
            Node::Int(_) | Node::BigInt(_) => "int",
            Node::Float(_) => "float",
            Node::Complex(_) => "complex",
            Node::Str(_) => "str",
            Node::Py2Str(_) => "Python 2 str",
            Node::Bytes(_) => "bytes",
            Node::ByteArray(_) => "bytearray",
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global(_) => "global",
            Node::ArrayStub => "ndarray (not yet built)",
            Node::DTypeStub(_) => "dtype (not yet built)",
            Node::DType(_) => "numpy.dtype",
            Node::Array(_) | Node::ObjectArray { .. } => "numpy.ndarray",
            Node::Scalar(_) => "numpy scalar",
        }
    }
}

/// Reads one pickle from `reader` up to its `STOP` opcode. `remaining`, when known, is the
/// number of bytes present; lengths beyond it are refused before anything is allocated.
pub(crate) fn unpickle<R: Read>(
    reader: R,
    remaining: Option<u64>,
    encoding: PickleEncoding,
) -> Result<Unpickled> {
    let mut machine = Machine {
        input: reader,
        offset: 0,
        remaining,
        op_offset: 0,
        nodes: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        encoding,
        copied: 0,
    };
    let root = machine.run()?;
    let mut budget = Budget {
        left: machine.offset.saturating_mul(BUDGET_PER_BYTE) + BUDGET_BASE,
    };
    match &machine.nodes[root] {
        Node::ObjectArray { .. } => match machine.value(root, 0, &mut budget)? {
            Value::Array(array) => Ok(Unpickled::Objects(
                array.into_objects().expect("an object array"),
            )),
            _ => unreachable!("object array nodes become object arrays"),
        },
        _ => Ok(Unpickled::Other(machine.value(root, 0, &mut budget)?)),
    }
}

struct Budget {
    left: u64,
}

impl Budget {
    fn charge(&mut self, bytes: usize) -> bool {
        let cost = bytes as u64 + size_of::<Value>() as u64;
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }
}

struct Machine<R> {
    input: R,
    /// Bytes consumed so far.
    offset: u64,
    /// Bytes known to remain, when known.
    remaining: Option<u64>,
    /// Where the current opcode starts, for errors.
    op_offset: u64,
    nodes: Vec<Node>,
    stack: Vec<Id>,
    /// Stack lengths at each `MARK`.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    encoding: PickleEncoding,
    /// Bytes allocated by calls and builds that copy an existing object (`bytes(b)`,
    /// `set(list)`, …), which a pickle can repeat on one large object through the memo.
    copied: u64,
}

impl<R: Read> Machine<R> {
    fn error(&self, message: impl Into<String>) -> Error {
        Error::from(ErrorKind::Pickle {
            offset: self.op_offset,
            message: message.into(),
        })
    }

    /// The error for something the safe reader refuses to run (as opposed to bytes that
    /// are malformed).
    fn refuse(&self, message: impl Into<String>) -> Error {
        Error::from(ErrorKind::PickleRefused {
            offset: self.op_offset,
            message: message.into(),
        })
    }

    fn truncated(&self, what: &str, expected: u64, found: u64) -> Error {
        self.error(format!(
            "truncated: {what} needs {expected} bytes, only {found} are present (a damaged or \
             cut-off file)"
        ))
    }

    /// Counts `bytes` copied while the opcodes run against the same budget the result has:
    /// 64 bytes per pickle byte read so far, plus 64 MiB.
    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.copied = self
            .copied
            .saturating_add(bytes as u64 + size_of::<Node>() as u64);
        let limit = self.offset.saturating_mul(BUDGET_PER_BYTE) + BUDGET_BASE;
        if self.copied > limit {
            return Err(self.error(format!(
                "the pickle copies more than {limit} bytes of objects (repeated calls on the \
                 same large object)"
            )));
        }
        Ok(())
    }

    // ---- input ----

    fn read_array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut bytes = [0u8; N];
        let got = read_up_to(&mut self.input, &mut bytes)?;
        self.offset += got as u64;
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining.saturating_sub(got as u64);
        }
        if got < N {
            return Err(self.truncated(what, N as u64, got as u64));
        }
        Ok(bytes)
    }

    fn byte(&mut self, what: &str) -> Result<u8> {
        Ok(self.read_array::<1>(what)?[0])
    }

    /// `len` bytes, refused before any allocation when fewer are known to remain, and
    /// otherwise grown only as bytes arrive.
    fn read_vec(&mut self, len: u64, what: &str) -> Result<Vec<u8>> {
        if let Some(remaining) = self.remaining {
            if len > remaining {
                return Err(self.truncated(what, len, remaining));
            }
        }
        let mut bytes = Vec::new();
        let got = (&mut self.input).take(len).read_to_end(&mut bytes)? as u64;
        self.offset += got;
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining.saturating_sub(got);
        }
        if got < len {
            return Err(self.truncated(what, len, got));
        }
        Ok(bytes)
    }

    fn read_len_u8(&mut self, what: &str) -> Result<Vec<u8>> {
        let len = self.byte(what)?;
        self.read_vec(len.into(), what)
    }

    fn read_len_u32(&mut self, what: &str) -> Result<Vec<u8>> {
        let len = u32::from_le_bytes(self.read_array(what)?);
        self.read_vec(len.into(), what)
    }

    fn read_len_i32(&mut self, what: &str) -> Result<Vec<u8>> {
        let len = i32::from_le_bytes(self.read_array(what)?);
        let len = u64::try_from(len).map_err(|_| self.error(format!("{what}: negative length")))?;
        self.read_vec(len, what)
    }

    fn read_len_u64(&mut self, what: &str) -> Result<Vec<u8>> {
        let len = u64::from_le_bytes(self.read_array(what)?);
        self.read_vec(len, what)
    }

    /// A `\n`-terminated line (text opcodes), without the newline.
    fn line(&mut self, what: &str) -> Result<String> {
        let mut line = Vec::new();
        loop {
            let byte = self.byte(what)?;
            if byte == b'\n' {
                break;
            }
            if line.len() == MAX_LINE {
                return Err(self.error(format!("{what}: line longer than {MAX_LINE} bytes")));
            }
            line.push(byte);
        }
        String::from_utf8(line).map_err(|_| self.error(format!("{what}: not UTF-8 text")))
    }

    // ---- stack ----

    fn push(&mut self, node: Node) {
        self.nodes.push(node);
        self.stack.push(self.nodes.len() - 1);
    }

    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id> {
        if self.stack.len() <= self.floor() {
            return Err(self.error("stack underflow (an opcode needs a value that is not there)"));
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn top(&self) -> Result<Id> {
        if self.stack.len() <= self.floor() {
            return Err(self.error("stack underflow (an opcode needs a value that is not there)"));
        }
        Ok(*self.stack.last().expect("checked"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.error("an opcode needs a MARK that is not there"))?;
        Ok(self.stack.split_off(mark))
    }

    fn memo_get(&mut self, key: u64) -> Result<()> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| self.error(format!("memo key {key} was never stored")))?;
        self.stack.push(id);
        Ok(())
    }

    fn memo_put(&mut self, key: u64) -> Result<()> {
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    // ---- the opcode loop ----

    fn run(&mut self) -> Result<Id> {
        loop {
            self.op_offset = self.offset;
            let op = self.byte("opcode")?;
            match op {
                // PROTO
                0x80 => {
                    let protocol = self.byte("PROTO")?;
                    if protocol > 5 {
                        return Err(self.error(format!(
                            "pickle protocol {protocol} is not supported (0 to 5 are)"
                        )));
                    }
                }
                // FRAME: a length hint for buffered readers.
                0x95 => {
                    self.read_array::<8>("FRAME")?;
                }
                b'.' => {
                    let result = self.pop()?;
                    return Ok(result);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    if self.stack.len() > self.floor() {
                        self.stack.pop();
                    } else {
                        self.pop_mark()?;
                    }
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.stack.push(top);
                }
                b'N' => self.push(Node::None),
                0x88 => self.push(Node::Bool(true)),
                0x89 => self.push(Node::Bool(false)),
                b'I' => {
                    let line = self.line("INT")?;
                    let node = match line.as_str() {
                        "00" => Node::Bool(false),
                        "01" => Node::Bool(true),
                        text => self.parse_int(text, "INT")?,
                    };
                    self.push(node);
                }
                b'L' => {
                    let line = self.line("LONG")?;
                    let node = self.parse_int(line.strip_suffix('L').unwrap_or(&line), "LONG")?;
                    self.push(node);
                }
                b'J' => {
                    let value = i32::from_le_bytes(self.read_array("BININT")?);
                    self.push(Node::Int(value.into()));
                }
                b'K' => {
                    let value = self.byte("BININT1")?;
                    self.push(Node::Int(value.into()));
                }
                b'M' => {
                    let value = u16::from_le_bytes(self.read_array("BININT2")?);
                    self.push(Node::Int(value.into()));
                }
                0x8a => {
                    let bytes = self.read_len_u8("LONG1")?;
                    self.push(int_node(BigInt::from_signed_bytes_le(&bytes)));
                }
                0x8b => {
                    let bytes = self.read_len_i32("LONG4")?;
                    self.push(int_node(BigInt::from_signed_bytes_le(&bytes)));
                }
                b'F' => {
                    let line = self.line("FLOAT")?;
                    let value = line
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| self.error(format!("FLOAT: {line:?} is not a number")))?;
                    self.push(Node::Float(value));
                }
                b'G' => {
                    let value = f64::from_be_bytes(self.read_array("BINFLOAT")?);
                    self.push(Node::Float(value));
                }
                b'S' | b'V' => {
                    return Err(self.error(
                        "protocol 0 text strings (STRING, UNICODE) are not supported: NumPy \
                         writes object arrays with protocol 2 or later",
                    ))
                }
                b'T' => {
                    let bytes = self.read_len_i32("BINSTRING")?;
                    self.push(Node::Py2Str(bytes));
                }
                b'U' => {
                    let bytes = self.read_len_u8("SHORT_BINSTRING")?;
                    self.push(Node::Py2Str(bytes));
                }
                b'X' => {
                    let bytes = self.read_len_u32("BINUNICODE")?;
                    self.push_text(bytes, "BINUNICODE")?;
                }
                0x8c => {
                    let bytes = self.read_len_u8("SHORT_BINUNICODE")?;
                    self.push_text(bytes, "SHORT_BINUNICODE")?;
                }
                0x8d => {
                    let bytes = self.read_len_u64("BINUNICODE8")?;
                    self.push_text(bytes, "BINUNICODE8")?;
                }
                b'B' => {
                    let bytes = self.read_len_u32("BINBYTES")?;
                    self.push(Node::Bytes(bytes));
                }
                b'C' => {
                    let bytes = self.read_len_u8("SHORT_BINBYTES")?;
                    self.push(Node::Bytes(bytes));
                }
                0x8e => {
                    let bytes = self.read_len_u64("BINBYTES8")?;
                    self.push(Node::Bytes(bytes));
                }
                0x96 => {
                    let bytes = self.read_len_u64("BYTEARRAY8")?;
                    self.push(Node::ByteArray(bytes));
                }
                0x97 => {
                    return Err(self.error(
                        "NEXT_BUFFER: out-of-band buffers (protocol 5) are not in the file",
                    ))
                }
                // READONLY_BUFFER: in-band buffers are copies already.
                0x98 => {
                    self.top()?;
                }
                b')' => self.push(Node::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items));
                }
                0x85..=0x87 => {
                    let count = usize::from(op - 0x84);
                    if self.stack.len() < self.floor() + count {
                        return Err(self.error(format!("TUPLE{count}: stack underflow")));
                    }
                    let items = self.stack.split_off(self.stack.len() - count);
                    self.push(Node::Tuple(items));
                }
                b']' => self.push(Node::List(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items));
                }
                b'}' => self.push(Node::Dict(Vec::new())),
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items, "DICT")?;
                    self.push(Node::Dict(pairs));
                }
                0x8f => self.push(Node::Set(Vec::new())),
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push(Node::FrozenSet(items));
                }
                b'a' => {
                    let item = self.pop()?;
                    self.extend_list(vec![item], "APPEND")?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.extend_list(items, "APPENDS")?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.extend_dict(vec![(key, value)], "SETITEM")?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items, "SETITEMS")?;
                    self.extend_dict(pairs, "SETITEMS")?;
                }
                0x90 => {
                    let items = self.pop_mark()?;
                    let target = self.top()?;
                    match &mut self.nodes[target] {
                        Node::Set(set) => set.extend(items),
                        other => {
                            let found = other.describe();
                            return Err(self.error(format!("ADDITEMS on a {found}, not a set")));
                        }
                    }
                }
                b'g' => {
                    let line = self.line("GET")?;
                    let key = self.memo_key(&line)?;
                    self.memo_get(key)?;
                }
                b'h' => {
                    let key = self.byte("BINGET")?;
                    self.memo_get(key.into())?;
                }
                b'j' => {
                    let key = u32::from_le_bytes(self.read_array("LONG_BINGET")?);
                    self.memo_get(key.into())?;
                }
                b'p' => {
                    let line = self.line("PUT")?;
                    let key = self.memo_key(&line)?;
                    self.memo_put(key)?;
                }
                b'q' => {
                    let key = self.byte("BINPUT")?;
                    self.memo_put(key.into())?;
                }
                b'r' => {
                    let key = u32::from_le_bytes(self.read_array("LONG_BINPUT")?);
                    self.memo_put(key.into())?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    self.memo_put(key)?;
                }
                b'c' => {
                    let module = self.line("GLOBAL")?;
                    let name = self.line("GLOBAL")?;
                    let global = self.allowed_global(&module, &name)?;
                    self.push(Node::Global(global));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Some(module), Some(name)) = (self.text(module), self.text(name)) else {
                        return Err(self.error("STACK_GLOBAL needs two strings"));
                    };
                    let global = self.allowed_global(&module, &name)?;
                    self.push(Node::Global(global));
                }
                b'i' => {
                    let module = self.line("INST")?;
                    let name = self.line("INST")?;
                    self.allowed_global(&module, &name)?;
                    return Err(self.refuse(format!(
                        "INST (creating a class instance) is not supported, even of \
                         {module}.{name}"
                    )));
                }
                b'o' => {
                    return Err(self.refuse(
                        "OBJ (creating a class instance) is not supported by the safe reader",
                    ))
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let node = self.call(callable, args, "REDUCE")?;
                    self.push_result(node)?;
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    match self.nodes[class] {
                        Node::Global(
                            Global::Complex
                            | Global::Int
                            | Global::Float
                            | Global::Str
                            | Global::Bytes
                            | Global::Tuple
                            | Global::FrozenSet,
                        ) => {
                            let node = self.call(class, args, "NEWOBJ")?;
                            self.push_result(node)?;
                        }
                        _ => {
                            return Err(self.refuse(
                                "NEWOBJ is supported only for immutable builtins (complex, \
                                 int, float, str, bytes, tuple, frozenset)",
                            ))
                        }
                    }
                }
                0x92 => return Err(self.refuse("NEWOBJ_EX is not supported by the safe reader")),
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?;
                    self.build(target, state)?;
                }
                b'P' | b'Q' => {
                    return Err(self.refuse(
                        "persistent IDs (PERSID, BINPERSID) are not supported: they refer to \
                         objects outside the pickle",
                    ))
                }
                0x82..=0x84 => {
                    return Err(self.refuse(
                        "extension codes (EXT1, EXT2, EXT4) are not supported: they name \
                         globals through copyreg's registry",
                    ))
                }
                other => {
                    return Err(self.error(format!("unknown opcode 0x{other:02x}")));
                }
            }
        }
    }

    fn parse_int(&self, text: &str, what: &str) -> Result<Node> {
        text.trim()
            .parse::<BigInt>()
            .map(int_node)
            .map_err(|_| self.error(format!("{what}: {text:?} is not an integer")))
    }

    fn memo_key(&self, line: &str) -> Result<u64> {
        line.trim()
            .parse()
            .map_err(|_| self.error(format!("memo key {line:?} is not a number")))
    }

    fn push_text(&mut self, bytes: Vec<u8>, what: &str) -> Result<()> {
        let text = String::from_utf8(bytes).map_err(|_| {
            self.error(format!(
                "{what}: not valid UTF-8 (Python writes lone surrogates this way; they have \
                 no Rust string)"
            ))
        })?;
        self.push(Node::Str(text));
        Ok(())
    }

    /// The result of a call: an object array passed through `scalar(dtype('O'), obj)` is
    /// `obj` itself, so `call` may name an existing node.
    fn push_result(&mut self, node: Result<Node, Id>) -> Result<()> {
        match node {
            Ok(node) => {
                self.charge(node_cost(&node))?;
                self.push(node);
            }
            Err(existing) => self.stack.push(existing),
        }
        Ok(())
    }

    fn allowed_global(&self, module: &str, name: &str) -> Result<Global> {
        lookup_global(module, name).ok_or_else(|| {
            self.refuse(format!(
                "global {module}.{name} is not on the safe reader's allow-list (NumPy's array \
                 reconstruction, numpy.dtype, NumPy scalars and builtin containers and \
                 numbers): refused, nothing was imported or run"
            ))
        })
    }

    fn text(&self, id: Id) -> Option<String> {
        match &self.nodes[id] {
            Node::Str(text) => Some(text.clone()),
            Node::Py2Str(bytes) => Some(bytes.iter().map(|&b| char::from(b)).collect()),
            _ => None,
        }
    }

    fn bytes_of(&self, id: Id) -> Option<&[u8]> {
        match &self.nodes[id] {
            Node::Bytes(bytes) | Node::ByteArray(bytes) | Node::Py2Str(bytes) => Some(bytes),
            _ => None,
        }
    }

    fn int_of(&self, id: Id) -> Option<i64> {
        match self.nodes[id] {
            Node::Int(value) => Some(value),
            Node::Bool(value) => Some(value.into()),
            _ => None,
        }
    }

    fn float_of(&self, id: Id) -> Option<f64> {
        match &self.nodes[id] {
            Node::Float(value) => Some(*value),
            Node::Int(value) => Some(*value as f64),
            Node::Bool(value) => Some(f64::from(u8::from(*value))),
            Node::BigInt(value) => value.to_f64(),
            _ => None,
        }
    }

    fn tuple_items(&self, id: Id, what: &str) -> Result<Vec<Id>> {
        match &self.nodes[id] {
            Node::Tuple(items) => Ok(items.clone()),
            other => Err(self.error(format!(
                "{what}: expected a tuple, found a {}",
                other.describe()
            ))),
        }
    }

    fn pairs(&self, items: Vec<Id>, what: &str) -> Result<Vec<(Id, Id)>> {
        if !items.len().is_multiple_of(2) {
            return Err(self.error(format!("{what}: an odd number of keys and values")));
        }
        Ok(items.chunks(2).map(|pair| (pair[0], pair[1])).collect())
    }

    fn extend_list(&mut self, items: Vec<Id>, what: &str) -> Result<()> {
        let target = self.top()?;
        match &mut self.nodes[target] {
            Node::List(list) => {
                list.extend(items);
                Ok(())
            }
            other => {
                let found = other.describe();
                Err(self.error(format!("{what} on a {found}, not a list")))
            }
        }
    }

    fn extend_dict(&mut self, pairs: Vec<(Id, Id)>, what: &str) -> Result<()> {
        let target = self.top()?;
        match &mut self.nodes[target] {
            Node::Dict(dict) => {
                dict.extend(pairs);
                Ok(())
            }
            other => {
                let found = other.describe();
                Err(self.error(format!("{what} on a {found}, not a dict")))
            }
        }
    }
}

impl PartialEq for Node {
    /// Only what the reader compares: `None` and globals.
    fn eq(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::None, Node::None) => true,
            (Node::Global(a), Node::Global(b)) => a == b,
            _ => false,
        }
    }
}

/// The bytes a node holds beyond its own size.
fn node_cost(node: &Node) -> usize {
    match node {
        Node::Str(text) => text.len(),
        Node::Py2Str(bytes) | Node::Bytes(bytes) | Node::ByteArray(bytes) => bytes.len(),
        Node::BigInt(value) => value.bits() as usize / 8,
        Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
            items.len() * size_of::<Id>()
        }
        Node::ObjectArray { items, .. } => items.len() * size_of::<Id>(),
        Node::Dict(pairs) => pairs.len() * 2 * size_of::<Id>(),
        Node::Array(array) | Node::Scalar(array) => array.data_size(),
        _ => 0,
    }
}

fn int_node(value: BigInt) -> Node {
    match value.to_i64() {
        Some(small) => Node::Int(small),
        None => Node::BigInt(value),
    }
}
