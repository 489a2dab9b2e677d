use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The metrics defined once for the server and the dashboard.
const METRICS_JSON: &str = include_str!("../metrics.json");

#[derive(Deserialize)]
struct MetricSpec {
    good: f64,
    poor: f64,
}

static SPEC: LazyLock<HashMap<String, MetricSpec>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct File {
        metrics: HashMap<String, MetricSpec>,
    }
    serde_json::from_str::<File>(METRICS_JSON)
        .expect("metrics.json parses (checked by a test)")
        .metrics
});

/// A page-level measurement the query API can take percentiles of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Lcp,
    Inp,
    Cls,
    Fcp,
    Ttfb,
    Load,
    Tti,
}

/// Upper bounds of "good" and "needs improvement"; above `ni` is poor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub good: f64,
    pub ni: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Ni,
    Poor,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Lcp,
        Metric::Inp,
        Metric::Cls,
        Metric::Fcp,
        Metric::Ttfb,
        Metric::Load,
        Metric::Tti,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Lcp => "lcp",
            Metric::Inp => "inp",
            Metric::Cls => "cls",
            Metric::Fcp => "fcp",
            Metric::Ttfb => "ttfb",
            Metric::Load => "load",
            Metric::Tti => "tti",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Google's Core Web Vitals thresholds (web.dev/articles/vitals); load
    /// time shares LCP's, and TTI uses Lighthouse's 3.8 s / 7.3 s. Read from
    /// `metrics.json`, which the dashboard imports too.
    pub fn thresholds(self) -> Thresholds {
        let spec = &SPEC[self.name()];
        Thresholds {
            good: spec.good,
            ni: spec.poor,
        }
    }

    pub fn rate(self, value: f64) -> Rating {
        let t = self.thresholds();
        if value <= t.good {
            Rating::Good
        } else if value <= t.ni {
            Rating::Ni
        } else {
            Rating::Poor
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive_upper_bounds() {
        assert_eq!(Metric::Lcp.rate(2500.0), Rating::Good);
        assert_eq!(Metric::Lcp.rate(2500.1), Rating::Ni);
        assert_eq!(Metric::Lcp.rate(4000.1), Rating::Poor);
        assert_eq!(Metric::Cls.rate(0.1), Rating::Good);
        assert_eq!(Metric::Cls.rate(0.3), Rating::Poor);
    }

    #[test]
    fn metrics_json_defines_exactly_the_metrics() {
        let mut names: Vec<&str> = SPEC.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut ours: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        ours.sort_unstable();
        assert_eq!(names, ours);
        for m in Metric::ALL {
            let t = m.thresholds();
            assert!(0.0 < t.good && t.good < t.ni, "{m:?}: {t:?}");
        }
        assert_eq!(
            Metric::Lcp.thresholds(),
            Thresholds {
                good: 2500.0,
                ni: 4000.0
            }
        );
    }

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        assert_eq!(Metric::parse("fid"), None);
    }
}
