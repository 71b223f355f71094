//! The browser hand-off in the real app (issue 15): the demo login page in headless
//! Chromium starts a sign-in and hands it to the app's loopback listener through the
//! served godkend.js; the app's request screen says the browser vouched for the site,
//! asks for the PIN alone, and the page learns from the signed result that the
//! approval was bound to its origin.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use crate::chromedriver::{Chromedriver, chromium_version};
use crate::desktop::{App, keys, screenshot, type_text, window};
use crate::server::Server;

/// The window is open and unlocked on home (or a finished request) when this runs.
pub async fn browser_vouches_for_the_site(server: &Server, app: &mut App, user: &str, pin: &str) {
    let listening = app.log();
    assert!(
        listening.contains("browser hand-off listener started"),
        "the app runs its hand-off listener while a device is activated:\n{listening}"
    );
    eprintln!("e2e: {}", chromium_version());
    let driver = Chromedriver::start(server.http()).await;
    let page = driver.connect().await;
    page.goto(&server.demo_page())
        .await
        .expect("open the demo page");
    let name = page
        .find(Locator::Id("user"))
        .await
        .expect("the user field");
    name.clear().await.expect("clear the user field");
    name.send_keys(user).await.expect("type the user name");
    page.find(Locator::Id("submit"))
        .await
        .expect("the sign-in button")
        .click()
        .await
        .expect("sign in");

    let shown = app.wait_log(&["request shown"], 20);
    // The page may hand off before the push arrives (the agent holds it and opens
    // the request verified) or after (the open screen follows): either way the
    // app logs the origin the browser named.
    app.wait_seen(&format!("Verified(WebOrigin(\"{}\"))", server.url), 20);
    let handed_off = attribute(&page, "handoff", "data-handed-off", "true").await;
    assert_eq!(
        handed_off,
        "true",
        "the page saw the app take the hand-off; the app's hand-off lines:\n{}",
        app.log()
            .lines()
            .filter(|line| line.contains("hand-off") || line.contains("request shown"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The screen follows the hand-off; the PIN field has the focus (no code asked).
    std::thread::sleep(Duration::from_millis(500));
    screenshot("request-verified-by-browser");
    let win = window();
    type_text(&win, pin);
    keys(&win, &["Return"]);
    let accepted = app.wait_log(&["decision accepted", "Approve"], 30);
    eprintln!("e2e: {shown}\ne2e: {accepted}");
    screenshot("request-verified-approved");

    // The page shows the RP's signed result: approved, bound to its origin.
    assert_eq!(
        attribute(&page, "origin", "data-origin-verified", "true").await,
        "true"
    );
    let said = page
        .find(Locator::Id("origin"))
        .await
        .expect("the origin line")
        .text()
        .await
        .expect("its text");
    assert!(
        said.contains(&server.url),
        "the page names its origin: {said}"
    );
    let _ = page.close().await;
}

/// The element's attribute once it is `want`, or whatever it is after 20 s.
async fn attribute(page: &Client, id: &str, name: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = match page.find(Locator::Id(id)).await {
            Ok(element) => element.attr(name).await.ok().flatten().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if value == want || Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
