//! A spooled OTLP request → the spans the store keeps, with the same PII
//! scrubbing as the browser's free text: span names, status messages and
//! attribute values carry URLs, SQL and user input.

use fovea_intake::{otlp, Batch, IntakeError};
use fovea_schema::Span;

use std::borrow::Cow;

use crate::{AppPolicy, Pipeline};

impl Pipeline {
    /// The spans of one spooled trace request of the app whose settings
    /// are `app`, scrubbed by `app.scrubber`. Backend spans are not sampled
    /// here (`app.sample_rate` is not used): the SDK's `traceparent`
    /// sampled flag tells the backend which browser sessions are kept.
    pub fn spans(&self, batch: &Batch, app: &AppPolicy) -> Result<Vec<Span>, IntakeError> {
        let scrub = &app.scrubber;
        let mut spans = otlp::spans(&batch.meta.app_id, &batch.body, batch.meta.received_at)?;
        // The spans of a resource share its attributes: scrubbed once.
        let mut last: Option<(String, String)> = None;
        for s in &mut spans {
            if let Cow::Owned(name) = scrub.text(&s.name) {
                s.name = name;
            }
            if let Some(Cow::Owned(m)) = s.status_message.as_deref().map(|m| scrub.text(m)) {
                s.status_message = Some(m);
            }
            if let Cow::Owned(attributes) = scrub.json(&s.attributes) {
                s.attributes = attributes;
            }
            s.resource = match &last {
                Some((raw, scrubbed)) if *raw == s.resource => scrubbed.clone(),
                _ => {
                    let scrubbed = scrub.json(&s.resource).into_owned();
                    last = Some((std::mem::take(&mut s.resource), scrubbed.clone()));
                    scrubbed
                }
            };
        }
        Ok(spans)
    }
}

#[cfg(test)]
mod tests {
    use fovea_intake::{BatchMeta, Format};

    use super::*;
    use crate::PipelineOptions;

    #[test]
    fn span_text_is_scrubbed() {
        let json = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
          {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
           "name":"lookup jane.doe@example.com for CUST-004211","startTimeUnixNano":"1","endTimeUnixNano":"2",
           "attributes":[{"key":"user.email","value":{"stringValue":"jane.doe@example.com"}}]}]}]}]}"#;
        let d = otlp::decode_traces(
            otlp::Encoding::Json,
            None,
            json.as_bytes(),
            &otlp::OtlpLimits::default(),
            0,
        )
        .unwrap();
        let batch = Batch {
            meta: BatchMeta {
                app_id: "a".into(),
                ..BatchMeta::default()
            },
            format: Format::Spans,
            body: d.body,
        };
        let p = Pipeline::new(PipelineOptions::default());
        let spans = p.spans(&batch, &AppPolicy::default()).unwrap();
        assert_eq!(spans.len(), 1);
        assert!(!spans[0].name.contains("jane.doe"), "{}", spans[0].name);
        assert!(
            !spans[0].attributes.contains("jane.doe"),
            "{}",
            spans[0].attributes
        );
        assert_eq!(spans[0].app_id, "a");
        assert!(spans[0].name.contains("CUST-004211"), "{}", spans[0].name);
        let app = AppPolicy {
            scrubber: crate::Scrubber::default()
                .with_patterns(&["CUST-[0-9]+".into()])
                .unwrap(),
            ..AppPolicy::default()
        };
        let spans = p.spans(&batch, &app).unwrap();
        assert_eq!(spans[0].name, "lookup [redacted] for [redacted]");
    }
}
