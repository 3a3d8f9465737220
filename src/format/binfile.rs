//! The section container shared by `.ptau`, `.r1cs` and `.zkey` (@iden3/binfileutils): a 4-byte
//! magic, u32 version 1, u32 section count, then sections of `u32 id ‖ u64 size ‖ payload`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::format::atomic::AtomicFile;

/// Section ids above this are taken as a misread section table in error messages (the
/// formats in use number their sections 1..=20 or so).
const MAX_PLAUSIBLE_ID: u32 = 64;

/// Bytes per read when a section is streamed (copied or compared) rather than held in memory.
const BLOCK: u64 = 4 << 20;

/// Where one section's payload lies in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionRef {
    /// Byte offset of the payload in the file.
    pub offset: u64,
    /// Payload size in bytes.
    pub size: u64,
}

/// An open container file: its header and section table; payloads are read on demand.
#[derive(Debug)]
pub struct BinFile {
    file: File,
    path: PathBuf,
    /// The file's length in bytes.
    pub len: u64,
    /// The section count the header declares.
    pub declared_sections: u32,
    /// Sections by id, in file order (a well-formed file has one of each).
    pub sections: BTreeMap<u32, Vec<SectionRef>>,
    /// Section ids in the order they appear in the file.
    pub order: Vec<u32>,
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

impl BinFile {
    /// Opens `path`, checks the magic and version, and reads the section table.
    pub fn open(path: &Path, magic: &[u8; 4]) -> Result<BinFile> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut bf = BinFile {
            file,
            path: path.to_path_buf(),
            len,
            declared_sections: 0,
            sections: BTreeMap::new(),
            order: Vec::new(),
        };
        let at = bf.location();
        if len < 12 {
            return Err(Error::malformed(at, format!("file is {len} bytes, too short for a header")));
        }
        let mut head = [0u8; 12];
        bf.read_raw(0, &mut head)?;
        if &head[0..4] != magic {
            return Err(Error::malformed(
                at,
                format!(
                    "wrong magic {:?}, expected {:?}",
                    String::from_utf8_lossy(&head[0..4]),
                    String::from_utf8_lossy(magic)
                ),
            ));
        }
        let version = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        if version != 1 {
            return Err(Error::malformed(at, format!("unsupported version {version}, expected 1")));
        }
        bf.declared_sections = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        let mut pos = 12u64;
        for n in 0..bf.declared_sections {
            if len - pos < 12 {
                return Err(Error::malformed(
                    at,
                    format!("truncated: header declares {} sections but the file ends after {n}", bf.declared_sections),
                ));
            }
            let mut sh = [0u8; 12];
            bf.read_raw(pos, &mut sh)?;
            let id = u32::from_le_bytes(sh[0..4].try_into().expect("4 bytes"));
            let size = u64::from_le_bytes(sh[4..12].try_into().expect("8 bytes"));
            let offset = pos + 12;
            if size > len - offset {
                // Real formats number their sections from 1 and below 64; any other id means this
                // header was read from the wrong place, i.e. the section before it declares a
                // wrong size (or the table is corrupt): say so rather than name a bogus section.
                if id == 0 || id > MAX_PLAUSIBLE_ID {
                    let cause = match bf.order.last() {
                        Some(&prev) if (1..=MAX_PLAUSIBLE_ID).contains(&prev) => {
                            format!("the section before it, section {prev}, probably declares a wrong size")
                        }
                        _ => "the section table is corrupt".to_string(),
                    };
                    return Err(Error::malformed(
                        at,
                        format!(
                            "truncated or corrupt section table: entry {} of {} (at byte {pos}) \
                             reads as section {id} of {size} bytes but only {} remain; {cause}",
                            n + 1,
                            bf.declared_sections,
                            len - offset
                        ),
                    ));
                }
                return Err(Error::malformed(
                    at.section(id),
                    format!("truncated: section declares {size} bytes but only {} remain", len - offset),
                ));
            }
            bf.sections.entry(id).or_default().push(SectionRef { offset, size });
            bf.order.push(id);
            pos = offset + size;
        }
        if pos != len {
            return Err(Error::malformed(at, format!("{} trailing bytes after the last declared section", len - pos)));
        }
        Ok(bf)
    }

    /// The file as the user named it, for error messages.
    pub fn location(&self) -> Location {
        Location::file(self.path.display().to_string())
    }

    /// The path this file was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one section with this id; an error when it is missing or repeated.
    pub fn section(&self, id: u32) -> Result<SectionRef> {
        match self.sections.get(&id).map(Vec::as_slice) {
            None | Some([]) => Err(Error::malformed(self.location().section(id), "missing section")),
            Some([s]) => Ok(*s),
            Some(_) => Err(Error::malformed(self.location().section(id), "section appears more than once")),
        }
    }

    /// Whether a section with this id exists.
    pub fn has_section(&self, id: u32) -> bool {
        self.sections.get(&id).is_some_and(|v| !v.is_empty())
    }

