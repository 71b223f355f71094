//! Amounts as the user's language writes them, digit for digit what the server signed:
//! `1.250,00 kr. (DKK)` in Danish, `DKK 1,250.00` in English.
//!
//! What You See Is What You Sign. CLDR's currency pattern (through ICU4X) places the
//! symbol, the sign and the locale's separators, but the digits and the number of
//! decimals are the signed string's, whatever the currency's usual decimals. ICU4X
//! rounds to a currency's usual decimals, so its formatter is handed fraction data
//! that asks for exactly the string's decimals (rounding a number to the precision it
//! already has changes nothing), and the result is checked digit for digit against
//! the signed string. Anything that cannot be shown that way (a malformed amount,
//! unknown digits) is shown as signed: `1250.00 DKK`.

use godkend_protocol::messages::Amount;
use icu_decimal::input::Decimal;
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::options::CurrencyFormatterOptions;
use icu_experimental::dimension::provider::currency::essentials::CurrencyEssentialsV1;
use icu_experimental::dimension::provider::currency::fractions::{
    CurrencyFractions, CurrencyFractionsV1, FractionInfo, Rounding,
};
use icu_experimental::dimension::provider::currency::no_currency::CurrencyPatternsNoCurrencyV1;
use icu_experimental::dimension::provider::currency::symbols::{
    CurrencyDecimalSymbolsV1, CurrencySymbolsV1,
};
use icu_locale_core::Locale;
use icu_provider::prelude::*;

/// `amount` in the UI language, for the screens.
pub fn amount(amount: &Amount) -> String {
    in_locale(amount, &super::ui_locale())
}

/// `amount` as `locale` writes it, with the ISO code beside any symbol (`kr.` is
/// the Danish, Norwegian and Swedish krone; `$` a dozen dollars); the signed string
/// itself when it cannot be shown digit for digit.
pub fn in_locale(amount: &Amount, locale: &Locale) -> String {
    localized(amount, locale).unwrap_or_else(|| signed(amount))
}

/// The amount exactly as the server signed it.
fn signed(amount: &Amount) -> String {
    format!("{} {}", amount.value, amount.currency)
}

fn localized(amount: &Amount, locale: &Locale) -> Option<String> {
    amount.validate().ok()?;
    let value = Decimal::try_from_str(&amount.value).ok()?;
    let decimals = amount.value.split_once('.').map_or(0, |(_, f)| f.len());
    let provider = ExactDecimals(u8::try_from(decimals).ok()?);
    let currency = CurrencyType::try_from_str(&amount.currency).ok()?;
    let formatter = CurrencyFormatter::try_new_symbol_unstable(
        &provider,
        locale.into(),
        currency,
        CurrencyFormatterOptions::default(),
    )
    .ok()?;
    let text = formatter.format_fixed_decimal(&value).to_string();
    // The check that makes the promise: the same digits in the same order, and a
    // minus sign exactly when the signed string has one.
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let negative = |s: &str| s.contains(['-', '\u{2212}']);
    if digits(&text) != digits(&amount.value) || negative(&text) != negative(&amount.value) {
        return None;
    }
    // Unknown currencies are written with their code already.
    Some(if text.contains(amount.currency.as_str()) {
        text
    } else {
        format!("{text} ({})", amount.currency)
    })
}

/// ICU4X's compiled CLDR data, except that every currency has exactly as many
/// decimals as the signed string.
struct ExactDecimals(u8);

impl DataProvider<CurrencyFractionsV1> for ExactDecimals {
    fn load(&self, _: DataRequest) -> Result<DataResponse<CurrencyFractionsV1>, DataError> {
        let exact = FractionInfo {
            digits: self.0,
            rounding: Rounding::R1,
            cash_digits: None,
            cash_rounding: None,
        };
        // No exceptions: the default holds for every currency. (ZeroMap is zerovec's,
        // which is not worth a dependency of its own for one empty map.)
        #[allow(clippy::default_trait_access)]
        Ok(DataResponse {
            metadata: DataResponseMetadata::default(),
            payload: DataPayload::from_owned(CurrencyFractions {
                fractions: Default::default(),
                default: exact,
            }),
        })
    }
}

/// Passes `markers` through to the compiled data of `baked`.
macro_rules! compiled {
    ($baked:path => $($marker:ty),+) => {$(
        impl DataProvider<$marker> for ExactDecimals {
            fn load(&self, request: DataRequest) -> Result<DataResponse<$marker>, DataError> {
                DataProvider::<$marker>::load(&$baked, request)
            }
        }
    )+};
}

compiled!(icu_experimental::provider::Baked =>
    CurrencyEssentialsV1, CurrencySymbolsV1, CurrencyPatternsNoCurrencyV1, CurrencyDecimalSymbolsV1);
compiled!(icu_decimal::provider::Baked =>
    icu_decimal::provider::DecimalSymbolsV1, icu_decimal::provider::DecimalDigitsV1);

#[cfg(test)]
mod tests {
    use icu_locale_core::locale;

    use super::*;

