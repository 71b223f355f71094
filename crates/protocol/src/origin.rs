//! Web origins of relying parties and the per-request origin-binding policy
//! (PROTOCOL.md §7.3): how an origin is written, so that the server, the app and the
//! browser's `Origin` header compare byte for byte.

use serde::{Deserialize, Serialize};

/// Most origins one relying party may register.
pub const MAX_ORIGINS_PER_RP: usize = 20;
/// Longest origin accepted, in its ASCII serialisation.
pub const MAX_ORIGIN_LEN: usize = 253 + "https://".len() + ":65535".len();

/// Whether an approval must be bound to the relying party's web origin by a
/// hand-off from the user's browser on the same computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OriginBinding {
    /// An approval needs a hand-off from one of the RP's origins; without one it is
    /// refused. The only setting that stops a relayed code.
    Required,
    /// A hand-off from one of the RP's origins replaces the typed code; without one
    /// the code is required as before.
    #[default]
    Preferred,
    /// No binding: the typed code, always; an `origin` in a decision is ignored.
    Off,
}

impl OriginBinding {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginBinding::Required => "required",
            OriginBinding::Preferred => "preferred",
            OriginBinding::Off => "off",
        }
    }
}

/// Why an origin is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("`{0}` is not a URL: write an origin such as https://shop.example")]
    NotAUrl(String),
    #[error("`{0}`: an origin is http or https only")]
    Scheme(String),
    #[error("`{0}`: an origin has a host name or address")]
    NoHost(String),
    #[error("`{0}`: an origin is only scheme://host[:port], without user, path, query or fragment")]
    NotAnOrigin(String),
    #[error("an origin is at most {max} characters", max = MAX_ORIGIN_LEN)]
    TooLong,
}

/// Parses `text` as a web origin and returns its ASCII serialisation (RFC 6454 §6.2,
/// as browsers send it in `Origin`): lower case, IDN host names in punycode, the
/// scheme's default port left out, no trailing `/`. Refuses anything with a user,
/// a path other than `/`, a query or a fragment, and schemes other than http(s).
pub fn normalise_origin(text: &str) -> Result<String, OriginError> {
    let text = text.trim();
    if text.len() > MAX_ORIGIN_LEN * 4 {
        return Err(OriginError::TooLong);
    }
    let url = url::Url::parse(text).map_err(|_| OriginError::NotAUrl(text.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OriginError::Scheme(text.to_owned()));
    }
    if url.host().is_none() {
        return Err(OriginError::NoHost(text.to_owned()));
    }
    let has_extra = !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some();
    // `https://a.example/` parses with path "/" like `https://a.example`; a `/` the
    // person typed is fine, but `https://a.example/login` is a page, not an origin.
    if has_extra {
        return Err(OriginError::NotAnOrigin(text.to_owned()));
    }
    let ascii = url.origin().ascii_serialization();
    if ascii.len() > MAX_ORIGIN_LEN {
        return Err(OriginError::TooLong);
    }
    Ok(ascii)
}

/// Normalises a relying party's list of origins: each as [`normalise_origin`],
/// duplicates dropped, order kept, at most [`MAX_ORIGINS_PER_RP`].
pub fn normalise_origins<S: AsRef<str>>(texts: &[S]) -> Result<Vec<String>, String> {
    let mut origins: Vec<String> = Vec::new();
    for text in texts {
        let origin = normalise_origin(text.as_ref()).map_err(|e| e.to_string())?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > MAX_ORIGINS_PER_RP {
        return Err(format!(
            "at most {MAX_ORIGINS_PER_RP} origins per relying party"
        ));
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_stored_in_their_ascii_serialisation() {
        for (typed, stored) in [
            ("https://shop.example", "https://shop.example"),
            ("https://shop.example/", "https://shop.example"),
            ("HTTPS://Shop.EXAMPLE", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("https://shop.example:8443", "https://shop.example:8443"),
            ("http://shop.example:80/", "http://shop.example"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            ("http://127.0.0.1:8420", "http://127.0.0.1:8420"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("  https://shop.example  ", "https://shop.example"),
        ] {
            assert_eq!(normalise_origin(typed).as_deref(), Ok(stored), "{typed}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in [
            "shop.example",
            "https://shop.example/login",
            "https://shop.example?x=1",
            "https://shop.example/#top",
            "https://user@shop.example",
            "https://user:pw@shop.example",
            "ftp://shop.example",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "null",
            "",
            "https://",
        ] {
            assert!(normalise_origin(bad).is_err(), "{bad} accepted");
        }
        let long = format!("https://{}.example", "a".repeat(300));
        assert!(normalise_origin(&long).is_err());
    }

    #[test]
    fn a_list_drops_duplicates_and_is_bounded() {
        let list = normalise_origins(&[
            "https://a.example",
            "https://A.example/",
            "https://b.example",
        ]);
        assert_eq!(
            list,
            Ok(vec![
                "https://a.example".to_owned(),
                "https://b.example".to_owned()
            ])
        );
        let many: Vec<String> = (0..=MAX_ORIGINS_PER_RP)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        assert!(normalise_origins(&many).is_err());
        assert!(normalise_origins(&["https://ok.example", "bad"]).is_err());
    }

    #[test]
    fn binding_defaults_to_preferred_and_reads_its_wire_names() {
        assert_eq!(OriginBinding::default(), OriginBinding::Preferred);
        for b in [
            OriginBinding::Required,
            OriginBinding::Preferred,
            OriginBinding::Off,
        ] {
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{}\"", b.as_str()));
        }
        assert!(serde_json::from_str::<OriginBinding>("\"sometimes\"").is_err());
    }
}
