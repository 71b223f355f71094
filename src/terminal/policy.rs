//! `godkend --show-policy`: what the organisation fixed on this computer, for the
//! administrator who deployed it and for support (installers/README.md, "Managed
//! deployment").

use std::process::ExitCode;

use godkend_core::policy::Policy;

/// Prints `policy` in plain lines; fails (exit 1) when it could not be read, so a
/// deployment script notices.
pub fn show(policy: &Policy) -> ExitCode {
    println!("{}", report(policy));
    if policy.problem.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(policy: &Policy) -> String {
    let start_at_login = match policy.start_at_login {
        Some(true) => "fixed on",
        Some(false) => "fixed off",
        None => "the user's choice",
    };
    let biometrics = if policy.allows_biometrics() {
        "allowed"
    } else {
        "off"
    };
    let handoff = match policy.loopback_handoff {
        Some(true) => "on, even where users cannot be told apart",
        Some(false) => "off",
        None => "on where the app can tell users apart",
    };
    let mut lines = vec![
        format!("start at login: {start_at_login}"),
        format!("biometrics: {biometrics}"),
        format!("browser hand-off: {handoff}"),
    ];
    if let Some(problem) = &policy.problem {
        lines.push(format!(
            "problem: the policy could not be read, so the strictest applies: {problem}"
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_policy_leaves_every_choice_open() {
        assert_eq!(
            report(&Policy::default()),
            "start at login: the user's choice\nbiometrics: allowed\nbrowser hand-off: on where the app can tell users apart"
        );
    }

    #[test]
    fn a_policy_and_its_problem_are_said() {
        let policy = Policy {
            start_at_login: Some(true),
            biometrics: Some(false),
            loopback_handoff: Some(false),
            problem: Some("policy.toml: unknown field".into()),
        };
        let text = report(&policy);
        assert!(text.contains("start at login: fixed on"));
        assert!(text.contains("biometrics: off"));
        assert!(text.contains("browser hand-off: off"));
        assert!(text.ends_with("strictest applies: policy.toml: unknown field"));
        assert_eq!(show(&policy), ExitCode::FAILURE);
    }
}
