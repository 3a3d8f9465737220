//! `zkey export verificationkey`: the verification key JSON of a zkey.

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::atomic::write_file;
use crate::format::points::g1_from_lem;
use crate::format::vkey::VerificationKey;
use crate::format::zkey::{section as zs, Zkey};

/// The verification key of a zkey: its header points and IC.
pub fn verification_key(z: &Zkey) -> Result<VerificationKey> {
    let ic_raw = z.file.read_section(zs::IC)?;
    let at = z.file.location().section(zs::IC);
    let ic = ic_raw
        .chunks(64)
        .enumerate()
        .map(|(i, b)| g1_from_lem(b).map_err(|fault| Error::BadPoint { at: at.index(i as u64), fault }))
        .collect::<Result<Vec<_>>>()?;
    Ok(VerificationKey {
        n_public: z.header.n_public,
        alpha1: z.header.alpha1,
        beta2: z.header.beta2,
        gamma2: z.header.gamma2,
        delta2: z.header.delta2,
        ic,
    })
}

/// Writes the verification key JSON of the zkey at `zkey` to `out`.
pub fn export_vkey(zkey: &Path, out: &Path) -> Result<()> {
    let z = Zkey::open(zkey)?;
    write_file(out, verification_key(&z)?.to_json().as_bytes())
}
