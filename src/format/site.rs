//! A web origin as the user should read it: its host as the browser wrote it, with
//! the registrable domain (the part someone registered: `example.co.uk` of
//! `login.example.co.uk`) picked out by the Public Suffix List. A phishing host
//! hides the site it belongs to in front of a familiar name
//! (`shop.example.login-check.net`); the registrable domain is where it really is.

/// The host of an origin split where the registrable domain starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// What comes before the registrable domain, with its trailing dot
    /// (`login.` of `login.example.co.uk`); empty when there is none.
    pub subdomain: String,
    /// The registrable domain, or the whole host where there is none (an IP
    /// address, `localhost`, a bare public suffix).
    pub registrable: String,
}

impl Site {
    /// The host again, as the browser wrote it.
    pub fn host(&self) -> String {
        format!("{}{}", self.subdomain, self.registrable)
    }
}

/// `origin` (`https://login.example.co.uk:8443`) as a [`Site`]. Hosts stay as the
/// browser sent them: punycode for a non-ASCII name, so a lookalike in another script
/// shows as `xn--…`. Text that is not an origin is shown whole, as the registrable part.
pub fn site(origin: &str) -> Site {
    let Ok(url) = url::Url::parse(origin) else {
        return whole(origin);
    };
    let host = match url.host() {
        Some(url::Host::Domain(domain)) => domain.to_ascii_lowercase(),
        // An IP address has no registrable domain (the list would take `0.1` of
        // `127.0.0.1` for one).
        Some(ip) => return whole(&ip.to_string()),
        None => return whole(origin),
    };
    match psl::domain_str(&host) {
        Some(registrable) if registrable.len() < host.len() => Site {
            subdomain: host[..host.len() - registrable.len()].to_owned(),
            registrable: registrable.to_owned(),
        },
        _ => whole(&host),
    }
}

fn whole(host: &str) -> Site {
    Site {
        subdomain: String::new(),
        registrable: host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Site, site};

    fn parts(origin: &str) -> (String, String) {
        let Site {
            subdomain,
            registrable,
        } = site(origin);
        (subdomain, registrable)
    }

    #[test]
    fn the_registrable_domain_is_picked_out_by_the_public_suffix_list() {
        let cases = [
            ("https://shop.example.com", "shop.", "example.com"),
            (
                "https://login.shop.example.co.uk:8443",
                "login.shop.",
                "example.co.uk",
            ),
            // The familiar name in front is not the site: the site is at the end.
            (
                "https://shop.example.com.login-check.net",
                "shop.example.com.",
                "login-check.net",
            ),
            // A private suffix: each user's site is its own registrable domain.
            ("https://evil.github.io", "", "evil.github.io"),
            ("https://example.com", "", "example.com"),
        ];
        for (origin, subdomain, registrable) in cases {
            assert_eq!(
                parts(origin),
                (subdomain.to_owned(), registrable.to_owned()),
                "{origin}"
            );
        }
    }

    #[test]
    fn a_non_ascii_lookalike_stays_in_punycode() {
        // An origin from the browser is already punycode, and so is what the user sees.
        let seen = site("https://login.xn--bcher-kva.example.com");
        assert_eq!(seen.registrable, "example.com");
        assert_eq!(seen.host(), "login.xn--bcher-kva.example.com");
        // A Unicode name given as text is shown in punycode too ("münchen.de").
        assert_eq!(
            site("https://shop.münchen.de").registrable,
            "xn--mnchen-3ya.de"
        );
    }

    #[test]
    fn hosts_without_a_registrable_domain_are_shown_whole() {
        for (origin, host) in [
            ("http://127.0.0.1:8080", "127.0.0.1"),
            ("http://[::1]:8080", "[::1]"),
            ("http://localhost:3000", "localhost"),
            ("https://co.uk", "co.uk"),
            ("not an origin", "not an origin"),
        ] {
            assert_eq!(parts(origin), (String::new(), host.to_owned()), "{origin}");
        }
    }
}
