//! The demo's config file (`RON_CONFIG`): reading it safely and deciding what to apply.
//!
//! * [`read_bounded`] reads only a regular file (a symlink to one is fine) of at most
//!   [`MAX_CONFIG_BYTES`]. A FIFO, socket, device or directory is refused from its metadata,
//!   before any `open` (a FIFO's `open` would block until a writer appears); the open itself
//!   is non-blocking and re-checked, in case the path was swapped in between, and the read
//!   is capped even if the file grows.
//! * [`parse`] accepts a config only when it parses and validates: both keys present (a
//!   truncated or empty file is an error, not "all defaults"), no unknown key, `version >= 1`.
//! * [`Watcher`] turns each poll into an [`Outcome`]: apply a new config, keep the last good
//!   one and report an error, or do nothing for unchanged content (a `touch`).

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Largest config file read (bytes); bigger ones are refused unread.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// The watched config file's schema. Both keys are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    pub amnesia: bool,
    pub version: u64,
}

/// Why a config file's content was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("is empty (half-written?)")]
    Empty,
    #[error("is not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("does not parse: {0}")]
    Toml(String),
    #[error("has version = 0, which is reserved for the built-in defaults; use 1 or more")]
    VersionZero,
}

/// Parses and validates config file content.
pub fn parse(bytes: &[u8]) -> Result<DemoConfig, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let config: DemoConfig = toml::from_str(text)
        .map_err(|e| ParseError::Toml(e.message().trim().to_owned() + &line_of(text, &e)))?;
    if config.version == 0 {
        return Err(ParseError::VersionZero);
    }
    Ok(config)
}

/// " (line N)" for a TOML error with a position.
fn line_of(text: &str, e: &toml::de::Error) -> String {
    e.span().map_or_else(String::new, |span| {
        let end = span.start.min(text.len());
        let line = text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!(" (line {line})")
    })
}

/// Why a config file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("does not exist")]
    Missing,
    #[error("is a {0}, not a regular file; not reading it")]
    NotRegular(&'static str),
    #[error("is {0} bytes, over the {MAX_CONFIG_BYTES}-byte limit for a config file")]
    TooLarge(u64),
    #[error("cannot be read: {0}")]
    Io(String),
}

fn kind_of(t: std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        None
    } else if t.is_fifo() {
        Some("FIFO")
    } else if t.is_dir() {
        Some("directory")
    } else if t.is_socket() {
        Some("socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("device")
    } else {
        Some("special file")
    }
}

/// Reads `path` if it is a regular file of at most [`MAX_CONFIG_BYTES`] (see the module docs).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Io(e.to_string()),
    };
    let check = |meta: std::fs::Metadata| match kind_of(meta.file_type()) {
        Some(kind) => Err(ReadError::NotRegular(kind)),
        None if meta.len() > MAX_CONFIG_BYTES => Err(ReadError::TooLarge(meta.len())),
        None => Ok(()),
    };
    // `metadata` follows symlinks: a link to a regular file (a mounted ConfigMap) is fine.
    check(std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(io)?;
    check(file.metadata().map_err(io)?)?;
    read_capped(file, MAX_CONFIG_BYTES)
}

/// Reads at most `max` bytes; more is an error (the file grew after its size was checked).
fn read_capped(reader: impl Read, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io(e.to_string()))?;
    match u64::try_from(bytes.len()) {
        Ok(len) if len <= max => Ok(bytes),
        _ => Err(ReadError::TooLarge(bytes.len() as u64)),
    }
}

/// What one poll of the config file means for the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The same content (or the same failure) as the last poll.
    Unchanged,
    /// New content whose values are the ones applied already (reformatted, or fixed back
    /// after an error): clear any reported error.
    Same,
    /// A new config to apply; `generation` counts applied configs.
    Applied { generation: u64, config: DemoConfig },
    /// A new failure; the last good config (if any) stays. The message names the file.
    Failed(String),
}

