//! A `VarBuilder` backend over npy-serde's reader: the archive's directory is parsed once,
//! stored members are read with one copy (one positional read into the tensor's memory),
//! deflated members are inflated on every core when the backend opens, and big-endian and
//! Fortran-order members load.
//!
//! While a model asks for its variables in archive order (as a state dict saved in module
//! order is), the next stored members are read ahead on every core
//! ([`npz::Reader::read_many`]), a bounded batch at a time: a first load is bound by
//! faulting in the tensors' fresh memory, which one thread does at a time but several
//! threads do at once. A request out of order stops the reading ahead until two requests
//! in a row follow each other again, so a model built in another order pays no more reads.
//!
//! Why not a memory map: copying out of one costs a fault per 16 pages of the file on top
//! of the faults of the tensor's own fresh memory, and a mapped file counts in the
//! process's resident size (a 1 GiB archive loaded through a map peaked at 2.0 GiB).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;
use npy_serde::{npz, NpyArray, ReadOptions};

use crate::{tensor_from_npy_array, Result};

/// An npz as a candle `VarBuilder` backend ([`var_builder`], or
/// `VarBuilder::from_backend(Box::new(backend), dtype, device)`).
///
/// A variable asked for as dtype `D` loads from a member of dtype `D` or one that widens
/// into `D` without loss (npy-serde's table; `BF16` from `|V2`); anything else is an error
/// naming both, unless [`with_cast`](Self::with_cast) allows candle's `to_dtype` (which
/// may round, as candle's own `VarBuilder::from_npz` always does).
///
/// ```
/// use candle_core::{DType, Device, Module, Tensor};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("linear.npz");
///
/// let device = Device::Cpu;
/// let weight = Tensor::ones((2, 3), DType::F32, &device)?;
/// let bias = Tensor::zeros(2, DType::F32, &device)?;
/// npy_candle::save(&path, &[("fc1.weight", &weight), ("fc1.bias", &bias)])?;
///
/// let vb = npy_candle::var_builder(&path, DType::F32, &device)?;
/// let fc1 = candle_nn::linear(3, 2, vb.pp("fc1"))?;
/// let y = fc1.forward(&Tensor::ones((1, 3), DType::F32, &device)?)?;
/// assert_eq!(y.to_vec2::<f32>()?, [[3.0, 3.0]]);
/// # Ok::<(), npy_candle::Error>(())
/// ```
pub struct NpzBackend {
    archive: Mutex<npz::Reader<File>>,
    names: Vec<String>,
    /// What the directory says of each member, in archive order, and each one's index.
    members: Vec<npz::MemberInfo>,
    index: HashMap<String, usize>,
    /// Members already read: deflated ones, inflated at open on every core, and stored
    /// ones read ahead. Taken when asked for.
    ready: Mutex<HashMap<String, NpyArray>>,
    ahead: Mutex<ReadAhead>,
    path: PathBuf,
    options: ReadOptions,
    cast: bool,
}

/// Stored members read ahead of the model's requests, one batch at a time.
#[derive(Default)]
struct ReadAhead {
    /// The batch thread's own reader, given back with each batch.
    reader: Option<npz::Reader<File>>,
    /// The batch being read: its member names and the thread reading them.
    batch: Option<(Vec<String>, JoinHandle<Batch>)>,
    /// The archive index of the member asked for last.
    last: Option<usize>,
    /// The archive index from which the next batch starts.
    next: usize,
}

/// A batch thread's reader and what it read.
type Batch = (npz::Reader<File>, npy_serde::Result<Vec<NpyArray>>);

/// A batch holds up to this many members, one per core at least, and stops growing once it
/// holds this many bytes: what is read ahead but never asked for is bounded.
const BATCH_MEMBERS_PER_CORE: usize = 16;
const BATCH_BYTES: u64 = 256 << 20;

impl NpzBackend {
    /// Opens the npz at `path`: parses its directory, and inflates its deflated members on
    /// every core.
    pub fn open<P: AsRef<Path>>(path: P) -> Result<NpzBackend> {
        NpzBackend::open_with(path, &ReadOptions::default())
    }

    /// [`open`](Self::open) with `options` (limits on untrusted input).
    pub fn open_with<P: AsRef<Path>>(path: P, options: &ReadOptions) -> Result<NpzBackend> {
        let path = path.as_ref();
        // Errors from the reader name the file already.
        let mut archive = npz::Reader::open_with(path, options)?;
        let names = archive.names();
        let deflated: Vec<&str> = archive
            .members()
            .iter()
            .filter(|m| m.compressed)
            .map(|m| {
                names
                    .iter()
                    .find(|n| **n == m.name)
                    .map_or("", String::as_str)
            })
            .collect();
        let arrays: Vec<NpyArray> = archive.read_many(&deflated)?;
        let inflated = deflated.iter().map(|n| n.to_string()).zip(arrays).collect();
        let members = archive.members();
        let index = members
            .iter()
            .enumerate()
            .map(|(i, member)| (member.name.clone(), i))
            .collect();
        Ok(NpzBackend {
            archive: Mutex::new(archive),
            names,
            members,
            index,
            ready: Mutex::new(inflated),
            ahead: Mutex::new(ReadAhead::default()),
            path: path.to_path_buf(),
            options: options.clone(),
            cast: false,
        })
    }

