//! A NumPy particle table read into `Vec<Particle>`, filtered, saved back, and loaded by NumPy.
//!
//! NumPy makes the table (its fields in another order than the struct, plus a `note` field
//! the struct does not have); the derive matches fields by name and skips the extra one.
//!
//! Run with `cargo run --example records` (NumPy comes from `test_support`, which finds or
//! installs it in `target/numpy-venv`).

use npy_serde::element::FixedUnicode;
use npy_serde::NpyElement;

/// One particle: a NumPy record `[('id', '<u4'), ('kind', '<U8'), ('mass', '<f8'),
/// ('pos', '<f4', (3,)), ('charge', '|i1'), ('alive', '|b1')]`.
#[derive(NpyElement, Debug, Clone, PartialEq)]
struct Particle {
    id: u32,
    kind: FixedUnicode<8>,
    mass: f64,
    pos: [f32; 3],
    charge: i8,
    alive: bool,
}

const MAKE_TABLE: &str = r#"
import numpy as np
rng = np.random.default_rng(7)
n = 10
table = np.zeros(n, dtype=[('note', '<U16'), ('alive', '?'), ('pos', '<f4', (3,)), ('charge', 'i1'),
                           ('mass', '<f8'), ('kind', '<U8'), ('id', '<u4')])
table['id'] = np.arange(n)
table['kind'] = ['electron', 'proton', 'neutron', 'muon', 'pion'] * 2
table['mass'] = [0.511, 938.3, 939.6, 105.7, 139.6] * 2
table['charge'] = [-1, 1, 0, -1, 1] * 2
table['pos'] = rng.normal(size=(n, 3))
table['alive'] = np.arange(n) % 3 != 0
table['note'] = 'simulated'
np.save('particles.npy', table)
print('NumPy wrote', table.dtype)
"#;

const LOAD_RESULT: &str = r#"
import numpy as np
heavy = np.load('heavy.npy')
print('NumPy loaded', heavy.dtype)
for row in heavy:
    print('  ', row['id'], row['kind'], row['mass'], row['pos'].round(3), row['charge'], row['alive'])
assert heavy['mass'].min() > 100 and heavy['alive'].all()
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = test_support::temp_dir();
    print!("{}", test_support::run_python(MAKE_TABLE, dir.path()));

    let particles: Vec<Particle> = npy_serde::npy::load(dir.path().join("particles.npy"))?;
    println!(
        "Rust read {} particles, e.g. {:?}",
        particles.len(),
        particles[1]
    );

    let heavy: Vec<Particle> = particles
        .into_iter()
        .filter(|p| p.alive && p.mass > 100.0)
        .collect();
    println!("{} are alive and heavier than 100 MeV", heavy.len());
    npy_serde::npy::save(dir.path().join("heavy.npy"), &heavy)?;

    print!("{}", test_support::run_python(LOAD_RESULT, dir.path()));
    Ok(())
}
