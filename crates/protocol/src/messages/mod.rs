//! Every message of design.md §4, one file per exchange, and the admin API's bodies.

pub mod activation;
pub mod admin;
pub mod decision;
pub mod device;
pub mod device_request;
pub mod event;
pub mod request;
pub mod rp;
pub mod server;

pub use crate::origin::OriginBinding;
pub use activation::{Activation, ActivationLink, ActivationRequest, ActivationResponse};
pub use admin::{NewActivationBody, NewRpBody, NewUser, RotateKeyBody, RpUpdateBody};
pub use decision::{Decision, DecisionAccepted, DecisionKind};
pub use device::{
    DeviceList, DeviceRevocation, DeviceState, DeviceStatus, DeviceSummary, PendingRequests,
    PinChange, UnlockChallenge, UnlockProof, Unlocked, UserVerificationKey, UvKind,
};
pub use device_request::DeviceRequestHeader;
pub use event::{CloseReason, EventKind, Heartbeat, RequestClosed};
pub use request::{Amount, ApprovalRequest, RequestContext, RequestKind, UserVerification};
pub use rp::{CreateRequest, CreatedRequest, RequestState, RequestStatus, RpResult};
pub use server::{
    KeyRotation, Organisation, ServerInfo, ServerInfoResponse, VersionPolicy, VersionVerdict,
};