/// The config watcher's memory between polls.
#[derive(Debug)]
pub struct Watcher {
    path: PathBuf,
    /// The last poll's content, or its error message (so each change is reported once).
    last: Option<Result<Vec<u8>, String>>,
    current: Option<DemoConfig>,
    generation: u64,
}

impl Watcher {
    pub fn new(path: PathBuf) -> Self {
        Watcher {
            path,
            last: None,
            current: None,
            generation: 0,
        }
    }

    /// The config applied last, if any.
    pub fn current(&self) -> Option<DemoConfig> {
        self.current
    }

    /// Decides what a poll's read result means.
    pub fn observe(&mut self, read: Result<Vec<u8>, ReadError>) -> Outcome {
        let input = read.map_err(|e| format!("config {} {e}", self.path.display()));
        if self.last.as_ref() == Some(&input) {
            return Outcome::Unchanged;
        }
        let parsed = match &input {
            Ok(bytes) => parse(bytes).map_err(|e| format!("config {} {e}", self.path.display())),
            Err(message) => Err(message.clone()),
        };
        self.last = Some(input);
        match parsed {
            Err(message) => Outcome::Failed(message),
            Ok(config) if self.current == Some(config) => Outcome::Same,
            Ok(config) => {
                self.current = Some(config);
                self.generation += 1;
                Outcome::Applied {
                    generation: self.generation,
                    config,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fs::File;

    fn watcher() -> Watcher {
        Watcher::new(PathBuf::from("demo.toml"))
    }

    fn ok(text: &str) -> Result<Vec<u8>, ReadError> {
        Ok(text.as_bytes().to_vec())
    }

    #[test]
    fn empty_half_written_and_invalid_configs_keep_the_last_good_one() {
        let mut w = watcher();
        let good = DemoConfig {
            amnesia: true,
            version: 2,
        };
        assert_eq!(
            w.observe(ok("amnesia = true\nversion = 2\n")),
            Outcome::Applied {
                generation: 1,
                config: good
            }
        );
        for (bad, why) in [
            ("", "is empty"),
            ("  \n", "is empty"),
            ("amnesia = true\nvers", "does not parse"),
            ("version = 3\n", "missing field `amnesia`"),
            ("amnesia = t", "does not parse"),
            (
                "amnesia = false\nversion = 0\n",
                "reserved for the built-in defaults",
            ),
            (
                "amnesia = false\nversion = 1\ncolour = 1\n",
                "unknown field",
            ),
            ("amnesia = false\nversion = -1\n", "does not parse"),
        ] {
            match w.observe(ok(bad)) {
                Outcome::Failed(msg) => {
                    assert!(msg.starts_with("config demo.toml "), "{msg}");
                    assert!(msg.contains(why), "{bad:?}: {msg}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
            assert_eq!(w.current(), Some(good), "{bad:?} replaced the config");
        }
        // Fixed back to the applied values: no new generation, the error can be cleared.
        assert_eq!(
            w.observe(ok("version = 2\namnesia = true\n")),
            Outcome::Same
        );
        assert_eq!(
            w.observe(ok("version = 2\namnesia = true\n")),
            Outcome::Unchanged
        );
    }

    #[test]
    fn a_failure_is_reported_once_and_a_touch_changes_nothing() {
        let mut w = watcher();
        assert!(
            matches!(w.observe(Err(ReadError::Missing)), Outcome::Failed(m) if m == "config demo.toml does not exist")
        );
        assert_eq!(w.observe(Err(ReadError::Missing)), Outcome::Unchanged);
        let fifo = Err(ReadError::NotRegular("FIFO"));
        assert!(
            matches!(w.observe(fifo.clone()), Outcome::Failed(m) if m.contains("is a FIFO, not a regular file"))
        );
        assert_eq!(w.observe(fifo), Outcome::Unchanged);
        assert!(matches!(
            w.observe(ok("amnesia = false\nversion = 1\n")),
            Outcome::Applied { generation: 1, .. }
        ));
        assert_eq!(
            w.observe(ok("amnesia = false\nversion = 1\n")),
            Outcome::Unchanged
        );
        assert!(matches!(
            w.observe(ok("amnesia = true\nversion = 1\n")),
            Outcome::Applied { generation: 2, .. }
        ));
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        assert_eq!(read_bounded(&path), Err(ReadError::Missing));
        std::fs::write(&path, "amnesia = true\nversion = 1\n").unwrap();
        assert_eq!(
            read_bounded(&path).unwrap(),
            b"amnesia = true\nversion = 1\n"
        );
        // A symlink to a regular file is followed.
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(read_bounded(&link).is_ok());
        // 200 MB (sparse): refused from its size, never read.
        let big = dir.path().join("big.toml");
        File::create(&big).unwrap().set_len(200 << 20).unwrap();
        assert_eq!(read_bounded(&big), Err(ReadError::TooLarge(200 << 20)));
        // A FIFO (no writer) and a directory are refused without blocking.
        let fifo = dir.path().join("fifo.toml");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(read_bounded(&fifo), Err(ReadError::NotRegular("FIFO")));
        assert_eq!(
            read_bounded(dir.path()),
            Err(ReadError::NotRegular("directory"))
        );
        assert_eq!(
            read_bounded(Path::new("/dev/zero")),
            Err(ReadError::NotRegular("device"))
        );
    }

    #[test]
    fn the_read_is_capped_even_when_the_size_check_passed() {
        let endless = std::io::repeat(b'#');
        assert_eq!(read_capped(endless, 1000), Err(ReadError::TooLarge(1001)));
        assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
    }

    fn arb_config() -> impl Strategy<Value = DemoConfig> {
        // TOML integers are i64.
        (any::<bool>(), 1..=i64::MAX as u64)
            .prop_map(|(amnesia, version)| DemoConfig { amnesia, version })
    }

    proptest! {
        /// Arbitrary bytes: never a panic; either an error or a config that validates.
        #[test]
        fn arbitrary_bytes_give_an_error_or_a_valid_config(
            bytes in proptest::collection::vec(any::<u8>(), 0..256)
        ) {
            if let Ok(c) = parse(&bytes) {
                prop_assert!(c.version >= 1);
                // Whatever parsed re-serialises to the same config.
                prop_assert_eq!(parse(toml::to_string(&c).unwrap().as_bytes()), Ok(c));
            }
        }

        /// TOML-shaped text (keys, values, comments, junk lines): same property, far more
        /// often reaching the validation step than random bytes do.
        #[test]
        fn toml_like_text_gives_an_error_or_a_valid_config(
            text in "((amnesia|version|x) ?= ?(true|false|-?[0-9]{1,20}|\"[a-z]*\"|\\[)?\n|#[ -~]*\n){0,4}"
        ) {
            if let Ok(c) = parse(text.as_bytes()) {
                prop_assert!(c.version >= 1);
                prop_assert!(text.contains("amnesia") && text.contains("version"));
            }
        }

        /// Round trip: every valid config survives serialisation.
        #[test]
        fn valid_configs_round_trip(c in arb_config()) {
            prop_assert_eq!(parse(toml::to_string(&c).unwrap().as_bytes()), Ok(c));
        }

        /// A file cut short while being written (keys in the documented order, the bool
        /// last) is rejected unless only the final newline is missing. (A cut inside the
        /// digits of a trailing `version` could parse as a smaller number: the README says
        /// to replace the file with a rename.)
        #[test]
        fn truncated_configs_are_rejected(c in arb_config(), cut in 0usize..64) {
            let text = format!("version = {}\namnesia = {}\n", c.version, c.amnesia);
            let cut = cut.min(text.len());
            match parse(&text.as_bytes()[..cut]) {
                Ok(parsed) => prop_assert_eq!(parsed, c, "prefix {:?}", &text[..cut]),
                Err(_) => prop_assert!(cut < text.len() - 1),
            }
        }
    }
}