    /// No-break spaces, which CLDR puts between number and symbol, as plain spaces
    /// so the expectations read easily.
    fn shown(value: &str, currency: &str, locale: &Locale) -> String {
        let amount = Amount {
            value: value.into(),
            currency: currency.into(),
        };
        in_locale(&amount, locale).replace('\u{a0}', " ")
    }

    fn da(value: &str, currency: &str) -> String {
        shown(value, currency, &locale!("da"))
    }

    fn en(value: &str, currency: &str) -> String {
        shown(value, currency, &locale!("en"))
    }

    #[test]
    fn danish_kroner_read_as_a_dane_writes_them_with_the_code_beside_the_symbol() {
        assert_eq!(da("1250.00", "DKK"), "1.250,00 kr. (DKK)");
        assert_eq!(en("1250.00", "DKK"), "DKK 1,250.00");
    }

    #[test]
    fn several_currencies_in_both_languages() {
        assert_eq!(en("1250.00", "EUR"), "€1,250.00 (EUR)");
        assert_eq!(da("1250.00", "EUR"), "1.250,00 € (EUR)");
        assert_eq!(en("1250.00", "USD"), "$1,250.00 (USD)");
        assert_eq!(da("1250.00", "USD"), "1.250,00 US$ (USD)");
        assert_eq!(en("1250.00", "NOK"), "NOK 1,250.00");
        assert_eq!(da("1250.00", "NOK"), "1.250,00 NOK");
        assert_eq!(en("1250.00", "SEK"), "SEK 1,250.00");
        assert_eq!(da("1250.00", "SEK"), "1.250,00 SEK");
        assert_eq!(en("1250", "JPY"), "¥1,250 (JPY)");
        assert_eq!(da("1250", "JPY"), "1.250 JP¥ (JPY)");
        assert_eq!(en("0.123", "BHD"), "BHD 0.123");
        assert_eq!(da("0.123", "BHD"), "0,123 BHD");
    }

    #[test]
    fn an_unknown_currency_is_written_with_its_code() {
        assert_eq!(en("1250.00", "XYZ"), "XYZ 1,250.00");
        assert_eq!(da("1250.00", "XYZ"), "1.250,00 XYZ");
    }

    #[test]
    fn the_decimals_are_the_signed_strings_whatever_the_currency_usually_has() {
        assert_eq!(da("1250.5", "DKK"), "1.250,5 kr. (DKK)");
        assert_eq!(da("1250.555", "DKK"), "1.250,555 kr. (DKK)");
        assert_eq!(da("1250", "DKK"), "1.250 kr. (DKK)");
        assert_eq!(en("1250.5", "JPY"), "¥1,250.5 (JPY)");
        assert_eq!(en("0.1", "BHD"), "BHD 0.1");
        assert_eq!(en("0.12345", "BHD"), "BHD 0.12345");
        assert_eq!(en("1250.40", "CHF"), "CHF 1,250.40");
    }

    #[test]
    fn negative_zero_and_large_values() {
        assert_eq!(en("-3", "EUR"), "-€3 (EUR)");
        assert_eq!(da("-1250.00", "DKK"), "-1.250,00 kr. (DKK)");
        assert_eq!(en("0", "DKK"), "DKK 0");
        assert_eq!(da("0.00", "DKK"), "0,00 kr. (DKK)");
        assert_eq!(
            da("1234567890123456789012345.67", "DKK"),
            "1.234.567.890.123.456.789.012.345,67 kr. (DKK)"
        );
        assert_eq!(
            en("1234567890123456789012345.67", "USD"),
            "$1,234,567,890,123,456,789,012,345.67 (USD)"
        );
    }

    #[test]
    fn a_malformed_amount_is_shown_as_signed_never_guessed() {
        for (value, currency) in [
            ("1,250.00", "DKK"),
            ("1e3", "DKK"),
            ("+5", "DKK"),
            ("01", "DKK"),
            ("1.", "DKK"),
            (".5", "DKK"),
            ("NaN", "DKK"),
            ("", "DKK"),
            ("5", "dkk"),
            ("5", "DK"),
            ("5", "€"),
            ("123456789012345678901234567890123", "DKK"),
        ] {
            let signed = format!("{value} {currency}");
            assert_eq!(en(value, currency), signed, "{value:?} {currency:?}");
            assert_eq!(da(value, currency), signed, "{value:?} {currency:?}");
        }
    }

    #[test]
    fn formatting_leaves_the_signed_amount_unchanged() {
        let amount = Amount {
            value: "1250.5".into(),
            currency: "DKK".into(),
        };
        let before = amount.clone();
        let _ = in_locale(&amount, &locale!("da"));
        assert_eq!(amount, before);
    }

    #[test]
    fn an_unknown_locale_still_shows_the_signed_digits() {
        let text = shown("1250.50", "DKK", &Locale::UNKNOWN);
        assert!(text.contains("1,250.50") || text == "1250.50 DKK", "{text}");
        assert!(text.contains("DKK"), "{text}");
    }
}
