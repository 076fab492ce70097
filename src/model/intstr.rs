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

    /// How the API server prints the value in a validation error since 1.34: as JSON, a
    /// number or a quoted percentage.
    pub fn json(self) -> String {
        match self {
            IntOrPercent::Int(v) => v.to_string(),
            IntOrPercent::Percent(p) => format!("\"{p}%\""),
        }
    }
}

/// Upstream's `intstr.IntOrString` as a manifest may write it: an int, or any string, valid
/// or not. Resolved to an [`IntOrPercent`] the way `GetScaledValueFromIntOrPercent` reads it,
/// with its error texts; an unset field is `None` where one is taken. Decoded as the API
/// server decodes it: a number must be an int32 (`1.5` or `2147483648` fail with the JSON
/// decoder's words).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IntOrString {
    /// `Type: Int`.
    Int(i64),
    /// `Type: String`: a percentage when valid.
    Str(String),
}

impl IntOrString {
    /// What `GetScaledValueFromIntOrPercent` accepts: an int as is, or a string that ends in
    /// `%` whose prefix `strconv.Atoi` parses (a sign is allowed, as Atoi allows it).
    pub fn resolve(&self) -> Result<IntOrPercent, String> {
        let s = match self {
            IntOrString::Int(v) => {
                let clamped = (*v).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
                return Ok(IntOrPercent::Int(clamped as i32));
            }
            IntOrString::Str(s) => s,
        };
        let Some(digits) = s.strip_suffix('%') else {
            return Err(
                "invalid value for IntOrString: invalid type: string is not a percentage".into(),
            );
        };
        atoi(digits)
            .map(|v| IntOrPercent::Percent(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32))
            .map_err(|why| {
                format!("invalid value for IntOrString: invalid value \"{s}\": strconv.Atoi: parsing \"{digits}\": {why}")
            })
    }

    /// Mirrors `GetScaledValueFromIntOrPercent` on a set value.
    pub fn scaled_value(&self, total: i32, round_up: bool) -> Result<i32, String> {
        self.resolve().map(|v| v.scaled(total, round_up))
    }
}

impl<'de> serde::Deserialize<'de> for IntOrString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Visitor};
        struct V;
        fn not_int32<E: Error>(number: impl fmt::Display) -> E {
            E::custom(format!(
                "json: cannot unmarshal number {number} into Go value of type int32"
            ))
        }
        impl Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an int32 or a string such as \"25%\"")
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(|v| IntOrString::Int(i64::from(v)))
                    .map_err(|_| not_int32(v))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(|v| IntOrString::Int(i64::from(v)))
                    .map_err(|_| not_int32(v))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<IntOrString, E> {
                // kubectl sends YAML as JSON: `2.0` and `1e3` arrive as integral numbers.
                let integral =
                    v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
                if integral {
                    Ok(IntOrString::Int(v as i64))
                } else {
                    Err(not_int32(v))
                }
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::Str(v.to_string()))
            }
            fn visit_bool<E: Error>(self, v: bool) -> Result<IntOrString, E> {
                Err(E::custom(format!(
                    "json: cannot unmarshal bool into Go value of type int32 (got {v})"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// Go's `strconv.Atoi` on a 64-bit machine: an optional sign and decimal digits, with its two
/// error texts.
fn atoi(s: &str) -> Result<i64, &'static str> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    s.parse::<i64>().map_err(|_| "value out of range")
}

impl From<IntOrPercent> for IntOrString {
    fn from(v: IntOrPercent) -> Self {
        match v {
            IntOrPercent::Int(i) => IntOrString::Int(i64::from(i)),
            IntOrPercent::Percent(p) => IntOrString::Str(format!("{p}%")),
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
    fn numbers_decode_as_the_api_servers_json_decoder_does() {
        let decode =
            |yaml: &str| serde_yaml::from_str::<IntOrString>(yaml).map_err(|e| e.to_string());
        assert_eq!(decode("3"), Ok(IntOrString::Int(3)));
        assert_eq!(decode("2.0"), Ok(IntOrString::Int(2)));
        assert_eq!(decode("'25%'"), Ok(IntOrString::Str("25%".into())));
        assert!(decode("1.5").is_err_and(|e| {
            e.starts_with("json: cannot unmarshal number 1.5 into Go value of type int32")
        }));
        assert!(decode("2147483648").is_err_and(|e| {
            e.starts_with("json: cannot unmarshal number 2147483648 into Go value of type int32")
        }));
    }

    #[test]
    fn int_or_string_resolves_with_upstreams_errors() {
        assert_eq!(IntOrString::Int(3).resolve(), Ok(IntOrPercent::Int(3)));
        assert_eq!(
            IntOrString::Str("-10%".into()).resolve(),
            Ok(IntOrPercent::Percent(-10))
        );
        assert_eq!(
            IntOrString::Str("invalid".into()).resolve(),
            Err("invalid value for IntOrString: invalid type: string is not a percentage".into())
        );
        assert_eq!(
            IntOrString::Str("1.5%".into()).resolve(),
            Err("invalid value for IntOrString: invalid value \"1.5%\": strconv.Atoi: parsing \"1.5\": invalid syntax".into())
        );
        assert_eq!(
            IntOrString::Str("%".into()).resolve(),
            Err("invalid value for IntOrString: invalid value \"%\": strconv.Atoi: parsing \"\": invalid syntax".into())
        );
        assert!(
            IntOrString::Str("99999999999999999999%".into())
                .resolve()
                .is_err_and(|e| e.ends_with("value out of range"))
        );
        assert_eq!(IntOrString::Str("39%".into()).scaled_value(10, true), Ok(4));
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
