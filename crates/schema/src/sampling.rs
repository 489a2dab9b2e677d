//! An app's traffic rules: which sessions are kept (ordered sampling rules,
//! key pages), which traffic is excluded, and what becomes of automated
//! browsers. The browser SDK applies the same rules (`sdk/src/sampling.ts`)
//! from `GET /api/v1/sdk-config`; the server applies them again to clients
//! that do not, so the session decision must be the same on both sides:
//! [`bucket`] is checked against `sampling_vectors.json` by both test suites.

use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Rules an app may have at most; each is matched per session start.
pub const MAX_RULES: usize = 100;
/// Entries of each exclusion list at most.
const MAX_LIST: usize = 100;
/// Bytes of one pattern or value at most.
const MAX_TEXT: usize = 512;

/// An app's sampling rules and exclusions (`GET/PUT /apps/{app}/sampling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// Ordered: the first rule that matches a session decides.
    #[serde(default)]
    pub rules: Vec<SamplingRule>,
    /// What a session no rule matches gets. Its `session_rate` is the
    /// app's `sample_rate`.
    pub default: Rates,
    #[serde(default)]
    pub exclude: Exclusions,
    /// What becomes of sessions from automated browsers.
    #[serde(default)]
    pub bots: BotPolicy,
}

/// Everything kept; replay left to the page's own `replaySampleRate`.
impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            rules: Vec::new(),
            default: Rates {
                session_rate: 100.0,
                replay_rate: 100.0,
            },
            exclude: Exclusions::default(),
            bots: BotPolicy::Tag,
        }
    }
}

/// One sampling rule: where it applies and what it keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamplingRule {
    #[serde(rename = "match", default)]
    pub when: RuleMatch,
    /// Percent of matching sessions kept, 0 to 100.
    pub session_rate: f64,
    /// Percent of the kept sessions recorded for replay, 0 to 100; the
    /// default rule's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_rate: Option<f64>,
    /// A key page: a session that reaches it is kept from there on, even if
    /// it was sampled out at its start.
    #[serde(default)]
    pub keep: bool,
}

/// What a rule matches; an absent field matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    /// A glob over the route: `*` matches any run of characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// `desktop`, `mobile` or `tablet` (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// ISO 3166 alpha-2 code (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Sampling rates in percent, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub session_rate: f64,
    #[serde(default = "hundred")]
    pub replay_rate: f64,
}

fn hundred() -> f64 {
    100.0
}

/// Traffic that is never stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusions {
    /// Environments (exact).
    #[serde(default)]
    pub envs: Vec<String>,
    /// Route globs (health checks, admin pages).
    #[serde(default)]
    pub routes: Vec<String>,
    /// Client address ranges (CIDR), checked at intake before the address
    /// is dropped: a team's own offices, monitoring probes.
    #[serde(default)]
    pub ip_ranges: Vec<String>,
}

/// What becomes of sessions whose browser reports automation signals.
/// Known bots' user agents are dropped whatever it says (unless Fovea runs
/// with `--keep-bots`).
///
/// Tagging is the default because the signals have false positives (a
/// real user's browser driven by an accessibility or testing tool sets
/// `navigator.webdriver` too) and because a team's own synthetic checks
/// are often wanted: an app drops them by choosing `drop`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BotPolicy {
    /// Not stored (counted as dropped `bot`).
    Drop,
    /// Stored, with the signals in the `automation` field.
    #[default]
    Tag,
}

/// What a session is matched on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionFacts<'a> {
    pub route: &'a str,
    pub env: Option<&'a str>,
    pub release: Option<&'a str>,
    pub device: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// What the rules decide for one context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub session_rate: f64,
    pub replay_rate: f64,
    /// Matched a key page.
    pub keep: bool,
}

