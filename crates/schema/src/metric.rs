use serde::{Deserialize, Serialize};

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
    /// time shares LCP's, and TTI uses Lighthouse's 3.8 s / 7.3 s.
    pub fn thresholds(self) -> Thresholds {
        let (good, ni) = match self {
            Metric::Lcp | Metric::Load => (2500.0, 4000.0),
            Metric::Inp => (200.0, 500.0),
            Metric::Cls => (0.1, 0.25),
            Metric::Fcp => (1800.0, 3000.0),
            Metric::Ttfb => (800.0, 1800.0),
            Metric::Tti => (3800.0, 7300.0),
        };
        Thresholds { good, ni }
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
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        assert_eq!(Metric::parse("fid"), None);
    }
}
