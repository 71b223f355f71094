//! The tray icon and its menu (Open Godkend, Quit). On Linux it speaks
//! StatusNotifierItem over D-Bus through tray-icon's `ksni` backend: no GTK. The
//! icon lives on its own thread; menu clicks come back to iced as a subscription.

use iced::futures::channel::mpsc;
use iced::futures::{SinkExt as _, Stream, StreamExt as _};
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::fl;

const OPEN_ID: &str = "open";
const QUIT_ID: &str = "quit";

/// What the user asked for from the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Open,
    Quit,
}

/// Puts the icon in the tray, on a thread that keeps it alive for the life of the
/// process. Without a tray host the app still works: the window is the way in.
pub fn spawn() {
    let spawned = std::thread::Builder::new()
        .name("tray".into())
        .spawn(|| match build() {
            Ok(_tray) => {
                tracing::info!("tray created");
                loop {
                    std::thread::park();
                }
            }
            Err(e) => tracing::warn!(error = %e, "no tray icon; the window is the way in"),
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the tray thread");
    }
}

fn build() -> Result<TrayIcon, String> {
    let menu = Menu::new();
    menu.append_items(&[
        &MenuItem::with_id(OPEN_ID, fl!("tray-open"), true, None),
        &PredefinedMenuItem::separator(),
        &MenuItem::with_id(QUIT_ID, fl!("tray-quit"), true, None),
    ])
    .map_err(|e| e.to_string())?;
    let (rgba, size) = icon_rgba(32);
    let icon = Icon::from_rgba(rgba, size, size).map_err(|e| e.to_string())?;
    TrayIconBuilder::new()
        .with_id("godkend")
        .with_title(fl!("app-name"))
        .with_tooltip(fl!("tray-tooltip"))
        .with_menu(Box::new(menu))
        .with_icon(icon)
        .build()
        .map_err(|e| e.to_string())
}

/// The tray's menu clicks and left clicks on the icon, as app actions.
pub fn events() -> impl Stream<Item = Action> {
    iced::stream::channel(16, async |mut output: mpsc::Sender<Action>| {
        let (tx, mut rx) = mpsc::unbounded::<Action>();
        let menu_tx = tx.clone();
        // tray-icon's receivers are blocking crossbeam channels: one thread each.
        let menu = std::thread::Builder::new()
            .name("tray-menu".into())
            .spawn(move || {
                while let Ok(event) = MenuEvent::receiver().recv() {
                    let action = match event.id.0.as_str() {
                        OPEN_ID => Action::Open,
                        QUIT_ID => Action::Quit,
                        _ => continue,
                    };
                    if menu_tx.unbounded_send(action).is_err() {
                        break;
                    }
                }
            });
        let clicks = std::thread::Builder::new()
            .name("tray-clicks".into())
            .spawn(move || {
                while let Ok(event) = TrayIconEvent::receiver().recv() {
                    if let TrayIconEvent::Click {
                        button: MouseButton::Left,
                        ..
                    } = event
                        && tx.unbounded_send(Action::Open).is_err()
                    {
                        break;
                    }
                }
            });
        if menu.is_err() || clicks.is_err() {
            tracing::warn!("could not listen to the tray menu");
        }
        while let Some(action) = rx.next().await {
            if output.send(action).await.is_err() {
                break;
            }
        }
        // Keep the subscription alive even if the tray threads ended.
        std::future::pending::<()>().await;
    })
}

/// The Godkend mark: a blue shield with a white check, `size`×`size` RGBA. Also the
/// window icon.
pub fn icon_rgba(size: u32) -> (Vec<u8>, u32) {
    let s = f64::from(size);
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            // Pixel centre in unit coordinates: x in [-1, 1], y in [0, 1] downwards.
            let u = (f64::from(x) + 0.5) / s * 2.0 - 1.0;
            let v = (f64::from(y) + 0.5) / s;
            let pixel = if in_check(u, v) {
                [255, 255, 255, 255]
            } else if in_shield(u, v) {
                [0x1f, 0x5f, 0xbf, 255]
            } else {
                [0, 0, 0, 0]
            };
            rgba.extend_from_slice(&pixel);
        }
    }
    (rgba, size)
}

/// A shield: straight top part, then sides curving into a point at the bottom.
fn in_shield(u: f64, v: f64) -> bool {
    let (top, shoulder, bottom) = (0.06, 0.5, 0.96);
    if !(top..=bottom).contains(&v) {
        return false;
    }
    let half_width = if v <= shoulder {
        0.86
    } else {
        let t = (v - shoulder) / (bottom - shoulder);
        0.86 * (1.0 - t * t).sqrt()
    };
    u.abs() <= half_width
}

/// A check mark: two thick strokes meeting low left of the centre.
fn in_check(u: f64, v: f64) -> bool {
    let near = |(ax, ay): (f64, f64), (bx, by): (f64, f64)| {
        let (dx, dy) = (bx - ax, by - ay);
        let t = (((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        let (px, py) = (ax + t * dx - u, ay + t * dy - v);
        (px * px + py * py).sqrt() <= 0.075
    };
    let (start, corner, end) = ((-0.45, 0.48), (-0.12, 0.68), (0.48, 0.3));
    near(start, corner) || near(corner, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icon_is_square_rgba_with_shield_and_check() {
        let (rgba, size) = icon_rgba(32);
        assert_eq!(rgba.len(), 32 * 32 * 4);
        assert_eq!(size, 32);
        let pixel = |x: usize, y: usize| &rgba[(y * 32 + x) * 4..(y * 32 + x) * 4 + 4];
        assert_eq!(pixel(0, 0)[3], 0, "corners are transparent");
        assert!(
            rgba.chunks(4).any(|p| p == [255, 255, 255, 255]),
            "a white check"
        );
        assert!(
            rgba.chunks(4).any(|p| p == [0x1f, 0x5f, 0xbf, 255]),
            "a blue shield"
        );
    }
}
