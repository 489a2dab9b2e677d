use std::borrow::Cow;

use fovea_intake::{Batch, IntakeError, Limits};
use fovea_schema::truncate as cap;
use fovea_schema::wire::{Text, WireEvent, WireHeader, WireType};
use fovea_schema::{
    ActionEvent, Context, ErrorEvent, Event, EventKind, LongTaskEvent, ResourceEvent, ViewEvent,
    ViewPhases,
};
use uuid::Uuid;

use crate::fingerprint::{
    custom_fingerprint, fingerprint, route_template, top_frame, ErrorFacts, Symbolicate,
};
use fovea_schema::sampling::{keep_session, BotPolicy, SessionFacts};

use crate::{Agent, AppPolicy, Scrubber, UserAgents};

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Drop events from agents uap-core classifies as spiders.
    pub exclude_bots: bool,
    pub limits: Limits,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            exclude_bots: true,
            limits: Limits::default(),
        }
    }
}

#[derive(Debug)]
pub struct Pipeline {
    pub(crate) options: PipelineOptions,
    pub(crate) agents: UserAgents,
    symbols: Option<std::sync::Arc<dyn Symbolicate>>,
}

impl std::fmt::Debug for dyn Symbolicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Symbolicate")
    }
}

/// The events to store and what was left out.
#[derive(Debug, Default)]
pub struct Output {
    pub events: Vec<Event>,
    pub bots: usize,
    pub sampled_out: usize,
    /// Left out by the app's excluded envs and routes.
    pub excluded: usize,
}

