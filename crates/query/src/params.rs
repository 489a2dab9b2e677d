use fovea_schema::Metric;
use serde::Deserialize;
use utoipa::IntoParams;

pub const DAY_MS: i64 = 86_400_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::Invalid(msg.into())
}

/// Every query parameter of the query API; each endpoint takes the ones it
/// needs and validates them into a typed query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// Start of the range, ms since the epoch (default: 24 h before `to`).
    #[param(minimum = 0.0, maximum = 253_402_300_799_999.0)]
    pub from: Option<i64>,
    /// End of the range, ms since the epoch (default: now).
    #[param(minimum = 0.0, maximum = 253_402_300_799_999.0)]
    pub to: Option<i64>,
    pub env: Option<String>,
    pub release: Option<String>,
    /// Route / page name.
    pub page: Option<String>,
    pub browser: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// `lcp`, `inp`, `cls`, `fcp`, `ttfb`, `load`, `tti` (time series also: `views`, `sessions`, `errors`, `actions`, `crash_free`).
    pub metric: Option<String>,
    /// Percentile, 50..99.
    pub p: Option<u8>,
    /// `page`, `browser`, `device`, `country`, `connection`, `release`, `none`.
    pub by: Option<String>,
    /// Time-series bucket in seconds, 60..86400.
    pub interval: Option<i64>,
    pub limit: Option<u32>,
    /// The signed-in user id (every query).
    pub user: Option<String>,
    pub has_errors: Option<bool>,
    pub frustrated: Option<bool>,
    /// Resources: `slowest` or `failing`; actions: `count`, `frustration`
    /// or `frustration_rate`.
    pub order: Option<String>,
    /// Resources: `fetch`, `xhr`, `script`, ...
    pub kind: Option<String>,
    /// Issues: `open`, `resolved` or `ignored` (default: all).
    pub status: Option<String>,
    /// Issues: `events` (default), `users`, `sessions`, `last_seen` or `first_seen`.
    pub sort: Option<String>,
    /// Summary: weight the counts by 100 / the rate each session was kept
    /// at (docs/sampling.md).
    pub extrapolate: Option<bool>,
    /// Custom attribute filters, `attrs.<key>=<value>` in the query string
    /// (top-level attributes); taken out of it before the other parameters
    /// are read (the server's `FilterQuery`).
    #[serde(skip)]
    pub attrs: Vec<(String, String)>,
}

/// At most this many attribute filters per question.
pub const MAX_ATTR_FILTERS: usize = 5;

/// Checks one `attrs.<key>=<value>` filter: the key is an identifier (it is
/// spliced into JSON paths), a top-level attribute (ClickHouse 18's
/// `visitParam*` functions see no nesting), the value a short text.
fn attr_filter(key: &str, value: &str) -> Result<(), QueryError> {
    let ident = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ident {
        return Err(invalid(format!(
            "attrs.{key}: an attribute key is 1 to 64 letters, digits, _ and -"
        )));
    }
    if value.is_empty() || value.len() > 256 {
        return Err(invalid(format!(
            "attrs.{key}: the value must be 1 to 256 bytes"
        )));
    }
    Ok(())
}

/// Filters every query takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    pub from: i64,
    pub to: i64,
    pub env: Option<String>,
    pub release: Option<String>,
    pub page: Option<String>,
    pub browser: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    /// The signed-in user id.
    pub user: Option<String>,
    /// Custom attributes (`setContext`, `addAction` context): (top-level
    /// key, value); a number or boolean matches its JSON text.
    pub attrs: Vec<(String, String)>,
}

impl Filters {
    pub fn last_day(now: i64) -> Filters {
        Filters {
            from: now - DAY_MS,
            to: now,
            env: None,
            release: None,
            page: None,
            browser: None,
            device: None,
            country: None,
            user: None,
            attrs: Vec::new(),
        }
    }

