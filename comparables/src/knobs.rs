//! Environment knobs shared by the criterion benches and ron-bench.
//!
//! Each knob has a canonical name and aliases (first set wins, canonical first). Values are
//! comma lists that expand into a matrix. A value that does not parse, or a zero where zero
//! makes no sense, is an error naming the variable — never a silent default.

use std::fmt;

/// One knob: its canonical variable, aliases, default and whether 0 is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knob {
    /// Canonical variable name, e.g. `RON_BENCH_BURST`.
    pub var: &'static str,
    /// Accepted aliases, in priority order after the canonical name.
    pub aliases: &'static [&'static str],
    /// Default value (a comma list) when no variable is set.
    pub default: &'static str,
    /// Smallest accepted value.
    pub min: u64,
}

/// Messages per publisher burst.
pub const BURST: Knob = Knob {
    var: "RON_BENCH_BURST",
    aliases: &["RON_BURST", "BURST"],
    default: "256",
    min: 1,
};
/// Subscriber threads.
pub const FANOUT: Knob = Knob {
    var: "RON_BENCH_FANOUT",
    aliases: &["FANOUT"],
    default: "4",
    min: 1,
};
/// Ring / queue capacity.
pub const CAP: Knob = Knob {
    var: "RON_BENCH_CAP",
    aliases: &["RON_CAP", "CAP"],
    default: "2048",
    min: 1,
};
/// Yield the publisher thread after each burst (0 or 1).
pub const PUB_YIELD: Knob = Knob {
    var: "RON_BENCH_PUB_YIELD",
    aliases: &[],
    default: "0",
    min: 0,
};
/// Per-thread metrics flush threshold (`metrics_buf`); values below 1 clamp to 1.
pub const TLS_FLUSH_THRESHOLD: Knob = Knob {
    var: "RON_TLS_FLUSH_THRESHOLD",
    aliases: &[],
    default: "64",
    min: 0,
};

/// A knob value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnobError {
    /// The variable (or flag) that held the bad value.
    pub var: String,
    /// The offending text.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?}: {}", self.var, self.value, self.reason)
    }
}

impl std::error::Error for KnobError {}

impl Knob {
    /// The variable that is set (canonical first, then aliases) and its value.
    pub fn lookup(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
        std::iter::once(&self.var)
            .chain(self.aliases.iter())
            .find_map(|v| env(v).map(|val| (*v, val)))
    }

    /// Parses the knob from `env` (or its default) into a non-empty list.
    pub fn read(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<u64>, KnobError> {
        match self.lookup(env) {
            Some((var, val)) => self.parse(var, &val),
            None => self.parse(self.var, self.default),
        }
    }

    /// Parses `text` (a comma list) as this knob, naming `source` in errors.
    pub fn parse(&self, source: &str, text: &str) -> Result<Vec<u64>, KnobError> {
        let err = |reason: String| KnobError {
            var: source.to_string(),
            value: text.to_string(),
            reason,
        };
        let mut out = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(err("empty item in the list".into()));
            }
            let v: u64 = part
                .parse()
                .map_err(|_| err(format!("`{part}` is not a non-negative whole number")))?;
            if v < self.min {
                return Err(err(format!("must be at least {} (got {v})", self.min)));
            }
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }
}

/// Reads a variable from the process environment (non-UTF-8 is treated as set-but-bad).
pub fn process_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(v)) => Some(v.to_string_lossy().into_owned()),
    }
}

/// The `[bench cfg]` line every run prints.
pub fn bench_cfg_line(tls_thresh: u64, burst: u64, fanout: u64, cap: u64) -> String {
    format!("[bench cfg] RON_TLS_FLUSH_THRESHOLD={tls_thresh}, burst={burst}, fanout={fanout}, cap={cap}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_apply_when_unset() {
        let env = env_of(&[]);
        assert_eq!(BURST.read(&env).unwrap(), vec![256]);
        assert_eq!(FANOUT.read(&env).unwrap(), vec![4]);
        assert_eq!(CAP.read(&env).unwrap(), vec![2048]);
        assert_eq!(TLS_FLUSH_THRESHOLD.read(&env).unwrap(), vec![64]);
    }

    #[test]
    fn canonical_beats_alias_and_alias_is_honoured() {
        let env = env_of(&[("BURST", "8"), ("RON_BURST", "16")]);
        assert_eq!(BURST.read(&env).unwrap(), vec![16]);
        let env = env_of(&[("BURST", "8"), ("RON_BENCH_BURST", "32")]);
        assert_eq!(BURST.read(&env).unwrap(), vec![32]);
        let env = env_of(&[("CAP", "64")]);
        assert_eq!(CAP.read(&env).unwrap(), vec![64]);
    }

    #[test]
    fn comma_lists_expand_in_order_without_duplicates() {
        let env = env_of(&[("RON_BENCH_FANOUT", "1, 4,8,4")]);
        assert_eq!(FANOUT.read(&env).unwrap(), vec![1, 4, 8]);
    }

    #[test]
    fn garbage_and_zero_name_the_variable() {
        let e = BURST
            .read(&env_of(&[("RON_BENCH_BURST", "abc")]))
            .unwrap_err();
        assert_eq!(e.var, "RON_BENCH_BURST");
        assert!(e.to_string().contains("abc"), "{e}");
        let e = FANOUT.read(&env_of(&[("FANOUT", "0")])).unwrap_err();
        assert_eq!(e.var, "FANOUT");
        assert!(e.reason.contains("at least 1"), "{e}");
        let e = CAP.read(&env_of(&[("CAP", "64,,8")])).unwrap_err();
        assert_eq!(e.var, "CAP");
    }

    #[test]
    fn cfg_line_is_exact() {
        assert_eq!(
            bench_cfg_line(64, 256, 4, 2048),
            "[bench cfg] RON_TLS_FLUSH_THRESHOLD=64, burst=256, fanout=4, cap=2048"
        );
    }
}
