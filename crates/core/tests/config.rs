//! The device config fails closed and holds no secret; the settings fail soft, field
//! by field. Temporary folders only, no network.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use godkend_core::activation::Activated;
use godkend_core::config::{Account, ConfigDir, ConfigError, DeviceConfig, PinSalt};
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_core::settings::{Language, Settings, Theme};
use godkend_core::{DeviceKey, keys::PinKey};
use godkend_protocol::messages::{Activation, Organisation, VersionPolicy};
use godkend_protocol::rules::ClockOffset;
use godkend_protocol::{Serial, b64};
use rand::RngExt as _;
use toml::{Table, Value};

fn activated(device_key: DeviceKey) -> Activated {
    Activated {
        activation: Activation {
            iat: 1_700_000_000,
            device_id: "dev-7f3a".into(),
            serial: Serial::from_number(4_242).as_str().into(),
            user: "alice".into(),
            device_key: device_key.public().to_b64(),
            org: Organisation {
                name: "Example Bank".into(),
                support_email: Some("help@example.com".into()),
                support_phone: Some("+45 12 34 56 78".into()),
                support_url: None,
            },
            version_policy: VersionPolicy {
                latest: "0.2.0".into(),
                minimum: "0.1.0".into(),
                update_url: None,
            },
            proof: "proof".into(),
        },
        server_key: DeviceKey::generate().public(),
        device_key,
    }
}

fn account() -> Account {
    let url = url::Url::parse("https://godkend.example.com/").unwrap();
    let mut account = Account::from_activation(
        url,
        &activated(DeviceKey::generate()),
        PinSalt::generate(),
        KdfParams::MINIMUM,
    )
    .unwrap();
    account.clock_offset = ClockOffset(-42);
    account
}

fn valid_text() -> String {
    DeviceConfig { account: account() }.to_toml().unwrap()
}

fn file() -> &'static Path {
    Path::new("/home/alice/.config/godkend/config.toml")
}

/// Applies `edit` to the table holding `path` (dotted, inside the one account, or
/// at the top with a leading `/`), with that table and the last key.
fn edit(text: &str, path: &str, edit: impl FnOnce(&mut Table, &str)) -> String {
    let mut root: Table = text.parse().unwrap();
    let (mut table, path) = if let Some(top) = path.strip_prefix('/') {
        (&mut root, top)
    } else {
        let accounts = root.get_mut("accounts").unwrap().as_array_mut().unwrap();
        (accounts[0].as_table_mut().unwrap(), path)
    };
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().unwrap();
    for key in keys {
        table = table.get_mut(key).unwrap().as_table_mut().unwrap();
    }
    edit(table, last);
    toml::to_string(&root).unwrap()
}

fn without(text: &str, path: &str) -> String {
    edit(text, path, |t, k| {
        t.remove(k).unwrap();
    })
}

fn with(text: &str, path: &str, value: impl Into<Value>) -> String {
    let value = value.into();
    edit(text, path, |t, k| {
        t.insert(k.into(), value);
    })
}

