//! The two text formats a scraper may ask for: OpenMetrics 1.0 (what prometheus-client writes)
//! and Prometheus's classic text format 0.0.4 (what every scraper reads).
//!
//! prometheus-client 0.24 writes only OpenMetrics. Prometheus reads it only when the response
//! says so (`application/openmetrics-text`); served as `text/plain` it is read with the classic
//! parser, which refuses the OpenMetrics-only parts (`# TYPE … info`). So the page is served as
//! OpenMetrics to scrapers that accept it, and rewritten into the classic format for the rest.
//! The rewrite is line by line and touches only what differs between the formats for the
//! metric types this server uses (counter, gauge, histogram, info); a unit test and `promtool
//! check metrics` (in the integration tests) keep it honest.

use std::fmt::Write as _;

/// A metrics text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    /// Prometheus's classic text format, version 0.0.4.
    Classic,
}

const OPENMETRICS_TYPE: &str = "application/openmetrics-text";

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it accepts
    /// `application/openmetrics-text` at least as much as anything else it names, the classic
    /// format otherwise (and when there is no header, as for `curl`).
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return Self::Classic;
        };
        let (mut openmetrics, mut other) = (0.0_f32, 0.0_f32);
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if media == OPENMETRICS_TYPE {
                openmetrics = openmetrics.max(quality);
            } else {
                other = other.max(quality);
            }
        }
        if openmetrics > 0.0 && openmetrics >= other {
            Self::OpenMetrics
        } else {
            Self::Classic
        }
    }

    /// The `Content-Type` of a page in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::Classic => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Rewrites an OpenMetrics page into the classic format: families are named as their samples
/// are (a counter `x` becomes `x_total`, an info `x` the gauge `x_info`), `# UNIT` and `# EOF`
/// are dropped, and everything else (samples, label escaping, histograms) is the same in both.
pub(crate) fn classic_from_openmetrics(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    // prometheus-client writes `# HELP` before `# TYPE`; the help's name depends on the type.
    let mut help: Option<(&str, &str)> = None;
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest.split_once(' ').unwrap_or((rest, "")));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{family}_total"), "counter"),
                "info" => (format!("{family}_info"), "gauge"),
                "unknown" => (family.to_owned(), "untyped"),
                other => (family.to_owned(), other),
            };
            if let Some((_, text)) = help.take().filter(|(named, _)| *named == family) {
                let _ = writeln!(out, "# HELP {name} {text}");
            }
            let _ = writeln!(out, "# TYPE {name} {kind}");
            continue;
        }
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrapers_get_openmetrics_only_when_they_prefer_it() {
        // What Prometheus 2.42 sends.
        let prometheus = "application/openmetrics-text;version=1.0.0,\
                          application/openmetrics-text;version=0.0.1;q=0.75,\
                          text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(None), Format::Classic);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Classic);
        assert_eq!(
            Format::negotiate(Some("text/plain;version=0.0.4")),
            Format::Classic
        );
        assert_eq!(
            Format::negotiate(Some(
                "text/plain;q=1, application/openmetrics-text; version=1.0.0; q=0.5"
            )),
            Format::Classic
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Classic
        );
    }

    #[test]
    fn the_classic_page_names_families_as_their_samples() {
        // Each family: its header as OpenMetrics writes it, as the classic page must have it,
        // and the samples, which both formats write alike.
        let families = [
            (
                "# HELP ta_calls Calls answered.\n# TYPE ta_calls counter\n",
                "# HELP ta_calls_total Calls answered.\n# TYPE ta_calls_total counter\n",
                "ta_calls_total{method=\"Segment\",code=\"Ok\"} 2\n",
            ),
            (
                "# HELP ta_build The server's version.\n# TYPE ta_build info\n",
                "# HELP ta_build_info The server's version.\n# TYPE ta_build_info gauge\n",
                "ta_build_info{version=\"0.1.0\"} 1\n",
            ),
            (
                "# HELP ta_seconds Latency.\n# TYPE ta_seconds histogram\n# UNIT ta_seconds seconds\n",
                "# HELP ta_seconds Latency.\n# TYPE ta_seconds histogram\n",
                "ta_seconds_sum 0.5\nta_seconds_count 1\nta_seconds_bucket{le=\"+Inf\"} 1\n",
            ),
            (
                "# HELP ta_in_flight Calls in flight.\n# TYPE ta_in_flight gauge\n",
                "# HELP ta_in_flight Calls in flight.\n# TYPE ta_in_flight gauge\n",
                "ta_in_flight 0\n",
            ),
        ];
        let mut openmetrics: String = families
            .iter()
            .map(|(om, _, s)| [*om, *s].concat())
            .collect();
        openmetrics.push_str("# EOF\n");
        let classic: String = families.iter().map(|(_, c, s)| [*c, *s].concat()).collect();
        assert_eq!(classic_from_openmetrics(&openmetrics), classic);
    }
}
