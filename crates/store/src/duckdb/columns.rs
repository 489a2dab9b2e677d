//! The two event tables, column by column: one list per table drives the
//! DDL, the appender and the row decoder, so they cannot drift apart.

use duckdb::types::Value;
use duckdb::Row;
use fovea_schema::{
    ActionEvent, Context, ErrorEvent, Event, EventKind, LongTaskEvent, ResourceEvent, ViewEvent,
};

/// Context columns, shared by both tables, in order.
pub const CONTEXT: &[(&str, &str)] = &[
    ("session_id", "VARCHAR NOT NULL"),
    ("ts", "BIGINT NOT NULL"),
    ("url", "VARCHAR"),
    ("route", "VARCHAR"),
    ("referrer", "VARCHAR"),
    ("env", "VARCHAR"),
    ("release", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("browser", "VARCHAR"),
    ("browser_version", "VARCHAR"),
    ("os", "VARCHAR"),
    ("device", "VARCHAR"),
    ("country", "VARCHAR"),
    ("region", "VARCHAR"),
    ("connection", "VARCHAR"),
    ("viewport", "VARCHAR"),
    ("sdk", "VARCHAR"),
];

pub const VIEW_KEY: &[(&str, &str)] = &[
    ("app", "VARCHAR NOT NULL"),
    ("view_id", "VARCHAR NOT NULL"),
    ("version", "UBIGINT NOT NULL"),
    ("event_id", "UUID NOT NULL"),
];

pub const VIEW_FIELDS: &[(&str, &str)] = &[
    ("loading_type", "VARCHAR"),
    ("ttfb", "DOUBLE"),
    ("fcp", "DOUBLE"),
    ("lcp", "DOUBLE"),
    ("inp", "DOUBLE"),
    ("cls", "DOUBLE"),
    ("dcl", "DOUBLE"),
    ("load", "DOUBLE"),
    ("tti", "DOUBLE"),
    ("dns", "DOUBLE"),
    ("connect", "DOUBLE"),
    ("time_spent", "DOUBLE"),
    ("error_count", "UINTEGER NOT NULL"),
    ("action_count", "UINTEGER NOT NULL"),
    ("resource_count", "UINTEGER NOT NULL"),
    ("long_task_count", "UINTEGER NOT NULL"),
    ("frustration_count", "UINTEGER NOT NULL"),
    ("lcp_element", "VARCHAR"),
    ("lcp_resource_url", "VARCHAR"),
    ("inp_target", "VARCHAR"),
    ("inp_type", "VARCHAR"),
    ("cls_target", "VARCHAR"),
];

pub const EVENT_KEY: &[(&str, &str)] = &[
    ("app", "VARCHAR NOT NULL"),
    ("event_id", "UUID NOT NULL"),
    ("type", "VARCHAR NOT NULL"),
    ("view_id", "VARCHAR"),
];

/// Columns of actions, errors, resources and long tasks; a row fills the
/// ones of its type and leaves the rest NULL (cheap in a columnar store).
pub const EVENT_FIELDS: &[(&str, &str)] = &[
    ("name", "VARCHAR"),
    ("action_type", "VARCHAR"),
    ("target", "VARCHAR"),
    ("x", "DOUBLE"),
    ("y", "DOUBLE"),
    ("frustration", "VARCHAR"),
    ("source", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("message", "VARCHAR"),
    ("stack", "VARCHAR"),
    ("handled", "BOOLEAN"),
    ("fingerprint", "VARCHAR"),
    ("top_frame", "VARCHAR"),
    ("resource_url", "VARCHAR"),
    ("status", "USMALLINT"),
    ("method", "VARCHAR"),
    ("duration", "DOUBLE"),
    ("dns", "DOUBLE"),
    ("connect", "DOUBLE"),
    ("tls", "DOUBLE"),
    ("ttfb", "DOUBLE"),
    ("download", "DOUBLE"),
    ("transfer_size", "UBIGINT"),
    ("encoded_size", "UBIGINT"),
    ("decoded_size", "UBIGINT"),
    ("trace_id", "VARCHAR"),
    ("span_id", "VARCHAR"),
    ("blocking_duration", "DOUBLE"),
    ("script_url", "VARCHAR"),
    ("script_function", "VARCHAR"),
    ("script_invoker", "VARCHAR"),
    ("attrs", "VARCHAR"),
];

pub fn view_columns() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    VIEW_KEY.iter().chain(CONTEXT).chain(VIEW_FIELDS)
}

pub fn event_columns() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    EVENT_KEY.iter().chain(CONTEXT).chain(EVENT_FIELDS)
}