/// The automation signals of a batch: those its SDK reports (known-looking
/// names only, at most 8) and `user_agent` when uap-core lists the agent
/// as a bot; `None` when there are none.
fn automation(header: &WireHeader, agent: Option<&Agent>) -> Option<String> {
    let reported = header.context.iter().flat_map(|c| &c.automation);
    let signals: Vec<&str> = reported
        .map(String::as_str)
        .filter(|s| {
            (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .take(8)
        .chain(agent.filter(|a| a.is_bot()).map(|_| "user_agent"))
        .collect();
    (!signals.is_empty()).then(|| signals.join(","))
}

/// A client clock more than this far off is corrected.
const MAX_DRIFT_MS: f64 = 1000.0;

// Caps on stored strings, so one odd client cannot bloat the store.
const URL_CAP: usize = 2048;
const TEXT_CAP: usize = 512;
const MESSAGE_CAP: usize = 4096;
const STACK_CAP: usize = 32 << 10;
const ATTRS_CAP: usize = 8 << 10;

impl Pipeline {
    pub fn new(options: PipelineOptions) -> Pipeline {
        Pipeline {
            options,
            agents: UserAgents::new(),
            symbols: None,
        }
    }

    /// Symbolicates error stacks (before they are grouped) with `symbols`.
    pub fn with_symbolicator(mut self, symbols: std::sync::Arc<dyn Symbolicate>) -> Pipeline {
        self.symbols = Some(symbols);
        self
    }

    /// What uap-core makes of a user agent.
    pub fn agent(&self, user_agent: &str) -> Agent {
        self.agents.parse(user_agent)
    }

    /// Whether a batch is dropped as automated: a listed bot's user agent
    /// always is, automation signals when the app says so; neither with
    /// `--keep-bots`.
    pub(crate) fn drops_bot(&self, app: &AppPolicy, listed: bool, signals: bool) -> bool {
        self.options.exclude_bots && (listed || (signals && app.traffic.bots == BotPolicy::Drop))
    }

    /// Normalises one spooled batch of the app whose settings are `app`:
    /// sessions from automated browsers dropped or tagged, excluded envs
    /// and routes dropped, sessions sampled by the app's rules, every text
    /// field that can carry personal data scrubbed by `app.scrubber`, user
    /// ids kept, hashed or dropped as `app.user_id` says.
    pub fn process(&self, batch: &Batch, app: &AppPolicy) -> Result<Output, IntakeError> {
        let (header, wire) = fovea_intake::parse(batch.format, &batch.body, &self.options.limits)?;
        let agent = batch
            .meta
            .user_agent
            .as_deref()
            .map(|ua| self.agents.parse(ua));
        let automation = automation(&header, agent.as_ref());
        let listed = agent.as_ref().is_some_and(Agent::is_bot);
        if self.drops_bot(app, listed, automation.is_some()) {
            return Ok(Output {
                bots: wire.len(),
                ..Output::default()
            });
        }
        let traffic = &app.traffic;
        // The SDK's own decision (from these rules); a declared rate is
        // capped by what the rules can give, a key page honoured only
        // where the app has one.
        let declared = header.session.as_ref().and_then(|s| {
            if s.key && traffic.has_key_pages() {
                return Some(100.0);
            }
            let rate = s.rate.filter(|r| r.is_finite())?;
            Some(rate.clamp(0.0, traffic.max_session_rate()))
        });
        let drift = drift(batch.meta.received_at, header.sent_at);
        let mut out = Output::default();
        for w in wire {
            let mut ctx = self.context(batch, &header, &w, agent.as_ref(), drift, app);
            if traffic.env_excluded(ctx.env.as_deref()) || traffic.route_excluded(&ctx.route) {
                out.excluded += 1;
                continue;
            }
            let rate = declared.unwrap_or_else(|| {
                let d = traffic.decide(&SessionFacts {
                    route: &ctx.route,
                    env: ctx.env.as_deref(),
                    release: ctx.release.as_deref(),
                    device: ctx.device.as_deref(),
                    country: ctx.country.as_deref(),
                });
                if d.keep {
                    100.0
                } else {
                    d.session_rate
                }
            });
            if !keep_session(&ctx.session_id, rate) {
                out.sampled_out += 1;
                continue;
            }
            ctx.sample_rate = (rate < 100.0).then_some(rate);
            ctx.automation.clone_from(&automation);
            let Some(event_id) = w
                .event_id
                .as_deref()
                .and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue; // validated at intake; unreachable for spooled batches
            };
            let kind = self.kind(w, &ctx, &app.scrubber);
            out.events.push(Event {
                event_id,
                ctx,
                kind,
            });
        }
        Ok(out)
    }

    fn context(
        &self,
        batch: &Batch,
        header: &WireHeader,
        w: &WireEvent,
        agent: Option<&Agent>,
        drift: f64,
        app: &AppPolicy,
    ) -> Context {
        let scrub = &app.scrubber;
        let hctx = header.context.as_ref();
        let session = header.session.as_ref();
        let pick = |own: &Option<Text>, shared: Option<&Option<String>>| {
            owned(own)
                .or_else(|| shared.and_then(Clone::clone))
                .map(|s| cap(s, TEXT_CAP))
        };
        let url = w
            .url
            .as_deref()
            .map(|u| cap(scrub.url(u).into_owned(), URL_CAP))
            .unwrap_or_default();
        // Scrubbed like the URL, so that a route that is the URL's path
        // still matches it.
        let route = route_of(w.route.as_deref().map(|r| scrub.url(r)).as_deref(), &url);
        Context {
            app_id: batch.meta.app_id.clone(),
            session_id: owned(&w.session_id)
                .or_else(|| session.and_then(|s| s.id.clone()))
                .unwrap_or_default(),
            view_id: owned(&w.view_id),
            ts: (w.ts.unwrap_or(received_fallback(batch)) + drift).round() as i64,
            url,
            route,
            referrer: w
                .referrer
                .as_deref()
                .map(|r| cap(scrub.url(r).into_owned(), URL_CAP)),
            env: pick(&w.env, hctx.map(|c| &c.env)),
            release: pick(&w.release, hctx.map(|c| &c.release)),
            // Not scrubbed: an email as the id would count every user as
            // one. Apps whose ids are personal data hash them.
            user_id: owned(&w.user_id)
                .or_else(|| hctx.and_then(|c| c.user_id.clone()))
                .or_else(|| session.and_then(|s| s.user_id.clone()))
                .and_then(|id| app.user_id.apply(id))
                .map(|id| cap(id, TEXT_CAP)),
            browser: agent.and_then(|a| a.browser.clone()),
            browser_version: agent.and_then(|a| a.browser_version.clone()),
            os: agent.and_then(|a| a.os.clone()),
            device: agent.map(|a| a.device.to_string()),
            country: batch.meta.country.clone(),
            region: batch.meta.region.clone(),
            connection: pick(&w.connection, hctx.map(|c| &c.connection)),
            viewport: pick(&w.viewport, hctx.map(|c| &c.viewport)),
            sdk: header.sdk.as_ref().map(|s| {
                cap(
                    format!(
                        "{}/{}",
                        s.name.as_deref().unwrap_or("unknown"),
                        s.version.as_deref().unwrap_or("")
                    ),
                    TEXT_CAP,
                )
            }),
            sample_rate: None,
            automation: None,
        }
    }

    /// The event's own fields. Every field a page fills with free text
    /// (messages, stacks, selectors, names, URLs, attributes) is scrubbed;
    /// `text` is for the fields that name a fixed set of things (types,
    /// methods, `source`) or a build (`release`).
    fn kind(&self, w: WireEvent, ctx: &Context, scrub: &Scrubber) -> EventKind {
        let text = |s: Option<Text>| s.map(|s| cap(s.into_owned(), TEXT_CAP));
        let free = |s: Option<Text>| s.map(|s| cap(scrubbed(s.0, |t| scrub.text(t)), TEXT_CAP));
        let url = |s: Option<Text>| s.map(|s| cap(scrubbed(s.0, |t| scrub.url(t)), URL_CAP));
        let phase = |v: Option<f64>| v.filter(|v| v.is_finite() && (0.0..1e7).contains(v));
        let attrs = |a: Option<&serde_json::value::RawValue>| {
            a.map(serde_json::value::RawValue::get)
                .filter(|a| a.starts_with('{') && a.len() <= ATTRS_CAP)
                .map(|a| scrubbed(a.into(), |t| scrub.json(t)))
        };
        match w.kind.unwrap_or(WireType::Error) {
            // A breakdown the browser got wrong is left out; the view stays.
            WireType::View => EventKind::View(ViewEvent {
                version: w.version.unwrap_or(0),
                loading_type: text(w.loading_type),
                ttfb: w.ttfb,
                fcp: w.fcp,
                lcp: w.lcp,
                inp: w.inp,
                cls: w.cls,
                dcl: w.dcl,
                load: w.load,
                tti: w.tti,
                dns: w.dns,
                connect: w.connect,
                time_spent: w.time_spent,
                error_count: w.error_count.unwrap_or(0),
                action_count: w.action_count.unwrap_or(0),
                resource_count: w.resource_count.unwrap_or(0),
                long_task_count: w.long_task_count.unwrap_or(0),
                frustration_count: w.frustration_count.unwrap_or(0),
                lcp_element: free(w.lcp_element),
                lcp_resource_url: url(w.lcp_resource_url),
                inp_target: free(w.inp_target),
                inp_type: text(w.inp_type),
                cls_target: free(w.cls_target),
                trace_id: trace_id(w.trace_id),
                span_id: span_id(w.span_id),
                phases: Box::new(ViewPhases {
                    redirect: phase(w.redirect),
                    request: phase(w.request),
                    response: phase(w.response),
                    dom_interactive: phase(w.dom_interactive),
                    lcp_ttfb: phase(w.lcp_ttfb),
                    lcp_load_delay: phase(w.lcp_load_delay),
                    lcp_load_time: phase(w.lcp_load_time),
                    lcp_render_delay: phase(w.lcp_render_delay),
                    inp_input_delay: phase(w.inp_input_delay),
                    inp_processing: phase(w.inp_processing),
                    inp_presentation: phase(w.inp_presentation),
                    route_change_duration: phase(w.route_change_duration),
                }),
                attrs: attrs(w.attrs),
            }),
            WireType::Action => EventKind::Action(ActionEvent {
                action_type: text(w.action_type).unwrap_or_default(),
                name: free(w.name),
                target: free(w.target),
                x: w.x,
                y: w.y,
                frustration: w
                    .frustration
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|f| matches!(&**f, "rage" | "dead" | "error"))
                    .map(Text::into_owned)
                    .collect(),
                attrs: attrs(w.attrs),
            }),
            WireType::Error => {
                let message = w.message.unwrap_or_default();
                let message = cap(scrubbed(message.0, |t| scrub.text(t)), MESSAGE_CAP);
                let stack = w
                    .stack
                    .map(|s| cap(scrubbed(s.0, |t| scrub.text(t)), STACK_CAP));
                let resource_url = url(w.resource_url);
                // The error's class, normally (`TypeError`), but a page can
                // put anything there, and the pre-checks make it free.
                let kind = free(w.subkind);
                let source = w
                    .source
                    .map_or_else(|| "source".to_string(), |s| cap(s.into_owned(), TEXT_CAP));
                let frames = stack
                    .as_deref()
                    .map(fovea_symbolicate::parse)
                    .unwrap_or_default();
                let frames = match &self.symbols {
                    Some(s) if !frames.is_empty() => {
                        s.symbolicate(&ctx.app_id, ctx.release.as_deref(), frames)
                    }
                    _ => frames,
                };
                let custom = w
                    .fingerprint
                    .as_deref()
                    .map(str::trim)
                    .filter(|f| !f.is_empty());
                EventKind::Error(ErrorEvent {
                    fingerprint: match custom {
                        Some(key) => custom_fingerprint(&cap(key.to_string(), TEXT_CAP)),
                        None => fingerprint(&ErrorFacts {
                            kind: kind.as_deref(),
                            message: &message,
                            frames: &frames,
                            resource_url: resource_url.as_deref(),
                            status: w.status,
                            source: &source,
                        }),
                    },
                    top_frame: top_frame(&frames),
                    source,
                    kind,
                    message,
                    stack,
                    handled: w.handled,
                    resource_url,
                    status: w.status,
                    attrs: attrs(w.attrs),
                    trace_id: trace_id(w.trace_id),
                    span_id: span_id(w.span_id),
                })
            }
            WireType::Resource => EventKind::Resource(ResourceEvent {
                resource_url: url(w.resource_url).unwrap_or_default(),
                kind: w
                    .subkind
                    .map_or_else(|| "other".to_string(), |k| cap(k.into_owned(), TEXT_CAP)),
                method: text(w.method),
                status: w.status,
                duration: w.duration,
                dns: w.dns,
                connect: w.connect,
                tls: w.tls,
                ttfb: w.ttfb,
                download: w.download,
                transfer_size: w.transfer_size,
                encoded_size: w.encoded_size,
                decoded_size: w.decoded_size,
                trace_id: trace_id(w.trace_id),
                span_id: span_id(w.span_id),
            }),
            WireType::LongTask => EventKind::LongTask(LongTaskEvent {
                kind: w.subkind.map_or_else(
                    || "long_task".to_string(),
                    |k| cap(k.into_owned(), TEXT_CAP),
                ),
                duration: w.duration.unwrap_or(0.0),
                blocking_duration: w.blocking_duration,
                script_url: url(w.script_url),
                script_function: free(w.script_function),
                script_invoker: free(w.script_invoker),
            }),
        }
    }
}

/// How far the client's clock is behind the server's (ms), when that is
/// more than [`MAX_DRIFT_MS`]; 0 otherwise.
pub(crate) fn drift(received_at: i64, sent_at: Option<f64>) -> f64 {
    sent_at
        // A send time that is no time at all corrects nothing (and must
        // not overflow the shifted timestamps).
        .filter(|sent| (0.0..fovea_schema::wire::MAX_TS).contains(sent))
        .map(|sent| received_at as f64 - sent)
        .filter(|d| d.abs() > MAX_DRIFT_MS)
        .unwrap_or(0.0)
}

/// A trace id as sent, lowercased; dropped unless it is a valid W3C id, so
/// the join to backend spans never matches on garbage.
fn trace_id(id: Option<Text>) -> Option<String> {
    id.map(|i| i.to_ascii_lowercase())
        .filter(|i| fovea_schema::is_trace_id(i))
}

fn span_id(id: Option<Text>) -> Option<String> {
    id.map(|i| i.to_ascii_lowercase())
        .filter(|i| fovea_schema::is_span_id(i))
}

/// A field's text as the event keeps it, when it is given.
fn owned(s: &Option<Text>) -> Option<String> {
    s.as_deref().map(str::to_string)
}

/// `s` scrubbed, keeping its allocation (if it has one) when there was
/// nothing to scrub.
fn scrubbed(s: Cow<str>, scrub: impl for<'a> FnOnce(&'a str) -> Cow<'a, str>) -> String {
    let changed = match scrub(&s) {
        Cow::Owned(o) => Some(o),
        Cow::Borrowed(_) => None,
    };
    changed.unwrap_or_else(|| s.into_owned())
}

