//! Output files written atomically: a temp file in the target's folder, fsync, rename, fsync the
//! folder. An error or a panic before [`AtomicFile::commit`] leaves no file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; it appears at its path only when committed.
pub struct AtomicFile {
    target: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `target` (through a temp file beside it).
    pub fn create(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".tauforge-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(target, e))?;
        Ok(AtomicFile { target: target.to_path_buf(), writer: BufWriter::with_capacity(1 << 20, tmp) })
    }

    /// Appends bytes.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.write_all(bytes).map_err(|e| Error::io(&self.target, e))
    }

    /// Reads back `buf.len()` bytes already written, at absolute offset `offset`.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.target, e))?;
        read_back(self.writer.get_ref().as_file(), offset, buf).map_err(|e| Error::io(&self.target, e))
    }

    /// Flushes, fsyncs and renames the temp file onto the target, then fsyncs the folder.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        let tmp = self.writer.into_inner().map_err(|e| Error::io(&target, e.into_error()))?;
        // tempfile creates 0600; outputs are public ceremony files, readable like snarkjs's (0644).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(|e| Error::io(&target, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| Error::io(&target, e))?;
        tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        if let Some(dir) = target.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            // Some platforms cannot open a folder for fsync; the rename is still done.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
fn read_back(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(not(unix))]
fn read_back(mut file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    // Elsewhere a positioned read moves the file's cursor, which the writer shares: put it back.
    use std::io::{Read, Seek, SeekFrom};
    let end = file.stream_position()?;
    file.seek(SeekFrom::Start(offset))?;
    let r = file.read_exact(buf);
    file.seek(SeekFrom::Start(end))?;
    r
}

/// Writes `bytes` to `target` atomically.
pub fn write_file(target: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_file(&target, b"whole").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
    }
}
