//! The families of values the serde round-trip tests generate: types (nested structs,
//! `Vec`s of structs holding arrays, maps with awkward keys, records, `flatten`, `default`,
//! `Bulk`, ...) and proptest strategies that make only values the format documents as
//! representable, with finite floats. Shared by `serde_roundtrip.rs` (properties) and
//! `serde_interop.rs` (the same values through NumPy).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use half::f16;
use ndarray::{Array0, Array1, Array2, Array3, ArrayD, IxDyn};
use npy_serde::{Bulk, SerdeOptions};
use num_complex::Complex;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

pub fn options(separator: &str) -> SerdeOptions {
    SerdeOptions::default().with_separator(separator)
}

pub fn f32s() -> impl Strategy<Value = f32> + Clone {
    any::<f32>().prop_filter("finite", |x| x.is_finite())
}

pub fn f64s() -> impl Strategy<Value = f64> + Clone {
    any::<f64>().prop_filter("finite", |x| x.is_finite())
}

pub fn f16s() -> impl Strategy<Value = f16> + Clone {
    any::<u16>()
        .prop_map(f16::from_bits)
        .prop_filter("finite", |x| x.is_finite())
}

pub fn c32s() -> impl Strategy<Value = Complex<f32>> + Clone {
    (f32s(), f32s()).prop_map(|(re, im)| Complex::new(re, im))
}

pub fn c64s() -> impl Strategy<Value = Complex<f64>> + Clone {
    (f64s(), f64s()).prop_map(|(re, im)| Complex::new(re, im))
}

/// Text without control characters (NumPy's `U` strips trailing NULs; see
/// `strings_with_trailing_nul_are_refused_or_kept` for those).
pub fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,8}",
        "[a-zé☃😀 ]{0,5}",
        "\\PC{0,6}",
    ]
}

/// Map keys: empty, unicode, with `/`, `.` and `%` (the separators and the escape char).
pub fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "/",
            ".",
            "%",
            "%2F",
            "%2E",
            "%25",
            "a/b",
            "/a/",
            "fc1/weight",
            "fc1.weight",
            "..",
            "x.npy",
            "é/ü",
            "😀",
        ])
        .prop_map(String::from),
        "[a-z/.%é😀 _-]{0,8}",
        "\\PC{0,5}",
    ]
}

pub fn vec_of<T: Debug>(
    element: impl Strategy<Value = T>,
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(element, 0..=max)
}

pub fn array1_f32(max: usize) -> impl Strategy<Value = Array1<f32>> {
    vec_of(f32s(), max).prop_map(Array1::from)
}

pub fn array2_f32(max: usize) -> impl Strategy<Value = Array2<f32>> {
    (0..=max, 0..=max).prop_flat_map(|(rows, cols)| {
        prop::collection::vec(f32s(), rows * cols)
            .prop_map(move |data| Array2::from_shape_vec((rows, cols), data).unwrap())
    })
}

pub fn array3_u8() -> impl Strategy<Value = Array3<u8>> {
    (0..3usize, 0..3usize, 0..3usize).prop_flat_map(|shape| {
        prop::collection::vec(any::<u8>(), shape.0 * shape.1 * shape.2)
            .prop_map(move |data| Array3::from_shape_vec(shape, data).unwrap())
    })
}