fn received_fallback(batch: &Batch) -> f64 {
    batch.meta.received_at as f64
}

/// A view's route: the name the page gave, or, when it gave none or just
/// the URL's path (or path and `#/` route: the SDK's default), that path's
/// template (`/orders/42` → `/orders/:id`), so that views group by route
/// without configuration. The URL keeps the ids.
fn route_of(given: Option<&str>, url: &str) -> String {
    let path = path_of(url);
    match given {
        None => route_template(path),
        Some(r) if r == path => route_template(r),
        Some(r)
            if r.strip_prefix(path)
                .is_some_and(|hash| hash.starts_with('#') && url.contains(hash)) =>
        {
            route_template(r)
        }
        Some(r) => cap(r.to_string(), TEXT_CAP),
    }
}

/// The path of a URL, for the default route: `https://a/b/c?x` → `/b/c`.
fn path_of(url: &str) -> &str {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    match no_query.find("://") {
        Some(i) => {
            let rest = &no_query[i + 3..];
            rest.find('/').map_or("/", |p| &rest[p..])
        }
        None if no_query.is_empty() => "/",
        None => no_query,
    }
}

#[cfg(test)]
mod tests {
    use fovea_intake::{BatchMeta, Format};

    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    fn batch(body: &str, ua: &str) -> Batch {
        Batch {
            meta: BatchMeta {
                app_id: "app".into(),
                received_at: 1_000_000,
                user_agent: Some(ua.into()),
                country: Some("FR".into()),
                region: None,
            },
            format: Format::Json,
            body: body.as_bytes().to_vec(),
        }
    }

