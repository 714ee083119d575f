//! Fixed-width element types for record fields and zero-copy reads: [`FixedUnicode`]
//! (`<U{N}`), [`FixedBytes`] (`|S{N}`), and datetimes with their unit in the type
//! ([`DateTime64`], [`TimeDelta64`]).

use std::fmt;
use std::io::{Read, Write};
use std::marker::PhantomData;

use bytemuck::{Pod, Zeroable};

use super::{
    decode_scalars, encode_scalars, mismatch, write_encoded, DataReader, FixedElement, NpyElement,
};
use crate::dtype::{DType, DateUnit, Endian, TimeUnit};
use crate::errors::{Error, Result};

/// A string of at most `N` characters stored as NumPy stores `<U{N}`: `N` UTF-32 code
/// units padded with NUL. A plain-bytes type, so records holding it can be read zero-copy.
///
/// ```
/// use npy_serde::element::FixedUnicode;
///
/// let name = FixedUnicode::<8>::new("proton")?;
/// assert_eq!(name.to_string(), "proton");
/// assert!(FixedUnicode::<2>::new("too long").is_err());
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct FixedUnicode<const N: usize>(pub [u32; N]);

// SAFETY: a transparent wrapper of [u32; N], which is Zeroable and Pod.
unsafe impl<const N: usize> Zeroable for FixedUnicode<N> {}
unsafe impl<const N: usize> Pod for FixedUnicode<N> {}

impl<const N: usize> FixedUnicode<N> {
    /// The text, or an error when it has more than `N` characters.
    pub fn new(text: &str) -> Result<Self> {
        let mut units = [0u32; N];
        for (i, c) in text.chars().enumerate() {
            *units.get_mut(i).ok_or_else(|| {
                Error::unwritable(format!("{text:?} has more than {N} characters"))
            })? = c as u32;
        }
        Ok(FixedUnicode(units))
    }

    /// The characters before the NUL padding; invalid code points become U+FFFD.
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        let end = self.0.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
        self.0[..end]
            .iter()
            .map(|&u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
    }
}

impl<const N: usize> Default for FixedUnicode<N> {
    fn default() -> Self {
        FixedUnicode([0; N])
    }
}

impl<const N: usize> fmt::Display for FixedUnicode<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.chars().try_for_each(|c| fmt::Write::write_char(f, c))
    }
}

impl<const N: usize> fmt::Debug for FixedUnicode<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FixedUnicode<{N}>({:?})", self.to_string())
    }
}

/// At most `N` bytes stored as NumPy stores `|S{N}`: padded with NUL.
///
/// ```
/// use npy_serde::element::FixedBytes;
///
/// let tag = FixedBytes::<4>::new(b"ab")?;
/// assert_eq!(tag.as_bytes(), b"ab");
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct FixedBytes<const N: usize>(pub [u8; N]);

// SAFETY: a transparent wrapper of [u8; N], which is Zeroable and Pod.
unsafe impl<const N: usize> Zeroable for FixedBytes<N> {}
unsafe impl<const N: usize> Pod for FixedBytes<N> {}

impl<const N: usize> FixedBytes<N> {
    /// The bytes, or an error when there are more than `N`.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let mut array = [0u8; N];
        array
            .get_mut(..bytes.len())
            .ok_or_else(|| Error::unwritable(format!("{} bytes do not fit in {N}", bytes.len())))?
            .copy_from_slice(bytes);
        Ok(FixedBytes(array))
    }

    /// The bytes before the NUL padding, as NumPy returns them.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &self.0[..end]
    }
}

impl<const N: usize> Default for FixedBytes<N> {
    fn default() -> Self {
        FixedBytes([0; N])
    }
}

impl<const N: usize> fmt::Debug for FixedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FixedBytes<{N}>(b\"{}\")",
            self.as_bytes().escape_ascii()
        )
    }
}

