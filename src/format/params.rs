//! The tag-length-value parameter list of a contribution record, shared by `.ptau` and `.zkey`:
//! tag 1 name, tag 2 log2 of the beacon iterations, tag 3 the beacon value; tags increasing.

/// Contribution type 1: a beacon.
pub const KIND_BEACON: u32 = 1;

/// The name as snarkjs stores it: at most 64 UTF-16 units, UTF-8 encoded.
pub fn truncate_name(name: &str) -> String {
    let mut out = String::new();
    let mut units = 0;
    for ch in name.chars() {
        let n = ch.len_utf16();
        if units + n > 64 {
            if units < 64 {
                // JS substring would keep a lone high surrogate, which TextEncoder writes as U+FFFD.
                out.push('\u{FFFD}');
            }
            break;
        }
        units += n;
        out.push(ch);
    }
    out
}

/// The parameter list exactly as snarkjs writes it.
pub fn encode(kind: u32, name: Option<&str>, beacon_exp: Option<u8>, beacon_hash: Option<&[u8]>) -> Vec<u8> {
    let mut p = Vec::new();
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        let n = truncate_name(name);
        p.push(1);
        p.push(n.len() as u8);
        p.extend_from_slice(n.as_bytes());
    }
    if kind == KIND_BEACON {
        let h = beacon_hash.unwrap_or(&[]);
        p.push(2);
        p.push(beacon_exp.unwrap_or(0));
        p.push(3);
        p.push(h.len() as u8);
        p.extend_from_slice(h);
    }
    p
}

/// Decoded parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// The contributor's name.
    pub name: Option<String>,
    /// log2 of the beacon iterations.
    pub beacon_exp: Option<u8>,
    /// The beacon value.
    pub beacon_hash: Option<Vec<u8>>,
}

/// Parses a parameter list of a record of type `kind`; the error says what is wrong.
pub fn decode(p: &[u8], kind: u32) -> Result<Params, String> {
    let mut out = Params::default();
    let mut pos = 0;
    let mut last = 0u8;
    let bad = || "parameter list is truncated".to_string();
    while pos < p.len() {
        let tag = p[pos];
        pos += 1;
        if tag <= last {
            return Err("parameters in the contribution must be sorted".into());
        }
        last = tag;
        match tag {
            1 => {
                let len = *p.get(pos).ok_or_else(bad)? as usize;
                let s = p.get(pos + 1..pos + 1 + len).ok_or_else(bad)?;
                out.name = Some(String::from_utf8_lossy(s).into_owned());
                pos += 1 + len;
            }
            2 => {
                out.beacon_exp = Some(*p.get(pos).ok_or_else(bad)?);
                pos += 1;
            }
            3 => {
                let len = *p.get(pos).ok_or_else(bad)? as usize;
                out.beacon_hash = Some(p.get(pos + 1..pos + 1 + len).ok_or_else(bad)?.to_vec());
                pos += 1 + len;
            }
            t => return Err(format!("parameter tag {t} not recognized")),
        }
    }
    if kind > KIND_BEACON {
        return Err(format!("unknown contribution type {kind}"));
    }
    if kind == KIND_BEACON && (out.beacon_exp.is_none() || out.beacon_hash.is_none()) {
        return Err("beacon contribution without its beacon hash and iterations".into());
    }
    Ok(out)
}
