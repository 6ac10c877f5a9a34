//! The harness's one file writer: every `--out`, report, run file and baseline goes through
//! [`write_file`] (replace) or [`write_new`] (create, never replace).
//!
//! * A regular file (or a new one) is replaced atomically: a temp file in the same directory
//!   is written, synced and renamed over it, so readers see the old file or the new one.
//! * A symlink keeps its link: the link is resolved first and its target is replaced (the
//!   temp file then lives next to the target, so the rename stays on one file system).
//! * A non-regular target (FIFO, character device such as `/dev/null`, socket) is written in
//!   place: replacing it would destroy the device or never reach the reader.
//! * `-` and `/dev/stdout` mean stdout (through [`crate::term`]); `/dev/stderr` stderr.
//! * New files get mode `0666 & !umask` (0644 typically), as `open(2)` would give them; a
//!   replaced file keeps its mode.
//! * Temp files orphaned by a killed writer (`.ron-bench-*.tmp`, older than
//!   [`STALE_TMP_AGE`]) are removed from the target directory.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// Temp files older than this in a target directory are orphans of a killed writer.
pub const STALE_TMP_AGE: Duration = Duration::from_secs(15 * 60);
/// Prefix and suffix of the writer's temp files.
const TMP_PREFIX: &str = ".ron-bench-";
const TMP_SUFFIX: &str = ".tmp";
/// Symlink hops followed before giving up (the kernel's own limit is 40).
const MAX_LINKS: usize = 40;

/// A file that cannot be written. Every variant names the file as the user gave it.
#[derive(Debug, Error)]
pub enum WriteError {
    /// An I/O error (no temp-file paths: the user never named those).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The target is a directory.
    #[error("cannot write {path}: it is a directory")]
    IsDir {
        /// The file.
        path: PathBuf,
    },
    /// A symlink chain that loops or is too long.
    #[error("cannot write {path}: too many levels of symbolic links")]
    LinkLoop {
        /// The file.
        path: PathBuf,
    },
    /// No file can be created in a directory.
    #[error("cannot create files in directory {dir}: {source}")]
    DirNotWritable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// [`write_new`] found the file already there.
    #[error("{path} already exists")]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl WriteError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError::Io {
            path: path.into(),
            source: scrub(source),
        }
    }
}

/// tempfile appends ` at path "<dir>/.ron-bench-XXXX.tmp"` to its errors: a name the user
/// never gave and that no longer exists. Keep the kind and the OS message only.
fn scrub(e: io::Error) -> io::Error {
    if e.get_ref().is_none() {
        return e;
    }
    let msg = e.to_string();
    match msg.split_once(" at path ") {
        Some((head, _)) => io::Error::new(e.kind(), head.to_string()),
        None => e,
    }
}

/// Where bytes for a path go.
enum Dest {
    Stream(crate::term::Stream),
    InPlace(PathBuf),
    Replace(PathBuf),
}

/// Writes `bytes` to `path`, replacing what is there (see the module docs for symlinks,
/// devices, FIFOs, `-` and modes). The directory must exist.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    match dest(path)? {
        Dest::Stream(s) => {
            if s == crate::term::Stream::Stdout {
                crate::term::reserve_stdout_for_data();
            }
            s.write_bytes(bytes);
            Ok(())
        }
        Dest::InPlace(p) => write_in_place(path, &p, bytes),
        Dest::Replace(target) => {
            let tmp = temp_with(&target, bytes).map_err(WriteError::io(path))?;
            let mode = fs::metadata(&target).ok().map(|m| m.permissions());
            if let Some(perm) = mode {
                tmp.as_file()
                    .set_permissions(perm)
                    .map_err(WriteError::io(path))?;
            }
            tmp.persist(&target)
                .map_err(|e| WriteError::io(path)(e.error))?;
            sync_dir(&target);
            Ok(())
        }
    }
}

/// Creates `path` with `bytes` unless it exists: of concurrent callers exactly one wins and
/// the others get [`WriteError::Exists`]. The file appears complete or not at all (a hard
/// link of a finished temp file publishes it; file systems without hard links fall back to
/// `O_EXCL` creation).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let target = match dest(path)? {
        Dest::Replace(t) => t,
        // Streams and devices cannot be "created"; they exist by construction.
        Dest::Stream(_) | Dest::InPlace(_) => return Err(WriteError::Exists { path: path.into() }),
    };
    if fs::symlink_metadata(&target).is_ok() {
        return Err(WriteError::Exists { path: path.into() });
    }
    let tmp = temp_with(&target, bytes).map_err(WriteError::io(path))?;
    match fs::hard_link(tmp.path(), &target) {
        Ok(()) => {
            sync_dir(&target);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(WriteError::Exists { path: path.into() })
        }
        Err(_) => {
            drop(tmp);
            create_exclusive(path, &target, bytes)
        }
    }
}

fn create_exclusive(path: &Path, target: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut f = match OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(WriteError::Exists { path: path.into() })
        }
        Err(e) => return Err(WriteError::io(path)(e)),
    };
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(WriteError::io(path))
}

