//! The checks on one HTTP request before it may count as a hand-off: path, method,
//! `Host`, `Origin`, content type and a small body holding a request id. Cheap and in
//! this order, so a malformed or foreign request costs the app next to nothing.

use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method};

use super::origin::WebOrigin;
use super::outcome::Refusal;
use super::{PATH, is_request_id};

/// The request's origin, when its head is that of a hand-off to the listener on
/// `port`.
pub(super) fn check_head(parts: &Parts, port: u16, max_body: usize) -> Result<WebOrigin, Refusal> {
    if parts.uri.path() != PATH || parts.uri.query().is_some() {
        return Err(Refusal::WrongPath);
    }
    if parts.method != Method::POST {
        return Err(Refusal::WrongMethod);
    }
    let host = format!("127.0.0.1:{port}");
    let authority_ok = parts.uri.authority().is_none_or(|a| a.as_str() == host);
    if !authority_ok || only(&parts.headers, HOST) != Some(host.as_str()) {
        return Err(Refusal::WrongHost);
    }
    let origin = match only(&parts.headers, ORIGIN) {
        None => return Err(Refusal::MissingOrigin),
        Some(value) => WebOrigin::from_header(value).ok_or(Refusal::BadOrigin)?,
    };
    let essence = only(&parts.headers, CONTENT_TYPE)
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if !essence.is_some_and(|e| e.eq_ignore_ascii_case("text/plain")) {
        return Err(Refusal::WrongContentType);
    }
    let declared = only(&parts.headers, CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body as u64) {
        return Err(Refusal::BodyTooLarge);
    }
    Ok(origin)
}

/// The request id in the body: at most `max_body` bytes, surrounding white space
/// ignored.
pub(super) async fn read_request_id(body: Incoming, max_body: usize) -> Result<String, Refusal> {
    let bytes = match Limited::new(body, max_body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(Refusal::BodyTooLarge),
        Err(_) => return Err(Refusal::UnreadableBody),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| Refusal::UnreadableBody)?;
    let id = text.trim();
    if is_request_id(id) {
        Ok(id.to_owned())
    } else {
        Err(Refusal::BadRequestId)
    }
}

/// The value of a header that must appear once, as text.
fn only(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

#[cfg(test)]
mod tests {
    use hyper::Request;

    use super::{Refusal, check_head};

    fn head(
        build: impl FnOnce(hyper::http::request::Builder) -> hyper::http::request::Builder,
    ) -> Result<String, Refusal> {
        let request = build(Request::builder()).body(()).unwrap();
        let (parts, ()) = request.into_parts();
        check_head(&parts, 47470, 128).map(|o| o.to_string())
    }

    fn handoff() -> hyper::http::request::Builder {
        Request::builder()
            .method("POST")
            .uri("/v1/handoff")
            .header("host", "127.0.0.1:47470")
            .header("origin", "https://shop.example")
            .header("content-type", "text/plain;charset=UTF-8")
    }

    #[test]
    fn a_browser_hand_off_passes() {
        assert_eq!(head(|_| handoff()), Ok("https://shop.example".to_owned()));
        assert_eq!(
            head(|_| handoff().header("content-length", "26")),
            Ok("https://shop.example".to_owned())
        );
    }

    #[test]
    fn each_wrong_part_has_its_refusal() {
        assert_eq!(
            head(|_| handoff().uri("/v1/handoff/")),
            Err(Refusal::WrongPath)
        );
        assert_eq!(
            head(|_| handoff().uri("/v1/handoff?x=1")),
            Err(Refusal::WrongPath)
        );
        assert_eq!(head(|_| handoff().uri("/")), Err(Refusal::WrongPath));
        assert_eq!(head(|_| handoff().method("GET")), Err(Refusal::WrongMethod));
        assert_eq!(
            head(|_| handoff().method("OPTIONS")),
            Err(Refusal::WrongMethod)
        );
        assert_eq!(head(|_| handoff().method("PUT")), Err(Refusal::WrongMethod));
        assert_eq!(
            head(|_| handoff().uri("http://evil.example/v1/handoff")),
            Err(Refusal::WrongHost)
        );
        assert_eq!(
            head(|_| handoff().header("origin", "https://evil.example")),
            Err(Refusal::MissingOrigin),
            "two Origin headers are as good as none"
        );
        assert_eq!(
            head(|_| handoff().header("content-length", "129")),
            Err(Refusal::BodyTooLarge)
        );
    }

    #[test]
    fn only_the_loopback_literal_with_this_port_is_a_host() {
        for host in [
            "localhost:47470",
            "127.0.0.1",
            "127.0.0.1:47471",
            "evil.example:47470",
            "[::1]:47470",
            "127.0.0.2:47470",
            "0x7f.0.0.1:47470",
        ] {
            let mut request = handoff().body(()).unwrap();
            request.headers_mut().insert("host", host.parse().unwrap());
            let (parts, ()) = request.into_parts();
            assert_eq!(
                check_head(&parts, 47470, 128),
                Err(Refusal::WrongHost),
                "{host}"
            );
        }
        let (parts, ()) = handoff().body(()).unwrap().into_parts();
        assert_eq!(check_head(&parts, 47471, 128), Err(Refusal::WrongHost));
    }

    #[test]
    fn the_origin_must_be_there_and_be_a_web_origin() {
        for (origin, refusal) in [
            ("null", Refusal::BadOrigin),
            ("https://shop.example/", Refusal::BadOrigin),
            ("chrome-extension://abcdef", Refusal::BadOrigin),
        ] {
            let mut request = handoff().body(()).unwrap();
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
            let (parts, ()) = request.into_parts();
            assert_eq!(check_head(&parts, 47470, 128), Err(refusal), "{origin}");
        }
        let mut request = handoff().body(()).unwrap();
        request.headers_mut().remove("origin");
        let (parts, ()) = request.into_parts();
        assert_eq!(check_head(&parts, 47470, 128), Err(Refusal::MissingOrigin));
    }

    #[test]
    fn only_text_plain_is_a_body() {
        for content_type in [
            "application/json",
            "text/html",
            "application/x-www-form-urlencoded",
            "",
        ] {
            let mut request = handoff().body(()).unwrap();
            request
                .headers_mut()
                .insert("content-type", content_type.parse().unwrap());
            let (parts, ()) = request.into_parts();
            assert_eq!(
                check_head(&parts, 47470, 128),
                Err(Refusal::WrongContentType),
                "{content_type}"
            );
        }
        let mut request = handoff().body(()).unwrap();
        request
            .headers_mut()
            .insert("content-type", "Text/Plain".parse().unwrap());
        let (parts, ()) = request.into_parts();
        assert!(check_head(&parts, 47470, 128).is_ok());
    }
}
