//! Resource quantities: CPU in millicores, memory in bytes.

/// Parses a CPU quantity (`"2"`, `"500m"`, `"0.5"`) into millicores.
pub fn parse_cpu_millis(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Some(m) = s.strip_suffix('m') {
        return m
            .parse::<u64>()
            .map_err(|_| format!("invalid CPU quantity {s:?}"));
    }
    let v: f64 = s
        .parse()
        .map_err(|_| format!("invalid CPU quantity {s:?}"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("invalid CPU quantity {s:?}"));
    }
    Ok((v * 1000.0).ceil() as u64)
}

/// Parses a memory quantity (`"128Mi"`, `"1Gi"`, `"1G"`, `"1000"`) into bytes.
pub fn parse_memory_bytes(s: &str) -> Result<u64, String> {
    const SUFFIXES: [(&str, u64); 10] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ];
    let s = s.trim();
    let (num, mult) = SUFFIXES
        .iter()
        .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
        .unwrap_or((s, 1));
    let v: f64 = num
        .parse()
        .map_err(|_| format!("invalid memory quantity {s:?}"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("invalid memory quantity {s:?}"));
    }
    Ok((v * mult as f64).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_forms() {
        assert_eq!(parse_cpu_millis("4"), Ok(4000));
        assert_eq!(parse_cpu_millis("250m"), Ok(250));
        assert_eq!(parse_cpu_millis("0.5"), Ok(500));
        assert!(parse_cpu_millis("lots").is_err());
    }

    #[test]
    fn memory_forms() {
        assert_eq!(parse_memory_bytes("8Gi"), Ok(8 << 30));
        assert_eq!(parse_memory_bytes("1G"), Ok(1_000_000_000));
        assert_eq!(parse_memory_bytes("512"), Ok(512));
        assert!(parse_memory_bytes("1Qi").is_err());
    }
}
