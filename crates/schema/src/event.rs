use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

/// One canonical event: what every intake adapter produces and every store
/// writes. Timestamps are ms since the epoch, already corrected for client
/// clock drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: Uuid,
    pub ctx: Context,
    pub kind: EventKind,
}

/// Where and to whom an event happened; shared by every event type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub app_id: String,
    pub session_id: String,
    pub view_id: Option<String>,
    pub ts: i64,
    /// Page URL with sensitive query values scrubbed.
    pub url: String,
    /// Route or view name used for grouping (defaults to the URL path).
    pub route: String,
    pub referrer: Option<String>,
    pub env: Option<String>,
    pub release: Option<String>,
    pub user_id: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub os: Option<String>,
    /// `desktop`, `mobile`, `tablet` or `bot`.
    pub device: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub connection: Option<String>,
    pub viewport: Option<String>,
    /// `name/version` of the SDK that sent the event.
    pub sdk: Option<String>,
    /// Percent of its sessions the session was kept at (`None`: 100), so
    /// that counts can be extrapolated.
    pub sample_rate: Option<f64>,
    /// The automation signals its browser showed (comma-separated), when
    /// the app keeps automated sessions tagged.
    pub automation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    View(ViewEvent),
    Action(ActionEvent),
    Error(ErrorEvent),
    Resource(ResourceEvent),
    LongTask(LongTaskEvent),
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::View(_) => "view",
            EventKind::Action(_) => "action",
            EventKind::Error(_) => "error",
            EventKind::Resource(_) => "resource",
            EventKind::LongTask(_) => "long_task",
        }
    }
}

/// A page load or SPA route; re-sent with a rising `version` as vitals arrive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewEvent {
    pub version: u64,
    pub loading_type: Option<String>,
    pub ttfb: Option<f64>,
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub inp: Option<f64>,
    pub cls: Option<f64>,
    pub dcl: Option<f64>,
    pub load: Option<f64>,
    pub tti: Option<f64>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub time_spent: Option<f64>,
    pub error_count: u32,
    pub action_count: u32,
    pub resource_count: u32,
    pub long_task_count: u32,
    pub frustration_count: u32,
    pub lcp_element: Option<String>,
    pub lcp_resource_url: Option<String>,
    pub inp_target: Option<String>,
    pub inp_type: Option<String>,
    pub cls_target: Option<String>,
    /// The backend trace of the page load, from the document's
    /// `Server-Timing: traceparent` (initial loads only).
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    /// Where the view's time went (boxed: most events are not views).
    #[serde(flatten)]
    pub phases: Box<ViewPhases>,
    /// Custom context (`setContext`) as a JSON object text (serialised as the object).
    #[serde(serialize_with = "json_text", skip_serializing_if = "Option::is_none")]
    pub attrs: Option<String>,
}

/// Defines [`ViewPhases`] from one list of names, so that the stores can
/// walk its fields by name (one column each) instead of listing them again.
macro_rules! phases {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Breakdowns of a view's timings, ms; each absent where the browser
        /// did not measure it.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        pub struct ViewPhases {
            $($(#[$doc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $name: Option<f64>,)*
        }

        impl ViewPhases {
            /// The fields' names, in declaration order (the stores' column order).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The fields' values, in [`Self::NAMES`] order.
            pub fn values(&self) -> [Option<f64>; Self::NAMES.len()] {
                [$(self.$name),*]
            }

            /// Builds the phases from a lookup by field name.
            pub fn from_fn<E>(mut f: impl FnMut(&'static str) -> Result<Option<f64>, E>) -> Result<Self, E> {
                Ok(Self { $($name: f(stringify!($name))?,)* })
            }
        }
    };
}

phases! {
    /// Page load (Navigation Timing): redirects before the document's request.
    redirect,
    /// From the document's request sent to its first byte.
    request,
    /// From the first byte to the last of the document.
    response,
    /// `domInteractive`: from the navigation's start.
    dom_interactive,
    /// LCP subparts, which add up to the LCP: time to first byte,
    lcp_ttfb,
    /// then until the LCP resource's request starts,
    lcp_load_delay,
    /// its download,
    lcp_load_time,
    /// and until the element is painted.
    lcp_render_delay,
    /// INP phases, which add up to the INP: from the input to its handlers,
    inp_input_delay,
    /// the handlers,
    inp_processing,
    /// and until the next paint.
    inp_presentation,
    /// A route change: from the navigation until the page settled (no DOM
    /// change or request for 100 ms) and painted.
    route_change_duration,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionEvent {
    /// `click` or `custom`.
    pub action_type: String,
    pub name: Option<String>,
    pub target: Option<String>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    /// Any of `rage`, `dead`, `error`.
    pub frustration: Vec<String>,
    /// Custom context as a JSON object text (serialised as the object).
    #[serde(serialize_with = "json_text")]
    pub attrs: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// `source`, `console`, `network`, `resource`, `custom` or `report`.
    pub source: String,
    pub kind: Option<String>,
    pub message: String,
    pub stack: Option<String>,
    pub handled: Option<bool>,
    pub resource_url: Option<String>,
    pub status: Option<u16>,
    /// Groups occurrences of one problem into an issue.
    pub fingerprint: String,
    /// `file:line:col` (and function) of the innermost frame, for display.
    pub top_frame: Option<String>,
    /// Custom context as a JSON object text (serialised as the object).
    #[serde(serialize_with = "json_text")]
    pub attrs: Option<String>,
    /// The trace of the failed request (network errors).
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceEvent {
    pub resource_url: String,
    /// `document`, `fetch`, `xhr`, `script`, `css`, `img`, `font` or `other`.
    pub kind: String,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub duration: Option<f64>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub tls: Option<f64>,
    pub ttfb: Option<f64>,
    pub download: Option<f64>,
    pub transfer_size: Option<u64>,
    pub encoded_size: Option<u64>,
    pub decoded_size: Option<u64>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LongTaskEvent {
    /// `long_task` or `loaf` (Long Animation Frame).
    pub kind: String,
    pub duration: f64,
    pub blocking_duration: Option<f64>,
    pub script_url: Option<String>,
    pub script_function: Option<String>,
    pub script_invoker: Option<String>,
}

/// Writes stored JSON text as JSON, not as a string: `attrs` goes out the
/// way the browser sent it.
fn json_text<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text
        .as_ref()
        .and_then(|t| serde_json::value::RawValue::from_string(t.clone()).ok())
    {
        Some(raw) => raw.serialize(s),
        None => s.serialize_none(),
    }
}

/// [`json_text`] of a column that always holds an object.
pub(crate) fn json_text_required<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    json_text(&Some(text.to_string()), s)
}
