//! The two event tables, column by column, for every backend: one list per
//! table drives each backend's DDL, its row encoder and its row decoder, so
//! they cannot drift apart. A backend maps [`Ty`] to its SQL types, [`Cell`]
//! to its values, and reads rows through [`Row`].

use std::borrow::Cow;
use std::sync::LazyLock;

use fovea_schema::{
    ActionEvent, Context, ErrorEvent, Event, EventKind, LongTaskEvent, ResourceEvent, Span,
    ViewEvent, ViewPhases,
};

/// A column's type, named for what it holds; `Opt*` columns may be NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    OptText,
    Uuid,
    I64,
    U64,
    U32,
    OptU64,
    OptU16,
    OptF64,
    OptBool,
}

pub type Column = (&'static str, Ty);

/// Context columns, shared by both tables, in order.
pub const CONTEXT: &[Column] = &[
    ("session_id", Ty::Text),
    ("ts", Ty::I64),
    ("url", Ty::OptText),
    ("route", Ty::OptText),
    ("referrer", Ty::OptText),
    ("env", Ty::OptText),
    ("release", Ty::OptText),
    ("user_id", Ty::OptText),
    ("browser", Ty::OptText),
    ("browser_version", Ty::OptText),
    ("os", Ty::OptText),
    ("device", Ty::OptText),
    ("country", Ty::OptText),
    ("region", Ty::OptText),
    ("connection", Ty::OptText),
    ("viewport", Ty::OptText),
    ("sdk", Ty::OptText),
];

pub const VIEW_KEY: &[Column] = &[
    ("app", Ty::Text),
    ("view_id", Ty::Text),
    ("version", Ty::U64),
    ("event_id", Ty::Uuid),
];

pub const VIEW_FIELDS: &[Column] = &[
    ("loading_type", Ty::OptText),
    ("ttfb", Ty::OptF64),
    ("fcp", Ty::OptF64),
    ("lcp", Ty::OptF64),
    ("inp", Ty::OptF64),
    ("cls", Ty::OptF64),
    ("dcl", Ty::OptF64),
    ("load", Ty::OptF64),
    ("tti", Ty::OptF64),
    ("dns", Ty::OptF64),
    ("connect", Ty::OptF64),
    ("time_spent", Ty::OptF64),
    ("error_count", Ty::U32),
    ("action_count", Ty::U32),
    ("resource_count", Ty::U32),
    ("long_task_count", Ty::U32),
    ("frustration_count", Ty::U32),
    ("lcp_element", Ty::OptText),
    ("lcp_resource_url", Ty::OptText),
    ("inp_target", Ty::OptText),
    ("inp_type", Ty::OptText),
    ("cls_target", Ty::OptText),
    // Added by a migration: last, where `ADD COLUMN` puts them.
    ("trace_id", Ty::OptText),
    ("span_id", Ty::OptText),
];

pub const EVENT_KEY: &[Column] = &[
    ("app", Ty::Text),
    ("event_id", Ty::Uuid),
    ("type", Ty::Text),
    ("view_id", Ty::OptText),
];

/// Columns of actions, errors, resources and long tasks; a row fills the
/// ones of its type and leaves the rest NULL (cheap in a columnar store).
pub const EVENT_FIELDS: &[Column] = &[
    ("name", Ty::OptText),
    ("action_type", Ty::OptText),
    ("target", Ty::OptText),
    ("x", Ty::OptF64),
    ("y", Ty::OptF64),
    ("frustration", Ty::OptText),
    ("source", Ty::OptText),
    ("kind", Ty::OptText),
    ("message", Ty::OptText),
    ("stack", Ty::OptText),
    ("handled", Ty::OptBool),
    ("fingerprint", Ty::OptText),
    ("top_frame", Ty::OptText),
    ("resource_url", Ty::OptText),
    ("status", Ty::OptU16),
    ("method", Ty::OptText),
    ("duration", Ty::OptF64),
    ("dns", Ty::OptF64),
    ("connect", Ty::OptF64),
    ("tls", Ty::OptF64),
    ("ttfb", Ty::OptF64),
    ("download", Ty::OptF64),
    ("transfer_size", Ty::OptU64),
    ("encoded_size", Ty::OptU64),
    ("decoded_size", Ty::OptU64),
    ("trace_id", Ty::OptText),
    ("span_id", Ty::OptText),
    ("blocking_duration", Ty::OptF64),
    ("script_url", Ty::OptText),
    ("script_function", Ty::OptText),
    ("script_invoker", Ty::OptText),
    ("attrs", Ty::OptText),
];

/// Backend spans, keyed by (app, trace_id, span_id).
pub const SPAN_COLUMNS: &[Column] = &[
    ("app", Ty::Text),
    ("trace_id", Ty::Text),
    ("span_id", Ty::Text),
    ("parent_span_id", Ty::OptText),
    ("ts", Ty::I64),
    ("start_ns", Ty::I64),
    ("duration_ns", Ty::I64),
    ("name", Ty::Text),
    ("service", Ty::Text),
    ("env", Ty::OptText),
    ("kind", Ty::Text),
    ("status", Ty::Text),
    ("status_message", Ty::OptText),
    ("attributes", Ty::Text),
    ("resource", Ty::Text),
];

/// Context columns added by a migration, last in both tables (where `ADD
/// COLUMN` puts them).
pub const CONTEXT_TAIL: &[Column] = &[("sample_rate", Ty::OptF64), ("automation", Ty::OptText)];

/// View columns added by migration 10, after [`CONTEXT_TAIL`]: one per
/// [`ViewPhases`] field, then the custom context.
pub static VIEW_TAIL: LazyLock<Vec<Column>> = LazyLock::new(|| {
    ViewPhases::NAMES
        .iter()
        .map(|n| (*n, Ty::OptF64))
        .chain([("attrs", Ty::OptText)])
        .collect()
});

pub fn view_columns() -> impl Iterator<Item = &'static Column> {
    VIEW_KEY
        .iter()
        .chain(CONTEXT)
        .chain(VIEW_FIELDS)
        .chain(CONTEXT_TAIL)
        .chain(VIEW_TAIL.iter())
}

