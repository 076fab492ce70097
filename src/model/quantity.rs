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
    // Every suffix `resource.Quantity` knows: binary, decimal SI (down to milli, so
    // `500m` is half a byte, rounded up as the API rounds a byte count) and exponents.
    const SUFFIXES: [(&str, f64); 15] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let s = s.trim();
    let (num, mult) = SUFFIXES
        .iter()
        .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
        .unwrap_or((s, 1.0));
    // `1e3` is a number with an exponent, not the suffix `e3`.
    let v: f64 = num
        .parse()
        .map_err(|_| format!("invalid memory quantity {s:?}"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("invalid memory quantity {s:?}"));
    }
    // Saturates at u64::MAX bytes, far beyond any machine.
    Ok((v * mult).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_takes_every_quantity_suffix() {
        assert_eq!(parse_memory_bytes("500m"), Ok(1));
        assert_eq!(parse_memory_bytes("1Ei"), Ok(1 << 60));
        assert_eq!(parse_memory_bytes("128Mi"), Ok(128 << 20));
        assert_eq!(parse_memory_bytes("2E"), Ok(2_000_000_000_000_000_000));
        assert_eq!(parse_memory_bytes("1e3"), Ok(1000));
        assert!(parse_memory_bytes("1x").is_err());
    }

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
