//! Translations: Fluent files under resources/i18n/<lang>/godkend.ftl, embedded in
//! the binary. `fl!("id")` looks a message up; the macro checks at compile time that
//! the id exists in English, the fallback language.

use std::sync::LazyLock;

use godkend_core::settings::Language;
use i18n_embed::fluent::{FluentLanguageLoader, fluent_language_loader};
use i18n_embed::unic_langid::LanguageIdentifier;
use i18n_embed::{DesktopLanguageRequester, LanguageLoader as _};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "resources/i18n/"]
struct Localizations;

/// The loader every `fl!` goes through. English until [`select_desktop_language`].
pub static LANGUAGE_LOADER: LazyLock<FluentLanguageLoader> = LazyLock::new(|| {
    let loader: FluentLanguageLoader = fluent_language_loader!();
    // The English file is embedded and checked by every fl!() at compile time, and a
    // test loads it, so this can fail only in a broken build.
    #[allow(clippy::expect_used)]
    loader
        .load_fallback_language(&Localizations)
        .expect("the embedded English translation loads");
    // Fluent wraps arguments in Unicode isolation marks, which the renderer would
    // draw as boxes.
    loader.set_use_isolating(false);
    loader
});

/// Looks up a message: `fl!("id")` or `fl!("id", name = value)`.
#[macro_export]
macro_rules! fl {
    ($message_id:literal) => {{
        i18n_embed_fl::fl!($crate::i18n::LANGUAGE_LOADER, $message_id)
    }};
    ($message_id:literal, $($args:expr),*) => {{
        i18n_embed_fl::fl!($crate::i18n::LANGUAGE_LOADER, $message_id, $($args), *)
    }};
}

/// Switches to the desktop's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG on Linux)
/// when there is a translation for it; English otherwise.
pub fn select_desktop_language() {
    select(&DesktopLanguageRequester::requested_languages());
}

/// Loads the best translation for `requested` (English when none fits).
fn select(requested: &[LanguageIdentifier]) {
    if let Err(e) = i18n_embed::select(&*LANGUAGE_LOADER, &Localizations, requested) {
        tracing::warn!(error = %e, "could not load the translation; using English");
    }
    // Selecting loads new bundles, which isolate arguments again by default; the
    // renderer would draw the marks as boxes, and they break line wrapping.
    LANGUAGE_LOADER.set_use_isolating(false);
}

/// Switches to `language`; `System` follows the desktop (see
/// [`select_desktop_language`]).
pub fn select_language(language: Language) {
    let Some(code) = language.code() else {
        select_desktop_language();
        return;
    };
    let requested: Vec<LanguageIdentifier> = code.parse().into_iter().collect();
    select(&requested);
}

/// A loader for exactly `languages` (English as the fallback), for text in one
/// language whatever the desktop's is: tests, mostly.
#[cfg(test)]
pub fn loader_for(languages: &[LanguageIdentifier]) -> FluentLanguageLoader {
    let loader: FluentLanguageLoader = fluent_language_loader!();
    #[allow(clippy::expect_used)]
    loader
        .load_languages(&Localizations, languages)
        .expect("the embedded translations load");
    loader.set_use_isolating(false);
    loader
}

/// Switches every `fl!` to `code` (English as the fallback). Process-wide, so only
/// for a test process of its own: the screenshot gallery's child processes.
#[cfg(test)]
pub fn use_language(code: &str) {
    let language: LanguageIdentifier = code.parse().expect("a language code");
    select(&[language]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_danish_have_the_same_messages() {
        let ids = |lang: &str| {
            let file = Localizations::get(&format!("{lang}/godkend.ftl"))
                .unwrap_or_else(|| panic!("{lang}/godkend.ftl is embedded"));
            let text = String::from_utf8(file.data.into_owned()).expect("UTF-8");
            let mut ids: Vec<String> = text
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(str::to_owned))
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids("en"), ids("da"));
        assert!(!ids("en").is_empty());
    }

    #[test]
    fn english_is_the_fallback() {
        assert_eq!(crate::fl!("activate-button"), "Activate");
    }
}
