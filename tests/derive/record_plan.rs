//! The by-name record plan's one-pass gather (fields read in place when the file holds
//! each in its own native dtype) gives exactly what the column-by-column plan gives, for
//! any field order, extra fields, padding and byte order (property test).

use npy_serde::dtype::DType;
use npy_serde::npy::{self, Header};
use npy_serde::NpyElement;
use proptest::prelude::*;

/// Plain field types: read through the one-pass gather when the file allows it.
#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
struct Gathered {
    x: f64,
    y: i32,
    pos: [f32; 3],
    flag: u8,
}

/// The same fields behind type aliases, which the derive does not recognise as plain:
/// always read column by column.
type F64 = f64;
type I32 = i32;
type F32x3 = [f32; 3];
type U8 = u8;

#[derive(NpyElement, Debug, Clone, Copy, PartialEq)]
struct Columns {
    x: F64,
    y: I32,
    pos: F32x3,
    flag: U8,
}

/// One field of the file: name, dtype text, and its bytes for a record.
fn field_bytes(name: &str, big: bool, x: f64, y: i32, pos: [f32; 3], flag: u8) -> Vec<u8> {
    let mut out = Vec::new();
    match (name, big) {
        ("x", false) => out.extend_from_slice(&x.to_le_bytes()),
        ("x", true) => out.extend_from_slice(&x.to_be_bytes()),
        ("y", false) => out.extend_from_slice(&y.to_le_bytes()),
        ("y", true) => out.extend_from_slice(&y.to_be_bytes()),
        ("pos", big) => {
            for v in pos {
                out.extend_from_slice(&if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                });
            }
        }
        ("flag", _) => out.push(flag),
        ("extra", _) => out.extend_from_slice(&[0xAB; 5]),
        _ => unreachable!(),
    }
    out
}

fn dtype_text(name: &str, big: bool) -> String {
    let e = if big { '>' } else { '<' };
    match name {
        "x" => format!("('x', '{e}f8')"),
        "y" => format!("('y', '{e}i4')"),
        "pos" => format!("('pos', '{e}f4', (3,))"),
        "flag" => "('flag', '|u1')".to_string(),
        _ => "('extra', '|V5')".to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gather_equals_column_plan(
        order in Just(vec!["x", "y", "pos", "flag", "extra"]).prop_shuffle(),
        with_extra in any::<bool>(),
        big_y in any::<bool>(),
        records in prop::collection::vec(
            (any::<f64>(), any::<i32>(), any::<[f32; 3]>(), any::<u8>()),
            0..200,
        ),
    ) {
        let names: Vec<&str> = order
            .iter()
            .copied()
            .filter(|n| with_extra || *n != "extra")
            .collect();
        let dtype_list: Vec<String> = names
            .iter()
            .map(|n| dtype_text(n, *n == "y" && big_y))
            .collect();
        let dtype: DType = format!("[{}]", dtype_list.join(", ")).parse().unwrap();
        let mut file = Header::new(dtype, vec![records.len()]).to_bytes().unwrap();
        for &(x, y, pos, flag) in &records {
            for n in &names {
                file.extend_from_slice(&field_bytes(n, *n == "y" && big_y, x, y, pos, flag));
            }
        }
        let gathered: Vec<Gathered> = npy::from_slice(&file).unwrap();
        let columns: Vec<Columns> = npy::from_slice(&file).unwrap();
        prop_assert_eq!(gathered.len(), records.len());
        for ((g, c), &(x, y, pos, flag)) in gathered.iter().zip(&columns).zip(&records) {
            // Bit equality (NaNs included).
            prop_assert_eq!(g.x.to_bits(), c.x.to_bits());
            prop_assert_eq!(g.x.to_bits(), x.to_bits());
            prop_assert_eq!(g.y, c.y);
            prop_assert_eq!(g.y, y);
            prop_assert_eq!(g.pos.map(f32::to_bits), c.pos.map(f32::to_bits));
            prop_assert_eq!(g.pos.map(f32::to_bits), pos.map(f32::to_bits));
            prop_assert_eq!((g.flag, c.flag), (flag, flag));
        }
    }
}

#[test]
fn truncated_data_is_an_error_on_both_paths() {
    let dtype: DType = "[('flag', '|u1'), ('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]"
        .parse()
        .unwrap();
    let mut file = Header::new(dtype, vec![3]).to_bytes().unwrap();
    file.extend_from_slice(&[0u8; 25 * 3 - 1]);
    assert!(npy::from_slice::<Vec<Gathered>>(&file).is_err());
    assert!(npy::from_slice::<Vec<Columns>>(&file).is_err());
    file.push(0);
    assert_eq!(npy::from_slice::<Vec<Gathered>>(&file).unwrap().len(), 3);
}