    /// The one section with this id, which must be exactly `size` bytes.
    pub fn section_sized(&self, id: u32, size: u64) -> Result<SectionRef> {
        let s = self.section(id)?;
        if s.size != size {
            return Err(Error::malformed(
                self.location().section(id),
                format!("section is {} bytes, expected {size}", s.size),
            ));
        }
        Ok(s)
    }

    /// Reads `buf.len()` bytes at an absolute file offset.
    pub fn read_raw(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        read_at(&self.file, buf, offset).map_err(|e| Error::io(&self.path, e))
    }

    /// Reads a whole section's payload.
    pub fn read_section(&self, id: u32) -> Result<Vec<u8>> {
        let s = self.section(id)?;
        self.read_range(id, 0, s.size)
    }

    /// Whether section `id` holds the same bytes here and in `other`, compared block by block.
    pub fn same_section(&self, other: &BinFile, id: u32) -> Result<bool> {
        let (a, b) = (self.section(id)?, other.section(id)?);
        if a.size != b.size {
            return Ok(false);
        }
        let block = BLOCK.min(a.size) as usize;
        let (mut x, mut y) = (vec![0u8; block], vec![0u8; block]);
        let mut done = 0u64;
        while done < a.size {
            let n = BLOCK.min(a.size - done) as usize;
            self.read_raw(a.offset + done, &mut x[..n])?;
            other.read_raw(b.offset + done, &mut y[..n])?;
            if x[..n] != y[..n] {
                return Ok(false);
            }
            done += n as u64;
        }
        Ok(true)
    }

    /// Reads `len` bytes at `start` inside section `id`.
    pub fn read_range(&self, id: u32, start: u64, len: u64) -> Result<Vec<u8>> {
        let s = self.section(id)?;
        if start.checked_add(len).is_none_or(|end| end > s.size) {
            return Err(Error::malformed(
                self.location().section(id),
                format!("section is {} bytes, too short to read {len} bytes at {start}", s.size),
            ));
        }
        let n = usize::try_from(len).map_err(|_| Error::malformed(self.location().section(id), "section too large"))?;
        let mut buf = vec![0u8; n];
        self.read_raw(s.offset + start, &mut buf)?;
        Ok(buf)
    }
}

/// Writes a container file section by section, atomically.
pub struct BinWriter {
    out: AtomicFile,
    pending: u64,
    current: Option<u32>,
    /// Bytes written so far.
    pos: u64,
    /// The sections begun so far, in order.
    written: Vec<(u32, SectionRef)>,
}

impl BinWriter {
    /// Starts a container at `path` with this magic and declared section count.
    pub fn create(path: &Path, magic: &[u8; 4], n_sections: u32) -> Result<BinWriter> {
        let mut out = AtomicFile::create(path)?;
        out.write_all(magic)?;
        out.write_all(&1u32.to_le_bytes())?;
        out.write_all(&n_sections.to_le_bytes())?;
        Ok(BinWriter { out, pending: 0, current: None, pos: 12, written: Vec::new() })
    }

    /// Starts section `id` whose payload will be exactly `size` bytes.
    pub fn begin_section(&mut self, id: u32, size: u64) -> Result<()> {
        self.check_done()?;
        self.out.write_all(&id.to_le_bytes())?;
        self.out.write_all(&size.to_le_bytes())?;
        self.pos += 12;
        self.written.push((id, SectionRef { offset: self.pos, size }));
        self.pending = size;
        self.current = Some(id);
        Ok(())
    }

    /// Reads back `buf.len()` bytes at `start` of the last section `id` written, which must be
    /// complete: for hashes over the output that can only start once it is written.
    pub fn read_back(&mut self, id: u32, start: u64, buf: &mut [u8]) -> Result<()> {
        let complete = self.current != Some(id) || self.pending == 0;
        let s = match self.written.iter().rev().find(|(i, _)| *i == id) {
            Some((_, s)) if complete && start.checked_add(buf.len() as u64).is_some_and(|end| end <= s.size) => *s,
            _ => return Err(Error::Usage(format!("internal: section {id} cannot be read back at {start}"))),
        };
        self.out.read_at(s.offset + start, buf)
    }