    /// One regular expression (RE2, which both stores speak) per attribute
    /// filter, matched against the stored `attrs` JSON text: the key, then
    /// the value as a JSON string or, for a number or boolean, as written.
    /// The JSON extensions are not used: DuckDB's is not bundled (a
    /// download at run time), ClickHouse 18 has only `visitParam*`. Like
    /// those, a key is found at any depth: filters are meant for top-level
    /// attributes.
    pub fn attr_patterns(&self) -> Vec<String> {
        let escape = |s: &str| {
            s.chars().fold(String::new(), |mut out, c| {
                if c.is_ascii_punctuation() {
                    out.push('\\');
                }
                out.push(c);
                out
            })
        };
        self.attrs
            .iter()
            .map(|(k, v)| {
                let mut values = escape(&serde_json::Value::from(v.as_str()).to_string());
                let scalar = matches!(v.as_str(), "true" | "false")
                    || serde_json::from_str::<serde_json::Number>(v).is_ok();
                if scalar {
                    values = format!("{values}|{}", escape(v));
                }
                format!(r#""{k}"\s*:\s*(?:{values})\s*[,}}\]]"#)
            })
            .collect()
    }

    /// The dimension filters that are set, as (column, value) pairs.
    pub fn dimensions(&self) -> Vec<(&'static str, &str)> {
        [
            ("env", &self.env),
            ("release", &self.release),
            ("route", &self.page),
            ("browser", &self.browser),
            ("device", &self.device),
            ("country", &self.country),
            ("user_id", &self.user),
        ]
        .into_iter()
        .filter_map(|(col, v)| v.as_deref().map(|v| (col, v)))
        .collect()
    }
}

/// What vitals can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Page,
    Browser,
    Device,
    Country,
    Connection,
    Release,
    None,
}

impl Dimension {
    /// Every dimension, `None` last.
    pub const ALL: [Dimension; 7] = [
        Dimension::Page,
        Dimension::Browser,
        Dimension::Device,
        Dimension::Country,
        Dimension::Connection,
        Dimension::Release,
        Dimension::None,
    ];

    pub fn parse(s: &str) -> Option<Dimension> {
        Some(match s {
            "page" | "route" => Dimension::Page,
            "browser" => Dimension::Browser,
            "device" => Dimension::Device,
            "country" => Dimension::Country,
            "connection" => Dimension::Connection,
            "release" => Dimension::Release,
            "none" => Dimension::None,
            _ => return None,
        })
    }

