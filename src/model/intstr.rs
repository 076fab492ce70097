//! `IntOrString` as the rollout fields use it: an absolute count or a percentage.

use std::fmt;

/// `maxSurge` / `maxUnavailable`: an integer, or a percent string such as `"25%"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(i32),
    /// A percentage of the desired replicas.
    Percent(i32),
}

impl IntOrPercent {
    /// Parses a percent string as the API server accepts it (`^[0-9]+%$`).
    pub fn parse_percent(s: &str) -> Option<IntOrPercent> {
        let digits = s.strip_suffix('%')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i32>().ok().map(IntOrPercent::Percent)
    }

    /// Whether the literal value is zero (`0` or `"0%"`): validation looks at literals.
    pub fn is_literal_zero(self) -> bool {
        matches!(self, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
    }

    /// Mirrors `intstr.GetScaledValueFromIntOrPercent`: ints as-is, percents of `total`
    /// rounded up or down.
    pub fn scaled(self, total: i32, round_up: bool) -> i32 {
        match self {
            IntOrPercent::Int(v) => v,
            IntOrPercent::Percent(p) => {
                let num = i64::from(p) * i64::from(total);
                let v = if round_up {
                    num.div_euclid(100) + i64::from(num.rem_euclid(100) != 0)
                } else {
                    num.div_euclid(100)
                };
                v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
            }
        }
    }

    /// How the API server prints the value in a validation error (Go's `%#v` of the struct).
    pub fn go_repr(self) -> String {
        match self {
            IntOrPercent::Int(v) => {
                format!("intstr.IntOrString{{Type:0, IntVal:{v}, StrVal:\"\"}}")
            }
            IntOrPercent::Percent(p) => {
                format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:\"{p}%\"}}")
            }
        }
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(v) => write!(f, "{v}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_as_upstream() {
        assert_eq!(IntOrPercent::Percent(25).scaled(3, true), 1);
        assert_eq!(IntOrPercent::Percent(25).scaled(3, false), 0);
        assert_eq!(IntOrPercent::Percent(39).scaled(10, true), 4);
        assert_eq!(IntOrPercent::Percent(39).scaled(10, false), 3);
        assert_eq!(IntOrPercent::Int(7).scaled(3, false), 7);
    }

    #[test]
    fn only_digits_then_percent_parse() {
        assert_eq!(
            IntOrPercent::parse_percent("25%"),
            Some(IntOrPercent::Percent(25))
        );
        assert_eq!(IntOrPercent::parse_percent("%"), None);
        assert_eq!(IntOrPercent::parse_percent("2.5%"), None);
        assert_eq!(IntOrPercent::parse_percent("25"), None);
    }
}