pub fn event_columns() -> impl Iterator<Item = &'static Column> {
    EVENT_KEY
        .iter()
        .chain(CONTEXT)
        .chain(EVENT_FIELDS)
        .chain(CONTEXT_TAIL)
}

/// One value of a row, before a backend turns it into its own; text is
/// borrowed from the event where it can be (a batch's rows would otherwise
/// copy every string once more).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(Cow<'a, str>),
    Uuid(uuid::Uuid),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

fn text(v: &Option<String>) -> Cell<'_> {
    v.as_deref().map_or(Cell::Null, str_cell)
}
fn str_cell(v: &str) -> Cell<'_> {
    Cell::Text(Cow::Borrowed(v))
}
fn num<'a>(v: Option<f64>) -> Cell<'a> {
    v.map_or(Cell::Null, Cell::F64)
}
fn big<'a>(v: Option<u64>) -> Cell<'a> {
    v.map_or(Cell::Null, Cell::U64)
}

fn context_cells<'a>(c: &'a Context, out: &mut Vec<Cell<'a>>) {
    out.extend([
        str_cell(&c.session_id),
        Cell::I64(c.ts),
        str_cell(&c.url),
        str_cell(&c.route),
        text(&c.referrer),
        text(&c.env),
        text(&c.release),
        text(&c.user_id),
        text(&c.browser),
        text(&c.browser_version),
        text(&c.os),
        text(&c.device),
        text(&c.country),
        text(&c.region),
        text(&c.connection),
        text(&c.viewport),
        text(&c.sdk),
    ]);
}

fn context_tail_cells<'a>(c: &'a Context, out: &mut Vec<Cell<'a>>) {
    out.extend([num(c.sample_rate), text(&c.automation)]);
}