    /// The stored column, `None` for no grouping.
    pub fn column(self) -> Option<&'static str> {
        match self {
            Dimension::Page => Some("route"),
            Dimension::Browser => Some("browser"),
            Dimension::Device => Some("device"),
            Dimension::Country => Some("country"),
            Dimension::Connection => Some("connection"),
            Dimension::Release => Some("release"),
            Dimension::None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VitalsQuery {
    pub metric: Metric,
    pub p: u8,
    pub by: Dimension,
    pub filters: Filters,
}

impl VitalsQuery {
    /// The overview's question for one metric: its p75, ungrouped.
    pub fn overview(metric: Metric, filters: &Filters) -> VitalsQuery {
        VitalsQuery {
            metric,
            p: 75,
            by: Dimension::None,
            filters: filters.clone(),
        }
    }
}

/// What a time series counts or measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Series {
    Vital(Metric, u8),
    Views,
    Sessions,
    Errors,
    Actions,
    /// The share of sessions without an unhandled error.
    CrashFree,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesQuery {
    pub series: Series,
    pub interval_ms: i64,
    pub filters: Filters,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionsQuery {
    pub filters: Filters,
    pub has_errors: bool,
    pub frustrated: bool,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceOrder {
    Slowest,
    Failing,
}

/// The order of the actions list; every order is descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOrder {
    /// The most used.
    Count,
    /// Frustrated actions only, the most frustrated occurrences first.
    Frustration,
    /// Frustrated actions only, the highest share of frustrated occurrences first.
    FrustrationRate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionsQuery {
    pub filters: Filters,
    pub order: ActionOrder,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourcesQuery {
    pub filters: Filters,
    pub order: ResourceOrder,
    pub kind: Option<String>,
    pub limit: u32,
}

/// The order of the issues list; every order is descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueSort {
    Events,
    Users,
    Sessions,
    LastSeen,
    FirstSeen,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssuesQuery {
    pub filters: Filters,
    pub sort: IssueSort,
    /// The width of a trend bucket.
    pub interval_ms: i64,
    pub limit: u32,
}

const MAX_POINTS: i64 = 200;
/// The longest range a query may ask about: a year and a bit, more than any
/// retention, so that no request can make a store scan without bound.
pub const MAX_RANGE_DAYS: i64 = 400;
/// Buckets of an issue's trend: enough for a sparkline, small enough for
/// a list of 200 issues.
const TREND_POINTS: i64 = 48;

/// The smallest round step giving at most `max_points` buckets over `span`.
fn auto_interval(span: i64, max_points: i64) -> i64 {
    const STEPS: [i64; 9] = [60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400];
    STEPS
        .into_iter()
        .map(|s| s * 1000)
        .find(|s| span / s <= max_points)
        .unwrap_or(DAY_MS)
}

impl Params {
    pub fn filters(&self, now: i64) -> Result<Filters, QueryError> {
        // Epoch milliseconds up to the year 9999: anything else is a client
        // error, not an overflow in the arithmetic below.
        const MAX_TS: i64 = 253_402_300_799_999;
        for (name, v) in [("from", self.from), ("to", self.to)] {
            if v.is_some_and(|v| !(0..=MAX_TS).contains(&v)) {
                return Err(invalid(format!(
                    "{name} must be epoch milliseconds between 0 and {MAX_TS}"
                )));
            }
        }
        let to = self.to.unwrap_or(now);
        let from = self.from.unwrap_or(to.saturating_sub(DAY_MS));
        if from >= to {
            return Err(invalid("from must be before to"));
        }
        if to - from > MAX_RANGE_DAYS * DAY_MS {
            return Err(invalid(format!(
                "the range is over {MAX_RANGE_DAYS} days: narrow from and to"
            )));
        }
        let clean = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        if self.attrs.len() > MAX_ATTR_FILTERS {
            return Err(invalid(format!(
                "at most {MAX_ATTR_FILTERS} attrs.<key> filters"
            )));
        }
        for (k, v) in &self.attrs {
            attr_filter(k, v)?;
        }
        Ok(Filters {
            from,
            to,
            env: clean(&self.env),
            release: clean(&self.release),
            page: clean(&self.page),
            browser: clean(&self.browser),
            device: clean(&self.device),
            country: clean(&self.country),
            user: clean(&self.user),
            attrs: self.attrs.clone(),
        })
    }

    pub fn metric(&self) -> Result<Metric, QueryError> {
        let m = self
            .metric
            .as_deref()
            .ok_or_else(|| invalid("metric is required"))?;
        Metric::parse(m).ok_or_else(|| {
            invalid(format!(
                "metric {m:?} is not one of lcp, inp, cls, fcp, ttfb, load, tti"
            ))
        })
    }

    pub fn percentile(&self) -> Result<u8, QueryError> {
        match self.p.unwrap_or(75) {
            p @ 50..=99 => Ok(p),
            p => Err(invalid(format!("p={p}: the percentile must be 50..99"))),
        }
    }

    fn limit(&self, default: u32, max: u32) -> Result<u32, QueryError> {
        match self.limit.unwrap_or(default) {
            l @ 1.. if l <= max => Ok(l),
            l => Err(invalid(format!("limit={l}: must be 1..{max}"))),
        }
    }

    pub fn vitals(&self, now: i64) -> Result<VitalsQuery, QueryError> {
        let by = match self.by.as_deref() {
            None => Dimension::None,
            Some(b) => Dimension::parse(b).ok_or_else(|| {
                invalid(format!(
                    "by={b:?} is not one of page, browser, device, country, connection, release, none"
                ))
            })?,
        };
        Ok(VitalsQuery {
            metric: self.metric()?,
            p: self.percentile()?,
            by,
            filters: self.filters(now)?,
        })
    }

    pub fn timeseries(&self, now: i64) -> Result<TimeseriesQuery, QueryError> {
        let filters = self.filters(now)?;
        let series = match self.metric.as_deref() {
            Some("views") => Series::Views,
            Some("sessions") => Series::Sessions,
            Some("errors") => Series::Errors,
            Some("actions") => Series::Actions,
            Some("crash_free") => Series::CrashFree,
            _ => Series::Vital(self.metric()?, self.percentile()?),
        };
        let span = filters.to - filters.from;
        let interval_ms = match self.interval {
            Some(i @ 60..=86_400) => i * 1000,
            Some(i) => return Err(invalid(format!("interval={i}: must be 60..86400 seconds"))),
            None => auto_interval(span, MAX_POINTS),
        };
        if span / interval_ms > 10 * MAX_POINTS {
            return Err(invalid(
                "too many points: widen the interval or narrow the range",
            ));
        }
        Ok(TimeseriesQuery {
            series,
            interval_ms,
            filters,
        })
    }

    pub fn sessions(&self, now: i64) -> Result<SessionsQuery, QueryError> {
        Ok(SessionsQuery {
            filters: self.filters(now)?,
            has_errors: self.has_errors.unwrap_or(false),
            frustrated: self.frustrated.unwrap_or(false),
            limit: self.limit(50, 500)?,
        })
    }

    pub fn resources(&self, now: i64) -> Result<ResourcesQuery, QueryError> {
        let order = match self.order.as_deref() {
            None | Some("slowest") => ResourceOrder::Slowest,
            Some("failing") => ResourceOrder::Failing,
            Some(o) => return Err(invalid(format!("order={o:?} is not slowest or failing"))),
        };
        Ok(ResourcesQuery {
            filters: self.filters(now)?,
            order,
            kind: self.kind.clone().filter(|k| !k.is_empty()),
            limit: self.limit(50, 500)?,
        })
    }

    pub fn issues(&self, now: i64) -> Result<IssuesQuery, QueryError> {
        let sort = match self.sort.as_deref() {
            None | Some("") | Some("events") => IssueSort::Events,
            Some("users") => IssueSort::Users,
            Some("sessions") => IssueSort::Sessions,
            Some("last_seen") => IssueSort::LastSeen,
            Some("first_seen") => IssueSort::FirstSeen,
            Some(o) => {
                return Err(invalid(format!(
                    "sort={o:?} is not events, users, sessions, last_seen or first_seen"
                )))
            }
        };
        let filters = self.filters(now)?;
        let interval_ms = auto_interval(filters.to - filters.from, TREND_POINTS);
        Ok(IssuesQuery {
            filters,
            sort,
            interval_ms,
            limit: self.limit(200, 500)?,
        })
    }

    pub fn actions(&self, now: i64) -> Result<ActionsQuery, QueryError> {
        let order = match self.order.as_deref() {
            None | Some("") | Some("count") => ActionOrder::Count,
            Some("frustration") => ActionOrder::Frustration,
            Some("frustration_rate") => ActionOrder::FrustrationRate,
            Some(o) => {
                return Err(invalid(format!(
                    "order={o:?} is not count, frustration or frustration_rate"
                )))
            }
        };
        Ok(ActionsQuery {
            filters: self.filters(now)?,
            order,
            limit: self.limit(50, 500)?,
        })
    }

    /// How many slow requests to list.
    pub fn slow_requests_limit(&self) -> Result<u32, QueryError> {
        self.limit(20, 100)
    }

    pub fn views_limit(&self) -> Result<u32, QueryError> {
        self.limit(20, 200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dimensions_are_exactly_those_of_metrics_json() {
        let spec: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/metrics.json")).unwrap();
        let names: Vec<&str> = spec["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for n in &names {
            assert!(Dimension::parse(n).is_some(), "{n} is in metrics.json");
        }
        for d in Dimension::ALL {
            assert!(
                names.iter().any(|n| Dimension::parse(n) == Some(d)),
                "{d:?} is missing from metrics.json"
            );
        }
    }

    const NOW: i64 = 1_764_000_000_000;

    #[test]
    fn defaults_cover_the_last_day() {
        let q = Params {
            metric: Some("lcp".into()),
            ..Params::default()
        }
        .vitals(NOW)
        .unwrap();
        assert_eq!((q.filters.from, q.filters.to), (NOW - DAY_MS, NOW));
        assert_eq!((q.p, q.by), (75, Dimension::None));
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (
                Params {
                    metric: Some("lcp".into()),
                    from: Some(0),
                    to: Some(NOW),
                    ..Params::default()
                },
                "over 400 days",
            ),
            (
                Params {
                    metric: Some("fid".into()),
                    ..Params::default()
                },
                "metric \"fid\"",
            ),
            (
                Params {
                    metric: Some("lcp".into()),
                    p: Some(30),
                    ..Params::default()
                },
                "p=30",
            ),
            (
                Params {
                    metric: Some("lcp".into()),
                    by: Some("os".into()),
                    ..Params::default()
                },
                "by=\"os\"",
            ),
            (
                Params {
                    metric: Some("lcp".into()),
                    from: Some(NOW),
                    to: Some(NOW - 1),
                    ..Params::default()
                },
                "from must be",
            ),
            (
                Params {
                    metric: Some("lcp".into()),
                    from: Some(i64::MIN),
                    ..Params::default()
                },
                "from must be epoch milliseconds",
            ),
            (
                Params {
                    metric: Some("lcp".into()),
                    to: Some(i64::MAX),
                    ..Params::default()
                },
                "to must be epoch milliseconds",
            ),
            (Params::default(), "metric is required"),
        ];
        for (params, needle) in cases {
            let err = params.vitals(NOW).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
        }
    }

    #[test]
    fn the_default_interval_keeps_series_short() {
        let q = Params {
            metric: Some("views".into()),
            ..Params::default()
        }
        .timeseries(NOW)
        .unwrap();
        assert_eq!(q.series, Series::Views);
        assert_eq!(q.interval_ms, 600_000);
        let week = Params {
            metric: Some("lcp".into()),
            from: Some(NOW - 7 * DAY_MS),
            ..Params::default()
        };
        assert_eq!(week.timeseries(NOW).unwrap().interval_ms, 3_600_000);
        assert!(Params {
            metric: Some("lcp".into()),
            interval: Some(5),
            ..Params::default()
        }
        .timeseries(NOW)
        .is_err());
    }
}
