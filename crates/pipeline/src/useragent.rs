//! User-agent parsing with uap-core's maintained rule set.

use std::collections::HashMap;
use std::sync::Mutex;

/// uap-core's `regexes.yaml` as JSON; see `uap/update.sh`.
const REGEXES: &str = include_str!("../uap/regexes.json");
/// Distinct user agents remembered; real traffic has few, so parsing (tens
/// of microseconds of regex work) happens about once per browser build.
const CACHE_SIZE: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub browser: Option<String>,
    /// Major.minor, enough to tell releases apart without fragmenting.
    pub browser_version: Option<String>,
    pub os: Option<String>,
    /// `desktop`, `mobile`, `tablet` or `bot`.
    pub device: &'static str,
}

impl Agent {
    pub fn is_bot(&self) -> bool {
        self.device == "bot"
    }
}

pub struct UserAgents {
    extractor: ua_parser::Extractor<'static>,
    cache: Mutex<HashMap<String, Agent>>,
}

impl std::fmt::Debug for UserAgents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserAgents")
    }
}

impl UserAgents {
    /// Compiles the rule set; takes a moment, so build one and share it.
    pub fn new() -> UserAgents {
        let regexes: ua_parser::Regexes<'static> =
            serde_json::from_str(REGEXES).expect("vendored uap-core regexes parse");
        let extractor = ua_parser::Extractor::try_from(regexes).expect("uap-core regexes compile");
        UserAgents {
            extractor,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn parse(&self, ua: &str) -> Agent {
        if let Some(hit) = self.cache.lock().expect("ua cache").get(ua) {
            return hit.clone();
        }
        let agent = self.parse_uncached(ua);
        let mut cache = self.cache.lock().expect("ua cache");
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(ua.to_string(), agent.clone());
        agent
    }

    fn parse_uncached(&self, ua: &str) -> Agent {
        let (browser, os, device) = self.extractor.extract(ua);
        let known = |s: &str| (s != "Other").then(|| s.to_string());
        let browser_version = browser.as_ref().and_then(|b| {
            b.major.map(|major| {
                b.minor
                    .map_or(major.to_string(), |minor| format!("{major}.{minor}"))
            })
        });
        let device_family = device
            .as_ref()
            .map(|d| d.device.as_ref())
            .unwrap_or("Other");
        let os_name = os.as_ref().and_then(|o| known(&o.os));
        let device = if device_family == "Spider" {
            "bot"
        } else if device_family == "iPad"
            || ua.contains("Tablet")
            || (os_name.as_deref() == Some("Android") && !ua.contains("Mobile"))
        {
            "tablet"
        } else if ua.contains("Mobi") {
            // MDN's advice: "Mobi" anywhere in the UA means a mobile device.
            "mobile"
        } else {
            "desktop"
        };
        Agent {
            browser: browser.and_then(|b| known(&b.family)),
            browser_version,
            os: os_name,
            device,
        }
    }
}

impl Default for UserAgents {
    fn default() -> Self {
        UserAgents::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_agents_are_recognised() {
        let uas = UserAgents::new();
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "Linux", "desktop"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari", "iOS", "mobile"),
            ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari", "iOS", "tablet"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "Windows", "desktop"),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "", "bot"),
        ];
        for (ua, browser, os, device) in cases {
            let a = uas.parse(ua);
            assert_eq!(a.browser.as_deref(), Some(browser), "{ua}");
            assert_eq!(a.os.as_deref().unwrap_or(""), os, "{ua}");
            assert_eq!(a.device, device, "{ua}");
        }
        assert!(uas.parse(cases[4].0).is_bot());
        assert_eq!(
            uas.parse(cases[0].0).browser_version.as_deref(),
            Some("131.0")
        );
    }
}
