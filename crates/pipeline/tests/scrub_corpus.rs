//! The scrubbing corpus (`scrub_corpus.json`): realistic strings, what the
//! default [`Scrubber`] must make of them, and what it must leave alone.
//! Every failing row is reported, not just the first.

use std::borrow::Cow;
use std::collections::BTreeMap;

use fovea_pipeline::Scrubber;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    #[allow(dead_code)]
    about: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    pattern: String,
    input: String,
    /// `None`: the input must come out unchanged.
    expected: Option<String>,
    /// Through `Scrubber::url` rather than `Scrubber::text`.
    #[serde(default)]
    url: bool,
}

/// Patterns whose rows are all of one side (clean text, or combinations).
const ONE_SIDED: &[&str] = &["none", "mixed"];

#[test]
fn corpus() {
    let corpus: Corpus =
        serde_json::from_str(include_str!("scrub_corpus.json")).expect("the corpus parses");
    assert!(corpus.cases.len() >= 200, "{} rows", corpus.cases.len());
    let scrubber = Scrubber::default();
    let scrub = |c: &Case, s: &str| -> String {
        if c.url {
            scrubber.url(s).into_owned()
        } else {
            scrubber.text(s).into_owned()
        }
    };
    let mut failures = Vec::new();
    // pattern → (rows scrubbed, rows kept)
    let mut sides: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, c) in corpus.cases.iter().enumerate() {
        let want = c.expected.as_deref().unwrap_or(&c.input);
        let side = sides.entry(&c.pattern).or_default();
        if c.expected.is_some() {
            side.0 += 1;
        } else {
            side.1 += 1;
        }
        let row = format!("row {i} [{}] {:?}", c.pattern, c.input);
        let got = scrub(c, &c.input);
        if got != want {
            failures.push(format!("{row}\n    got:  {got:?}\n    want: {want:?}"));
            continue;
        }
        let again = scrub(c, want);
        if again != want {
            failures.push(format!("{row}\n    scrubbed twice: {again:?}"));
        }
        if c.expected.is_none() {
            let copied = if c.url {
                matches!(scrubber.url(&c.input), Cow::Owned(_))
            } else {
                matches!(scrubber.text(&c.input), Cow::Owned(_))
            };
            if copied {
                failures.push(format!("{row}\n    unchanged but copied"));
            }
        }
    }
    for (pattern, (scrubbed, kept)) in &sides {
        if !ONE_SIDED.contains(pattern) && (*scrubbed == 0 || *kept == 0) {
            failures.push(format!(
                "pattern {pattern}: {scrubbed} rows scrubbed, {kept} kept; each needs both"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus rows failed:\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n")
    );
}
