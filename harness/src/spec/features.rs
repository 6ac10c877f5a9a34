//! `--features "a,b;c"`: feature combos, each one runner build.
//!
//! The accepted names are the runner crate's own `[features]` table, read from its manifest
//! at compile time, so a feature added to the runner is accepted without touching this file.

use super::Build;
use thiserror::Error;

const RUNNER_MANIFEST: &str = include_str!("../../runner/Cargo.toml");

/// A `--features` value that cannot be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FeatureError {
    /// A name the bus (runner) does not have.
    #[error("unknown feature `{name}` in --features {spec:?} (the bus has: {known})")]
    Unknown {
        /// The bad name.
        name: String,
        /// The whole `--features` text.
        spec: String,
        /// The accepted names.
        known: String,
    },
    /// An empty combo or item (`"a;;b"`, `"a,"`).
    #[error("empty feature combo or item in --features {spec:?} (write `none` for no features)")]
    Empty {
        /// The whole `--features` text.
        spec: String,
    },
    /// `none` mixed with features.
    #[error("`none` cannot be combined with other features in --features {spec:?}")]
    NoneMixed {
        /// The whole `--features` text.
        spec: String,
    },
}

/// The runner's feature names, in manifest order.
pub fn known() -> Vec<String> {
    let manifest: toml::Table = RUNNER_MANIFEST
        .parse()
        .expect("the runner manifest is valid TOML (checked by cargo)");
    manifest
        .get("features")
        .and_then(|f| f.as_table())
        .map(|t| t.keys().filter(|k| *k != "default").cloned().collect())
        .unwrap_or_default()
}

/// Parses combos separated by `;`, features within a combo by `,` (or `+`). `none` (or an
/// absent flag) is the build without features. Duplicate combos collapse.
pub fn parse(spec: &str) -> Result<Vec<Build>, FeatureError> {
    let known = known();
    let mut builds: Vec<Build> = Vec::new();
    for combo in spec.split(';') {
        let items: Vec<&str> = combo.split([',', '+']).map(str::trim).collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(FeatureError::Empty { spec: spec.into() });
        }
        let mut features = Vec::new();
        for item in &items {
            if *item == "none" {
                if items.len() > 1 {
                    return Err(FeatureError::NoneMixed { spec: spec.into() });
                }
            } else if known.iter().any(|k| k == item) {
                features.push(item.to_string());
            } else {
                return Err(FeatureError::Unknown {
                    name: item.to_string(),
                    spec: spec.into(),
                    known: known.join(", "),
                });
            }
        }
        let build = Build::new(features);
        if !builds.contains(&build) {
            builds.push(build);
        }
    }
    Ok(builds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_features_come_from_the_runner_manifest() {
        let k = known();
        assert!(k.contains(&"bus_batch".to_string()), "{k:?}");
        assert!(k.contains(&"metrics_buf".to_string()), "{k:?}");
    }

    #[test]
    fn combos_parse_in_order() {
        let b = parse("none;bus_batch").unwrap();
        assert_eq!(
            b.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["none", "bus_batch"]
        );
        let b = parse("metrics_buf,bus_batch; bus_batch+metrics_buf").unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].label, "bus_batch+metrics_buf");
    }

    #[test]
    fn bad_combos_name_the_culprit() {
        let e = parse("none;bus_turbo").unwrap_err();
        assert!(e.to_string().contains("bus_turbo"), "{e}");
        assert!(matches!(
            parse("none;;bus_batch"),
            Err(FeatureError::Empty { .. })
        ));
        assert!(matches!(
            parse("none,bus_batch"),
            Err(FeatureError::NoneMixed { .. })
        ));
    }
}
