//! The app's files: the device config (`config.toml`, fails closed) and the user's
//! settings (`settings.toml`, lenient), parsed by the device core as the app loads
//! them.
//!
//! Properties: no panic; a config that loads can be saved, and the saved text loads
//! as the same config and saves as the same text; whatever the settings text, the
//! settings read from it save as text that reads back as the same settings with no
//! field reset.

#![no_main]

use std::path::Path;

use godkend_core::config::DeviceConfig;
use godkend_core::settings::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("config.toml");
    if let Ok(config) = DeviceConfig::from_toml(text, path) {
        let written = config.to_toml().expect("a config that loads can be saved");
        let again = DeviceConfig::from_toml(&written, path).expect("a saved config loads");
        assert_eq!(
            again, config,
            "the config changed through saving:\n{written}"
        );
        assert_eq!(again.to_toml().expect("saves again"), written);
    }

    let (settings, _reset) = Settings::from_toml(text);
    let written = settings.to_toml().expect("settings can always be saved");
    let (again, reset) = Settings::from_toml(&written);
    assert_eq!(
        again, settings,
        "the settings changed through saving:\n{written}"
    );
    assert!(
        reset.is_empty(),
        "saved settings reset {reset:?} on reading"
    );
});
