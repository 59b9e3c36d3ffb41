//! A small SIP user agent on tokio: the sans-IO [`sip_dialog::DialogLayer`] driven from a
//! [`sip_transport::TransportLayer`]. It is the example and test helper of the Carillon
//! stack (the `carillon-ua` binary runs it against SIPp, PJSIP and WebSocket clients), not
//! the server: one listener, one task, no routing, no registration, no authentication.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sip_dialog::{Answer, DialogEvent};
//! use sip_ua::{Listen, UaConfig, UserAgent};
//!
//! let mut ua = UserAgent::start(UaConfig::new("udp:127.0.0.1:5060".parse::<Listen>()?)).await?;
//! while let Some(event) = ua.next_event().await {
//!     if let DialogEvent::Request { id, .. } = event {
//!         ua.answer(id, Answer::new(200)).await?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! | module  | what |
//! |---------|------|
//! | `agent` | [`UserAgent`]: the driver task, commands, events |
//! | `listen`| [`Listen`]: `udp:ADDR:PORT`, `tcp:..`, `tls:ADDR:PORT:CERT:KEY`, `ws:..` |
//! | `media` | [`Media`]: the minimal SDP offer and answer, on a held UDP port |

mod agent;
mod listen;
mod media;

pub use agent::{StartError, UaConfig, UaError, UserAgent, peer_for_uri};
pub use listen::{Listen, ListenParseError};
pub use media::Media;