/// `a, b, c` for a SELECT list, optionally qualified with a table alias.
pub fn select_list(
    cols: impl Iterator<Item = &'static (&'static str, &'static str)>,
    alias: &str,
) -> String {
    let dot = if alias.is_empty() {
        String::new()
    } else {
        format!("{alias}.")
    };
    cols.map(|(n, ty)| {
        // UUIDs are read back as text: duckdb-rs has no UUID conversion
        // without a feature that rebuilds DuckDB.
        if ty.starts_with("UUID") {
            format!("CAST({dot}\"{n}\" AS VARCHAR) AS \"{n}\"")
        } else {
            format!("{dot}\"{n}\"")
        }
    })
    .collect::<Vec<_>>()
    .join(", ")
}

fn text(v: &Option<String>) -> Value {
    v.clone().map_or(Value::Null, Value::Text)
}
fn num(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Double)
}
fn big(v: Option<u64>) -> Value {
    v.map_or(Value::Null, Value::UBigInt)
}

fn context_values(c: &Context, out: &mut Vec<Value>) {
    out.extend([
        Value::Text(c.session_id.clone()),
        Value::BigInt(c.ts),
        Value::Text(c.url.clone()),
        Value::Text(c.route.clone()),
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

/// The row of a view, in [`view_columns`] order.
pub fn view_values(e: &Event, v: &ViewEvent) -> Vec<Value> {
    let mut out = Vec::with_capacity(64);
    out.extend([
        Value::Text(e.ctx.app_id.clone()),
        Value::Text(e.ctx.view_id.clone().unwrap_or_default()),
        Value::UBigInt(v.version),
        Value::Text(e.event_id.to_string()),
    ]);
    context_values(&e.ctx, &mut out);
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
        Value::UInt(v.error_count),
        Value::UInt(v.action_count),
        Value::UInt(v.resource_count),
        Value::UInt(v.long_task_count),
        Value::UInt(v.frustration_count),
        text(&v.lcp_element),
        text(&v.lcp_resource_url),
        text(&v.inp_target),
        text(&v.inp_type),
        text(&v.cls_target),
    ]);
    out
}

/// The row of any other event, in [`event_columns`] order.
pub fn event_values(e: &Event) -> Vec<Value> {
    let mut out = Vec::with_capacity(64);
    out.extend([
        Value::Text(e.ctx.app_id.clone()),
        Value::Text(e.event_id.to_string()),
        Value::Text(e.kind.name().to_string()),
        text(&e.ctx.view_id),
    ]);
    context_values(&e.ctx, &mut out);
    let mut f: Vec<Value> = vec![Value::Null; EVENT_FIELDS.len()];
    let mut set = |name: &str, v: Value| {
        let i = EVENT_FIELDS
            .iter()
            .position(|(n, _)| *n == name)
            .expect("known column");
        f[i] = v;
    };
    match &e.kind {
        EventKind::View(_) => unreachable!("views go to the views table"),
        EventKind::Action(a) => {
            set("action_type", Value::Text(a.action_type.clone()));
            set("name", text(&a.name));
            set("target", text(&a.target));
            set("x", num(a.x));
            set("y", num(a.y));
            set("frustration", Value::Text(a.frustration.join(",")));
            set("attrs", text(&a.attrs));
        }
        EventKind::Error(x) => {
            set("source", Value::Text(x.source.clone()));
            set("kind", text(&x.kind));
            set("message", Value::Text(x.message.clone()));
            set("stack", text(&x.stack));
            set("handled", x.handled.map_or(Value::Null, Value::Boolean));
            set("fingerprint", Value::Text(x.fingerprint.clone()));
            set("top_frame", text(&x.top_frame));
            set("resource_url", text(&x.resource_url));
            set("status", x.status.map_or(Value::Null, Value::USmallInt));
            set("attrs", text(&x.attrs));
        }
        EventKind::Resource(r) => {
            set("resource_url", Value::Text(r.resource_url.clone()));
            set("kind", Value::Text(r.kind.clone()));
            set("method", text(&r.method));
            set("status", r.status.map_or(Value::Null, Value::USmallInt));
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
            set("kind", Value::Text(t.kind.clone()));
            set("duration", num(Some(t.duration)));
            set("blocking_duration", num(t.blocking_duration));
            set("script_url", text(&t.script_url));
            set("script_function", text(&t.script_function));
            set("script_invoker", text(&t.script_invoker));
        }
    }
    out.extend(f);
    out
}

/// Reads columns by name from a row selected with [`select_list`].
struct Cols<'r, 's> {
    row: &'r Row<'s>,
}

impl Cols<'_, '_> {
    fn get<T: duckdb::types::FromSql>(&self, name: &str) -> duckdb::Result<T> {
        self.row.get(name)
    }
}

fn context_from(c: &Cols, app: String, view_id: Option<String>) -> duckdb::Result<Context> {
    Ok(Context {
        app_id: app,
        session_id: c.get("session_id")?,
        view_id,
        ts: c.get("ts")?,
        url: c.get::<Option<String>>("url")?.unwrap_or_default(),
        route: c.get::<Option<String>>("route")?.unwrap_or_default(),
        referrer: c.get("referrer")?,
        env: c.get("env")?,
        release: c.get("release")?,
        user_id: c.get("user_id")?,
        browser: c.get("browser")?,
        browser_version: c.get("browser_version")?,
        os: c.get("os")?,
        device: c.get("device")?,
        country: c.get("country")?,
        region: c.get("region")?,
        connection: c.get("connection")?,
        viewport: c.get("viewport")?,
        sdk: c.get("sdk")?,
    })
}

fn uuid_of(s: String) -> duckdb::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(&s).map_err(|e| {
        duckdb::Error::FromSqlConversionFailure(0, duckdb::types::Type::Text, Box::new(e))
    })
}

