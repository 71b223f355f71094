//! The tray icon, drawn in code at any size: the Godkend shield, whose mark and colour
//! say the app's state at a glance (design.md §2, Tray). No image files or decoder
//! are needed at run time; the same drawing is the window icon.

/// What the icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Look {
    pub mark: Mark,
    /// Offline: the shield turns grey.
    pub online: bool,
    /// A request waits: an orange badge, top right.
    pub pending: bool,
}

/// The white mark on the shield.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// Unlocked, or not activated yet: a check.
    Check,
    /// Locked: a padlock.
    Padlock,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            mark: Mark::Check,
            online: true,
            pending: false,
        }
    }
}

/// Every state the tray shows, by the name its icon files carry
/// (resources/icons/png/godkend-<name>-<size>.png, from examples/gen_icons.rs).
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "for examples/gen_icons.rs and the tests")
)]
pub fn named_looks() -> [(&'static str, Look); 4] {
    let normal = Look::default();
    [
        ("normal", normal),
        (
            "locked",
            Look {
                mark: Mark::Padlock,
                ..normal
            },
        ),
        (
            "pending",
            Look {
                pending: true,
                ..normal
            },
        ),
        (
            "offline",
            Look {
                online: false,
                ..normal
            },
        ),
    ]
}

/// The sizes of the icon files: what desktops, installers and stores ask for.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "for examples/gen_icons.rs and the tests")
)]
pub const FILE_SIZES: [u32; 8] = [16, 22, 24, 32, 48, 64, 128, 256];

const BLUE: [u8; 4] = [0x1f, 0x5f, 0xbf, 255];
const GREY: [u8; 4] = [0x6b, 0x72, 0x80, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];
const ORANGE: [u8; 4] = [0xf0, 0x7a, 0x10, 255];
/// The light rim round the shield, so it stands out on dark panels as well as light.
const RIM: [u8; 4] = [0xf4, 0xf6, 0xfa, 255];

impl Look {
    /// `size`×`size` RGBA pixels.
    pub fn rgba(self, size: u32) -> Vec<u8> {
        let s = f64::from(size);
        let mut rgba = Vec::with_capacity((size * size * 4) as usize);
        for y in 0..size {
            for x in 0..size {
                // Pixel centre in unit coordinates: u in [-1, 1], v in [0, 1] downwards.
                let u = (f64::from(x) + 0.5) / s * 2.0 - 1.0;
                let v = (f64::from(y) + 0.5) / s;
                rgba.extend_from_slice(&self.pixel(u, v));
            }
        }
        rgba
    }

    fn pixel(self, u: f64, v: f64) -> [u8; 4] {
        if self.pending {
            let d = ((u - 0.6).powi(2) + ((v - 0.2) * 2.0).powi(2)).sqrt();
            if d <= 0.3 {
                return ORANGE;
            }
            if d <= 0.4 {
                return RIM;
            }
        }
        let mark = match self.mark {
            Mark::Check => in_check(u, v),
            Mark::Padlock => in_padlock(u, v),
        };
        if mark && in_shield(u, v, 0.0) {
            WHITE
        } else if in_shield(u, v, 0.0) {
            if self.online { BLUE } else { GREY }
        } else if in_shield(u, v, 0.07) {
            RIM
        } else {
            [0, 0, 0, 0]
        }
    }
}

/// A shield, grown by `grow`: straight top part, then sides curving into a point.
fn in_shield(u: f64, v: f64, grow: f64) -> bool {
    let (top, shoulder, bottom) = (0.08 - grow / 2.0, 0.5, 0.94 + grow / 2.0);
    if !(top..=bottom).contains(&v) {
        return false;
    }
    let width = 0.82 + grow;
    let half_width = if v <= shoulder {
        width
    } else {
        let t = (v - shoulder) / (bottom - shoulder);
        width * (1.0 - t * t).sqrt()
    };
    u.abs() <= half_width
}

/// Whether (u, v) is within `width` of the segment a–b.
fn near(u: f64, v: f64, (ax, ay): (f64, f64), (bx, by): (f64, f64), width: f64) -> bool {
    let (dx, dy) = (bx - ax, by - ay);
    let t = (((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    let (px, py) = (ax + t * dx - u, ay + t * dy - v);
    (px * px + py * py).sqrt() <= width
}

/// A check mark: two thick strokes meeting low left of the centre.
fn in_check(u: f64, v: f64) -> bool {
    let (start, corner, end) = ((-0.45, 0.48), (-0.12, 0.68), (0.48, 0.3));
    near(u, v, start, corner, 0.075) || near(u, v, corner, end, 0.075)
}

/// A padlock: a square body under a round shackle.
fn in_padlock(u: f64, v: f64) -> bool {
    let body = u.abs() <= 0.36 && (0.44..=0.74).contains(&v);
    // The shackle: the top half of a ring (v is half as long as u per unit).
    let ring = (u.powi(2) + ((v - 0.44) * 2.0).powi(2)).sqrt();
    let shackle = v <= 0.44 && (0.16..=0.28).contains(&ring);
    let keyhole = (u.powi(2) + ((v - 0.57) * 2.0).powi(2)).sqrt() <= 0.08;
    (body && !keyhole) || shackle
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(rgba: &[u8], colour: [u8; 4]) -> usize {
        rgba.chunks(4).filter(|p| *p == colour).count()
    }

    #[test]
    fn each_state_looks_different() {
        let looks = [
            Look::default(),
            Look {
                mark: Mark::Padlock,
                ..Look::default()
            },
            Look {
                online: false,
                ..Look::default()
            },
            Look {
                pending: true,
                ..Look::default()
            },
        ];
        let pictures: Vec<Vec<u8>> = looks.iter().map(|l| l.rgba(32)).collect();
        for (i, a) in pictures.iter().enumerate() {
            assert_eq!(a.len(), 32 * 32 * 4);
            assert_eq!(a[3], 0, "corners are transparent");
            for b in &pictures[i + 1..] {
                assert_ne!(a, b, "two states draw the same icon");
            }
        }
    }

    #[test]
    fn icons_on_disk_match_the_drawing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/icons/png");
        for (name, look) in named_looks() {
            for size in FILE_SIZES {
                let path = dir.join(format!("godkend-{name}-{size}.png"));
                let file = std::fs::File::open(&path).unwrap_or_else(|e| {
                    panic!(
                        "{}: {e} (run `cargo run --example gen_icons`)",
                        path.display()
                    )
                });
                let mut reader = png::Decoder::new(std::io::BufReader::new(file))
                    .read_info()
                    .expect("a PNG");
                let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
                let info = reader.next_frame(&mut pixels).expect("its pixels");
                assert_eq!(
                    (info.width, info.height),
                    (size, size),
                    "{}",
                    path.display()
                );
                assert!(
                    pixels[..info.buffer_size()] == look.rgba(size)[..],
                    "{} is out of date: run `cargo run --example gen_icons`",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn colours_follow_the_state() {
        let online = Look::default().rgba(32);
        assert!(count(&online, BLUE) > 200 && count(&online, WHITE) > 20);
        assert_eq!(count(&online, GREY), 0);
        let offline = Look {
            online: false,
            ..Look::default()
        }
        .rgba(32);
        assert_eq!(count(&offline, BLUE), 0);
        assert!(count(&offline, GREY) > 200);
        assert_eq!(count(&online, ORANGE), 0);
        assert!(
            count(
                &Look {
                    pending: true,
                    ..Look::default()
                }
                .rgba(32),
                ORANGE
            ) > 10
        );
        assert!(count(&online, RIM) > 20, "a light rim for dark panels");
    }
}