impl<const N: usize> NpyElement for FixedUnicode<N> {
    fn write_dtype(_: &[Self]) -> DType {
        <Self as FixedElement>::dtype()
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        match dtype {
            DType::Unicode { chars, .. } if *chars == N => Ok(()),
            other => Err(mismatch::<Self>(other, "the same width")),
        }
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        let columns = (0..N)
            .map(|j| {
                let start = (j * 4).min(bytes.len());
                decode_scalars::<u32, u32>(&bytes[start..], stride, count, dtype.endian(), |u| u)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(super::assemble_arrays::<u32, N>(columns, count)
            .into_iter()
            .map(FixedUnicode)
            .collect())
    }

    fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        let values: Vec<&Self> = values.collect();
        for j in 0..N {
            let start = (j * 4).min(out.len());
            encode_scalars(
                values.iter().map(|v| &v.0[j]),
                dtype.endian(),
                &mut out[start..],
                stride,
            );
        }
        Ok(())
    }

    fn read_values<R: Read>(
        dtype: &DType,
        count: usize,
        data: &mut DataReader<'_, R>,
    ) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        let mut values = data.read_pod::<Self>(count)?;
        if !dtype.endian().is_native() {
            for value in &mut values {
                value.0.iter_mut().for_each(|u| *u = u.swap_bytes());
            }
        }
        Ok(values)
    }

    fn write_values<W: Write>(values: &[Self], dtype: &DType, writer: &mut W) -> Result<()> {
        if dtype.endian().is_native() {
            writer.write_all(bytemuck::cast_slice(values))?;
            Ok(())
        } else {
            write_encoded(values, dtype, writer)
        }
    }
}

impl<const N: usize> FixedElement for FixedUnicode<N> {
    fn dtype() -> DType {
        DType::Unicode {
            chars: N,
            endian: Endian::NATIVE,
        }
    }
}

impl<const N: usize> NpyElement for FixedBytes<N> {
    fn write_dtype(_: &[Self]) -> DType {
        DType::Bytes { len: N }
    }

    fn check_readable(dtype: &DType) -> Result<()> {
        match dtype {
            DType::Bytes { len } if *len == N => Ok(()),
            other => Err(mismatch::<Self>(other, "the same width")),
        }
    }

    fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        super::map_items(bytes, stride, count, N, |item| {
            Ok(FixedBytes(item.try_into().expect("N bytes")))
        })
    }

    fn encode<'a, I>(values: I, _: &DType, out: &mut [u8], stride: usize) -> Result<()>
    where
        I: ExactSizeIterator<Item = &'a Self>,
    {
        for (i, value) in values.enumerate() {
            out[i * stride..i * stride + N].copy_from_slice(&value.0);
        }
        Ok(())
    }

    fn read_values<R: Read>(
        dtype: &DType,
        count: usize,
        data: &mut DataReader<'_, R>,
    ) -> Result<Vec<Self>> {
        Self::check_readable(dtype)?;
        data.read_pod::<Self>(count)
    }

    fn write_values<W: Write>(values: &[Self], _: &DType, writer: &mut W) -> Result<()> {
        writer.write_all(bytemuck::cast_slice(values))?;
        Ok(())
    }
}

impl<const N: usize> FixedElement for FixedBytes<N> {
    fn dtype() -> DType {
        DType::Bytes { len: N }
    }
}

/// A datetime unit as a type, for [`DateTime64`] and [`TimeDelta64`].
pub trait Unit: Copy + Send + Sync + 'static {
    /// The unit.
    const UNIT: DateUnit;
}

/// The unit types: `DateTime64<units::Nanoseconds>` is NumPy's `datetime64[ns]`.
pub mod units {
    macro_rules! unit_types {
        ($($name:ident),*) => {$(
            #[doc = concat!("The `", stringify!($name), "` unit.")]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct $name;
            impl super::Unit for $name {
                const UNIT: crate::dtype::DateUnit = crate::dtype::DateUnit::$name;
            }
        )*};
    }
    unit_types!(
        Generic,
        Years,
        Months,
        Weeks,
        Days,
        Hours,
        Minutes,
        Seconds,
        Milliseconds,
        Microseconds,
        Nanoseconds,
        Picoseconds,
        Femtoseconds,
        Attoseconds
    );
}