    /// Lets a variable load from a member that does not widen into its dtype, through
    /// candle's `to_dtype` (f32 weights into a bf16 model: rounded), as candle's own npz
    /// backend does. Off by default.
    pub fn with_cast(mut self, cast: bool) -> NpzBackend {
        self.cast = cast;
        self
    }

    /// The member names, in archive order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Member `name` as a tensor of `dtype` on `device`.
    pub fn load(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        self.read_ahead(name);
        // Read ahead or inflated at open, else read now; either way the member's header is
        // parsed once and its vector moves into the tensor when it already has `dtype`.
        let ready = self
            .ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        let array = match ready {
            Some(array) => array,
            None => {
                let mut archive = self.archive.lock().unwrap_or_else(|p| p.into_inner());
                archive.read::<NpyArray>(name)?
            }
        };
        match crate::candle_dtype(array.dtype()) {
            Some(own) if self.cast && own != dtype => {
                Ok(tensor_from_npy_array(array, Some(own), device)?.to_dtype(dtype)?)
            }
            _ => tensor_from_npy_array(array, Some(dtype), device),
        }
        .map_err(|e| e.in_member(name))
    }

    /// Before member `name` is loaded: takes in the batch read ahead if it holds `name`,
    /// and, when `name` follows the member asked for before it, starts reading the next
    /// batch. Errors of a batch are dropped: its members are then read when asked for,
    /// which reports them.
    fn read_ahead(&self, name: &str) {
        let Some(&index) = self.index.get(name) else {
            return;
        };
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        let in_order = ahead.last.is_some_and(|last| last + 1 == index);
        ahead.last = Some(index);
        let holds_name =
            matches!(&ahead.batch, Some((names, _)) if names.iter().any(|n| n == name));
        // The batch that holds `name` is taken in; one the requests went past without
        // asking for its members (the model went another way) is dropped once it is done,
        // so what waits unasked is one batch at most.
        let passed = matches!(&ahead.batch, Some((names, handle))
            if handle.is_finished() && names.first().and_then(|n| self.index.get(n)).is_some_and(|&first| first < index));
        if holds_name || passed {
            if let Some((names, handle)) = ahead.batch.take() {
                if let Ok((reader, arrays)) = handle.join() {
                    ahead.reader = Some(reader);
                    if let (true, Ok(arrays)) = (holds_name, arrays) {
                        let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
                        ready.extend(names.into_iter().zip(arrays));
                    }
                }
            }
        }
        if !in_order {
            ahead.next = index + 1;
            return;
        }
        if ahead.batch.is_some() {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let members = self.archive_members_from(ahead.next.max(index + 1), cores);
        let Some(last) = members.last().map(|&(i, _)| i) else {
            return;
        };
        ahead.next = last + 1;
        let reader = match ahead.reader.take() {
            Some(reader) => reader,
            None => match npz::Reader::open_with(&self.path, &self.options) {
                Ok(reader) => reader,
                Err(_) => return,
            },
        };
        let names: Vec<String> = members.into_iter().map(|(_, n)| n).collect();
        let batch_names = names.clone();
        let spawned = std::thread::Builder::new()
            .name("npy-candle read-ahead".into())
            .spawn(move || {
                let mut reader = reader;
                let refs: Vec<&str> = batch_names.iter().map(String::as_str).collect();
                let arrays = reader.read_many::<NpyArray>(&refs);
                (reader, arrays)
            });
        if let Ok(handle) = spawned {
            ahead.batch = Some((names, handle));
        }
    }

    /// The stored members from archive index `start` on that are not read yet: up to
    /// [`BATCH_MEMBERS_PER_CORE`] per core and [`BATCH_BYTES`] (at least one member).
    fn archive_members_from(&self, start: usize, cores: usize) -> Vec<(usize, String)> {
        let ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        for (i, member) in self.members.iter().enumerate().skip(start) {
            if batch.len() >= BATCH_MEMBERS_PER_CORE * cores || bytes >= BATCH_BYTES {
                break;
            }
            if member.compressed || ready.contains_key(&member.name) {
                continue;
            }
            bytes += member.uncompressed_size;
            batch.push((i, member.name.clone()));
        }
        batch
    }

    /// A `VarBuilder` of `dtype` on `device` over this backend.
    pub fn into_var_builder(self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self), dtype, device.clone())
    }
}

/// A `VarBuilder` over the npz at `path` ([`NpzBackend::open`]): the replacement for
/// candle's `VarBuilder::from_npz`.
pub fn var_builder<P: AsRef<Path>>(
    path: P,
    dtype: DType,
    device: &Device,
) -> Result<VarBuilder<'static>> {
    Ok(NpzBackend::open(path)?.into_var_builder(dtype, device))
}

impl SimpleBackend for NpzBackend {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.load(name, dtype, device)?;
        if tensor.shape() != &shape {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: shape,
                got: tensor.shape().clone(),
            }
            .bt());
        }
        Ok(tensor)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        Ok(self.load(name, dtype, device)?)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}