pub fn view_from_row(row: &Row) -> duckdb::Result<Event> {
    let c = Cols { row };
    Ok(Event {
        event_id: uuid_of(c.get("event_id")?)?,
        ctx: context_from(&c, c.get("app")?, Some(c.get("view_id")?))?,
        kind: EventKind::View(ViewEvent {
            version: c.get("version")?,
            loading_type: c.get("loading_type")?,
            ttfb: c.get("ttfb")?,
            fcp: c.get("fcp")?,
            lcp: c.get("lcp")?,
            inp: c.get("inp")?,
            cls: c.get("cls")?,
            dcl: c.get("dcl")?,
            load: c.get("load")?,
            tti: c.get("tti")?,
            dns: c.get("dns")?,
            connect: c.get("connect")?,
            time_spent: c.get("time_spent")?,
            error_count: c.get("error_count")?,
            action_count: c.get("action_count")?,
            resource_count: c.get("resource_count")?,
            long_task_count: c.get("long_task_count")?,
            frustration_count: c.get("frustration_count")?,
            lcp_element: c.get("lcp_element")?,
            lcp_resource_url: c.get("lcp_resource_url")?,
            inp_target: c.get("inp_target")?,
            inp_type: c.get("inp_type")?,
            cls_target: c.get("cls_target")?,
        }),
    })
}

pub fn event_from_row(row: &Row) -> duckdb::Result<Event> {
    let c = Cols { row };
    let kind = match c.get::<String>("type")?.as_str() {
        "action" => EventKind::Action(ActionEvent {
            action_type: c.get::<Option<String>>("action_type")?.unwrap_or_default(),
            name: c.get("name")?,
            target: c.get("target")?,
            x: c.get("x")?,
            y: c.get("y")?,
            frustration: c
                .get::<Option<String>>("frustration")?
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            attrs: c.get("attrs")?,
        }),
        "error" => EventKind::Error(ErrorEvent {
            source: c.get::<Option<String>>("source")?.unwrap_or_default(),
            kind: c.get("kind")?,
            message: c.get::<Option<String>>("message")?.unwrap_or_default(),
            stack: c.get("stack")?,
            handled: c.get("handled")?,
            resource_url: c.get("resource_url")?,
            status: c.get("status")?,
            fingerprint: c.get::<Option<String>>("fingerprint")?.unwrap_or_default(),
            top_frame: c.get("top_frame")?,
            attrs: c.get("attrs")?,
        }),
        "resource" => EventKind::Resource(ResourceEvent {
            resource_url: c.get::<Option<String>>("resource_url")?.unwrap_or_default(),
            kind: c.get::<Option<String>>("kind")?.unwrap_or_default(),
            method: c.get("method")?,
            status: c.get("status")?,
            duration: c.get("duration")?,
            dns: c.get("dns")?,
            connect: c.get("connect")?,
            tls: c.get("tls")?,
            ttfb: c.get("ttfb")?,
            download: c.get("download")?,
            transfer_size: c.get("transfer_size")?,
            encoded_size: c.get("encoded_size")?,
            decoded_size: c.get("decoded_size")?,
            trace_id: c.get("trace_id")?,
            span_id: c.get("span_id")?,
        }),
        _ => EventKind::LongTask(LongTaskEvent {
            kind: c.get::<Option<String>>("kind")?.unwrap_or_default(),
            duration: c.get::<Option<f64>>("duration")?.unwrap_or_default(),
            blocking_duration: c.get("blocking_duration")?,
            script_url: c.get("script_url")?,
            script_function: c.get("script_function")?,
            script_invoker: c.get("script_invoker")?,
        }),
    };
    Ok(Event {
        event_id: uuid_of(c.get("event_id")?)?,
        ctx: context_from(&c, c.get("app")?, c.get("view_id")?)?,
        kind,
    })
}
