//! The words of rollsim's own texts, one catalogue per language (kubectl's texts stay as
//! kubectl prints them). A new language is a new file implementing [`Catalogue`].

mod en;
mod zh_cn;

use crate::model::explain::Explanation;

/// The font family of charts in a language with CJK glyphs: the bundled DejaVu Sans and
/// Droid Sans Fallback subset (`assets/fonts/RollsimCJK.ttf`).
pub const CJK_FONT: &str = "rollsim-cjk";

/// A language rollsim writes its explanations in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// The language a `--lang` value names.
    pub fn parse(tag: &str) -> Option<Lang> {
        match tag {
            "en" => Some(Lang::En),
            "zh-CN" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    fn catalogue(self) -> &'static dyn Catalogue {
        match self {
            Lang::En => &en::English,
            Lang::ZhCn => &zh_cn::SimplifiedChinese,
        }
    }

    /// A decision in words: what was decided, and why.
    pub fn explain(self, e: &Explanation) -> (String, String) {
        self.catalogue().explain(e)
    }

    /// The word that marks an explanation line in the transcript.
    pub fn why(self) -> &'static str {
        self.catalogue().why()
    }

    /// The BCP 47 tag (`en`, `zh-CN`), as `--lang` takes it and HTML's `lang` names it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The words of `report.html`.
    pub fn page_text(self) -> &'static PageText {
        self.catalogue().page_text()
    }

    /// The words of the charts and of the summary.
    pub fn chart_text(self) -> &'static ChartText {
        self.catalogue().chart_text()
    }
}

/// A template with `{name}` places filled in: `fill("took {s}", &[("s", &1.5)])`.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The words of the charts (titles, axes, legends, captions) and the transcript's summary.
/// Templates name their places, as `{scenario}`.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct ChartText {
    /// The font family the charts are drawn in (one with every glyph the texts use).
    pub font: &'static str,
    pub rollout_title: &'static str,
    pub pods_title: &'static str,
    pub time_axis: &'static str,
    pub pods_axis: &'static str,
    pub pod_rows_axis: &'static str,
    pub summary: &'static str,
    pub available: &'static str,
    pub revisions: &'static str,
    pub ready_pods: &'static str,
    pub live_pods: &'static str,
    pub desired: &'static str,
    pub floor: &'static str,
    pub ceiling: &'static str,
    pub recreate: &'static str,
    pub endpoints_ready: &'static str,
    pub script_command: &'static str,
    pub fault: &'static str,
    pub random_crash: &'static str,
    pub after_run: &'static str,
    /// As `PageText::states`.
    pub states: [&'static str; 9],
    pub showing: &'static str,
    pub every: &'static str,
    pub pod_count: &'static str,
    pub group_head: &'static str,
    pub deployment: &'static str,
    pub rollout: &'static str,
    pub took: &'static str,
    pub not_complete: &'static str,
    pub min_available: &'static str,
    pub peak_pods: &'static str,
    pub traffic_title: &'static str,
    pub traffic_axis: &'static str,
    pub revision: &'static str,
    /// The transcript's closing summary (`# summary: …` lines).
    pub summary_head: &'static str,
    pub summary_rollout: &'static str,
    pub summary_not_complete: &'static str,
    pub summary_bounds: &'static str,
    pub summary_steps: &'static str,
    pub summary_aborted: &'static str,
    /// Page headings of the charts.
    pub rollout_heading: &'static str,
    pub pods_heading: &'static str,
    pub traffic_heading: &'static str,
}

