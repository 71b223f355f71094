//! Writes the tray and app icons as PNG files, drawn by the same code as the running
//! app (src/tray/icon.rs), for installers, desktop entries and documentation:
//! `cargo run --example gen_icons` → resources/icons/png/godkend-<state>-<size>.png.
//! A test (`icons_on_disk_match_the_drawing`) checks the committed files are current.

#![allow(
    dead_code,
    clippy::expect_used,
    reason = "a generator: a failure panics with what went wrong"
)]

#[path = "../src/tray/icon.rs"]
mod icon;

use std::path::Path;

use icon::{FILE_SIZES, named_looks};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/icons/png");
    std::fs::create_dir_all(&dir).expect("the icons folder");
    for (state, look) in named_looks() {
        for size in FILE_SIZES {
            let path = dir.join(format!("godkend-{state}-{size}.png"));
            write_png(&path, &look.rgba(size), size);
        }
    }
    println!(
        "wrote {} icons to {}",
        named_looks().len() * FILE_SIZES.len(),
        dir.display()
    );
}

fn write_png(path: &Path, rgba: &[u8], size: u32) {
    let file = std::fs::File::create(path).expect("create the PNG");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), size, size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("the PNG header");
    writer.write_image_data(rgba).expect("the PNG pixels");
}