impl Traffic {
    /// The rates of the first rule matching `facts`, else the default's.
    pub fn decide(&self, facts: &SessionFacts) -> Decision {
        match self.rules.iter().find(|r| r.when.matches(facts)) {
            Some(r) => Decision {
                session_rate: r.session_rate,
                replay_rate: r.replay_rate.unwrap_or(self.default.replay_rate),
                keep: r.keep,
            },
            None => Decision {
                session_rate: self.default.session_rate,
                replay_rate: self.default.replay_rate,
                keep: false,
            },
        }
    }

    /// Whether some rule is a key page, which lets a session be kept
    /// whatever its rate.
    pub fn has_key_pages(&self) -> bool {
        self.rules.iter().any(|r| r.keep)
    }

    /// The highest session rate any context can get.
    pub fn max_session_rate(&self) -> f64 {
        self.rules
            .iter()
            .map(|r| if r.keep { 100.0 } else { r.session_rate })
            .fold(self.default.session_rate, f64::max)
    }

    pub fn env_excluded(&self, env: Option<&str>) -> bool {
        env.is_some_and(|e| self.exclude.envs.iter().any(|x| x == e))
    }

    pub fn route_excluded(&self, route: &str) -> bool {
        self.exclude.routes.iter().any(|g| glob(g, route))
    }

    /// Whether `ip` is in one of the excluded ranges (checked valid on
    /// save; an unreadable one matches nothing).
    pub fn ip_excluded(&self, ip: IpAddr) -> bool {
        self.exclude
            .ip_ranges
            .iter()
            .filter_map(|r| r.parse::<IpNetwork>().ok())
            .any(|n| n.contains(ip))
    }

    /// Rules as the API returns them: every rule's replay rate filled in.
    pub fn filled(mut self) -> Traffic {
        for r in &mut self.rules {
            r.replay_rate.get_or_insert(self.default.replay_rate);
        }
        self
    }

    /// Checks every rate, pattern and range; the error names the field
    /// (`rules[2].session_rate`).
    pub fn validate(&self) -> Result<(), String> {
        if self.rules.len() > MAX_RULES {
            return Err(format!("rules: at most {MAX_RULES} rules"));
        }
        rate("default.session_rate", self.default.session_rate)?;
        rate("default.replay_rate", self.default.replay_rate)?;
        for (i, r) in self.rules.iter().enumerate() {
            rate(&format!("rules[{i}].session_rate"), r.session_rate)?;
            if let Some(replay) = r.replay_rate {
                rate(&format!("rules[{i}].replay_rate"), replay)?;
            }
            let m = &r.when;
            for (name, v) in [
                ("route", &m.route),
                ("env", &m.env),
                ("release", &m.release),
                ("device", &m.device),
                ("country", &m.country),
            ] {
                if let Some(v) = v {
                    text(&format!("rules[{i}].match.{name}"), v)?;
                }
            }
            if let Some(d) = &m.device {
                if !["desktop", "mobile", "tablet"].contains(&d.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "rules[{i}].match.device must be desktop, mobile or tablet"
                    ));
                }
            }
            if let Some(c) = &m.country {
                if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(format!(
                        "rules[{i}].match.country must be a two-letter ISO 3166 code"
                    ));
                }
            }
        }
        for (name, list) in [
            ("exclude.envs", &self.exclude.envs),
            ("exclude.routes", &self.exclude.routes),
            ("exclude.ip_ranges", &self.exclude.ip_ranges),
        ] {
            if list.len() > MAX_LIST {
                return Err(format!("{name}: at most {MAX_LIST} entries"));
            }
            for (i, v) in list.iter().enumerate() {
                text(&format!("{name}[{i}]"), v)?;
            }
        }
        for (i, r) in self.exclude.ip_ranges.iter().enumerate() {
            r.parse::<IpNetwork>().map_err(|e| {
                format!("exclude.ip_ranges[{i}] is not an address range (CIDR): {e}")
            })?;
        }
        Ok(())
    }

    /// As stored in the app's settings column.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("traffic rules serialize")
    }

    /// From the store's column; everything kept when absent (an app made
    /// before sampling rules existed).
    pub fn from_json(json: Option<&str>) -> Traffic {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
}

