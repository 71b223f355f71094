//! Local formats: amounts and times as the user's language and computer write them
//! (ICU4X's CLDR data for money, the system's time zone database for times), and web
//! origins as a user should read them.

pub mod amount;
pub mod site;
pub mod time;

use i18n_embed::LanguageLoader as _;
use icu_locale_core::Locale;

/// The locale of the UI language (the one `fl!` speaks), for the formats that
/// go with the words around them.
pub fn ui_locale() -> Locale {
    let language = crate::i18n::LANGUAGE_LOADER.current_language();
    Locale::try_from_str(&language.to_string()).unwrap_or(Locale::UNKNOWN)
}