/// Arrays of rank 0 to 4, zero-length axes included.
pub fn array_dyn<T: Debug + Clone>(
    element: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = ArrayD<T>> {
    prop::collection::vec(0..4usize, 0..=4).prop_flat_map(move |shape| {
        let len = shape.iter().product::<usize>();
        prop::collection::vec(element.clone(), len)
            .prop_map(move |data| ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap())
    })
}

/// Rectangular `Vec<Vec<T>>` (ragged ones are refused at save by design).
pub fn grid<T: Debug + Clone>(
    element: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Vec<Vec<T>>> {
    (0..4usize, 0..4usize).prop_flat_map(move |(rows, cols)| {
        prop::collection::vec(prop::collection::vec(element.clone(), cols), rows)
    })
}

// ---------------------------------------------------------------------------------------
// Families

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub struct Layer {
    pub weight: Array2<f32>,
    pub bias: Array1<f32>,
}

pub fn layer() -> impl Strategy<Value = Layer> {
    (array2_f32(3), array1_f32(3)).prop_map(|(weight, bias)| Layer { weight, bias })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Deeper {
    pub z: Complex<f64>,
    pub ids: Vec<i32>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Middle {
    pub layer: Layer,
    pub scale: f16,
    pub flag: bool,
    pub deeper: Deeper,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Nested {
    pub middle: Middle,
    pub top: i8,
    pub step: u64,
    pub name: String,
    pub other: Layer,
}

pub fn nested() -> impl Strategy<Value = Nested> {
    (
        layer(),
        f16s(),
        any::<bool>(),
        c64s(),
        vec_of(any::<i32>(), 4),
        any::<i8>(),
        any::<u64>(),
        text(),
        layer(),
    )
        .prop_map(
            |(layer, scale, flag, z, ids, top, step, name, other)| Nested {
                middle: Middle {
                    layer,
                    scale,
                    flag,
                    deeper: Deeper { z, ids },
                },
                top,
                step,
                name,
                other,
            },
        )
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Block {
    pub layers: Vec<Layer>,
    pub gain: f32,
}

/// `Vec`s of non-record structs and of arrays: indexed groups (`layers/0/weight`).
#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Model {
    pub layers: Vec<Layer>,
    pub blocks: Vec<Block>,
    pub arrays: Vec<Array1<f64>>,
    pub maps: Vec<BTreeMap<String, f32>>,
    pub name: String,
}

pub fn model() -> impl Strategy<Value = Model> {
    (
        vec_of(layer(), 3),
        vec_of(
            (vec_of(layer(), 2), f32s()).prop_map(|(layers, gain)| Block { layers, gain }),
            2,
        ),
        vec_of(vec_of(f64s(), 3).prop_map(Array1::from), 3),
        vec_of(prop::collection::btree_map(key(), f32s(), 0..3), 3),
        text(),
    )
        .prop_map(|(layers, blocks, arrays, maps, name)| Model {
            layers,
            blocks,
            arrays,
            maps,
            name,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct StringMaps {
    pub optimizer: HashMap<String, Array2<f32>>,
    pub counts: BTreeMap<String, i64>,
    pub nested: BTreeMap<String, BTreeMap<String, Vec<f32>>>,
    pub layers: HashMap<String, Layer>,
}

pub fn string_maps() -> impl Strategy<Value = StringMaps> {
    (
        prop::collection::hash_map(key(), array2_f32(2), 0..4),
        prop::collection::btree_map(key(), any::<i64>(), 0..4),
        prop::collection::btree_map(
            key(),
            prop::collection::btree_map(key(), vec_of(f32s(), 3), 0..3),
            0..3,
        ),
        prop::collection::hash_map(key(), layer(), 0..3),
    )
        .prop_map(|(optimizer, counts, nested, layers)| StringMaps {
            optimizer,
            counts,
            nested,
            layers,
        })
}

pub fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("/"), Just(".")]
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct IntMaps {
    pub by_u32: BTreeMap<u32, Vec<f32>>,
    pub by_i64: BTreeMap<i64, f64>,
    pub hashed: HashMap<u32, Layer>,
    pub by_u8: BTreeMap<u8, BTreeMap<i64, bool>>,
}

pub fn int_maps() -> impl Strategy<Value = IntMaps> {
    (
        prop::collection::btree_map(any::<u32>(), vec_of(f32s(), 3), 0..4),
        prop::collection::btree_map(any::<i64>(), f64s(), 0..4),
        prop::collection::hash_map(any::<u32>(), layer(), 0..3),
        prop::collection::btree_map(
            any::<u8>(),
            prop::collection::btree_map(any::<i64>(), any::<bool>(), 0..3),
            0..3,
        ),
    )
        .prop_map(|(by_u32, by_i64, hashed, by_u8)| IntMaps {
            by_u32,
            by_i64,
            hashed,
            by_u8,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Default)]
pub struct Nothing {}

#[derive(Serialize, Deserialize, PartialEq, Debug, Default)]
pub struct Empties {
    pub optimizer: HashMap<String, Array2<f32>>,
    pub nested: BTreeMap<String, BTreeMap<String, f32>>,
    pub values: Vec<f32>,
    pub layers: Vec<Layer>,
    pub rows: Vec<Vec<f64>>,
    pub texts: Vec<String>,
    pub records: Vec<Rec>,
    pub nothing: Nothing,
    pub empty_array: Array2<f64>,
}

/// Each field either empty or not, so empty members sit beside full ones.
pub fn empties() -> impl Strategy<Value = Empties> {
    (
        prop::collection::hash_map(key(), array2_f32(2), 0..2),
        prop::collection::btree_map(
            key(),
            prop::collection::btree_map(key(), f32s(), 0..2),
            0..2,
        ),
        vec_of(f32s(), 1),
        vec_of(layer(), 1),
        grid(f64s()),
        vec_of(text(), 1),
        vec_of(rec(), 1),
        (0..3usize, 0..3usize),
    )
        .prop_map(
            |(optimizer, nested, values, layers, rows, texts, records, (r, c))| Empties {
                optimizer,
                nested,
                values,
                layers,
                rows,
                texts,
                records,
                nothing: Nothing {},
                empty_array: Array2::zeros(if r % 2 == 0 { (0, c) } else { (r, 0) }),
            },
        )
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Arrays {
    pub floats: ArrayD<f64>,
    pub shorts: ArrayD<i16>,
    pub flags: ArrayD<bool>,
    pub halves: ArrayD<f16>,
    pub complex: ArrayD<Complex<f32>>,
    pub cube: Array3<u8>,
    pub scalar: Array0<f32>,
}

pub fn arrays() -> impl Strategy<Value = Arrays> {
    (
        array_dyn(f64s()),
        array_dyn(any::<i16>()),
        array_dyn(any::<bool>()),
        array_dyn(f16s()),
        array_dyn(c32s()),
        array3_u8(),
        f32s(),
    )
        .prop_map(
            |(floats, shorts, flags, halves, complex, cube, scalar)| Arrays {
                floats,
                shorts,
                flags,
                halves,
                complex,
                cube,
                scalar: Array0::from_elem((), scalar),
            },
        )
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct OptInner {
    pub x: Option<u8>,
    pub weights: Option<Array1<f64>>,
    pub label: Option<String>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Options {
    pub a: Option<f32>,
    pub v: Option<Vec<i32>>,
    pub inner: Option<OptInner>,
    pub always: OptInner,
    pub map: Option<BTreeMap<String, OptInner>>,
    pub layer: Option<Layer>,
    pub nested: Option<Option<i64>>,
}

pub fn opt_inner() -> impl Strategy<Value = OptInner> {
    (
        proptest::option::of(any::<u8>()),
        proptest::option::of(vec_of(f64s(), 3).prop_map(Array1::from)),
        proptest::option::of(text()),
    )
        .prop_map(|(x, weights, label)| OptInner { x, weights, label })
}

pub fn options_family() -> impl Strategy<Value = Options> {
    (
        proptest::option::of(f32s()),
        proptest::option::of(vec_of(any::<i32>(), 3)),
        proptest::option::of(opt_inner()),
        opt_inner(),
        proptest::option::of(prop::collection::btree_map(key(), opt_inner(), 0..3)),
        proptest::option::of(layer()),
        // `Some(None)` has no representation of its own: it is written as `None`.
        proptest::option::of(any::<i64>().prop_map(Some)),
    )
        .prop_map(|(a, v, inner, always, map, layer, nested)| Options {
            a,
            v,
            inner,
            always,
            map,
            layer,
            nested,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Numbers {
    pub half: f16,
    pub halves: Vec<f16>,
    pub c32: Complex<f32>,
    pub c64: Complex<f64>,
    pub c32s: Vec<Complex<f32>>,
    pub c64s: Vec<Complex<f64>>,
    pub c64_grid: Vec<Vec<Complex<f64>>>,
    pub pairs: Vec<[f32; 2]>,
    pub tuple: (f32, f32),
    pub ints: (i32, i32, i32),
    pub big: i64,
}

pub fn numbers() -> impl Strategy<Value = Numbers> {
    (
        f16s(),
        vec_of(f16s(), 4),
        c32s(),
        c64s(),
        vec_of(c32s(), 4),
        vec_of(c64s(), 4),
        grid(c64s()),
        vec_of((f32s(), f32s()).prop_map(|(a, b)| [a, b]), 3),
        (f32s(), f32s()),
        any::<(i32, i32, i32)>(),
        any::<i64>(),
    )
        .prop_map(
            |(half, halves, c32, c64, c32s, c64s, c64_grid, pairs, tuple, ints, big)| Numbers {
                half,
                halves,
                c32,
                c64,
                c32s,
                c64s,
                c64_grid,
                pairs,
                tuple,
                ints,
                big,
            },
        )
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Texts {
    pub one: String,
    pub many: Vec<String>,
    pub grid: Vec<Vec<String>>,
    pub letter: char,
}

pub fn texts() -> impl Strategy<Value = Texts> {
    (
        text(),
        vec_of(text(), 4),
        grid(text()),
        any::<char>().prop_filter("not a control char", |c| !c.is_control()),
    )
        .prop_map(|(one, many, grid, letter)| Texts {
            one,
            many,
            grid,
            letter,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy)]
pub enum Phase {
    Warmup,
    Steady,
    Cooldown,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub struct Rec {
    pub a: f32,
    pub b: i64,
    pub c: bool,
    pub h: f16,
    pub z: Complex<f64>,
    pub phase: Phase,
}

pub fn rec() -> impl Strategy<Value = Rec> {
    (
        f32s(),
        any::<i64>(),
        any::<bool>(),
        f16s(),
        c64s(),
        prop::sample::select(vec![Phase::Warmup, Phase::Steady, Phase::Cooldown]),
    )
        .prop_map(|(a, b, c, h, z, phase)| Rec {
            a,
            b,
            c,
            h,
            z,
            phase,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct RecText {
    pub name: String,
    pub score: f64,
    pub id: u32,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct RecSkip {
    pub a: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<i32>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Records {
    pub plain: Vec<Rec>,
    pub texts: Vec<RecText>,
    pub skipping: Vec<RecSkip>,
}

pub fn records() -> impl Strategy<Value = Records> {
    (
        vec_of(rec(), 4),
        vec_of(
            (text(), f64s(), any::<u32>()).prop_map(|(name, score, id)| RecText {
                name,
                score,
                id,
            }),
            4,
        ),
        vec_of(
            (f32s(), proptest::option::of(any::<i32>())).prop_map(|(a, b)| RecSkip { a, b }),
            4,
        ),
    )
        .prop_map(|(plain, texts, skipping)| Records {
            plain,
            texts,
            skipping,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Meta {
    pub lr: f32,
    pub history: Vec<f64>,
    pub name: String,
    pub deeper: Deeper,
    pub weights: Bulk<Array2<f32>>,
    pub grid: Bulk<Array2<i32>>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Flattened {
    pub id: u32,
    #[serde(flatten)]
    pub meta: Meta,
    pub tail: Vec<u8>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct FlattenedMap {
    pub id: u32,
    #[serde(flatten)]
    pub extra: BTreeMap<String, f64>,
}

pub fn flattened() -> impl Strategy<Value = Flattened> {
    (
        any::<u32>(),
        f32s(),
        vec_of(f64s(), 3),
        text(),
        (c64s(), vec_of(any::<i32>(), 3)).prop_map(|(z, ids)| Deeper { z, ids }),
        // Flattened fields reach serde as nested lists, which hold no lengths after an
        // empty first axis (a documented limitation): arrays here have rows.
        array2_f32(3).prop_filter("rows", |a| a.nrows() > 0),
        (1..3usize, 0..3usize),
        vec_of(any::<u8>(), 3),
    )
        .prop_map(
            |(id, lr, history, name, deeper, weights, shape, tail)| Flattened {
                id,
                meta: Meta {
                    lr,
                    history,
                    name,
                    deeper,
                    weights: Bulk(weights),
                    grid: Bulk(Array2::from_shape_fn(shape, |(i, j)| (i * 10 + j) as i32)),
                },
                tail,
            },
        )
}

pub fn flattened_map() -> impl Strategy<Value = FlattenedMap> {
    (
        any::<u32>(),
        prop::collection::btree_map("x_[a-z]{0,4}", f64s(), 0..4),
    )
        .prop_map(|(id, extra)| FlattenedMap { id, extra })
}

pub fn seven() -> i32 {
    7
}

pub fn is_seven(value: &i32) -> bool {
    *value == 7
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Default)]
#[serde(default)]
pub struct DefaultedInner {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub count: u16,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Defaults {
    pub a: u32,
    #[serde(default)]
    pub b: Vec<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub c: Vec<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    #[serde(default = "seven", skip_serializing_if = "is_seven")]
    pub e: i32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub f: BTreeMap<String, Layer>,
    #[serde(default)]
    pub inner: DefaultedInner,
    #[serde(skip)]
    pub skipped: u8,
}

pub fn defaults() -> impl Strategy<Value = Defaults> {
    (
        any::<u32>(),
        vec_of(f32s(), 2),
        vec_of(f32s(), 2),
        proptest::option::of(text()),
        prop_oneof![Just(7), any::<i32>()],
        prop::collection::btree_map(key(), layer(), 0..2),
        (vec_of(f32s(), 2), text(), any::<u16>()),
    )
        .prop_map(|(a, b, c, d, e, f, (values, label, count))| Defaults {
            a,
            b,
            c,
            d,
            e,
            f,
            inner: DefaultedInner {
                values,
                label,
                count,
            },
            skipped: 0,
        })
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
pub struct Bulks {
    pub one: Bulk<Array2<f32>>,
    pub maybe: Option<Bulk<Array2<f32>>>,
    pub many: Vec<Bulk<Array2<f32>>>,
    pub by_name: BTreeMap<String, Bulk<Array2<f32>>>,
    pub by_id: HashMap<u32, Bulk<Array1<f64>>>,
    /// A plain ndarray field beside the `Bulk` ones: the same fast path.
    pub field: Array3<u8>,
}

pub fn bulks() -> impl Strategy<Value = Bulks> {
    (
        array2_f32(3),
        proptest::option::of(array2_f32(3)),
        vec_of(array2_f32(2), 3),
        prop::collection::btree_map(key(), array2_f32(2), 0..3),
        prop::collection::hash_map(any::<u32>(), vec_of(f64s(), 3), 0..3),
        array3_u8(),
    )
        .prop_map(|(one, maybe, many, by_name, by_id, field)| Bulks {
            one: Bulk(one),
            maybe: maybe.map(Bulk),
            many: many.into_iter().map(Bulk).collect(),
            by_name: by_name.into_iter().map(|(k, v)| (k, Bulk(v))).collect(),
            by_id: by_id
                .into_iter()
                .map(|(k, v)| (k, Bulk(Array1::from(v))))
                .collect(),
            field,
        })
}
