//! Label selectors (`matchLabels` and `matchExpressions`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A `metav1.LabelSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Exact label matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// Values for `In` / `NotIn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Whether the selector has no requirement at all (selects everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Checks operators and values as the API server does; returns the first problem.
    pub fn validate(&self) -> Result<(), String> {
        for r in &self.match_expressions {
            match r.operator.as_str() {
                "In" | "NotIn" if r.values.is_empty() => {
                    return Err(format!(
                        "values: Required value: must be specified when `operator` is 'In' or 'NotIn' (key {})",
                        r.key
                    ));
                }
                "Exists" | "DoesNotExist" if !r.values.is_empty() => {
                    return Err(format!(
                        "values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist' (key {})",
                        r.key
                    ));
                }
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                op => {
                    return Err(format!(
                        "operator: Invalid value: \"{op}\": not a valid selector operator"
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => v.is_some_and(|v| self.values.contains(v)),
            "NotIn" => v.is_none_or(|v| !self.values.contains(v)),
            "Exists" => v.is_some(),
            "DoesNotExist" => v.is_none(),
            _ => false,
        }
    }
}

impl std::fmt::Display for LabelSelector {
    /// `metav1.FormatLabelSelector`: `a=b,c in (x,y)`, or `<none>` when empty.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            let mut values = r.values.clone();
            values.sort();
            parts.push(match r.operator.as_str() {
                "In" => format!("{} in ({})", r.key, values.join(",")),
                "NotIn" => format!("{} notin ({})", r.key, values.join(",")),
                "Exists" => r.key.clone(),
                _ => format!("!{}", r.key),
            });
        }
        if parts.is_empty() {
            f.write_str("<none>")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

/// Parses a kubectl `-l` selector: comma-separated `k=v`, `k==v`, `k!=v`, `k`, `!k`.
pub fn parse_selector_arg(s: &str) -> Result<Vec<(String, SelectorOp)>, String> {
    let mut out = Vec::new();
    for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let parsed = if let Some((k, v)) = term.split_once("!=") {
            (k.to_string(), SelectorOp::NotEq(v.to_string()))
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            (k.to_string(), SelectorOp::Eq(v.to_string()))
        } else if let Some(k) = term.strip_prefix('!') {
            (k.to_string(), SelectorOp::Absent)
        } else {
            (term.to_string(), SelectorOp::Present)
        };
        if parsed.0.is_empty() {
            return Err(format!("unable to parse requirement: {term:?}"));
        }
        out.push(parsed);
    }
    Ok(out)
}

/// One parsed `-l` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorOp {
    /// `k=v`
    Eq(String),
    /// `k!=v`
    NotEq(String),
    /// `k`
    Present,
    /// `!k`
    Absent,
}

/// Whether `labels` satisfy every parsed `-l` term.
pub fn matches_selector_arg(
    terms: &[(String, SelectorOp)],
    labels: &BTreeMap<String, String>,
) -> bool {
    terms.iter().all(|(k, op)| match op {
        SelectorOp::Eq(v) => labels.get(k) == Some(v),
        SelectorOp::NotEq(v) => labels.get(k) != Some(v),
        SelectorOp::Present => labels.contains_key(k),
        SelectorOp::Absent => !labels.contains_key(k),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let mut s = LabelSelector::default();
        s.match_labels.insert("app".into(), "web".into());
        s.match_expressions.push(Requirement {
            key: "tier".into(),
            operator: "In".into(),
            values: vec!["a".into(), "b".into()],
        });
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "b")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert_eq!(s.to_string(), "app=web,tier in (a,b)");
    }

    #[test]
    fn kubectl_selector_terms() {
        let t = parse_selector_arg("app=web,tier!=db,!canary").unwrap();
        assert!(matches_selector_arg(&t, &labels(&[("app", "web")])));
        assert!(!matches_selector_arg(
            &t,
            &labels(&[("app", "web"), ("canary", "1")])
        ));
    }
}
