//! The activation endpoint under abuse (issue 10): ids checked before any write or
//! audit, escaped CLI text, failed-activation limits kept in the database, the
//! wrong-proof burn under a concurrent burst, and codes of removed users.

use godkend_core::DeviceKey;
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate_with_key;
use godkend_core::pin::{KdfParams, derive_pin_key};
use serde_json::{Value, json};

use crate::common::{Db, PIN, TestServer};
use crate::data_hardening::*;

both_backends!(
    hostile_user_ids_get_a_clean_400_and_no_audit_row,
    cli_text_output_escapes_control_characters,
    failed_activations_are_limited_per_source_and_per_user,
    burst_of_wrong_proofs_counts_five_and_never_activates_after,
    removed_users_code_enrols_nobody,
);

// ---------------------------------------------------------------- ids and audit

async fn hostile_user_ids_get_a_clean_400_and_no_audit_row(db: Db) {
    let server = TestServer::start(db).await;
    let rp = server.add_rp("shop", "Shop");
    let key = server.server_key().await.to_b64();
    let long = "x".repeat(60_000);
    let forged = "mallory\u{1b}[31m\n2026-01-01T00:00:00Z  device_activated admin:cli";
    for user in [long.as_str(), forged, ""] {
        let body = activation_body(user, "ABCDEFGHJKMNPQRS", &key, "laptop");
        let (status, problem) = post_activation(&server, &body).await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["code"], "bad_request");
        let text = problem.to_string();
        assert!(text.len() < 1_000, "the answer does not echo the id");
        assert!(!text.contains("mallory"), "{text}");

        let r = rp
            .create_raw(&json!({"user": user, "kind": "login", "title": "Sign in",
                               "message": "Sign in from Firefox"}))
            .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().len() < 1_000);
    }
    for args in [
        vec!["activation", "create", forged],
        vec!["user", "remove", forged],
        vec!["device", "list", forged],
    ] {
        let err = server.admin(&args).expect_err("a hostile id is refused");
        assert!(!err.contains('\u{1b}'), "{err:?}");
        assert_eq!(err.trim().lines().count(), 1, "{err:?}");
    }
    let audit = audit_json(&server);
    for entry in &audit {
        let text = entry.to_string();
        assert!(
            !text.contains("mallory") && !text.contains("xxxxxxxxxx"),
            "{text}"
        );
    }
    assert!(
        !audit.iter().any(|e| e["event"] == "activation_failed"),
        "a malformed id is refused before any audit: {audit:?}"
    );
}

/// Stored text with control characters (a device name the client chose; an audit row
/// written by an older server) prints escaped in `audit` and `device list`.
async fn cli_text_output_escapes_control_characters(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("erin");
    let link = server.activation_link("erin");
    let input =
        ActivationInput::from_link(&link, "evil\u{1b}[2J\u{1b}[31mname\nfake line").unwrap();
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    activate_with_key(
        &input,
        &pin,
        server.server_key().await,
        DeviceKey::generate(),
    )
    .await
    .unwrap();
    let mut conn = self::db(&server).await;
    sqlx::query(
        "INSERT INTO audit (at, event, actor, user_id, detail) \
         VALUES (1, 'activation_failed', 'device', $1, $2)",
    )
    .bind("x\u{1b}[31mred\nforged")
    .bind("\u{9b}31m\u{202e}txt")
    .execute(&mut conn)
    .await
    .unwrap();

    let devices = admin_text(&server, &["device", "list"]);
    assert!(!devices.contains('\u{1b}'), "{devices:?}");
    assert_eq!(devices.trim_end().lines().count(), 1, "{devices:?}");
    assert!(
        devices.contains("evil\\u{1b}[2J\\u{1b}[31mname\\nfake line"),
        "{devices:?}"
    );

    let audit = admin_text(&server, &["audit"]);
    assert!(
        !audit.contains(['\u{1b}', '\u{9b}', '\u{202e}']),
        "{audit:?}"
    );
    assert!(audit.contains("user=x\\u{1b}[31mred\\nforged"), "{audit:?}");
    assert!(audit.contains("\\u{9b}31m\\u{202e}txt"), "{audit:?}");
    let rows = audit.trim_end().lines().count();
    assert_eq!(
        rows,
        audit_json(&server).len(),
        "one line per row: {audit:?}"
    );
}

// ---------------------------------------------------------------- limits

