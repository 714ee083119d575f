//! Where a mapped array lives inside its mapping ([`Layout`]), and the checked views of
//! it that both kinds of map lend: typed slices and ndarray views, borrowed only when the
//! dtype, size and alignment allow, copies through the ordinary reader otherwise.

use std::ops::Range;
use std::path::PathBuf;

use bytemuck::Pod;
use ndarray::{ArrayView, ArrayViewMut, Axis, Dimension, IxDyn, ShapeBuilder, Slice};

use crate::elements::{element_layout, DataReader, NpyElement};
use crate::errors::{Error, ErrorKind, Result};
use crate::header::{self, Header, Version};
use crate::options::ReadOptions;
use crate::read::NpyRead;

/// Where a mapped array lives inside its mapping.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub(super) header: Header,
    pub(super) version: Version,
    /// Byte offset of the `.npy` data inside the mapping: after the `.npy` header, and for
    /// an `.npz` member after everything that precedes the member.
    pub(super) data: Range<usize>,
    /// Byte offset of the `.npy` itself inside the mapping (0 for a `.npy` file).
    pub(super) npy_start: usize,
    /// The mapped file and archive member, named in errors.
    pub(super) path: Option<PathBuf>,
    pub(super) member: Option<String>,
}

impl Layout {
    /// Parses the header of the `.npy` at `npy` (a range of `mapped`) and checks that the
    /// data it declares is there. Reads only the header: O(1) in the data's size.
    pub(super) fn parse(mapped: &[u8], npy: Range<usize>, options: &ReadOptions) -> Result<Layout> {
        let bytes = &mapped[npy.clone()];
        let info = header::read_header(&mut &bytes[..], options.max_header_size)?;
        info.check_data_present(bytes.len() as u64)?;
        let data_len = info.header.data_len()?;
        // Both fit in the mapping, hence in usize.
        let start = npy.start + info.data_offset as usize;
        Ok(Layout {
            header: info.header,
            version: info.version,
            data: start..start + data_len as usize,
            npy_start: npy.start,
            path: None,
            member: None,
        })
    }

    /// `error` with the member and file it concerns.
    pub(super) fn context(&self, error: Error) -> Error {
        let error = match &self.member {
            Some(member) => error.in_member(member.clone()),
            None => error,
        };
        match &self.path {
            Some(path) => error.in_file(path),
            None => error,
        }
    }

