//! An `.npz` or `.npy` in object storage, read lazily: list it, read one member or a range
//! of rows, and count what that cost in requests and bytes.
//!
//! ```sh
//! cargo run --example remote -- s3://bucket/checkpoint.npz     # credentials: AWS_* env
//! cargo run --example remote -- gs://bucket/data.npy 1000 2000  # rows 1000..2000
//! cargo run --example remote -- https://host/path/archive.npz member
//! cargo run --example remote                                    # a local file:// demo
//! ```
//!
//! Arguments: a URL, then for an archive an optional member name (default: the first),
//! then an optional row range `START END` (default: the first 5 rows). Without a URL it
//! writes an archive to a temporary directory and reads it through a `file://` URL.
//! S3-compatible servers: `AWS_ENDPOINT_URL=http://127.0.0.1:9000 AWS_ALLOW_HTTP=true`.

use npy_serde::remote::blocking::{RemoteNpy, RemoteNpz};
use npy_serde::NpyArray;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _demo_dir;
    let url = match args.first() {
        Some(url) => url.clone(),
        None => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("demo.npz");
            let mut writer = npy_serde::npz::Writer::create(&path)?;
            let embeddings =
                ndarray::Array2::from_shape_fn((10_000, 64), |(r, c)| (r * 64 + c) as f32);
            writer.add("embeddings", &embeddings)?;
            writer.add("labels", &(0..10_000i64).collect::<Vec<_>>())?;
            writer.finish()?;
            println!(
                "(no URL given: a demo archive written to {})",
                path.display()
            );
            _demo_dir = dir;
            format!("file://{}", path.display())
        }
    };
    let rest = args.get(1..).unwrap_or(&[]);

    if url
        .split(['?', '#'])
        .next()
        .unwrap_or(&url)
        .ends_with(".npy")
    {
        let mut file = RemoteNpy::open_url(&url)?;
        let header = &file.header().header;
        println!("{url}: {} {:?}", header.dtype, header.shape);
        let rows = row_range(rest, header.shape.first().copied().unwrap_or(0))?;
        let part: NpyArray = file.read_rows(rows.clone())?;
        println!("rows {rows:?}: {}", preview(&part));
        println!("cost: {:?}", file.stats());
        return Ok(());
    }

    let mut archive = RemoteNpz::open_url(&url)?;
    let listed = archive.stats();
    println!("{url}: {} members", archive.members().len());
    for member in archive.members().iter().take(20) {
        println!(
            "  {:<30} {:>12} bytes  {}",
            member.name, member.uncompressed_size, member.method
        );
    }
    if archive.members().len() > 20 {
        println!("  … and {} more", archive.members().len() - 20);
    }
    println!("listing cost: {listed:?}");
    let Some(name) = rest
        .first()
        .cloned()
        .or_else(|| archive.names().into_iter().next())
    else {
        return Ok(());
    };
    let header = archive.header(&name)?.header;
    println!("{name}: {} {:?}", header.dtype, header.shape);
    let rows = row_range(
        rest.get(1..).unwrap_or(&[]),
        header.shape.first().copied().unwrap_or(0),
    )?;
    let part: NpyArray = if header.shape.is_empty() {
        archive.read(&name)?
    } else {
        archive.read_rows(&name, rows.clone())?
    };
    println!("rows {rows:?}: {}", preview(&part));
    println!("total cost: {:?}", archive.stats());
    Ok(())
}

/// `START END` from the arguments, or the first 5 rows.
fn row_range(
    args: &[String],
    rows: usize,
) -> Result<std::ops::Range<u64>, Box<dyn std::error::Error>> {
    Ok(match args {
        [start, end, ..] => start.parse()?..end.parse()?,
        _ => 0..(rows as u64).min(5),
    })
}

fn preview(array: &NpyArray) -> String {
    let text = format!("{:?}", array.data());
    if text.len() > 300 {
        format!("{}…", &text[..300])
    } else {
        text
    }
}