/// Decides where `path` goes: a terminal stream, in place, or an atomic replace of the
/// symlink-resolved target.
fn dest(path: &Path) -> Result<Dest, WriteError> {
    if let Some(s) = stream_of(path) {
        return Ok(Dest::Stream(s));
    }
    if let Ok(m) = fs::metadata(path) {
        if m.is_dir() {
            return Err(WriteError::IsDir { path: path.into() });
        }
        // /dev/fd/N and /proc/<pid>/fd/N name an open file, not a path to replace.
        if !m.is_file() || names_an_open_file(path) {
            return Ok(Dest::InPlace(path.into()));
        }
    }
    resolve_links(path).map(Dest::Replace)
}

/// The terminal stream `path` names: `-` and `/dev/stdout` stdout, `/dev/stderr` stderr.
pub fn stream_of(path: &Path) -> Option<crate::term::Stream> {
    let p = path.as_os_str();
    if p == "-" || p == "/dev/stdout" {
        Some(crate::term::Stream::Stdout)
    } else if p == "/dev/stderr" {
        Some(crate::term::Stream::Stderr)
    } else {
        None
    }
}

/// `/dev/fd/N` or `/proc/<pid>/fd/N`: a descriptor the caller opened (e.g. `3> file`).
fn names_an_open_file(path: &Path) -> bool {
    path.starts_with("/dev/fd")
        || (path.starts_with("/proc")
            && path.parent().and_then(Path::file_name) == Some("fd".as_ref()))
}

/// Follows symlinks (also dangling ones, whose target will be created) to the final path.
fn resolve_links(path: &Path) -> Result<PathBuf, WriteError> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p).map_err(WriteError::io(path))?;
                p = match p.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(WriteError::LinkLoop { path: path.into() })
}

fn write_in_place(shown: &Path, p: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    // A regular file behind a descriptor alias is rewritten whole; FIFOs and devices ignore
    // truncation.
    let regular = fs::metadata(p).is_ok_and(|m| m.is_file());
    let mut f = OpenOptions::new()
        .write(true)
        .truncate(regular)
        .open(p)
        .map_err(WriteError::io(shown))?;
    f.write_all(bytes)
        .and_then(|()| f.flush())
        .map_err(WriteError::io(shown))
}

fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A synced temp file holding `bytes` next to `target`, mode `0666 & !umask`.
fn temp_with(target: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir = parent_of(target);
    clean_stale_temps(dir);
    let mut b = tempfile::Builder::new();
    b.prefix(TMP_PREFIX).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this mode, as for any file a tool creates.
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = b.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Fails unless a file can be created in `dir` (a probe temp file, removed at once).
pub fn check_writable_dir(dir: &Path) -> Result<(), WriteError> {
    let probe = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(probe)
        .map(drop)
        .map_err(|e| WriteError::DirNotWritable {
            dir: dir.into(),
            source: scrub(e),
        })
}

/// Makes a rename durable (best effort: some file systems cannot sync a directory).
fn sync_dir(target: &Path) {
    if let Ok(d) = fs::File::open(parent_of(target)) {
        let _ = d.sync_all();
    }
}

/// Removes `.ron-bench-*.tmp` regular files older than [`STALE_TMP_AGE`] from `dir` (best
/// effort: a concurrent writer's fresh temp file is never old enough to be touched).
pub fn clean_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
            continue;
        }
        let old = e.metadata().ok().filter(|m| m.is_file()).and_then(|m| {
            let age = now.duration_since(m.modified().ok()?).ok()?;
            Some(age > STALE_TMP_AGE)
        });
        if old == Some(true) {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[test]
    fn a_character_device_is_written_in_place() {
        let null = Path::new("/dev/null");
        if !null.exists() {
            return;
        }
        write_file(null, b"gone").unwrap();
        let ft = fs::symlink_metadata(null).unwrap().file_type();
        assert!(ft.is_char_device(), "/dev/null was replaced");
    }

    #[test]
    fn a_symlink_loop_or_a_directory_is_an_error_naming_the_path() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = write_file(&a, b"x").unwrap_err();
        assert!(matches!(e, WriteError::LinkLoop { .. }), "{e}");
        assert!(e.to_string().contains(&a.display().to_string()), "{e}");
        let e = write_file(d.path(), b"x").unwrap_err();
        assert!(matches!(e, WriteError::IsDir { .. }), "{e}");
    }

    #[test]
    fn write_new_never_replaces_and_write_file_keeps_the_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("b.json");
        write_new(&p, b"first").unwrap();
        let e = write_new(&p, b"second").unwrap_err();
        assert!(matches!(e, WriteError::Exists { .. }), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"first");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        write_file(&p, b"third").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"third");
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn only_descriptor_aliases_are_written_in_place() {
        assert!(names_an_open_file(Path::new("/dev/fd/3")));
        assert!(names_an_open_file(Path::new("/proc/self/fd/1")));
        assert!(!names_an_open_file(Path::new("/dev/shm/run.json")));
        assert!(!names_an_open_file(Path::new("/proc/self/status")));
    }

    #[test]
    fn errors_never_show_the_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("missing").join("x.md");
        let e = write_file(&p, b"x").unwrap_err().to_string();
        assert!(e.contains("missing/x.md") && !e.contains(TMP_PREFIX), "{e}");
        let e = check_writable_dir(&d.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(TMP_PREFIX), "{e}");
    }
}