/// The words of `report.html` (its headings, controls and notes).
#[derive(Debug, serde::Serialize)]
pub struct PageText {
    /// After the scenario's name in the page title.
    pub title: &'static str,
    /// How to move the cursor.
    pub keys: &'static str,
    /// The time cursor's name.
    pub cursor: &'static str,
    /// Buttons and their names for screen readers.
    pub prev_event: &'static str,
    #[allow(missing_docs)]
    pub next_event: &'static str,
    #[allow(missing_docs)]
    pub prev_decision: &'static str,
    #[allow(missing_docs)]
    pub next_decision: &'static str,
    /// Heading of the decision at the cursor.
    pub explanation: &'static str,
    /// Shown before the first decision.
    pub no_decision_yet: &'static str,
    /// Heading of the pods drawn per node.
    pub nodes: &'static str,
    /// Pods not yet on a node.
    pub unscheduled: &'static str,
    /// Section headings.
    pub traffic: &'static str,
    #[allow(missing_docs)]
    pub charts: &'static str,
    #[allow(missing_docs)]
    pub transcript: &'static str,
    /// `{shown}`, `{total}` and `{step}` are replaced.
    pub pods_sampled: &'static str,
    /// `{shown}` and `{total}` are replaced.
    pub lines_cut: &'static str,
    /// `{shown}` and `{total}` are replaced.
    pub nodes_cut: &'static str,
    /// `No resources found in default namespace.` is kubectl's; this is for an empty view.
    pub no_pods: &'static str,
    /// Pod states, as the pod timeline colours them: pending, creating, image pull
    /// failing, crashed, running not ready, ready, available, terminating, init containers.
    pub states: [&'static str; 9],
    /// A Service's ready endpoints: `{service}`, `{ready}`.
    pub endpoints: &'static str,
    /// Requests in the second at the cursor: `{client}`, `{ok}`, `{failed}`.
    pub requests: &'static str,
    /// Marks the newest ReplicaSet's pods in the node view.
    pub newest: &'static str,
    /// Decisions at the cursor's moment: `{n}`.
    pub decision_count: &'static str,
}

/// One language's texts.
trait Catalogue: Sync {
    /// `(decision, reason)` of an explanation.
    fn explain(&self, e: &Explanation) -> (String, String);
    /// The transcript's marker word (`why`).
    fn why(&self) -> &'static str;
    /// The words of `report.html`.
    fn page_text(&self) -> &'static PageText;
    /// The words of the charts and the summary.
    fn chart_text(&self) -> &'static ChartText;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_cjk_font_has_every_character_of_the_chinese_texts() {
        use ab_glyph::Font;
        let font = ab_glyph::FontRef::try_from_slice(include_bytes!(
            "../../../assets/fonts/RollsimCJK.ttf"
        ))
        .expect("a font");
        let missing: String = include_str!("zh_cn.rs")
            .chars()
            .filter(|c| !c.is_control() && font.glyph_id(*c).0 == 0)
            .collect();
        assert!(
            missing.is_empty(),
            "run assets/fonts/make-cjk-font.py: missing {missing:?}"
        );
    }

    #[test]
    fn templates_fill_their_named_places() {
        assert_eq!(
            fill("{a} of {b}, {a}", &[("a", &1), ("b", &"two")]),
            "1 of two, 1"
        );
        assert_eq!(fill("{unknown}", &[]), "{unknown}");
    }

    #[test]
    fn both_catalogues_name_the_same_places_in_their_chart_texts() {
        let places = |t: &str| -> Vec<String> {
            let mut v: Vec<String> = t
                .split('{')
                .skip(1)
                .filter_map(|x| x.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            v.sort();
            v
        };
        let (en, zh) = (Lang::En.chart_text(), Lang::ZhCn.chart_text());
        for (a, b) in [
            (en.rollout_title, zh.rollout_title),
            (en.pods_title, zh.pods_title),
            (en.available, zh.available),
            (en.revisions, zh.revisions),
            (en.endpoints_ready, zh.endpoints_ready),
            (en.showing, zh.showing),
            (en.every, zh.every),
            (en.pod_count, zh.pod_count),
            (en.group_head, zh.group_head),
            (en.rollout, zh.rollout),
            (en.took, zh.took),
            (en.min_available, zh.min_available),
            (en.peak_pods, zh.peak_pods),
            (en.revision, zh.revision),
            (en.rollout_heading, zh.rollout_heading),
        ] {
            assert_eq!(places(a), places(b), "{a} / {b}");
        }
    }
}
