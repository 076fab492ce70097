//! Durations as scenarios write them: Go's `time.ParseDuration` units (`ms`, `s`, `m`, `h`),
//! combined and fractional (`1m30s`, `1.5s`, `800ms`), rounded to whole milliseconds.

/// The longest duration a scenario may write (366 days, as `8784h`): no run is longer, so
/// no wait, latency or `until` needs more.
pub const MAX_DURATION_MS: u64 = 366 * 86_400_000;

/// Parses a duration into milliseconds (at most [`MAX_DURATION_MS`]).
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("an empty duration; write e.g. \"2s\", \"800ms\" or \"1m30s\"".into());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && s != "0" {
        return Err(format!(
            "\"{s}\" has no unit; write e.g. \"{s}s\" or \"{s}ms\""
        ));
    }
    if s == "0" {
        return Ok(0);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("\"{s}\" is not a duration (expected e.g. \"1m30s\")"))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "" => return Err(format!("\"{s}\" is missing a unit after {number}")),
            other => {
                return Err(format!(
                    "\"{s}\" has unknown unit \"{other}\" (use ms, s, m or h)"
                ));
            }
        };
        total += value * scale;
        rest = next;
    }
    if !total.is_finite() || total > MAX_DURATION_MS as f64 {
        return Err(format!(
            "\"{s}\" is too long: rollsim plays at most 366 days (8784h)"
        ));
    }
    Ok(total.round() as u64)
}

/// Formats milliseconds the way Go prints a `time.Duration` (`1m30s`, `800ms`, `0s`).
pub fn go_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
    let s = ms % 60_000;
    let secs = if s.is_multiple_of(1000) {
        format!("{}s", s / 1000)
    } else {
        let text = format!("{}.{:03}", s / 1000, s % 1000);
        format!("{}s", text.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_durations_parse_to_milliseconds() {
        assert_eq!(parse_duration("800ms"), Ok(800));
        assert_eq!(parse_duration("2s"), Ok(2000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_duration("1.5s"), Ok(1500));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert_eq!(parse_duration("0"), Ok(0));
    }

    #[test]
    fn durations_without_units_or_with_unknown_units_are_rejected() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn durations_are_bounded_by_the_longest_run() {
        assert_eq!(parse_duration("8784h"), Ok(MAX_DURATION_MS));
        assert!(parse_duration("8784h1ms").unwrap_err().contains("366 days"));
        assert!(
            parse_duration("100000000h")
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn go_duration_prints_like_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(800), "800ms");
        assert_eq!(go_duration(90_000), "1m30s");
        assert_eq!(go_duration(1500), "1.5s");
        assert_eq!(go_duration(3_600_000), "1h0m0s");
    }
}
