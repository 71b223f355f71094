//! The app's side of biometrics: the signer while they are on (loaded with the
//! device, off the UI thread; on Linux nothing touches the system bus unless a key
//! is there), the server's policy on keys kept in the keyring, what the unlock and
//! request screens offer, the scan under way (Cancel, or its screen going away,
//! aborts it), and the settings switch's work.

use std::fmt;

use godkend_core::CoreError;
use godkend_core::agent::Agent;
use godkend_core::answer::Answer;
use godkend_core::device::DeviceError;
use godkend_core::push::VerifiedRequest;
use godkend_core::secret::{Redacted, SecretText};
use godkend_core::standing::Standing;
use godkend_core::uv::UvSigner;
use godkend_core::uv::offer::{SoftwareUvPolicy, UvSetup};
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{DecisionKind, UserVerification, UvKind};

use super::{App, Arc, Message, Panel, Task, request, settings};
use crate::screen::biometric::Outcome;
use crate::screen::settings::biometric::{self, Enrolled, Refusal};

/// What the app holds of this device's biometrics.
pub(super) struct Biometrics {
    /// The signer while biometrics are on.
    signer: Option<Verifier>,
    /// Whether the server takes `software` keys for approvals. Until its signed info
    /// says so, it is taken not to: the PIN is asked for, never refused.
    policy: SoftwareUvPolicy,
    /// The check under way; dropping the handle aborts it (fprintd releases the
    /// reader).
    scan: Option<iced::task::Handle>,
    /// The server refused the key as unknown since it was last turned on: the
    /// settings switch says so.
    removed: bool,
}

impl Default for Biometrics {
    fn default() -> Self {
        Biometrics {
            signer: None,
            policy: SoftwareUvPolicy::UnlocksOnly,
            scan: None,
            removed: false,
        }
    }
}

/// A user-verification signer a message can carry.
#[derive(Clone)]
pub struct Verifier(Arc<dyn UvSigner>);

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier({:?})", self.0.kind())
    }
}

/// Biometrics as loaded for the device with this id.
#[derive(Debug, Clone)]
pub struct Loaded {
    device: String,
    signer: Option<Verifier>,
    policy: SoftwareUvPolicy,
}