fn rate(field: &str, v: f64) -> Result<(), String> {
    if (0.0..=100.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{field} must be within 0..100"))
    }
}

fn text(field: &str, v: &str) -> Result<(), String> {
    if v.is_empty() || v.len() > MAX_TEXT {
        Err(format!("{field} must be 1 to {MAX_TEXT} bytes"))
    } else {
        Ok(())
    }
}

impl RuleMatch {
    pub fn matches(&self, f: &SessionFacts) -> bool {
        let exact = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        let any_case = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        self.route.as_deref().is_none_or(|g| glob(g, f.route))
            && exact(&self.env, f.env)
            && exact(&self.release, f.release)
            && any_case(&self.device, f.device)
            && any_case(&self.country, f.country)
    }
}

/// Whether `text` matches `pattern` whole, `*` matching any run of
/// characters (`/` included) and everything else itself. Linear: on a
/// mismatch only the last `*` is retried further on.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A session's sampling bucket, 0 to 9 999: FNV-1a (32 bits) of its id's
/// UTF-8 bytes, modulo 10 000. Cheap enough for the browser to compute the
/// same (a cryptographic hash is unavailable outside secure contexts).
pub fn bucket(session_id: &str) -> u32 {
    let hash = session_id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % 10_000
}

/// Whether a session is kept at `rate` percent: a pure function of its id,
/// so the browser, every node and a replay of the spool agree, and a
/// session kept at a rate is kept at every higher one.
pub fn keep_session(session_id: &str, rate: f64) -> bool {
    f64::from(bucket(session_id)) < (rate * 100.0).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Vectors {
        cases: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Case {
        session_id: String,
        hash: u32,
        bucket: u32,
        kept: std::collections::BTreeMap<String, bool>,
    }

    /// The same file is checked by the SDK's tests.
    #[test]
    fn the_session_decision_matches_the_shared_vectors() {
        let v: Vectors = serde_json::from_str(include_str!("../sampling_vectors.json")).unwrap();
        assert!(v.cases.len() > 40);
        for c in &v.cases {
            assert_eq!(bucket(&c.session_id), c.bucket, "{:?}", c.session_id);
            assert_eq!(c.hash % 10_000, c.bucket);
            for (rate, kept) in &c.kept {
                let r: f64 = rate.parse().unwrap();
                assert_eq!(
                    keep_session(&c.session_id, r),
                    *kept,
                    "{:?} at {r}",
                    c.session_id
                );
            }
        }
    }

    #[test]
    fn the_kept_share_follows_the_rate_and_nests() {
        for rate in [1.0, 25.0, 50.0, 90.0] {
            let kept = (0..20_000)
                .filter(|i| keep_session(&format!("{i:08x}-session"), rate))
                .count() as f64;
            let share = kept / 20_000.0 * 100.0;
            assert!((share - rate).abs() < 1.5, "rate {rate}: kept {share}%");
        }
        for i in 0..2_000 {
            let id = format!("s{i}");
            assert!(!keep_session(&id, 10.0) || keep_session(&id, 20.0));
        }
        assert!(keep_session("x", 100.0) && !keep_session("x", 0.0));
    }

    #[test]
    fn globs_match_whole_routes() {
        assert!(glob("/checkout*", "/checkout"));
        assert!(glob("/checkout*", "/checkout/pay/3"));
        assert!(glob("*/admin/*", "/eu/admin/users"));
        assert!(glob("/a*b*c", "/aXbYbZc"));
        assert!(!glob("/checkout", "/checkout/pay"));
        assert!(!glob("/a*b", "/aXc"));
        assert!(glob("*", ""));
        assert!(!glob("/x", "/X"));
        // Linear, not exponential, on a pathological pattern.
        assert!(!glob(&"*a".repeat(50), &"a".repeat(49)));
    }

    fn traffic(json: &str) -> Traffic {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let t = traffic(
            r#"{"rules":[
                {"match":{"route":"/checkout*","env":"prod"},"session_rate":100,"replay_rate":20,"keep":true},
                {"match":{"device":"MOBILE","country":"fr"},"session_rate":50},
                {"match":{"route":"/checkout*"},"session_rate":30}],
               "default":{"session_rate":10,"replay_rate":0}}"#,
        );
        let facts = |route, env, device, country| SessionFacts {
            route,
            env,
            device,
            country,
            release: None,
        };
        let d = t.decide(&facts("/checkout/pay", Some("prod"), None, None));
        assert_eq!((d.session_rate, d.replay_rate, d.keep), (100.0, 20.0, true));
        let d = t.decide(&facts("/checkout", Some("dev"), Some("mobile"), Some("FR")));
        assert_eq!((d.session_rate, d.replay_rate, d.keep), (50.0, 0.0, false));
        assert_eq!(
            t.decide(&facts("/checkout", None, None, None)).session_rate,
            30.0
        );
        assert_eq!(t.decide(&facts("/", None, None, None)).session_rate, 10.0);
        assert!(t.has_key_pages());
        assert_eq!(t.max_session_rate(), 100.0);
        assert_eq!(t.clone().filled().rules[1].replay_rate, Some(0.0));
    }

    #[test]
    fn invalid_rules_name_their_field() {
        let unknown = serde_json::from_str::<Traffic>(
            r#"{"rules":[{"match":{"path":"/a"},"session_rate":5}],"default":{"session_rate":1}}"#,
        );
        assert!(unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `path`"));
        let err = |json: &str| traffic(json).validate().unwrap_err();
        assert_eq!(
            err(
                r#"{"rules":[{"session_rate":5},{"session_rate":101}],"default":{"session_rate":1}}"#
            ),
            "rules[1].session_rate must be within 0..100"
        );
        assert!(err(r#"{"rules":[{"match":{"device":"fridge"},"session_rate":5}],"default":{"session_rate":1}}"#)
            .starts_with("rules[0].match.device"));
        assert!(err(
            r#"{"rules":[{"match":{"route":""},"session_rate":5}],"default":{"session_rate":1}}"#
        )
        .starts_with("rules[0].match.route"));
        assert!(err(r#"{"default":{"session_rate":1,"replay_rate":-1}}"#)
            .starts_with("default.replay_rate"));
        assert!(err(
            r#"{"default":{"session_rate":1},"exclude":{"ip_ranges":["10.0.0.0/8","nope"]}}"#
        )
        .starts_with("exclude.ip_ranges[1]"));
        assert!(traffic(r#"{"default":{"session_rate":1},"exclude":{"ip_ranges":["10.0.0.0/8","2001:db8::/32","192.0.2.7"]}}"#)
            .validate()
            .is_ok());
    }

    #[test]
    fn exclusions_match_envs_routes_and_ranges() {
        let t = traffic(
            r#"{"default":{"session_rate":100},"exclude":{"envs":["staging"],"routes":["/health*"],"ip_ranges":["10.0.0.0/8","2001:db8::/32"]}}"#,
        );
        assert!(
            t.env_excluded(Some("staging"))
                && !t.env_excluded(Some("prod"))
                && !t.env_excluded(None)
        );
        assert!(t.route_excluded("/healthz") && !t.route_excluded("/home"));
        assert!(t.ip_excluded("10.1.2.3".parse().unwrap()));
        assert!(t.ip_excluded("2001:db8::1".parse().unwrap()));
        assert!(!t.ip_excluded("192.0.2.1".parse().unwrap()));
        assert_eq!(Traffic::from_json(Some(&t.to_json())), t);
        assert_eq!(Traffic::from_json(None), Traffic::default());
    }
}
