//! Turns an accepted [`Batch`](fovea_intake::Batch) into canonical events:
//! client clock drift correction, user-agent parsing (bots flagged and, by
//! default, dropped), session sampling by the app's rules, exclusions, PII scrubbing and error grouping.
//! What differs between apps (sampling, scrubbing, user ids) comes with
//! each batch as an [`AppPolicy`].
//!
//! It runs behind the spool, in the writer, so none of this costs the intake
//! request anything. The one exception is [`Geo`], which must run at intake
//! because it needs the client IP, which is never spooled or stored.

mod fingerprint;
mod geo;
mod normalise;
mod policy;
mod replay;
mod scrub;
mod spans;
mod useragent;

pub use fingerprint::{
    custom_fingerprint, fingerprint, normalise_message, route_template, top_frame, ErrorFacts,
    Symbolicate,
};
pub use geo::{Geo, GeoError, Location};
pub use normalise::{Output, Pipeline, PipelineOptions};
pub use policy::{AppPolicy, UserIdMode};
pub use replay::ReplayOutput;
pub use scrub::{placeholder, ScrubError, Scrubber};
pub use useragent::{Agent, UserAgents};