impl App {
    /// Loads the signer (when biometrics are on) and the server's policy.
    pub(super) fn load_biometrics(&self) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let device = Arc::clone(agent.device());
        let allowed = self.user_settings.policy().allows_biometrics();
        Task::perform(
            async move {
                let signer = match device.biometric_signer().await {
                    Ok(signer) => signer.map(Verifier),
                    Err(e) => {
                        tracing::warn!(error = %e, "the biometric key could not be loaded");
                        None
                    }
                };
                let signer = if allowed {
                    signer
                } else {
                    turn_off_by_policy(&device, signer.is_some()).await;
                    None
                };
                let policy = match device.client.server.server_info().await {
                    Ok(info) => SoftwareUvPolicy::of(&info),
                    Err(_) => SoftwareUvPolicy::UnlocksOnly,
                };
                Loaded {
                    device: device.client.device_id.clone(),
                    signer,
                    policy,
                }
            },
            Message::BiometricsLoaded,
        )
    }

    pub(super) fn biometrics_loaded(&mut self, loaded: Loaded) -> Task<Message> {
        let current = self.agent.as_ref().map(|a| a.client().device_id.as_str());
        if current == Some(loaded.device.as_str()) {
            tracing::info!(
                on = loaded.signer.is_some(),
                policy = ?loaded.policy,
                "biometrics loaded"
            );
            self.biometrics.signer = loaded.signer;
            self.biometrics.policy = loaded.policy;
        }
        Task::none()
    }

    /// The registered key's kind and the failed-scan count, as the device keeps it.
    fn uv_setup(&self) -> UvSetup {
        UvSetup {
            kind: self.biometrics.signer.as_ref().map(|s| s.0.kind()),
            limit: self
                .agent
                .as_ref()
                .map(|agent| agent.device().scan_limit())
                .unwrap_or_default(),
        }
    }

    /// Whether the unlock screen offers the biometric check beside the PIN. Not
    /// while the request screen's scan runs: one check at a time.
    pub(super) fn offers_biometric_unlock(&self) -> bool {
        let busy = self
            .request
            .as_ref()
            .is_some_and(crate::screen::request::Request::is_scanning);
        !busy && self.uv_setup().offers_for_unlock()
    }

    /// Whether the request screen offers it for a request that requires `required`.
    pub(super) fn offers_biometric_approval(&self, required: UserVerification) -> bool {
        self.uv_setup()
            .offers_for_approval(required, self.biometrics.policy)
    }

    /// The signer, for an approval by scan.
    pub(super) fn biometric_signer(&self) -> Option<Arc<dyn UvSigner>> {
        self.biometrics.signer.as_ref().map(|s| Arc::clone(&s.0))
    }

    /// Runs a biometric check so that Cancel can abort it.
    pub(super) fn run_scan(&mut self, task: Task<Message>) -> Task<Message> {
        let (task, handle) = task.abortable();
        self.biometrics.scan = Some(handle.abort_on_drop());
        task
    }

    /// Aborts the check under way, if any.
    pub(super) fn cancel_scan(&mut self) {
        if self.biometrics.scan.take().is_some() {
            tracing::info!("biometric check cancelled");
        }
    }

    /// A screen's scan ended or went away: nothing more to abort.
    pub(super) fn drop_finished_scan(&mut self) {
        let scanning = self
            .request
            .as_ref()
            .is_some_and(crate::screen::request::Request::is_scanning)
            || matches!(&self.panel, Some(Panel::Unlock(screen, _)) if screen.is_scanning());
        if !scanning {
            self.biometrics.scan = None;
        }
    }

    /// What an answer to an approval means for biometrics: an accepted PIN lifts a
    /// scan suspension, and a key the server no longer holds is deleted here.
    pub(super) fn approval_answered(&mut self, message: &request::Message) -> Task<Message> {
        let request::Message::Sent(id, DecisionKind::Approve, answer) = message else {
            return Task::none();
        };
        match answer {
            Answer::Accepted(Standing::Decided(DecisionKind::Approve)) => {
                let by_pin = self
                    .request
                    .as_ref()
                    .is_some_and(|r| r.request_id() == id && !r.sent_by_scan());
                if let (true, Some(agent)) = (by_pin, &self.agent) {
                    agent.device().record_pin_proved();
                }
                Task::none()
            }
            Answer::Refused(refusal) if refusal.code == Some(ErrorCode::UvKeyUnknown) => {
                self.forget_biometrics()
            }
            _ => Task::none(),
        }
    }

    /// The server no longer holds the key, which is gone here too.
    pub(super) fn biometrics_removed(&mut self) {
        tracing::info!("the biometric key was removed at the server");
        self.biometrics.signer = None;
        self.biometrics.removed = true;
    }

    /// The biometric key was refused as unknown by the server: deletes it here.
    pub(super) fn forget_biometrics(&mut self) -> Task<Message> {
        self.biometrics_removed();
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let device = Arc::clone(agent.device());
        Task::future(async move {
            if let Err(e) = device.forget_biometrics().await {
                tracing::warn!(error = %e, "could not delete the removed biometric key");
            }
        })
        .discard()
    }

    /// The settings switch for biometrics as they stand now.
    pub(super) fn biometric_switch(&self) -> biometric::Switch {
        let enrolled = self.biometrics.signer.as_ref().map(|signer| {
            let kind = signer.0.kind();
            let setup = self.uv_setup();
            Enrolled {
                kind,
                approves: setup.offers_for_approval(UserVerification::Any, self.biometrics.policy),
                suspended: setup.limit.is_suspended(),
            }
        });
        let switch = biometric::Switch::new(enrolled);
        if self.biometrics.removed {
            switch.removed_at_server()
        } else {
            switch
        }
    }

    /// Asks the platform whether its check can run here, for the settings switch
    /// (not when the organisation turned biometrics off: the switch is not shown).
    pub(super) fn probe_biometrics(&self) -> Task<Message> {
        match &self.agent {
            Some(agent)
                if self.biometrics.signer.is_none()
                    && self.user_settings.policy().allows_biometrics() =>
            {
                let device = Arc::clone(agent.device());
                Task::perform(
                    async move { device.biometric_availability().await },
                    |availability| {
                        tracing::info!(?availability, "biometric check");
                        let available = availability == godkend_core::uv::Availability::Available;
                        settings_message(biometric::Message::Available(available))
                    },
                )
            }
            _ => Task::none(),
        }
    }

    /// The settings switch asks to turn biometrics on or off.
    pub(super) fn switch_biometrics(&mut self, event: biometric::Event) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let device = Arc::clone(agent.device());
        let policy = self.biometrics.policy;
        match event {
            biometric::Event::TurnOn(pin) => Task::perform(
                async move {
                    let kind = device.enable_biometrics(pin.as_str()).await?;
                    // The server accepted the PIN that authorised the key.
                    let limit = device.record_pin_proved();
                    Ok(Some(Enrolled {
                        kind,
                        approves: kind == UvKind::Hardware || policy == SoftwareUvPolicy::Approves,
                        suspended: limit.is_suspended(),
                    }))
                },
                |result: Result<_, DeviceError>| {
                    settings_message(biometric::Message::Changed(result.map_err(|e| refusal(&e))))
                },
            ),
            biometric::Event::TurnOff => Task::perform(
                // The server's removal is idempotent: a key it already dropped
                // (a new PIN, an admin) goes here as well.
                async move { device.disable_biometrics().await },
                |result: Result<(), DeviceError>| {
                    settings_message(biometric::Message::Changed(
                        result.map(|()| None).map_err(|e| refusal(&e)),
                    ))
                },
            ),
            biometric::Event::Blocked(status) => self.device_ended(status),
        }
    }

    /// The switch's change went through: the app's signer follows it.
    pub(super) fn biometrics_switched(
        &mut self,
        result: &Result<Option<Enrolled>, Refusal>,
    ) -> Task<Message> {
        match result {
            Ok(Some(_)) => {
                self.biometrics.removed = false;
                self.load_biometrics()
            }
            Ok(None) => {
                self.biometrics.signer = None;
                Task::none()
            }
            Err(_) => Task::none(),
        }
    }
}