/// The row of a view, in [`view_columns`] order.
pub fn view_cells<'a>(e: &'a Event, v: &'a ViewEvent) -> Vec<Cell<'a>> {
    let mut out = Vec::with_capacity(64);
    out.extend([
        str_cell(&e.ctx.app_id),
        str_cell(crate::batch::view_id(e)),
        Cell::U64(v.version),
        Cell::Uuid(e.event_id),
    ]);
    context_cells(&e.ctx, &mut out);
    out.extend([
        text(&v.loading_type),
        num(v.ttfb),
        num(v.fcp),
        num(v.lcp),
        num(v.inp),
        num(v.cls),
        num(v.dcl),
        num(v.load),
        num(v.tti),
        num(v.dns),
        num(v.connect),
        num(v.time_spent),
        Cell::U64(v.error_count.into()),
        Cell::U64(v.action_count.into()),
        Cell::U64(v.resource_count.into()),
        Cell::U64(v.long_task_count.into()),
        Cell::U64(v.frustration_count.into()),
        text(&v.lcp_element),
        text(&v.lcp_resource_url),
        text(&v.inp_target),
        text(&v.inp_type),
        text(&v.cls_target),
        text(&v.trace_id),
        text(&v.span_id),
    ]);
    context_tail_cells(&e.ctx, &mut out);
    out.extend(v.phases.values().into_iter().map(num));
    out.push(text(&v.attrs));
    out
}

/// The row of any other event, in [`event_columns`] order.
pub fn event_cells(e: &Event) -> Vec<Cell<'_>> {
    let mut out = Vec::with_capacity(64);
    out.extend([
        str_cell(&e.ctx.app_id),
        Cell::Uuid(e.event_id),
        str_cell(e.kind.name()),
        text(&e.ctx.view_id),
    ]);
    context_cells(&e.ctx, &mut out);
    let mut f: Vec<Cell> = vec![Cell::Null; EVENT_FIELDS.len()];
    let mut set = |name: &str, v| {
        let i = EVENT_FIELDS
            .iter()
            .position(|(n, _)| *n == name)
            .expect("known column");
        f[i] = v;
    };
    let status = |s: Option<u16>| s.map_or(Cell::Null, |s| Cell::U64(s.into()));
    match &e.kind {
        EventKind::View(_) => unreachable!("views go to the views table"),
        EventKind::Action(a) => {
            set("action_type", str_cell(&a.action_type));
            set("name", text(&a.name));
            set("target", text(&a.target));
            set("x", num(a.x));
            set("y", num(a.y));
            set(
                "frustration",
                Cell::Text(Cow::Owned(a.frustration.join(","))),
            );
            set("attrs", text(&a.attrs));
        }
        EventKind::Error(x) => {
            set("source", str_cell(&x.source));
            set("kind", text(&x.kind));
            set("message", str_cell(&x.message));
            set("stack", text(&x.stack));
            set("handled", x.handled.map_or(Cell::Null, Cell::Bool));
            set("fingerprint", str_cell(&x.fingerprint));
            set("top_frame", text(&x.top_frame));
            set("resource_url", text(&x.resource_url));
            set("status", status(x.status));
            set("attrs", text(&x.attrs));
            set("trace_id", text(&x.trace_id));
            set("span_id", text(&x.span_id));
        }
        EventKind::Resource(r) => {
            set("resource_url", str_cell(&r.resource_url));
            set("kind", str_cell(&r.kind));
            set("method", text(&r.method));
            set("status", status(r.status));
            set("duration", num(r.duration));
            set("dns", num(r.dns));
            set("connect", num(r.connect));
            set("tls", num(r.tls));
            set("ttfb", num(r.ttfb));
            set("download", num(r.download));
            set("transfer_size", big(r.transfer_size));
            set("encoded_size", big(r.encoded_size));
            set("decoded_size", big(r.decoded_size));
            set("trace_id", text(&r.trace_id));
            set("span_id", text(&r.span_id));
        }
        EventKind::LongTask(t) => {
            set("kind", str_cell(&t.kind));
            set("duration", num(Some(t.duration)));
            set("blocking_duration", num(t.blocking_duration));
            set("script_url", text(&t.script_url));
            set("script_function", text(&t.script_function));
            set("script_invoker", text(&t.script_invoker));
        }
    }
    out.extend(f);
    context_tail_cells(&e.ctx, &mut out);
    out
}