macro_rules! time_type {
    ($name:ident, $variant:ident, $numpy:literal) => {
        #[doc = concat!("NumPy's `", $numpy, "[unit]`: an i64 count of `U` units",
            " (`i64::MIN` is NaT). Reading requires the file's unit to be `U`, multiplier 1.")]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name<U>(pub i64, PhantomData<U>);

        // SAFETY: a transparent wrapper of i64 (PhantomData is zero-sized).
        unsafe impl<U: Unit> Zeroable for $name<U> {}
        unsafe impl<U: Unit> Pod for $name<U> {}

        impl<U: Unit> $name<U> {
            /// NaT, NumPy's "not a time".
            pub const NAT: Self = $name(i64::MIN, PhantomData);

            /// A value of `count` units.
            pub const fn new(count: i64) -> Self {
                $name(count, PhantomData)
            }

            /// The count of units.
            pub const fn count(self) -> i64 {
                self.0
            }

            /// True for NaT.
            pub const fn is_nat(self) -> bool {
                self.0 == i64::MIN
            }
        }

        impl<U: Unit> fmt::Debug for $name<U> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({}{})", stringify!($name), self.0, TimeUnit::new(U::UNIT))
            }
        }

        impl<U: Unit> NpyElement for $name<U> {
            fn write_dtype(_: &[Self]) -> DType {
                <Self as FixedElement>::dtype()
            }

            fn check_readable(dtype: &DType) -> Result<()> {
                match dtype {
                    DType::$variant { unit, .. } if *unit == TimeUnit::new(U::UNIT) => Ok(()),
                    other => Err(mismatch::<Self>(other, "the same unit")),
                }
            }

            fn decode(dtype: &DType, bytes: &[u8], stride: usize, count: usize) -> Result<Vec<Self>> {
                Self::check_readable(dtype)?;
                decode_scalars::<i64, Self>(bytes, stride, count, dtype.endian(), Self::new)
            }

            fn encode<'a, I>(values: I, dtype: &DType, out: &mut [u8], stride: usize) -> Result<()>
            where
                I: ExactSizeIterator<Item = &'a Self>,
            {
                encode_scalars(values.map(|v| &v.0), dtype.endian(), out, stride);
                Ok(())
            }

            fn read_values<R: Read>(dtype: &DType, count: usize, data: &mut DataReader<'_, R>) -> Result<Vec<Self>> {
                Self::check_readable(dtype)?;
                let mut values = data.read_pod::<Self>(count)?;
                if !dtype.endian().is_native() {
                    values.iter_mut().for_each(|v| v.0 = v.0.swap_bytes());
                }
                Ok(values)
            }

            fn write_values<W: Write>(values: &[Self], dtype: &DType, writer: &mut W) -> Result<()> {
                if dtype.endian().is_native() {
                    writer.write_all(bytemuck::cast_slice(values))?;
                    Ok(())
                } else {
                    write_encoded(values, dtype, writer)
                }
            }
        }

        impl<U: Unit> FixedElement for $name<U> {
            fn dtype() -> DType {
                DType::$variant {
                    unit: TimeUnit::new(U::UNIT),
                    endian: Endian::NATIVE,
                }
            }
        }
    };
}

time_type!(DateTime64, DateTime, "datetime64");
time_type!(TimeDelta64, TimeDelta, "timedelta64");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::NpyElement;

    #[test]
    fn datetimes_carry_their_unit() {
        assert_eq!(
            DateTime64::<units::Nanoseconds>::dtype().to_string(),
            format!(
                "'{}M8[ns]'",
                if cfg!(target_endian = "little") {
                    '<'
                } else {
                    '>'
                }
            )
        );
        assert!(
            DateTime64::<units::Nanoseconds>::check_readable(&"<M8[ns]".parse().unwrap()).is_ok()
        );
        assert!(
            DateTime64::<units::Nanoseconds>::check_readable(&"<M8[us]".parse().unwrap()).is_err()
        );
        assert!(
            DateTime64::<units::Milliseconds>::check_readable(&"<M8[10ms]".parse().unwrap())
                .is_err()
        );
        assert!(TimeDelta64::<units::Generic>::check_readable(&"<m8".parse().unwrap()).is_ok());
        let bytes = 5i64.to_be_bytes();
        let values =
            DateTime64::<units::Days>::decode(&">M8[D]".parse().unwrap(), &bytes, 8, 1).unwrap();
        assert_eq!(values[0].count(), 5);
    }

    #[test]
    fn fixed_strings_round_trip() {
        let values = [
            FixedUnicode::<3>::new("ab").unwrap(),
            FixedUnicode::new("xyz").unwrap(),
        ];
        for endian in [Endian::Little, Endian::Big] {
            let dtype = FixedUnicode::<3>::dtype().with_endian(endian);
            let mut bytes = Vec::new();
            FixedUnicode::write_values(&values, &dtype, &mut bytes).unwrap();
            assert_eq!(
                String::decode(&dtype, &bytes, 12, 2).unwrap(),
                ["ab", "xyz"]
            );
            assert_eq!(
                FixedUnicode::<3>::decode(&dtype, &bytes, 12, 2).unwrap(),
                values
            );
        }
    }
}
