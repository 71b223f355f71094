//! Web origins as the browser serialises them, so the page's `Origin` header and the
//! origins the server signed into a request compare as plain strings.

use std::fmt;

use url::{Origin, Url};

/// A tuple origin (`scheme://host[:port]`) in its ASCII serialisation: punycode
/// host, no default port, no path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// An `Origin` header as a browser sends it. Strict: the header must already be
    /// the ASCII serialisation of an `http` or `https` origin (no path, no trailing
    /// slash, no upper case, punycode), as browsers always send it; `null` is refused.
    pub fn from_header(value: &str) -> Option<WebOrigin> {
        let origin = WebOrigin::from_url(value)?;
        (origin.0 == value).then_some(origin)
    }

    /// The origin of a URL or origin string, normalised (the allowed origins the
    /// server signed, which were normalised there already).
    pub fn from_url(value: &str) -> Option<WebOrigin> {
        let url = Url::parse(value).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        match url.origin() {
            origin @ Origin::Tuple(..) => Some(WebOrigin(origin.ascii_serialization())),
            Origin::Opaque(_) => None,
        }
    }

    /// The ASCII serialisation.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The allowed origins of a request, normalised; entries that are no origin are
    /// dropped (they could never match a browser's header anyway).
    pub fn allowed(origins: &[String]) -> Vec<WebOrigin> {
        origins
            .iter()
            .filter_map(|o| WebOrigin::from_url(o))
            .collect()
    }
}

impl fmt::Display for WebOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::WebOrigin;

    #[test]
    fn browser_headers_are_taken_as_sent() {
        for header in [
            "https://shop.example",
            "http://127.0.0.1:8080",
            "https://shop.example:8443",
            "https://xn--shp-tna.example",
        ] {
            assert_eq!(
                WebOrigin::from_header(header).map(|o| o.to_string()),
                Some(header.to_owned())
            );
        }
    }

    #[test]
    fn anything_a_browser_would_not_send_is_refused() {
        for header in [
            "null",
            "",
            "shop.example",
            "https://shop.example/",
            "https://shop.example/login",
            "HTTPS://SHOP.EXAMPLE",
            "https://shop.example:443",
            "https://shöp.example",
            "file:///etc/passwd",
            "ftp://shop.example",
            "data:text/html,hi",
            "https://shop.example, https://evil.example",
        ] {
            assert_eq!(WebOrigin::from_header(header), None, "{header}");
        }
    }

    #[test]
    fn allowed_origins_are_normalised_for_comparison() {
        let allowed = WebOrigin::allowed(&[
            "https://Shop.Example:443/".to_owned(),
            "https://shöp.example".to_owned(),
            "not an origin".to_owned(),
        ]);
        assert_eq!(
            allowed,
            vec![
                WebOrigin::from_header("https://shop.example").unwrap(),
                WebOrigin::from_header("https://xn--shp-tna.example").unwrap(),
            ]
        );
    }
}