fn settings_message(message: biometric::Message) -> Message {
    Message::Settings(settings::Message::Biometric(message))
}

/// What the switch says about a failed change.
fn refusal(error: &DeviceError) -> Refusal {
    let DeviceError::Core(core) = error else {
        return Refusal::Failed(error.to_string());
    };
    let problem = core.problem();
    match core.code() {
        Some(ErrorCode::WrongPin) => Refusal::WrongPin {
            attempts_left: problem.and_then(|p| p.attempts_left).unwrap_or(0),
        },
        Some(ErrorCode::DeviceBlocked) => {
            Refusal::Blocked(problem.and_then(|p| p.device_status.clone()))
        }
        _ => Refusal::Failed(core.to_string()),
    }
}

/// The biometric check of an approval: the platform checks the user as the key
/// signs (abortable: Cancel drops it, and fprintd releases the reader). Each check
/// that ends is counted on the device; a suspended count asks for the PIN without a
/// scan. The signed approval comes back to the screen, which has it sent.
pub(super) fn scan_approval(
    agent: &Agent,
    request: &VerifiedRequest,
    code: SecretText,
    reason: String,
    uv_key: Option<Arc<dyn UvSigner>>,
) -> Task<Message> {
    let device = Arc::clone(agent.device());
    // With the origin the browser handed off, as a PIN approval signs it.
    let request = agent.bound(request);
    let id = request.request.request_id.clone();
    Task::perform(
        async move {
            let Some(uv_key) = uv_key else {
                return Err(Some(Outcome::KeyRemoved));
            };
            let limit = device.scan_limit();
            if limit.is_suspended() {
                return Err(Some(Outcome::NoMatch { scans_left: 0 }));
            }
            match device
                .client
                .approve_with(&request, code.as_str(), uv_key.as_ref(), &reason)
                .await
            {
                Ok(signed) => {
                    device.record_scan(Ok(()));
                    Ok(Redacted::new(signed))
                }
                Err(CoreError::UserVerification(error)) => {
                    let limit = device.record_scan(Err(&error));
                    Err(Outcome::of(&error, limit.scans_left()))
                }
                Err(error) => Err(Some(Outcome::Failed(error.to_string()))),
            }
        },
        move |result| Message::Request(request::Message::Scanned(id.clone(), result)),
    )
}

/// The organisation turned biometrics off: a key enrolled before is removed at the
/// server and here. When the server cannot be reached the local key stays (unused:
/// nothing offers it) and the next start tries again.
async fn turn_off_by_policy(device: &godkend_core::device::Device, enrolled: bool) {
    if !enrolled {
        return;
    }
    match device.disable_biometrics().await {
        Ok(()) => tracing::info!("biometrics turned off by the organisation's policy"),
        Err(e) => {
            tracing::warn!(error = %e, "biometrics are off by policy; the key could not be removed yet");
        }
    }
}