/// The field a refused config names, and why.
fn refused_field(text: &str) -> (String, String) {
    match DeviceConfig::from_toml(text, file()) {
        Err(ConfigError::Field { field, problem, .. }) => (field, problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn config_round_trips_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = ConfigDir::at(dir.path()).config_file();
    let config = DeviceConfig { account: account() };
    config.save(&path).unwrap();
    assert_eq!(DeviceConfig::load(&path).unwrap(), Some(config.clone()));

    // Saving again replaces the file in place.
    let mut changed = config;
    changed.account.version_policy = None;
    changed.account.clock_offset = ClockOffset(7);
    changed.save(&path).unwrap();
    assert_eq!(DeviceConfig::load(&path).unwrap(), Some(changed));
}

#[test]
fn no_config_file_means_not_activated() {
    let dir = tempfile::tempdir().unwrap();
    let path = ConfigDir::at(dir.path()).config_file();
    assert_eq!(DeviceConfig::load(&path).unwrap(), None);
}

#[test]
fn every_security_field_missing_is_refused_by_name() {
    let text = valid_text();
    for path in [
        "server_url",
        "server_key",
        "server_kid",
        "user",
        "device_id",
        "serial",
        "pin",
        "pin.salt",
        "pin.argon2",
        "pin.argon2.m_kib",
        "pin.argon2.t",
        "pin.argon2.p",
    ] {
        let (field, problem) = refused_field(&without(&text, path));
        assert_eq!(field, format!("accounts[0].{path}"), "removing {path}");
        assert_eq!(problem, "is missing", "removing {path}");
    }
    for top in ["version", "accounts"] {
        let (field, _) = refused_field(&without(&text, &format!("/{top}")));
        assert_eq!(field, top);
    }
}

#[test]
fn every_security_field_malformed_is_refused_by_name() {
    let text = valid_text();
    let cases: Vec<(&str, Value)> = vec![
        ("server_url", "not a url".into()),
        ("server_url", "ftp://godkend.example.com/".into()),
        ("server_url", 5.into()),
        ("server_key", "c2hvcnQ".into()),
        ("server_key", "not base64!".into()),
        ("server_kid", "AAAAAAAAAAAAAAAA".into()),
        ("user", "  ".into()),
        ("user", true.into()),
        ("device_id", "".into()),
        ("device_id", 12.into()),
        ("serial", "GK-1234".into()),
        ("pin", "salt".into()),
        ("pin.salt", b64::encode([7u8; 15]).into()),
        ("pin.salt", "has spaces and +/ in it".into()),
        ("pin.argon2", 19_456.into()),
        ("pin.argon2.m_kib", "19456".into()),
        ("pin.argon2.t", (-1).into()),
        ("pin.argon2.p", 1.5.into()),
    ];
    for (path, value) in cases {
        let shown = value.to_string();
        let (field, _) = refused_field(&with(&text, path, value));
        assert_eq!(field, format!("accounts[0].{path}"), "{path} = {shown}");
    }
    let (field, _) = refused_field(&with(&text, "/version", "1"));
    assert_eq!(field, "version");
    let (field, _) = refused_field(&with(&text, "/version", 0));
    assert_eq!(field, "version");
}

#[test]
fn error_messages_name_the_file_and_the_field() {
    let err = DeviceConfig::from_toml(&without(&valid_text(), "device_id"), file()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("config.toml"), "{message}");
    assert!(message.contains("accounts[0].device_id"), "{message}");
    assert!(message.contains("is missing"), "{message}");
}

#[test]
fn weak_argon2_parameters_are_refused_on_load_and_on_save() {
    let text = valid_text();
    for (key, weak) in [("m_kib", 1024), ("t", 1), ("p", 0)] {
        let (field, problem) = refused_field(&with(&text, &format!("pin.argon2.{key}"), weak));
        assert_eq!(field, "accounts[0].pin.argon2", "{key} = {weak}");
        assert!(problem.contains("weaker"), "{problem}");
    }
    let mut config = DeviceConfig { account: account() };
    config.account.kdf = KdfParams {
        m_kib: 8 * 1024,
        t: 2,
        p: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    assert!(matches!(
        config.save(&path),
        Err(ConfigError::Invalid {
            field: "pin.argon2",
            ..
        })
    ));
    assert!(!path.exists(), "a refused config must not be written");
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let text = valid_text();
    let (field, problem) = refused_field(&with(&text, "server_url", "http://godkend.example.com/"));
    assert_eq!(field, "accounts[0].server_url");
    assert!(problem.contains("https"), "{problem}");

    for loopback in [
        "http://127.0.0.1:8080/",
        "http://localhost:8080/",
        "http://[::1]/",
    ] {
        let config = DeviceConfig::from_toml(&with(&text, "server_url", loopback), file()).unwrap();
        assert_eq!(config.account.server_url.as_str(), loopback);
    }

    let mut config = DeviceConfig { account: account() };
    config.account.server_url = url::Url::parse("http://godkend.example.com/").unwrap();
    assert!(matches!(
        config.to_toml(),
        Err(ConfigError::Invalid {
            field: "server_url",
            ..
        })
    ));
}

#[test]
fn a_config_from_a_newer_version_is_refused() {
    let text = with(&valid_text(), "/version", 2);
    match DeviceConfig::from_toml(&text, file()) {
        Err(e @ ConfigError::TooNew { found: 2, .. }) => {
            assert!(e.to_string().contains("newer Godkend"), "{e}");
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn exactly_one_account_is_required() {
    let text = valid_text();
    let (field, problem) = refused_field(&with(&text, "/accounts", Value::Array(vec![])));
    assert_eq!(
        (field.as_str(), problem.as_str()),
        ("accounts", "holds no account")
    );

    let mut root: Table = text.parse().unwrap();
    let accounts = root.get_mut("accounts").unwrap().as_array_mut().unwrap();
    accounts.push(accounts[0].clone());
    let (field, problem) = refused_field(&toml::to_string(&root).unwrap());
    assert_eq!(field, "accounts");
    assert!(problem.contains("supports one"), "{problem}");
}

#[test]
fn cosmetic_config_fields_fall_back_instead_of_failing() {
    let text = valid_text();
    let text = with(&text, "clock_offset_seconds", "soon");
    let text = with(&text, "org", 5);
    let text = without(&text, "version_policy");
    let text = with(&text, "from_a_later_version", "ignored");
    let config = DeviceConfig::from_toml(&text, file()).unwrap();
    assert_eq!(config.account.clock_offset, ClockOffset(0));
    assert_eq!(config.account.org, Organisation::default());
    assert_eq!(config.account.version_policy, None);
    assert_eq!(config.account.device_id, "dev-7f3a");
}

#[test]
fn invalid_toml_is_refused_with_the_file_named() {
    let err = DeviceConfig::from_toml("version = 1\n[[accounts]\n", file()).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().contains("config.toml"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_config_is_written_owner_only_and_refused_when_others_may_write() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config.toml");
    // Even over a world-readable file the new one is private.
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    DeviceConfig { account: account() }.save(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    assert!(matches!(
        DeviceConfig::load(&path),
        Err(ConfigError::Unprotected { mode: 0o664, .. })
    ));
}

/// Every way a secret could be spelt in a text file.
fn spellings(secret: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = secret.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    vec![
        secret.to_vec(),
        URL_SAFE_NO_PAD.encode(secret).into_bytes(),
        STANDARD.encode(secret).into_bytes(),
        // Without padding or its last, partial character, as a substring would appear.
        STANDARD.encode(&secret[..30]).into_bytes(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
    ]
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn no_secret_reaches_the_config_folder() {
    let device_key = DeviceKey::generate();
    let device_seed = device_key.seed();
    let pepper: [u8; 32] = rand::rng().random();
    let salt = PinSalt::generate();
    let pin_key: PinKey =
        derive_pin_key("403917", salt.as_bytes(), KdfParams::MINIMUM, &pepper).unwrap();

    let url = url::Url::parse("https://godkend.example.com/").unwrap();
    let account =
        Account::from_activation(url, &activated(device_key), salt, KdfParams::MINIMUM).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config_dir = ConfigDir::at(dir.path().join("godkend"));
    DeviceConfig { account }
        .save(&config_dir.config_file())
        .unwrap();
    Settings::default()
        .save(&config_dir.settings_file())
        .unwrap();

    let secrets: [(&str, Vec<u8>); 4] = [
        ("device key seed", device_seed.to_vec()),
        ("pepper", pepper.to_vec()),
        ("PIN key seed", pin_key.signing_key().to_bytes().to_vec()),
        ("PIN public key", pin_key.public().bytes().to_vec()),
    ];
    let files = files_under(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        for (name, secret) in &secrets {
            for spelling in spellings(secret) {
                assert!(
                    !bytes.windows(spelling.len()).any(|w| w == spelling),
                    "{} holds the {name}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn settings_round_trip_and_default_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let path = ConfigDir::at(dir.path()).settings_file();
    assert_eq!(Settings::load(&path), Settings::default());

    let settings = Settings {
        lock_on_close: false,
        notifications: false,
        start_at_login: false,
        language: Language::Danish,
        theme: Theme::Dark,
        guide_shown: true,
    };
    settings.save(&path).unwrap();
    assert_eq!(Settings::load(&path), settings);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("language = \"da\""), "{text}");
    assert!(text.contains("version = 1"), "{text}");
}

#[test]
fn security_minded_settings_defaults() {
    let d = Settings::default();
    assert!(d.lock_on_close);
    // Biometrics are not a saved switch: they are on while this device has a
    // registered key (`Device::biometric_signer`), off by default.
    assert!(d.notifications);
    assert!(d.start_at_login);
    assert_eq!(godkend_core::settings::AUTO_LOCK_SECONDS, 300);
}

#[test]
fn one_bad_setting_is_reset_and_the_rest_are_kept() {
    let text = r#"
        version = 1
        lock_on_close = false
        notifications = "yes please"
        language = "da"
        theme = "sepia"
        guide_shown = true
    "#;
    let (settings, reset) = Settings::from_toml(text);
    assert_eq!(reset, vec!["notifications".to_owned(), "theme".to_owned()]);
    assert_eq!(
        settings,
        Settings {
            lock_on_close: false,
            language: Language::Danish,
            guide_shown: true,
            ..Settings::default()
        }
    );
}

#[test]
fn unknown_settings_are_tolerated() {
    let text = r#"
        version = 7
        theme = "light"
        window = { width = 420, height = 640 }
        colour_blind_mode = true
    "#;
    let (settings, reset) = Settings::from_toml(text);
    assert!(reset.is_empty(), "{reset:?}");
    assert_eq!(settings.theme, Theme::Light);
}

#[test]
fn a_broken_settings_file_gives_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    std::fs::write(&path, "theme = \"dark\"\nlanguage = [unclosed\n").unwrap();
    assert_eq!(Settings::load(&path), Settings::default());
}
