//! The safe pickle reader's allow-list: the globals a pickle may name, each mapped to what
//! the reader builds for it (see the [module docs](super) for the table). Any name not
//! here is refused the moment it is named.

/// The callables the reader knows: the allow-list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Global {
    Reconstruct,
    NdArray,
    DType,
    Scalar,
    FromBuffer,
    Set,
    FrozenSet,
    ByteArray,
    Complex,
    List,
    Tuple,
    Dict,
    Str,
    Bytes,
    Int,
    Float,
    Bool,
    CodecsEncode,
}

impl Global {
    /// The Python name, for messages.
    pub(super) fn python_name(self) -> &'static str {
        match self {
            Global::Reconstruct => "numpy.core.multiarray._reconstruct",
            Global::NdArray => "numpy.ndarray",
            Global::DType => "numpy.dtype",
            Global::Scalar => "numpy.core.multiarray.scalar",
            Global::FromBuffer => "numpy.core.numeric._frombuffer",
            Global::Set => "set",
            Global::FrozenSet => "frozenset",
            Global::ByteArray => "bytearray",
            Global::Complex => "complex",
            Global::List => "list",
            Global::Tuple => "tuple",
            Global::Dict => "dict",
            Global::Str => "str",
            Global::Bytes => "bytes",
            Global::Int => "int",
            Global::Float => "float",
            Global::Bool => "bool",
            Global::CodecsEncode => "_codecs.encode",
        }
    }
}

/// The global `module.name` if it is on the allow-list (see the [module docs](super)).
pub(super) fn lookup_global(module: &str, name: &str) -> Option<Global> {
    let module = if module == "__builtin__" {
        "builtins"
    } else {
        module
    };
    Some(match (module, name) {
        ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => Global::Reconstruct,
        // The name in pickles made with NumPy before 1.0 (NumPy keeps it importable).
        ("numpy.core._internal", "_reconstruct") => Global::Reconstruct,
        ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => Global::Scalar,
        ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => Global::FromBuffer,
        ("numpy", "ndarray") => Global::NdArray,
        ("numpy", "dtype") => Global::DType,
        ("builtins", "set") => Global::Set,
        ("builtins", "frozenset") => Global::FrozenSet,
        ("builtins", "bytearray") => Global::ByteArray,
        ("builtins", "complex") => Global::Complex,
        ("builtins", "list") => Global::List,
        ("builtins", "tuple") => Global::Tuple,
        ("builtins", "dict") => Global::Dict,
        ("builtins", "str" | "unicode") => Global::Str,
        ("builtins", "bytes") => Global::Bytes,
        ("builtins", "int" | "long") => Global::Int,
        ("builtins", "float") => Global::Float,
        ("builtins", "bool") => Global::Bool,
        // Python 3's protocol 2 pickles `bytes` as _codecs.encode(text, 'latin1').
        ("_codecs", "encode") => Global::CodecsEncode,
        _ => return None,
    })
}
