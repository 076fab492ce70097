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
}

/// One language's texts.
trait Catalogue: Sync {
    /// `(decision, reason)` of an explanation.
    fn explain(&self, e: &Explanation) -> (String, String);
    /// The transcript's marker word (`why`).
    fn why(&self) -> &'static str;
}