async fn failed_activations_are_limited_per_source_and_per_user(db: Db) {
    let server = TestServer::start_with(
        db,
        &[
            "--activation-failures-per-source",
            "3",
            "--activation-failures-per-user",
            "4",
        ],
    )
    .await;
    server.add_user("bob");
    let code = code_of(&server.activation_link("bob"));
    let key = server.server_key().await.to_b64();
    let wrong = || activation_body("bob", "WRONGCODEWRONGCO", &key, "x");

    // Per source: a burst of 12 from 127.0.0.1 is judged 3 times; the rest get 429.
    let burst = (0..12).map(|_| {
        let body = wrong();
        let server = &server;
        async move { post_activation(server, &body).await }
    });
    let answers = futures::future::join_all(burst).await;
    let judged = answers.iter().filter(|(s, _)| *s == 403).count();
    let limited: Vec<_> = answers.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(judged, 3, "{answers:?}");
    assert_eq!(limited.len(), 9, "{answers:?}");
    assert_eq!(limited[0].1["code"], "rate_limited");
    assert!(limited[0].1["retry_after"].as_u64().unwrap() > 0);
    // Refused calls count nothing: not against the code, not in the audit log.
    let failures = scalar(&server, "SELECT MAX(failures) FROM activations").await;
    assert_eq!(failures, 3);
    let audited = audit_json(&server)
        .iter()
        .filter(|e| e["event"] == "activation_failed")
        .count();
    assert_eq!(audited, 3);
    // Even the right code waits out the window from this source.
    let (status, _) = post_activation(&server, &activation_body("bob", &code, &key, "x")).await;
    assert_eq!(status, 429);

    // Per user: another address gets one more failure for bob (4 per user), then 429.
    let other = client_from([127, 0, 0, 2]);
    let (status, problem) = post_activation_from(&server, &other, &wrong()).await;
    assert_eq!(status, 403, "{problem}");
    let (status, problem) = post_activation_from(&server, &other, &wrong()).await;
    assert_eq!(status, 429, "{problem}");
    // Another user from that address is still judged (and unknown users answer alike).
    let body = activation_body("nobody", "WRONGCODEWRONGCO", &key, "x");
    let (status, problem) = post_activation_from(&server, &other, &body).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("activation_invalid"))
    );
    assert!(problem.get("attempts_left").is_none(), "{problem}");
}

/// Sends `wrong` wrong proofs for `user` at once, then the right one last, all in
/// flight together; returns the answers, the right one's last.
async fn burst(server: &TestServer, user: &str, code: &str, wrong: usize) -> Vec<(u16, Value)> {
    let key = server.server_key().await.to_b64();
    let mut calls: Vec<_> = (0..wrong)
        .map(|_| activation_body(user, "WRONGCODEWRONGCO", &key, "x"))
        .collect();
    calls.push(activation_body(user, code, &key, "right"));
    futures::future::join_all(
        calls
            .iter()
            .map(|body| async move { post_activation(server, body).await }),
    )
    .await
}

/// 40 wrong proofs and the right one at once: at most 5 failures are counted; the
/// code is either burnt (5 failures, the right proof refused) or was used before the
/// fifth failure (then the count stopped below 5).
async fn burst_of_wrong_proofs_counts_five_and_never_activates_after(db: Db) {
    let server = TestServer::start_with(
        db,
        &[
            "--activation-failures-per-source",
            "1000",
            "--activation-failures-per-user",
            "1000",
        ],
    )
    .await;
    for user in ["burst1", "burst2", "burst3"] {
        server.add_user(user);
        let code = code_of(&server.activation_link(user));
        let answers = burst(&server, user, &code, 40).await;
        let right = answers[40].0;
        let failures = scalar(
            &server,
            &format!("SELECT failures FROM activations WHERE user_id = '{user}'"),
        )
        .await;
        let used = scalar(
            &server,
            &format!(
                "SELECT COUNT(*) FROM activations WHERE user_id = '{user}' AND used_at IS NOT NULL"
            ),
        )
        .await;
        let devices = scalar(
            &server,
            &format!("SELECT COUNT(*) FROM devices WHERE user_id = '{user}'"),
        )
        .await;
        println!("{user}: the right proof got {right}; {failures} failures counted");
        assert!(failures <= 5, "{user}: {failures} failures counted");
        if right == 200 {
            assert_eq!((used, devices), (1, 1), "{user}");
            assert!(failures < 5, "{user}: activated after the 5th failure");
        } else {
            assert_eq!(right, 403, "{user}");
            assert_eq!((failures, used, devices), (5, 0, 0), "{user}: burnt");
        }
        // Every failure got the one answer, without tries left.
        for (status, problem) in &answers[..40] {
            assert_eq!(*status, 403, "{problem}");
            assert_eq!(problem["code"], "activation_invalid");
            assert!(problem.get("attempts_left").is_none(), "{problem}");
        }
        // Afterwards the code works for nobody.
        let key = server.server_key().await.to_b64();
        let (status, _) = post_activation(&server, &activation_body(user, &code, &key, "x")).await;
        assert_eq!(status, 403, "{user}");
    }
}

async fn removed_users_code_enrols_nobody(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("frank");
    let code = code_of(&server.activation_link("frank"));
    server.admin(&["user", "remove", "frank"]).unwrap();
    let left = scalar(
        &server,
        "SELECT COUNT(*) FROM activations WHERE user_id = 'frank'",
    )
    .await;
    assert_eq!(left, 0, "user remove deletes the user's activation codes");
    // Someone else gets the id: the old code must not enrol a device for them.
    server.add_user("frank");
    let key = server.server_key().await.to_b64();
    let (status, problem) =
        post_activation(&server, &activation_body("frank", &code, &key, "x")).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "activation_invalid");
    let devices = server.admin(&["device", "list", "frank"]).unwrap();
    assert_eq!(devices.as_array().unwrap().len(), 0);
}