/// The row of a span, in [`SPAN_COLUMNS`] order.
pub fn span_cells(s: &Span) -> Vec<Cell<'_>> {
    vec![
        str_cell(&s.app_id),
        str_cell(&s.trace_id),
        str_cell(&s.span_id),
        text(&s.parent_span_id),
        Cell::I64(s.ts()),
        Cell::I64(s.start_ns),
        Cell::I64(s.duration_ns),
        str_cell(&s.name),
        str_cell(&s.service),
        text(&s.env),
        str_cell(&s.kind),
        str_cell(&s.status),
        text(&s.status_message),
        str_cell(&s.attributes),
        str_cell(&s.resource),
    ]
}

/// A row read back, by column name; each backend implements it over its
/// own row type.
pub trait Row {
    type Error;
    fn text(&self, name: &str) -> Result<Option<String>, Self::Error>;
    fn i64(&self, name: &str) -> Result<Option<i64>, Self::Error>;
    fn u64(&self, name: &str) -> Result<Option<u64>, Self::Error>;
    fn f64(&self, name: &str) -> Result<Option<f64>, Self::Error>;
    fn bool(&self, name: &str) -> Result<Option<bool>, Self::Error>;
    /// An error for a value the row holds but Fovea cannot read.
    fn invalid(&self, name: &str, why: String) -> Self::Error;
}

fn req<R: Row, T>(r: &R, name: &str, v: Option<T>) -> Result<T, R::Error> {
    v.ok_or_else(|| r.invalid(name, "unexpected NULL".into()))
}

fn text_or_empty<R: Row>(r: &R, name: &str) -> Result<String, R::Error> {
    Ok(r.text(name)?.unwrap_or_default())
}

fn u32_of<R: Row>(r: &R, name: &str) -> Result<u32, R::Error> {
    let v = req(r, name, r.u64(name)?)?;
    u32::try_from(v).map_err(|e| r.invalid(name, e.to_string()))
}

fn u16_of<R: Row>(r: &R, name: &str) -> Result<Option<u16>, R::Error> {
    r.u64(name)?
        .map(|v| u16::try_from(v).map_err(|e| r.invalid(name, e.to_string())))
        .transpose()
}

fn uuid_of<R: Row>(r: &R, name: &str) -> Result<uuid::Uuid, R::Error> {
    let s = req(r, name, r.text(name)?)?;
    uuid::Uuid::parse_str(&s).map_err(|e| r.invalid(name, e.to_string()))
}

fn context_from<R: Row>(r: &R, view_id: Option<String>) -> Result<Context, R::Error> {
    Ok(Context {
        app_id: req(r, "app", r.text("app")?)?,
        session_id: req(r, "session_id", r.text("session_id")?)?,
        view_id,
        ts: req(r, "ts", r.i64("ts")?)?,
        url: text_or_empty(r, "url")?,
        route: text_or_empty(r, "route")?,
        referrer: r.text("referrer")?,
        env: r.text("env")?,
        release: r.text("release")?,
        user_id: r.text("user_id")?,
        browser: r.text("browser")?,
        browser_version: r.text("browser_version")?,
        os: r.text("os")?,
        device: r.text("device")?,
        country: r.text("country")?,
        region: r.text("region")?,
        connection: r.text("connection")?,
        viewport: r.text("viewport")?,
        sdk: r.text("sdk")?,
        sample_rate: r.f64("sample_rate")?,
        automation: r.text("automation")?,
    })
}

/// A view from a row holding [`view_columns`].
pub fn view_from<R: Row>(r: &R) -> Result<Event, R::Error> {
    Ok(Event {
        event_id: uuid_of(r, "event_id")?,
        ctx: context_from(r, Some(text_or_empty(r, "view_id")?))?,
        kind: EventKind::View(ViewEvent {
            version: req(r, "version", r.u64("version")?)?,
            loading_type: r.text("loading_type")?,
            ttfb: r.f64("ttfb")?,
            fcp: r.f64("fcp")?,
            lcp: r.f64("lcp")?,
            inp: r.f64("inp")?,
            cls: r.f64("cls")?,
            dcl: r.f64("dcl")?,
            load: r.f64("load")?,
            tti: r.f64("tti")?,
            dns: r.f64("dns")?,
            connect: r.f64("connect")?,
            time_spent: r.f64("time_spent")?,
            error_count: u32_of(r, "error_count")?,
            action_count: u32_of(r, "action_count")?,
            resource_count: u32_of(r, "resource_count")?,
            long_task_count: u32_of(r, "long_task_count")?,
            frustration_count: u32_of(r, "frustration_count")?,
            lcp_element: r.text("lcp_element")?,
            lcp_resource_url: r.text("lcp_resource_url")?,
            inp_target: r.text("inp_target")?,
            inp_type: r.text("inp_type")?,
            cls_target: r.text("cls_target")?,
            trace_id: r.text("trace_id")?,
            span_id: r.text("span_id")?,
            phases: Box::new(ViewPhases::from_fn(|n| r.f64(n))?),
            attrs: r.text("attrs")?,
        }),
    })
}

