//! Files the service writes for itself: keys and certificates, readable by the owner only.
//!
//! Several processes may start at once on one empty data directory. Each of them may generate a
//! key, but only one may win: a file (or a directory of files that belong together) is written
//! aside under a private temporary name, then published in one step that fails when the target
//! already exists. Nobody can read a half-written file or overwrite the winner's, and every
//! process then reads the winner's copy.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Publish `bytes` at `path` (mode 0600) unless a file is already there. Returns whether this
/// call published it; either way `path` then holds one complete file.
pub fn publish_once(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let temp = temp_sibling(path)?;
    write_new_private(&temp, bytes)?;
    // A hard link appears complete or not at all, and fails if the name is taken (a rename
    // would silently replace the other process's file).
    let published = match std::fs::hard_link(&temp, path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    std::fs::remove_file(&temp)?;
    sync_parent(path)?;
    Ok(published)
}

/// Publish a directory holding `files` (name, bytes; each mode 0600, the directory 0700) at
/// `path` unless one is already there, so files that must match (a certificate and its key) are
/// only ever seen together. Returns whether this call published it.
pub fn publish_dir_once(path: &Path, files: &[(&str, &[u8])]) -> std::io::Result<bool> {
    let temp = temp_sibling(path)?;
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&temp)?;
    let written = files.iter().try_for_each(|(name, bytes)| write_new_private(&temp.join(name), bytes));
    if let Err(e) = written.and_then(|()| sync_dir(&temp)) {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    // Renaming a directory onto a non-empty one fails, so the first to publish wins.
    let published = match std::fs::rename(&temp, path) {
        Ok(()) => true,
        Err(_) if path.join(files.first().map_or("", |f| f.0)).exists() => false,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(e);
        }
    };
    if !published {
        std::fs::remove_dir_all(&temp)?;
    }
    sync_parent(path)?;
    Ok(published)
}

/// A unique name beside `path`, hidden, so a crash leaves only litter that is never read.
fn temp_sibling(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} has no file name", path.display()))
    })?;
    let unique = format!(".{name}.{}.{}.tmp", std::process::id(), super::ids::random_hex_128());
    Ok(path.with_file_name(unique))
}

fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Make the new name durable: after a power cut the key must not vanish while data sealed with
/// it survives.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_file_published_stays_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        assert!(publish_once(&path, b"first").unwrap());
        assert!(!publish_once(&path, b"second").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let pair = dir.path().join("pair");
        assert!(publish_dir_once(&pair, &[("a", b"1"), ("b", b"2")]).unwrap());
        assert!(!publish_dir_once(&pair, &[("a", b"3"), ("b", b"4")]).unwrap());
        assert_eq!(std::fs::read(pair.join("b")).unwrap(), b"2");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&pair), 0o700);
            assert_eq!(mode(&pair.join("a")), 0o600);
        }
    }
}
