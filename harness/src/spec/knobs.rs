//! Knob resolution: flag, then `--matrix` file, then environment (canonical name, then
//! aliases), then the default. Parsing itself is `ron_comparables::knobs`, shared with the
//! criterion benches, so both read `RON_BENCH_BURST=64,256` the same way.

use ron_comparables::knobs::{Knob, KnobError};
use serde::{Deserialize, Serialize};

/// Where a knob's values came from, recorded in the run file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnobSetting {
    /// The knob's canonical variable (`RON_BENCH_BURST`, ...).
    pub var: String,
    /// The values, in the order given, without duplicates.
    pub values: Vec<u64>,
    /// `flag --burst`, `matrix file <path>`, `env RON_BURST` or `default`.
    pub source: String,
}

/// A knob value from a `--matrix` file: the file's path and the values it lists.
#[derive(Debug, Clone, Copy)]
pub struct FromFile<'a> {
    /// The file, for messages.
    pub path: &'a str,
    /// The TOML key.
    pub key: &'a str,
    /// The values.
    pub values: &'a [u64],
}

/// Resolves one knob: `flag` (name, text) beats `file` beats `env` beats the default.
pub fn resolve(
    knob: &Knob,
    flag: Option<(&str, &str)>,
    file: Option<FromFile<'_>>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<KnobSetting, KnobError> {
    let setting = |values, source: String| KnobSetting {
        var: knob.var.to_string(),
        values,
        source,
    };
    if let Some((name, text)) = flag {
        return Ok(setting(knob.parse(name, text)?, format!("flag {name}")));
    }
    if let Some(f) = file {
        let text: Vec<String> = f.values.iter().map(u64::to_string).collect();
        let source = format!("{} (key `{}`)", f.path, f.key);
        return Ok(setting(
            knob.parse(&source, &text.join(","))?,
            format!("matrix file {}", f.path),
        ));
    }
    match knob.lookup(env) {
        Some((var, text)) => Ok(setting(knob.parse(var, &text)?, format!("env {var}"))),
        None => Ok(setting(
            knob.parse(knob.var, knob.default)?,
            "default".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ron_comparables::knobs::{BURST, CAP, FANOUT};

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_beats_file_beats_env_beats_default() {
        let env = env_of(&[("BURST", "8")]);
        let file = FromFile {
            path: "m.toml",
            key: "burst",
            values: &[16, 32],
        };
        let s = resolve(&BURST, Some(("--burst", "1,2")), Some(file), &env).unwrap();
        assert_eq!((s.values, s.source.as_str()), (vec![1, 2], "flag --burst"));
        let s = resolve(&BURST, None, Some(file), &env).unwrap();
        assert_eq!(s.values, vec![16, 32]);
        assert_eq!(s.source, "matrix file m.toml");
        let s = resolve(&BURST, None, None, &env).unwrap();
        assert_eq!((s.values, s.source.as_str()), (vec![8], "env BURST"));
        let s = resolve(&BURST, None, None, &env_of(&[])).unwrap();
        assert_eq!((s.values, s.source.as_str()), (vec![256], "default"));
    }

    #[test]
    fn errors_name_the_culprit() {
        let e = resolve(&FANOUT, Some(("--fanout", "0")), None, &env_of(&[])).unwrap_err();
        assert_eq!(e.var, "--fanout");
        let file = FromFile {
            path: "m.toml",
            key: "cap",
            values: &[0],
        };
        let e = resolve(&CAP, None, Some(file), &env_of(&[])).unwrap_err();
        assert!(e.to_string().contains("m.toml"), "{e}");
        let e = resolve(&BURST, None, None, &env_of(&[("RON_BENCH_BURST", "abc")])).unwrap_err();
        assert_eq!(e.var, "RON_BENCH_BURST");
    }
}
