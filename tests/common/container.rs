//! A binfile (ptau, zkey, r1cs) split into its header fields and sections, to build malformed
//! variants of good files in the malformed-input tests.

use std::collections::BTreeMap;
use std::path::Path;

use tauforge::format::binfile::BinFile;

/// One binfile, split into its header fields and sections (in file order).
#[derive(Clone)]
pub struct Container {
    /// The four magic bytes.
    pub magic: [u8; 4],
    /// The format version.
    pub version: u32,
    /// The declared number of sections.
    pub declared: u32,
    /// (id, declared size, payload) in file order; the declared size normally equals the
    /// payload's length.
    pub sections: Vec<(u32, u64, Vec<u8>)>,
}

impl Container {
    /// Splits a file, locating its sections with the library's `BinFile`.
    pub fn read(path: &Path, magic: &[u8; 4]) -> Container {
        let bf = BinFile::open(path, magic).expect("valid input file");
        let bytes = std::fs::read(path).unwrap();
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        let sections = bf
            .order
            .iter()
            .map(|&id| {
                let k = seen.entry(id).or_insert(0);
                let s = bf.sections[&id][*k];
                *k += 1;
                let payload = bytes[s.offset as usize..(s.offset + s.size) as usize].to_vec();
                (id, s.size, payload)
            })
            .collect();
        let c = Container { magic: *magic, version: 1, declared: bf.declared_sections, sections };
        assert_eq!(c.bytes(), bytes, "Container round-trips {}", path.display());
        c
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.magic);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(&self.declared.to_le_bytes());
        for (id, size, payload) in &self.sections {
            b.extend_from_slice(&id.to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b.extend_from_slice(payload);
        }
        b
    }

    /// Index of section `id` (the first copy) in file order.
    pub fn pos(&self, id: u32) -> usize {
        self.sections.iter().position(|s| s.0 == id).unwrap_or_else(|| panic!("section {id} present"))
    }

    /// Section `id`'s payload.
    pub fn payload(&self, id: u32) -> &[u8] {
        &self.sections[self.pos(id)].2
    }

    /// Section `id`'s payload, to edit in place.
    pub fn payload_mut(&mut self, id: u32) -> &mut Vec<u8> {
        let i = self.pos(id);
        &mut self.sections[i].2
    }

    /// Replaces a section's payload and its declared size.
    pub fn set_payload(mut self, id: u32, payload: Vec<u8>) -> Self {
        let i = self.pos(id);
        self.sections[i].1 = payload.len() as u64;
        self.sections[i].2 = payload;
        self
    }

    /// Writes `bytes` at `offset` inside section `id`.
    pub fn patch(mut self, id: u32, offset: usize, bytes: &[u8]) -> Self {
        let i = self.pos(id);
        let p = &mut self.sections[i].2;
        assert_ne!(&p[offset..offset + bytes.len()], bytes, "patch changes nothing");
        p[offset..offset + bytes.len()].copy_from_slice(bytes);
        self
    }

    /// Drops section `id` and lowers the declared count to match.
    pub fn without(mut self, id: u32) -> Self {
        let i = self.pos(id);
        self.sections.remove(i);
        self.declared -= 1;
        self
    }

    /// Appends a second copy of section `id` and raises the declared count to match.
    pub fn duplicated(mut self, id: u32) -> Self {
        let s = self.sections[self.pos(id)].clone();
        self.sections.push(s);
        self.declared += 1;
        self
    }

    /// Changes a section's declared size, leaving its payload alone.
    pub fn declare_size(mut self, id: u32, delta: i64) -> Self {
        let i = self.pos(id);
        self.sections[i].1 = self.sections[i].1.wrapping_add_signed(delta);
        self
    }

    /// The same file with section `id` shortened (negative) or lengthened (zero bytes) by
    /// `delta` bytes, its declared size kept consistent.
    pub fn resized(&self, id: u32, delta: i64) -> Container {
        let mut p = self.payload(id).to_vec();
        if delta < 0 {
            p.truncate(p.len() - (-delta) as usize);
        } else {
            p.resize(p.len() + delta as usize, 0);
        }
        self.clone().set_payload(id, p)
    }

    /// (id, payload start, payload end) of each section, in file order.
    pub fn layout(&self) -> Vec<(u32, usize, usize)> {
        let mut pos = 12;
        self.sections
            .iter()
            .map(|(id, _, p)| {
                let start = pos + 12;
                pos = start + p.len();
                (*id, start, pos)
            })
            .collect()
    }
}