    /// Appends payload bytes to the current section.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let n = bytes.len() as u64;
        if n > self.pending {
            return Err(Error::Usage(format!("internal: section {:?} overflows its declared size", self.current)));
        }
        self.pending -= n;
        self.pos += n;
        self.out.write_all(bytes)
    }

    /// Writes a whole section.
    pub fn section(&mut self, id: u32, payload: &[u8]) -> Result<()> {
        self.begin_section(id, payload.len() as u64)?;
        self.write(payload)
    }

    /// Writes section `id` of `from` unchanged, streamed in blocks rather than held in memory.
    pub fn copy_section(&mut self, from: &BinFile, id: u32) -> Result<()> {
        let size = from.section(id)?.size;
        self.copy_section_prefix(from, id, size)
    }

    /// Writes the first `size` bytes of section `id` of `from` as section `id`, streamed.
    pub fn copy_section_prefix(&mut self, from: &BinFile, id: u32, size: u64) -> Result<()> {
        let s = from.section(id)?;
        if size > s.size {
            return Err(Error::malformed(
                from.location().section(id),
                format!("section is {} bytes, {size} needed", s.size),
            ));
        }
        self.begin_section(id, size)?;
        let mut buf = vec![0u8; BLOCK.min(size) as usize];
        let mut done = 0u64;
        while done < size {
            let n = BLOCK.min(size - done) as usize;
            from.read_raw(s.offset + done, &mut buf[..n])?;
            self.write(&buf[..n])?;
            done += n as u64;
        }
        Ok(())
    }

    fn check_done(&self) -> Result<()> {
        if self.pending != 0 {
            return Err(Error::Usage(format!(
                "internal: section {:?} is {} bytes short of its declared size",
                self.current, self.pending
            )));
        }
        Ok(())
    }

    /// Checks the last section is complete and commits the file.
    pub fn finish(self) -> Result<()> {
        self.check_done()?;
        self.out.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.zkey");
        let mut w = BinWriter::create(&p, b"zkey", 2).unwrap();
        w.section(2, b"abc").unwrap();
        w.section(1, b"").unwrap();
        w.finish().unwrap();
        let f = BinFile::open(&p, b"zkey").unwrap();
        assert_eq!(f.order, vec![2, 1]);
        assert_eq!(f.read_section(2).unwrap(), b"abc");
        assert!(BinFile::open(&p, b"ptau").unwrap_err().to_string().contains("wrong magic"));
        let bytes = std::fs::read(&p).unwrap();
        for cut in 0..bytes.len() {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let e = BinFile::open(&p, b"zkey").unwrap_err().to_string();
            assert!(e.contains("a.zkey"), "{e}");
        }
        assert!(f.section(3).unwrap_err().to_string().contains("section 3"));
    }

    #[test]
    fn sections_stream_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a.bin"), dir.path().join("b.bin"), dir.path().join("c.bin"));
        // Two whole blocks and a ragged third.
        let big: Vec<u8> = (0..2 * BLOCK as usize + 5).map(|i| (i * 31 % 251) as u8).collect();
        let mut w = BinWriter::create(&a, b"test", 2).unwrap();
        w.section(1, &big).unwrap();
        w.section(2, b"").unwrap();
        w.finish().unwrap();
        let fa = BinFile::open(&a, b"test").unwrap();
        let mut w = BinWriter::create(&b, b"test", 2).unwrap();
        w.copy_section(&fa, 2).unwrap();
        w.copy_section(&fa, 1).unwrap();
        w.finish().unwrap();
        let fb = BinFile::open(&b, b"test").unwrap();
        assert_eq!(fb.order, vec![2, 1]);
        assert_eq!(fb.read_section(1).unwrap(), big);
        assert!(fa.same_section(&fb, 1).unwrap() && fa.same_section(&fb, 2).unwrap());
        // One byte changed in the last block, and a shorter section, are both told apart.
        let mut changed = big.clone();
        *changed.last_mut().unwrap() ^= 1;
        let mut w = BinWriter::create(&c, b"test", 2).unwrap();
        w.section(1, &changed).unwrap();
        w.section(2, b"x").unwrap();
        w.finish().unwrap();
        let fc = BinFile::open(&c, b"test").unwrap();
        assert!(!fa.same_section(&fc, 1).unwrap() && !fa.same_section(&fc, 2).unwrap());
        assert!(fa.same_section(&fc, 3).unwrap_err().to_string().contains("section 3"));
    }

    #[test]
    fn written_sections_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        let mut w = BinWriter::create(&p, b"test", 3).unwrap();
        w.section(1, b"first").unwrap();
        w.begin_section(2, 6).unwrap();
        w.write(b"sec").unwrap();
        let mut buf = [0u8; 3];
        // Only whole sections read back, and only inside them.
        assert!(w.read_back(2, 0, &mut buf).is_err());
        w.write(b"ond").unwrap();
        w.read_back(2, 3, &mut buf).unwrap();
        assert_eq!(&buf, b"ond");
        w.read_back(1, 2, &mut buf).unwrap();
        assert_eq!(&buf, b"rst");
        assert!(w.read_back(1, 3, &mut buf).is_err());
        assert!(w.read_back(3, 0, &mut buf).is_err());
        // Reading back leaves the writer where it was.
        w.section(3, b"third").unwrap();
        w.finish().unwrap();
        let f = BinFile::open(&p, b"test").unwrap();
        let got: Vec<Vec<u8>> = (1..=3).map(|id| f.read_section(id).unwrap()).collect();
        assert_eq!(got, [b"first".to_vec(), b"second".to_vec(), b"third".to_vec()]);
    }
}
