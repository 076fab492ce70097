//! Times as kubectl prints them: ages (`HumanDuration`) and RFC 1123 timestamps of the
//! virtual clock, whose zero is [`EPOCH_UNIX_SECONDS`].

use crate::sim::SimTime;

/// Wall-clock instant of virtual time zero: Mon, 01 Jan 2024 00:00:00 UTC. Fixed so that
/// timestamps in transcripts never depend on when a run happens.
pub const EPOCH_UNIX_SECONDS: i64 = 1_704_067_200;

/// Mirrors `duration.HumanDuration` (apimachinery): `45s`, `3m20s`, `12m`, `5h3m`, `3d4h`, ….
pub fn human_duration(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The age of an object created at `created` (whole seconds), seen at `now`.
pub fn age(created: SimTime, now: SimTime) -> String {
    human_duration(now.ms_since(created) as i64)
}

/// Go's `time.RFC1123Z` layout in UTC: `Mon, 01 Jan 2024 00:00:05 +0000`.
pub fn rfc1123z(t: SimTime) -> String {
    let secs = EPOCH_UNIX_SECONDS + (t.as_ms() / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// RFC 3339 in UTC (`2024-01-01T00:00:05Z`), as the API server writes `restartedAt`.
pub fn rfc3339(t: SimTime) -> String {
    let secs = EPOCH_UNIX_SECONDS + (t.as_ms() / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_matches_apimachinerys_table() {
        // Rows from duration_test.go's TestHumanDuration.
        let s = 1000;
        let cases = [
            (-2 * s, "<invalid>"),
            (-s, "0s"),
            (0, "0s"),
            (s - 1, "0s"),
            (119 * s, "119s"),
            (2 * 60 * s, "2m"),
            (2 * 60 * s + 30 * s, "2m30s"),
            (9 * 60 * s + 59 * s, "9m59s"),
            (10 * 60 * s, "10m"),
            (179 * 60 * s, "179m"),
            (3 * 3600 * s, "3h"),
            (3 * 3600 * s + 10 * 60 * s, "3h10m"),
            (8 * 3600 * s, "8h"),
            (47 * 3600 * s + 59 * 60 * s, "47h"),
            (48 * 3600 * s, "2d"),
            (48 * 3600 * s + 3600 * s, "2d1h"),
            (8 * 24 * 3600 * s, "8d"),
            (2 * 365 * 24 * 3600 * s, "2y"),
            (2 * 365 * 24 * 3600 * s + 24 * 3600 * s, "2y1d"),
            (8 * 365 * 24 * 3600 * s, "8y"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(ms), want, "{ms} ms");
        }
    }

    #[test]
    fn timestamps_count_from_the_fixed_epoch() {
        assert_eq!(rfc1123z(SimTime::ZERO), "Mon, 01 Jan 2024 00:00:00 +0000");
        assert_eq!(
            rfc1123z(SimTime::from_ms(((31 + 29) * 86_400 + 3723) * 1000 + 999)),
            "Fri, 01 Mar 2024 01:02:03 +0000"
        );
        assert_eq!(rfc3339(SimTime::from_ms(5_000)), "2024-01-01T00:00:05Z");
    }
}
