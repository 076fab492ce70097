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

    /// `ValidateLabelSelector` at `path`: `matchLabels` keys and values, then each
    /// `matchExpressions` entry's operator, values and key, in upstream's order.
    pub fn validate(&self, path: &str) -> Vec<String> {
        let mut errors = Vec::new();
        super::validation::labels(
            &format!("{path}.matchLabels"),
            &self.match_labels,
            &mut errors,
        );
        for (i, r) in self.match_expressions.iter().enumerate() {
            let at = format!("{path}.matchExpressions[{i}]");
            match r.operator.as_str() {
                "In" | "NotIn" if r.values.is_empty() => errors.push(format!(
                    "{at}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                )),
                "Exists" | "DoesNotExist" if !r.values.is_empty() => errors.push(format!(
                    "{at}.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )),
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                op => errors.push(format!(
                    "{at}.operator: Invalid value: {op:?}: not a valid selector operator"
                )),
            }
            for (j, v) in r.values.iter().enumerate() {
                super::validation::label_value_at(&format!("{at}.values[{j}]"), v, &mut errors);
            }
            let one = [(r.key.clone(), String::new())].into_iter().collect();
            super::validation::labels(&format!("{at}.key"), &one, &mut errors);
        }
        errors
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

/// One token of a selector string (`labels.Lexer`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    End,
    Ident(String),
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

impl Token {
    /// The literal as the parser's messages quote it (`''` at the end).
    fn literal(&self) -> &str {
        match self {
            Token::End => "",
            Token::Ident(s) => s,
            Token::Not => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::In => "in",
            Token::NotIn => "notin",
            Token::Gt => ">",
            Token::Lt => "<",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
        }
    }
}

/// `labels.Lexer`: special characters (`! != = == > < ( ) ,`), else identifiers, `in` and
/// `notin` among them as keywords.
fn lex(s: &str) -> Vec<Token> {
    let special = |c: char| matches!(c, '!' | '=' | '(' | ')' | ',' | '>' | '<');
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if special(c) {
            chars.next();
            let double = chars.peek() == Some(&'=') && matches!(c, '!' | '=');
            if double {
                chars.next();
            }
            out.push(match (c, double) {
                ('!', true) => Token::NotEquals,
                ('!', false) => Token::Not,
                ('=', true) => Token::DoubleEquals,
                ('=', false) => Token::Equals,
                ('(', _) => Token::Open,
                (')', _) => Token::Close,
                ('>', _) => Token::Gt,
                ('<', _) => Token::Lt,
                _ => Token::Comma,
            });
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| !c.is_whitespace() && !special(**c)) {
                word.push(c);
                chars.next();
            }
            out.push(match word.as_str() {
                "in" => Token::In,
                "notin" => Token::NotIn,
                _ => Token::Ident(word),
            });
        }
    }
    out.push(Token::End);
    out
}

/// Mirrors `labels.Parse` (apimachinery `pkg/labels/selector.go`): `k=v`, `k==v`, `k!=v`,
/// `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>3`, `k<3`, comma-separated, with its error
/// texts (which name `>` and `<` as `gt` and `lt`).
pub fn parse_selector_arg(s: &str) -> Result<Vec<(String, SelectorOp)>, String> {
    let tokens = lex(s);
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        match &tokens[pos] {
            Token::End => return Ok(out),
            Token::Ident(_) | Token::Not | Token::In | Token::NotIn => {
                let r = parse_requirement(&tokens, &mut pos)
                    .map_err(|e| format!("unable to parse requirement: {e}"))?;
                out.push(r);
                match &tokens[pos] {
                    Token::End => return Ok(out),
                    Token::Comma => {
                        pos += 1;
                        let next = &tokens[pos];
                        if !matches!(
                            next,
                            Token::Ident(_) | Token::Not | Token::In | Token::NotIn
                        ) {
                            return Err(format!(
                                "found '{}', expected: identifier after ','",
                                next.literal()
                            ));
                        }
                    }
                    t => {
                        return Err(format!(
                            "found '{}', expected: ',' or 'end of string'",
                            t.literal()
                        ));
                    }
                }
            }
            t => {
                return Err(format!(
                    "found '{}', expected: !, identifier, or 'end of string'",
                    t.literal()
                ));
            }
        }
    }
}

/// `parseRequirement`: a key (after an optional `!`), then an operator and its values.
fn parse_requirement(t: &[Token], pos: &mut usize) -> Result<(String, SelectorOp), String> {
    let negated = t[*pos] == Token::Not;
    if negated {
        *pos += 1;
    }
    // Where a key or value is expected, `in` and `notin` are plain words (`consume(Values)`).
    let key = match &t[*pos] {
        Token::Ident(_) | Token::In | Token::NotIn => t[*pos].literal().to_string(),
        other => return Err(format!("found '{}', expected: identifier", other.literal())),
    };
    *pos += 1;
    if matches!(t[*pos], Token::End | Token::Comma) || negated {
        let op = if negated {
            SelectorOp::Absent
        } else {
            SelectorOp::Present
        };
        return Ok((key, op));
    }
    let op = t[*pos].clone();
    *pos += 1;
    let op = match op {
        Token::In | Token::NotIn => {
            let values = parse_values(t, pos)?;
            if op == Token::In {
                SelectorOp::In(values)
            } else {
                SelectorOp::NotIn(values)
            }
        }
        Token::Equals | Token::DoubleEquals | Token::NotEquals | Token::Gt | Token::Lt => {
            let value = match &t[*pos] {
                Token::Ident(_) | Token::In | Token::NotIn => {
                    *pos += 1;
                    t[*pos - 1].literal().to_string()
                }
                Token::End | Token::Comma => String::new(),
                other => {
                    return Err(format!("found '{}', expected: identifier", other.literal()));
                }
            };
            match op {
                Token::NotEquals => SelectorOp::NotIn(vec![value]),
                Token::Gt | Token::Lt => {
                    let n: i64 = value.parse().map_err(|_| {
                        "for 'Gt', 'Lt' operators, the value must be an integer".to_string()
                    })?;
                    if op == Token::Gt {
                        SelectorOp::Gt(n)
                    } else {
                        SelectorOp::Lt(n)
                    }
                }
                _ => SelectorOp::In(vec![value]),
            }
        }
        other => {
            return Err(format!(
                "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                other.literal()
            ));
        }
    };
    Ok((key, op))
}

/// `parseValues`: `(a, b, …)`.
fn parse_values(t: &[Token], pos: &mut usize) -> Result<Vec<String>, String> {
    if t[*pos] != Token::Open {
        return Err(format!("found '{}' expected: '('", t[*pos].literal()));
    }
    *pos += 1;
    let mut values = Vec::new();
    loop {
        match &t[*pos] {
            Token::Ident(_) | Token::In | Token::NotIn => {
                values.push(t[*pos].literal().to_string());
                *pos += 1;
            }
            // `()` and `(a,,b)` hold the empty value.
            Token::Close | Token::Comma => values.push(String::new()),
            other => {
                return Err(format!(
                    "found '{}', expected: ',', ')' or identifier",
                    other.literal()
                ));
            }
        }
        match &t[*pos] {
            Token::Comma => *pos += 1,
            Token::Close => {
                *pos += 1;
                return Ok(values);
            }
            other => return Err(format!("found '{}', expected: ',' or ')'", other.literal())),
        }
    }
}

/// One parsed `-l` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorOp {
    /// `k=v`, `k in (a,b)`
    In(Vec<String>),
    /// `k!=v`, `k notin (a)`: also true without the label
    NotIn(Vec<String>),
    /// `k`
    Present,
    /// `!k`
    Absent,
    /// `k gt 3`
    Gt(i64),
    /// `k lt 3`
    Lt(i64),
}

/// Whether `labels` satisfy every parsed `-l` term (`Requirement.Matches`).
pub fn matches_selector_arg(
    terms: &[(String, SelectorOp)],
    labels: &BTreeMap<String, String>,
) -> bool {
    let number = |k: &str| labels.get(k).and_then(|v| v.parse::<i64>().ok());
    terms.iter().all(|(k, op)| match op {
        SelectorOp::In(v) => labels.get(k).is_some_and(|l| v.contains(l)),
        SelectorOp::NotIn(v) => labels.get(k).is_none_or(|l| !v.contains(l)),
        SelectorOp::Present => labels.contains_key(k),
        SelectorOp::Absent => !labels.contains_key(k),
        SelectorOp::Gt(n) => number(k).is_some_and(|l| l > *n),
        SelectorOp::Lt(n) => number(k).is_some_and(|l| l < *n),
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
    fn selector_strings_parse_as_labels_parse_does() {
        let t = parse_selector_arg("app in (web, api), tier notin (db), version>2").unwrap();
        assert!(matches_selector_arg(
            &t,
            &labels(&[("app", "api"), ("version", "3")])
        ));
        assert!(!matches_selector_arg(
            &t,
            &labels(&[("app", "api"), ("version", "2")])
        ));
        let err = |s: &str| parse_selector_arg(s).unwrap_err();
        assert_eq!(
            err("app notin"),
            "unable to parse requirement: found '' expected: '('"
        );
        assert_eq!(
            err("component not in (x)"),
            "unable to parse requirement: found 'not', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            err("=web"),
            "found '=', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(err("app=web,"), "found '', expected: identifier after ','");
        let words = parse_selector_arg("app=in,x in (notin),tier=lt").unwrap();
        let l = labels(&[("app", "in"), ("x", "notin"), ("tier", "lt")]);
        assert!(matches_selector_arg(&words, &l));
        assert_eq!(
            err("app in (a"),
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
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
