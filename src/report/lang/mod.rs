//! The words of rollsim's own texts, one catalogue per language (kubectl's texts stay as
//! kubectl prints them). A new language is a new file implementing [`Catalogue`].

mod en;
mod zh_cn;

use crate::model::explain::Explanation;

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
    /// failing, crashed, running not ready, ready, available, terminating.
    pub states: [&'static str; 8],
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
}