    const BODY: &str = r#"{"sdk":{"name":"fovea-browser","version":"0.1.0"},
        "session":{"id":"s1","user_id":"u1"},"context":{"env":"prod","release":"1.2"},
        "sent_at":400000,
        "events":[
          {"type":"view","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":399000,"view_id":"v1",
           "version":2,"url":"https://shop.example/cart?token=abc#x","lcp":1800,"inp_target":"button#buy"},
          {"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c11","ts":399500,"view_id":"v1",
           "url":"https://shop.example/cart","message":"mail bob@example.com failed","kind":"TypeError",
           "stack":"TypeError: x\n    at buy (https://shop.example/app.js:1:2)","release":"1.3"}
        ]}"#;

    #[test]
    fn a_batch_becomes_enriched_scrubbed_canonical_events() {
        let p = Pipeline::new(PipelineOptions::default());
        let out = p
            .process(&batch(BODY, CHROME), &AppPolicy::default())
            .unwrap();
        assert_eq!(out.events.len(), 2);
        let view = &out.events[0];
        // The client clock was 600 s behind: ts is shifted by the drift.
        assert_eq!(view.ctx.ts, 999_000);
        assert_eq!(view.ctx.url, "https://shop.example/cart?token=[redacted]#x");
        assert_eq!(view.ctx.route, "/cart");
        assert_eq!(view.ctx.browser.as_deref(), Some("Chrome"));
        assert_eq!(view.ctx.device.as_deref(), Some("desktop"));
        assert_eq!(view.ctx.country.as_deref(), Some("FR"));
        assert_eq!(view.ctx.user_id.as_deref(), Some("u1"));
        assert_eq!(view.ctx.release.as_deref(), Some("1.2"));
        assert_eq!(view.ctx.sdk.as_deref(), Some("fovea-browser/0.1.0"));
        let EventKind::View(v) = &view.kind else {
            panic!("not a view")
        };
        assert_eq!((v.version, v.lcp), (2, Some(1800.0)));
        let err = &out.events[1];
        assert_eq!(
            err.ctx.release.as_deref(),
            Some("1.3"),
            "the event's own field wins"
        );
        let EventKind::Error(e) = &err.kind else {
            panic!("not an error")
        };
        assert_eq!(e.message, "mail [redacted] failed");
        assert_eq!(
            e.top_frame.as_deref(),
            Some("buy (https://shop.example/app.js:1:2)")
        );
        assert_eq!(e.fingerprint.len(), 16);
    }

    #[test]
    fn bots_are_dropped_and_sampling_is_per_session() {
        let p = Pipeline::new(PipelineOptions::default());
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let out = p.process(&batch(BODY, bot), &AppPolicy::default()).unwrap();
        assert_eq!((out.events.len(), out.bots), (0, 2));
        let none = AppPolicy::sampled_at(0.0);
        let out = p.process(&batch(BODY, CHROME), &none).unwrap();
        assert_eq!((out.events.len(), out.sampled_out), (0, 2));
    }

    fn rules(json: &str) -> AppPolicy {
        AppPolicy {
            traffic: std::sync::Arc::new(serde_json::from_str(json).unwrap()),
            ..AppPolicy::default()
        }
    }

    /// `s1` is in bucket 3449: kept at 35 %, not at 30 %.
    fn kept(p: &Pipeline, body: &str, app: &AppPolicy) -> Output {
        p.process(&batch(body, CHROME), app).unwrap()
    }

    #[test]
    fn sessions_without_a_decision_get_the_first_matching_rule() {
        let p = Pipeline::new(PipelineOptions::default());
        // The view's route is /cart; prod and FR come from the header and the address.
        let app = rules(
            r#"{"rules":[{"match":{"route":"/cart","env":"dev"},"session_rate":100},
                         {"match":{"route":"/ca*","country":"fr"},"session_rate":35}],
                "default":{"session_rate":0}}"#,
        );
        let out = kept(&p, BODY, &app);
        assert_eq!(out.events.len(), 2);
        assert_eq!(out.events[0].ctx.sample_rate, Some(35.0));
        let app = rules(
            r#"{"rules":[{"match":{"route":"/ca*"},"session_rate":30}],"default":{"session_rate":100}}"#,
        );
        assert_eq!(kept(&p, BODY, &app).sampled_out, 2);
        // A key page keeps whatever the rate, at 100 %.
        let app = rules(
            r#"{"rules":[{"match":{"route":"/cart"},"session_rate":0,"keep":true}],"default":{"session_rate":0}}"#,
        );
        let out = kept(&p, BODY, &app);
        assert_eq!((out.events.len(), out.events[0].ctx.sample_rate), (2, None));
    }

    #[test]
    fn the_sdks_decision_is_checked_against_the_hash_and_capped_by_the_rules() {
        let p = Pipeline::new(PipelineOptions::default());
        let declared =
            |session: &str| BODY.replace(r#""session":{"id":"s1","user_id":"u1"}"#, session);
        let app = rules(
            r#"{"rules":[{"match":{"route":"/checkout*"},"session_rate":50,"keep":true}],"default":{"session_rate":5}}"#,
        );
        // Kept by the SDK at 40 %: bucket 3449 is under 4000.
        let out = kept(&p, &declared(r#""session":{"id":"s1","rate":40}"#), &app);
        assert_eq!(
            (out.events.len(), out.events[0].ctx.sample_rate),
            (2, Some(40.0))
        );
        // Claimed at 30 %: the hash says no.
        assert_eq!(
            kept(&p, &declared(r#""session":{"id":"s1","rate":30}"#), &app).sampled_out,
            2
        );
        // Upgraded by a key page earlier in the session: kept at 100 %.
        let out = kept(
            &p,
            &declared(r#""session":{"id":"s1","rate":5,"key":true}"#),
            &app,
        );
        assert_eq!((out.events.len(), out.events[0].ctx.sample_rate), (2, None));
        // Without key pages and rates above 5 %, neither claim gets past the rules.
        let strict = rules(r#"{"default":{"session_rate":5}}"#);
        assert_eq!(
            kept(
                &p,
                &declared(r#""session":{"id":"s1","rate":100,"key":true}"#),
                &strict
            )
            .sampled_out,
            2
        );
    }

    #[test]
    fn excluded_envs_and_routes_are_left_out_and_counted() {
        let p = Pipeline::new(PipelineOptions::default());
        let app = rules(r#"{"default":{"session_rate":100},"exclude":{"envs":["prod"]}}"#);
        let out = kept(&p, BODY, &app);
        assert_eq!((out.events.len(), out.excluded), (0, 2));
        let app = rules(r#"{"default":{"session_rate":100},"exclude":{"routes":["/c*"]}}"#);
        assert_eq!(kept(&p, BODY, &app).excluded, 2);
    }

    #[test]
    fn automated_sessions_are_dropped_or_tagged_as_the_app_says() {
        let body = BODY.replace(
            r#""release":"1.2"}"#,
            r#""release":"1.2","automation":["webdriver","Bad Name!"]}"#,
        );
        let p = Pipeline::new(PipelineOptions::default());
        let drop = rules(r#"{"default":{"session_rate":100},"bots":"drop"}"#);
        let out = kept(&p, &body, &drop);
        assert_eq!((out.events.len(), out.bots), (0, 2));
        // Tagged by default.
        let out = kept(&p, &body, &AppPolicy::default());
        assert_eq!(out.events[0].ctx.automation.as_deref(), Some("webdriver"));
        // A listed bot's user agent is a signal too, and --keep-bots keeps everything tagged.
        let keep = Pipeline::new(PipelineOptions {
            exclude_bots: false,
            ..PipelineOptions::default()
        });
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let out = keep
            .process(&batch(BODY, bot), &AppPolicy::default())
            .unwrap();
        assert_eq!(out.events[0].ctx.automation.as_deref(), Some("user_agent"));
        assert_eq!(
            kept(&keep, BODY, &AppPolicy::default()).events[0]
                .ctx
                .automation,
            None
        );
    }

    #[test]
    fn every_free_text_field_is_scrubbed_with_the_apps_scrubber() {
        let body = r##"{"session":{"id":"s1","user_id":"jane@example.com"},"events":[
          {"type":"view","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","view_id":"v1","ts":1,"version":1,
           "url":"https://shop.example/u/jane@example.com?tenant=acme","route":"/u/jane@example.com",
           "referrer":"https://mail.example/?email=jane%40example.com",
           "lcp_element":"img[alt='jane@example.com']","inp_target":"a[href='tel:+44 20 7946 0958']",
           "cls_target":"#item-1234"},
          {"type":"action","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c11","view_id":"v1","ts":1,
           "action_type":"click","name":"Copy IBAN DE89 3704 0044 0532 0130 00",
           "target":"li[data-phone='555-123-4567']",
           "attrs":{"jane@example.com":{"cards":["4111 1111 1111 1111"]},"customer":"CUST-004211","n":3}},
          {"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c12","view_id":"v1","ts":1,
           "kind":"Error for jane@example.com","message":"GET /api?access_token=abc failed",
           "stack":"Error\n    at pay (https://shop.example/app.js?sig=abc:1:2)"},
          {"type":"long_task","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c13","view_id":"v1","ts":1,
           "duration":80,"script_url":"https://shop.example/w.js?token=t",
           "script_function":"onUser_jane@example.com","script_invoker":"IMG#avatar.onload"}
        ]}"##;
        let p = Pipeline::new(PipelineOptions::default());
        let app = AppPolicy {
            scrubber: Scrubber::default()
                .with_query_keys(&["tenant".into()])
                .with_patterns(&[r"CUST-[0-9]{6}".into()])
                .unwrap(),
            user_id: crate::UserIdMode::hash(*b"a secret key of 32 random bytes."),
            ..AppPolicy::default()
        };
        let out = p.process(&batch(body, CHROME), &app).unwrap();
        assert_eq!(out.events.len(), 4);
        let ctx = &out.events[0].ctx;
        assert_eq!(
            ctx.url,
            "https://shop.example/u/[redacted]?tenant=[redacted]"
        );
        assert_eq!(ctx.route, "/u/[redacted]", "a route that is the path");
        assert_eq!(
            ctx.referrer.as_deref(),
            Some("https://mail.example/?email=[redacted]")
        );
        let user = ctx.user_id.as_deref().unwrap();
        assert_eq!(user.len(), 32, "hashed: {user}");
        let stored = format!("{:?}", out.events);
        for gone in [
            "jane", "7946", "4111", "3704", "123-4567", "acme", "CUST-", "abc", "token=t",
        ] {
            assert!(!stored.contains(gone), "{gone} survived in {stored}");
        }
        for kept in ["#item-1234", "IMG#avatar.onload", r#"\"n\":3"#, "click"] {
            assert!(stored.contains(kept), "{kept} lost in {stored}");
        }
        let dropped = AppPolicy {
            user_id: crate::UserIdMode::Drop,
            ..AppPolicy::default()
        };
        let out = p.process(&batch(body, CHROME), &dropped).unwrap();
        assert!(out.events.iter().all(|e| e.ctx.user_id.is_none()));
    }

    #[test]
    fn default_routes_group_by_template_named_routes_stay() {
        let url = "https://shop.example/orders/42/items?x=1";
        assert_eq!(route_of(None, url), "/orders/:id/items");
        assert_eq!(route_of(Some("/orders/42/items"), url), "/orders/:id/items");
        assert_eq!(route_of(Some("order items"), url), "order items");
        assert_eq!(
            route_of(Some("/orders/42"), url),
            "/orders/42",
            "a name the page chose"
        );
        let spa = "https://shop.example/app#/users/3fa85f64-5717-4562-b3fc-2c963f66afa6";
        assert_eq!(
            route_of(
                Some("/app#/users/3fa85f64-5717-4562-b3fc-2c963f66afa6"),
                spa
            ),
            "/app#/users/:id"
        );
    }

    #[test]
    fn routes_default_to_the_url_path() {
        assert_eq!(path_of("https://a.example"), "/");
        assert_eq!(path_of("https://a.example/x/y?z=1"), "/x/y");
        assert_eq!(path_of("/rel/path#h"), "/rel/path");
        assert_eq!(cap("héllo".into(), 2), "h");
    }
}
