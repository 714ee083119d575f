//! `npy hist --png` as a picture: decoded, its size checked, and dark (text) pixels looked
//! for under each labelled bin edge, beside the count axis and in the title band. No golden
//! image: fonts and anti-aliasing may change, the places of the text may not.

use std::path::Path;

use crate::common::json;
use test_support::{run_python, temp_dir};

/// Width, height and RGB pixels of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

/// Dark pixels (text and axis strokes; the bars are steel blue, the page white) in the
/// rectangle `x0..x1`, `y0..y1`.
fn dark_pixels(image: &(u32, u32, Vec<[u8; 3]>), x0: i64, x1: i64, y0: i64, y1: i64) -> usize {
    let (width, height, pixels) = image;
    let mut count = 0;
    for y in y0.max(0)..y1.min(i64::from(*height)) {
        for x in x0.max(0)..x1.min(i64::from(*width)) {
            let [r, g, b] = pixels[(y * i64::from(*width) + x) as usize];
            if u32::from(r) + u32::from(g) + u32::from(b) < 3 * 110 {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn the_png_has_text_at_the_ticks_the_axis_and_the_title() {
    let dir = temp_dir();
    let d = dir.path();
    run_python(
        "import numpy as np\n\
         a = np.random.default_rng(1).standard_normal(20000); a[:5] = np.nan; a[5] = np.inf\n\
         np.savez('h.npz', w=a)\n",
        d,
    );
    for log in [false, true] {
        let mut args = vec!["hist", "h.npz:w", "--png", "h.png", "--bins", "20"];
        if log {
            args.push("--log");
        }
        let report = json(d, &args);
        assert_eq!(report["nonfinite"], 6);
        let image = decode(&d.join("h.png"));
        assert_eq!((image.0, image.1), (800, 480));
        let ticks = report["png"]["x_ticks"].as_array().unwrap();
        assert_eq!(
            ticks.len(),
            11,
            "20 bins: every other of the 21 edges is labelled"
        );
        let mut lines = Vec::new();
        for tick in ticks {
            let (x, y) = (tick["x"].as_i64().unwrap(), tick["y"].as_i64().unwrap());
            // Below the tick mark: the label's glyphs, centred on the edge.
            let text = dark_pixels(&image, x - 12, x + 12, y + 8, y + 24);
            lines.push(format!(
                "tick {:>7} at x={x}: {text} dark pixels",
                tick["text"]
            ));
            assert!(text >= 10, "no label under the edge at x={x} (log={log})");
        }
        // The first and last labels are the range's ends.
        let edges = report["edges"].as_array().unwrap();
        assert!(ticks[0]["x"].as_i64() < ticks[10]["x"].as_i64());
        assert_eq!(edges.len(), 21);
        let axis_y = ticks[0]["y"].as_i64().unwrap();
        let axis_x = ticks[0]["x"].as_i64().unwrap();
        // Count labels left of the y axis, the title above the plot.
        let counts = dark_pixels(&image, 0, axis_x - 4, 20, axis_y);
        let title = dark_pixels(&image, 100, 700, 0, 30);
        lines.push(format!(
            "count axis labels: {counts}, title: {title} dark pixels"
        ));
        assert!(counts >= 100 && title >= 200, "{}", lines.join("\n"));
        // Nothing but white right of the plot (the margin).
        assert_eq!(dark_pixels(&image, 795, 800, 0, 480), 0);
        eprintln!("log={log}: 800x480\n{}", lines.join("\n"));
    }
}
