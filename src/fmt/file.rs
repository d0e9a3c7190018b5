//! Writing a formatted file in place, atomically.
//!
//! This is a small private writer for `fmt`; at merge it moves onto the
//! shared writer (`src/write.rs`, built in another branch), which does the
//! same: a temporary file created with `create_new` beside the target, the
//! target's permissions copied onto it, then a rename over the target.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `bytes` so that a reader sees the old file or the
/// new one, never half of one. The file keeps its permissions.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(|| "spec".into(), |n| n.to_string_lossy().into_owned());
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.fmt-tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| permissions.map_or(Ok(()), |p| fs::set_permissions(&tmp, p)))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}