/// A span from a row holding [`SPAN_COLUMNS`].
pub fn span_from<R: Row>(r: &R) -> Result<Span, R::Error> {
    Ok(Span {
        app_id: req(r, "app", r.text("app")?)?,
        trace_id: text_or_empty(r, "trace_id")?,
        span_id: text_or_empty(r, "span_id")?,
        parent_span_id: r.text("parent_span_id")?,
        name: text_or_empty(r, "name")?,
        service: text_or_empty(r, "service")?,
        env: r.text("env")?,
        kind: text_or_empty(r, "kind")?,
        start_ns: req(r, "start_ns", r.i64("start_ns")?)?,
        duration_ns: req(r, "duration_ns", r.i64("duration_ns")?)?,
        status: text_or_empty(r, "status")?,
        status_message: r.text("status_message")?,
        attributes: text_or_empty(r, "attributes")?,
        resource: text_or_empty(r, "resource")?,
    })
}

/// Any other event from a row holding [`event_columns`].
pub fn event_from<R: Row>(r: &R) -> Result<Event, R::Error> {
    let kind = match text_or_empty(r, "type")?.as_str() {
        "action" => EventKind::Action(ActionEvent {
            action_type: text_or_empty(r, "action_type")?,
            name: r.text("name")?,
            target: r.text("target")?,
            x: r.f64("x")?,
            y: r.f64("y")?,
            frustration: text_or_empty(r, "frustration")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            attrs: r.text("attrs")?,
        }),
        "error" => EventKind::Error(ErrorEvent {
            source: text_or_empty(r, "source")?,
            kind: r.text("kind")?,
            message: text_or_empty(r, "message")?,
            stack: r.text("stack")?,
            handled: r.bool("handled")?,
            resource_url: r.text("resource_url")?,
            status: u16_of(r, "status")?,
            fingerprint: text_or_empty(r, "fingerprint")?,
            top_frame: r.text("top_frame")?,
            attrs: r.text("attrs")?,
            trace_id: r.text("trace_id")?,
            span_id: r.text("span_id")?,
        }),
        "resource" => EventKind::Resource(ResourceEvent {
            resource_url: text_or_empty(r, "resource_url")?,
            kind: text_or_empty(r, "kind")?,
            method: r.text("method")?,
            status: u16_of(r, "status")?,
            duration: r.f64("duration")?,
            dns: r.f64("dns")?,
            connect: r.f64("connect")?,
            tls: r.f64("tls")?,
            ttfb: r.f64("ttfb")?,
            download: r.f64("download")?,
            transfer_size: r.u64("transfer_size")?,
            encoded_size: r.u64("encoded_size")?,
            decoded_size: r.u64("decoded_size")?,
            trace_id: r.text("trace_id")?,
            span_id: r.text("span_id")?,
        }),
        _ => EventKind::LongTask(LongTaskEvent {
            kind: text_or_empty(r, "kind")?,
            duration: r.f64("duration")?.unwrap_or_default(),
            blocking_duration: r.f64("blocking_duration")?,
            script_url: r.text("script_url")?,
            script_function: r.text("script_function")?,
            script_invoker: r.text("script_invoker")?,
        }),
    };
    Ok(Event {
        event_id: uuid_of(r, "event_id")?,
        ctx: context_from(r, r.text("view_id")?)?,
        kind,
    })
}