    /// The shape of the array as `T` items, when `T` can borrow the data as it is.
    pub(super) fn borrowable_shape<T: NpyElement + Pod>(&self, data: &[u8]) -> Result<Vec<usize>> {
        let (dtype, shape) = element_layout::<T>(&self.header)?;
        let native = T::write_dtype(&[]);
        if dtype != native {
            let hint = if dtype == native.with_endian(native.endian().swapped())
                || !dtype.is_native_endian()
            {
                "; the file is in the other byte order, which cannot be borrowed: \
                 view_or_copy() or load_copy() read it with a byte swap"
            } else {
                "; the file's type can only be read with a conversion: view_or_copy() or \
                 load_copy() convert it"
            };
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!("{native} (exactly, to borrow the mapped data{hint})"),
                found: self.header.dtype.to_string(),
            }));
        }
        if size_of::<T>() != native.itemsize() {
            return Err(Error::from(ErrorKind::DtypeMismatch {
                expected: format!(
                    "a type of {} bytes, the itemsize of {native}",
                    native.itemsize()
                ),
                found: format!(
                    "{} of {} bytes (its NpyElement dtype does not describe its memory layout)",
                    std::any::type_name::<T>(),
                    size_of::<T>()
                ),
            }));
        }
        let misalignment = data.as_ptr() as usize % align_of::<T>();
        if misalignment != 0 && size_of::<T>() != 0 {
            let why = if self.npy_start == 0 {
                format!(
                    "the data at byte offset {} is not aligned: the header is not padded \
                     to the element's alignment (NumPy pads to 64 bytes; this file was \
                     written by another writer)",
                    self.data.start
                )
            } else {
                format!(
                    "the member's data starts at byte {} of the archive, which zip does not \
                     align (archives written with WriteOptions::with_alignment(64) are)",
                    self.data.start
                )
            };
            return Err(Error::invalid_data(format!(
                "{why}; {} needs {}-byte alignment to be borrowed: view_or_copy() or \
                 load_copy() copy it",
                std::any::type_name::<T>(),
                align_of::<T>()
            )));
        }
        Ok(shape)
    }

    pub(super) fn slice<'a, T: NpyElement + Pod>(&self, mapped: &'a [u8]) -> Result<&'a [T]> {
        let data = &mapped[self.data.clone()];
        self.borrowable_shape::<T>(data)?;
        bytemuck::try_cast_slice(data).map_err(|e| Error::invalid_data(e.to_string()))
    }

    pub(super) fn slice_mut<'a, T: NpyElement + Pod>(
        &self,
        mapped: &'a mut [u8],
    ) -> Result<&'a mut [T]> {
        let data = &mut mapped[self.data.clone()];
        self.borrowable_shape::<T>(data)?;
        bytemuck::try_cast_slice_mut(data).map_err(|e| Error::invalid_data(e.to_string()))
    }

    /// The dimension of the view of the data as `T` items.
    pub(super) fn dim<T: NpyElement + Pod, D: Dimension>(&self, data: &[u8]) -> Result<D> {
        let shape = self.borrowable_shape::<T>(data)?;
        D::from_dimension(&IxDyn(&shape)).ok_or_else(|| {
            Error::from(ErrorKind::ShapeMismatch {
                expected: format!("{} dimensions", D::NDIM.unwrap_or(shape.len())),
                found: shape,
            })
        })
    }

    pub(super) fn view<'a, T: NpyElement + Pod, D: Dimension>(
        &self,
        mapped: &'a [u8],
    ) -> Result<ArrayView<'a, T, D>> {
        let data = &mapped[self.data.clone()];
        let dim = self.dim::<T, D>(data)?;
        let values: &[T] =
            bytemuck::try_cast_slice(data).map_err(|e| Error::invalid_data(e.to_string()))?;
        ArrayView::from_shape(dim.set_f(self.header.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }

    pub(super) fn view_mut<'a, T: NpyElement + Pod, D: Dimension>(
        &self,
        mapped: &'a mut [u8],
    ) -> Result<ArrayViewMut<'a, T, D>> {
        let data = &mut mapped[self.data.clone()];
        let dim = self.dim::<T, D>(data)?;
        let values: &mut [T] =
            bytemuck::try_cast_slice_mut(data).map_err(|e| Error::invalid_data(e.to_string()))?;
        ArrayViewMut::from_shape(dim.set_f(self.header.fortran_order), values)
            .map_err(|e| Error::invalid_data(e.to_string()))
    }

    pub(super) fn load_copy<A: NpyRead>(&self, mapped: &[u8]) -> Result<A> {
        let data = &mapped[self.data.clone()];
        let mut reader = data;
        let mut data_reader = DataReader::new(
            &mut reader,
            (self.data.start - self.npy_start) as u64,
            Some(data.len() as u64),
        );
        A::read_npy_data(&self.header, &mut data_reader)
    }
}

/// The rows `rows` (a range of the first axis) of `view`, or an error when out of bounds.
pub(super) fn select_rows<V, D: Dimension>(
    mut view: ndarray::ArrayBase<V, D>,
    rows: Range<usize>,
) -> Result<ndarray::ArrayBase<V, D>>
where
    V: ndarray::RawData,
{
    let len = view
        .shape()
        .first()
        .copied()
        .ok_or_else(|| ErrorKind::ShapeMismatch {
            expected: "at least one dimension to take rows from".into(),
            found: vec![],
        })?;
    if rows.start > rows.end || rows.end > len {
        return Err(Error::from(ErrorKind::ShapeMismatch {
            expected: format!("rows {}..{} within the first axis", rows.start, rows.end),
            found: view.shape().to_vec(),
        }));
    }
    view.slice_axis_inplace(Axis(0), Slice::from(rows));
    Ok(view)
}
